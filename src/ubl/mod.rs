//! PEPPOL BIS Ordering 3 documents in UBL 2.1: the Order (T01) the shop sends to the supplier
//! a cascade picked, and the Order Response (T76) the supplier sends back.
//!
//! Pure code: callers map their rows into the input structs and hand bytes to and from the
//! access point themselves.

pub mod order;
pub mod order_response;

pub use order::{
    render_order, DeliveryLocation, DocumentTotals, OrderDocument, OrderLine, Party,
    ORDERING_PROFILE_ID, ORDER_CUSTOMIZATION_ID,
};
pub use order_response::{
    parse_order_response, LineResponse, LineStatus, OrderResponse, ResponseCode, MAX_DEPTH,
    MAX_INPUT_BYTES, MAX_LINES,
};

pub(crate) const NS_CAC: &str =
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
pub(crate) const NS_CBC: &str =
    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
pub(crate) const NS_ORDER: &str = "urn:oasis:names:specification:ubl:schema:xsd:Order-2";
pub(crate) const NS_ORDER_RESPONSE: &str =
    "urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2";

/// Why a document could not be rendered or read. The messages are written for the
/// developer on the other side (ours when rendering, the supplier's when parsing), so they
/// name the UBL element or input field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UblError {
    // --- rendering an Order -------------------------------------------------------------
    #[error("{field} is required and is empty (PEPPOL forbids empty elements)")]
    EmptyField { field: String },
    #[error("{field} '{value}' is not valid: expected {expected}")]
    InvalidValue {
        field: String,
        value: String,
        expected: String,
    },
    #[error("an order needs at least one line")]
    NoLines,
    #[error("line id '{0}' is used by more than one line; PEPPOL requires unique line ids")]
    DuplicateLineId(String),
    #[error("{field} is {found} but should be {expected}")]
    AmountMismatch {
        field: String,
        expected: String,
        found: String,
    },
    #[error("{field} is {value}; PEPPOL forbids negative amounts here")]
    NegativeAmount { field: String, value: String },
    #[error("{field} is too large to compute")]
    AmountOverflow { field: String },

    // --- reading an Order Response --------------------------------------------------------
    #[error("the document is {size} bytes; at most {limit} bytes are accepted")]
    TooLarge { size: usize, limit: usize },
    #[error("the document is not valid UTF-8; PEPPOL documents must be encoded in UTF-8")]
    NotUtf8,
    #[error("the XML declaration announces encoding '{0}'; only UTF-8 is accepted")]
    UnsupportedEncoding(String),
    #[error(
        "the document contains a DOCTYPE declaration; DTDs and entity declarations are refused \
         for security, and PEPPOL documents never need them"
    )]
    DoctypeRefused,
    #[error(
        "entity reference &{0}; is not allowed; only &lt; &gt; &amp; &apos; &quot; and numeric \
         character references are accepted"
    )]
    UndefinedEntity(String),
    #[error("the document is not well-formed XML: {0}")]
    Malformed(String),
    #[error("elements are nested more than {limit} levels deep")]
    TooDeep { limit: usize },
    #[error("the document has more than {limit} cac:OrderLine elements")]
    TooManyLines { limit: usize },
    #[error(
        "the root element is '{local}' in namespace '{namespace}'; expected OrderResponse in \
         namespace urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2"
    )]
    WrongRoot { local: String, namespace: String },
    #[error("{0} is missing")]
    MissingElement(String),
    #[error("{0} appears more than once")]
    DuplicateElement(String),
    #[error("unknown OrderResponseCode {0}; use AB, AP, RE or CA")]
    UnknownResponseCode(String),
    #[error("{element} '{value}' is not a date in the form YYYY-MM-DD")]
    InvalidDate { element: String, value: String },
}

