//! Public open data: the OCDS release package.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::api::problem::ApiError;
use crate::open_data::{self, PageRequest};
use crate::startup::State;

pub const PATH: &str = "/api/v1/open-data/ocds";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/open-data/ocds", web::get().to(ocds));
}

/// Text parameters, parsed by [`PageRequest::parse`] so each mistake is named.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OcdsQuery {
    /// Only releases changed on or after this day (YYYY-MM-DD).
    #[param(example = "2026-01-31")]
    since: Option<String>,
    /// Page number, from 1 (default 1).
    #[param(example = "1")]
    page: Option<String>,
    /// Releases per page, 1 to 1000 (default 100).
    #[param(example = "100")]
    limit: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/open-data/ocds",
    tag = "open-data",
    summary = "Open data (OCDS 1.1 release package)",
    description = "Lots as framework agreements with their cascade suppliers as awards, and \
        decided orders as call-offs, as an Open Contracting Data Standard 1.1 release package \
        with the lots and techniques extensions. No personal data: organisations are legal \
        entities identified by their Belgian enterprise number (scheme BE-BCE_KBO). \
        Releases are ordered lots first then orders, oldest first; `links.next` gives the \
        next page while there is one.",
    operation_id = "open_data_ocds",
    params(OcdsQuery),
    security(()),
    responses(
        (status = 200, description = "An OCDS 1.1 release package (see the release package schema of the Open Contracting Data Standard)", body = Object, content_type = "application/json"),
        (status = 400, description = "Malformed query string", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No releases on this page (past the last one)", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid since, page or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn ocds(state: State, query: web::Query<OcdsQuery>) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let request = PageRequest::parse(
        query.since.as_deref(),
        query.page.as_deref(),
        query.limit.as_deref(),
    )?;
    let settings = state.settings.open_data.clone();
    let endpoint = format!(
        "{}{PATH}",
        state.settings.server.base_url.trim_end_matches('/')
    );
    let now = state.clock.now();
    let page = request.page;
    let package = state
        .pool
        .run(move |conn| open_data::load_package(conn, &settings, &endpoint, &request, now))
        .await?;
    if package.releases.is_empty() && page > 1 {
        return Err(ApiError::NotFound(
            "there are no releases on this page".into(),
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        // Public and the same for everyone; a few minutes' staleness is harmless and spares
        // the database from harvesters polling the full data set.
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(package.to_json()))
}
