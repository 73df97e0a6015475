//! Reports for admins (JSON): the same figures as the back office's report page.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::api::auth::AdminApi;
use crate::api::problem::ApiError;
use crate::reports::queries::{self, ReportError};
use crate::reports::{self, Filters, REPORTS};
use crate::startup::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/reports/{report}", web::get().to(show));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First month of the period (YYYY-MM; a YYYY-MM-DD date stands for its month);
    /// default: eleven months before the current one.
    from: Option<String>,
    /// Last month of the period, included (YYYY-MM; a YYYY-MM-DD date stands for its
    /// month); default: the current month.
    until: Option<String>,
    /// A competent authority's code (e.g. COCOF); default: all.
    authority: Option<String>,
}

/// One report for a period of whole months and, optionally, one competent authority.
/// Amounts are integer cents; shares are decimal strings between 0 and 1.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportDocument {
    /// members, months, products, lots, ranks, suppliers, service or breaches.
    report: String,
    /// First month of the period (YYYY-MM).
    #[schema(example = "2026-01")]
    from: String,
    /// Last month of the period, included (YYYY-MM).
    #[schema(example = "2026-12")]
    until: String,
    #[schema(required = true)]
    authority: Option<String>,
    /// The report's rows (and totals where it has them).
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/reports/{report}",
    tag = "admin",
    summary = "A report",
    description = "Members per competent authority (members), orders and sales per month (months), \
        sales per product (products) and per lot (lots), the cascade per rank (ranks) and per \
        supplier (suppliers), service levels (service) and the list of breaches (breaches). \
        Sales are the orders confirmed and not cancelled or unfulfilled, at the confirmed \
        supplier's prices, VAT rounded per order as on the order documents. Reports cover whole \
        months: the Brussels month in which each order was placed. The breaches report lists \
        the 100 newest breaches (`rows`) and counts them all (`total`).",
    operation_id = "admin_reports_show",
    params(
        ("report" = String, Path, description = "members, months, products, lots, ranks, suppliers, service or breaches"),
        ReportParams
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", body = ReportDocument, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filters (months, period, authority)", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn show(
    state: State,
    _admin: AdminApi,
    report: web::Path<String>,
    query: web::Query<ReportParams>,
) -> Result<HttpResponse, ApiError> {
    let report = report.into_inner();
    if !REPORTS.contains(&report.as_str()) {
        return Err(ApiError::NotFound(format!(
            "no report {report}; the reports are {}",
            REPORTS.join(", ")
        )));
    }
    let today = state.clock.today();
    let filters = Filters::parse(
        query.from.as_deref(),
        query.until.as_deref(),
        query.authority.as_deref(),
        today,
    )?;
    let calendar = state.calendar.clone();
    let limit = chrono::Duration::hours(state.settings.ordering.confirmation_deadline_hours);
    let reports = state
        .pool
        .run(move |conn| {
            match queries::load(
                conn,
                &filters,
                today,
                &calendar,
                limit,
                Some(reports::BREACH_PAGE),
            ) {
                Ok(reports) => Ok(reports),
                Err(ReportError::Invalid(errors)) => Err(ApiError::Invalid(errors)),
                Err(ReportError::Db(e)) => Err(ApiError::from(e)),
                Err(ReportError::Money(_) | ReportError::File(_)) => Err(ApiError::Internal),
            }
        })
        .await?;
    let body = reports::json(&reports, &report).ok_or(ApiError::Internal)?;
    Ok(HttpResponse::Ok().json(body))
}
