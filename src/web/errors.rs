//! One error type for pages, rendered once as an HTML page in the visitor's language.
//! Causes are logged in full and never shown.

use std::fmt;
use std::sync::{Arc, OnceLock};

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use crate::db::DbError;
use crate::domain::Language;
use crate::startup::AppState;

static STATE: OnceLock<Arc<AppState>> = OnceLock::new();

/// Error pages are rendered outside any handler, so they reach templates through here.
pub fn install(state: Arc<AppState>) {
    let _ = STATE.set(state);
}

#[derive(Debug)]
pub struct WebError {
    status: StatusCode,
    language: Language,
    key: &'static str,
    /// Where to send the visitor instead of showing an error page (login first).
    location: Option<String>,
}

impl WebError {
    pub fn not_found(language: Language) -> Self {
        WebError {
            status: StatusCode::NOT_FOUND,
            language,
            key: "error-not-found",
            location: None,
        }
    }

    pub fn conflict(language: Language, key: &'static str) -> Self {
        WebError {
            status: StatusCode::CONFLICT,
            language,
            key,
            location: None,
        }
    }

    pub fn forbidden(language: Language, key: &'static str) -> Self {
        WebError {
            status: StatusCode::FORBIDDEN,
            language,
            key,
            location: None,
        }
    }

    /// Not signed in: the login page, coming back here afterwards.
    pub fn login_required(language: Language, request: &HttpRequest) -> Self {
        let target = match request.query_string() {
            "" => request.path().to_owned(),
            query => format!("{}?{}", request.path(), query),
        };
        WebError {
            status: StatusCode::SEE_OTHER,
            language,
            key: "login-required",
            location: Some(format!("/login?next={}", super::encode(&target))),
        }
    }

    pub fn internal(language: Language, cause: impl fmt::Display) -> Self {
        tracing::error!(%cause, "page failed");
        WebError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            language,
            key: "error-internal",
            location: None,
        }
    }

    pub fn db(language: Language, cause: DbError) -> Self {
        if cause.is_unavailable() {
            tracing::warn!(%cause, "database unavailable");
            WebError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                language,
                key: "error-unavailable",
                location: None,
            }
        } else {
            Self::internal(language, cause)
        }
    }
}

impl fmt::Display for WebError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.key, self.status)
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(location) = &self.location {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location.as_str()))
                .finish();
        }
        error_page(self.status, self.language, self.key)
    }
}

pub fn error_page(status: StatusCode, language: Language, key: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.content_type("text/html; charset=utf-8");
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, "5"));
    }
    let Some(state) = STATE.get() else {
        return response.body(status.to_string());
    };
    let t = |k: &str| state.translations.t(language, k);
    // Conflicts name their own message; other errors have a title and a message.
    let (title, message) = if status == StatusCode::CONFLICT {
        (t("error-conflict-title"), t(key))
    } else {
        (t(&format!("{key}-title")), t(&format!("{key}-message")))
    };
    let context = json!({
        "lang": language.code(),
        "title": title,
        "switch": {
            "href": format!("/?lang={}", language.other().code()),
            "lang": language.other().code(),
            "label": state.translations.t(language.other(), "language-name"),
        },
        "asset_version": env!("CARGO_PKG_VERSION"),
        "page": { "status": status.as_u16(), "message": message },
    });
    match state.templates.render("error", &context) {
        Ok(body) => response.body(body),
        Err(error) => {
            tracing::error!(%error, "error page failed to render");
            response.body(status.to_string())
        }
    }
}

/// Unknown addresses: a problem document under /api, an HTML page elsewhere.
pub async fn not_found(request: HttpRequest) -> HttpResponse {
    if request.path().starts_with("/api/") {
        return crate::api::problem::ApiError::NotFound("no such resource".into()).error_response();
    }
    let (language, _) = super::page_language(&request);
    error_page(StatusCode::NOT_FOUND, language, "error-not-found")
}
