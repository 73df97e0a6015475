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

pub async fn institutions(state: State, _admin: AdminApi) -> Result<HttpResponse, ApiError> {
    let items = state.pool.run(overview::institutions).await?;
    Ok(listing(items))
}

pub async fn suppliers(state: State, _admin: AdminApi) -> Result<HttpResponse, ApiError> {
    let items = state.pool.run(overview::suppliers).await?;
    Ok(listing(items))
}

pub async fn lots(state: State, _admin: AdminApi) -> Result<HttpResponse, ApiError> {
    let items = state.pool.run(overview::lots).await?;
    Ok(listing(items))
}

pub async fn api_clients(state: State, _admin: AdminApi) -> Result<HttpResponse, ApiError> {
    let items: Vec<ApiClientRow> = state.pool.run(api_clients::list).await?;
    Ok(listing(items))
}

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
pub struct DeliveriesQuery {
    supplier_id: Option<i64>,
}

/// Every supplier's webhook deliveries, newest first (the authority's view).
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
