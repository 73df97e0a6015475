//! Search text folding: lowercase, accents removed, so "Gants nitrile" finds "gants
//! en nitrile" and "hydroalcoolique" finds "hydroalcoolique" typed without accents, the same
//! way on SQLite and PostgreSQL.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

const MAX_WORDS: usize = 8;
const MAX_WORD_CHARS: usize = 60;

pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect()
}

/// The words of a query, folded; empty when the query has no word.
pub fn query_words(query: &str) -> Vec<String> {
    fold(query)
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(|w| w.chars().take(MAX_WORD_CHARS).collect())
        .collect()
}

/// What a product is found by: SKU, both names, packaging and standards.
pub fn product_search_text(parts: &[&str]) -> String {
    fold(&parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("Gel Hydroalcoolique ÉPI"), "gel hydroalcoolique epi");
        assert_eq!(
            fold("Wegwerpschort \u{e9}\u{e8}\u{ea}"),
            "wegwerpschort eee"
        );
        assert_eq!(fold("EN 14683 Type IIR"), "en 14683 type iir");
    }

    #[test]
    fn query_words_split_and_fold() {
        assert_eq!(query_words("  Masques  FFP2 "), vec!["masques", "ffp2"]);
        assert_eq!(
            query_words("gants,nitrile;M"),
            vec!["gants", "nitrile", "m"]
        );
        assert!(query_words("   ").is_empty());
        assert_eq!(query_words("a b c d e f g h i j").len(), MAX_WORDS);
    }

    #[test]
    fn long_words_are_cut() {
        let long = "x".repeat(500);
        assert_eq!(query_words(&long)[0].len(), MAX_WORD_CHARS);
    }
}
