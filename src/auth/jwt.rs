//! Access tokens for the API: short-lived JWTs signed with HS256 and nothing else.
//!
//! Signature and algorithm are checked by `jsonwebtoken`; time is checked here against the
//! shop's clock rather than the system time, so expiry follows the same clock as every other
//! deadline (and tests can move it).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::parties::Role;

pub const ISSUER: &str = "centrale";
/// Short enough that a leaked token is worth little, long enough that a batch job does not
/// spend its time asking for new ones.
pub const LIFETIME_SECONDS: i64 = 15 * 60;
/// Tolerated difference between the shop's clock and the one that issued the token.
pub const CLOCK_SKEW_SECONDS: i64 = 30;
/// The single accepted algorithm: accepting a list is how "alg confusion" attacks start.
const ALGORITHM: Algorithm = Algorithm::HS256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The API client's public `client_id`.
    pub sub: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_id: Option<i64>,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub iss: String,
}

impl Claims {
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
}

/// Whom a token is issued to.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub client_id: &'a str,
    pub role: Role,
    pub institution_id: Option<i64>,
    pub supplier_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: String,
    pub expires_in: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token is malformed or lacks required claims")]
    Malformed,
    #[error("the access token is not signed with HS256")]
    Algorithm,
    #[error("the access token's signature is invalid")]
    Signature,
    #[error("the access token was not issued by this shop")]
    Issuer,
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is dated in the future")]
    NotYetValid,
}

/// The signing key and every key whose signatures are still accepted.
#[derive(Clone)]
pub struct TokenKeys {
    signing: EncodingKey,
    verifying: Vec<DecodingKey>,
}

impl TokenKeys {
    /// `current` signs; `current` and `previous` verify, so tokens issued just before a key
    /// rotation keep working until they expire.
    pub fn new(current: &str, previous: &[String]) -> TokenKeys {
        let verifying = std::iter::once(current)
            .chain(previous.iter().map(String::as_str))
            .map(|key| DecodingKey::from_secret(key.as_bytes()))
            .collect();
        TokenKeys {
            signing: EncodingKey::from_secret(current.as_bytes()),
            verifying,
        }
    }

    pub fn from_settings(settings: &Settings) -> TokenKeys {
        TokenKeys::new(&settings.jwt_key(), &settings.jwt_previous_keys())
    }
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKeys({} verifying, ***)", self.verifying.len())
    }
}

pub fn issue(
    keys: &TokenKeys,
    now: DateTime<Utc>,
    subject: &Subject<'_>,
) -> anyhow::Result<AccessToken> {
    let iat = now.timestamp();
    let claims = Claims {
        sub: subject.client_id.to_owned(),
        role: subject.role.code().to_owned(),
        institution_id: subject.institution_id,
        supplier_id: subject.supplier_id,
        exp: iat + LIFETIME_SECONDS,
        iat,
        jti: random_token_id(),
        iss: ISSUER.to_owned(),
    };
    let token = jsonwebtoken::encode(&Header::new(ALGORITHM), &claims, &keys.signing)
        .map_err(|e| anyhow::anyhow!("cannot sign an access token: {e}"))?;
    Ok(AccessToken {
        token,
        expires_in: LIFETIME_SECONDS,
    })
}

/// Checks algorithm, signature (current key, then previous ones), issuer, claims and time.
pub fn verify(keys: &TokenKeys, now: DateTime<Utc>, token: &str) -> Result<Claims, TokenError> {
    let mut validation = Validation::new(ALGORITHM);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    // Expiry is checked below against the shop's clock, not the system time.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let mut outcome = Err(TokenError::Signature);
    for key in &keys.verifying {
        outcome = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| token_error(e.kind()));
        // Only a signature mismatch means another key may have signed it.
        if outcome != Err(TokenError::Signature) {
            break;
        }
    }
    let claims = outcome?;
    if claims.role().is_none() || claims.sub.is_empty() || claims.jti.is_empty() {
        return Err(TokenError::Malformed);
    }
    let now = now.timestamp();
    if now >= claims.exp.saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(TokenError::Expired);
    }
    if claims.iat > now.saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(TokenError::NotYetValid);
    }
    Ok(claims)
}

fn token_error(kind: &ErrorKind) -> TokenError {
    match kind {
        ErrorKind::InvalidSignature => TokenError::Signature,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => TokenError::Algorithm,
        ErrorKind::InvalidIssuer => TokenError::Issuer,
        _ => TokenError::Malformed,
    }
}

