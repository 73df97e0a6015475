//! Ordering: checkout (one order per lot, in one transaction), the routing of each order down
//! its lot's cascade, supplier answers, the background sweeps (deadlines, the 24-hour rule),
//! cancellation, and the views institutions see.

pub mod cart;
pub mod documents;
pub mod idempotency;
pub mod notify;
pub mod routing;
pub mod view;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use rand::RngCore;
use serde_json::json;

use crate::auth::Principal;
use crate::catalogue::{self, CatalogueFilter, Orderability, ProductView};
use crate::config::Settings;
use crate::db::orders::{self as q, NewOrder, NewOrderEvent, NewOrderLine};
use crate::db::parties;
use crate::db::schema::orders;
use crate::db::Conn;
use crate::domain::order_state::OrderStatus;
use crate::domain::working_days::BelgianCalendar;
use crate::domain::QuantityRule;
use crate::error::ServiceError;
use crate::mail::MailTemplates;
use crate::validation::ValidationErrors;
use crate::with_conn;

pub const MAX_LINES: usize = 200;
pub const MAX_BUYER_REFERENCE: usize = 100;

/// What ordering operations need besides the connection.
pub struct OrderingContext<'a> {
    pub now: DateTime<Utc>,
    pub mail: &'a MailTemplates,
    pub settings: &'a Settings,
    pub calendar: &'a BelgianCalendar,
}

impl OrderingContext<'_> {
    pub fn today(&self) -> NaiveDate {
        crate::clock::brussels_date(self.now)
    }

    pub fn window(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.settings.ordering.supplier_response_minutes)
    }

    pub fn confirmation_limit(&self) -> chrono::Duration {
        chrono::Duration::hours(self.settings.ordering.confirmation_deadline_hours)
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.settings.server.base_url.trim_end_matches('/')
        )
    }
}

#[derive(Debug, Clone)]
pub struct LineInput {
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, Clone)]
pub struct PlaceOrder {
    pub institution_id: i64,
    pub delivery_address_id: i64,
    pub buyer_reference: Option<String>,
    pub lines: Vec<LineInput>,
}

fn conflict(code: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Conflict {
        code,
        message: message.into(),
    }
}

