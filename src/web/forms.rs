//! Form plumbing shared by pages: submitted values, and validation errors translated into
//! the visitor's language and keyed so templates can show each next to its field.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::Page;
use crate::validation::ValidationErrors;

/// A submitted form, field name to value.
pub type FormData = HashMap<String, String>;

pub fn value<'a>(form: &'a FormData, key: &str) -> &'a str {
    form.get(key).map(String::as_str).unwrap_or("")
}

/// `delivery[0].street` → `delivery_0_street`, a name templates can look up.
pub fn field_key(field: &str) -> String {
    field
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// Each field's first error, in the page's language (English from the rule when no
/// translation exists, so a person always reads something meaningful).
pub fn translated_errors(page: &Page<'_>, errors: &ValidationErrors) -> Value {
    let mut map = Map::new();
    for error in &errors.errors {
        let key = field_key(&error.field);
        if map.contains_key(&key) {
            continue;
        }
        let message = if page.state.translations.has(page.language, &error.code) {
            page.t(&error.code)
        } else {
            error.message.clone()
        };
        map.insert(key, Value::String(message));
    }
    Value::Object(map)
}

/// The submitted values as a JSON object for re-displaying the form (never the passwords).
pub fn kept_values(form: &FormData) -> Value {
    Value::Object(
        form.iter()
            .filter(|(k, _)| !k.contains("password") && k.as_str() != crate::auth::csrf::FIELD)
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::field_key;

    #[test]
    fn field_keys_are_template_friendly() {
        assert_eq!(field_key("delivery[0].street"), "delivery_0_street");
        assert_eq!(field_key("buyers[12].email"), "buyers_12_email");
        assert_eq!(field_key("name"), "name");
        assert_eq!(field_key("billing_postcode"), "billing_postcode");
    }
}
