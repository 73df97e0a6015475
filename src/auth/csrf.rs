//! Cross-site request forgery protection for forms: each session holds a random token that
//! every state-changing form sends back in a hidden field. A forged cross-site form cannot
//! read it (SameSite=Lax cookies are a second wall, not the only one).

use actix_session::Session;
use rand::RngCore;

const SESSION_KEY: &str = "csrf";
pub const FIELD: &str = "csrf";

/// The session's token, created on first use.
pub fn token(session: &Session) -> String {
    if let Ok(Some(existing)) = session.get::<String>(SESSION_KEY) {
        return existing;
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    use base64::Engine;
    let fresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let _ = session.insert(SESSION_KEY, &fresh);
    fresh
}

/// True when `submitted` matches the session's token (compared in constant time).
pub fn verify(session: &Session, submitted: Option<&str>) -> bool {
    let Ok(Some(expected)) = session.get::<String>(SESSION_KEY) else {
        return false;
    };
    let Some(submitted) = submitted else {
        return false;
    };
    constant_time_eq(expected.as_bytes(), submitted.as_bytes())
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }
}
