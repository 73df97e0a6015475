//! Lots, cascades, categories, products and supplier offers, as the authority edits them.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::catalogue::back_office::{
    self as bo, AdminLot, AdminProduct, CategoryFields, LotFields, OfferFields, ProductFields,
    UNIT_CODES,
};
use crate::catalogue::Bilingual;
use crate::db::catalogue as q;
use crate::db::reference;
use crate::db::Conn;
use crate::domain::{Cents, Language};
use crate::error::ServiceError;
use crate::parties::Role;
use crate::startup::State;
use crate::web::forms::{field_key, kept_values, translated_errors, value, FormData};
use crate::web::{flash, see_other, Page, WebError};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/lots", web::get().to(lots))
        .route("/lots", web::post().to(create_lot))
        .route("/lots/new", web::get().to(new_lot))
        .route("/lots/{id}", web::get().to(lot))
        .route("/lots/{id}", web::post().to(update_lot))
        .route("/lots/{id}/publish", web::post().to(publish_lot))
        .route("/lots/{id}/close", web::post().to(close_lot))
        .route("/lots/{id}/cascade", web::post().to(add_supplier))
        .route(
            "/lots/{id}/cascade/{supplier_id}/{action}",
            web::post().to(change_supplier),
        )
        .route("/lots/{id}/products/new", web::get().to(new_product))
        .route("/lots/{id}/products", web::post().to(create_product))
        .route("/products/{id}", web::get().to(product))
        .route("/products/{id}", web::post().to(update_product))
        .route(
            "/products/{id}/offers/{supplier_id}",
            web::post().to(set_offer),
        )
        .route("/categories", web::get().to(categories))
        .route("/categories", web::post().to(create_category))
        .route("/categories/{id}", web::get().to(category))
        .route("/categories/{id}", web::post().to(update_category));
}

const KINDS: [&str; 2] = ["goods", "services"];

fn status_label(page: &Page<'_>, status: &str) -> String {
    page.t(&format!("bo-status-{status}"))
}

fn unit_options(page: &Page<'_>, selected: &str) -> Vec<Value> {
    UNIT_CODES
        .iter()
        .map(|code| {
            json!({
                "code": code,
                "label": format!("{} ({code})", page.t(&bo::unit_label_key(code))),
                "selected": *code == selected,
            })
        })
        .collect()
}

async fn db<T, F>(page: &Page<'_>, state: &State, work: F) -> Result<T, WebError>
where
    F: FnOnce(&mut Conn) -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    state
        .pool
        .run(work)
        .await
        .map_err(|e| service_error(page, e))
}

fn service_error(page: &Page<'_>, error: ServiceError) -> WebError {
    match error {
        ServiceError::NotFound(_) => WebError::not_found(page.language),
        ServiceError::Db(db) => WebError::db(page.language, db),
        other => WebError::internal(page.language, other),
    }
}

/// What the page shows again after a refused form: the messages, and what was typed.
struct Refusal {
    status: StatusCode,
    errors: Value,
    values: Option<Value>,
}

impl Refusal {
    /// A form shown for the first time: nothing refused, the stored values.
    fn none() -> Refusal {
        Refusal {
            status: StatusCode::OK,
            errors: json!({}),
            values: None,
        }
    }
}

enum Outcome {
    Done(HttpResponse),
    Refused(Refusal),
}

/// Runs one change for the signed-in admin: on success a redirect with a confirmation; when
/// refused, what the page needs to show again each message next to its field (or above the
/// actions for a refusal of the whole action) with the input kept.
async fn act<W>(
    page: &Page<'_>,
    state: &State,
    form: FormData,
    done: (String, &'static str),
    work: W,
) -> Result<Outcome, WebError>
where
    W: FnOnce(&mut Conn, &Principal, &FormData) -> Result<(), ServiceError> + Send + 'static,
{
    let admin = page.require(Role::Admin)?.principal.clone();
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let submitted = form.clone();
    let result = state
        .pool
        .run(move |conn| work(conn, &admin, &submitted))
        .await;
    let refusal = match result {
        Ok(()) => {
            flash(&page.session, done.1);
            return Ok(Outcome::Done(see_other(&done.0)));
        }
        Err(ServiceError::Invalid(errors)) => Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors: translated_errors(page, &errors),
            values: Some(kept_values(&form)),
        },
        Err(ServiceError::Conflict { code, message }) => Refusal {
            status: StatusCode::CONFLICT,
            errors: json!({ "action": if page.state.translations.has(page.language, code) { page.t(code) } else { message } }),
            values: None,
        },
        Err(other) => return Err(service_error(page, other)),
    };
    Ok(Outcome::Refused(refusal))
}

