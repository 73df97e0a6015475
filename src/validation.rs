//! Field-level validation errors shared by forms, the JSON API and the command line. Each
//! carries a stable message key (translated on web pages) and an English sentence (API
//! problem details, logs, CLI).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, code: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, code, message);
        errors
    }

    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// Records the outcome of parsing one field, keeping the value when it parsed.
    pub fn check<T, E>(&mut self, field: &str, result: Result<T, E>) -> Option<T>
    where
        E: HasMessageKey + std::fmt::Display,
    {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.message_key(), error.to_string());
                None
            }
        }
    }

    pub fn require_text(&mut self, field: &str, value: &str, max_chars: usize) -> Option<String> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.add(field, "required", "this field is required");
            None
        } else if trimmed.chars().count() > max_chars {
            self.add(field, "too-long", format!("at most {max_chars} characters"));
            None
        } else if trimmed
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            self.add(field, "invalid-characters", "contains control characters");
            None
        } else {
            Some(trimmed.to_owned())
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    pub fn for_field(&self, field: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.field == field)
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}

/// Domain errors that name a translatable message.
pub trait HasMessageKey {
    fn message_key(&self) -> &'static str;
}

macro_rules! message_keys {
    ($($ty:ty),* $(,)?) => {
        $(impl HasMessageKey for $ty {
            fn message_key(&self) -> &'static str {
                <$ty>::message_key(self)
            }
        })*
    };
}

message_keys!(
    crate::domain::enterprise_number::EnterpriseNumberError,
    crate::domain::email::EmailError,
    crate::domain::rank::RankError,
    crate::domain::money::MoneyError,
    crate::domain::cascade::CascadeError,
    crate::domain::quantity::QuantityError,
    crate::domain::sku::SkuError,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_field_error() {
        let mut errors = ValidationErrors::new();
        assert_eq!(errors.require_text("name", "  ", 10), None);
        assert_eq!(errors.require_text("city", "Bruxelles", 5), None);
        assert_eq!(
            errors.require_text("street", " Rue Haute 1 ", 50),
            Some("Rue Haute 1".into())
        );
        assert_eq!(errors.errors.len(), 2);
        assert_eq!(
            errors.for_field("name").map(|e| e.code.as_str()),
            Some("required")
        );
        assert_eq!(
            errors.for_field("city").map(|e| e.code.as_str()),
            Some("too-long")
        );
        assert!(errors.into_result().is_err());
    }
}
