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

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    authority: Option<String>,
}

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

#[derive(Debug, Deserialize, Default)]
pub struct ReasonJson {
    #[serde(default)]
    reason: String,
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserJson {
    name: String,
    email: String,
    #[serde(default)]
    language: Option<String>,
}

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
