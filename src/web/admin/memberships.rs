//! Reviewing applications and managing member institutions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::db::reference;
use crate::domain::Language;
use crate::error::ServiceError;
use crate::membership::queries::{
    self, MembershipDetail, MembershipFilter, MembershipSummary, STATUSES,
};
use crate::membership::{self, local_time, Context};
use crate::parties::Role;
use crate::startup::State;
use crate::web::forms::{translated_errors, value, FormData};
use crate::web::{flash, see_other, Page, WebError};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    authority: Option<String>,
}

fn status_label(page: &Page<'_>, status: &str) -> String {
    page.t(&format!("status-{status}"))
}

fn summary_json(page: &Page<'_>, m: &MembershipSummary) -> Value {
    json!({
        "id": m.id,
        "href": format!("/admin/memberships/{}", m.id),
        "name": m.name,
        "enterprise_number": crate::domain::EnterpriseNumber::parse(&m.enterprise_number).map(|n| n.formatted()).unwrap_or_else(|_| m.enterprise_number.clone()),
        "status": m.status,
        "status_label": status_label(page, &m.status),
        "authority": match page.language { Language::Fr => &m.authority_fr, Language::Nl => &m.authority_nl },
        "language": m.language,
        "applied": local_time(m.created_at),
    })
}

pub async fn list(
    request: HttpRequest,
    state: State,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let query = query.into_inner();
    let filter = MembershipFilter {
        status: query.status.filter(|s| STATUSES.contains(&s.as_str())),
        authority: query.authority.filter(|a| !a.is_empty()),
    };
    let selected = filter.clone();
    let (rows, authorities) = state
        .pool
        .run(move |conn| {
            Ok::<_, crate::db::DbError>((
                queries::list(conn, &filter)?,
                reference::authorities(conn)?,
            ))
        })
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let data = json!({
        "rows": rows.iter().map(|m| summary_json(&page, m)).collect::<Vec<_>>(),
        "count": rows.len(),
        "statuses": STATUSES.iter().map(|s| json!({"code": s, "label": status_label(&page, s), "selected": selected.status.as_deref() == Some(*s)})).collect::<Vec<_>>(),
        "authorities": authorities.iter().map(|a| json!({"code": a.code, "name": match page.language { Language::Fr => &a.name_fr, Language::Nl => &a.name_nl }, "selected": selected.authority.as_deref() == Some(a.code.as_str())})).collect::<Vec<_>>(),
    });
    page.render("admin/memberships", page.t("admin-memberships-title"), data)
}

fn detail_json(page: &Page<'_>, d: &MembershipDetail) -> Value {
    json!({
        "summary": summary_json(page, &d.summary),
        "sector": d.summary.sector,
        "billing": format!("{}, {} {}", d.billing_street, d.billing_postcode, d.billing_city),
        "contact_name": d.contact_name,
        "contact_email": d.contact_email,
        "decision_reason": d.decision_reason,
        "decided_by": d.decided_by,
        "decided_at": d.summary.decided_at.map(local_time),
        "delivery": d.delivery_addresses,
        "users": d.users.iter().map(|u| json!({"name": u.name, "email": u.email, "language": u.language, "status_label": page.t(&format!("user-status-{}", u.status))})).collect::<Vec<_>>(),
        "history": d.history.iter().map(|e| json!({"when": local_time(e.occurred_at), "who": e.actor_label, "action": page.t(&format!("audit-{}", e.action.replace('.', "-"))), "details": e.details})).collect::<Vec<_>>(),
        "pending": d.summary.status == "pending",
        "active": d.summary.status == "active",
        "suspended": d.summary.status == "suspended",
        "rejected": d.summary.status == "rejected",
    })
}

async fn render_detail(
    page: &Page<'_>,
    state: &State,
    id: i64,
    status: StatusCode,
    errors: Value,
    values: Value,
) -> Result<HttpResponse, WebError> {
    let detail = state
        .pool
        .run(move |conn| queries::detail(conn, id))
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let Some(detail) = detail else {
        return Err(WebError::not_found(page.language));
    };
    let data = json!({
        "m": detail_json(page, &detail),
        "csrf": page.csrf(),
        "errors": errors,
        "values": values,
    });
    page.render_with_status(
        status,
        "admin/membership",
        detail.summary.name.clone(),
        data,
    )
}

pub async fn detail(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    render_detail(
        &page,
        &state,
        id.into_inner(),
        StatusCode::OK,
        json!({}),
        json!({}),
    )
    .await
}

/// Runs one review action for the signed-in admin, then shows the detail page again with a
/// confirmation, or with the problem next to the form that caused it.
async fn act<F>(
    request: HttpRequest,
    state: State,
    id: i64,
    form: FormData,
    done_key: &'static str,
    action: F,
) -> Result<HttpResponse, WebError>
where
    F: FnOnce(
            &mut crate::db::Conn,
            &Context<'_>,
            &Principal,
            &FormData,
        ) -> Result<(), ServiceError>
        + Send
        + 'static,
{
    let page = Page::load(&request, &state).await?;
    let admin = page.require(Role::Admin)?.principal.clone();
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let now = state.clock.now_naive();
    let service_state = state.clone();
    let submitted = form.clone();
    let result = state
        .pool
        .run(move |conn| {
            let ctx = Context {
                now,
                mail: &service_state.mail,
                settings: &service_state.settings,
            };
            action(conn, &ctx, &admin, &submitted)
        })
        .await;
    match result {
        Ok(()) => {
            flash(&page.session, done_key);
            Ok(see_other(&format!("/admin/memberships/{id}")))
        }
        Err(ServiceError::Invalid(errors)) => {
            let errors = translated_errors(&page, &errors);
            let values = crate::web::forms::kept_values(&form);
            render_detail(
                &page,
                &state,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                values,
            )
            .await
        }
        Err(ServiceError::Conflict { code, .. }) => {
            let errors = json!({ "action": page.t(code) });
            render_detail(&page, &state, id, StatusCode::CONFLICT, errors, json!({})).await
        }
        Err(ServiceError::NotFound(_)) => Err(WebError::not_found(page.language)),
        Err(ServiceError::Db(db)) => Err(WebError::db(page.language, db)),
        Err(other) => Err(WebError::internal(page.language, other)),
    }
}

pub async fn approve(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(
        request,
        state,
        id,
        form.into_inner(),
        "approved-flash",
        move |conn, ctx, admin, _| membership::approve(conn, ctx, admin, id),
    )
    .await
}

pub async fn reject(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(
        request,
        state,
        id,
        form.into_inner(),
        "rejected-flash",
        move |conn, ctx, admin, form| {
            membership::reject(conn, ctx, admin, id, value(form, "reason"))
        },
    )
    .await
}

pub async fn suspend(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(
        request,
        state,
        id,
        form.into_inner(),
        "suspended-flash",
        move |conn, ctx, admin, form| {
            membership::suspend(conn, ctx, admin, id, value(form, "reason"))
        },
    )
    .await
}

pub async fn reactivate(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(
        request,
        state,
        id,
        form.into_inner(),
        "reactivated-flash",
        move |conn, ctx, admin, _| membership::reactivate(conn, ctx, admin, id),
    )
    .await
}

pub async fn add_user(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    act(
        request,
        state,
        id,
        form.into_inner(),
        "user-added-flash",
        move |conn, ctx, admin, form| {
            let language = Some(value(form, "language")).filter(|l| !l.is_empty());
            membership::add_user(
                conn,
                ctx,
                admin,
                id,
                value(form, "name"),
                value(form, "email"),
                language,
            )
            .map(|_| ())
        },
    )
    .await
}
