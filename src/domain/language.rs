//! The two languages the shop is offered in. Belgian public procurement
//! documents exist in French and Dutch; German-speaking institutions use
//! one of the two.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Fr,
    Nl,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {0:?}, expected \"fr\" or \"nl\"")]
pub struct UnknownLanguage(pub String);

impl UnknownLanguage {
    pub fn message_key(&self) -> &'static str {
        "language-unknown"
    }
}

impl Language {
    pub const ALL: [Language; 2] = [Language::Fr, Language::Nl];

    pub fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::Nl => "nl",
        }
    }

    /// The language's name in that language, for a language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::Fr => "Français",
            Language::Nl => "Nederlands",
        }
    }

    pub fn other(self) -> Language {
        match self {
            Language::Fr => Language::Nl,
            Language::Nl => Language::Fr,
        }
    }

    /// Reads a language tag by its primary subtag, so regional variants
    /// (`fr-BE`, `nl_NL`) select the same language.
    pub fn parse(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next()?;
        if primary.eq_ignore_ascii_case("fr") {
            Some(Language::Fr)
        } else if primary.eq_ignore_ascii_case("nl") {
            Some(Language::Nl)
        } else {
            None
        }
    }

    /// Picks the supported language the browser prefers most, following the
    /// q-values of an HTTP `Accept-Language` header. Ties go to the entry
    /// listed first, as browsers list by preference.
    pub fn from_accept_language(header: &str) -> Option<Language> {
        let mut best: Option<(u16, Language)> = None;
        for entry in header.split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim();
            if tag.is_empty() || tag == "*" {
                continue;
            }
            let Some(quality) = parse_entry_quality(parts) else {
                continue;
            };
            if quality == 0 {
                continue;
            }
            let Some(language) = Language::parse(tag) else {
                continue;
            };
            if best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, language));
            }
        }
        best.map(|(_, language)| language)
    }
}

/// Quality in thousandths (1000 = q=1). `None` when the parameters are
/// malformed, in which case the whole entry is ignored.
fn parse_entry_quality<'a>(params: impl Iterator<Item = &'a str>) -> Option<u16> {
    let mut quality = 1000;
    for param in params {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            quality = parse_qvalue(value.trim())?;
        }
    }
    Some(quality)
}

