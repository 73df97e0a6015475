//! Single-use links for account activation and password reset. The link carries a random
//! token; the database keeps only its SHA-256, so a leaked copy of the database opens nothing.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::parties::UserRow;
use crate::db::schema::{account_tokens, users};
use crate::db::{Conn, DbError};
use crate::with_conn;

pub const ACTIVATION_DAYS: i64 = 7;
pub const RESET_HOURS: i64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Activation,
    PasswordReset,
}

impl Purpose {
    fn code(self) -> &'static str {
        match self {
            Purpose::Activation => "activation",
            Purpose::PasswordReset => "password_reset",
        }
    }

    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::Activation => Duration::days(ACTIVATION_DAYS),
            Purpose::PasswordReset => Duration::hours(RESET_HOURS),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("this link is not valid")]
    Unknown,
    #[error("this link has expired")]
    Expired,
    #[error("this link has already been used")]
    Used,
}

impl TokenError {
    pub fn message_key(self) -> &'static str {
        match self {
            TokenError::Unknown => "token-unknown",
            TokenError::Expired => "token-expired",
            TokenError::Used => "token-used",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub fn hash_token(raw: &str) -> String {
    Sha256::digest(raw.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_raw_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Insertable)]
#[diesel(table_name = account_tokens)]
struct NewToken<'a> {
    user_id: i64,
    purpose: &'a str,
    token_hash: &'a str,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// Creates a token and returns the raw value for the link, with its expiry.
pub fn issue(
    conn: &mut Conn,
    now: NaiveDateTime,
    user_id: i64,
    purpose: Purpose,
) -> Result<(String, NaiveDateTime), DbError> {
    let raw = new_raw_token();
    let hash = hash_token(&raw);
    let expires_at = now + purpose.lifetime();
    let token = NewToken {
        user_id,
        purpose: purpose.code(),
        token_hash: &hash,
        created_at: now,
        expires_at,
    };
    with_conn!(conn, |c| diesel::insert_into(account_tokens::table)
        .values(&token)
        .execute(c))?;
    Ok((raw, expires_at))
}

#[derive(Queryable)]
struct TokenRow {
    id: i64,
    user_id: i64,
    expires_at: NaiveDateTime,
    used_at: Option<NaiveDateTime>,
}

fn find(conn: &mut Conn, raw: &str, purpose: Purpose) -> Result<TokenRow, ConsumeError> {
    let hash = hash_token(raw);
    let row: Option<TokenRow> = with_conn!(conn, |c| account_tokens::table
        .filter(account_tokens::token_hash.eq(&hash))
        .filter(account_tokens::purpose.eq(purpose.code()))
        .select((
            account_tokens::id,
            account_tokens::user_id,
            account_tokens::expires_at,
            account_tokens::used_at
        ))
        .first(c)
        .optional())
    .map_err(DbError::from)?;
    row.ok_or(ConsumeError::Token(TokenError::Unknown))
}

/// The account a still-valid link belongs to, without using the link up.
pub fn check(
    conn: &mut Conn,
    now: NaiveDateTime,
    raw: &str,
    purpose: Purpose,
) -> Result<UserRow, ConsumeError> {
    let row = find(conn, raw, purpose)?;
    if row.used_at.is_some() {
        return Err(TokenError::Used.into());
    }
    if row.expires_at <= now {
        return Err(TokenError::Expired.into());
    }
    let user = with_conn!(conn, |c| users::table
        .find(row.user_id)
        .select(UserRow::as_select())
        .first(c))
    .map_err(DbError::from)?;
    Ok(user)
}

/// Uses the link up and returns its account; call inside the transaction that acts on it.
/// The conditional update makes a link usable once even when two requests race.
pub fn consume(
    conn: &mut Conn,
    now: NaiveDateTime,
    raw: &str,
    purpose: Purpose,
) -> Result<UserRow, ConsumeError> {
    let user = check(conn, now, raw, purpose)?;
    let row = find(conn, raw, purpose)?;
    let updated = with_conn!(conn, |c| diesel::update(
        account_tokens::table
            .filter(account_tokens::id.eq(row.id))
            .filter(account_tokens::used_at.is_null())
    )
    .set(account_tokens::used_at.eq(Some(now)))
    .execute(c))
    .map_err(DbError::from)?;
    if updated == 0 {
        return Err(TokenError::Used.into());
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = new_raw_token();
        let b = new_raw_token();
        assert_ne!(a, b);
        assert!(a.len() >= 43);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
        assert_eq!(hash_token("abc").len(), 64);
    }

    #[test]
    fn lifetimes() {
        assert_eq!(Purpose::Activation.lifetime(), Duration::days(7));
        assert_eq!(Purpose::PasswordReset.lifetime(), Duration::hours(2));
    }
}
