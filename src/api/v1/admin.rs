//! The purchasing authority's API (admin clients only): overview of institutions, suppliers
//! and lots, and issuing and revoking API clients.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::api::auth::AdminApi;
use crate::api::problem::ApiError;
use crate::auth::api_client;
use crate::db::api_clients::{self, ApiClientRow};
use crate::overview;
use crate::parties::Role;
use crate::startup::State;
use crate::validation::ValidationErrors;

#[derive(Debug, Serialize)]
struct Listing<T> {
    items: Vec<T>,
    total: usize,
}

fn listing<T: Serialize>(items: Vec<T>) -> HttpResponse {
    HttpResponse::Ok().json(Listing {
        total: items.len(),
        items,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/institutions",
    tag = "admin",
    summary = "Institutions",
    description = "All institutions with their authority.",
    operation_id = "admin_institutions",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The institutions", body = super::openapi::AnyListing, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn institutions(state: State, _admin: AdminApi) -> Result<HttpResponse, ApiError> {
    let items = state.pool.run(overview::institutions).await?;
    Ok(listing(items))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/suppliers",
    tag = "admin",
    summary = "Suppliers",
    description = "All suppliers.",
    operation_id = "admin_suppliers",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The suppliers", body = super::openapi::AnyListing, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn suppliers(state: State, _admin: AdminApi) -> Result<HttpResponse, ApiError> {
    let items = state.pool.run(overview::suppliers).await?;
    Ok(listing(items))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/lots",
    tag = "admin",
    summary = "Lots",
    description = "All lots with their cascades.",
    operation_id = "admin_lots",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The lots", body = super::openapi::AnyListing, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn lots(state: State, _admin: AdminApi) -> Result<HttpResponse, ApiError> {
    let items = state.pool.run(overview::lots).await?;
    Ok(listing(items))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/api-clients",
    tag = "admin",
    summary = "API clients",
    description = "All API clients (never their secrets).",
    operation_id = "admin_api_clients",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The clients", body = super::openapi::AnyListing, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn api_clients(state: State, _admin: AdminApi) -> Result<HttpResponse, ApiError> {
    let items: Vec<ApiClientRow> = state.pool.run(api_clients::list).await?;
    Ok(listing(items))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewClientJson {
    #[serde(default)]
    role: String,
    #[serde(default)]
    for_id: Option<i64>,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Serialize)]
struct IssuedClientJson {
    client_id: String,
    /// Shown this once; only a hash is kept.
    client_secret: String,
    name: String,
    role: String,
    institution_id: Option<i64>,
    supplier_id: Option<i64>,
    created_at: chrono::NaiveDateTime,
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/api-clients",
    tag = "admin",
    summary = "Issue an API client",
    description = "Issues a client for the authority, an institution or a supplier; the secret is shown once.",
    operation_id = "admin_api_clients_issue",
    request_body = NewClientJson,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The client and its secret", body = super::openapi::IssuedClient, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn issue_client(
    state: State,
    AdminApi(admin): AdminApi,
    body: web::Json<NewClientJson>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let role = Role::parse(body.role.trim()).ok_or_else(|| {
        ValidationErrors::single(
            "role",
            "role-invalid",
            "the role is admin, institution or supplier",
        )
    })?;
    let now = state.clock.now_naive();
    let issued = state
        .pool
        .run(move |conn| api_client::issue(conn, now, &admin, role, body.for_id, &body.name))
        .await?;
    let client = issued.client;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(IssuedClientJson {
            client_id: client.client_id,
            client_secret: issued.client_secret,
            name: client.name,
            role: client.role,
            institution_id: client.institution_id,
            supplier_id: client.supplier_id,
            created_at: client.created_at,
        }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/api-clients/{client_id}",
    tag = "admin",
    summary = "Revoke an API client",
    description = "Revokes a client: its tokens stop working at once.",
    operation_id = "admin_api_clients_revoke",
    params(("client_id" = String, Path, description = "The client id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn revoke_client(
    state: State,
    AdminApi(admin): AdminApi,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path.into_inner();
    let now = state.clock.now_naive();
    state
        .pool
        .run(move |conn| api_client::revoke(conn, now, &admin, &client_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    supplier_id: Option<i64>,
}

/// Every supplier's webhook deliveries, newest first (the authority's view).
#[utoipa::path(
    get,
    path = "/api/v1/admin/webhook-deliveries",
    tag = "admin",
    summary = "Webhook deliveries",
    description = "Every supplier's webhook deliveries, newest first.",
    operation_id = "admin_webhook_deliveries",
    params(DeliveriesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The deliveries", body = super::openapi::AnyListing, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn webhook_deliveries(
    state: State,
    _admin: AdminApi,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let supplier = query.into_inner().supplier_id;
    let items = state
        .pool
        .run(move |conn| crate::webhooks::deliveries(conn, supplier, 500))
        .await?;
    Ok(listing(items))
}