/// Loads the page, runs [`act`], and on a refusal renders the page again with `render`.
macro_rules! act_then {
    ($request:expr, $state:expr, $form:expr, $done:expr, $work:expr, |$page:ident, $st:ident, $refusal:ident| $render:expr $(,)?) => {{
        let request = $request;
        let state = $state;
        let page = Page::load(&request, &state).await?;
        match act(&page, &state, $form, $done, $work).await? {
            Outcome::Done(response) => Ok(response),
            Outcome::Refused($refusal) => {
                let $st = state.clone();
                let $page = &page;
                $render.await
            }
        }
    }};
}

// Lots -------------------------------------------------------------------------------------

fn lot_summary(page: &Page<'_>, lot: &AdminLot) -> Value {
    json!({
        "id": lot.id,
        "href": format!("/admin/lots/{}", lot.id),
        "reference": lot.reference,
        "title": match page.language { Language::Fr => &lot.title_fr, Language::Nl => &lot.title_nl },
        "category": lot.category,
        "kind_label": page.t(&format!("bo-kind-{}", lot.kind)),
        "status": lot.status,
        "status_label": status_label(page, &lot.status),
        "valid_from": lot.valid_from.to_string(),
        "valid_until": lot.valid_until.to_string(),
        "cascade_size": lot.cascade.len(),
        "active_cascade_size": lot.cascade.iter().filter(|s| s.active && s.supplier_active).count(),
        "product_count": lot.product_count,
    })
}

pub async fn lots(request: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let lots = db(&page, &state, bo::lots).await?;
    let data = json!({
        "rows": lots.iter().map(|l| lot_summary(&page, l)).collect::<Vec<_>>(),
        "count": lots.len(),
    });
    page.render("admin/catalogue/lots", page.t("bo-lots-title"), data)
}

fn lot_values(lot: &AdminLot) -> Value {
    json!({
        "reference": lot.reference,
        "category": lot.category,
        "kind": lot.kind,
        "title_fr": lot.title_fr,
        "title_nl": lot.title_nl,
        "description_fr": lot.description_fr,
        "description_nl": lot.description_nl,
        "valid_from": lot.valid_from.to_string(),
        "valid_until": lot.valid_until.to_string(),
    })
}

/// Choices of the lot form, with the submitted or stored ones selected.
async fn lot_form_choices(
    page: &Page<'_>,
    state: &State,
    values: &Value,
) -> Result<Value, WebError> {
    let categories = db(page, state, |conn| Ok(reference::categories(conn)?)).await?;
    let category = values["category"].as_str().unwrap_or_default();
    let kind = values["kind"].as_str().unwrap_or("goods");
    Ok(json!({
        "categories": categories.iter().map(|c| json!({
            "code": c.code,
            "name": match page.language { Language::Fr => &c.name_fr, Language::Nl => &c.name_nl },
            "selected": c.code == category,
        })).collect::<Vec<_>>(),
        "kinds": KINDS.iter().map(|k| json!({
            "code": k, "label": page.t(&format!("bo-kind-{k}")), "selected": *k == kind,
        })).collect::<Vec<_>>(),
    }))
}

async fn render_new_lot(
    page: &Page<'_>,
    state: State,
    refusal: Refusal,
) -> Result<HttpResponse, WebError> {
    let values = refusal.values.unwrap_or_else(|| json!({}));
    let choices = lot_form_choices(page, &state, &values).await?;
    let data = json!({
        "csrf": page.csrf(),
        "errors": refusal.errors,
        "values": values,
        "choices": choices,
    });
    page.render_with_status(
        refusal.status,
        "admin/catalogue/new_lot",
        page.t("bo-new-lot-title"),
        data,
    )
}

pub async fn new_lot(request: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let refusal = Refusal {
        status: StatusCode::OK,
        errors: json!({}),
        values: Some(json!({"kind": "goods"})),
    };
    render_new_lot(&page, state.clone(), refusal).await
}

