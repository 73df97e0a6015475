//! Catalogue import from CSV or XLSX: upload, preview, apply.

use std::future::Future;
use std::pin::Pin;

use actix_multipart::form::{
    Limits, MultipartCollect, MultipartForm, MultipartFormConfig, State as FormState,
};
use actix_multipart::{Field, MultipartError};
use actix_session::SessionExt;
use actix_web::error::{InternalError, PayloadError};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::auth::csrf;
use crate::catalogue::import::{self, ApplyError, Column, StoredImport, MAX_FILE_BYTES};
use crate::db::DbError;
use crate::export;
use crate::membership::local_time;
use crate::parties::Role;
use crate::startup::State;
use crate::web::errors::error_page;
use crate::web::forms::FormData;
use crate::web::{flash, page_language, see_other, Page, WebError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    let upload_config = MultipartFormConfig::default()
        .total_limit(MAX_FILE_BYTES + 64 * 1024)
        .memory_limit(MAX_FILE_BYTES + 64 * 1024)
        .error_handler(upload_error);
    cfg.service(
        web::resource("/import")
            .app_data(upload_config)
            .route(web::get().to(form))
            .route(web::post().to(upload)),
    )
    .route("/import/template.csv", web::get().to(template_csv))
    .route("/import/template.xlsx", web::get().to(template_xlsx))
    .route("/import/{id}", web::get().to(preview))
    .route("/import/{id}/apply", web::post().to(apply))
    .route("/import/{id}/discard", web::post().to(discard));
}

/// The upload form's fields. The CSRF token comes before the file in the form, so a forged
/// upload is refused before its file is read.
#[derive(Default)]
pub struct Upload {
    csrf: Option<String>,
    file: Option<(String, Vec<u8>)>,
}

fn too_large() -> MultipartError {
    MultipartError::Payload(PayloadError::Overflow)
}

impl MultipartCollect for Upload {
    fn limit(_: &str) -> Option<usize> {
        None
    }

    fn handle_field<'t>(
        req: &'t HttpRequest,
        mut field: Field,
        _limits: &'t mut Limits,
        state: &'t mut FormState,
    ) -> Pin<Box<dyn Future<Output = Result<(), MultipartError>> + 't>> {
        Box::pin(async move {
            let name = field.name().unwrap_or_default().to_owned();
            match name.as_str() {
                "csrf" => {
                    let bytes = field.bytes(1024).await.map_err(|_| too_large())??;
                    let token = String::from_utf8_lossy(&bytes).into_owned();
                    state.insert("csrf".into(), Box::new(token));
                }
                "file" => {
                    let token = state
                        .get("csrf")
                        .and_then(|t| t.downcast_ref::<String>())
                        .cloned();
                    if !csrf::verify(&req.get_session(), token.as_deref()) {
                        return Err(MultipartError::Field {
                            name,
                            source: WebError::forbidden(page_language(req).0, "error-csrf").into(),
                        });
                    }
                    let filename = field
                        .content_disposition()
                        .and_then(|d| d.get_filename())
                        .unwrap_or("")
                        .to_owned();
                    let bytes = field
                        .bytes(MAX_FILE_BYTES)
                        .await
                        .map_err(|_| too_large())??;
                    state.insert("file".into(), Box::new((filename, bytes.to_vec())));
                }
                _ => {
                    let _ = field.bytes(64 * 1024).await;
                }
            }
            Ok(())
        })
    }

    fn from_state(mut state: FormState) -> Result<Self, MultipartError> {
        let csrf = state
            .remove("csrf")
            .and_then(|t| t.downcast::<String>().ok())
            .map(|t| *t);
        let file = state
            .remove("file")
            .and_then(|f| f.downcast::<(String, Vec<u8>)>().ok())
            .map(|f| *f);
        Ok(Upload { csrf, file })
    }
}

fn upload_error(error: MultipartError, request: &HttpRequest) -> actix_web::Error {
    let language = page_language(request).0;
    match error {
        MultipartError::Field { source, .. } => source,
        MultipartError::Payload(PayloadError::Overflow) => InternalError::from_response(
            "upload too large",
            error_page(StatusCode::PAYLOAD_TOO_LARGE, language, "import-too-large"),
        )
        .into(),
        other => InternalError::from_response(
            other.to_string(),
            error_page(StatusCode::BAD_REQUEST, language, "import-bad-upload"),
        )
        .into(),
    }
}

