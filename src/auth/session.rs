//! Browser sessions: a signed and encrypted cookie (HttpOnly, SameSite=Lax, Secure outside
//! development) holding the user id and the CSRF token. Every request re-reads the account,
//! so suspending an institution or disabling a user takes effect at once.

use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use diesel::prelude::*;

use super::Principal;
use crate::config::Settings;
use crate::db::parties::UserRow;
use crate::db::schema::{institutions, suppliers, users};
use crate::db::{Conn, DbError};
use crate::domain::Language;
use crate::parties::Role;
use crate::with_conn;

const USER_KEY: &str = "uid";
pub const COOKIE_NAME: &str = "centrale_session";

pub fn middleware(settings: &Settings) -> SessionMiddleware<CookieSessionStore> {
    let key = Key::derive_from(settings.session_key().as_bytes());
    SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_name(COOKIE_NAME.to_owned())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_secure(!settings.is_development())
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(
            PersistentSession::default().session_ttl(actix_web::cookie::time::Duration::hours(12)),
        )
        .build()
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub principal: Principal,
    pub name: String,
    pub email: String,
    pub language: Language,
}

pub fn log_in(session: &Session, user_id: i64) {
    // A fresh session id on login, so a session planted before login is worthless after.
    session.renew();
    let _ = session.insert(USER_KEY, user_id);
}

pub fn log_out(session: &Session) {
    session.purge();
}

pub fn user_id(session: &Session) -> Option<i64> {
    session.get::<i64>(USER_KEY).ok().flatten()
}

/// Loads the account behind a session, if it may still act: the user is active and, for
/// institution and supplier users, their organisation is active too.
pub fn load_signed_in(conn: &mut Conn, user_id: i64) -> Result<Option<SignedIn>, DbError> {
    let user: Option<UserRow> = with_conn!(conn, |c| users::table
        .find(user_id)
        .select(UserRow::as_select())
        .first(c)
        .optional())?;
    let Some(user) = user else { return Ok(None) };
    if user.status != "active" {
        return Ok(None);
    }
    let Some(role) = Role::parse(&user.role) else {
        return Ok(None);
    };
    let organisation_active = match role {
        Role::Admin => true,
        Role::Institution => match user.institution_id {
            Some(id) => with_conn!(conn, |c| institutions::table
                .find(id)
                .select(institutions::status)
                .first::<String>(c)
                .optional())?
            .is_some_and(|s| s == "active"),
            None => false,
        },
        Role::Supplier => match user.supplier_id {
            Some(id) => with_conn!(conn, |c| suppliers::table
                .find(id)
                .select(suppliers::status)
                .first::<String>(c)
                .optional())?
            .is_some_and(|s| s == "active"),
            None => false,
        },
    };
    if !organisation_active {
        return Ok(None);
    }
    Ok(Some(SignedIn {
        principal: Principal {
            role,
            user_id: Some(user.id),
            api_client_id: None,
            institution_id: user.institution_id,
            supplier_id: user.supplier_id,
            label: format!("{} <{}>", user.name, user.email),
        },
        name: user.name,
        email: user.email,
        language: Language::parse(&user.language).unwrap_or_default(),
    }))
}
