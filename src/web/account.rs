//! Signing in and out, activating an account, and resetting a forgotten password.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::forms::{translated_errors, FormData};
use super::{flash, see_other, Page, WebError};
use crate::accounts::{self, LinkError};
use crate::auth::session;
use crate::auth::tokens::{self, Purpose};
use crate::error::ServiceError;
use crate::membership::Context;
use crate::parties::Role;
use crate::startup::State;
use crate::validation::ValidationErrors;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/activate/{token}", web::get().to(activate_form))
        .route("/activate/{token}", web::post().to(activate))
        .route("/password/forgot", web::get().to(forgot_form))
        .route("/password/forgot", web::post().to(forgot))
        .route("/password/reset/{token}", web::get().to(reset_form))
        .route("/password/reset/{token}", web::post().to(reset));
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths are followed after login, never another site.
fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            // Browsers drop tabs and newlines when parsing a URL: "/\t/evil" becomes "//evil".
            && !n.chars().any(|c| c.is_control() || c.is_whitespace())
    })
    .map(str::to_owned)
}

fn home_of(role: Role) -> &'static str {
    match role {
        Role::Admin => "/admin/memberships",
        Role::Institution | Role::Supplier => "/catalogue",
    }
}

fn render_login(
    page: &Page<'_>,
    status: StatusCode,
    email: &str,
    next: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let data = json!({ "email": email, "next": next, "error": error, "csrf": page.csrf() });
    page.render_with_status(status, "account/login", page.t("login-title"), data)
}

pub async fn login_form(
    request: HttpRequest,
    state: State,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    if let Some(user) = &page.user {
        return Ok(see_other(home_of(user.principal.role)));
    }
    render_login(
        &page,
        StatusCode::OK,
        "",
        safe_next(query.next.as_deref()),
        None,
    )
}

pub async fn login(
    request: HttpRequest,
    state: State,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let form = form.into_inner();
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let email = form.get("email").cloned().unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    let next = safe_next(form.get("next").map(String::as_str));
    let address = request
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    if let Err(wait) = state.login_limiter.attempt(email.trim(), &address) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let message = state.translations.text(
            page.language,
            "login-rate-limited",
            Some(&crate::i18n::args_from_json([("minutes", &json!(minutes))])),
        );
        return render_login(
            &page,
            StatusCode::TOO_MANY_REQUESTS,
            &email,
            next,
            Some(message),
        );
    }
    let candidate = email.clone();
    let user = state
        .pool
        .run(move |conn| accounts::authenticate(conn, &candidate, &password))
        .await
        .map_err(|e| service_error(&page, e))?;
    let Some(user) = user else {
        return render_login(
            &page,
            StatusCode::UNAUTHORIZED,
            &email,
            next,
            Some(page.t("login-failed")),
        );
    };
    let user_id = user.id;
    let signed_in = state
        .pool
        .run(move |conn| session::load_signed_in(conn, user_id))
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let Some(signed_in) = signed_in else {
        // Right password, but the organisation is suspended or not yet approved.
        return render_login(
            &page,
            StatusCode::FORBIDDEN,
            &email,
            next,
            Some(page.t("login-inactive")),
        );
    };
    session::log_in(&page.session, user_id);
    Ok(see_other(&next.unwrap_or_else(|| {
        home_of(signed_in.principal.role).to_owned()
    })))
}

pub async fn logout(
    request: HttpRequest,
    state: State,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    session::log_out(&page.session);
    Ok(see_other("/"))
}

fn service_error(page: &Page<'_>, error: ServiceError) -> WebError {
    match error {
        ServiceError::Db(db) => WebError::db(page.language, db),
        other => WebError::internal(page.language, other),
    }
}

/// The password form shared by activation and reset.
fn render_password_form(
    page: &Page<'_>,
    purpose: Purpose,
    status: StatusCode,
    errors: Option<&ValidationErrors>,
    email: &str,
) -> Result<HttpResponse, WebError> {
    let (title, intro) = match purpose {
        Purpose::Activation => ("activate-title", "activate-intro"),
        Purpose::PasswordReset => ("reset-title", "reset-intro"),
    };
    let errors = errors
        .map(|e| translated_errors(page, e))
        .unwrap_or(json!({}));
    let data = json!({
        "intro": page.t(intro),
        "email": email,
        "errors": errors,
        "csrf": page.csrf(),
        "action": page.request.path(),
    });
    page.render_with_status(status, "account/password", page.t(title), data)
}

