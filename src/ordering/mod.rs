//! Ordering: checkout (one order per lot, in one transaction), the routing of each order down
//! its lot's cascade, supplier answers, the background sweeps (deadlines, the 24-hour rule),
//! cancellation, and the views institutions see.

pub mod cart;
pub mod documents;
pub mod idempotency;
pub mod notify;
pub mod placement;
pub mod routing;
pub mod sweeps;
pub mod view;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use rand::RngCore;
use serde_json::json;

use crate::auth::Principal;
use crate::catalogue::cache::CatalogueCache;
use crate::config::Settings;
use crate::db::orders::{self as q, NewOrderEvent};
use crate::db::schema::orders;
use crate::db::Conn;
use crate::domain::order_state::OrderStatus;
use crate::domain::working_days::BelgianCalendar;
use crate::error::ServiceError;
use crate::mail::MailTemplates;
use crate::with_conn;

pub const MAX_LINES: usize = 200;
pub const MAX_BUYER_REFERENCE: usize = 100;

/// What ordering operations need besides the connection.
pub struct OrderingContext<'a> {
    pub now: DateTime<Utc>,
    pub mail: &'a MailTemplates,
    pub settings: &'a Settings,
    pub calendar: &'a BelgianCalendar,
    /// The published catalogue in memory, which checkouts route from while it is current.
    pub catalogue: &'a CatalogueCache,
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
    let checkout = placement::prepare(conn, ctx, actor, input)?;
    conn.transaction(|conn| {
        placement::record(conn, ctx, actor, &checkout, |_, views| {
            Ok(views.iter().map(|v| v.order.id).collect())
        })
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
