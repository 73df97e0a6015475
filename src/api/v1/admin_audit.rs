//! The audit trail for admin clients (JSON), with the filters of the back-office page.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::api::auth::AdminApi;
use crate::api::problem::ApiError;
use crate::audit::{self, AuditFilter};
use crate::startup::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/audit", web::get().to(list));
}

pub const PER_PAGE: i64 = 50;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Part of the actor's label (a person's name or email, `api-client:<id>`), any case.
    actor: Option<String>,
    /// An action code such as `supplier.suspended`.
    action: Option<String>,
    /// `supplier`, `institution`, `api_client`, ...
    subject_type: Option<String>,
    /// First Brussels calendar day, `YYYY-MM-DD`.
    from: Option<String>,
    /// Last Brussels calendar day (included), `YYYY-MM-DD`.
    until: Option<String>,
    /// From 1; 50 events a page.
    page: Option<String>,
}

/// One recorded change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEventJson {
    id: i64,
    /// UTC, without offset.
    occurred_at: String,
    actor_label: String,
    #[schema(required = true)]
    actor_user_id: Option<i64>,
    #[schema(required = true)]
    actor_client_id: Option<i64>,
    action: String,
    subject_type: String,
    #[schema(required = true)]
    subject_id: Option<i64>,
    /// What changed, usually with `before` and `after`.
    details: serde_json::Value,
}

/// A page of the audit trail, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPageJson {
    items: Vec<AuditEventJson>,
    /// How many events match the filters in all.
    total: i64,
    page: i64,
    per_page: i64,
    pages: i64,
}

fn date(field: &str, value: Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ApiError::BadRequest(format!("{field} is a date, YYYY-MM-DD"))),
    }
}

/// The filter and page number of a query, or what is wrong with it.
pub fn parse_query(
    actor: Option<String>,
    action: Option<String>,
    subject_type: Option<String>,
    from: Option<String>,
    until: Option<String>,
    page: Option<String>,
) -> Result<(AuditFilter, i64), ApiError> {
    let page = match page.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => 1,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .ok_or_else(|| ApiError::BadRequest("page is a number from 1".into()))?,
    };
    let non_empty = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let filter = AuditFilter {
        actor: non_empty(actor),
        action: non_empty(action),
        subject_type: non_empty(subject_type),
        from: date("from", from)?,
        until: date("until", until)?,
    };
    Ok((filter, page))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    tag = "admin",
    summary = "Audit trail",
    description = "Every change made by admins and API clients, newest first, 50 a page.",
    operation_id = "admin_audit",
    params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of events", body = AuditPageJson, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn list(
    state: State,
    _admin: AdminApi,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (filter, page) = parse_query(q.actor, q.action, q.subject_type, q.from, q.until, q.page)?;
    let offset = (page - 1) * PER_PAGE;
    let (events, total) = state
        .pool
        .run(move |conn| audit::search(conn, &filter, offset, PER_PAGE))
        .await?;
    let items = events
        .into_iter()
        .map(|e| AuditEventJson {
            id: e.id,
            occurred_at: e.occurred_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
            actor_label: e.actor_label,
            actor_user_id: e.actor_user_id,
            actor_client_id: e.actor_client_id,
            action: e.action,
            subject_type: e.subject_type,
            subject_id: e.subject_id,
            details: serde_json::from_str(&e.details)
                .unwrap_or(serde_json::Value::String(e.details)),
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPageJson {
        items,
        total,
        page,
        per_page: PER_PAGE,
        pages: (total + PER_PAGE - 1) / PER_PAGE,
    }))
}