fn lot_fields_of(form: &FormData) -> LotFields {
    LotFields {
        reference: value(form, "reference").to_owned(),
        category_code: value(form, "category").to_owned(),
        kind: value(form, "kind").to_owned(),
        title: Bilingual::new(value(form, "title_fr"), value(form, "title_nl")),
        description: Bilingual::new(value(form, "description_fr"), value(form, "description_nl")),
        valid_from: value(form, "valid_from").to_owned(),
        valid_until: value(form, "valid_until").to_owned(),
    }
}

pub async fn create_lot(
    request: HttpRequest,
    state: State,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let now = state.clock.now_naive();
    // The new lot's id is only known inside the work; the redirect goes to the list, which
    // shows it at once.
    act_then!(
        request,
        state,
        form,
        ("/admin/lots".to_owned(), "bo-lot-created-flash"),
        move |conn, admin, form| bo::create_lot(conn, now, admin, &lot_fields_of(form)).map(|_| ()),
        |page, state, refusal| render_new_lot(page, state, refusal),
    )
}

async fn render_lot(
    page: &Page<'_>,
    state: State,
    id: i64,
    refusal: Refusal,
) -> Result<HttpResponse, WebError> {
    let (lot, products, suppliers, history) = db(page, &state, move |conn| {
        Ok((
            bo::lot(conn, id)?,
            bo::products_of_lot(conn, id)?,
            q::all_supplier_briefs(conn)?,
            crate::audit::for_subject(conn, "lot", id)?,
        ))
    })
    .await?;
    let values = refusal.values.unwrap_or_else(|| lot_values(&lot));
    let choices = lot_form_choices(page, &state, &values).await?;
    let last = lot.cascade.len();
    let cascade: Vec<Value> = lot
        .cascade
        .iter()
        .enumerate()
        .map(|(index, s)| {
            json!({
                "rank": s.rank,
                "supplier_id": s.supplier_id,
                "name": s.supplier_name,
                "active": s.active,
                "supplier_active": s.supplier_active,
                "can_up": index > 0,
                "can_down": index + 1 < last,
            })
        })
        .collect();
    let addable: Vec<Value> = suppliers
        .iter()
        .filter(|s| s.status == "active" && !lot.cascade.iter().any(|c| c.supplier_id == s.id))
        .map(|s| json!({ "id": s.id, "name": s.name }))
        .collect();
    let language = page.language;
    let data = json!({
        "csrf": page.csrf(),
        "lot": lot_summary(page, &lot),
        "draft": lot.status == "draft",
        "published": lot.status == "published",
        "cascade": cascade,
        "cascade_full": last >= crate::domain::rank::MAX_CASCADE_SIZE,
        "addable": addable,
        "products": products.iter().map(|p| json!({
            "href": format!("/admin/products/{}", p.id),
            "sku": p.sku,
            "name": match language { Language::Fr => &p.name_fr, Language::Nl => &p.name_nl },
            "unit": page.t(&bo::unit_label_key(&p.unit_code)),
            "active": p.active,
            "offer_count": p.offers.iter().filter(|o| o.price_cents.is_some()).count(),
        })).collect::<Vec<_>>(),
        "history": history.iter().rev().take(20).map(|e| json!({
            "when": crate::membership::local_time(e.occurred_at),
            "who": e.actor_label,
            "action": e.action,
        })).collect::<Vec<_>>(),
        "errors": refusal.errors,
        "values": values,
        "choices": choices,
    });
    let title = format!("{} — {}", lot.reference, page.t("bo-lot-title"));
    page.render_with_status(refusal.status, "admin/catalogue/lot", title, data)
}

pub async fn lot(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let refusal = Refusal::none();
    render_lot(&page, state.clone(), id.into_inner(), refusal).await
}

/// A change on the lot page.
async fn lot_action<W>(
    request: HttpRequest,
    state: State,
    id: i64,
    form: FormData,
    flash_key: &'static str,
    work: W,
) -> Result<HttpResponse, WebError>
where
    W: FnOnce(&mut Conn, &Principal, &FormData) -> Result<(), ServiceError> + Send + 'static,
{
    act_then!(
        request,
        state,
        form,
        (format!("/admin/lots/{id}"), flash_key),
        work,
        |page, state, refusal| render_lot(page, state, id, refusal),
    )
}

pub async fn update_lot(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    lot_action(
        request,
        state,
        id,
        form.into_inner(),
        "bo-lot-saved-flash",
        move |conn, admin, form| bo::update_lot(conn, now, admin, id, &lot_fields_of(form)),
    )
    .await
}

