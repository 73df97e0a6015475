//! Belgian enterprise number (KBO/BCE), the key by which suppliers and
//! institutions are known to the Crossroads Bank for Enterprises and, with
//! a `BE` prefix, to the VAT administration.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnterpriseNumberError {
    #[error("the enterprise number is empty")]
    Empty,
    #[error("'{0}' is not allowed in an enterprise number, which has only digits")]
    InvalidCharacter(char),
    #[error("an enterprise number has 10 digits, this one has {digits}")]
    WrongLength { digits: usize },
    #[error("an enterprise number starts with 0 or 1")]
    InvalidFirstDigit,
    #[error(
        "this enterprise number does not exist: its check digits do not match, look for a typo"
    )]
    ChecksumMismatch,
}

impl EnterpriseNumberError {
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::Empty => "enterprise-number-empty",
            Self::InvalidCharacter(_) => "enterprise-number-invalid-character",
            Self::WrongLength { .. } => "enterprise-number-wrong-length",
            Self::InvalidFirstDigit => "enterprise-number-first-digit",
            Self::ChecksumMismatch => "enterprise-number-checksum",
        }
    }
}

/// A checked enterprise number, stored as its 10 bare digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnterpriseNumber(String);

impl EnterpriseNumber {
    /// Accepts the forms people copy from the KBO/BCE site, invoices and VAT
    /// listings: dotted, spaced, with a `BE` prefix, and the 9-digit form that
    /// predates the leading `0`.
    pub fn parse(input: &str) -> Result<Self, EnterpriseNumberError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EnterpriseNumberError::Empty);
        }
        let body = strip_country_prefix(trimmed);

        let mut digits = String::with_capacity(10);
        for c in body.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !is_separator(c) {
                return Err(EnterpriseNumberError::InvalidCharacter(c));
            }
        }

        match digits.len() {
            0 => return Err(EnterpriseNumberError::Empty),
            9 => digits.insert(0, '0'),
            10 => {}
            n => return Err(EnterpriseNumberError::WrongLength { digits: n }),
        }

        if !digits.starts_with(['0', '1']) {
            return Err(EnterpriseNumberError::InvalidFirstDigit);
        }
        if !checksum_matches(&digits) {
            return Err(EnterpriseNumberError::ChecksumMismatch);
        }
        Ok(Self(digits))
    }

    /// The 10 bare digits, as stored and exchanged with other systems.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `0403.019.261` form the KBO/BCE itself displays.
    pub fn formatted(&self) -> String {
        let d = &self.0;
        format!("{}.{}.{}", &d[0..4], &d[4..7], &d[7..10])
    }

    /// The Belgian VAT number is the enterprise number with the country code.
    pub fn vat_number(&self) -> String {
        format!("BE{}", self.0)
    }

    /// PEPPOL participant identifier under scheme 0208, the Belgian
    /// enterprise-number scheme used for e-invoicing to public bodies.
    pub fn peppol_identifier(&self) -> String {
        format!("0208:{}", self.0)
    }
}

fn strip_country_prefix(s: &str) -> &str {
    match s.get(..2) {
        Some(prefix) if prefix.eq_ignore_ascii_case("BE") => &s[2..],
        _ => s,
    }
}

// Non-breaking spaces show up when numbers are pasted from web pages and
// office documents.
fn is_separator(c: char) -> bool {
    matches!(c, '.' | '-' | '/') || c.is_whitespace()
}

fn checksum_matches(ten_digits: &str) -> bool {
    let (Ok(base), Ok(check)) = (
        ten_digits[..8].parse::<u32>(),
        ten_digits[8..].parse::<u32>(),
    ) else {
        return false;
    };
    97 - base % 97 == check
}

