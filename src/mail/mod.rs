//! All mail goes through here. A message is rendered from `templates/mail/<name>/` in the
//! recipient's language (subject, plain text and HTML), written to the outbox in the same
//! transaction as the change that causes it, and sent later by the worker ([`sender`]).
//! An SMTP outage therefore delays mail but never loses it, and each message keeps one
//! Message-ID across retries so a duplicate delivery can be recognised.

pub mod outbox;
pub mod sender;

use chrono::NaiveDateTime;
use handlebars::Handlebars;
use rand::RngCore;
use serde::Serialize;

use crate::assets::Templates;
use crate::db::{Conn, DbError};
use crate::domain::Language;

/// The mail templates, in two registries: HTML parts are escaped, subjects and plain-text
/// parts are not (an "&" in a supplier's name must stay an "&" in a text email).
pub struct MailTemplates {
    html: Handlebars<'static>,
    text: Handlebars<'static>,
    domain: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A message to queue: which template, for whom, with what data.
pub struct OutgoingEmail<'a, T: Serialize> {
    pub template: &'a str,
    pub language: Language,
    pub to_address: &'a str,
    pub to_name: &'a str,
    pub data: &'a T,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail template {0}: {1}")]
    Template(String, String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<MailError> for crate::error::ServiceError {
    fn from(error: MailError) -> Self {
        match error {
            MailError::Db(db) => db.into(),
            other => crate::error::ServiceError::Other(anyhow::anyhow!(other.to_string())),
        }
    }
}

impl MailTemplates {
    /// Loads every `templates/mail/**` file; `sender_address` gives the Message-ID domain.
    pub fn load(sender_address: &str) -> anyhow::Result<MailTemplates> {
        let mut html = Handlebars::new();
        let mut text = Handlebars::new();
        text.register_escape_fn(handlebars::no_escape);
        for registry in [&mut html, &mut text] {
            registry.set_strict_mode(true);
            crate::templating::register_formatting_helpers(registry);
        }
        for path in Templates::iter().filter(|p| p.starts_with("mail/")) {
            let Some(name) = path.strip_suffix(".hbs") else {
                continue;
            };
            let file =
                Templates::get(&path).ok_or_else(|| anyhow::anyhow!("template {path} vanished"))?;
            let source = String::from_utf8(file.data.into_owned())?;
            let registry = if name.ends_with(".html") || name.starts_with("mail/partials/") {
                &mut html
            } else {
                &mut text
            };
            registry
                .register_template_string(name, source)
                .map_err(|e| anyhow::anyhow!("template {path}: {e}"))?;
        }
        Ok(MailTemplates {
            html,
            text,
            domain: message_id_domain(sender_address),
        })
    }

    pub fn render<T: Serialize>(
        &self,
        template: &str,
        language: Language,
        data: &T,
    ) -> Result<RenderedEmail, MailError> {
        let base = format!("mail/{template}/{}", language.code());
        let context = serde_json::json!({ "lang": language.code(), "data": data });
        let render_text = |part: &str| {
            self.text
                .render(&format!("{base}.{part}"), &context)
                .map_err(|e| MailError::Template(format!("{base}.{part}"), e.to_string()))
        };
        let subject = render_text("subject")?.trim().replace(['\r', '\n'], " ");
        let text = render_text("txt")?;
        let html = self
            .html
            .render(&format!("{base}.html"), &context)
            .map_err(|e| MailError::Template(format!("{base}.html"), e.to_string()))?;
        Ok(RenderedEmail {
            subject,
            text,
            html,
        })
    }

    /// A globally unique Message-ID, chosen once when the message is queued.
    pub fn new_message_id(&self) -> String {
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("<{hex}@{}>", self.domain)
    }

    /// Renders `email` and writes it to the outbox on `conn`, inside the caller's transaction.
    pub fn enqueue<T: Serialize>(
        &self,
        conn: &mut Conn,
        now: NaiveDateTime,
        email: &OutgoingEmail<'_, T>,
    ) -> Result<i64, MailError> {
        let ready = self.prepare(email)?;
        Ok(outbox::insert(conn, &ready.row(now))?)
    }

    /// Renders `email` with its Message-ID, ready for the outbox: rendering can then happen
    /// before the transaction that queues it, and many messages go in with one statement.
    pub fn prepare<T: Serialize>(
        &self,
        email: &OutgoingEmail<'_, T>,
    ) -> Result<ReadyEmail, MailError> {
        let rendered = self.render(email.template, email.language, email.data)?;
        Ok(ReadyEmail {
            message_id: self.new_message_id(),
            template: email.template.to_owned(),
            language: email.language,
            to_address: email.to_address.to_owned(),
            to_name: email.to_name.to_owned(),
            rendered,
        })
    }
}

/// A rendered message not yet in the outbox.
#[derive(Debug, Clone)]
pub struct ReadyEmail {
    pub message_id: String,
    pub template: String,
    pub language: Language,
    pub to_address: String,
    pub to_name: String,
    pub rendered: RenderedEmail,
}

impl ReadyEmail {
    pub fn row(&self, now: NaiveDateTime) -> outbox::NewOutboxEmail<'_> {
        outbox::NewOutboxEmail {
            message_id: &self.message_id,
            template: &self.template,
            language: self.language.code(),
            to_address: &self.to_address,
            to_name: &self.to_name,
            subject: &self.rendered.subject,
            body_text: &self.rendered.text,
            body_html: &self.rendered.html,
            created_at: now,
            next_attempt_at: now,
        }
    }
}

/// Queues rendered messages, in the order given, inside the caller's transaction.
pub fn enqueue_ready(
    conn: &mut Conn,
    now: NaiveDateTime,
    emails: &[ReadyEmail],
) -> Result<(), DbError> {
    let rows: Vec<outbox::NewOutboxEmail<'_>> = emails.iter().map(|e| e.row(now)).collect();
    outbox::insert_many(conn, &rows)
}

/// The domain part of the sender's address ("centrale <no-reply@x.example>" → "x.example").
fn message_id_domain(sender: &str) -> String {
    sender
        .rsplit('@')
        .next()
        .map(|d| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty() && !d.contains(' '))
        .unwrap_or("centrale.local")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_unique_and_use_the_sender_domain() {
        let templates =
            MailTemplates::load("centrale <no-reply@shop.example>").expect("templates load");
        let a = templates.new_message_id();
        let b = templates.new_message_id();
        assert_ne!(a, b);
        assert!(a.starts_with('<') && a.ends_with("@shop.example>"), "{a}");
    }

    #[test]
    fn domain_falls_back_when_the_sender_has_none() {
        assert_eq!(message_id_domain("no-reply@a.example"), "a.example");
        assert_eq!(message_id_domain("nobody"), "nobody");
        assert_eq!(message_id_domain(""), "centrale.local");
    }

    #[test]
    fn every_mail_template_exists_in_both_languages_with_three_parts() {
        let names: std::collections::BTreeSet<String> = Templates::iter()
            .filter_map(|p| p.strip_prefix("mail/").map(str::to_owned))
            .filter(|p| !p.starts_with("partials/"))
            .filter_map(|p| p.split('/').next().map(str::to_owned))
            .collect();
        assert!(!names.is_empty());
        for name in names {
            for language in ["fr", "nl"] {
                for part in ["subject", "txt", "html"] {
                    let path = format!("mail/{name}/{language}.{part}.hbs");
                    assert!(Templates::get(&path).is_some(), "missing {path}");
                }
            }
        }
    }
}
