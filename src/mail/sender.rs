//! Sends what the outbox holds: file transport (one `.eml` per message, for development and
//! demos) or SMTP through rustls. Failed sends are retried with exponential backoff, for as
//! long as it takes; nothing is dropped.
//!
//! A server that cannot be reached, times out or says it is closing (421) ends the pass at
//! once: the rest of the batch waits for the same retry time instead of each message
//! waiting out the timeout against a dead server. A message the server refuses for itself
//! (a bad recipient, 5xx) fails alone and the pass goes on.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{FileTransport, Message, SmtpTransport, Transport};

use super::outbox::{self, OutboxEmail};
use crate::config::{MailSettings, MailTransportKind, SmtpSecurity};
use crate::db::{Conn, DbError, Pool};

const BATCH: i64 = 100;
/// How long one pass keeps sending before the worker turns to its other jobs.
pub const PASS_LIMIT: Duration = Duration::from_secs(10);

/// Where mail goes, and how long a sender may hold the messages it took.
pub struct MailTransport {
    channel: Channel,
    /// How long a sender holds a message before another may retry it.
    lease: Duration,
}

enum Channel {
    File(FileTransport),
    Smtp(Box<SmtpTransport>),
}

/// Why one message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SendError {
    /// This message only (refused recipient, unbuildable message): the next may go.
    Message(String),
    /// The server is unreachable, too slow or closing: the next would fare no better.
    Server(String),
}

impl MailTransport {
    pub fn from_settings(settings: &MailSettings) -> anyhow::Result<MailTransport> {
        let channel = match settings.transport {
            MailTransportKind::File => {
                std::fs::create_dir_all(&settings.file_dir).map_err(|e| {
                    anyhow::anyhow!("cannot create mail folder {}: {e}", settings.file_dir)
                })?;
                Channel::File(FileTransport::new(&settings.file_dir))
            }
            MailTransportKind::Smtp => {
                let builder = match settings.smtp_security {
                    SmtpSecurity::None => SmtpTransport::builder_dangerous(&settings.smtp_host),
                    SmtpSecurity::Starttls => SmtpTransport::starttls_relay(&settings.smtp_host)?,
                    SmtpSecurity::Tls => SmtpTransport::relay(&settings.smtp_host)?,
                };
                // The timeout covers the connection and every command's answer.
                let timeout = Duration::from_secs(settings.smtp_timeout_seconds.max(1));
                let mut builder = builder.port(settings.smtp_port).timeout(Some(timeout));
                if let (Some(user), Some(password)) =
                    (&settings.smtp_username, &settings.smtp_password)
                {
                    builder = builder
                        .credentials(Credentials::new(user.clone(), password.expose().to_owned()));
                }
                Channel::Smtp(Box::new(builder.build()))
            }
        };
        Ok(MailTransport {
            channel,
            lease: Duration::from_secs(settings.lease_seconds.clamp(1, 86_400)),
        })
    }

    fn send(&self, message: &Message) -> Result<(), SendError> {
        match &self.channel {
            Channel::File(transport) => transport
                .send(message)
                .map(|_| ())
                .map_err(|e| SendError::Message(e.to_string())),
            Channel::Smtp(transport) => transport.send(message).map(|_| ()).map_err(|e| {
                let closing = e.status().is_some_and(|code| u16::from(code) == 421);
                if e.is_permanent() || (e.is_transient() && !closing) {
                    SendError::Message(e.to_string())
                } else {
                    SendError::Server(e.to_string())
                }
            }),
        }
    }
}

/// Wait before the next attempt: 30 s, 1 min, 2 min, ... capped at one hour.
pub fn backoff(attempts_so_far: i32) -> chrono::Duration {
    let exponent = attempts_so_far.clamp(0, 7) as u32;
    chrono::Duration::seconds((30i64 << exponent).min(3600))
}

pub fn build_message(from: &str, email: &OutboxEmail) -> Result<Message, String> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| format!("invalid sender address: {e}"))?;
    let to_address = email
        .to_address
        .parse()
        .map_err(|e| format!("invalid recipient address {}: {e}", email.to_address))?;
    let to = Mailbox::new(
        Some(email.to_name.clone()).filter(|n| !n.is_empty()),
        to_address,
    );
    Message::builder()
        .message_id(Some(email.message_id.clone()))
        .from(from)
        .to(to)
        .subject(&email.subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(email.body_text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(email.body_html.clone()),
                ),
        )
        .map_err(|e| format!("cannot build message: {e}"))
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub failed: usize,
    /// Not tried in this pass because the server had just failed: they keep their attempts
    /// count and wait for the same retry time as the message that failed.
    pub postponed: usize,
}