/// RFC 9110 qvalue: `0` with up to three decimals, or `1` with zero
/// decimals.
fn parse_qvalue(value: &str) -> Option<u16> {
    let (whole, fraction) = match value.split_once('.') {
        Some((w, f)) => (w, f),
        None => (value, ""),
    };
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (i, b) in fraction.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Language {
    type Err = UnknownLanguage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Language::parse(s).ok_or_else(|| UnknownLanguage(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Language::{Fr, Nl};

    #[test]
    fn codes_and_display() {
        assert_eq!(Fr.code(), "fr");
        assert_eq!(Nl.code(), "nl");
        assert_eq!(Fr.to_string(), "fr");
        assert_eq!(Nl.to_string(), "nl");
    }

    #[test]
    fn native_names() {
        assert_eq!(Fr.native_name(), "Français");
        assert_eq!(Nl.native_name(), "Nederlands");
    }

    #[test]
    fn default_is_french() {
        assert_eq!(Language::default(), Fr);
    }

    #[test]
    fn all_lists_both_once() {
        assert_eq!(Language::ALL, [Fr, Nl]);
    }

    #[test]
    fn other_swaps() {
        assert_eq!(Fr.other(), Nl);
        assert_eq!(Nl.other(), Fr);
        for l in Language::ALL {
            assert_eq!(l.other().other(), l);
        }
    }

    #[test]
    fn parse_accepts_tags_and_variants() {
        for (input, expected) in [
            ("fr", Fr),
            ("FR", Fr),
            ("Fr", Fr),
            ("fr-BE", Fr),
            ("fr_BE", Fr),
            ("fr-FR", Fr),
            ("fr-be", Fr),
            (" fr ", Fr),
            ("nl", Nl),
            ("NL", Nl),
            ("nl-BE", Nl),
            ("nl-NL", Nl),
            ("nl_be", Nl),
            (" nl ", Nl),
            ("\tnl\n", Nl),
        ] {
            assert_eq!(Language::parse(input), Some(expected), "{input:?}");
        }
    }

    #[test]
    fn parse_rejects_other_languages_and_garbage() {
        for input in [
            "",
            " ",
            "de",
            "en",
            "en-BE",
            "fra",
            "nld",
            "f",
            "n",
            "frBE",
            "fr BE",
            "-fr",
            "*",
            "français",
            "nl;q=1",
        ] {
            assert_eq!(Language::parse(input), None, "{input:?}");
        }
    }

    #[test]
    fn from_str_and_error() {
        assert_eq!("nl-BE".parse::<Language>(), Ok(Nl));
        let e = "de".parse::<Language>().unwrap_err();
        assert_eq!(e, UnknownLanguage("de".into()));
        assert_eq!(e.message_key(), "language-unknown");
        assert_eq!(
            e.to_string(),
            "unknown language \"de\", expected \"fr\" or \"nl\""
        );
    }

    #[test]
    fn serde_uses_lowercase_codes() {
        assert_eq!(serde_json::to_string(&Fr).unwrap(), "\"fr\"");
        assert_eq!(serde_json::to_string(&Nl).unwrap(), "\"nl\"");
        assert_eq!(serde_json::from_str::<Language>("\"nl\"").unwrap(), Nl);
        assert!(serde_json::from_str::<Language>("\"de\"").is_err());
    }

    #[test]
    fn accept_language_honours_q_values() {
        let cases = [
            ("en-US,en;q=0.9,nl;q=0.8,fr;q=0.7", Some(Nl)),
            ("fr;q=0.5, nl;q=0.6", Some(Nl)),
            ("nl;q=0.5, fr;q=0.6", Some(Fr)),
            ("fr-BE,fr;q=0.9,en;q=0.8", Some(Fr)),
            ("nl-BE", Some(Nl)),
            ("de-DE,de;q=0.9,fr;q=0.1", Some(Fr)),
            ("en, nl;q=0.001", Some(Nl)),
            ("fr;q=0.999, nl;q=1", Some(Nl)),
            ("fr;q=1.000, nl", Some(Fr)),
            ("fr;Q=0.2, nl;q=0.3", Some(Nl)),
            ("fr ; q = 0.2 , nl ; q = 0.3", Some(Nl)),
        ];
        for (header, expected) in cases {
            assert_eq!(
                Language::from_accept_language(header),
                expected,
                "{header:?}"
            );
        }
    }

    #[test]
    fn accept_language_ties_go_to_the_first_listed() {
        assert_eq!(Language::from_accept_language("nl, fr"), Some(Nl));
        assert_eq!(Language::from_accept_language("fr, nl"), Some(Fr));
        assert_eq!(
            Language::from_accept_language("nl;q=0.5, fr;q=0.5"),
            Some(Nl)
        );
    }

    #[test]
    fn accept_language_q_zero_means_not_acceptable() {
        assert_eq!(Language::from_accept_language("fr;q=0"), None);
        assert_eq!(
            Language::from_accept_language("fr;q=0.000, nl;q=0.1"),
            Some(Nl)
        );
        assert_eq!(
            Language::from_accept_language("nl;q=0, en, fr;q=0.01"),
            Some(Fr)
        );
    }

    #[test]
    fn accept_language_ignores_wildcard() {
        assert_eq!(Language::from_accept_language("*"), None);
        assert_eq!(Language::from_accept_language("*, nl;q=0.2"), Some(Nl));
        assert_eq!(Language::from_accept_language("*;q=1, fr;q=0.1"), Some(Fr));
    }

    #[test]
    fn accept_language_skips_malformed_entries() {
        for (header, expected) in [
            ("nl;q=2, fr;q=0.1", Some(Fr)),
            ("nl;q=abc, fr;q=0.1", Some(Fr)),
            ("nl;q=0.1234, fr;q=0.1", Some(Fr)),
            ("nl;q=1.5, fr;q=0.1", Some(Fr)),
            ("nl;q=-1, fr;q=0.1", Some(Fr)),
            ("nl;q=, fr;q=0.1", Some(Fr)),
            ("nl;q, fr;q=0.1", Some(Fr)),
            ("nl;q=.5, fr;q=0.1", Some(Fr)),
            (",,,fr", Some(Fr)),
            (";q=1, nl", Some(Nl)),
            ("nl;q=0.5;level=1, fr;q=0.4", Some(Nl)),
        ] {
            assert_eq!(
                Language::from_accept_language(header),
                expected,
                "{header:?}"
            );
        }
    }

    #[test]
    fn accept_language_without_supported_language() {
        for header in ["", "   ", "en-US,en;q=0.9", "de", "*", "garbage;;;", "q=1"] {
            assert_eq!(Language::from_accept_language(header), None, "{header:?}");
        }
    }

    #[test]
    fn qvalue_grammar() {
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("0."), Some(0));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.05"), Some(50));
        assert_eq!(parse_qvalue("0.005"), Some(5));
        assert_eq!(parse_qvalue("0.999"), Some(999));
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.0"), Some(1000));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("1.001"), None);
        assert_eq!(parse_qvalue("2"), None);
        assert_eq!(parse_qvalue("00.5"), None);
        assert_eq!(parse_qvalue("0.5x"), None);
        assert_eq!(parse_qvalue(""), None);
        assert_eq!(parse_qvalue("0.+5"), None);
    }
}