pub async fn publish_lot(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    lot_action(
        request,
        state,
        id,
        form.into_inner(),
        "bo-lot-published-flash",
        move |conn, admin, _| bo::publish_lot(conn, now, admin, id),
    )
    .await
}

pub async fn close_lot(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    lot_action(
        request,
        state,
        id,
        form.into_inner(),
        "bo-lot-closed-flash",
        move |conn, admin, _| bo::close_lot(conn, now, admin, id),
    )
    .await
}

pub async fn add_supplier(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    lot_action(
        request,
        state,
        id,
        form.into_inner(),
        "bo-cascade-saved-flash",
        move |conn, admin, form| {
            let Ok(supplier) = value(form, "supplier_id").trim().parse::<i64>() else {
                return Err(ServiceError::Invalid(
                    crate::validation::ValidationErrors::single(
                        "cascade",
                        "bo-cascade-supplier-unknown",
                        "choose a supplier",
                    ),
                ));
            };
            bo::add_supplier(conn, now, admin, id, supplier).map(|_| ())
        },
    )
    .await
}

pub async fn change_supplier(
    request: HttpRequest,
    state: State,
    path: web::Path<(i64, i64, String)>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let (id, supplier, action) = path.into_inner();
    let now = state.clock.now_naive();
    if !matches!(action.as_str(), "up" | "down" | "deactivate" | "reactivate") {
        let page = Page::load(&request, &state).await?;
        return Err(WebError::not_found(page.language));
    }
    lot_action(
        request,
        state,
        id,
        form.into_inner(),
        "bo-cascade-saved-flash",
        move |conn, admin, _| {
            match action.as_str() {
                "up" => bo::move_supplier(conn, now, admin, id, supplier, true),
                "down" => bo::move_supplier(conn, now, admin, id, supplier, false),
                "deactivate" => bo::set_supplier_active(conn, now, admin, id, supplier, false),
                _ => bo::set_supplier_active(conn, now, admin, id, supplier, true),
            }
            .map(|_| ())
        },
    )
    .await
}

// Products ---------------------------------------------------------------------------------

fn product_values(p: &AdminProduct) -> Value {
    json!({
        "sku": p.sku,
        "name_fr": p.name_fr,
        "name_nl": p.name_nl,
        "description_fr": p.description_fr,
        "description_nl": p.description_nl,
        "packaging_fr": p.packaging_fr,
        "packaging_nl": p.packaging_nl,
        "unit_code": p.unit_code,
        "standards": p.standards.join("\n"),
        "vat_class": p.vat_class,
        "min_quantity": p.min_quantity.to_string(),
        "order_multiple": p.order_multiple.to_string(),
        "active": if p.active { "on" } else { "" },
    })
}

fn product_fields_of(form: &FormData) -> ProductFields {
    ProductFields {
        sku: value(form, "sku").to_owned(),
        name: Bilingual::new(value(form, "name_fr"), value(form, "name_nl")),
        description: Bilingual::new(value(form, "description_fr"), value(form, "description_nl")),
        packaging: Bilingual::new(value(form, "packaging_fr"), value(form, "packaging_nl")),
        unit_code: value(form, "unit_code").to_owned(),
        standards: value(form, "standards").to_owned(),
        vat_class: value(form, "vat_class").to_owned(),
        min_quantity: value(form, "min_quantity").to_owned(),
        order_multiple: value(form, "order_multiple").to_owned(),
        active: !value(form, "active").is_empty(),
    }
}

async fn product_form_choices(
    page: &Page<'_>,
    state: &State,
    values: &Value,
) -> Result<Value, WebError> {
    let mut classes: Vec<String> = db(page, state, |conn| Ok(reference::vat_rates(conn)?))
        .await?
        .into_iter()
        .map(|r| r.vat_class)
        .collect();
    classes.dedup();
    let selected_class = values["vat_class"].as_str().unwrap_or_default();
    Ok(json!({
        "units": unit_options(page, values["unit_code"].as_str().unwrap_or_default()),
        "vat_classes": classes.iter().map(|c| json!({
            "code": c,
            "label": page.t(&format!("bo-vat-{c}")),
            "selected": c == selected_class,
        })).collect::<Vec<_>>(),
        "active": !values["active"].as_str().unwrap_or_default().is_empty(),
    }))
}

