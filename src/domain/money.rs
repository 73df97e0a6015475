//! Amounts in euro, held as whole cents so that sums are exact.

use crate::domain::language::Language;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Highest price a person or an import may enter: 1 000 000 000,00 €. Far
/// above any catalogue line, low enough that quantity × price × VAT stays
/// well inside `i64`.
pub const MAX_PRICE: Cents = Cents(100_000_000_000);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the amount is empty")]
    Empty,
    #[error("this is not an amount in euro")]
    Invalid,
    #[error("the amount cannot be negative")]
    Negative,
    #[error("an amount has at most 2 decimals")]
    TooManyDecimals,
    #[error(
        "this amount is ambiguous: the separator could mark thousands or decimals; write it with two decimals, for example 1.234,00 or 1,23"
    )]
    Ambiguous,
    #[error("the amount is above the maximum of one billion euro")]
    TooLarge,
    #[error("the amount is too large to compute")]
    Overflow,
}

impl MoneyError {
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::Empty => "money-empty",
            Self::Invalid => "money-invalid",
            Self::Negative => "money-negative",
            Self::TooManyDecimals => "money-too-many-decimals",
            Self::Ambiguous => "money-ambiguous",
            Self::TooLarge => "money-too-large",
            Self::Overflow => "money-overflow",
        }
    }
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cents(i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    pub const fn new(cents: i64) -> Cents {
        Cents(cents)
    }

    pub fn from_euros(euros: i64) -> Option<Cents> {
        euros.checked_mul(100).map(Cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Exact value in euro, with scale 2 (1250 → 12.50).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// Rounds to the cent, half away from zero, the rounding the Belgian VAT
    /// administration and EN 16931 expect.
    pub fn from_decimal_rounded(value: Decimal) -> Result<Cents, MoneyError> {
        value
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
            .checked_mul(Decimal::ONE_HUNDRED)
            .and_then(|c| c.to_i64())
            .map(Cents)
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_add(self, other: Cents) -> Option<Cents> {
        self.0.checked_add(other.0).map(Cents)
    }

    pub fn checked_sub(self, other: Cents) -> Option<Cents> {
        self.0.checked_sub(other.0).map(Cents)
    }

    pub fn checked_mul(self, factor: u32) -> Option<Cents> {
        self.0.checked_mul(i64::from(factor)).map(Cents)
    }

    pub fn checked_neg(self) -> Option<Cents> {
        self.0.checked_neg().map(Cents)
    }

    /// Sum that reports overflow instead of wrapping or panicking; there is
    /// deliberately no `Add`/`Sum` impl so every total goes through here.
    pub fn sum_checked<I: IntoIterator<Item = Cents>>(amounts: I) -> Option<Cents> {
        amounts
            .into_iter()
            .try_fold(Cents::ZERO, |acc, c| acc.checked_add(c))
    }

    /// Reads a price typed by a person or found in a supplier's CSV, in
    /// French, Dutch or English notation. Inputs where a lone separator is
    /// followed by exactly three digits (`1.234`) are refused rather than
    /// guessed: reading 1 234 € as 1,23 € on a public contract is worse than
    /// asking again.
    pub fn parse_price(input: &str) -> Result<Cents, MoneyError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        reject_minus(s)?;
        let s = strip_currency(s);
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        reject_minus(s)?;
        if !s
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',' || is_group_space(c))
        {
            return Err(MoneyError::Invalid);
        }
        let (integer, fraction, grouping) = split_number(s)?;
        let euros = parse_integer_part(integer, grouping)?;
        let fraction_cents = parse_fraction(fraction)?;
        let cents = euros
            .checked_mul(100)
            .and_then(|c| c.checked_add(fraction_cents))
            .ok_or(MoneyError::TooLarge)?;
        if cents > MAX_PRICE.0 {
            return Err(MoneyError::TooLarge);
        }
        Ok(Cents(cents))
    }

    /// For people: `1 234,56 €` in French, `€ 1.234,56` in Dutch, with
    /// non-breaking spaces so the amount never wraps across lines.
    pub fn format(&self, lang: Language) -> String {
        let (whole, fraction) = self.split_abs();
        let minus = if self.is_negative() { "-" } else { "" };
        match lang {
            Language::Fr => format!(
                "{minus}{},{fraction:02}\u{a0}€",
                group_thousands(whole, '\u{202f}')
            ),
            // CLDR places the minus between the symbol and the digits in Dutch.
            Language::Nl => format!(
                "€\u{a0}{minus}{},{fraction:02}",
                group_thousands(whole, '.')
            ),
        }
    }

    /// Machine form for CSV, JSON and UBL: `1234.56`.
    pub fn to_plain_string(&self) -> String {
        let (whole, fraction) = self.split_abs();
        let minus = if self.is_negative() { "-" } else { "" };
        format!("{minus}{whole}.{fraction:02}")
    }

    fn split_abs(self) -> (u64, u64) {
        let abs = self.0.unsigned_abs();
        (abs / 100, abs % 100)
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_plain_string())
    }
}