fn columns_json(page: &Page<'_>) -> Vec<Value> {
    Column::ALL
        .iter()
        .map(|c| {
            let fr = page
                .state
                .translations
                .t(crate::domain::Language::Fr, &c.label_key());
            let nl = page
                .state
                .translations
                .t(crate::domain::Language::Nl, &c.label_key());
            json!({"name": c.name(), "labels": format!("{fr} / {nl}")})
        })
        .collect()
}

fn render_form(
    page: &Page<'_>,
    status: StatusCode,
    errors: &[import::ImportError],
    file_error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let described: Vec<Value> = errors
        .iter()
        .map(|e| {
            let d = import::describe(&page.state.translations, page.language, e);
            json!({
                "row": d.row.map(|r| r.to_string()).unwrap_or_else(|| page.t("import-file-level")),
                "column": e.header.clone().or(d.column).unwrap_or_default(),
                "message": d.message,
                "sentence": d.sentence,
            })
        })
        .collect();
    let data = json!({
        "csrf": page.csrf(),
        "errors": described,
        "error_count": errors.len(),
        "file_error": file_error,
        "columns": columns_json(page),
        "max_rows": import::MAX_ROWS,
    });
    page.render_with_status(status, "admin/import", page.t("import-title"), data)
}

pub async fn form(request: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    render_form(&page, StatusCode::OK, &[], None)
}

pub async fn upload(
    request: HttpRequest,
    state: State,
    form: MultipartForm<Upload>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let admin = page.require(Role::Admin)?.principal.clone();
    let upload = form.into_inner();
    page.verify_csrf(upload.csrf.as_deref())?;
    let Some((filename, bytes)) = upload.file.filter(|(_, bytes)| !bytes.is_empty()) else {
        return render_form(
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &[],
            Some(page.t("import-file-missing")),
        );
    };
    let labels = import::header_labels(&state.translations);
    let now = state.clock.now_naive();
    let result = state
        .pool
        .run(
            move |conn| match import::prepare(conn, now, &admin, &filename, &bytes, &labels) {
                Ok(stored) => Ok(Ok(stored)),
                Err(import::PrepareError::Invalid(errors)) => Ok(Err(errors)),
                Err(import::PrepareError::Db(e)) => Err(e),
            },
        )
        .await
        .map_err(|e: DbError| WebError::db(page.language, e))?;
    match result {
        Ok(stored) => Ok(see_other(&format!("/admin/import/{}", stored.id))),
        Err(errors) => render_form(&page, StatusCode::UNPROCESSABLE_ENTITY, &errors, None),
    }
}

fn download(bytes: Vec<u8>, content_type: &str, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(bytes)
}

pub async fn template_csv(request: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    Ok(download(
        import::template_table().to_csv(),
        export::CSV_CONTENT_TYPE,
        "catalogue-import.csv",
    ))
}

pub async fn template_xlsx(request: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let bytes = export::to_xlsx(&[&import::template_table()])
        .map_err(|e| WebError::internal(page.language, e))?;
    Ok(download(
        bytes,
        export::XLSX_CONTENT_TYPE,
        "catalogue-import.xlsx",
    ))
}

fn yes_no(page: &Page<'_>, value: bool) -> String {
    page.t(if value { "import-yes" } else { "import-no" })
}

fn field_text(page: &Page<'_>, column: Column, text: &str) -> String {
    match (column, text) {
        (Column::Active, "true") => yes_no(page, true),
        (Column::Active, "false") => yes_no(page, false),
        _ => text.to_owned(),
    }
}

