//! Orders for institution API clients: `POST /api/v1/orders` (with `Idempotency-Key`),
//! `GET /api/v1/orders`, `GET /api/v1/orders/{id}`. A client sees only its institution's
//! orders; another institution's order is simply not found.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api::auth::InstitutionApi;
use crate::api::problem::ApiError;
use crate::domain::vat::VatRate;
use crate::error::ServiceError;
use crate::ordering::idempotency::{self, Replay};
use crate::ordering::view::{self, line_total, OrderView};
use crate::ordering::{placement, LineInput, PlaceOrder};
use crate::startup::State;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineJson {
    sku: String,
    quantity: i64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderJson {
    delivery_address_id: i64,
    #[serde(default)]
    buyer_reference: Option<String>,
    lines: Vec<LineJson>,
}

fn cents(c: crate::domain::Cents) -> Value {
    json!({ "cents": c.cents(), "amount": c.to_plain_string() })
}

/// The order as API clients see it.
pub fn order_json(order: &OrderView) -> Value {
    let o = &order.order;
    json!({
        "id": o.id,
        "reference": o.reference,
        "checkout_id": o.checkout_id,
        "status": o.status,
        "lot_reference": order.lot_reference,
        "institution_id": o.institution_id,
        "delivery_address_id": o.delivery_address_id,
        "buyer_reference": o.buyer_reference,
        "placed_at": o.placed_at.and_utc(),
        "delivery_due": o.delivery_due,
        "expected_delivery": o.expected_delivery,
        "current_supplier": o.current_supplier_id.map(|id| json!({
            "id": id, "name": order.current_supplier, "cascade_rank": o.current_rank,
            "response_deadline": o.response_deadline.map(|d| d.and_utc()),
        })),
        "supplier": o.confirmed_supplier_id.map(|id| json!({
            "id": id, "name": order.confirmed_supplier, "cascade_rank": o.confirmed_rank,
        })),
        "confirmed_at": o.confirmed_at.map(|d| d.and_utc()),
        "breach": o.breach_at.is_some(),
        "lines": order.lines.iter().map(|l| json!({
            "sku": l.sku,
            "name": { "fr": l.name_fr, "nl": l.name_nl },
            "quantity": l.quantity,
            "unit_code": l.unit_code,
            "unit_price": cents(crate::domain::Cents::new(l.unit_price_cents)),
            "vat_rate_percent": VatRate::from_basis_points(l.vat_rate_basis_points.max(0) as u32).map(|r| r.as_percent().to_string()).unwrap_or_default(),
            "line_total": cents(line_total(l)),
        })).collect::<Vec<_>>(),
        "totals": {
            "net": cents(order.totals.net),
            "vat": order.totals.vat.iter().map(|v| json!({
                "rate_percent": v.rate.as_percent().to_string(),
                "taxable": cents(v.taxable),
                "vat": cents(v.vat),
            })).collect::<Vec<_>>(),
            "vat_total": cents(order.totals.vat_total),
            "gross": cents(order.totals.gross),
            "currency": "EUR",
        },
        "net_when_placed": cents(order.displayed_net),
        "events": order.events.iter().map(|e| json!({
            "at": e.occurred_at.and_utc(),
            "kind": e.kind,
            "from": e.from_status,
            "to": e.to_status,
            "supplier_id": e.supplier_id,
            "cascade_rank": e.rank,
            "reason": e.reason,
        })).collect::<Vec<_>>(),
    })
}

#[derive(Serialize)]
struct Created {
    checkout_id: String,
    orders: Vec<Value>,
}

/// Places orders; with an `Idempotency-Key`, a retry returns the first answer unchanged.
#[utoipa::path(
    post,
    path = "/api/v1/orders",
    tag = "orders",
    summary = "Place orders",
    description = "Places the lines as one order per lot (institution clients). With an Idempotency-Key header a retry returns the first answer unchanged (Idempotent-Replayed: true).",
    operation_id = "orders_create",
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters")),
    request_body = NewOrderJson,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The orders placed", body = super::openapi::OrdersCreated, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn create(
    state: State,
    request: HttpRequest,
    client: InstitutionApi,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let principal = client.0;
    let parsed: NewOrderJson = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))?;
    let key = match request.headers().get("Idempotency-Key") {
        Some(value) => {
            let key = value.to_str().unwrap_or("").trim().to_owned();
            if !idempotency::valid_key(&key) {
                return Err(ApiError::BadRequest(format!(
                    "Idempotency-Key must be 1 to {} visible ASCII characters",
                    idempotency::MAX_KEY_LEN
                )));
            }
            Some(key)
        }
        None => None,
    };
    let owner = format!(
        "client:{}",
        principal
            .api_client_id
            .map(|id| id.to_string())
            .unwrap_or_else(|| principal.label.clone())
    );
    let hash = idempotency::request_hash(&body);
    let institution_id = principal
        .institution_id
        .ok_or_else(|| ApiError::Forbidden("no institution".into()))?;
    let input = PlaceOrder {
        institution_id,
        delivery_address_id: parsed.delivery_address_id,
        buyer_reference: parsed.buyer_reference,
        lines: parsed
            .lines
            .into_iter()
            .map(|l| LineInput {
                sku: l.sku,
                quantity: l.quantity,
            })
            .collect(),
    };
    let now = state.clock.now();
    let request = NewOrders {
        principal,
        owner,
        key,
        hash,
        input,
    };
    let (status, body, replayed) = match place(&state, &request, now).await {
        // Two requests with the same key raced; the loser's orders were rolled back with its
        // writes, and it answers with the winner's response.
        Err(ServiceError::Db(db)) if db.is_unique_violation() => {
            place(&state, &request, now).await?
        }
        other => other?,
    };
    let mut response =
        HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED));
    response.content_type("application/json");
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.body(body))
}

