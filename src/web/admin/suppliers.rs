//! Suppliers and their API clients.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::auth::api_client;
use crate::auth::Principal;
use crate::db::parties::CascadePlace;
use crate::domain::EnterpriseNumber;
use crate::error::ServiceError;
use crate::membership::local_time;
use crate::parties::{self, Role, SupplierEdit, SupplierInput};
use crate::startup::State;
use crate::web::forms::{kept_values, translated_errors, value, FormData};
use crate::web::{flash, see_other, Page, WebError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/suppliers", web::get().to(list))
        .route("/suppliers", web::post().to(create))
        .route("/suppliers/{id}", web::get().to(detail))
        .route("/suppliers/{id}", web::post().to(update))
        .route("/suppliers/{id}/suspend", web::post().to(suspend))
        .route("/suppliers/{id}/reactivate", web::post().to(reactivate))
        .route("/suppliers/{id}/clients", web::post().to(issue_client))
        .route(
            "/suppliers/{id}/clients/{client_id}/revoke",
            web::get().to(confirm_revoke),
        )
        .route(
            "/suppliers/{id}/clients/{client_id}/revoke",
            web::post().to(revoke_client),
        );
}

fn formatted_number(number: &str) -> String {
    EnterpriseNumber::parse(number)
        .map(|n| n.formatted())
        .unwrap_or_else(|_| number.to_owned())
}

fn status_label(page: &Page<'_>, status: &str) -> String {
    page.t(&format!("supplier-status-{status}"))
}

fn places_json(places: &[CascadePlace]) -> Vec<Value> {
    places
        .iter()
        .map(|p| json!({"lot_reference": p.lot_reference, "rank": p.rank, "active": p.active}))
        .collect()
}

async fn render_list(
    page: &Page<'_>,
    state: &State,
    status: StatusCode,
    errors: Value,
    values: Value,
) -> Result<HttpResponse, WebError> {
    let lines = state
        .pool
        .run(parties::supplier_list)
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let rows: Vec<Value> = lines
        .iter()
        .map(|line| {
            let s = &line.supplier;
            json!({
                "id": s.id,
                "href": format!("/admin/suppliers/{}", s.id),
                "name": s.name,
                "enterprise_number": formatted_number(&s.enterprise_number),
                "status": s.status,
                "status_label": status_label(page, &s.status),
                "places": places_json(&line.places),
                "clients": line.active_clients,
                "webhook": page.t(if s.webhook_url.is_some() { "supplier-webhook-set" } else { "supplier-webhook-none" }),
            })
        })
        .collect();
    let language = values
        .get("language")
        .and_then(Value::as_str)
        .unwrap_or("fr")
        .to_owned();
    let data = json!({
        "rows": rows,
        "count": rows.len(),
        "csrf": page.csrf(),
        "errors": errors,
        "values": values,
        "fr_selected": language == "fr",
        "nl_selected": language == "nl",
    });
    page.render_with_status(
        status,
        "admin/suppliers/list",
        page.t("admin-suppliers-title"),
        data,
    )
}

pub async fn list(request: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    render_list(&page, &state, StatusCode::OK, json!({}), json!({})).await
}

pub async fn create(
    request: HttpRequest,
    state: State,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let admin = page.require(Role::Admin)?.principal.clone();
    let form = form.into_inner();
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let now = state.clock.now_naive();
    let submitted = form.clone();
    let result = state
        .pool
        .run(move |conn| {
            parties::create_supplier(
                conn,
                now,
                &admin,
                &SupplierInput {
                    enterprise_number: value(&submitted, "enterprise_number"),
                    name: value(&submitted, "name"),
                    email: value(&submitted, "email"),
                    language: value(&submitted, "language"),
                },
            )
        })
        .await;
    match result {
        Ok(id) => {
            flash(&page.session, "supplier-created-flash");
            Ok(see_other(&format!("/admin/suppliers/{id}")))
        }
        Err(ServiceError::Invalid(errors)) => {
            let errors = translated_errors(&page, &errors);
            render_list(
                &page,
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                kept_values(&form),
            )
            .await
        }
        Err(other) => Err(service_failure(&page, other)),
    }
}

