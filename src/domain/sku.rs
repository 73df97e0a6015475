//! Supplier article references. They are normalised to upper case so that
//! an import and a person typing the same reference always match.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub const MAX_SKU_LENGTH: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkuError {
    #[error("the article reference is empty")]
    Empty,
    #[error("an article reference has at most {MAX_SKU_LENGTH} characters, this one has {length}")]
    TooLong { length: usize },
    #[error(
        "'{0}' is not allowed in an article reference, which uses letters, digits, '-', '_' and '.'"
    )]
    InvalidCharacter(char),
}

impl SkuError {
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::Empty => "sku-empty",
            Self::TooLong { .. } => "sku-too-long",
            Self::InvalidCharacter(_) => "sku-invalid-character",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sku(String);

impl Sku {
    pub fn parse(input: &str) -> Result<Sku, SkuError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(SkuError::Empty);
        }
        if let Some(bad) = trimmed
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(SkuError::InvalidCharacter(bad));
        }
        // Only ASCII remains, so bytes and characters coincide.
        if trimmed.len() > MAX_SKU_LENGTH {
            return Err(SkuError::TooLong {
                length: trimmed.len(),
            });
        }
        Ok(Sku(trimmed.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Sku {
    type Err = SkuError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sku::parse(s)
    }
}

impl TryFrom<String> for Sku {
    type Error = SkuError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Sku::parse(&value)
    }
}

impl From<Sku> for String {
    fn from(value: Sku) -> Self {
        value.0
    }
}

impl AsRef<str> for Sku {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> String {
        Sku::parse(input)
            .unwrap_or_else(|e| panic!("{input:?} rejected: {e}"))
            .to_string()
    }

    fn err(input: &str) -> SkuError {
        Sku::parse(input).expect_err(input)
    }

    #[test]
    fn accepts_and_uppercases() {
        for (input, expected) in [
            ("ABC-123", "ABC-123"),
            ("abc-123", "ABC-123"),
            ("Mask_FFP2.50", "MASK_FFP2.50"),
            ("  x1  ", "X1"),
            ("7", "7"),
            ("a.b-c_d", "A.B-C_D"),
            ("---", "---"),
        ] {
            assert_eq!(ok(input), expected, "{input:?}");
        }
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(err(""), SkuError::Empty);
        assert_eq!(err("   "), SkuError::Empty);
        assert_eq!(err("\t\n"), SkuError::Empty);
    }

    #[test]
    fn length_limit_is_inclusive() {
        assert_eq!(ok(&"a".repeat(40)), "A".repeat(40));
        assert_eq!(err(&"a".repeat(41)), SkuError::TooLong { length: 41 });
        assert_eq!(ok(&format!("  {}  ", "b".repeat(40))), "B".repeat(40));
    }

    #[test]
    fn rejects_other_characters() {
        for (input, bad) in [
            ("AB C", ' '),
            ("AB/C", '/'),
            ("ÄBC", 'Ä'),
            ("ABC€", '€'),
            ("A+B", '+'),
            ("A,B", ','),
            ("a\u{0}", '\u{0}'),
            ("ＡＢＣ", 'Ａ'),
            ("ß", 'ß'),
        ] {
            assert_eq!(err(input), SkuError::InvalidCharacter(bad), "{input:?}");
        }
    }

    #[test]
    fn long_input_with_a_bad_character_reports_the_character() {
        assert_eq!(
            err(&format!("{}é", "a".repeat(50))),
            SkuError::InvalidCharacter('é')
        );
    }

    #[test]
    fn equality_ignores_input_case() {
        assert_eq!(Sku::parse("abc").unwrap(), Sku::parse("ABC").unwrap());
    }

    #[test]
    fn conversions_and_serde() {
        let s: Sku = "ab-1".parse().unwrap();
        assert_eq!(s.as_str(), "AB-1");
        assert_eq!(s.as_ref(), "AB-1");
        assert_eq!(Sku::try_from(String::from(" ab-1")).unwrap(), s);
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"AB-1\"");
        assert_eq!(serde_json::from_str::<Sku>("\"ab-1\"").unwrap(), s);
        assert!(serde_json::from_str::<Sku>("\"a b\"").is_err());
        assert!(serde_json::from_str::<Sku>("\"\"").is_err());
        assert_eq!(String::from(s), "AB-1");
    }

    #[test]
    fn messages_and_keys() {
        assert_eq!(SkuError::Empty.message_key(), "sku-empty");
        assert_eq!(
            SkuError::TooLong { length: 41 }.message_key(),
            "sku-too-long"
        );
        assert_eq!(
            SkuError::InvalidCharacter('x').message_key(),
            "sku-invalid-character"
        );
        assert_eq!(
            SkuError::TooLong { length: 41 }.to_string(),
            "an article reference has at most 40 characters, this one has 41"
        );
        assert_eq!(
            SkuError::Empty.to_string(),
            "the article reference is empty"
        );
        assert_eq!(
            SkuError::InvalidCharacter('/').to_string(),
            "'/' is not allowed in an article reference, which uses letters, digits, '-', '_' and '.'"
        );
    }
}