fn link_problem(page: &Page<'_>, error: tokens::TokenError) -> Result<HttpResponse, WebError> {
    let data = json!({ "message": page.t(error.message_key()), "forgot": true });
    page.render_with_status(
        StatusCode::GONE,
        "account/message",
        page.t("link-problem-title"),
        data,
    )
}

async fn password_form(
    request: HttpRequest,
    state: State,
    token: String,
    purpose: Purpose,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let now = state.clock.now_naive();
    let checked = state
        .pool
        .run(move |conn| tokens::check(conn, now, &token, purpose))
        .await;
    match checked {
        Ok(user) => render_password_form(&page, purpose, StatusCode::OK, None, &user.email),
        Err(tokens::ConsumeError::Token(error)) => link_problem(&page, error),
        Err(tokens::ConsumeError::Db(db)) => Err(WebError::db(page.language, db)),
    }
}

async fn set_password(
    request: HttpRequest,
    state: State,
    token: String,
    form: FormData,
    purpose: Purpose,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let now = state.clock.now_naive();
    let password = form.get("password").cloned().unwrap_or_default();
    let confirmation = form
        .get("password_confirmation")
        .cloned()
        .unwrap_or_default();
    let raw = token.clone();
    let result = state
        .pool
        .run(move |conn| {
            accounts::set_password_with_link(conn, now, &raw, purpose, &password, &confirmation)
        })
        .await;
    match result {
        Ok(_) => {
            flash(
                &page.session,
                match purpose {
                    Purpose::Activation => "activated-flash",
                    Purpose::PasswordReset => "password-changed-flash",
                },
            );
            Ok(see_other("/login"))
        }
        Err(LinkError::Token(error)) => link_problem(&page, error),
        Err(LinkError::Service(ServiceError::Invalid(errors))) => {
            let email = state
                .pool
                .run(move |conn| tokens::check(conn, now, &token, purpose).map(|u| u.email))
                .await
                .unwrap_or_default();
            render_password_form(
                &page,
                purpose,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&errors),
                &email,
            )
        }
        Err(LinkError::Service(other)) => Err(service_error(&page, other)),
    }
}

pub async fn activate_form(
    request: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    password_form(request, state, token.into_inner(), Purpose::Activation).await
}

pub async fn activate(
    request: HttpRequest,
    state: State,
    token: web::Path<String>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    set_password(
        request,
        state,
        token.into_inner(),
        form.into_inner(),
        Purpose::Activation,
    )
    .await
}

pub async fn reset_form(
    request: HttpRequest,
    state: State,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    password_form(request, state, token.into_inner(), Purpose::PasswordReset).await
}

pub async fn reset(
    request: HttpRequest,
    state: State,
    token: web::Path<String>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    set_password(
        request,
        state,
        token.into_inner(),
        form.into_inner(),
        Purpose::PasswordReset,
    )
    .await
}

pub async fn forgot_form(request: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let data = json!({ "csrf": page.csrf(), "sent": false });
    page.render("account/forgot", page.t("forgot-title"), data)
}

pub async fn forgot(
    request: HttpRequest,
    state: State,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let email = form.get("email").cloned().unwrap_or_default();
    let worker_state = state.clone();
    let now = state.clock.now_naive();
    state
        .pool
        .run(move |conn| {
            let ctx = Context {
                now,
                mail: &worker_state.mail,
                settings: &worker_state.settings,
            };
            accounts::request_password_reset(conn, &ctx, &email)
        })
        .await
        .map_err(|e| service_error(&page, e))?;
    // The same answer whether or not the address has an account.
    let data = json!({ "csrf": page.csrf(), "sent": true });
    page.render("account/forgot", page.t("forgot-title"), data)
}
