//! `GET /open-data`: what the open-data package holds and where to get it, in FR and NL.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{Page, WebError};
use crate::startup::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/open-data", web::get().to(show));
}

pub async fn show(request: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let data = json!({
        "endpoint": crate::api::v1::open_data::PATH,
        "ocid_prefix": state.settings.open_data.ocid_prefix,
        "license": state.settings.open_data.license,
    });
    page.render("open_data", page.t("open-data-title"), data)
}