fn is_minus(c: char) -> bool {
    // Word processors turn '-' into a minus sign or an en dash.
    matches!(c, '-' | '\u{2212}' | '\u{2013}')
}

fn reject_minus(s: &str) -> Result<(), MoneyError> {
    if s.starts_with(is_minus) || s.ends_with(is_minus) {
        Err(MoneyError::Negative)
    } else {
        Ok(())
    }
}

fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

fn strip_currency(s: &str) -> &str {
    if let Some(rest) = s.strip_prefix('€') {
        return rest.trim_start();
    }
    if let Some(rest) = s.strip_suffix('€') {
        return rest.trim_end();
    }
    if s.len() >= 3 && s.is_char_boundary(3) && s[..3].eq_ignore_ascii_case("EUR") {
        return s[3..].trim_start();
    }
    let n = s.len();
    if n >= 3 && s.is_char_boundary(n - 3) && s[n - 3..].eq_ignore_ascii_case("EUR") {
        return s[..n - 3].trim_end();
    }
    s
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Grouping {
    None,
    Spaces,
    Char(char),
}

/// Splits into integer digits (possibly grouped), decimal digits, and the
/// thousands separator in use.
fn split_number(s: &str) -> Result<(&str, Option<&str>, Grouping), MoneyError> {
    let spaced = s.chars().any(is_group_space);
    let space_grouping = if spaced {
        Grouping::Spaces
    } else {
        Grouping::None
    };
    let dots = s.matches('.').count();
    let commas = s.matches(',').count();

    match (dots, commas) {
        (0, 0) => Ok((s, None, space_grouping)),
        (d, c) if d > 0 && c > 0 => {
            if spaced {
                return Err(MoneyError::Invalid);
            }
            let last_dot = s.rfind('.').unwrap_or(0);
            let last_comma = s.rfind(',').unwrap_or(0);
            let (decimal, thousands, count) = if last_comma > last_dot {
                (',', '.', c)
            } else {
                ('.', ',', d)
            };
            if count > 1 {
                return Err(MoneyError::Invalid);
            }
            let (integer, fraction) = s.split_once(decimal).ok_or(MoneyError::Invalid)?;
            Ok((integer, Some(fraction), Grouping::Char(thousands)))
        }
        (d, c) => {
            let sep = if d > 0 { '.' } else { ',' };
            if d + c > 1 {
                if spaced {
                    return Err(MoneyError::Invalid);
                }
                return Ok((s, None, Grouping::Char(sep)));
            }
            let (integer, fraction) = s.split_once(sep).ok_or(MoneyError::Invalid)?;
            let looks_like_thousands = !spaced
                && fraction.len() == 3
                && fraction.bytes().all(|b| b.is_ascii_digit())
                && (1..=3).contains(&integer.len())
                && integer.bytes().all(|b| b.is_ascii_digit())
                && !integer.starts_with('0');
            if looks_like_thousands {
                return Err(MoneyError::Ambiguous);
            }
            Ok((integer, Some(fraction), space_grouping))
        }
    }
}

fn parse_integer_part(integer: &str, grouping: Grouping) -> Result<i64, MoneyError> {
    let digits: String = match grouping {
        Grouping::None => integer.to_owned(),
        Grouping::Spaces => join_groups(integer.split(is_group_space))?,
        Grouping::Char(sep) => join_groups(integer.split(sep))?,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MoneyError::Invalid);
    }
    digits.bytes().try_fold(0i64, |acc, b| {
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or(MoneyError::TooLarge)
    })
}

