//! Catalogue import for admins (JSON): upload a CSV or XLSX file as the raw body for a
//! preview, then apply that preview.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::json;

use crate::api::auth::AdminApi;
use crate::api::problem::ApiError;
use crate::catalogue::import::{self, ApplyError, PlanCounts, StoredImport, MAX_FILE_BYTES};
use crate::db::DbError;
use crate::domain::Language;
use crate::export::XLSX_CONTENT_TYPE;
use crate::startup::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/catalogue-imports", web::post().to(create))
        .route("/admin/catalogue-imports/{id}", web::get().to(show))
        .route("/admin/catalogue-imports/{id}/apply", web::post().to(apply));
}

/// A product the import creates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewProductJson {
    sku: String,
    lot_reference: String,
    name_fr: String,
    name_nl: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldChangeJson {
    /// The column name, e.g. `packaging_fr`.
    column: String,
    before: String,
    after: String,
}

/// An existing product whose fields change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductChangeJson {
    sku: String,
    changes: Vec<FieldChangeJson>,
}

/// An offer the import creates (`price_before_cents` null) or changes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OfferChangeJson {
    sku: String,
    supplier_id: i64,
    supplier_name: String,
    supplier_enterprise_number: String,
    #[schema(required = true)]
    price_before_cents: Option<i64>,
    price_after_cents: i64,
    #[schema(required = true)]
    available_before: Option<bool>,
    available_after: bool,
}

/// A catalogue import and the changes it makes (or made).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportPreviewJson {
    id: i64,
    /// `pending`, `applied` or `discarded`.
    status: String,
    /// True once a pending import can no longer be applied.
    expired: bool,
    filename: String,
    file_sha256: String,
    created_by: String,
    /// UTC, without offset.
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    #[schema(required = true)]
    applied_at: Option<NaiveDateTime>,
    counts: PlanCounts,
    products_created: Vec<NewProductJson>,
    products_changed: Vec<ProductChangeJson>,
    offers: Vec<OfferChangeJson>,
}

/// The answer to applying an import.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AppliedJson {
    id: i64,
    status: String,
    counts: PlanCounts,
}

/// One problem of a refused file (the 422 problem document lists them in `errors`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportErrorJson {
    /// The row as the spreadsheet shows it (header = 1); null for the whole file.
    #[schema(required = true)]
    row: Option<usize>,
    #[schema(required = true)]
    column: Option<String>,
    code: String,
    message: String,
}

/// A refused file: every problem, by row and column.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportProblem {
    r#type: String,
    title: String,
    status: u16,
    detail: String,
    errors: Vec<ImportErrorJson>,
}

fn preview_json(stored: &StoredImport, now: NaiveDateTime) -> ImportPreviewJson {
    let plan = &stored.plan;
    ImportPreviewJson {
        id: stored.id,
        status: stored.status.clone(),
        expired: stored.status == "pending" && stored.is_expired(now),
        filename: stored.filename.clone(),
        file_sha256: stored.file_sha256.clone(),
        created_by: stored.created_by.clone(),
        created_at: stored.created_at,
        expires_at: stored.expires_at,
        applied_at: stored.applied_at,
        counts: plan.counts(),
        products_created: plan
            .products
            .iter()
            .filter(|p| p.existing.is_none())
            .map(|p| NewProductJson {
                sku: p.sku.clone(),
                lot_reference: p.lot_reference.clone(),
                name_fr: p.fields.name_fr.clone(),
                name_nl: p.fields.name_nl.clone(),
            })
            .collect(),
        products_changed: plan
            .products
            .iter()
            .filter(|p| p.existing.is_some())
            .map(|p| ProductChangeJson {
                sku: p.sku.clone(),
                changes: p
                    .changes()
                    .into_iter()
                    .map(|c| FieldChangeJson {
                        column: c.column.name().to_owned(),
                        before: c.before,
                        after: c.after,
                    })
                    .collect(),
            })
            .collect(),
        offers: plan
            .offers
            .iter()
            .map(|o| OfferChangeJson {
                sku: o.sku.clone(),
                supplier_id: o.supplier_id,
                supplier_name: o.supplier_name.clone(),
                supplier_enterprise_number: o.enterprise_number.clone(),
                price_before_cents: o.before.map(|b| b.price.cents()),
                price_after_cents: o.price.cents(),
                available_before: o.before.map(|b| b.available),
                available_after: o.available,
            })
            .collect(),
    }
}

fn problem(status: StatusCode, slug: &str, title: &str, detail: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(
            json!({
                "type": format!("/problems/{slug}"),
                "title": title,
                "status": status.as_u16(),
                "detail": detail,
            })
            .to_string(),
        )
}

