//! Bearer authentication for the API: extractors that turn `Authorization: Bearer <token>`
//! into the acting [`Principal`], or answer 401/403 before the handler runs.
//!
//! The token's signature and lifetime are not enough: the client is looked up on every
//! request, so revoking it takes effect at once rather than when its tokens expire.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use crate::api::problem::ApiError;
use crate::auth::jwt::{self, TokenError, TokenKeys};
use crate::auth::Principal;
use crate::db::api_clients::{self, ApiClientRow};
use crate::parties::Role;
use crate::startup::State;

/// Any authenticated API client.
#[derive(Debug, Clone)]
pub struct ApiPrincipal(pub Principal);

/// An API client of the purchasing authority.
#[derive(Debug, Clone)]
pub struct AdminApi(pub Principal);

/// An API client acting for one institution.
#[derive(Debug, Clone)]
pub struct InstitutionApi(pub Principal);

/// An API client acting for one supplier.
#[derive(Debug, Clone)]
pub struct SupplierApi(pub Principal);

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for ApiPrincipal {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = request.app_data::<State>().cloned();
        let token = bearer_token(request);
        Box::pin(async move {
            let state = state.ok_or(ApiError::Internal)?;
            authenticate(&state, token?).await.map(ApiPrincipal)
        })
    }
}

macro_rules! role_extractor {
    ($name:ident, $role:expr, $refusal:literal) => {
        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Extracted<Self>;

            fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let principal = ApiPrincipal::from_request(request, payload);
                Box::pin(async move {
                    let ApiPrincipal(principal) = principal.await?;
                    require(principal, $role, $refusal).map($name)
                })
            }
        }
    };
}

role_extractor!(
    AdminApi,
    Role::Admin,
    "this endpoint is reserved to the purchasing authority's API clients"
);
role_extractor!(
    InstitutionApi,
    Role::Institution,
    "this endpoint is reserved to institutions' API clients"
);
role_extractor!(
    SupplierApi,
    Role::Supplier,
    "this endpoint is reserved to suppliers' API clients"
);

/// The principal if it has `role`, a 403 otherwise.
pub fn require(principal: Principal, role: Role, refusal: &str) -> Result<Principal, ApiError> {
    if principal.role == role {
        Ok(principal)
    } else {
        Err(ApiError::Forbidden(refusal.to_owned()))
    }
}

/// The token of an `Authorization: Bearer` header. The scheme is case-insensitive
/// (RFC 9110 §11.1).
fn bearer_token(request: &HttpRequest) -> Result<String, ApiError> {
    let missing = || {
        ApiError::CredentialsRequired(
            "this endpoint needs an access token: Authorization: Bearer <token>, \
             obtained from POST /api/v1/oauth/token"
                .into(),
        )
    };
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| invalid())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(missing());
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(invalid());
    }
    Ok(token.to_owned())
}

fn invalid() -> ApiError {
    ApiError::Unauthorized("the access token is invalid".into())
}

async fn authenticate(state: &State, token: String) -> Result<Principal, ApiError> {
    let keys = TokenKeys::from_settings(&state.settings);
    let claims = jwt::verify(&keys, state.clock.now(), &token).map_err(|error| match error {
        TokenError::Expired => {
            ApiError::Unauthorized("the access token has expired: request a new one".into())
        }
        other => {
            tracing::info!(reason = %other, "access token refused");
            invalid()
        }
    })?;
    let client_id = claims.sub.clone();
    let found = state
        .pool
        .run(move |conn| api_clients::with_organisation_status(conn, &client_id))
        .await?;
    let (client, organisation_status) = found.unzip();
    // Suspending an institution or supplier stops its API clients at once, as it stops its
    // users' sessions. A client acting for an organisation that is gone is refused too.
    let organisation_active = match &client {
        Some(c) if c.institution_id.is_some() || c.supplier_id.is_some() => {
            organisation_status.flatten().as_deref() == Some("active")
        }
        _ => true,
    };
    let client = client.ok_or_else(invalid)?;
    if client.is_revoked() {
        return Err(ApiError::Unauthorized(
            "the API client of this token has been revoked".into(),
        ));
    }
    if let Err(wait) = state.api_limiter.check(client.id) {
        return Err(ApiError::TooManyRequests(wait.as_secs().max(1)));
    }
    if !organisation_active {
        return Err(ApiError::Forbidden(
            "the institution or supplier of this client is not active (suspended or not approved)"
                .into(),
        ));
    }
    principal_of(&client, &claims).ok_or_else(invalid)
}

/// The principal of a stored client, provided the token says the same about it: a token
/// whose role or organisation differs from the client's was not issued by this shop.
fn principal_of(client: &ApiClientRow, claims: &jwt::Claims) -> Option<Principal> {
    let role = Role::parse(&client.role)?;
    let agrees = claims.role() == Some(role)
        && claims.institution_id == client.institution_id
        && claims.supplier_id == client.supplier_id;
    agrees.then(|| Principal {
        role,
        user_id: None,
        api_client_id: Some(client.id),
        institution_id: client.institution_id,
        supplier_id: client.supplier_id,
        label: format!("api-client:{}", client.client_id),
    })
}