/// Thousands groups: the first has 1 to 3 digits, every other exactly 3.
fn join_groups<'a>(mut groups: impl Iterator<Item = &'a str>) -> Result<String, MoneyError> {
    let first = groups.next().unwrap_or("");
    let digits_only = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
    if !(1..=3).contains(&first.len()) || !digits_only(first) {
        return Err(MoneyError::Invalid);
    }
    let mut joined = first.to_owned();
    for group in groups {
        if group.len() != 3 || !digits_only(group) {
            return Err(MoneyError::Invalid);
        }
        joined.push_str(group);
    }
    Ok(joined)
}

fn parse_fraction(fraction: Option<&str>) -> Result<i64, MoneyError> {
    let Some(fraction) = fraction else {
        return Ok(0);
    };
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MoneyError::Invalid);
    }
    let b = fraction.as_bytes();
    match b.len() {
        1 => Ok(i64::from(b[0] - b'0') * 10),
        2 => Ok(i64::from(b[0] - b'0') * 10 + i64::from(b[1] - b'0')),
        _ => Err(MoneyError::TooManyDecimals),
    }
}

fn group_thousands(value: u64, separator: char) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn parse(s: &str) -> Result<i64, MoneyError> {
        Cents::parse_price(s).map(Cents::cents)
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn constructors_and_accessors() {
        assert_eq!(Cents::new(1250).cents(), 1250);
        assert_eq!(Cents::ZERO.cents(), 0);
        assert_eq!(Cents::default(), Cents::ZERO);
        assert_eq!(Cents::from_euros(12), Some(Cents::new(1200)));
        assert_eq!(Cents::from_euros(i64::MAX), None);
        assert!(Cents::ZERO.is_zero());
        assert!(Cents::new(-1).is_negative());
        assert!(!Cents::new(1).is_negative());
        assert_eq!(MAX_PRICE.cents(), 100_000_000_000);
    }

    #[test]
    fn to_decimal_keeps_two_decimals() {
        let d = Cents::new(1250).to_decimal();
        assert_eq!(d, dec("12.50"));
        assert_eq!(d.scale(), 2);
        assert_eq!(d.to_string(), "12.50");
        assert_eq!(Cents::new(-5).to_decimal().to_string(), "-0.05");
        assert_eq!(Cents::ZERO.to_decimal().to_string(), "0.00");
        assert_eq!(
            Cents::new(i64::MAX).to_decimal().to_string(),
            "92233720368547758.07"
        );
    }

    #[test]
    fn from_decimal_rounds_half_away_from_zero() {
        for (input, expected) in [
            ("12.50", 1250),
            ("12.5", 1250),
            ("12", 1200),
            ("0.125", 13),
            ("0.135", 14),
            ("0.124999", 12),
            ("0.005", 1),
            ("0.0049", 0),
            ("-0.125", -13),
            ("-0.005", -1),
            ("-0.0049", 0),
            ("2.675", 268),
            ("0.2079", 21),
            ("1.995", 200),
        ] {
            assert_eq!(
                Cents::from_decimal_rounded(dec(input)),
                Ok(Cents::new(expected)),
                "{input}"
            );
        }
    }

    #[test]
    fn from_decimal_overflow() {
        assert_eq!(
            Cents::from_decimal_rounded(Decimal::MAX),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Cents::from_decimal_rounded(dec("92233720368547758.08")),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Cents::from_decimal_rounded(dec("92233720368547758.07")),
            Ok(Cents::new(i64::MAX))
        );
        assert_eq!(
            Cents::from_decimal_rounded(dec("-92233720368547758.08")),
            Ok(Cents::new(i64::MIN))
        );
    }

    #[test]
    fn decimal_round_trip() {
        for c in [0, 1, -1, 99, 100, 123_456, -987_654, i64::MAX, i64::MIN] {
            let cents = Cents::new(c);
            assert_eq!(Cents::from_decimal_rounded(cents.to_decimal()), Ok(cents));
        }
    }

    #[test]
    fn checked_arithmetic() {
        let a = Cents::new(150);
        assert_eq!(a.checked_add(Cents::new(50)), Some(Cents::new(200)));
        assert_eq!(a.checked_sub(Cents::new(200)), Some(Cents::new(-50)));
        assert_eq!(a.checked_mul(3), Some(Cents::new(450)));
        assert_eq!(a.checked_mul(0), Some(Cents::ZERO));
        assert_eq!(a.checked_neg(), Some(Cents::new(-150)));
        assert_eq!(Cents::new(i64::MAX).checked_add(Cents::new(1)), None);
        assert_eq!(Cents::new(i64::MIN).checked_sub(Cents::new(1)), None);
        assert_eq!(Cents::new(i64::MAX).checked_mul(2), None);
        assert_eq!(Cents::new(i64::MIN).checked_neg(), None);
        assert_eq!(
            Cents::new(i64::MAX / i64::from(u32::MAX)).checked_mul(u32::MAX),
            Some(Cents::new(
                i64::MAX / i64::from(u32::MAX) * i64::from(u32::MAX)
            ))
        );
    }

    #[test]
    fn sum_checked() {
        assert_eq!(Cents::sum_checked([]), Some(Cents::ZERO));
        assert_eq!(
            Cents::sum_checked([Cents::new(1), Cents::new(2), Cents::new(3)]),
            Some(Cents::new(6))
        );
        assert_eq!(
            Cents::sum_checked(vec![Cents::new(i64::MAX), Cents::new(1)]),
            None
        );
        assert_eq!(
            Cents::sum_checked([Cents::new(i64::MAX), Cents::new(-1)]),
            Some(Cents::new(i64::MAX - 1))
        );
    }

    #[test]
    fn parse_plain_amounts() {
        for (input, expected) in [
            ("12", 1200),
            ("12.5", 1250),
            ("12.50", 1250),
            ("12,5", 1250),
            ("12,50", 1250),
            ("0", 0),
            ("0,01", 1),
            ("0.99", 99),
            ("007", 700),
            ("1234", 123_400),
            ("1234,56", 123_456),
            ("1234.56", 123_456),
            ("1234567.89", 123_456_789),
        ] {
            assert_eq!(parse(input), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn parse_thousands_separators() {
        for (input, expected) in [
            ("1 234,56", 123_456),
            ("1\u{a0}234,56", 123_456),
            ("1\u{202f}234,56", 123_456),
            ("1\u{2009}234,56", 123_456),
            ("1 234", 123_400),
            ("1 234 567,8", 123_456_780),
            ("1.234,56", 123_456),
            ("1.234.567,89", 123_456_789),
            ("1.234.567", 123_456_700),
            ("1,234.56", 123_456),
            ("1,234,567.89", 123_456_789),
            ("1,234,567", 123_456_700),
            ("999.999,99", 99_999_999),
            ("12 345.5", 1_234_550),
            ("1.000,5", 100_050),
        ] {
            assert_eq!(parse(input), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn parse_with_currency() {
        for (input, expected) in [
            ("€ 12,50", 1250),
            ("€12,50", 1250),
            ("12,50 €", 1250),
            ("12,50€", 1250),
            ("12,50\u{a0}€", 1250),
            ("€\u{a0}1.234,56", 123_456),
            ("EUR 12.50", 1250),
            ("EUR12.50", 1250),
            ("eur 12.50", 1250),
            ("12.50 EUR", 1250),
            ("12.50 eur", 1250),
            ("  € 12  ", 1200),
            ("1\u{202f}234,56\u{a0}€", 123_456),
        ] {
            assert_eq!(parse(input), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn parse_rejects_empty() {
        for input in ["", "   ", "€", " € ", "EUR", "\u{a0}"] {
            assert_eq!(parse(input), Err(MoneyError::Empty), "{input:?}");
        }
    }

    #[test]
    fn parse_rejects_negative() {
        for input in [
            "-1",
            "\u{2212}1",
            "\u{2013}1",
            "-0",
            "- 12,50",
            "€ -12,50",
            "-€ 12,50",
            "EUR -1",
            "12,50-",
            "-abc",
        ] {
            assert_eq!(parse(input), Err(MoneyError::Negative), "{input:?}");
        }
    }

    #[test]
    fn parse_rejects_too_many_decimals() {
        for input in [
            "1,2345",
            "12.345678",
            "0.125",
            "0,001",
            "1234.567",
            "1 234,567",
            "1.234,567",
            "1,234.567",
            "12 345.678",
        ] {
            assert_eq!(parse(input), Err(MoneyError::TooManyDecimals), "{input:?}");
        }
    }

    #[test]
    fn parse_rejects_ambiguous_single_separator_with_three_digits() {
        for input in [
            "1.234",
            "1,234",
            "12.345",
            "999,999",
            "€ 1.234",
            "1,000 EUR",
        ] {
            assert_eq!(parse(input), Err(MoneyError::Ambiguous), "{input:?}");
        }
    }

    #[test]
    fn parse_rejects_garbage() {
        for input in [
            "abc",
            "12a",
            "1e3",
            "+12",
            "12,50 $",
            "$12",
            "12..5",
            "12,,5",
            "1.2.3,4,5",
            "1,2.3,4",
            "1.234,56.78",
            ".",
            ",",
            ".5",
            ",50",
            "12.",
            "12,",
            "1 2",
            "12 50",
            "1  234",
            "1 234.567,89",
            "1 234,567.89",
            "1.234 567,89",
            "1,23,456.00",
            "1234.567,89",
            "1.23.456",
            "12.34.56",
            "€ 12 €",
            "€12EUR",
            "0x10",
            "１２",
            "12,5 0",
            "NaN",
        ] {
            assert_eq!(parse(input), Err(MoneyError::Invalid), "{input:?}");
        }
    }

    #[test]
    fn parse_maximum_is_inclusive() {
        assert_eq!(parse("1000000000"), Ok(100_000_000_000));
        assert_eq!(parse("1.000.000.000,00"), Ok(100_000_000_000));
        assert_eq!(parse("1 000 000 000,00 €"), Ok(100_000_000_000));
        assert_eq!(parse("1000000000,01"), Err(MoneyError::TooLarge));
        assert_eq!(parse("1000000001"), Err(MoneyError::TooLarge));
        assert_eq!(parse("99999999999999999999999"), Err(MoneyError::TooLarge));
        assert_eq!(
            parse("9,999,999,999,999,999,999,999.99"),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn format_french() {
        for (cents, expected) in [
            (0, "0,00\u{a0}€"),
            (5, "0,05\u{a0}€"),
            (1250, "12,50\u{a0}€"),
            (99_999, "999,99\u{a0}€"),
            (123_456, "1\u{202f}234,56\u{a0}€"),
            (123_456_789, "1\u{202f}234\u{202f}567,89\u{a0}€"),
            (
                100_000_000_000,
                "1\u{202f}000\u{202f}000\u{202f}000,00\u{a0}€",
            ),
            (-123_456, "-1\u{202f}234,56\u{a0}€"),
            (-1, "-0,01\u{a0}€"),
        ] {
            assert_eq!(Cents::new(cents).format(Language::Fr), expected, "{cents}");
        }
    }

    #[test]
    fn format_dutch() {
        for (cents, expected) in [
            (0, "€\u{a0}0,00"),
            (5, "€\u{a0}0,05"),
            (1250, "€\u{a0}12,50"),
            (123_456, "€\u{a0}1.234,56"),
            (12_345_678, "€\u{a0}123.456,78"),
            (123_456_789, "€\u{a0}1.234.567,89"),
            (-123_456, "€\u{a0}-1.234,56"),
        ] {
            assert_eq!(Cents::new(cents).format(Language::Nl), expected, "{cents}");
        }
    }

    #[test]
    fn format_extremes_do_not_panic() {
        assert_eq!(
            Cents::new(i64::MIN).format(Language::Nl),
            "€\u{a0}-92.233.720.368.547.758,08"
        );
        assert_eq!(
            Cents::new(i64::MAX).format(Language::Fr),
            "92\u{202f}233\u{202f}720\u{202f}368\u{202f}547\u{202f}758,07\u{a0}€"
        );
    }

    #[test]
    fn plain_string() {
        for (cents, expected) in [
            (0, "0.00"),
            (1, "0.01"),
            (10, "0.10"),
            (1250, "12.50"),
            (123_456, "1234.56"),
            (-5, "-0.05"),
            (-123_456, "-1234.56"),
            (i64::MIN, "-92233720368547758.08"),
        ] {
            assert_eq!(Cents::new(cents).to_plain_string(), expected);
            assert_eq!(Cents::new(cents).to_string(), expected);
        }
    }

    #[test]
    fn serde_is_a_plain_integer_of_cents() {
        assert_eq!(serde_json::to_string(&Cents::new(1250)).unwrap(), "1250");
        assert_eq!(serde_json::from_str::<Cents>("-3").unwrap(), Cents::new(-3));
        assert!(serde_json::from_str::<Cents>("12.5").is_err());
    }

    #[test]
    fn ordering() {
        assert!(Cents::new(-1) < Cents::ZERO);
        assert!(Cents::new(100) > Cents::new(99));
    }

    #[test]
    fn messages_and_keys() {
        let all = [
            (MoneyError::Empty, "money-empty"),
            (MoneyError::Invalid, "money-invalid"),
            (MoneyError::Negative, "money-negative"),
            (MoneyError::TooManyDecimals, "money-too-many-decimals"),
            (MoneyError::Ambiguous, "money-ambiguous"),
            (MoneyError::TooLarge, "money-too-large"),
            (MoneyError::Overflow, "money-overflow"),
        ];
        for (e, key) in all {
            assert_eq!(e.message_key(), key);
            assert!(!e.to_string().is_empty());
        }
        assert_eq!(
            MoneyError::Negative.to_string(),
            "the amount cannot be negative"
        );
        assert_eq!(
            MoneyError::TooManyDecimals.to_string(),
            "an amount has at most 2 decimals"
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn every_format_parses_back(c in 0..=MAX_PRICE.cents()) {
                let cents = Cents::new(c);
                prop_assert_eq!(Cents::parse_price(&cents.to_plain_string()), Ok(cents));
                prop_assert_eq!(Cents::parse_price(&cents.format(Language::Fr)), Ok(cents));
                prop_assert_eq!(Cents::parse_price(&cents.format(Language::Nl)), Ok(cents));
            }

            #[test]
            fn negative_formats_are_refused(c in 1..=MAX_PRICE.cents()) {
                let cents = Cents::new(-c);
                prop_assert_eq!(Cents::parse_price(&cents.to_plain_string()), Err(MoneyError::Negative));
                prop_assert_eq!(Cents::parse_price(&cents.format(Language::Fr)), Err(MoneyError::Negative));
                prop_assert_eq!(Cents::parse_price(&cents.format(Language::Nl)), Err(MoneyError::Negative));
            }

            #[test]
            fn parse_never_panics(s in "\\PC{0,24}") {
                let _ = Cents::parse_price(&s);
            }

            #[test]
            fn parse_of_separator_soup_never_panics(s in "[0-9.,€ \u{a0}\u{202f}-]{0,16}") {
                if let Ok(c) = Cents::parse_price(&s) {
                    prop_assert!(c >= Cents::ZERO && c <= MAX_PRICE);
                }
            }

            #[test]
            fn decimal_round_trip(c in any::<i64>()) {
                let cents = Cents::new(c);
                prop_assert_eq!(Cents::from_decimal_rounded(cents.to_decimal()), Ok(cents));
            }
        }
    }
}
