//! The membership review as JSON for admin clients: the application queue, one application,
//! approve, reject, suspend, reactivate, add a buyer. Same rules and emails as the back office.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::api::auth::AdminApi;
use crate::api::problem::ApiError;
use crate::auth::Principal;
use crate::error::ServiceError;
use crate::membership::queries::{self, MembershipFilter, STATUSES};
use crate::membership::{self, Context};
use crate::startup::State;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    status: Option<String>,
    authority: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/memberships",
    tag = "admin",
    summary = "Membership applications",
    description = "The institutions by membership status and authority.",
    operation_id = "admin_memberships_list",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The applications", body = super::openapi::AnyListing, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn list(
    state: State,
    _admin: AdminApi,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    if let Some(status) = &query.status {
        if !STATUSES.contains(&status.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "status is one of {}",
                STATUSES.join(", ")
            )));
        }
    }
    let filter = MembershipFilter {
        status: query.status,
        authority: query.authority,
    };
    let items = state
        .pool
        .run(move |conn| queries::list(conn, &filter))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items, "total": items.len() })))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/memberships/{id}",
    tag = "admin",
    summary = "One application",
    description = "An institution's application with its addresses and people.",
    operation_id = "admin_memberships_show",
    params(("id" = i64, Path, description = "The institution id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The application", body = serde_json::Value, content_type = "application/json"),
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
    let id = id.into_inner();
    let detail = state
        .pool
        .run(move |conn| queries::detail(conn, id))
        .await?;
    detail
        .map(|d| HttpResponse::Ok().json(d))
        .ok_or_else(|| ApiError::NotFound("no such institution".into()))
}

async fn act<F>(state: State, admin: Principal, action: F) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut crate::db::Conn, &Context<'_>, &Principal) -> Result<(), ServiceError>
        + Send
        + 'static,
{
    let now = state.clock.now_naive();
    let service_state = state.clone();
    state
        .pool
        .run(move |conn| {
            let ctx = Context {
                now,
                mail: &service_state.mail,
                settings: &service_state.settings,
            };
            action(conn, &ctx, &admin)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct ReasonJson {
    #[serde(default)]
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/memberships/{id}/approve",
    tag = "admin",
    summary = "Approve",
    description = "Approves a pending application; the contact and buyers are invited.",
    operation_id = "admin_memberships_approve",
    params(("id" = i64, Path, description = "The institution id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Approved"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn approve(
    state: State,
    admin: AdminApi,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    act(state, admin.0, move |conn, ctx, actor| {
        membership::approve(conn, ctx, actor, id)
    })
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/memberships/{id}/reject",
    tag = "admin",
    summary = "Reject",
    description = "Rejects a pending application with a reason.",
    operation_id = "admin_memberships_reject",
    params(("id" = i64, Path, description = "The institution id")),
    request_body = ReasonJson,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Rejected"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn reject(
    state: State,
    admin: AdminApi,
    id: web::Path<i64>,
    body: web::Json<ReasonJson>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reason = body.into_inner().reason;
    act(state, admin.0, move |conn, ctx, actor| {
        membership::reject(conn, ctx, actor, id, &reason)
    })
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/institutions/{id}/suspend",
    tag = "admin",
    summary = "Suspend an institution",
    description = "Suspends an active institution (optional reason).",
    operation_id = "admin_institutions_suspend",
    params(("id" = i64, Path, description = "The institution id")),
    request_body(content = Option<ReasonJson>, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Suspended"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn suspend(
    state: State,
    admin: AdminApi,
    id: web::Path<i64>,
    body: Option<web::Json<ReasonJson>>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    act(state, admin.0, move |conn, ctx, actor| {
        membership::suspend(conn, ctx, actor, id, &reason)
    })
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/institutions/{id}/reactivate",
    tag = "admin",
    summary = "Reactivate an institution",
    description = "Reactivates a suspended institution.",
    operation_id = "admin_institutions_reactivate",
    params(("id" = i64, Path, description = "The institution id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Reactivated"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn reactivate(
    state: State,
    admin: AdminApi,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    act(state, admin.0, move |conn, ctx, actor| {
        membership::reactivate(conn, ctx, actor, id)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserJson {
    name: String,
    email: String,
    #[serde(default)]
    language: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/institutions/{id}/users",
    tag = "admin",
    summary = "Add a buyer",
    description = "Adds a buyer account to an institution and invites it.",
    operation_id = "admin_institutions_add_user",
    params(("id" = i64, Path, description = "The institution id")),
    request_body = NewUserJson,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new user", body = super::openapi::UserCreated, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn add_user(
    state: State,
    admin: AdminApi,
    id: web::Path<i64>,
    body: web::Json<NewUserJson>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    let now = state.clock.now_naive();
    let service_state = state.clone();
    let actor = admin.0;
    let user_id = state
        .pool
        .run(move |conn| {
            let ctx = Context {
                now,
                mail: &service_state.mail,
                settings: &service_state.settings,
            };
            membership::add_user(
                conn,
                &ctx,
                &actor,
                id,
                &body.name,
                &body.email,
                body.language.as_deref(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({ "user_id": user_id })))
}