async fn render_new_product(
    page: &Page<'_>,
    state: State,
    lot_id: i64,
    refusal: Refusal,
) -> Result<HttpResponse, WebError> {
    let lot = db(page, &state, move |conn| bo::lot(conn, lot_id)).await?;
    let default_unit = if lot.kind == "services" { "HUR" } else { "BX" };
    let values = refusal.values.unwrap_or_else(|| {
        json!({
            "unit_code": default_unit, "vat_class": "standard", "min_quantity": "1",
            "order_multiple": "1", "active": "on",
        })
    });
    let choices = product_form_choices(page, &state, &values).await?;
    let data = json!({
        "csrf": page.csrf(),
        "lot": lot_summary(page, &lot),
        "errors": refusal.errors,
        "values": values,
        "choices": choices,
    });
    page.render_with_status(
        refusal.status,
        "admin/catalogue/new_product",
        page.t("bo-new-product-title"),
        data,
    )
}

pub async fn new_product(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let refusal = Refusal::none();
    render_new_product(&page, state.clone(), id.into_inner(), refusal).await
}

pub async fn create_product(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let lot_id = id.into_inner();
    let now = state.clock.now_naive();
    act_then!(
        request,
        state,
        form.into_inner(),
        (format!("/admin/lots/{lot_id}"), "bo-product-created-flash"),
        move |conn, admin, form| {
            bo::create_product(conn, now, admin, lot_id, &product_fields_of(form)).map(|_| ())
        },
        |page, state, refusal| render_new_product(page, state, lot_id, refusal),
    )
}

async fn render_product(
    page: &Page<'_>,
    state: State,
    id: i64,
    refusal: Refusal,
) -> Result<HttpResponse, WebError> {
    let (product, lot) = db(page, &state, move |conn| {
        let product = bo::product(conn, id)?;
        let lot = bo::lot(conn, product.lot_id)?;
        Ok((product, lot))
    })
    .await?;
    let language = page.language;
    // An offer form that was refused keeps what was typed; the others show what is stored.
    let offer_supplier = refusal.values.as_ref().and_then(|v| {
        v["offer_supplier"]
            .as_str()
            .and_then(|s| s.parse::<i64>().ok())
    });
    let values = match (&refusal.values, offer_supplier) {
        (Some(v), None) => v.clone(),
        _ => product_values(&product),
    };
    let choices = product_form_choices(page, &state, &values).await?;
    let offers: Vec<Value> = product
        .offers
        .iter()
        .map(|o| {
            let kept = (offer_supplier == Some(o.supplier_id))
                .then(|| refusal.values.clone())
                .flatten();
            let key = |field: &str| field_key(&format!("offer_{}_{field}", o.supplier_id));
            json!({
                "supplier_id": o.supplier_id,
                "name": o.supplier_name,
                "rank": o.rank,
                "current": o.price_cents.map(|c| Cents::new(c).format(language)),
                "price": kept.as_ref().map(|v| v["price"].clone()).unwrap_or_else(|| json!(o.price)),
                "available": kept.as_ref().map(|v| !v["available"].as_str().unwrap_or_default().is_empty()).unwrap_or(o.price_cents.is_none() || o.available),
                "unavailable_until": kept.as_ref().map(|v| v["unavailable_until"].clone()).unwrap_or_else(|| json!(o.unavailable_until.map(|d| d.to_string()))),
                "price_error": refusal.errors.get(key("price")),
                "until_error": refusal.errors.get(key("unavailable_until")),
                "error": refusal.errors.get(key("supplier")),
            })
        })
        .collect();
    let data = json!({
        "csrf": page.csrf(),
        "id": product.id,
        "sku": product.sku,
        "name": match language { Language::Fr => &product.name_fr, Language::Nl => &product.name_nl },
        "unit": page.t(&bo::unit_label_key(&product.unit_code)),
        "lot": lot_summary(page, &lot),
        "offers": offers,
        "errors": if offer_supplier.is_some() { json!({}) } else { refusal.errors.clone() },
        "values": values,
        "choices": choices,
    });
    page.render_with_status(
        refusal.status,
        "admin/catalogue/product",
        format!("{} — {}", product.sku, page.t("bo-product-title")),
        data,
    )
}

pub async fn product(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let refusal = Refusal::none();
    render_product(&page, state.clone(), id.into_inner(), refusal).await
}

pub async fn update_product(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    act_then!(
        request,
        state,
        form.into_inner(),
        (format!("/admin/products/{id}"), "bo-product-saved-flash"),
        move |conn, admin, form| bo::update_product(conn, now, admin, id, &product_fields_of(form)),
        |page, state, refusal| render_product(page, state, id, refusal),
    )
}

