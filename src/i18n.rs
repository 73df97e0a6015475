//! Translations live in Fluent message files (`templates/i18n/<lang>/<part>.ftl`), never in
//! code.

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use crate::assets::Templates;
use crate::domain::Language;

pub struct Translations {
    bundles: HashMap<Language, FluentBundle<FluentResource>>,
}

impl Translations {
    pub fn load() -> anyhow::Result<Translations> {
        let mut bundles = HashMap::new();
        for language in Language::ALL {
            let id: LanguageIdentifier = format!("{}-BE", language.code()).parse()?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Isolation marks would end up as invisible characters inside HTML attributes
            // and emails; our arguments are plain text.
            bundle.set_use_isolating(false);
            let files = message_files(language);
            if files.is_empty() {
                anyhow::bail!("no message files under templates/i18n/{}/", language.code());
            }
            for path in files {
                let file = Templates::get(&path)
                    .ok_or_else(|| anyhow::anyhow!("missing message file templates/{path}"))?;
                let source = String::from_utf8(file.data.into_owned())?;
                let resource = FluentResource::try_new(source).map_err(|(_, errors)| {
                    anyhow::anyhow!("templates/{path} has syntax errors: {errors:?}")
                })?;
                bundle.add_resource(resource).map_err(|errors| {
                    anyhow::anyhow!("templates/{path}: duplicate messages {errors:?}")
                })?;
            }
            bundles.insert(language, bundle);
        }
        Ok(Translations { bundles })
    }

    pub fn has(&self, language: Language, key: &str) -> bool {
        self.bundles
            .get(&language)
            .is_some_and(|bundle| bundle.has_message(key))
    }

    /// The message `key` in `language`; a missing key shows as the key itself (and is logged)
    /// rather than breaking the page.
    pub fn text(&self, language: Language, key: &str, args: Option<&FluentArgs>) -> String {
        let Some(bundle) = self.bundles.get(&language) else {
            return key.to_owned();
        };
        let Some(pattern) = bundle.get_message(key).and_then(|message| message.value()) else {
            tracing::warn!(key, language = language.code(), "missing translation");
            return key.to_owned();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key, ?errors, "translation formatting problem");
        }
        text.into_owned()
    }

    pub fn t(&self, language: Language, key: &str) -> String {
        self.text(language, key, None)
    }

    /// Every message identifier of a language, to check both languages stay in step.
    pub fn keys(language: Language) -> Vec<String> {
        let mut keys = Vec::new();
        for path in message_files(language) {
            let Some(file) = Templates::get(&path) else {
                continue;
            };
            let source = String::from_utf8_lossy(&file.data).into_owned();
            let resource = match FluentResource::try_new(source) {
                Ok(resource) => resource,
                Err((resource, _)) => resource,
            };
            keys.extend(resource.entries().filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_owned()),
                _ => None,
            }));
        }
        keys
    }
}

/// The message files of a language, one per part of the product
/// (`templates/i18n/<lang>/*.ftl`), in a stable order.
fn message_files(language: Language) -> Vec<String> {
    let prefix = format!("i18n/{}/", language.code());
    let mut files: Vec<String> = Templates::iter()
        .filter(|path| path.starts_with(&prefix) && path.ends_with(".ftl"))
        .map(|path| path.into_owned())
        .collect();
    files.sort();
    files
}

/// Builds Fluent arguments from JSON values (as handlebars passes them).
pub fn args_from_json<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a serde_json::Value)>,
) -> FluentArgs<'a> {
    let mut args = FluentArgs::new();
    for (name, value) in pairs {
        let value: FluentValue = match value {
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(f) => FluentValue::from(f),
                None => FluentValue::from(n.to_string()),
            },
            serde_json::Value::String(s) => FluentValue::from(s.as_str()),
            other => FluentValue::from(other.to_string()),
        };
        args.set(name, value);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_messages() {
        let mut fr = Translations::keys(Language::Fr);
        let mut nl = Translations::keys(Language::Nl);
        assert!(fr.len() > 20, "French messages should load");
        fr.sort();
        nl.sort();
        let only_fr: Vec<_> = fr.iter().filter(|k| !nl.contains(k)).collect();
        let only_nl: Vec<_> = nl.iter().filter(|k| !fr.contains(k)).collect();
        assert!(only_fr.is_empty(), "missing in Dutch: {only_fr:?}");
        assert!(only_nl.is_empty(), "missing in French: {only_nl:?}");
    }

    #[test]
    fn messages_format_in_each_language() {
        let translations = Translations::load().expect("message files parse");
        assert_eq!(translations.t(Language::Fr, "nav-catalogue"), "Catalogue");
        assert_eq!(translations.t(Language::Nl, "nav-catalogue"), "Catalogus");
        assert_eq!(
            translations.t(Language::Fr, "no-such-message"),
            "no-such-message"
        );
    }
}