fn service_failure(page: &Page<'_>, error: ServiceError) -> WebError {
    match error {
        ServiceError::NotFound(_) => WebError::not_found(page.language),
        ServiceError::Db(db) => WebError::db(page.language, db),
        other => WebError::internal(page.language, other),
    }
}

async fn render_detail(
    page: &Page<'_>,
    state: &State,
    id: i64,
    status: StatusCode,
    errors: Value,
    overlay: Option<Value>,
) -> Result<HttpResponse, WebError> {
    let loaded = state
        .pool
        .run(move |conn| {
            let overview = parties::supplier_overview(conn, id)?;
            let history = crate::audit::for_subject(conn, "supplier", id)?;
            Ok::<_, crate::db::DbError>(overview.map(|o| (o, history)))
        })
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let Some((overview, history)) = loaded else {
        return Err(WebError::not_found(page.language));
    };
    let s = &overview.supplier;
    // The form shows what is stored, overlaid with what was just submitted.
    let mut values =
        json!({"name": s.name, "email": s.email, "language": s.language, "client_name": ""});
    if let (Some(Value::Object(submitted)), Value::Object(shown)) = (overlay, &mut values) {
        shown.extend(submitted);
    }
    let language = values
        .get("language")
        .and_then(Value::as_str)
        .unwrap_or("fr")
        .to_owned();
    let clients: Vec<Value> = overview
        .clients
        .iter()
        .map(|c| {
            json!({
                "client_id": c.client_id,
                "name": c.name,
                "created": local_time(c.created_at),
                "revoked": c.revoked_at.map(local_time),
                "revoke_href": format!("/admin/suppliers/{id}/clients/{}/revoke", c.client_id),
            })
        })
        .collect();
    let history: Vec<Value> = history
        .iter()
        .rev()
        .map(|e| {
            json!({
                "when": local_time(e.occurred_at),
                "who": e.actor_label,
                "action": action_label(page, &e.action),
                "details": crate::audit::pretty_details(&e.details),
            })
        })
        .collect();
    let data = json!({
        "s": {
            "id": s.id,
            "name": s.name,
            "enterprise_number": formatted_number(&s.enterprise_number),
            "email": s.email,
            "language": s.language,
            "status": s.status,
            "status_label": status_label(page, &s.status),
            "active": s.status == "active",
            "suspended": s.status == "suspended",
            "webhook_url": s.webhook_url,
            "created": local_time(s.created_at),
        },
        "places": places_json(&overview.places),
        "clients": clients,
        "history": history,
        "csrf": page.csrf(),
        "errors": errors,
        "values": values,
        "fr_selected": language == "fr",
        "nl_selected": language == "nl",
    });
    page.render_with_status(status, "admin/suppliers/detail", s.name.clone(), data)
}

/// The translated name of an audit action, or its code when none exists.
pub fn action_label(page: &Page<'_>, action: &str) -> String {
    let key = format!("audit-{}", action.replace('.', "-"));
    if page.state.translations.has(page.language, &key) {
        page.t(&key)
    } else {
        action.to_owned()
    }
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
        None,
    )
    .await
}

type Action = Box<dyn FnOnce(&mut crate::db::Conn, &Principal) -> Result<(), ServiceError> + Send>;

/// Runs one change for the signed-in admin, then shows the supplier again with a
/// confirmation, or with the problem next to the form that caused it.
async fn act(
    request: HttpRequest,
    state: State,
    id: i64,
    form: FormData,
    done_key: &'static str,
    action: Action,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let admin = page.require(Role::Admin)?.principal.clone();
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let result = state.pool.run(move |conn| action(conn, &admin)).await;
    match result {
        Ok(()) => {
            flash(&page.session, done_key);
            Ok(see_other(&format!("/admin/suppliers/{id}")))
        }
        Err(ServiceError::Invalid(errors)) => {
            let errors = translated_errors(&page, &errors);
            render_detail(
                &page,
                &state,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                Some(kept_values(&form)),
            )
            .await
        }
        Err(ServiceError::Conflict { code, .. }) => {
            let errors = json!({ "action": page.t(code) });
            render_detail(&page, &state, id, StatusCode::CONFLICT, errors, None).await
        }
        Err(other) => Err(service_failure(&page, other)),
    }
}