impl fmt::Display for EnterpriseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl FromStr for EnterpriseNumber {
    type Err = EnterpriseNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for EnterpriseNumber {
    type Error = EnterpriseNumberError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl TryFrom<&str> for EnterpriseNumber {
    type Error = EnterpriseNumberError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<EnterpriseNumber> for String {
    fn from(value: EnterpriseNumber) -> Self {
        value.0
    }
}

impl AsRef<str> for EnterpriseNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnterpriseNumberError as E;

    fn ok(input: &str) -> String {
        EnterpriseNumber::parse(input)
            .unwrap_or_else(|e| panic!("{input:?} rejected: {e}"))
            .as_str()
            .to_owned()
    }

    fn err(input: &str) -> EnterpriseNumberError {
        EnterpriseNumber::parse(input).expect_err(input)
    }

    #[test]
    fn known_valid_numbers() {
        for n in ["0403019261", "0428759497", "0202239951", "0417497106"] {
            assert_eq!(ok(n), n);
        }
    }

    #[test]
    fn accepts_every_usual_notation() {
        for input in [
            "0403.019.261",
            "0403 019 261",
            "BE0403019261",
            "be 0403.019.261",
            "BE-0403.019.261",
            "Be0403019261",
            "bE 0403 019 261",
            "0403019261",
            "403019261",
            "403.019.261",
            "BE403019261",
            "  0403.019.261  ",
            "\t0403019261\n",
            "0403\u{a0}019\u{a0}261",
            "0403-019-261",
            "0403/019/261",
        ] {
            assert_eq!(ok(input), "0403019261", "{input:?}");
        }
    }

    #[test]
    fn numbers_starting_with_one_are_valid() {
        // 10000000 mod 97 = 76, so the check digits are 21.
        assert_eq!(ok("1000.000.021"), "1000000021");
        assert_eq!(err("1000000022"), E::ChecksumMismatch);
    }

    #[test]
    fn remainder_zero_gives_check_digits_97() {
        // 97 * 41237 = 3999989, a multiple of 97 padded to eight digits.
        assert_eq!(ok("0399998997"), "0399998997");
        assert_eq!(err("0399998900"), E::ChecksumMismatch);
    }

    #[test]
    fn rejects_wrong_checksum() {
        assert_eq!(err("0431150351"), E::ChecksumMismatch);
        assert_eq!(err("0403019262"), E::ChecksumMismatch);
        assert_eq!(err("0403.019.260"), E::ChecksumMismatch);
        assert_eq!(err("0430019261"), E::ChecksumMismatch);
    }

    #[test]
    fn rejects_wrong_first_digit() {
        assert_eq!(err("2403019261"), E::InvalidFirstDigit);
        assert_eq!(err("9403019261"), E::InvalidFirstDigit);
        assert_eq!(err("BE2403019261"), E::InvalidFirstDigit);
    }

    #[test]
    fn rejects_empty_input() {
        assert_eq!(err(""), E::Empty);
        assert_eq!(err("   "), E::Empty);
        assert_eq!(err("BE"), E::Empty);
        assert_eq!(err("..."), E::Empty);
    }

    #[test]
    fn rejects_wrong_lengths() {
        assert_eq!(err("12345678"), E::WrongLength { digits: 8 });
        assert_eq!(err("04030192611"), E::WrongLength { digits: 11 });
        assert_eq!(err("1"), E::WrongLength { digits: 1 });
        assert_eq!(err("BE 0403.019"), E::WrongLength { digits: 7 });
    }

    #[test]
    fn nine_digit_input_too_short_after_prefixing_is_still_checked() {
        // "040301926" becomes "0040301926", whose checksum fails.
        assert_eq!(err("040301926"), E::ChecksumMismatch);
    }

    #[test]
    fn rejects_foreign_characters() {
        assert_eq!(err("0403O19261"), E::InvalidCharacter('O'));
        assert_eq!(err("0403,019,261"), E::InvalidCharacter(','));
        assert_eq!(err("FR0403019261"), E::InvalidCharacter('F'));
        assert_eq!(err("0403019261BE"), E::InvalidCharacter('B'));
        assert_eq!(err("BEBE0403019261"), E::InvalidCharacter('B'));
        assert_eq!(err("+0403019261"), E::InvalidCharacter('+'));
        assert_eq!(err("é0403019261"), E::InvalidCharacter('é'));
    }

    #[test]
    fn multibyte_first_char_does_not_panic() {
        assert_eq!(err("€"), E::InvalidCharacter('€'));
        assert_eq!(err("ü"), E::InvalidCharacter('ü'));
    }

    #[test]
    fn output_forms() {
        let n = EnterpriseNumber::parse("be 403.019.261").unwrap();
        assert_eq!(n.as_str(), "0403019261");
        assert_eq!(n.formatted(), "0403.019.261");
        assert_eq!(n.vat_number(), "BE0403019261");
        assert_eq!(n.peppol_identifier(), "0208:0403019261");
        assert_eq!(n.to_string(), "0403.019.261");
        assert_eq!(n.as_ref(), "0403019261");
    }

    #[test]
    fn formatted_output_parses_back() {
        for n in ["0403019261", "0428759497", "0202239951", "0417497106"] {
            let parsed = EnterpriseNumber::parse(n).unwrap();
            assert_eq!(
                EnterpriseNumber::parse(&parsed.formatted()).unwrap(),
                parsed
            );
            assert_eq!(
                EnterpriseNumber::parse(&parsed.vat_number()).unwrap(),
                parsed
            );
        }
    }

    #[test]
    fn from_str_and_try_from() {
        let a: EnterpriseNumber = "0428.759.497".parse().unwrap();
        let b = EnterpriseNumber::try_from(String::from("BE0428759497")).unwrap();
        let c = EnterpriseNumber::try_from("428759497").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(String::from(a), "0428759497");
        assert!("x".parse::<EnterpriseNumber>().is_err());
    }

    #[test]
    fn serializes_as_bare_digits() {
        let n = EnterpriseNumber::parse("0417.497.106").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"0417497106\"");
    }

    #[test]
    fn deserializes_through_parse() {
        let n: EnterpriseNumber = serde_json::from_str("\"BE 0417.497.106\"").unwrap();
        assert_eq!(n.as_str(), "0417497106");
        let e = serde_json::from_str::<EnterpriseNumber>("\"0431150351\"").unwrap_err();
        assert!(e.to_string().contains("check digits"), "{e}");
        assert!(serde_json::from_str::<EnterpriseNumber>("403019261").is_err());
    }

    #[test]
    fn error_messages_are_readable() {
        assert_eq!(
            E::WrongLength { digits: 8 }.to_string(),
            "an enterprise number has 10 digits, this one has 8"
        );
        assert_eq!(
            E::InvalidCharacter('x').to_string(),
            "'x' is not allowed in an enterprise number, which has only digits"
        );
        assert_eq!(E::Empty.to_string(), "the enterprise number is empty");
        assert_eq!(
            E::InvalidFirstDigit.to_string(),
            "an enterprise number starts with 0 or 1"
        );
        assert!(E::ChecksumMismatch.to_string().contains("typo"));
    }

    #[test]
    fn message_keys_are_stable() {
        assert_eq!(E::Empty.message_key(), "enterprise-number-empty");
        assert_eq!(
            E::InvalidCharacter('a').message_key(),
            "enterprise-number-invalid-character"
        );
        assert_eq!(
            E::WrongLength { digits: 3 }.message_key(),
            "enterprise-number-wrong-length"
        );
        assert_eq!(
            E::InvalidFirstDigit.message_key(),
            "enterprise-number-first-digit"
        );
        assert_eq!(
            E::ChecksumMismatch.message_key(),
            "enterprise-number-checksum"
        );
    }

    #[test]
    fn every_generated_valid_number_is_accepted_and_neighbours_rejected() {
        for base in (0u32..20_000_000).step_by(999_983) {
            let check = 97 - base % 97;
            let digits = format!("{base:08}{check:02}");
            assert_eq!(ok(&digits), digits);
            let wrong_check = if check == 97 { 1 } else { check + 1 };
            let wrong = format!("{base:08}{wrong_check:02}");
            assert_eq!(err(&wrong), E::ChecksumMismatch, "{wrong}");
        }
    }

    /// A valid number: eight digits starting with 0 or 1, and their check digits.
    fn valid() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        (0u32..20_000_000).prop_map(|base| format!("{base:08}{:02}", 97 - base % 97))
    }

