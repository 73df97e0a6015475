//! Server-rendered pages (FR/NL). Handlers are thin: they read the request, call the
//! capability module, and render a template.

pub mod account;
pub mod admin;
pub mod api_docs;
pub mod catalogue;
pub mod errors;
pub mod forms;
pub mod health;
pub mod membership;
pub mod open_data;
pub mod ordering;

use actix_session::{Session, SessionExt};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::auth::csrf;
use crate::auth::session::{self, SignedIn};
use crate::config::Settings;
use crate::domain::Language;
use crate::parties::Role;
use crate::startup::AppState;

pub use errors::WebError;

pub const LANGUAGE_COOKIE: &str = "lang";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(catalogue::index))
        .route("/catalogue", web::get().to(catalogue::index))
        .route("/lots/{reference}", web::get().to(catalogue::lot))
        .route("/products/{sku}", web::get().to(catalogue::product))
        .configure(account::configure)
        .configure(membership::configure)
        .configure(ordering::configure)
        .configure(open_data::configure)
        .service(web::scope("/admin").configure(admin::configure));
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

/// A page being rendered: its language, the signed-in person if any, and what the layout
/// needs.
pub struct Page<'a> {
    pub request: &'a HttpRequest,
    pub state: &'a AppState,
    pub language: Language,
    pub user: Option<SignedIn>,
    pub session: Session,
    remember_language: bool,
    flash: Option<String>,
}

const FLASH_KEY: &str = "flash";

/// Leaves a message for the next page this session sees (after a redirect).
pub fn flash(session: &Session, message_key: &str) {
    let _ = session.insert(FLASH_KEY, message_key);
}

impl<'a> Page<'a> {
    /// Reads the language and, when the session names one, the signed-in account.
    pub async fn load(request: &'a HttpRequest, state: &'a AppState) -> Result<Page<'a>, WebError> {
        let session = request.get_session();
        let (mut language, remember_language) = page_language(request);
        let user = match session::user_id(&session) {
            Some(user_id) => {
                let loaded = state
                    .pool
                    .run(move |conn| session::load_signed_in(conn, user_id))
                    .await
                    .map_err(|e| WebError::db(language, e))?;
                if loaded.is_none() {
                    // The account was disabled or its organisation suspended meanwhile.
                    session::log_out(&session);
                }
                loaded
            }
            None => None,
        };
        let chose_explicitly = remember_language || request.cookie(LANGUAGE_COOKIE).is_some();
        if let (Some(user), false) = (&user, chose_explicitly) {
            language = user.language;
        }
        let flash = session.remove_as::<String>(FLASH_KEY).and_then(Result::ok);
        Ok(Page {
            request,
            state,
            language,
            user,
            session,
            remember_language,
            flash,
        })
    }

    pub fn t(&self, key: &str) -> String {
        self.state.translations.t(self.language, key)
    }

    /// The session's CSRF token, for forms.
    pub fn csrf(&self) -> String {
        csrf::token(&self.session)
    }

    /// Checks a submitted form's CSRF token; a mismatch is answered with 403.
    pub fn verify_csrf(&self, submitted: Option<&str>) -> Result<(), WebError> {
        if csrf::verify(&self.session, submitted) {
            Ok(())
        } else {
            tracing::warn!(
                path = self.request.path(),
                "form refused: CSRF token missing or wrong"
            );
            Err(WebError::forbidden(self.language, "error-csrf"))
        }
    }

    /// Requires a signed-in person of `role`: others are sent to the login page, or refused.
    pub fn require(&self, role: Role) -> Result<&SignedIn, WebError> {
        match &self.user {
            Some(user) if user.principal.role == role => Ok(user),
            Some(_) => Err(WebError::forbidden(self.language, "error-forbidden")),
            None => Err(WebError::login_required(self.language, self.request)),
        }
    }

    /// The data every template gets, merged with the page's own.
    pub fn context(&self, title: String, page: Value) -> Value {
        let other = self.language.other();
        let user = self.user.as_ref().map(|u| {
            json!({
                "name": u.name,
                "role": u.principal.role.code(),
                "is_admin": u.principal.is_admin(),
            })
        });
        let csrf = self.user.as_ref().map(|_| self.csrf());
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
            "user": user,
            "csrf": csrf,
            "flash": self.flash,
            "page": page,
        })
    }

    pub fn render(
        &self,
        template: &str,
        title: String,
        page: Value,
    ) -> Result<HttpResponse, WebError> {
        self.render_with_status(actix_web::http::StatusCode::OK, template, title, page)
    }

    pub fn render_with_status(
        &self,
        status: actix_web::http::StatusCode,
        template: &str,
        title: String,
        page: Value,
    ) -> Result<HttpResponse, WebError> {
        let body = self.render_body(template, title, page)?;
        Ok(self.respond(status, body))
    }

    /// The page's HTML, without the response around it.
    pub fn render_body(
        &self,
        template: &str,
        title: String,
        page: Value,
    ) -> Result<String, WebError> {
        self.state
            .templates
            .render(template, &self.context(title, page))
            .map_err(|e| WebError::internal(self.language, e))
    }

    /// A key under which this page's HTML may be shared with every other request for the
    /// same address in the same language: only for visitors who are not signed in and have
    /// no message waiting, since nothing else in the layout is personal then.
    pub fn shared_key(&self, view: &str) -> Option<crate::catalogue::cache::FragmentKey> {
        if self.user.is_some() || self.flash.is_some() {
            return None;
        }
        let uri = self.request.uri();
        Some(crate::catalogue::cache::FragmentKey::new(
            view,
            self.language.code(),
            &[uri.path(), uri.query().unwrap_or("")],
        ))
    }

    /// Wraps rendered HTML in the response every page gets.
    pub fn respond(&self, status: actix_web::http::StatusCode, body: String) -> HttpResponse {
        let mut response = HttpResponse::build(status);
        response
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_LANGUAGE, self.language.code()))
            .insert_header((header::VARY, "Cookie, Accept-Language"));
        if self.user.is_some() {
            // Personal pages must not be kept by shared caches or the back button after logout.
            response.insert_header((header::CACHE_CONTROL, "no-store"));
        }
        if self.remember_language {
            response.cookie(
                Cookie::build(LANGUAGE_COOKIE, self.language.code())
                    .path("/")
                    .same_site(SameSite::Lax)
                    .http_only(true)
                    // Like the session cookie: only over HTTPS outside development.
                    .secure(!self.state.settings.is_development())
                    .max_age(actix_web::cookie::time::Duration::days(365))
                    .finish(),
            );
        }
        response.body(body)
    }
}

/// `303 See Other` to `location`, the answer to a successful form post.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
