//! The supplier API: the feed of orders routed to the calling supplier, and its answers
//! (accept, decline, ship, deliver, cancellation), plus bulk availability. A supplier sees only
//! orders that were offered to it; any other id is simply not found.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::auth::SupplierApi;
use crate::api::problem::ApiError;
use crate::auth::Principal;
use crate::db::orders::{self as q, AssignmentRow};
use crate::db::schema::{products, supplier_offers};
use crate::db::{parties, Conn, DbError};
use crate::domain::vat::VatRate;
use crate::domain::Cents;
use crate::error::ServiceError;
use crate::ordering::routing;
use crate::ordering::view::{self, line_total, OrderView};
use crate::startup::State;
use crate::validation::ValidationErrors;
use crate::with_conn;

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 500;

fn supplier_id(principal: &Principal) -> Result<i64, ApiError> {
    principal
        .supplier()
        .ok_or_else(|| ApiError::Forbidden("a supplier client is required".into()))
}

/// How the order stands for this supplier.
pub fn supplier_status(assignment: &AssignmentRow, order: &OrderView) -> String {
    match assignment.outcome.as_deref() {
        None => "awaiting_answer".into(),
        Some("accepted") => order.order.status.clone(),
        Some(other) => other.into(),
    }
}

fn money(cents: Cents) -> Value {
    json!({ "cents": cents.cents(), "amount": cents.to_plain_string() })
}

pub fn item_json(assignment: &AssignmentRow, order: &OrderView, buyer_number: &str) -> Value {
    let o = &order.order;
    let mine =
        o.confirmed_supplier_id == Some(assignment.supplier_id) || assignment.outcome.is_none();
    // Once the order has moved on, its lines carry another supplier's tender prices, which
    // this supplier must not see.
    let priced = mine;
    json!({
        "id": o.id,
        "reference": o.reference,
        "cursor": assignment.feed_seq.to_string(),
        "supplier_status": supplier_status(assignment, order),
        "order_status": if mine { Value::String(o.status.clone()) } else { Value::Null },
        "cascade_rank": assignment.rank,
        "offered_at": assignment.offered_at.and_utc(),
        "response_deadline": assignment.outcome.is_none().then(|| assignment.deadline.and_utc()),
        "answered_at": assignment.answered_at.map(|a| a.and_utc()),
        "buyer": { "name": order.institution, "enterprise_number": buyer_number },
        "buyer_reference": o.buyer_reference,
        "delivery_address": order.delivery_address,
        "delivery_due": o.delivery_due,
        "expected_delivery": if mine { json!(o.expected_delivery) } else { Value::Null },
        "lines": order.lines.iter().map(|l| json!({
            "sku": l.sku,
            "name": { "fr": l.name_fr, "nl": l.name_nl },
            "quantity": l.quantity,
            "unit_code": l.unit_code,
            "unit_price": if priced { money(Cents::new(l.unit_price_cents)) } else { Value::Null },
            "vat_rate_percent": VatRate::from_basis_points(l.vat_rate_basis_points.max(0) as u32).map(|r| r.as_percent().to_string()).unwrap_or_default(),
            "line_total": if priced { money(line_total(l)) } else { Value::Null },
        })).collect::<Vec<_>>(),
        "totals": if priced { json!({
            "net": money(order.totals.net),
            "vat_total": money(order.totals.vat_total),
            "gross": money(order.totals.gross),
            "currency": "EUR",
        }) } else { Value::Null },
        "updated_at": o.updated_at.and_utc(),
    })
}

fn load_item(conn: &mut Conn, assignment: &AssignmentRow) -> Result<Option<Value>, DbError> {
    let Some(order) = view::load(conn, assignment.order_id)? else {
        return Ok(None);
    };
    let number = parties::institution(conn, order.order.institution_id)?
        .map(|i| i.enterprise_number)
        .unwrap_or_default();
    Ok(Some(item_json(assignment, &order, &number)))
}

/// How long a feed poll waits, at most, for a transaction that holds committed changes back
/// (PostgreSQL), and its first pause; each pause doubles.
const HELD_BACK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);
const HELD_BACK_FIRST_PAUSE: std::time::Duration = std::time::Duration::from_millis(5);

/// What one look at the feed gave: a page to answer with, or the number of the first change
/// a transaction still running holds back, to wait for.
enum Poll {
    Page(Vec<u8>),
    HeldBack(i64),
}