impl UblError {
    /// Stable slug for logs, metrics and API problem types; the message may be reworded,
    /// the slug may not.
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyField { .. } => "ubl-empty-field",
            Self::InvalidValue { .. } => "ubl-invalid-value",
            Self::NoLines => "ubl-no-lines",
            Self::DuplicateLineId(_) => "ubl-duplicate-line-id",
            Self::AmountMismatch { .. } => "ubl-amount-mismatch",
            Self::NegativeAmount { .. } => "ubl-negative-amount",
            Self::AmountOverflow { .. } => "ubl-amount-overflow",
            Self::TooLarge { .. } => "ubl-too-large",
            Self::NotUtf8 => "ubl-not-utf8",
            Self::UnsupportedEncoding(_) => "ubl-unsupported-encoding",
            Self::DoctypeRefused => "ubl-doctype-refused",
            Self::UndefinedEntity(_) => "ubl-undefined-entity",
            Self::Malformed(_) => "ubl-malformed",
            Self::TooDeep { .. } => "ubl-too-deep",
            Self::TooManyLines { .. } => "ubl-too-many-lines",
            Self::WrongRoot { .. } => "ubl-wrong-root",
            Self::MissingElement(_) => "ubl-missing-element",
            Self::DuplicateElement(_) => "ubl-duplicate-element",
            Self::UnknownResponseCode(_) => "ubl-unknown-response-code",
            Self::InvalidDate { .. } => "ubl-invalid-date",
        }
    }
}

