//! Cart, checkout and the institution's orders (institution users).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::forms::{translated_errors, value, FormData};
use super::{encode, flash, see_other, Page, WebError};
use crate::db::parties;
use crate::domain::{Cents, Language};
use crate::error::ServiceError;
use crate::membership::local_time;
use crate::ordering::view::{self, line_total, OrderView};
use crate::ordering::{self, cart, LineInput, PlaceOrder};
use crate::parties::Role;
use crate::startup::State;
use crate::validation::ValidationErrors;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cart", web::get().to(show_cart))
        .route("/cart", web::post().to(update_cart))
        .route("/cart/checkout", web::post().to(checkout))
        .route("/orders", web::get().to(list))
        .route("/orders/{id}", web::get().to(detail))
        .route("/orders/{id}/cancel", web::post().to(cancel));
}

fn money(language: Language, cents: Cents) -> String {
    cents.format(language)
}

fn db_error(page: &Page<'_>, error: ServiceError) -> WebError {
    match error {
        ServiceError::Db(db) => WebError::db(page.language, db),
        ServiceError::NotFound(_) => WebError::not_found(page.language),
        other => WebError::internal(page.language, other),
    }
}

async fn render_cart(
    page: &Page<'_>,
    state: &State,
    status: StatusCode,
    errors: Option<&ValidationErrors>,
    values: Value,
) -> Result<HttpResponse, WebError> {
    let user = page.require(Role::Institution)?;
    let user_id = user.principal.user_id.unwrap_or_default();
    let institution_id = user.principal.institution_id.unwrap_or_default();
    let today = state.clock.today();
    let (lines, addresses) = state
        .pool
        .run(move |conn| {
            Ok::<_, crate::db::DbError>((
                cart::lines(conn, today, user_id)?,
                parties::delivery_addresses_of(conn, institution_id)?,
            ))
        })
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let language = page.language;
    let mut net = Cents::ZERO;
    let mut lots: Vec<String> = Vec::new();
    let rows: Vec<Value> = lines
        .iter()
        .map(|l| {
            let price = l.product.offer.as_ref().map(|o| o.unit_price);
            let total = price.and_then(|p| p.checked_mul(l.quantity));
            if let Some(total) = total {
                net = net.checked_add(total).unwrap_or(net);
            }
            let lot = l.lot_title.get(language).to_owned();
            if !lots.contains(&lot) {
                lots.push(lot.clone());
            }
            json!({
                "sku": l.product.sku,
                "error_key": format!("quantity_{}", super::forms::field_key(&l.product.sku)),
                "name": l.product.name.get(language),
                "href": format!("/products/{}", encode(&l.product.sku)),
                "lot": lot,
                "quantity": l.quantity,
                "min_quantity": l.product.min_quantity,
                "order_multiple": l.product.order_multiple,
                "unit": page.t(&crate::catalogue::back_office::unit_label_key(&l.product.unit_code)),
                "unit_price": price.map(|p| money(language, p)),
                "line_total": total.map(|t| money(language, t)),
                "supplier": l.product.offer.as_ref().map(|o| o.supplier_name.clone()),
                "unavailable": l.product.offer.is_none(),
            })
        })
        .collect();
    let data = json!({
        "csrf": page.csrf(),
        "lines": rows,
        "empty": lines.is_empty(),
        "net": money(language, net),
        "lot_count": lots.len(),
        "addresses": addresses.iter().filter(|a| a.active).map(|a| json!({
            "id": a.id,
            "label": if a.label.is_empty() { format!("{}, {} {}", a.street, a.postcode, a.city) } else { format!("{} — {}, {} {}", a.label, a.street, a.postcode, a.city) },
        })).collect::<Vec<_>>(),
        "errors": errors.map(|e| translated_errors(page, e)).unwrap_or(json!({})),
        "error_summary": errors.map(|e| error_summary(page, e, values.get("sku").and_then(Value::as_str))),
        "values": values,
    });
    page.render_with_status(status, "orders/cart", page.t("cart-title"), data)
}

/// Every problem in one sentence at the top of the cart, naming the product concerned, so it
/// is read even when the product is not (yet) in the cart.
fn error_summary(page: &Page<'_>, errors: &ValidationErrors, sku: Option<&str>) -> String {
    let messages: Vec<String> = errors
        .errors
        .iter()
        .map(|e| {
            let message = if page.state.translations.has(page.language, &e.code) {
                page.t(&e.code)
            } else {
                e.message.clone()
            };
            match sku {
                Some(sku) => format!("{sku} : {message}"),
                None => message,
            }
        })
        .collect();
    messages.join(" ")
}