fn language_of(request: &HttpRequest) -> Language {
    request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Language::from_accept_language)
        .unwrap_or_default()
}

fn accepted_content_type(request: &HttpRequest) -> bool {
    let Some(value) = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "text/csv" | "application/csv" | "text/plain" | "application/octet-stream"
    ) || essence == XLSX_CONTENT_TYPE
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/catalogue-imports",
    tag = "admin",
    summary = "Preview a catalogue import",
    description = "Reads a CSV (UTF-8, `,` or `;`) or XLSX file sent as the raw body, one row per product and supplier offer, and answers with the changes it would make; nothing changes until the preview is applied. A file with any error is refused as a whole with every bad row and column. Messages follow Accept-Language (fr or nl).",
    operation_id = "admin_catalogue_imports_create",
    request_body(
        description = "The file (5 MB at most)",
        content(
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The preview", body = ImportPreviewJson, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than 5 MB", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is neither CSV nor XLSX", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file has errors; nothing was kept", body = ImportProblem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn create(
    AdminApi(admin): AdminApi,
    request: HttpRequest,
    state: State,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    if !accepted_content_type(&request) {
        return Ok(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "send the file as the raw body with Content-Type text/csv or \
             application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ));
    }
    let bytes = match body.to_bytes_limited(MAX_FILE_BYTES).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return Err(ApiError::BadRequest("the body could not be read".into())),
        Err(_) => {
            return Ok(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Payload too large",
                "the file is larger than 5 MB",
            ))
        }
    };
    let language = language_of(&request);
    let filename = if import::is_xlsx(&bytes) {
        "import.xlsx"
    } else {
        "import.csv"
    };
    let labels = import::header_labels(&state.translations);
    let now = state.clock.now_naive();
    let result = state
        .pool
        .run(
            move |conn| match import::prepare(conn, now, &admin, filename, &bytes, &labels) {
                Ok(stored) => Ok(Ok(stored)),
                Err(import::PrepareError::Invalid(errors)) => Ok(Err(errors)),
                Err(import::PrepareError::Db(e)) => Err(e),
            },
        )
        .await
        .map_err(|e: DbError| ApiError::from(e))?;
    match result {
        Ok(stored) => Ok(HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!("/api/v1/admin/catalogue-imports/{}", stored.id),
            ))
            .json(preview_json(&stored, now))),
        Err(errors) => {
            let errors: Vec<ImportErrorJson> = errors
                .iter()
                .map(|e| {
                    let d = import::describe(&state.translations, language, e);
                    ImportErrorJson {
                        row: d.row,
                        column: d.column,
                        code: d.code.to_owned(),
                        message: d.sentence,
                    }
                })
                .collect();
            let body = ImportProblem {
                r#type: "/problems/validation".into(),
                title: "Invalid request".into(),
                status: 422,
                detail: format!(
                    "the file has {} error(s); nothing was imported",
                    errors.len()
                ),
                errors,
            };
            Ok(HttpResponse::UnprocessableEntity()
                .content_type("application/problem+json")
                .body(serde_json::to_string(&body).unwrap_or_default()))
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/catalogue-imports/{id}",
    tag = "admin",
    summary = "One catalogue import",
    description = "A catalogue import with its status and the changes it makes (or made).",
    operation_id = "admin_catalogue_imports_show",
    params(("id" = i64, Path, description = "The import id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The import", body = ImportPreviewJson, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn show(
    _admin: AdminApi,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let stored = state
        .pool
        .run(move |conn| import::find(conn, id))
        .await?
        .ok_or_else(|| ApiError::NotFound("no such catalogue import".into()))?;
    Ok(HttpResponse::Ok().json(preview_json(&stored, state.clock.now_naive())))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/catalogue-imports/{id}/apply",
    tag = "admin",
    summary = "Apply a catalogue import",
    description = "Applies exactly the previewed changes in one transaction. Refused with 409 when the import was applied or discarded already, has expired, or when the catalogue rows it covers changed since the preview.",
    operation_id = "admin_catalogue_imports_apply",
    params(("id" = i64, Path, description = "The import id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Applied", body = AppliedJson, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already applied or discarded, expired, or the catalogue changed since the preview", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn apply(
    AdminApi(admin): AdminApi,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let result = state
        .pool
        .run(move |conn| Ok::<_, DbError>(import::apply(conn, now, &admin, id)))
        .await?;
    match result {
        Ok(counts) => Ok(HttpResponse::Ok().json(AppliedJson {
            id,
            status: "applied".into(),
            counts,
        })),
        Err(ApplyError::NotFound) => Err(ApiError::NotFound("no such catalogue import".into())),
        Err(ApplyError::Db(e)) => Err(e.into()),
        Err(other) => Err(ApiError::Conflict(other.to_string())),
    }
}