/// The held-back change a poll still waits for: the first one held back when it first looked
/// (`awaited`), until a later look finds nothing held back at or below it. Changes committed
/// after the first look are not waited for.
fn still_held(held_back: Option<i64>, awaited: Option<i64>) -> Option<i64> {
    match (held_back, awaited) {
        (Some(first), None) => Some(first),
        (Some(first), Some(waited_for)) if first <= waited_for => Some(waited_for),
        _ => None,
    }
}

/// The JSON page of the feed for these rows.
fn feed_body(
    conn: &mut Conn,
    rows: &[AssignmentRow],
    cursor: i64,
    limit: i64,
    status: Option<&str>,
    updated_after: Option<NaiveDateTime>,
) -> Result<Vec<u8>, DbError> {
    let has_more = rows.len() as i64 == limit;
    let next = rows.last().map(|r| r.feed_seq).unwrap_or(cursor);
    // A page of orders in a handful of queries, not a handful per order.
    let order_ids: Vec<i64> = rows.iter().map(|r| r.order_id).collect();
    let orders: HashMap<i64, OrderView> =
        view::load_many_with(conn, &order_ids, view::History::Left)?
            .into_iter()
            .map(|o| (o.order.id, o))
            .collect();
    let institution_ids = view::distinct(orders.values().map(|o| o.order.institution_id));
    let numbers: HashMap<i64, String> = parties::institution_numbers(conn, &institution_ids)?
        .into_iter()
        .collect();
    // Each item is written out as soon as it is built: a page of a hundred orders is
    // never held as a tree of JSON values, which under many pollers at once would
    // set the server's memory.
    let mut body = Vec::with_capacity(rows.len() * 1_200 + 64);
    body.extend_from_slice(br#"{"items":["#);
    let mut first = true;
    for row in rows {
        let Some(order) = orders.get(&row.order_id) else {
            continue;
        };
        if status.is_some_and(|s| supplier_status(row, order) != s) {
            continue;
        }
        if updated_after.is_some_and(|after| order.order.updated_at <= after) {
            continue;
        }
        let number = numbers
            .get(&order.order.institution_id)
            .map(String::as_str)
            .unwrap_or_default();
        let item = item_json(row, order, number);
        if !first {
            body.push(b',');
        }
        first = false;
        serde_json::to_writer(&mut body, &item).map_err(|e| DbError::Task(e.to_string()))?;
    }
    body.extend_from_slice(br#"],"next_cursor":"#);
    serde_json::to_writer(&mut body, &next.to_string())
        .map_err(|e| DbError::Task(e.to_string()))?;
    body.extend_from_slice(if has_more {
        br#","has_more":true}"#.as_slice()
    } else {
        br#","has_more":false}"#.as_slice()
    });
    Ok(body)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    status: Option<String>,
    updated_after: Option<chrono::DateTime<chrono::Utc>>,
    cursor: Option<String>,
    limit: Option<i64>,
}

/// `GET /supplier/orders`: changes in the order they happened. Store `next_cursor` and send
/// it back: nothing is missed or repeated, even while orders change between polls.
#[utoipa::path(
    get,
    path = "/api/v1/supplier/orders",
    tag = "supplier",
    summary = "Order feed",
    description = "Changes to the orders offered to the calling supplier, in the order they happened. Store next_cursor and send it back as cursor: nothing is missed or repeated.",
    operation_id = "supplier_feed",
    params(FeedQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the feed", body = super::openapi::SupplierFeed, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn feed(
    state: State,
    client: SupplierApi,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let supplier = supplier_id(&client.0)?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_PAGE}"
        )));
    }
    let cursor = match query.cursor.as_deref() {
        None | Some("") => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|c| *c >= 0)
            .ok_or_else(|| {
                ApiError::BadRequest("cursor must be a value returned as next_cursor".into())
            })?,
    };
    let status = query.status;
    let updated_after: Option<NaiveDateTime> = query.updated_after.map(|t| t.naive_utc());
    // On PostgreSQL a page stops short of changes committed behind a transaction still
    // running (`q::feed`); such a transaction lasts milliseconds, so the poll waits for it a
    // little, without holding a connection, rather than answer "nothing new" to a supplier
    // whose order was just routed to it. It waits for the changes held back when it first
    // looked, not for whatever commits meanwhile (under load something always does), and
    // past its patience answers what it can show.
    let started = std::time::Instant::now();
    let mut pause = HELD_BACK_FIRST_PAUSE;
    let mut awaited: Option<i64> = None;
    let body = loop {
        let status = status.clone();
        let last_try = started.elapsed() >= HELD_BACK_PATIENCE;
        let body = state
            .pool
            .run(move |conn| {
                let page = q::feed(conn, supplier, cursor, limit)?;
                if let Some(held) = still_held(page.held_back, awaited).filter(|_| !last_try) {
                    return Ok(Poll::HeldBack(held));
                }
                feed_body(
                    conn,
                    &page.rows,
                    cursor,
                    limit,
                    status.as_deref(),
                    updated_after,
                )
                .map(Poll::Page)
            })
            .await?;
        match body {
            Poll::Page(body) => break body,
            Poll::HeldBack(held) => awaited = Some(held),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(HELD_BACK_PATIENCE);
    };
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

/// The assignment of `order_id` to the calling supplier, or 404 (no leak of other orders).
async fn own_assignment(
    state: &State,
    supplier: i64,
    order_id: i64,
) -> Result<AssignmentRow, ApiError> {
    state
        .pool
        .run(move |conn| q::assignment(conn, order_id, supplier))
        .await?
        .ok_or_else(|| ApiError::NotFound("no such order among those offered to you".into()))
}

async fn answer_item(
    state: &State,
    supplier: i64,
    order_id: i64,
) -> Result<HttpResponse, ApiError> {
    let assignment = own_assignment(state, supplier, order_id).await?;
    let item = state
        .pool
        .run(move |conn| load_item(conn, &assignment))
        .await?;
    item.map(|i| HttpResponse::Ok().json(i))
        .ok_or_else(|| ApiError::NotFound("no such order".into()))
}

/// `GET /supplier/orders/{id}`: JSON, or with `Accept: application/xml` the PEPPOL BIS
/// Ordering 3 Order (UBL 2.1) for suppliers whose systems read UBL.
#[utoipa::path(
    get,
    path = "/api/v1/supplier/orders/{id}",
    tag = "supplier",
    summary = "One order",
    description = "An order offered to the calling supplier: JSON, or with Accept: application/xml the PEPPOL BIS Ordering 3 Order (UBL 2.1).",
    operation_id = "supplier_order_show",
    params(("id" = i64, Path, description = "The order id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order", content((super::openapi::SupplierOrder = "application/json"), (String = "application/xml"))),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "UBL only: the order is no longer offered to you", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn show(
    state: State,
    request: actix_web::HttpRequest,
    client: SupplierApi,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let supplier = supplier_id(&client.0)?;
    let id = id.into_inner();
    let wants_xml = request
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/xml") || accept.contains("text/xml"));
    if !wants_xml {
        return answer_item(&state, supplier, id).await;
    }
    let assignment = own_assignment(&state, supplier, id).await?;
    let xml = state
        .pool
        .run(move |conn| {
            let order = view::load(conn, id)?.ok_or(ServiceError::NotFound("order"))?;
            let yours =
                order.order.confirmed_supplier_id == Some(supplier) || assignment.outcome.is_none();
            if !yours {
                return Err(ServiceError::Conflict {
                    code: "order-not-yours",
                    message: "this order is no longer offered to you".into(),
                });
            }
            let document = crate::ordering::documents::order_document(conn, &order, supplier)?;
            crate::ubl::render_order(&document)
                .map_err(|e| ServiceError::Other(anyhow::anyhow!("UBL order: {e}")))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .body(xml))
}

/// `POST /supplier/order-responses`: the answers as a PEPPOL BIS Ordering 3 Order Response
/// (UBL). AB acknowledges, AP accepts, RE rejects, CA accepts the lines with status 5 and
/// sends those with status 7 down the cascade as a remainder order.
#[utoipa::path(
    post,
    path = "/api/v1/supplier/order-responses",
    tag = "supplier",
    summary = "Order Response (UBL)",
    description = "The answer as a PEPPOL BIS Ordering 3 Order Response: AB acknowledges, AP accepts, RE rejects, CA accepts the lines with status 5 and sends those with status 7 down the cascade.",
    operation_id = "supplier_order_response",
    request_body(content = String, content_type = "application/xml", description = "A UBL 2.1 OrderResponse document"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The effect of the response", body = super::openapi::OrderResponseResult, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order among those offered to you", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn order_response(
    state: State,
    client: SupplierApi,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    use crate::ubl::{LineStatus, ResponseCode};
    let supplier = supplier_id(&client.0)?;
    let response = crate::ubl::parse_order_response(&body).map_err(|e| {
        ApiError::Invalid(ValidationErrors::single(
            "document",
            e.code(),
            e.to_string(),
        ))
    })?;
    let reference = response.order_reference.clone();
    let order_id = state
        .pool
        .run(move |conn| {
            use crate::db::schema::orders;
            Ok::<_, DbError>(with_conn!(conn, |c| orders::table
                .filter(orders::reference.eq(&reference))
                .select(orders::id)
                .first::<i64>(c)
                .optional())?)
        })
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no order {} among those offered to you",
                response.order_reference
            ))
        })?;
    own_assignment(&state, supplier, order_id).await?;
    let label = client.0.label.clone();
    let service_state = state.clone();
    let result = state
        .pool
        .run(move |conn| {
            let ctx = service_state.ordering();
            let date = || {
                response.promised_delivery.ok_or_else(|| {
                    ServiceError::Invalid(ValidationErrors::single(
                        "PromisedDeliveryPeriod",
                        "delivery-date-missing",
                        "an accepting Order Response needs cac:Delivery/cac:PromisedDeliveryPeriod",
                    ))
                })
            };
            match response.code {
                ResponseCode::Received => Ok::<_, ServiceError>(json!({ "effect": "acknowledged" })),
                ResponseCode::Accepted => {
                    routing::accept(conn, &ctx, order_id, supplier, date()?, &label)?;
                    Ok(json!({ "effect": "accepted" }))
                }
                ResponseCode::Rejected => {
                    let reason = response.note.clone().unwrap_or_else(|| "rejected by order response".into());
                    routing::decline(conn, &ctx, order_id, supplier, &reason, &label)?;
                    Ok(json!({ "effect": "rejected" }))
                }
                ResponseCode::AcceptedWithChanges => {
                    let lines = crate::db::orders::lines_of(conn, order_id)?;
                    // Line ids are the positions in the Order document we sent (1, 2, ...).
                    let refused: Vec<String> = response
                        .lines
                        .iter()
                        .filter(|l| l.status == LineStatus::NotAccepted)
                        .filter_map(|l| l.line_id.trim().parse::<usize>().ok())
                        .filter_map(|n| n.checked_sub(1).and_then(|i| lines.get(i)))
                        .map(|l| l.sku.clone())
                        .collect();
                    let remainder =
                        routing::accept_partially(conn, &ctx, order_id, supplier, date()?, &refused, &label)?;
                    Ok(json!({ "effect": "accepted_with_changes", "remainder_order_id": remainder }))
                }
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "order_id": order_id, "result": result })))
}