/// A unique token id (`jti`), so two tokens issued in the same second still differ.
fn random_token_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use serde_json::json;

    const KEY: &str = "test-signing-key-of-a-reasonable-length-0123456789";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).unwrap()
    }

    fn keys() -> TokenKeys {
        TokenKeys::new(KEY, &[])
    }

    fn supplier() -> Subject<'static> {
        Subject {
            client_id: "cl_supplier",
            role: Role::Supplier,
            institution_id: None,
            supplier_id: Some(7),
        }
    }

    fn token() -> String {
        issue(&keys(), now(), &supplier()).unwrap().token
    }

    /// Signs arbitrary claims with `alg`, as an attacker holding (or guessing) a key could.
    fn forge(alg: Algorithm, key: &str, claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(key.as_bytes()),
        )
        .unwrap()
    }

    fn valid_claims() -> serde_json::Value {
        let iat = now().timestamp();
        json!({
            "sub": "cl_supplier", "role": "supplier", "supplier_id": 7,
            "exp": iat + LIFETIME_SECONDS, "iat": iat, "jti": "abc", "iss": ISSUER,
        })
    }

    fn segments(token: &str) -> Vec<String> {
        token.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn issued_tokens_verify_with_their_claims() {
        let issued = issue(&keys(), now(), &supplier()).unwrap();
        assert_eq!(issued.expires_in, 900);
        let claims = verify(&keys(), now(), &issued.token).unwrap();
        assert_eq!(claims.sub, "cl_supplier");
        assert_eq!(claims.role(), Some(Role::Supplier));
        assert_eq!(claims.supplier_id, Some(7));
        assert_eq!(claims.institution_id, None);
        assert_eq!(claims.iss, "centrale");
        assert_eq!(claims.exp - claims.iat, 900);
        let header = jsonwebtoken::decode_header(&issued.token).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
    }

    #[test]
    fn every_token_has_its_own_id() {
        let a = verify(&keys(), now(), &token()).unwrap();
        let b = verify(&keys(), now(), &token()).unwrap();
        assert_ne!(a.jti, b.jti);
    }

    #[test]
    fn expiry_follows_the_given_clock_with_thirty_seconds_of_skew() {
        let token = token();
        let end = now() + Duration::seconds(LIFETIME_SECONDS);
        assert!(verify(&keys(), end + Duration::seconds(29), &token).is_ok());
        assert_eq!(
            verify(&keys(), end + Duration::seconds(30), &token),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify(&keys(), now() + Duration::minutes(16), &token),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn tokens_from_the_future_are_refused() {
        assert_eq!(
            verify(&keys(), now() - Duration::minutes(5), &token()),
            Err(TokenError::NotYetValid)
        );
    }

    #[test]
    fn a_tampered_payload_breaks_the_signature() {
        let parts = segments(&token());
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        claims["role"] = json!("admin");
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let tampered = format!("{}.{}.{}", parts[0], payload, parts[2]);
        assert_eq!(
            verify(&keys(), now(), &tampered),
            Err(TokenError::Signature)
        );
    }

    #[test]
    fn another_key_is_refused() {
        let forged = forge(Algorithm::HS256, "some-other-key", valid_claims());
        assert_eq!(verify(&keys(), now(), &forged), Err(TokenError::Signature));
        assert!(verify(
            &keys(),
            now(),
            &forge(Algorithm::HS256, KEY, valid_claims())
        )
        .is_ok());
    }

    #[test]
    fn unsigned_tokens_are_refused() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(valid_claims().to_string());
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            assert_eq!(verify(&keys(), now(), &token), Err(TokenError::Malformed));
        }
    }

    #[test]
    fn other_hmac_algorithms_are_refused_even_with_the_right_key() {
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            let token = forge(alg, KEY, valid_claims());
            assert_eq!(
                verify(&keys(), now(), &token),
                Err(TokenError::Algorithm),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn missing_claims_are_refused() {
        for claim in ["sub", "role", "exp", "iat", "jti", "iss"] {
            let mut claims = valid_claims();
            claims.as_object_mut().unwrap().remove(claim);
            let token = forge(Algorithm::HS256, KEY, claims);
            assert_eq!(
                verify(&keys(), now(), &token),
                Err(TokenError::Malformed),
                "without {claim}"
            );
        }
        let mut claims = valid_claims();
        claims["role"] = json!("superuser");
        let token = forge(Algorithm::HS256, KEY, claims);
        assert_eq!(verify(&keys(), now(), &token), Err(TokenError::Malformed));
    }

    #[test]
    fn another_issuer_is_refused() {
        let mut claims = valid_claims();
        claims["iss"] = json!("someone-else");
        let token = forge(Algorithm::HS256, KEY, claims);
        assert_eq!(verify(&keys(), now(), &token), Err(TokenError::Issuer));
    }

    #[test]
    fn garbage_is_refused() {
        for token in ["", "abc", "a.b.c", "a.b.c.d"] {
            assert_eq!(
                verify(&keys(), now(), token),
                Err(TokenError::Malformed),
                "{token:?}"
            );
        }
    }

    #[test]
    fn previous_keys_verify_but_never_sign() {
        let old = TokenKeys::new("the-key-before-rotation", &[]);
        let issued_before = issue(&old, now(), &supplier()).unwrap().token;
        let rotated = TokenKeys::new(KEY, &["the-key-before-rotation".to_owned()]);
        assert!(verify(&rotated, now(), &issued_before).is_ok());
        assert_eq!(
            verify(&keys(), now(), &issued_before),
            Err(TokenError::Signature)
        );
        // New tokens are signed with the current key only.
        let issued_after = issue(&rotated, now(), &supplier()).unwrap().token;
        assert!(verify(&keys(), now(), &issued_after).is_ok());
        assert_eq!(
            verify(&old, now(), &issued_after),
            Err(TokenError::Signature)
        );
    }

    #[test]
    fn keys_never_print() {
        let printed = format!("{:?}", TokenKeys::new(KEY, &["old".into()]));
        assert!(
            !printed.contains(KEY) && !printed.contains("old"),
            "{printed}"
        );
    }
}