pub async fn show_cart(request: HttpRequest, state: State) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    render_cart(&page, &state, StatusCode::OK, None, json!({})).await
}

pub async fn update_cart(
    request: HttpRequest,
    state: State,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let user = page.require(Role::Institution)?.clone();
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let sku = value(&form, "sku").to_owned();
    let quantity_text = value(&form, "quantity").trim().to_owned();
    let Ok(quantity) = quantity_text.parse::<i64>() else {
        let errors = ValidationErrors::single(
            "quantity",
            "quantity-not-a-number",
            "the quantity must be a whole number",
        );
        return render_cart(
            &page,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&errors),
            json!({"sku": sku}),
        )
        .await;
    };
    let now = state.clock.now_naive();
    let today = state.clock.today();
    let user_id = user.principal.user_id.unwrap_or_default();
    let target = sku.clone();
    let result = state
        .pool
        .run(move |conn| cart::set_quantity(conn, now, today, user_id, &target, quantity))
        .await;
    match result {
        Ok(()) => {
            flash(
                &page.session,
                if quantity == 0 {
                    "cart-removed-flash"
                } else {
                    "cart-updated-flash"
                },
            );
            Ok(see_other("/cart"))
        }
        Err(ServiceError::Invalid(errors)) => {
            // Shown next to that product's quantity.
            let mut errors = errors;
            for error in &mut errors.errors {
                error.field = format!("quantity_{}", super::forms::field_key(&sku));
            }
            render_cart(
                &page,
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&errors),
                json!({"sku": sku}),
            )
            .await
        }
        Err(other) => Err(db_error(&page, other)),
    }
}

pub async fn checkout(
    request: HttpRequest,
    state: State,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let user = page.require(Role::Institution)?.clone();
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let user_id = user.principal.user_id.unwrap_or_default();
    let institution_id = user.principal.institution_id.unwrap_or_default();
    let address: i64 = value(&form, "delivery_address").parse().unwrap_or(0);
    let buyer_reference = Some(value(&form, "buyer_reference").to_owned());
    let service_state = state.clone();
    let principal = user.principal.clone();
    let today = state.clock.today();
    let result = state
        .pool
        .run(move |conn| {
            // One transaction: the cart is emptied (and, on PostgreSQL, its rows locked) before
            // the orders are placed, so a double submission finds an empty cart instead of
            // ordering twice; a refused order leaves the cart as it was.
            conn.transaction(|conn| {
                let taken = crate::db::orders::take_cart(conn, user_id)?;
                let lines = cart::lines_for(conn, today, taken)?;
                let input = PlaceOrder {
                    institution_id,
                    delivery_address_id: address,
                    buyer_reference,
                    lines: lines
                        .iter()
                        .map(|l| LineInput {
                            sku: l.product.sku.clone(),
                            quantity: i64::from(l.quantity),
                        })
                        .collect(),
                };
                let ctx = service_state.ordering();
                let ids = ordering::place(conn, &ctx, &principal, &input)?;
                let checkout = crate::db::orders::order(conn, ids[0])?
                    .map(|o| o.checkout_id)
                    .unwrap_or_default();
                Ok::<_, ServiceError>(checkout)
            })
        })
        .await;
    match result {
        Ok(checkout) => {
            flash(&page.session, "order-placed-flash");
            Ok(see_other(&format!("/orders?checkout={checkout}")))
        }
        Err(ServiceError::Invalid(errors)) => {
            render_cart(
                &page,
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&errors),
                super::forms::kept_values(&form),
            )
            .await
        }
        Err(ServiceError::Conflict { code, .. }) => {
            let errors = ValidationErrors::single("checkout", code, code);
            render_cart(
                &page,
                &state,
                StatusCode::CONFLICT,
                Some(&errors),
                json!({}),
            )
            .await
        }
        Err(other) => Err(db_error(&page, other)),
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    checkout: Option<String>,
}

fn status_label(page: &Page<'_>, status: &str) -> String {
    page.t(&format!("order-status-{}", status.replace('_', "-")))
}

pub async fn list(
    request: HttpRequest,
    state: State,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let user = page.require(Role::Institution)?;
    let institution_id = user.principal.institution_id.unwrap_or_default();
    let rows = state
        .pool
        .run(move |conn| view::list_for_institution(conn, institution_id, 200))
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let checkout = query.into_inner().checkout;
    let language = page.language;
    let data = json!({
        "orders": rows.iter().map(|o| json!({
            "href": format!("/orders/{}", o.id),
            "reference": o.reference,
            "status": o.status,
            "status_label": status_label(&page, &o.status),
            "placed_at": local_time(o.placed_at),
            "buyer_reference": o.buyer_reference,
            "delivery": o.expected_delivery.unwrap_or(o.delivery_due).format("%d/%m/%Y").to_string(),
            "net": money(language, o.net),
            "gross": money(language, o.gross),
            "just_placed": checkout.as_deref() == Some(o.checkout_id.as_str()),
        })).collect::<Vec<_>>(),
        "empty": rows.is_empty(),
    });
    page.render("orders/list", page.t("orders-title"), data)
}