async fn run_answer<T, F>(
    state: &State,
    client: &Principal,
    order_id: i64,
    action: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(
            &mut Conn,
            &crate::ordering::OrderingContext<'_>,
            i64,
            &str,
        ) -> Result<T, ServiceError>
        + Send
        + 'static,
    T: Send + 'static,
{
    let supplier = supplier_id(client)?;
    own_assignment(state, supplier, order_id).await?;
    let label = client.label.clone();
    let service_state = state.clone();
    // Answers given at the same time share a commit, like orders placed at the same time.
    state
        .group_commit
        .run(move |conn| {
            let ctx = service_state.ordering();
            action(conn, &ctx, supplier, &label)
        })
        .await?;
    answer_item(state, supplier, order_id).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptJson {
    expected_delivery: NaiveDate,
    #[serde(default)]
    supplier_reference: Option<String>,
    /// Partial acceptance: the SKUs this supplier does not accept. They continue down the
    /// cascade as a linked remainder order.
    #[serde(default)]
    refused_skus: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/supplier/orders/{id}/accept",
    tag = "supplier",
    summary = "Accept an order",
    description = "Accepts the order with an expected delivery date; refused_skus continue down the cascade as a remainder order.",
    operation_id = "supplier_order_accept",
    params(("id" = i64, Path, description = "The order id")),
    request_body = AcceptJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order after the answer", body = super::openapi::SupplierOrder, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn accept(
    state: State,
    client: SupplierApi,
    id: web::Path<i64>,
    body: web::Json<AcceptJson>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    if body
        .supplier_reference
        .as_deref()
        .is_some_and(|r| r.chars().count() > 100)
    {
        return Err(ValidationErrors::single(
            "supplier_reference",
            "too-long",
            "at most 100 characters",
        )
        .into());
    }
    run_answer(&state, &client.0, id, move |conn, ctx, supplier, label| {
        if body.refused_skus.is_empty() {
            routing::accept(conn, ctx, id, supplier, body.expected_delivery, label)?;
        } else {
            routing::accept_partially(
                conn,
                ctx,
                id,
                supplier,
                body.expected_delivery,
                &body.refused_skus,
                label,
            )?;
        }
        if let Some(reference) = body
            .supplier_reference
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            set_supplier_reference(conn, id, supplier, reference)?;
        }
        Ok(())
    })
    .await
}

fn set_supplier_reference(
    conn: &mut Conn,
    order_id: i64,
    supplier: i64,
    reference: &str,
) -> Result<(), ServiceError> {
    use crate::db::schema::order_assignments;
    with_conn!(conn, |c| diesel::update(
        order_assignments::table
            .filter(order_assignments::order_id.eq(order_id))
            .filter(order_assignments::supplier_id.eq(supplier))
    )
    .set(order_assignments::supplier_reference.eq(Some(reference)))
    .execute(c))
    .map_err(DbError::from)?;
    Ok(())
}

/// Reason codes a supplier may give when declining.
pub const DECLINE_CODES: [&str; 5] = [
    "out_of_stock",
    "cannot_deliver_in_time",
    "cannot_deliver_to_address",
    "price_or_contract",
    "other",
];

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineJson {
    reason_code: String,
    #[serde(default)]
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/supplier/orders/{id}/decline",
    tag = "supplier",
    summary = "Decline an order",
    description = "Declines the order with a reason code; it goes to the next supplier of the cascade.",
    operation_id = "supplier_order_decline",
    params(("id" = i64, Path, description = "The order id")),
    request_body = DeclineJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order after the answer", body = super::openapi::SupplierOrder, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn decline(
    state: State,
    client: SupplierApi,
    id: web::Path<i64>,
    body: web::Json<DeclineJson>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    if !DECLINE_CODES.contains(&body.reason_code.as_str()) {
        return Err(ValidationErrors::single(
            "reason_code",
            "reason-code-unknown",
            format!("reason_code is one of {}", DECLINE_CODES.join(", ")),
        )
        .into());
    }
    let reason = if body.reason.trim().is_empty() {
        body.reason_code.replace('_', " ")
    } else {
        format!("{}: {}", body.reason_code, body.reason.trim())
    };
    run_answer(&state, &client.0, id, move |conn, ctx, supplier, label| {
        routing::decline(conn, ctx, id, supplier, &reason, label)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipJson {
    date: NaiveDate,
    #[serde(default)]
    carrier: Option<String>,
    #[serde(default)]
    tracking: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/supplier/orders/{id}/ship",
    tag = "supplier",
    summary = "Report shipment",
    description = "Reports that an accepted order was shipped.",
    operation_id = "supplier_order_ship",
    params(("id" = i64, Path, description = "The order id")),
    request_body = ShipJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order after the answer", body = super::openapi::SupplierOrder, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn ship(
    state: State,
    client: SupplierApi,
    id: web::Path<i64>,
    body: web::Json<ShipJson>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    run_answer(&state, &client.0, id, move |conn, ctx, supplier, label| {
        routing::ship(
            conn,
            ctx,
            id,
            supplier,
            body.date,
            body.carrier.as_deref(),
            body.tracking.as_deref(),
            label,
        )
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverJson {
    date: NaiveDate,
}

#[utoipa::path(
    post,
    path = "/api/v1/supplier/orders/{id}/deliver",
    tag = "supplier",
    summary = "Report delivery",
    description = "Reports that an order was delivered.",
    operation_id = "supplier_order_deliver",
    params(("id" = i64, Path, description = "The order id")),
    request_body = DeliverJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order after the answer", body = super::openapi::SupplierOrder, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn deliver(
    state: State,
    client: SupplierApi,
    id: web::Path<i64>,
    body: web::Json<DeliverJson>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let date = body.into_inner().date;
    run_answer(&state, &client.0, id, move |conn, ctx, supplier, label| {
        routing::deliver(conn, ctx, id, supplier, date, label)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancellationJson {
    accept: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/supplier/orders/{id}/cancellation",
    tag = "supplier",
    summary = "Answer a cancellation request",
    description = "Accepts or refuses the institution's request to cancel the order.",
    operation_id = "supplier_order_cancellation",
    params(("id" = i64, Path, description = "The order id")),
    request_body = CancellationJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order after the answer", body = super::openapi::SupplierOrder, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn cancellation(
    state: State,
    client: SupplierApi,
    id: web::Path<i64>,
    body: web::Json<CancellationJson>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let accepted = body.into_inner().accept;
    run_answer(&state, &client.0, id, move |conn, ctx, supplier, label| {
        routing::answer_cancellation(conn, ctx, id, supplier, accepted, label)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityItem {
    sku: String,
    available: bool,
    #[serde(default)]
    unavailable_until: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityJson {
    items: Vec<AvailabilityItem>,
}

pub const MAX_AVAILABILITY_ITEMS: usize = 2000;

/// `PUT /supplier/availability`: all the listed offers change, or none does. Routing and
/// the catalogue use the new availability at once.
#[utoipa::path(
    put,
    path = "/api/v1/supplier/availability",
    tag = "supplier",
    summary = "Availability of offers",
    description = "Changes the availability of the listed offers, all or none.",
    operation_id = "supplier_availability",
    request_body = AvailabilityJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many offers changed", body = super::openapi::AvailabilityUpdated, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn availability(
    state: State,
    client: SupplierApi,
    body: web::Json<AvailabilityJson>,
) -> Result<HttpResponse, ApiError> {
    let supplier = supplier_id(&client.0)?;
    let items = body.into_inner().items;
    if items.is_empty() || items.len() > MAX_AVAILABILITY_ITEMS {
        return Err(ApiError::BadRequest(format!(
            "send 1 to {MAX_AVAILABILITY_ITEMS} items"
        )));
    }
    let now = state.clock.now_naive();
    let today = state.clock.today();
    let actor = client.0.clone();
    let updated = state
        .pool
        .run(move |conn| {
            conn.transaction(|conn| {
                let mut errors = ValidationErrors::new();
                let mut targets = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    let sku = item.sku.trim().to_uppercase();
                    let offer: Option<i64> = with_conn!(conn, |c| supplier_offers::table
                        .inner_join(products::table)
                        .filter(products::sku.eq(&sku))
                        .filter(supplier_offers::supplier_id.eq(supplier))
                        .select(supplier_offers::id)
                        .first(c)
                        .optional())
                    .map_err(DbError::from)?;
                    match offer {
                        None => errors.add(
                            &format!("items[{index}].sku"),
                            "offer-unknown",
                            format!("you have no offer for {sku}"),
                        ),
                        Some(id) => {
                            if item.available && item.unavailable_until.is_some() {
                                errors.add(
                                    &format!("items[{index}].unavailable_until"),
                                    "availability-contradiction",
                                    "an available offer has no unavailable_until date",
                                );
                            } else if item.unavailable_until.is_some_and(|d| d <= today) {
                                errors.add(
                                    &format!("items[{index}].unavailable_until"),
                                    "date-in-past",
                                    "unavailable_until must be a future date",
                                );
                            } else {
                                targets.push((id, item.available, item.unavailable_until));
                            }
                        }
                    }
                }
                errors.into_result()?;
                for (id, available, until) in &targets {
                    with_conn!(conn, |c| diesel::update(supplier_offers::table.find(*id))
                        .set((
                            supplier_offers::available.eq(*available),
                            supplier_offers::unavailable_until.eq(*until),
                            supplier_offers::updated_at.eq(now),
                        ))
                        .execute(c))
                    .map_err(DbError::from)?;
                }
                let changed: Vec<_> = items
                    .iter()
                    .map(|item| {
                        json!({
                            "sku": item.sku.trim().to_uppercase(),
                            "available": item.available,
                            "unavailable_until": item.unavailable_until,
                        })
                    })
                    .collect();
                crate::audit::record(
                    conn,
                    now,
                    &actor,
                    "supplier.availability_changed",
                    "supplier",
                    Some(supplier),
                    json!({ "after": changed }),
                )?;
                Ok::<_, ServiceError>(targets.len())
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "updated": updated })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookJson {
    url: String,
}

/// `PUT /supplier/webhook`: registers the endpoint and returns the signing secret, once.
#[utoipa::path(
    put,
    path = "/api/v1/supplier/webhook",
    tag = "supplier",
    summary = "Register the webhook",
    description = "Registers the endpoint notified of new, withdrawn and cancellation-requested orders; returns the signing secret once.",
    operation_id = "supplier_webhook_register",
    request_body = WebhookJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The webhook and its secret", body = super::openapi::WebhookRegistered, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn register_webhook(
    state: State,
    client: SupplierApi,
    body: web::Json<WebhookJson>,
) -> Result<HttpResponse, ApiError> {
    let supplier = supplier_id(&client.0)?;
    let url = crate::webhooks::validate_url(&body.url, state.settings.is_development())?;
    let stored = url.clone();
    let now = state.clock.now_naive();
    let actor = client.0.clone();
    let secret = state
        .pool
        .run(move |conn| {
            conn.transaction(|conn| {
                let before = crate::webhooks::endpoint(conn, supplier)?;
                let secret = crate::webhooks::register(conn, supplier, &stored)?;
                // The signing secret stays out of the trail.
                crate::audit::record(
                    conn,
                    now,
                    &actor,
                    "supplier.webhook_registered",
                    "supplier",
                    Some(supplier),
                    json!({ "before": { "url": before }, "after": { "url": stored } }),
                )?;
                Ok::<_, DbError>(secret)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "url": url,
        "secret": secret,
        "signature_header": crate::webhooks::SIGNATURE_HEADER,
        "signature": "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>",
        "events": ["order.assigned", "order.withdrawn", "order.cancellation_requested"],
    })))
}

#[utoipa::path(
    delete,
    path = "/api/v1/supplier/webhook",
    tag = "supplier",
    summary = "Remove the webhook",
    description = "Stops notifications.",
    operation_id = "supplier_webhook_delete",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn delete_webhook(state: State, client: SupplierApi) -> Result<HttpResponse, ApiError> {
    let supplier = supplier_id(&client.0)?;
    let now = state.clock.now_naive();
    let actor = client.0.clone();
    state
        .pool
        .run(move |conn| {
            conn.transaction(|conn| {
                let before = crate::webhooks::endpoint(conn, supplier)?;
                crate::webhooks::unregister(conn, supplier)?;
                if before.is_some() {
                    crate::audit::record(
                        conn,
                        now,
                        &actor,
                        "supplier.webhook_removed",
                        "supplier",
                        Some(supplier),
                        json!({ "before": { "url": before }, "after": { "url": null } }),
                    )?;
                }
                Ok::<_, DbError>(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/supplier/webhook/deliveries",
    tag = "supplier",
    summary = "Webhook deliveries",
    description = "The latest deliveries to the calling supplier's webhook, newest first.",
    operation_id = "supplier_webhook_deliveries",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The deliveries", body = super::openapi::WebhookDeliveries, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn webhook_deliveries(
    state: State,
    client: SupplierApi,
) -> Result<HttpResponse, ApiError> {
    let supplier = supplier_id(&client.0)?;
    let items = state
        .pool
        .run(move |conn| crate::webhooks::deliveries(conn, Some(supplier), 100))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[cfg(test)]
mod tests {
    use super::still_held;

    #[test]
    fn nothing_held_back_means_no_wait() {
        assert_eq!(still_held(None, None), None);
    }

    #[test]
    fn the_first_look_waits_for_the_first_change_held_back() {
        assert_eq!(still_held(Some(40), None), Some(40));
    }

    #[test]
    fn a_later_look_keeps_waiting_while_that_change_is_still_held_back() {
        assert_eq!(still_held(Some(40), Some(40)), Some(40));
        // An earlier one held back too (committed meanwhile below it): still waiting.
        assert_eq!(still_held(Some(35), Some(40)), Some(40));
    }

    #[test]
    fn changes_held_back_after_the_awaited_one_are_not_waited_for() {
        assert_eq!(still_held(Some(41), Some(40)), None);
        assert_eq!(still_held(None, Some(40)), None);
    }
}