fn preview_json(page: &Page<'_>, stored: &StoredImport, now: chrono::NaiveDateTime) -> Value {
    let plan = &stored.plan;
    let counts = plan.counts();
    let money = |c: crate::domain::Cents| c.format(page.language);
    let new_products: Vec<Value> = plan
        .products
        .iter()
        .filter(|p| p.existing.is_none())
        .map(|p| json!({"sku": p.sku, "lot": p.lot_reference, "name": p.fields.name_fr}))
        .collect();
    let changes: Vec<Value> = plan
        .products
        .iter()
        .flat_map(|p| p.changes().into_iter().map(move |c| (p.sku.clone(), c)))
        .map(|(sku, c)| {
            json!({
                "sku": sku,
                "field": page.t(&c.column.label_key()),
                "before": field_text(page, c.column, &c.before),
                "after": field_text(page, c.column, &c.after),
            })
        })
        .collect();
    let offers: Vec<Value> = plan
        .offers
        .iter()
        .map(|o| {
            json!({
                "sku": o.sku,
                "supplier": o.supplier_name,
                "new": o.before.is_none(),
                "price_before": o.before.map(|b| money(b.price)),
                "price_after": money(o.price),
                "price_changes": o.price_changes(),
                "available_before": o.before.map(|b| yes_no(page, b.available)),
                "available_after": yes_no(page, o.available),
            })
        })
        .collect();
    let pending = stored.status == "pending";
    json!({
        "id": stored.id,
        "intro_filename": stored.filename,
        "sha": stored.file_sha256,
        "who": stored.created_by,
        "expires": local_time(stored.expires_at),
        "status": page.t(&format!("import-status-{}", stored.status)),
        "pending": pending,
        "expired": pending && stored.is_expired(now),
        "can_apply": pending && !stored.is_expired(now) && !plan.is_empty(),
        "nothing": plan.is_empty(),
        "counts": [
            {"label": page.t("import-products-created"), "count": counts.products_created},
            {"label": page.t("import-products-changed"), "count": counts.products_changed},
            {"label": page.t("import-offers-created"), "count": counts.offers_created},
            {"label": page.t("import-price-changes"), "count": counts.price_changes},
            {"label": page.t("import-availability-changes"), "count": counts.availability_changes},
            {"label": page.t("import-unchanged"), "count": counts.unchanged},
        ],
        "new_products": new_products,
        "changes": changes,
        "offers": offers,
    })
}

async fn render_preview(
    page: &Page<'_>,
    state: &State,
    id: i64,
    status: StatusCode,
    problem: Option<String>,
) -> Result<HttpResponse, WebError> {
    let stored = state
        .pool
        .run(move |conn| import::find(conn, id))
        .await
        .map_err(|e| WebError::db(page.language, e))?
        .ok_or_else(|| WebError::not_found(page.language))?;
    let mut data = preview_json(page, &stored, state.clock.now_naive());
    data["csrf"] = json!(page.csrf());
    data["problem"] = json!(problem);
    page.render_with_status(
        status,
        "admin/import_preview",
        page.t("import-preview-title"),
        data,
    )
}

pub async fn preview(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    render_preview(&page, &state, id.into_inner(), StatusCode::OK, None).await
}

async fn act(
    request: HttpRequest,
    state: State,
    id: i64,
    form: FormData,
    apply: bool,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let admin = page.require(Role::Admin)?.principal.clone();
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let now = state.clock.now_naive();
    let result = state
        .pool
        .run(move |conn| {
            if apply {
                import::apply(conn, now, &admin, id).map(|_| ())
            } else {
                import::discard(conn, now, &admin, id)
            }
        })
        .await;
    match result {
        Ok(()) => {
            flash(
                &page.session,
                if apply {
                    "import-applied-flash"
                } else {
                    "import-discarded-flash"
                },
            );
            Ok(see_other(&format!("/admin/import/{id}")))
        }
        Err(ApplyError::NotFound) => Err(WebError::not_found(page.language)),
        Err(ApplyError::Db(e)) => Err(WebError::db(page.language, e)),
        Err(other) => {
            let message = page.t(other.message_key());
            render_preview(&page, &state, id, StatusCode::CONFLICT, Some(message)).await
        }
    }
}

pub async fn apply(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    act(request, state, id.into_inner(), form.into_inner(), true).await
}

pub async fn discard(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    act(request, state, id.into_inner(), form.into_inner(), false).await
}