pub fn order_json(page: &Page<'_>, order: &OrderView) -> Value {
    let language = page.language;
    let status = order.order.status.as_str();
    json!({
        "id": order.order.id,
        "reference": order.order.reference,
        "status": status,
        "status_label": status_label(page, status),
        "lot": order.lot_title(language),
        "institution": order.institution,
        "placed_at": local_time(order.order.placed_at),
        "buyer_reference": order.order.buyer_reference,
        "delivery_address": order.delivery_address,
        "delivery_due": order.order.delivery_due.format("%d/%m/%Y").to_string(),
        "expected_delivery": order.order.expected_delivery.map(|d| d.format("%d/%m/%Y").to_string()),
        "supplier": order.confirmed_supplier,
        "current_supplier": order.current_supplier,
        "current_rank": order.order.current_rank,
        "deadline": order.order.response_deadline.map(local_time),
        "breach": order.order.breach_at.is_some(),
        "lines": order.lines.iter().map(|l| json!({
            "sku": l.sku,
            "name": match language { Language::Fr => &l.name_fr, Language::Nl => &l.name_nl },
            "quantity": l.quantity,
            "unit_code": l.unit_code,
            "unit_price": money(language, Cents::new(l.unit_price_cents)),
            "vat_label": crate::domain::vat::VatRate::from_basis_points(l.vat_rate_basis_points.max(0) as u32).map(|r| r.format(language)).unwrap_or_default(),
            "line_total": money(language, line_total(l)),
        })).collect::<Vec<_>>(),
        "net": money(language, order.totals.net),
        "vat": order.totals.vat.iter().map(|v| json!({"rate": v.rate.format(language), "taxable": money(language, v.taxable), "amount": money(language, v.vat)})).collect::<Vec<_>>(),
        "gross": money(language, order.totals.gross),
        "price_changed": order.price_changed() && order.order.confirmed_at.is_some(),
        "displayed_net": money(language, order.displayed_net),
        "cancellable": matches!(status, "placed" | "routed" | "confirmed"),
        "events": order.events.iter().map(|e| json!({
            "when": local_time(e.occurred_at),
            "what": page.t(&format!("order-event-{}", e.kind.replace('_', "-"))),
            "rank": e.rank,
            "who": e.actor_label,
            "reason": e.reason,
        })).collect::<Vec<_>>(),
    })
}

async fn load_order(page: &Page<'_>, state: &State, id: i64) -> Result<OrderView, WebError> {
    let order = state
        .pool
        .run(move |conn| view::load(conn, id))
        .await
        .map_err(|e| WebError::db(page.language, e))?
        .ok_or_else(|| WebError::not_found(page.language))?;
    Ok(order)
}

pub async fn detail(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let user = page.require(Role::Institution)?;
    let institution_id = user.principal.institution_id;
    let order = load_order(&page, &state, id.into_inner()).await?;
    // Another institution's order does not exist, as far as this user can tell.
    if Some(order.order.institution_id) != institution_id {
        return Err(WebError::not_found(page.language));
    }
    let data = json!({ "order": order_json(&page, &order), "csrf": page.csrf() });
    page.render("orders/detail", order.order.reference.clone(), data)
}

pub async fn cancel(
    request: HttpRequest,
    state: State,
    id: web::Path<i64>,
    form: web::Form<FormData>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let user = page.require(Role::Institution)?.clone();
    page.verify_csrf(form.get("csrf").map(String::as_str))?;
    let id = id.into_inner();
    let service_state = state.clone();
    let result = state
        .pool
        .run(move |conn| {
            let ctx = service_state.ordering();
            ordering::cancel(conn, &ctx, &user.principal, id)
        })
        .await;
    match result {
        Ok(status) => {
            flash(
                &page.session,
                if status == crate::domain::order_state::OrderStatus::Cancelled {
                    "order-cancelled-flash"
                } else {
                    "order-cancellation-requested-flash"
                },
            );
            Ok(see_other(&format!("/orders/{id}")))
        }
        Err(ServiceError::Conflict { code, .. }) => Err(WebError::conflict(page.language, code)),
        Err(other) => Err(db_error(&page, other)),
    }
}
