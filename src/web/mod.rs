//! Server-rendered pages (FR/NL). Handlers are thin: they read the request, call the
//! capability module, and render a template.

pub mod catalogue;
pub mod errors;
pub mod health;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::config::Settings;
use crate::domain::Language;
use crate::startup::AppState;

pub use errors::WebError;

pub const LANGUAGE_COOKIE: &str = "lang";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(catalogue::index))
        .route("/catalogue", web::get().to(catalogue::index))
        .route("/lots/{reference}", web::get().to(catalogue::lot))
        .route("/products/{sku}", web::get().to(catalogue::product));
}

/// Headers every response carries. No inline script or style anywhere, so the policy can
/// be strict; HSTS only where the shop is served over HTTPS.
pub fn security_headers(settings: &Settings) -> DefaultHeaders {
    let mut headers = DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((header::X_FRAME_OPTIONS, "DENY"));
    if !settings.is_development() {
        headers = headers.add((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ));
    }
    headers
}

/// The language of a page: `?lang=` first (and remembered in a cookie), then the cookie,
/// then the browser's Accept-Language, then French.
pub fn page_language(request: &HttpRequest) -> (Language, bool) {
    if let Some(lang) = query_language(request) {
        return (lang, true);
    }
    if let Some(lang) = request
        .cookie(LANGUAGE_COOKIE)
        .and_then(|c| Language::parse(c.value()))
    {
        return (lang, false);
    }
    let accepted = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Language::from_accept_language);
    (accepted.unwrap_or_default(), false)
}

fn query_language(request: &HttpRequest) -> Option<Language> {
    web::Query::<Vec<(String, String)>>::from_query(request.query_string())
        .ok()?
        .iter()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Language::parse(v))
}

/// The current address with `lang` set to `language`, for the language switch.
pub fn switch_href(request: &HttpRequest, language: Language) -> String {
    let pairs: Vec<(String, String)> =
        web::Query::<Vec<(String, String)>>::from_query(request.query_string())
            .map(|q| q.into_inner())
            .unwrap_or_default();
    let mut query: Vec<String> = pairs
        .into_iter()
        .filter(|(k, _)| k != "lang")
        .map(|(k, v)| format!("{}={}", encode(&k), encode(&v)))
        .collect();
    query.push(format!("lang={}", language.code()));
    format!("{}?{}", request.path(), query.join("&"))
}

/// Percent-encodes a query component.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A page being rendered: its language and what the layout needs.
pub struct Page<'a> {
    pub request: &'a HttpRequest,
    pub state: &'a AppState,
    pub language: Language,
    remember_language: bool,
}

impl<'a> Page<'a> {
    pub fn new(request: &'a HttpRequest, state: &'a AppState) -> Self {
        let (language, remember_language) = page_language(request);
        Page {
            request,
            state,
            language,
            remember_language,
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.state.translations.t(self.language, key)
    }

    /// The data every template gets, merged with the page's own.
    pub fn context(&self, title: String, page: Value) -> Value {
        let other = self.language.other();
        json!({
            "lang": self.language.code(),
            "title": title,
            "path": self.request.path(),
            "switch": {
                "href": switch_href(self.request, other),
                "lang": other.code(),
                "label": self.state.translations.t(other, "language-name"),
            },
            "asset_version": env!("CARGO_PKG_VERSION"),
            "page": page,
        })
    }

    pub fn render(
        &self,
        template: &str,
        title: String,
        page: Value,
    ) -> Result<HttpResponse, WebError> {
        let body = self
            .state
            .templates
            .render(template, &self.context(title, page))
            .map_err(|e| WebError::internal(self.language, e))?;
        let mut response = HttpResponse::Ok();
        response
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_LANGUAGE, self.language.code()))
            .insert_header((header::VARY, "Cookie, Accept-Language"));
        if self.remember_language {
            response.cookie(
                Cookie::build(LANGUAGE_COOKIE, self.language.code())
                    .path("/")
                    .same_site(SameSite::Lax)
                    .http_only(true)
                    .max_age(actix_web::cookie::time::Duration::days(365))
                    .finish(),
            );
        }
        Ok(response.body(body))
    }
}