pub async fn set_offer(
    request: HttpRequest,
    state: State,
    path: web::Path<(i64, i64)>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let (id, supplier) = path.into_inner();
    let now = state.clock.now_naive();
    let mut form = form.into_inner();
    form.insert("offer_supplier".into(), supplier.to_string());
    act_then!(
        request,
        state,
        form,
        (format!("/admin/products/{id}"), "bo-offer-saved-flash"),
        move |conn, admin, form| {
            let fields = OfferFields {
                price: value(form, "price").to_owned(),
                available: !value(form, "available").is_empty(),
                unavailable_until: value(form, "unavailable_until").to_owned(),
            };
            bo::set_offer(conn, now, admin, id, supplier, &fields).map_err(|e| match e {
                // Several offer forms share the page: each message goes to its supplier's row.
                ServiceError::Invalid(mut errors) => {
                    for error in &mut errors.errors {
                        error.field = format!("offer_{supplier}_{}", error.field);
                    }
                    ServiceError::Invalid(errors)
                }
                other => other,
            })
        },
        |page, state, refusal| render_product(page, state, id, refusal),
    )
}

// Categories -------------------------------------------------------------------------------

fn category_fields_of(form: &FormData) -> CategoryFields {
    CategoryFields {
        code: value(form, "code").to_owned(),
        name: Bilingual::new(value(form, "name_fr"), value(form, "name_nl")),
        position: value(form, "position").to_owned(),
    }
}

async fn render_categories(
    page: &Page<'_>,
    state: State,
    refusal: Refusal,
) -> Result<HttpResponse, WebError> {
    let (categories, counts) = db(page, &state, |conn| {
        Ok((
            reference::categories(conn)?,
            q::lot_counts_by_category(conn)?,
        ))
    })
    .await?;
    let next_position = categories.iter().map(|c| c.position).max().unwrap_or(0) + 1;
    let data = json!({
        "csrf": page.csrf(),
        "rows": categories.iter().map(|c| json!({
            "href": format!("/admin/categories/{}", c.id),
            "code": c.code,
            "name_fr": c.name_fr,
            "name_nl": c.name_nl,
            "position": c.position,
            "lot_count": counts.iter().find(|(id, _)| *id == c.id).map(|(_, n)| *n).unwrap_or(0),
        })).collect::<Vec<_>>(),
        "errors": refusal.errors,
        "values": refusal.values.unwrap_or_else(|| json!({ "position": next_position.to_string() })),
    });
    page.render_with_status(
        refusal.status,
        "admin/catalogue/categories",
        page.t("bo-categories-title"),
        data,
    )
}

pub async fn categories(request: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let refusal = Refusal::none();
    render_categories(&page, state.clone(), refusal).await
}

pub async fn create_category(
    request: HttpRequest,
    state: State,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let now = state.clock.now_naive();
    act_then!(
        request,
        state,
        form.into_inner(),
        ("/admin/categories".to_owned(), "bo-category-saved-flash"),
        move |conn, admin, form| {
            bo::create_category(conn, now, admin, &category_fields_of(form)).map(|_| ())
        },
        |page, state, refusal| render_categories(page, state, refusal),
    )
}

async fn render_category(
    page: &Page<'_>,
    state: State,
    id: i64,
    refusal: Refusal,
) -> Result<HttpResponse, WebError> {
    let category = db(page, &state, move |conn| bo::category(conn, id)).await?;
    let data = json!({
        "csrf": page.csrf(),
        "id": id,
        "code": category.code,
        "errors": refusal.errors,
        "values": refusal.values.unwrap_or_else(|| json!({
            "code": category.code,
            "name_fr": category.name_fr,
            "name_nl": category.name_nl,
            "position": category.position.to_string(),
        })),
    });
    page.render_with_status(
        refusal.status,
        "admin/catalogue/category",
        page.t("bo-category-title"),
        data,
    )
}

pub async fn category(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    page.require(Role::Admin)?;
    let refusal = Refusal::none();
    render_category(&page, state.clone(), id.into_inner(), refusal).await
}

pub async fn update_category(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    act_then!(
        request,
        state,
        form.into_inner(),
        ("/admin/categories".to_owned(), "bo-category-saved-flash"),
        move |conn, admin, form| bo::update_category(
            conn,
            now,
            admin,
            id,
            &category_fields_of(form)
        ),
        |page, state, refusal| render_category(page, state, id, refusal),
    )
}
