//! One error type for the API, mapped once to `application/problem+json` (RFC 9457).

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use crate::db::DbError;
use crate::validation::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("the request has invalid fields")]
    Invalid(ValidationErrors),
    /// No bearer token at all: the client is told how to authenticate, without an error code
    /// (RFC 6750 §3.1).
    #[error("{0}")]
    CredentialsRequired(String),
    /// A bearer token was presented and refused (invalid, expired, revoked).
    #[error("{0}")]
    Unauthorized(String),
    /// A valid token whose role may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the service is temporarily unavailable")]
    Unavailable,
    /// The client's request rate is over its limit; it may retry after this many seconds.
    #[error("too many requests from this client: retry after {0} s")]
    TooManyRequests(u64),
    #[error("internal error")]
    Internal,
}

impl ApiError {
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => ("bad-request", "Bad request"),
            ApiError::Invalid(_) => ("validation", "Invalid request"),
            ApiError::CredentialsRequired(_) | ApiError::Unauthorized(_) => {
                ("unauthorized", "Unauthorized")
            }
            ApiError::Forbidden(_) => ("forbidden", "Forbidden"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::Unavailable => ("unavailable", "Service unavailable"),
            ApiError::TooManyRequests(_) => ("rate-limited", "Too many requests"),
            ApiError::Internal => ("internal", "Internal error"),
        }
    }

    /// The `WWW-Authenticate` challenge of RFC 6750 §3 for authentication failures.
    fn bearer_challenge(&self) -> Option<&'static str> {
        match self {
            ApiError::CredentialsRequired(_) => Some(r#"Bearer realm="centrale""#),
            ApiError::Unauthorized(_) => Some(r#"Bearer realm="centrale", error="invalid_token""#),
            ApiError::Forbidden(_) => {
                Some(r#"Bearer realm="centrale", error="insufficient_scope""#)
            }
            _ => None,
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        if error.is_unavailable() {
            tracing::warn!(%error, "database unavailable");
            ApiError::Unavailable
        } else {
            tracing::error!(%error, "database error");
            ApiError::Internal
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        ApiError::Invalid(errors)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::CredentialsRequired(_) | ApiError::Unauthorized(_) => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (slug, title) = self.kind();
        let mut body = json!({
            "type": format!("/problems/{slug}"),
            "title": title,
            "status": status.as_u16(),
            "detail": self.to_string(),
        });
        if let ApiError::Invalid(errors) = self {
            body["errors"] = json!(errors.errors);
        }
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        if let ApiError::TooManyRequests(seconds) = self {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if let Some(challenge) = self.bearer_challenge() {
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        response.body(body.to_string())
    }
}

/// Malformed query strings: a problem document under /api, a plain 400 page elsewhere.
pub fn query_error(error: QueryPayloadError, request: &HttpRequest) -> actix_web::Error {
    bad_request(request, format!("invalid query string: {error}"))
}

/// A path segment of the wrong type (`/orders/abc`): no such resource, as a problem document.
pub fn path_error(error: PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound(format!("no such resource: {error}")).into()
}

pub fn json_error(error: JsonPayloadError, request: &HttpRequest) -> actix_web::Error {
    let detail = match &error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            "the request body is too large".to_owned()
        }
        JsonPayloadError::ContentType => {
            "the request body must be JSON (Content-Type: application/json)".to_owned()
        }
        other => format!("invalid JSON body: {other}"),
    };
    bad_request(request, detail)
}

fn bad_request(request: &HttpRequest, detail: String) -> actix_web::Error {
    if request.path().starts_with("/api/") {
        ApiError::BadRequest(detail).into()
    } else {
        actix_web::error::ErrorBadRequest(detail)
    }
}
