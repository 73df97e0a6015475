//! Suppliers for admin clients (JSON): create, read, change, suspend and reactivate, with
//! the same rules and audit trail as the back office.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::api::auth::AdminApi;
use crate::api::problem::ApiError;
use crate::parties::{self, SupplierEdit, SupplierInput, SupplierOverview};
use crate::startup::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/suppliers", web::post().to(create))
        .service(
            web::resource("/admin/suppliers/{id}")
                .route(web::get().to(show))
                .route(web::patch().to(update)),
        )
        .route("/admin/suppliers/{id}/suspend", web::post().to(suspend))
        .route(
            "/admin/suppliers/{id}/reactivate",
            web::post().to(reactivate),
        );
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewSupplierJson {
    /// Ten digits with a valid mod-97 check (dots and spaces allowed).
    #[serde(default)]
    enterprise_number: String,
    #[serde(default)]
    name: String,
    /// Where orders are announced.
    #[serde(default)]
    email: String,
    /// `fr` or `nl`.
    #[serde(default)]
    language: String,
}

/// Fields left out keep their current value.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SupplierPatchJson {
    #[schema(nullable = false)]
    name: Option<String>,
    #[schema(nullable = false)]
    email: Option<String>,
    #[schema(nullable = false)]
    language: Option<String>,
}

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct SuspendJson {
    #[serde(default)]
    reason: String,
}

/// A place the supplier holds in a lot's cascade.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CascadePlaceJson {
    lot_id: i64,
    lot_reference: String,
    rank: i32,
    active: bool,
}

/// One of the supplier's API clients (never its secret).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SupplierClientJson {
    client_id: String,
    name: String,
    /// UTC, without offset.
    created_at: String,
    /// UTC, without offset; null while the client works.
    #[schema(required = true)]
    revoked_at: Option<String>,
}

/// A supplier as the purchasing authority sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SupplierJson {
    id: i64,
    enterprise_number: String,
    name: String,
    email: String,
    language: String,
    /// `active` or `suspended`.
    status: String,
    /// Whether the supplier registered a webhook (its address, never its secret).
    webhook_set: bool,
    #[schema(required = true)]
    webhook_url: Option<String>,
    /// UTC, without offset.
    created_at: String,
    /// UTC, without offset.
    updated_at: String,
    cascade: Vec<CascadePlaceJson>,
    api_clients: Vec<SupplierClientJson>,
}

fn timestamp(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn to_json(overview: SupplierOverview) -> SupplierJson {
    let s = overview.supplier;
    SupplierJson {
        id: s.id,
        enterprise_number: s.enterprise_number,
        name: s.name,
        email: s.email,
        language: s.language,
        status: s.status,
        webhook_set: s.webhook_url.is_some(),
        webhook_url: s.webhook_url,
        created_at: timestamp(s.created_at),
        updated_at: timestamp(s.updated_at),
        cascade: overview
            .places
            .into_iter()
            .map(|p| CascadePlaceJson {
                lot_id: p.lot_id,
                lot_reference: p.lot_reference,
                rank: p.rank,
                active: p.active,
            })
            .collect(),
        api_clients: overview
            .clients
            .into_iter()
            .map(|c| SupplierClientJson {
                client_id: c.client_id,
                name: c.name,
                created_at: timestamp(c.created_at),
                revoked_at: c.revoked_at.map(timestamp),
            })
            .collect(),
    }
}

async fn load(state: &State, id: i64) -> Result<SupplierJson, ApiError> {
    state
        .pool
        .run(move |conn| parties::supplier_overview(conn, id))
        .await?
        .map(to_json)
        .ok_or_else(|| ApiError::NotFound("no such supplier".into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/suppliers",
    tag = "admin",
    summary = "Create a supplier",
    description = "Registers an active supplier; the enterprise number must be valid and not yet registered.",
    operation_id = "admin_suppliers_create",
    request_body = NewSupplierJson,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The supplier", body = SupplierJson, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or the enterprise number is already registered", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn create(
    state: State,
    AdminApi(admin): AdminApi,
    body: web::Json<NewSupplierJson>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let now = state.clock.now_naive();
    let id = state
        .pool
        .run(move |conn| {
            parties::create_supplier(
                conn,
                now,
                &admin,
                &SupplierInput {
                    enterprise_number: &body.enterprise_number,
                    name: &body.name,
                    email: &body.email,
                    language: &body.language,
                },
            )
        })
        .await?;
    let supplier = load(&state, id).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/admin/suppliers/{id}"),
        ))
        .json(supplier))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/suppliers/{id}",
    tag = "admin",
    summary = "One supplier",
    description = "A supplier with its cascade places and API clients.",
    operation_id = "admin_suppliers_show",
    params(("id" = i64, Path, description = "The supplier id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The supplier", body = SupplierJson, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn show(
    state: State,
    _admin: AdminApi,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(load(&state, id.into_inner()).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v1/admin/suppliers/{id}",
    tag = "admin",
    summary = "Change a supplier",
    description = "Changes the name, order email or language; the enterprise number never changes.",
    operation_id = "admin_suppliers_update",
    params(("id" = i64, Path, description = "The supplier id")),
    request_body = SupplierPatchJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The supplier", body = SupplierJson, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn update(
    state: State,
    AdminApi(admin): AdminApi,
    id: web::Path<i64>,
    body: web::Json<SupplierPatchJson>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let now = state.clock.now_naive();
    state
        .pool
        .run(move |conn| {
            let current = crate::db::parties::supplier(conn, id)?
                .ok_or(crate::error::ServiceError::NotFound("supplier"))?;
            let name = body.name.unwrap_or(current.name);
            let email = body.email.unwrap_or(current.email);
            let language = body.language.unwrap_or(current.language);
            parties::update_supplier(
                conn,
                now,
                &admin,
                id,
                &SupplierEdit {
                    name: &name,
                    email: &email,
                    language: &language,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(load(&state, id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/suppliers/{id}/suspend",
    tag = "admin",
    summary = "Suspend a supplier",
    description = "Routing skips the supplier from the next order on; its users and API clients are refused at once.",
    operation_id = "admin_suppliers_suspend",
    params(("id" = i64, Path, description = "The supplier id")),
    request_body(content = Option<SuspendJson>, description = "An optional reason, kept in the audit trail"),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Suspended"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn suspend(
    state: State,
    AdminApi(admin): AdminApi,
    id: web::Path<i64>,
    body: Option<web::Json<SuspendJson>>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    let now = state.clock.now_naive();
    state
        .pool
        .run(move |conn| parties::suspend_supplier(conn, now, &admin, id, &reason))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/suppliers/{id}/reactivate",
    tag = "admin",
    summary = "Reactivate a supplier",
    description = "The supplier receives orders again and its API clients work again.",
    operation_id = "admin_suppliers_reactivate",
    params(("id" = i64, Path, description = "The supplier id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Reactivated"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn reactivate(
    state: State,
    AdminApi(admin): AdminApi,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    state
        .pool
        .run(move |conn| parties::reactivate_supplier(conn, now, &admin, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
