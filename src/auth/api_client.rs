//! API clients: programs (a supplier's ERP, an institution's purchasing system, the
//! authority's scripts) that obtain access tokens with a client id and secret.
//!
//! The secret is shown once, when the client is issued, and only its hash is stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::audit;
use crate::auth::Principal;
use crate::db::api_clients::{self as q, ApiClientRow, NewApiClient};
use crate::db::{parties, Conn};
use crate::error::ServiceError;
use crate::parties::Role;
use crate::validation::ValidationErrors;

const CLIENT_ID_PREFIX: &str = "cl_";
const SECRET_PREFIX: &str = "cs_";
/// 18 random bytes: 24 url-safe characters, enough that ids are never guessed or repeated.
const CLIENT_ID_BYTES: usize = 18;
/// 32 random bytes (256 bits): 43 url-safe characters.
const SECRET_BYTES: usize = 32;

/// A newly issued client; `client_secret` exists only here and is never stored.
#[derive(Debug, Clone)]
pub struct IssuedClient {
    pub client: ApiClientRow,
    pub client_secret: String,
}

/// Creates a client bound to `for_id` (an institution or supplier id; nothing for admins).
pub fn issue(
    conn: &mut Conn,
    now: NaiveDateTime,
    actor: &Principal,
    role: Role,
    for_id: Option<i64>,
    name: &str,
) -> Result<IssuedClient, ServiceError> {
    let mut errors = ValidationErrors::new();
    let name = errors.require_text("name", name, 200);
    let (institution_id, supplier_id) = match (role, for_id) {
        (Role::Admin, None) => (None, None),
        (Role::Admin, Some(_)) => {
            errors.add(
                "for_id",
                "api-client-binding",
                "an admin client acts for the purchasing authority: give no organisation",
            );
            (None, None)
        }
        (Role::Institution, Some(id)) => {
            if parties::institution(conn, id)?.is_none() {
                errors.add(
                    "for_id",
                    "institution-unknown",
                    format!("there is no institution with id {id}"),
                );
            }
            (Some(id), None)
        }
        (Role::Supplier, Some(id)) => {
            if parties::supplier(conn, id)?.is_none() {
                errors.add(
                    "for_id",
                    "supplier-unknown",
                    format!("there is no supplier with id {id}"),
                );
            }
            (None, Some(id))
        }
        (Role::Institution | Role::Supplier, None) => {
            errors.add(
                "for_id",
                "api-client-binding",
                format!(
                    "a {} client acts for one {}: give its id",
                    role.code(),
                    role.code()
                ),
            );
            (None, None)
        }
    };
    errors.into_result()?;
    let Some(name) = name else {
        return Err(ServiceError::NotFound("client name"));
    };
    let client_id = format!("{CLIENT_ID_PREFIX}{}", random_url_safe(CLIENT_ID_BYTES));
    let client_secret = format!("{SECRET_PREFIX}{}", random_url_safe(SECRET_BYTES));
    let secret_hash = hash_secret(&client_secret);
    conn.transaction(|conn| {
        let id = q::insert(
            conn,
            &NewApiClient {
                client_id: &client_id,
                secret_hash: &secret_hash,
                name: &name,
                role: role.code(),
                institution_id,
                supplier_id,
                created_at: now,
                created_by: actor.user_id,
            },
        )?;
        audit::record(
            conn,
            now,
            actor,
            "api_client.issued",
            "api_client",
            Some(id),
            json!({
                "client_id": client_id,
                "name": name,
                "role": role.code(),
                "institution_id": institution_id,
                "supplier_id": supplier_id,
            }),
        )?;
        let client = q::by_client_id(conn, &client_id)?.ok_or(ServiceError::NotFound("client"))?;
        Ok(IssuedClient {
            client,
            client_secret,
        })
    })
}

/// Revokes a client at once: no new tokens, and tokens already issued stop working on their
/// next request. Revoking a revoked client changes nothing and records nothing.
pub fn revoke(
    conn: &mut Conn,
    now: NaiveDateTime,
    actor: &Principal,
    client_id: &str,
) -> Result<ApiClientRow, ServiceError> {
    conn.transaction(|conn| {
        let client = q::by_client_id(conn, client_id)?.ok_or(ServiceError::NotFound("client"))?;
        if q::revoke(conn, client_id, now)? {
            audit::record(
                conn,
                now,
                actor,
                "api_client.revoked",
                "api_client",
                Some(client.id),
                json!({ "client_id": client.client_id, "name": client.name }),
            )?;
        }
        q::by_client_id(conn, client_id)?.ok_or(ServiceError::NotFound("client"))
    })
}

/// The client whose id and secret these are, unless revoked. Unknown ids cost the same hash
/// and comparison as wrong secrets, so timing does not tell which ids exist.
pub fn authenticate(
    conn: &mut Conn,
    client_id: &str,
    secret: &str,
) -> Result<Option<ApiClientRow>, ServiceError> {
    let presented = hash_secret(secret);
    let client = q::by_client_id(conn, client_id)?;
    let stored = client
        .as_ref()
        .map(|c| c.secret_hash.as_str())
        .unwrap_or(UNKNOWN_CLIENT_HASH);
    let matches: bool = presented.as_bytes().ct_eq(stored.as_bytes()).into();
    Ok(client.filter(|c| matches && !c.is_revoked()))
}

/// Compared against when the client id is unknown; no secret hashes to it.
const UNKNOWN_CLIENT_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256, unsalted and fast, is enough here because the secrets are 256-bit random
/// values, not passwords chosen by people: there is no dictionary to try, and a slow hash
/// (argon2) would only make every token request expensive.
fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn random_url_safe(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_have_the_announced_shape() {
        let id = format!("{CLIENT_ID_PREFIX}{}", random_url_safe(CLIENT_ID_BYTES));
        let secret = format!("{SECRET_PREFIX}{}", random_url_safe(SECRET_BYTES));
        assert_eq!(id.len(), 3 + 24);
        assert_eq!(secret.len(), 3 + 43);
        let url_safe = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        assert!(url_safe(&id) && url_safe(&secret));
        assert_ne!(random_url_safe(SECRET_BYTES), random_url_safe(SECRET_BYTES));
    }

    #[test]
    fn secrets_are_stored_as_sha256_hex() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hash_secret("x").len(), UNKNOWN_CLIENT_HASH.len());
    }
}
