//! One order as the authority sees it: any institution's, read-only, with its routing
//! history (the reports link their breaches here).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::ordering::view;
use crate::parties::Role;
use crate::startup::AppState;
use crate::web::ordering::order_json;
use crate::web::{Page, WebError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/orders/{id}", web::get().to(detail));
}

async fn detail(
    request: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let id = id.into_inner();
    let order = state
        .pool
        .run(move |conn| view::load(conn, id))
        .await
        .map_err(|e| WebError::db(page.language, e))?
        .ok_or_else(|| WebError::not_found(page.language))?;
    let data = json!({ "order": order_json(&page, &order), "admin": true });
    page.render("orders/detail", order.order.reference.clone(), data)
}