pub fn new_checkout_id() -> String {
    let mut bytes = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Records a checkout: the lines grouped into one order per lot, all in one transaction,
/// each order offered at once to the first available supplier of its cascade. Returns the
/// new order ids in lot order.
pub fn place(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    actor: &Principal,
    input: &PlaceOrder,
) -> Result<Vec<i64>, ServiceError> {
    let mut errors = ValidationErrors::new();
    let institution = parties::institution(conn, input.institution_id)?
        .ok_or(ServiceError::NotFound("institution"))?;
    if institution.status != "active" {
        return Err(conflict(
            "institution-not-active",
            "the institution's membership is not active",
        ));
    }
    let address = parties::delivery_addresses_of(conn, institution.id)?
        .into_iter()
        .find(|a| a.id == input.delivery_address_id && a.active);
    if address.is_none() {
        errors.add(
            "delivery_address",
            "delivery-address-unknown",
            "choose one of the institution's delivery addresses",
        );
    }
    let buyer_reference = input
        .buyer_reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if let Some(reference) = &buyer_reference {
        if reference.chars().count() > MAX_BUYER_REFERENCE
            || reference.chars().any(char::is_control)
        {
            errors.add(
                "buyer_reference",
                "buyer-reference-invalid",
                format!("at most {MAX_BUYER_REFERENCE} characters, on one line"),
            );
        }
    }
    if input.lines.is_empty() {
        errors.add(
            "lines",
            "order-empty",
            "an order needs at least one product",
        );
    }
    if input.lines.len() > MAX_LINES {
        errors.add(
            "lines",
            "order-too-many-lines",
            format!("at most {MAX_LINES} lines per order"),
        );
    }
    let today = ctx.today();
    let catalogue = catalogue::load(conn, today, &CatalogueFilter::default())?;
    let mut by_sku: BTreeMap<&str, (&ProductView, Orderability)> = BTreeMap::new();
    for lot in &catalogue.lots {
        for product in &lot.products {
            by_sku.insert(product.sku.as_str(), (product, lot.orderability));
        }
    }
    let mut chosen: Vec<(&ProductView, u32)> = Vec::new();
    for (index, line) in input.lines.iter().enumerate() {
        let sku = line.sku.trim().to_uppercase();
        let field = |part: &str| format!("lines[{index}].{part}");
        let Some((product, orderability)) = by_sku.get(sku.as_str()) else {
            // A product of a lot closed meanwhile is no longer in the published catalogue;
            // say so rather than calling it unknown.
            if lot_closed_for(conn, &sku)? {
                errors.add(
                    &field("sku"),
                    "lot-closed",
                    format!("the contract of {sku} is closed and takes no more orders"),
                );
                continue;
            }
            errors.add(
                &field("sku"),
                "product-unknown",
                format!("no product {sku} in the published catalogue"),
            );
            continue;
        };
        if *orderability != Orderability::Open {
            let (code, why) = match orderability {
                Orderability::NotYetValid => ("lot-not-yet-valid", "is not in force yet"),
                Orderability::Expired => ("lot-expired", "has expired"),
                _ => ("lot-closed", "is closed"),
            };
            errors.add(
                &field("sku"),
                code,
                format!("the contract of {sku} {why} and takes no orders"),
            );
            continue;
        }
        if chosen.iter().any(|(p, _)| p.id == product.id) {
            errors.add(
                &field("sku"),
                "product-repeated",
                format!("{sku} appears twice: give one line with the total quantity"),
            );
            continue;
        }
        if product.offer.is_none() || product.vat_rate.is_none() {
            errors.add(
                &field("sku"),
                "product-unavailable",
                format!("{sku} is currently unavailable from every supplier of its contract"),
            );
            continue;
        }
        let rule = QuantityRule::new(product.min_quantity, product.order_multiple)
            .unwrap_or(QuantityRule::ANY);
        let quantity = match u32::try_from(line.quantity) {
            Ok(q) => q,
            Err(_) => {
                errors.add(
                    &field("quantity"),
                    "quantity-zero",
                    "the quantity must be a positive whole number",
                );
                continue;
            }
        };
        if let Err(error) = rule.check(quantity) {
            errors.add(
                &field("quantity"),
                error.message_key(),
                format!("{sku}: {error}"),
            );
            continue;
        }
        chosen.push((product, quantity));
    }
    errors.into_result()?;
    let address = address.ok_or(ServiceError::NotFound("delivery address"))?;

    let mut by_lot: BTreeMap<i64, Vec<(&ProductView, u32)>> = BTreeMap::new();
    for (product, quantity) in chosen {
        by_lot
            .entry(product.lot_id)
            .or_default()
            .push((product, quantity));
    }
    let checkout_id = new_checkout_id();
    let now = ctx.now.naive_utc();
    let delivery_due = ctx
        .calendar
        .add_working_days(today, ctx.settings.ordering.delivery_working_days);
    conn.transaction(|conn| {
        let mut ids = Vec::new();
        for (lot_id, lines) in &by_lot {
            let displayed_net: i64 = lines
                .iter()
                .map(|(p, q)| {
                    p.offer.as_ref().map(|o| o.unit_price.cents()).unwrap_or(0) * i64::from(*q)
                })
                .sum();
            let placeholder = format!("PENDING-{checkout_id}-{lot_id}");
            let id = q::insert_order(
                conn,
                &NewOrder {
                    reference: &placeholder,
                    checkout_id: &checkout_id,
                    institution_id: institution.id,
                    lot_id: *lot_id,
                    placed_by_user_id: actor.user_id,
                    placed_by_client_id: actor.api_client_id,
                    delivery_address_id: address.id,
                    buyer_reference: buyer_reference.as_deref(),
                    language: &institution.language,
                    status: OrderStatus::Placed.code(),
                    delivery_due,
                    displayed_net_cents: displayed_net,
                    placed_at: now,
                    updated_at: now,
                },
            )?;
            let reference = format!("CMD-{id:06}");
            with_conn!(conn, |c| diesel::update(orders::table.find(id))
                .set(orders::reference.eq(&reference))
                .execute(c))
            .map_err(crate::db::DbError::from)?;
            for (product, quantity) in lines {
                let price = product
                    .offer
                    .as_ref()
                    .map(|o| o.unit_price.cents())
                    .unwrap_or(0);
                q::insert_line(
                    conn,
                    &NewOrderLine {
                        order_id: id,
                        product_id: product.id,
                        sku: &product.sku,
                        name_fr: &product.name.fr,
                        name_nl: &product.name.nl,
                        unit_code: &product.unit_code,
                        quantity: *quantity as i32,
                        vat_rate_basis_points: product
                            .vat_rate
                            .map(|r| r.basis_points() as i32)
                            .unwrap_or(0),
                        unit_price_cents: price,
                        displayed_unit_price_cents: price,
                    },
                )?;
            }
            q::insert_event(
                conn,
                &NewOrderEvent {
                    order_id: id,
                    occurred_at: now,
                    kind: "placed",
                    from_status: None,
                    to_status: OrderStatus::Placed.code(),
                    supplier_id: None,
                    rank: None,
                    actor_label: &actor.label,
                    reason: None,
                    details: &json!({ "lines": lines.len(), "displayed_net_cents": displayed_net })
                        .to_string(),
                },
            )?;
            notify::order_received(conn, ctx, id)?;
            routing::advance(conn, ctx, id, &actor.label)?;
            ids.push(id);
        }
        Ok(ids)
    })
}

/// Cancels an order: before confirmation at once (the supplier holding it is withdrawn);
/// after confirmation as a request the supplier answers.
pub fn cancel(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    actor: &Principal,
    order_id: i64,
) -> Result<OrderStatus, ServiceError> {
    conn.transaction(|conn| {
        let order = q::order(conn, order_id)?.ok_or(ServiceError::NotFound("order"))?;
        if actor
            .institution()
            .is_some_and(|i| i != order.institution_id)
        {
            return Err(ServiceError::NotFound("order"));
        }
        let status =
            OrderStatus::parse(&order.status).ok_or(ServiceError::NotFound("order status"))?;
        let now = ctx.now.naive_utc();
        let (next, kind, event) = match status {
            OrderStatus::Placed | OrderStatus::Routed => (
                OrderStatus::Cancelled,
                "cancelled",
                crate::domain::order_state::OrderEvent::Cancel,
            ),
            OrderStatus::Confirmed => (
                OrderStatus::CancellationRequested,
                "cancellation_requested",
                crate::domain::order_state::OrderEvent::RequestCancellation,
            ),
            _ => {
                return Err(conflict(
                    "order-not-cancellable",
                    format!(
                        "an order that is {} can no longer be cancelled",
                        status.code()
                    ),
                ))
            }
        };
        crate::domain::order_state::transition(status, &event)
            .map_err(|e| conflict("order-not-cancellable", e.to_string()))?;
        if let Some(supplier) = order.current_supplier_id {
            let withdrawn = q::close_assignment(
                conn,
                order.id,
                supplier,
                "withdrawn",
                now,
                Some("cancelled by the institution"),
            )?;
            if !withdrawn {
                // The order moved to another supplier meanwhile: look again, then cancel.
                return Err(conflict(
                    "order-changed",
                    "the order changed meanwhile; look at it again",
                ));
            }
            crate::webhooks::enqueue(
                conn,
                now,
                supplier,
                "order.withdrawn",
                Some(order.id),
                json!({ "order_id": order.id, "reference": order.reference, "reason": "cancelled" }),
            )?;
        }
        if let Some(supplier) = order.confirmed_supplier_id {
            // The supplier that accepted sees the cancellation request in its feed.
            q::touch_assignment(conn, order.id, supplier)?;
            crate::webhooks::enqueue(
                conn,
                now,
                supplier,
                "order.cancellation_requested",
                Some(order.id),
                json!({ "order_id": order.id, "reference": order.reference }),
            )?;
        }
        let updated = with_conn!(conn, |c| diesel::update(
            orders::table
                .filter(orders::id.eq(order.id))
                .filter(orders::status.eq(&order.status))
        )
        .set((
            orders::status.eq(next.code()),
            orders::current_supplier_id.eq(None::<i64>),
            orders::current_rank.eq(None::<i32>),
            orders::response_deadline.eq(None::<chrono::NaiveDateTime>),
            orders::updated_at.eq(now),
        ))
        .execute(c))
        .map_err(crate::db::DbError::from)?;
        if updated != 1 {
            return Err(conflict(
                "order-changed",
                "the order changed meanwhile; look at it again",
            ));
        }
        q::insert_event(
            conn,
            &NewOrderEvent {
                order_id: order.id,
                occurred_at: now,
                kind,
                from_status: Some(&order.status),
                to_status: next.code(),
                supplier_id: order.current_supplier_id.or(order.confirmed_supplier_id),
                rank: order.current_rank.or(order.confirmed_rank),
                actor_label: &actor.label,
                reason: None,
                details: "{}",
            },
        )?;
        notify::order_cancelled(
            conn,
            ctx,
            order.id,
            next == OrderStatus::CancellationRequested,
        )?;
        Ok(next)
    })
}

/// Whether `sku` is a product of a lot that is no longer published (closed, or back to draft).
fn lot_closed_for(conn: &mut Conn, sku: &str) -> Result<bool, crate::db::DbError> {
    let Some(product) = crate::db::catalogue::product_by_sku(conn, sku)? else {
        return Ok(false);
    };
    Ok(crate::db::catalogue::lot_by_id(conn, product.lot_id)?
        .is_some_and(|lot| lot.status != "published"))
}
