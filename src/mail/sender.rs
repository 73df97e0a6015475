//! Sends what the outbox holds: file transport (one `.eml` per message, for development and
//! demos) or SMTP through rustls. Failed sends are retried with exponential backoff, for as
//! long as it takes; nothing is dropped.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{FileTransport, Message, SmtpTransport, Transport};

use super::outbox::{self, OutboxEmail};
use crate::config::{MailSettings, MailTransportKind, SmtpSecurity};
use crate::db::{DbError, Pool};

/// How long a sender holds a message before another may retry it.
const CLAIM_SECONDS: i64 = 300;
/// Sending stops early in a batch once half its lease is gone.
const LEASE_MARGIN: Duration = Duration::from_secs(CLAIM_SECONDS as u64 / 2);
const BATCH: i64 = 100;
/// How long one pass keeps sending before the worker turns to its other jobs.
pub const PASS_LIMIT: Duration = Duration::from_secs(10);
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

pub enum MailTransport {
    File(FileTransport),
    Smtp(Box<SmtpTransport>),
}

impl MailTransport {
    pub fn from_settings(settings: &MailSettings) -> anyhow::Result<MailTransport> {
        match settings.transport {
            MailTransportKind::File => {
                std::fs::create_dir_all(&settings.file_dir).map_err(|e| {
                    anyhow::anyhow!("cannot create mail folder {}: {e}", settings.file_dir)
                })?;
                Ok(MailTransport::File(FileTransport::new(&settings.file_dir)))
            }
            MailTransportKind::Smtp => {
                let builder = match settings.smtp_security {
                    SmtpSecurity::None => SmtpTransport::builder_dangerous(&settings.smtp_host),
                    SmtpSecurity::Starttls => SmtpTransport::starttls_relay(&settings.smtp_host)?,
                    SmtpSecurity::Tls => SmtpTransport::relay(&settings.smtp_host)?,
                };
                let mut builder = builder.port(settings.smtp_port).timeout(Some(SMTP_TIMEOUT));
                if let (Some(user), Some(password)) =
                    (&settings.smtp_username, &settings.smtp_password)
                {
                    builder = builder
                        .credentials(Credentials::new(user.clone(), password.expose().to_owned()));
                }
                Ok(MailTransport::Smtp(Box::new(builder.build())))
            }
        }
    }

    fn send(&self, message: &Message) -> Result<(), String> {
        match self {
            MailTransport::File(transport) => transport
                .send(message)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            MailTransport::Smtp(transport) => transport
                .send(message)
                .map(|_| ())
                .map_err(|e| e.to_string()),
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
}

/// One pass: sends every due message, blocking (call from a blocking thread). Messages are
/// claimed and marked a batch at a time, a short transaction each, so a backlog costs two
/// commits per batch rather than two per message and only one batch is ever in memory. A
/// pass stops after [`PASS_LIMIT`]; the rest waits for the next one.
pub fn send_due(
    pool: &Pool,
    transport: &MailTransport,
    from: &str,
    now: NaiveDateTime,
) -> Result<SendReport, DbError> {
    let mut conn = pool.get()?;
    let mut report = SendReport::default();
    let started = Instant::now();
    loop {
        // A slow server can make a pass last minutes: each claim counts from the time it is
        // made, so a lease never starts out already expired.
        let claimed_at = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let until = claimed_at + chrono::Duration::seconds(CLAIM_SECONDS);
        let batch = conn.transaction(|conn| outbox::claim_due(conn, claimed_at, until, BATCH))?;
        let claimed = batch.len();
        let held = Instant::now();
        let mut sent = Vec::with_capacity(claimed);
        let mut failed = Vec::new();
        let mut unsent = Vec::new();
        for email in batch {
            if held.elapsed() > LEASE_MARGIN {
                // Half the lease gone: give the rest back rather than risk a second sender
                // taking them while this one still sends.
                unsent.push(email.id);
                continue;
            }
            let outcome = build_message(from, &email).and_then(|message| transport.send(&message));
            match outcome {
                Ok(()) => sent.push(email.id),
                Err(error) => {
                    let retry_at = claimed_at + backoff(email.attempts);
                    tracing::warn!(id = email.id, to = %email.to_address, attempts = email.attempts + 1, %error, "email not sent; will retry");
                    failed.push((email.id, retry_at, error));
                }
            }
        }
        conn.transaction(|conn| {
            outbox::mark_all_sent(conn, &sent, claimed_at)?;
            for (id, retry_at, error) in &failed {
                outbox::mark_failed(conn, *id, *retry_at, error)?;
            }
            outbox::release(conn, &unsent)
        })?;
        report.sent += sent.len();
        report.failed += failed.len();
        if claimed < BATCH as usize || !unsent.is_empty() || started.elapsed() > PASS_LIMIT {
            return Ok(report);
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