pub async fn update(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let submitted = form.clone();
    let now = state.clock.now_naive();
    act(
        request,
        state,
        id,
        form,
        "supplier-updated-flash",
        Box::new(move |conn, admin| {
            parties::update_supplier(
                conn,
                now,
                admin,
                id,
                &SupplierEdit {
                    name: value(&submitted, "name"),
                    email: value(&submitted, "email"),
                    language: value(&submitted, "language"),
                },
            )
        }),
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
    let form = form.into_inner();
    let reason = value(&form, "reason").to_owned();
    let now = state.clock.now_naive();
    act(
        request,
        state,
        id,
        form,
        "supplier-suspended-flash",
        Box::new(move |conn, admin| parties::suspend_supplier(conn, now, admin, id, &reason)),
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
    let now = state.clock.now_naive();
    act(
        request,
        state,
        id,
        form.into_inner(),
        "supplier-reactivated-flash",
        Box::new(move |conn, admin| parties::reactivate_supplier(conn, now, admin, id)),
    )
    .await
}

/// Issues a client for the supplier and shows its secret on this answer only: the page is
/// not stored (no-store), and nothing can show the secret again.
pub async fn issue_client(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let page = Page::load(&request, &state).await?;
    let admin = page.require(Role::Admin)?.principal.clone();
    let form = form.into_inner();
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let now = state.clock.now_naive();
    let name = value(&form, "client_name").to_owned();
    let result = state
        .pool
        .run(move |conn| {
            if crate::db::parties::supplier(conn, id)?.is_none() {
                return Err(ServiceError::NotFound("supplier"));
            }
            api_client::issue(conn, now, &admin, Role::Supplier, Some(id), &name)
        })
        .await;
    match result {
        Ok(issued) => {
            let data = json!({
                "supplier_id": id,
                "client_id": issued.client.client_id,
                "client_secret": issued.client_secret,
                "name": issued.client.name,
            });
            page.render(
                "admin/suppliers/issued",
                page.t("client-issued-title"),
                data,
            )
        }
        Err(ServiceError::Invalid(errors)) => {
            let mut errors = errors;
            // The service names the field `name`; on this page it is `client_name`.
            for error in &mut errors.errors {
                if error.field == "name" {
                    error.field = "client_name".into();
                }
            }
            let errors = translated_errors(&page, &errors);
            let kept = json!({ "client_name": value(&form, "client_name") });
            render_detail(
                &page,
                &state,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                Some(kept),
            )
            .await
        }
        Err(other) => Err(service_failure(&page, other)),
    }
}

async fn client_of_supplier(
    page: &Page<'_>,
    state: &State,
    id: i64,
    client_id: String,
) -> Result<crate::db::api_clients::ApiClientRow, WebError> {
    let client = state
        .pool
        .run(move |conn| crate::db::api_clients::by_client_id(conn, &client_id))
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    client
        .filter(|c| c.supplier_id == Some(id))
        .ok_or_else(|| WebError::not_found(page.language))
}

pub async fn confirm_revoke(
    request: HttpRequest,
    state: State,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, client_id) = path.into_inner();
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let client = client_of_supplier(&page, &state, id, client_id).await?;
    let data = json!({
        "supplier_id": id,
        "client_id": client.client_id,
        "name": client.name,
        "revoked": client.revoked_at.map(local_time),
        "csrf": page.csrf(),
    });
    page.render(
        "admin/suppliers/revoke",
        page.t("client-revoke-title"),
        data,
    )
}

pub async fn revoke_client(
    request: HttpRequest,
    state: State,
    path: web::Path<(i64, String)>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let (id, client_id) = path.into_inner();
    let page = Page::load(&request, &state).await?;
    let admin = page.require(Role::Admin)?.principal.clone();
    let form = form.into_inner();
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let client = client_of_supplier(&page, &state, id, client_id).await?;
    let now = state.clock.now_naive();
    state
        .pool
        .run(move |conn| api_client::revoke(conn, now, &admin, &client.client_id))
        .await
        .map_err(|e| service_failure(&page, e))?;
    flash(&page.session, "client-revoked-flash");
    Ok(see_other(&format!("/admin/suppliers/{id}")))
}