/// Formats whole cents as a UBL amount with exactly two decimals: `1250` → `"12.50"`.
/// Integer arithmetic only, so no amount is ever off by a float rounding.
pub fn amount(cents: i64) -> String {
    // unsigned_abs, because i64::MIN has no positive counterpart.
    let magnitude = cents.unsigned_abs();
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// Makes free text safe to put in an element: drops what XML 1.0 cannot carry or what could
/// disguise the text once shown to a person, then trims. `multiline` keeps line breaks
/// (notes); elsewhere they become spaces, as a name or a street is a single line.
pub(crate) fn clean_text(raw: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                // A lone CR would be turned into LF by any XML parser anyway; CRLF counts once.
                if chars.peek() == Some(&'\n') {
                    continue;
                }
                out.push(if multiline { '\n' } else { ' ' });
            }
            '\n' => out.push(if multiline { '\n' } else { ' ' }),
            '\t' => out.push(' '),
            c if is_unwanted(c) => {}
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

fn is_unwanted(c: char) -> bool {
    c.is_control()
        // Not XML 1.0 characters at all.
        || c == '\u{FFFE}'
        || c == '\u{FFFF}'
        // Bidirectional overrides and isolates let a name display as something else in the
        // supplier's back office ("Trojan Source"); no genuine name or address needs them.
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A short, single-line, control-free excerpt of untrusted input for error messages, so a
/// hostile document cannot flood or forge log lines through them.
pub(crate) fn excerpt(raw: &str) -> String {
    truncated(raw, 60)
}

/// `excerpt` with a chosen length, for parser messages that quote a whole tag.
pub(crate) fn truncated(raw: &str, max_chars: usize) -> String {
    let clean = clean_text(raw, false);
    if clean.chars().count() <= max_chars {
        clean
    } else {
        let mut cut: String = clean.chars().take(max_chars).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::PathBuf;

    /// A file of the project's `shared/` folder: beside the crate in the repository, or at
    /// `/work/shared` on a workstation. Callers skip (or fail in CI) when it does not exist.
    pub(crate) fn shared(path: &str) -> PathBuf {
        let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared")
            .join(path);
        if beside.exists() {
            return beside;
        }
        let fallback = PathBuf::from("/work/shared").join(path);
        if !fallback.exists() {
            eprintln!("shared/{path} not found beside the crate nor in /work/shared");
        }
        fallback
    }

    /// CI must run every check; a workstation may lack xmllint or the shared files.
    pub(crate) fn ci() -> bool {
        std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_has_two_decimals() {
        assert_eq!(amount(0), "0.00");
        assert_eq!(amount(1), "0.01");
        assert_eq!(amount(10), "0.10");
        assert_eq!(amount(99), "0.99");
        assert_eq!(amount(100), "1.00");
        assert_eq!(amount(1250), "12.50");
        assert_eq!(amount(123_456_789), "1234567.89");
    }

    #[test]
    fn amount_keeps_the_sign() {
        assert_eq!(amount(-1), "-0.01");
        assert_eq!(amount(-1250), "-12.50");
        assert_eq!(amount(i64::MIN), "-92233720368547758.08");
        assert_eq!(amount(i64::MAX), "92233720368547758.07");
    }

    #[test]
    fn clean_text_drops_controls_and_keeps_unicode() {
        assert_eq!(
            clean_text("  Café\u{0}\u{7}\u{1b}[31m  ", false),
            "Café[31m"
        );
        assert_eq!(clean_text("a\u{85}b\u{9f}c\u{7f}d", false), "abcd");
        assert_eq!(clean_text("Zürich — 東京 🚚", false), "Zürich — 東京 🚚");
        assert_eq!(clean_text("x\u{FFFE}y\u{FFFF}", false), "xy");
        assert_eq!(clean_text("abc\u{202E}fdp.exe", false), "abcfdp.exe");
        assert_eq!(clean_text("\u{2066}a\u{2069}", false), "a");
    }

    #[test]
    fn clean_text_line_breaks() {
        assert_eq!(clean_text("a\r\nb\rc\nd\te", false), "a b c d e");
        assert_eq!(clean_text("a\r\nb\rc\nd\te", true), "a\nb\nc\nd e");
        assert_eq!(clean_text("\n\n  \t", true), "");
    }

    #[test]
    fn excerpt_is_short_and_single_line() {
        assert_eq!(excerpt("AB\nC"), "AB C");
        let long = "x".repeat(500);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), 61);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn error_codes_are_distinct_slugs() {
        let errors = [
            UblError::EmptyField { field: "f".into() },
            UblError::InvalidValue {
                field: "f".into(),
                value: "v".into(),
                expected: "e".into(),
            },
            UblError::NoLines,
            UblError::DuplicateLineId("1".into()),
            UblError::AmountMismatch {
                field: "f".into(),
                expected: "1".into(),
                found: "2".into(),
            },
            UblError::NegativeAmount {
                field: "f".into(),
                value: "-1".into(),
            },
            UblError::AmountOverflow { field: "f".into() },
            UblError::TooLarge { size: 2, limit: 1 },
            UblError::NotUtf8,
            UblError::UnsupportedEncoding("x".into()),
            UblError::DoctypeRefused,
            UblError::UndefinedEntity("x".into()),
            UblError::Malformed("x".into()),
            UblError::TooDeep { limit: 1 },
            UblError::TooManyLines { limit: 1 },
            UblError::WrongRoot {
                local: "x".into(),
                namespace: "y".into(),
            },
            UblError::MissingElement("x".into()),
            UblError::DuplicateElement("x".into()),
            UblError::UnknownResponseCode("XY".into()),
            UblError::InvalidDate {
                element: "x".into(),
                value: "y".into(),
            },
        ];
        let mut codes: Vec<&str> = errors.iter().map(UblError::code).collect();
        assert!(codes.iter().all(|c| c.starts_with("ubl-")
            && c.chars()
                .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        assert!(errors.iter().all(|e| !e.to_string().is_empty()));
    }

    #[test]
    fn messages_read_well() {
        assert_eq!(
            UblError::MissingElement("cbc:OrderResponseCode".into()).to_string(),
            "cbc:OrderResponseCode is missing"
        );
        assert_eq!(
            UblError::UnknownResponseCode("XY".into()).to_string(),
            "unknown OrderResponseCode XY; use AB, AP, RE or CA"
        );
    }
}
