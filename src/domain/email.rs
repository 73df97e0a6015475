//! E-mail addresses of users and supplier contacts.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Longest address that fits an SMTP forward-path (RFC 5321).
pub const MAX_EMAIL_LENGTH: usize = 254;
/// Longest local part allowed by RFC 5321.
pub const MAX_LOCAL_PART_LENGTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the e-mail address is empty")]
    Empty,
    #[error("the e-mail address is too long")]
    TooLong,
    #[error("this is not a valid e-mail address")]
    Invalid,
}

impl EmailError {
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::Empty => "email-empty",
            Self::TooLong => "email-too-long",
            Self::Invalid => "email-invalid",
        }
    }
}

/// An address we are willing to send mail to. The domain is lowercased
/// because it is case-insensitive; the local part is kept as typed because
/// some mail servers still treat it as case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.chars().count() > MAX_EMAIL_LENGTH {
            return Err(EmailError::TooLong);
        }
        // The library accepts display forms such as `<a@b.be>` and domain
        // literals; neither belongs in an address field.
        if trimmed
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '[' | ']'))
        {
            return Err(EmailError::Invalid);
        }
        let Some((local, domain)) = trimmed.rsplit_once('@') else {
            return Err(EmailError::Invalid);
        };
        // Checked before the library so that a long local part is reported
        // as too long rather than as invalid.
        if local.chars().count() > MAX_LOCAL_PART_LENGTH {
            return Err(EmailError::TooLong);
        }
        if !email_address::EmailAddress::is_valid(trimmed) {
            return Err(EmailError::Invalid);
        }
        // A dotless domain is valid in theory but never reachable from the
        // public internet, and is nearly always a typo (`name@gmailcom`).
        if local.is_empty() || !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(EmailError::Invalid);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn local_part(&self) -> &str {
        self.split().0
    }

    pub fn domain(&self) -> &str {
        self.split().1
    }

    fn split(&self) -> (&str, &str) {
        // Every stored address went through `parse`, which requires an '@'.
        self.0.rsplit_once('@').unwrap_or((&self.0, ""))
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Email {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> String {
        Email::parse(input)
            .unwrap_or_else(|e| panic!("{input:?} rejected: {e}"))
            .to_string()
    }

    fn err(input: &str) -> EmailError {
        Email::parse(input).expect_err(input)
    }

    #[test]
    fn accepts_ordinary_addresses() {
        for a in [
            "jan.peeters@bosa.fgov.be",
            "marie@example.be",
            "a@b.co",
            "first.last+tag@sub.domain.example",
            "o'brien@example.ie",
            "x_y-z@my-host.example.org",
            "1234@example.com",
        ] {
            assert_eq!(ok(a), a);
        }
    }

    #[test]
    fn trims_surrounding_whitespace() {
        assert_eq!(ok("  jan@example.be \n"), "jan@example.be");
        assert_eq!(ok("\tjan@example.be"), "jan@example.be");
    }

    #[test]
    fn lowercases_domain_but_keeps_local_part() {
        assert_eq!(ok("Jan.Peeters@Example.BE"), "Jan.Peeters@example.be");
        let e = Email::parse("MiXeD@DoMaIn.Org").unwrap();
        assert_eq!(e.local_part(), "MiXeD");
        assert_eq!(e.domain(), "domain.org");
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(err(""), EmailError::Empty);
        assert_eq!(err("   "), EmailError::Empty);
        assert_eq!(err("\n\t"), EmailError::Empty);
    }

    #[test]
    fn rejects_structurally_invalid_addresses() {
        for a in [
            "plainaddress",
            "@example.be",
            "jan@",
            "jan@@example.be",
            "jan@example",
            "jan@localhost",
            "jan@.example.be",
            "jan@example..be",
            "jan@example.be.",
            "jan..doe@example.be",
            ".jan@example.be",
            "jan.@example.be",
            "jan@exa mple.be",
            "jan doe@example.be",
            "jan@example.be\u{0}",
            "jan\u{7}@example.be",
            "jan@example\u{a0}.be",
            "<jan@example.be>",
            "Jan <jan@example.be>",
            "jan@[192.168.0.1]",
            "jan@-example.be",
            "jan(comment)@example.be",
        ] {
            assert_eq!(err(a), EmailError::Invalid, "{a:?}");
        }
    }

    #[test]
    fn length_limits_are_inclusive() {
        let local64 = "a".repeat(64);
        assert!(Email::parse(&format!("{local64}@example.be")).is_ok());
        let local65 = "a".repeat(65);
        assert_eq!(err(&format!("{local65}@example.be")), EmailError::TooLong);

        // 64 + 1 + 189 = 254 characters, built from labels of at most 63.
        let domain = format!(
            "{}.{}.{}.be",
            "d".repeat(63),
            "e".repeat(63),
            "f".repeat(58)
        );
        let at_limit = format!("{local64}@{domain}");
        assert_eq!(at_limit.len(), 254);
        assert!(Email::parse(&at_limit).is_ok(), "{at_limit}");
        let over = format!("{local64}@f{domain}");
        assert_eq!(over.len(), 255);
        assert_eq!(err(&over), EmailError::TooLong);
    }

    #[test]
    fn length_is_counted_after_trimming() {
        let local64 = "a".repeat(64);
        let domain = format!(
            "{}.{}.{}.be",
            "d".repeat(63),
            "e".repeat(63),
            "f".repeat(58)
        );
        assert!(Email::parse(&format!("   {local64}@{domain}   ")).is_ok());
    }

    #[test]
    fn very_long_garbage_is_too_long() {
        assert_eq!(err(&"x".repeat(1000)), EmailError::TooLong);
    }

    #[test]
    fn from_str_and_try_from() {
        let a: Email = "a@b.be".parse().unwrap();
        let b = Email::try_from(String::from("a@B.BE")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "a@b.be");
        assert_eq!(a.as_ref(), "a@b.be");
        assert_eq!(String::from(b), "a@b.be");
        assert!("nope".parse::<Email>().is_err());
    }

    #[test]
    fn serde_goes_through_parse() {
        let e: Email = serde_json::from_str("\" Jan@EXAMPLE.be \"").unwrap();
        assert_eq!(e.as_str(), "Jan@example.be");
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"Jan@example.be\"");
        assert!(serde_json::from_str::<Email>("\"not-an-email\"").is_err());
        assert!(serde_json::from_str::<Email>("\"\"").is_err());
    }

    #[test]
    fn messages_and_keys() {
        assert_eq!(EmailError::Empty.message_key(), "email-empty");
        assert_eq!(EmailError::TooLong.message_key(), "email-too-long");
        assert_eq!(EmailError::Invalid.message_key(), "email-invalid");
        assert_eq!(EmailError::Empty.to_string(), "the e-mail address is empty");
        assert_eq!(
            EmailError::TooLong.to_string(),
            "the e-mail address is too long"
        );
        assert_eq!(
            EmailError::Invalid.to_string(),
            "this is not a valid e-mail address"
        );
    }
}
