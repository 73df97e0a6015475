//! `POST /api/v1/oauth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).
//!
//! Clients authenticate with HTTP Basic or with `client_id` + `client_secret` form fields
//! (§2.3.1) and receive a bearer access token (§5.1). Errors follow §5.2, not RFC 9457,
//! because OAuth client libraries expect that shape from a token endpoint.

use std::borrow::Cow;
use std::fmt;

use actix_web::error::UrlencodedError;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::json;

use crate::api::problem::ApiError;
use crate::auth::api_client;
use crate::auth::jwt::{self, Subject, TokenKeys};
use crate::parties::Role;
use crate::startup::State;

const GRANT_TYPE: &str = "client_credentials";

/// The token route, with its own form error handler so that malformed bodies get an OAuth
/// error rather than a problem document.
pub fn resource() -> actix_web::Resource {
    web::resource("/oauth/token")
        .app_data(
            web::FormConfig::default()
                .limit(8 * 1024)
                .error_handler(form_error),
        )
        .route(web::post().to(token))
}

#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/oauth/token",
    tag = "oauth",
    summary = "Access token",
    description = "OAuth 2.0 client-credentials grant (RFC 6749 §4.4). The client authenticates with HTTP Basic or with the client_id and client_secret form fields, not both. Errors follow RFC 6749 §5.2.",
    operation_id = "oauth_token",
    request_body(content = super::openapi::TokenForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, description = "An access token", body = super::openapi::TokenResponse, content_type = "application/json"),
        (status = 400, description = "invalid_request or unsupported_grant_type", body = super::openapi::OAuthErrorBody, content_type = "application/json"),
        (status = 401, description = "invalid_client", body = super::openapi::OAuthErrorBody, content_type = "application/json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn token(
    state: State,
    request: HttpRequest,
    form: web::Form<TokenRequest>,
) -> Result<HttpResponse, OAuthError> {
    let form = form.into_inner();
    match form.grant_type.as_deref() {
        None | Some("") => {
            return Err(OAuthError::invalid_request(
                "grant_type is required (client_credentials)",
            ))
        }
        Some(GRANT_TYPE) => {}
        Some(_) => return Err(OAuthError::UnsupportedGrantType),
    }
    let (client_id, secret) = client_credentials(&request, form.client_id, form.client_secret)?;
    let client = state
        .pool
        .run(move |conn| api_client::authenticate(conn, &client_id, &secret))
        .await
        .map_err(|e| OAuthError::Server(e.into()))?
        .ok_or(OAuthError::InvalidClient)?;
    let role = Role::parse(&client.role).ok_or(OAuthError::Server(ApiError::Internal))?;
    let issued = jwt::issue(
        &TokenKeys::from_settings(&state.settings),
        state.clock.now(),
        &Subject {
            client_id: &client.client_id,
            role,
            institution_id: client.institution_id,
            supplier_id: client.supplier_id,
        },
    )
    .map_err(|error| {
        tracing::error!(%error, "access token not issued");
        OAuthError::Server(ApiError::Internal)
    })?;
    Ok(no_store(HttpResponse::Ok()).json(json!({
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
    })))
}

/// The client id and secret, from exactly one of the two methods RFC 6749 §2.3.1 allows.
fn client_credentials(
    request: &HttpRequest,
    form_id: Option<String>,
    form_secret: Option<String>,
) -> Result<(String, String), OAuthError> {
    match basic_credentials(request)? {
        Some((id, secret)) => {
            if form_secret.is_some() || form_id.is_some_and(|form_id| form_id != id) {
                return Err(OAuthError::invalid_request(
                    "authenticate the client with HTTP Basic or with form fields, not both",
                ));
            }
            Ok((id, secret))
        }
        None => match (form_id, form_secret) {
            (Some(id), Some(secret)) => Ok((id, secret)),
            _ => Err(OAuthError::InvalidClient),
        },
    }
}

/// `Authorization: Basic base64(client_id:client_secret)`, each part form-urlencoded first.
fn basic_credentials(request: &HttpRequest) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| OAuthError::InvalidClient)?;
    let (scheme, encoded) = value
        .trim()
        .split_once(' ')
        .ok_or(OAuthError::InvalidClient)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::InvalidClient);
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(OAuthError::InvalidClient)?;
    let (id, secret) = decoded.split_once(':').ok_or(OAuthError::InvalidClient)?;
    Ok(Some((form_decode(id)?, form_decode(secret)?)))
}

fn form_decode(part: &str) -> Result<String, OAuthError> {
    percent_decode_str(&part.replace('+', " "))
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| OAuthError::InvalidClient)
}

/// Token responses carry credentials: never cached (RFC 6749 §5.1).
fn no_store(mut response: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    response
}

/// An error of the token endpoint (RFC 6749 §5.2).
#[derive(Debug)]
pub enum OAuthError {
    InvalidRequest(String),
    /// Unknown client, wrong secret, revoked client or missing authentication: one answer
    /// for all, so the endpoint does not reveal which client ids exist.
    InvalidClient,
    UnsupportedGrantType,
    /// Storage trouble, answered like every other API failure.
    Server(ApiError),
}

impl OAuthError {
    fn invalid_request(description: impl Into<String>) -> OAuthError {
        OAuthError::InvalidRequest(description.into())
    }

    fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::Server(_) => "server_error",
        }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OAuthError::InvalidRequest(description) => f.write_str(description),
            OAuthError::InvalidClient => f.write_str("client authentication failed"),
            OAuthError::UnsupportedGrantType => write!(f, "the only grant type is {GRANT_TYPE}"),
            OAuthError::Server(error) => error.fmt(f),
        }
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            OAuthError::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthError::Server(error) => error.status_code(),
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let OAuthError::Server(error) = self {
            return error.error_response();
        }
        let mut response = no_store(HttpResponse::build(self.status_code()));
        if let OAuthError::InvalidClient = self {
            response.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="centrale""#));
        }
        response.json(json!({
            "error": self.code(),
            "error_description": self.to_string(),
        }))
    }
}

fn form_error(error: UrlencodedError, _: &HttpRequest) -> actix_web::Error {
    let description = match error {
        UrlencodedError::ContentType => {
            "the body must be application/x-www-form-urlencoded".to_owned()
        }
        UrlencodedError::Overflow { .. } => "the request body is too large".to_owned(),
        // Includes parameters given twice, which §3.2 forbids.
        other => format!("malformed form body: {other}"),
    };
    OAuthError::InvalidRequest(description).into()
}
