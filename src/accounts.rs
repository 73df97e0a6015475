//! Account life: activation with a chosen password, password reset, and signing in.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::auth::password;
use crate::auth::tokens::{self, ConsumeError, Purpose, TokenError};
use crate::db::parties::{self as q, UserRow};
use crate::db::Conn;
use crate::domain::{Email, Language};
use crate::error::ServiceError;
use crate::mail::OutgoingEmail;
use crate::membership::{local_time, Context};
use crate::validation::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Token(TokenError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<ConsumeError> for LinkError {
    fn from(error: ConsumeError) -> Self {
        match error {
            ConsumeError::Token(token) => LinkError::Token(token),
            ConsumeError::Db(db) => LinkError::Service(db.into()),
        }
    }
}

impl From<crate::db::DbError> for LinkError {
    fn from(error: crate::db::DbError) -> Self {
        LinkError::Service(error.into())
    }
}

fn check_new_password(new: &str, confirmation: &str) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    errors.check("password", password::check_strength(new));
    if new != confirmation {
        errors.add(
            "password_confirmation",
            "password-mismatch",
            "the two passwords differ",
        );
    }
    errors.into_result()
}

/// Sets the password of the account a link belongs to, using the link up. Hashing happens
/// before the transaction, so the write lock is held only for the update.
pub fn set_password_with_link(
    conn: &mut Conn,
    now: NaiveDateTime,
    raw_token: &str,
    purpose: Purpose,
    new: &str,
    confirmation: &str,
) -> Result<UserRow, LinkError> {
    tokens::check(conn, now, raw_token, purpose)?;
    check_new_password(new, confirmation).map_err(|e| LinkError::Service(e.into()))?;
    let hash = password::hash(new).map_err(|e| LinkError::Service(e.into()))?;
    conn.transaction(|conn| {
        let user = tokens::consume(conn, now, raw_token, purpose)?;
        if user.status == "disabled" {
            return Err(LinkError::Token(TokenError::Unknown));
        }
        q::set_password(conn, user.id, &hash, now)?;
        Ok(user)
    })
}

/// Sends a reset link when the address belongs to an account that may sign in; answers the
/// same way whether or not it does, so the form reveals nothing about who has an account.
pub fn request_password_reset(
    conn: &mut Conn,
    ctx: &Context<'_>,
    email: &str,
) -> Result<(), ServiceError> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let Some(user) = q::user_by_email(conn, email.as_str())? else {
        return Ok(());
    };
    if user.status != "active" {
        return Ok(());
    }
    conn.transaction(|conn| {
        let (raw, expires_at) = tokens::issue(conn, ctx.now, user.id, Purpose::PasswordReset)?;
        let link = format!("{}/password/reset/{raw}", ctx.settings.server.base_url.trim_end_matches('/'));
        ctx.mail.enqueue(
            conn,
            ctx.now,
            &OutgoingEmail {
                template: "password-reset",
                language: Language::parse(&user.language).unwrap_or_default(),
                to_address: &user.email,
                to_name: &user.name,
                data: &json!({ "name": user.name, "link": link, "expires": local_time(expires_at) }),
            },
        )?;
        Ok(())
    })
}

/// The account for an email and password, if both match an account that may sign in.
/// A missing account still costs a hash verification, so timing tells nothing.
pub fn authenticate(
    conn: &mut Conn,
    email: &str,
    candidate: &str,
) -> Result<Option<UserRow>, ServiceError> {
    let user = q::user_by_email(conn, email.trim())?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let matches = match &stored {
        Some(hash) => password::verify(candidate, hash),
        None => {
            password::verify(candidate, DUMMY_HASH);
            false
        }
    };
    Ok(user.filter(|u| matches && u.status == "active"))
}

/// An argon2id hash of a random string, verified against when there is no account.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4V7X9ylZtdaqL8C1Dzt9C1yqFw6vK1M4mXQbq0gFw3E";