/// One pass: sends every due message, blocking (call from a blocking thread). Messages are
/// claimed and marked a batch at a time, a short transaction each, so a backlog costs two
/// commits per batch rather than two per message and only one batch is ever in memory; no
/// connection is held while the server is talked to. A pass stops after [`PASS_LIMIT`],
/// or at the first sign that the server is down; the rest waits for a later pass.
pub fn send_due(
    pool: &Pool,
    transport: &MailTransport,
    from: &str,
    now: NaiveDateTime,
) -> Result<SendReport, DbError> {
    let lease = chrono::Duration::from_std(transport.lease).unwrap_or(chrono::Duration::MAX);
    // Sending stops early in a batch once half its lease is gone.
    let lease_margin = transport.lease / 2;
    let mut report = SendReport::default();
    let started = Instant::now();
    loop {
        // A slow server can make a pass last minutes: each claim counts from the time it is
        // made, so a lease never starts out already expired.
        let claimed_at = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let until = claimed_at + lease;
        let batch = pool
            .get()?
            .transaction(|conn| outbox::claim_due(conn, claimed_at, until, BATCH))?;
        let claimed = batch.len();
        let held = Instant::now();
        let mut outcome = BatchOutcome::default();
        for email in batch {
            if outcome.server_down.is_some() {
                outcome.postponed.push(email.id);
                continue;
            }
            if held.elapsed() > lease_margin || started.elapsed() > PASS_LIMIT {
                // Half the lease gone, or the pass's time: give the rest back rather than
                // risk a second sender taking them while this one still sends.
                outcome.unsent.push(email.id);
                continue;
            }
            let retry_at = claimed_at + backoff(email.attempts);
            let result = build_message(from, &email)
                .map_err(SendError::Message)
                .and_then(|message| transport.send(&message));
            match result {
                Ok(()) => outcome.sent.push(email.id),
                Err(SendError::Message(error)) => {
                    tracing::warn!(id = email.id, to = %email.to_address, attempts = email.attempts + 1, %error, "email not sent; will retry");
                    outcome.failed.push((email.id, retry_at, error));
                }
                Err(SendError::Server(error)) => {
                    tracing::warn!(id = email.id, attempts = email.attempts + 1, %error, "mail server unreachable; the outbox waits until {retry_at}");
                    outcome.failed.push((email.id, retry_at, error.clone()));
                    outcome.server_down = Some((retry_at, error));
                }
            }
        }
        record(pool, &outcome, claimed_at)?;
        report.sent += outcome.sent.len();
        report.failed += outcome.failed.len();
        report.postponed += outcome.postponed.len();
        if claimed < BATCH as usize
            || !outcome.unsent.is_empty()
            || outcome.server_down.is_some()
            || started.elapsed() > PASS_LIMIT
        {
            return Ok(report);
        }
    }
}

/// What became of one claimed batch.
#[derive(Default)]
struct BatchOutcome {
    sent: Vec<i64>,
    failed: Vec<(i64, NaiveDateTime, String)>,
    /// Given back untried, due again at once.
    unsent: Vec<i64>,
    /// Untried because the server was down, due again when it is retried.
    postponed: Vec<i64>,
    /// When the server is to be tried again, and what went wrong.
    server_down: Option<(NaiveDateTime, String)>,
}

/// Writes a batch's fate in one transaction. The messages are out (or not) already, so a
/// database that is busy for a moment is waited for a little: giving up here would send the
/// sent ones again once their lease ends.
fn record(pool: &Pool, outcome: &BatchOutcome, now: NaiveDateTime) -> Result<(), DbError> {
    let write = |conn: &mut Conn| {
        conn.transaction(|conn| {
            outbox::mark_all_sent(conn, &outcome.sent, now)?;
            for (id, retry_at, error) in &outcome.failed {
                outbox::mark_failed(conn, *id, *retry_at, error)?;
            }
            outbox::release(conn, &outcome.unsent)?;
            match &outcome.server_down {
                Some((retry_at, _)) => outbox::postpone(conn, &outcome.postponed, *retry_at),
                None => Ok(()),
            }
        })
    };
    let mut pause = Duration::from_millis(200);
    let mut tries = 0;
    loop {
        tries += 1;
        match pool.get().and_then(|mut conn| write(&mut conn)) {
            Err(error) if error.is_unavailable() && tries < 4 => {
                tracing::warn!(%error, "cannot record sent mail yet; trying again");
                std::thread::sleep(pause);
                pause *= 2;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps_at_an_hour() {
        assert_eq!(backoff(0), chrono::Duration::seconds(30));
        assert_eq!(backoff(1), chrono::Duration::seconds(60));
        assert_eq!(backoff(3), chrono::Duration::seconds(240));
        assert_eq!(backoff(7), chrono::Duration::seconds(3600));
        assert_eq!(backoff(40), chrono::Duration::seconds(3600));
        assert_eq!(backoff(-1), chrono::Duration::seconds(30));
    }

    fn sample() -> OutboxEmail {
        let now = chrono::DateTime::from_timestamp(1_767_000_000, 0)
            .unwrap()
            .naive_utc();
        OutboxEmail {
            id: 1,
            message_id: "<abc@shop.example>".into(),
            template: "t".into(),
            language: "fr".into(),
            to_address: "anne@institution.example".into(),
            to_name: "Anne & Co".into(),
            subject: "Votre commande".into(),
            body_text: "Bonjour".into(),
            body_html: "<p>Bonjour</p>".into(),
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            sent_at: None,
            last_error: None,
        }
    }

    #[test]
    fn messages_keep_their_message_id_and_both_parts() {
        let message = build_message("centrale <no-reply@shop.example>", &sample()).expect("builds");
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <abc@shop.example>"), "{raw}");
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
    }

    #[test]
    fn a_bad_recipient_is_an_error_not_a_panic() {
        let mut email = sample();
        email.to_address = "not an address".into();
        assert!(build_message("no-reply@shop.example", &email).is_err());
    }
}
