//! Persisted idempotency for order creation: `(principal, Idempotency-Key)` maps to the first
//! answer. A retry gets that answer again, never a second order; the same key with a
//! different request is refused.

use sha2::{Digest, Sha256};

use crate::db::orders as q;
use crate::db::{Conn, DbError};

pub const MAX_KEY_LEN: usize = 200;

pub fn request_hash(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub enum Replay {
    /// First time this key is seen.
    New,
    /// Seen with the same request: here is the saved answer.
    Same { status: u16, body: String },
    /// Seen with a different request.
    Mismatch,
}

pub fn lookup(conn: &mut Conn, principal: &str, key: &str, hash: &str) -> Result<Replay, DbError> {
    Ok(match q::saved_response(conn, principal, key)? {
        None => Replay::New,
        Some(saved) if saved.request_hash == hash => Replay::Same {
            status: u16::try_from(saved.response_status).unwrap_or(200),
            body: saved.response_body,
        },
        Some(_) => Replay::Mismatch,
    })
}

pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN && key.chars().all(|c| c.is_ascii_graphic())
}
