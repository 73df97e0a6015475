//! The error of the capability layer (catalogue, parties, ...): invalid input with every
//! field named, a missing thing, or storage trouble. Web pages and the API each map it once.

use crate::db::DbError;
use crate::validation::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Invalid(ValidationErrors),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is valid but the thing is not in a state that allows it.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<ValidationErrors> for ServiceError {
    fn from(errors: ValidationErrors) -> Self {
        ServiceError::Invalid(errors)
    }
}

impl From<diesel::result::Error> for ServiceError {
    fn from(error: diesel::result::Error) -> Self {
        ServiceError::Db(error.into())
    }
}

impl From<ServiceError> for crate::api::problem::ApiError {
    fn from(error: ServiceError) -> Self {
        use crate::api::problem::ApiError;
        match error {
            ServiceError::Invalid(errors) => ApiError::Invalid(errors),
            ServiceError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            ServiceError::Conflict { message, .. } => ApiError::Conflict(message),
            ServiceError::Db(db) => db.into(),
            // A storage failure that came wrapped still answers 503 when it is one.
            ServiceError::Other(other) => match other.downcast::<DbError>() {
                Ok(db) => db.into(),
                Err(other) => {
                    tracing::error!(error = %other, "request failed");
                    ApiError::Internal
                }
            },
        }
    }
}