/// A checkout request, with the idempotency record it answers to.
#[derive(Clone)]
struct NewOrders {
    principal: crate::auth::Principal,
    owner: String,
    key: Option<String>,
    hash: String,
    input: PlaceOrder,
}

/// The saved answer to a repeated key, or the orders placed now: `(status, body, replayed)`.
async fn place(
    state: &State,
    request: &NewOrders,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(u16, String, bool), ServiceError> {
    // Everything that only reads happens before the writing transaction.
    let (reading, read) = (state.clone(), request.clone());
    let prepare = move |conn: &mut crate::db::Conn| {
        if let Some(key) = &read.key {
            match idempotency::lookup(conn, &read.owner, key, &read.hash)? {
                Replay::Same { status, body } => return Ok(Err((status, body, true))),
                Replay::Mismatch => {
                    return Err(ServiceError::Conflict {
                        code: "idempotency-key-reused",
                        message: "this Idempotency-Key was already used with a different request"
                            .into(),
                    })
                }
                Replay::New => {}
            }
        }
        let ctx = reading.ordering_at(now);
        placement::prepare(conn, &ctx, &read.principal, &read.input).map(Ok)
    };
    let (writing, write) = (state.clone(), request.clone());
    let record = move |conn: &mut crate::db::Conn, checkout| {
        let ctx = writing.ordering_at(now);
        placement::record(conn, &ctx, &write.principal, &checkout, |conn, placed| {
            let orders: Vec<Value> = placed.iter().map(order_json).collect();
            let checkout_id = orders
                .first()
                .and_then(|o| o["checkout_id"].as_str())
                .unwrap_or_default()
                .to_owned();
            let body = serde_json::to_string(&Created {
                checkout_id,
                orders,
            })
            .map_err(|e| ServiceError::Other(e.into()))?;
            if let Some(key) = &write.key {
                crate::db::orders::save_response(
                    conn,
                    &write.owner,
                    key,
                    &write.hash,
                    201,
                    &body,
                    ctx.now.naive_utc(),
                )?;
            }
            Ok((201, body, false))
        })
    };
    // Orders placed together share a commit: one disk flush for all of them.
    state.group_commit.read_then_write(prepare, record).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    limit: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/orders",
    tag = "orders",
    summary = "Orders of the institution",
    description = "The latest orders of the calling institution.",
    operation_id = "orders_list",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The orders", body = super::openapi::OrderListing, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn list(
    state: State,
    client: InstitutionApi,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 500".into(),
        ));
    }
    let institution_id = client.0.institution_id.unwrap_or_default();
    let items = state
        .pool
        .run(move |conn| view::list_for_institution(conn, institution_id, limit))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items, "total": items.len() })))
}

#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    tag = "orders",
    summary = "One order",
    description = "An order of the calling institution.",
    operation_id = "orders_show",
    params(("id" = i64, Path, description = "The order id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order", body = super::openapi::Order, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn show(
    state: State,
    client: InstitutionApi,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let order = state.pool.run(move |conn| view::load(conn, id)).await?;
    match order {
        Some(order) if Some(order.order.institution_id) == client.0.institution_id => {
            Ok(HttpResponse::Ok().json(order_json(&order)))
        }
        _ => Err(ApiError::NotFound("no such order".into())),
    }
}