    proptest::proptest! {
        /// No text, however odd, makes parsing panic; what it accepts is always ten digits
        /// starting with 0 or 1 whose check digits hold.
        #[test]
        fn any_text_parses_or_is_refused(input in "\\PC{0,40}|[0-9 .\\-/BEbe\u{a0}\u{2007}٣]{0,24}") {
            if let Ok(number) = EnterpriseNumber::parse(&input) {
                let digits = number.as_str();
                proptest::prop_assert_eq!(digits.len(), 10);
                proptest::prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                proptest::prop_assert!(digits.starts_with(['0', '1']));
                proptest::prop_assert!(checksum_matches(digits));
            }
        }

        /// Every valid number reads back from each form it is shown in, and from the
        /// notations people type (separators anywhere, BE prefix, spaces around).
        #[test]
        fn valid_numbers_round_trip(
            digits in valid(),
            separators in proptest::collection::vec(proptest::sample::select(vec!["", ".", " ", "-", "/", "\u{a0}"]), 10),
            prefix in proptest::sample::select(vec!["", "BE", "be", "BE ", " "]),
        ) {
            let number = EnterpriseNumber::parse(&digits).unwrap();
            proptest::prop_assert_eq!(number.as_str(), digits.as_str());
            for shown in [number.to_string(), number.formatted(), number.vat_number()] {
                proptest::prop_assert_eq!(&EnterpriseNumber::parse(&shown).unwrap(), &number);
            }
            proptest::prop_assert_eq!(number.peppol_identifier(), format!("0208:{digits}"));
            let typed: String = digits.chars().zip(&separators).map(|(d, s)| format!("{d}{s}")).collect();
            let typed = format!("{prefix}{typed} ");
            proptest::prop_assert_eq!(&EnterpriseNumber::parse(&typed).unwrap(), &number, "{:?}", typed);
            let json = serde_json::to_string(&number).unwrap();
            proptest::prop_assert_eq!(serde_json::from_str::<EnterpriseNumber>(&json).unwrap(), number);
        }

        /// Ten digits starting with 0 or 1 are accepted exactly when 97 - (first eight mod 97)
        /// equals the last two; a number starting with 2 to 9 never is.
        #[test]
        fn the_check_digit_rule(base in 0u32..100_000_000, check in 0u32..100) {
            let digits = format!("{base:08}{check:02}");
            let result = EnterpriseNumber::parse(&digits);
            if base >= 20_000_000 {
                proptest::prop_assert_eq!(result, Err(EnterpriseNumberError::InvalidFirstDigit));
            } else if 97 - base % 97 == check {
                proptest::prop_assert!(result.is_ok());
            } else {
                proptest::prop_assert_eq!(result, Err(EnterpriseNumberError::ChecksumMismatch));
            }
        }

        /// Any single mistyped digit of a valid number is caught.
        #[test]
        fn a_single_wrong_digit_is_caught(digits in valid(), position in 0usize..10, delta in 1u8..10) {
            let mut bytes = digits.into_bytes();
            bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).unwrap();
            proptest::prop_assert!(EnterpriseNumber::parse(&typo).is_err(), "{}", typo);
        }
    }
}
