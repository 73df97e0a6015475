//! The routing engine's persistence: reads what the pure decision needs, applies the
//! decision, and records every step as an order event. Each step runs inside the caller's
//! transaction and re-checks the order's state with a conditional update, so two workers
//! (or a worker and a late supplier answer) can never both move the same order.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::{conflict, notify, OrderingContext};
use crate::catalogue::offer_available;
use crate::db::catalogue::{self as cq, CascadeEntryRow};
use crate::db::orders::{self as q, NewAssignment, NewOrderEvent, OrderRow};
use crate::db::schema::{order_lines, orders, supplier_offers, suppliers};
use crate::db::{Conn, DbError};
use crate::domain::order_state::{transition, OrderEvent, OrderStatus};
use crate::domain::routing::{
    next_candidate, Candidate, Decision, Outcome, PastAttempt, SkipReason,
};
use crate::domain::{Rank, SupplierId};
use crate::error::ServiceError;
use crate::validation::ValidationErrors;
use crate::with_conn;

pub(super) fn skipped_json(skipped: &[(SupplierId, Rank, SkipReason)]) -> serde_json::Value {
    json!(skipped
        .iter()
        .map(|(s, r, why)| json!({ "supplier_id": s.0, "rank": r.get(), "reason": why.code() }))
        .collect::<Vec<_>>())
}

fn status_of(order: &OrderRow) -> Result<OrderStatus, ServiceError> {
    OrderStatus::parse(&order.status).ok_or(ServiceError::NotFound("order status"))
}

/// The cascade of the order's lot, seen from this order: who could take it now.
fn candidates(
    conn: &mut Conn,
    order: &OrderRow,
    today: NaiveDate,
) -> Result<Vec<Candidate>, DbError> {
    let entries = cq::cascade_of(conn, order.lot_id)?;
    let product_ids: Vec<i64> = with_conn!(conn, |c| order_lines::table
        .filter(order_lines::order_id.eq(order.id))
        .select(order_lines::product_id)
        .load(c))?;
    let supplier_ids: Vec<i64> = entries.iter().map(|e| e.supplier_id).collect();
    let statuses: HashMap<i64, String> = with_conn!(conn, |c| suppliers::table
        .filter(suppliers::id.eq_any(&supplier_ids))
        .select((suppliers::id, suppliers::status))
        .load::<(i64, String)>(c))?
    .into_iter()
    .collect();
    let offers: HashMap<(i64, i64), (bool, Option<NaiveDate>)> =
        with_conn!(conn, |c| supplier_offers::table
            .filter(supplier_offers::product_id.eq_any(&product_ids))
            .select((
                supplier_offers::product_id,
                supplier_offers::supplier_id,
                supplier_offers::available,
                supplier_offers::unavailable_until,
            ))
            .load::<(i64, i64, bool, Option<NaiveDate>)>(c))?
        .into_iter()
        .map(|(product, supplier, available, until)| ((product, supplier), (available, until)))
        .collect();
    Ok(cascade_candidates(
        &entries,
        &product_ids,
        today,
        |supplier| statuses.get(&supplier).is_some_and(|s| s == "active"),
        |product, supplier| offers.get(&(product, supplier)).copied(),
    ))
}

/// Each entry of a lot's cascade as a candidate for an order of `product_ids`: whether its
/// supplier is active (`supplier_active`) and offers every product, available `today`
/// (`offer` gives an offer's availability flag and the date it is unavailable until).
pub fn cascade_candidates(
    entries: &[CascadeEntryRow],
    product_ids: &[i64],
    today: NaiveDate,
    supplier_active: impl Fn(i64) -> bool,
    offer: impl Fn(i64, i64) -> Option<(bool, Option<NaiveDate>)>,
) -> Vec<Candidate> {
    entries
        .iter()
        .filter_map(|entry| {
            let rank = Rank::new(entry.rank as u8).ok()?;
            let supplier = entry.supplier_id;
            let offers_every_line = product_ids.iter().all(|p| offer(*p, supplier).is_some());
            let every_line_available = product_ids.iter().all(|p| {
                offer(*p, supplier)
                    .is_some_and(|(available, until)| offer_available(available, until, today))
            });
            Some(Candidate {
                rank,
                supplier: SupplierId(supplier),
                cascade_entry_active: entry.active,
                supplier_active: supplier_active(supplier),
                offers_every_line,
                every_line_available,
            })
        })
        .collect()
}

/// The suppliers that had the order and let it go, from its assignments.
pub fn attempts_from(assignments: &[q::AssignmentRow]) -> Vec<PastAttempt> {
    assignments
        .iter()
        .filter_map(|a| {
            let outcome = match a.outcome.as_deref()? {
                "declined" => Outcome::Declined,
                "timed_out" => Outcome::TimedOut,
                // A withdrawn offer (cancellation) never comes back to life.
                "withdrawn" | "accepted" => Outcome::Declined,
                _ => return None,
            };
            Some(PastAttempt {
                supplier: SupplierId(a.supplier_id),
                outcome,
            })
        })
        .collect()
}

fn past_attempts(conn: &mut Conn, order_id: i64) -> Result<Vec<PastAttempt>, DbError> {
    Ok(attempts_from(&q::assignments_of(conn, order_id)?))
}

/// Moves the supplier's prices onto the order lines, so what the institution sees is always
/// the price of the supplier currently asked.
fn reprice(conn: &mut Conn, order_id: i64, supplier_id: i64) -> Result<(), DbError> {
    let lines = q::lines_of(conn, order_id)?;
    for line in lines {
        let price: Option<i64> = with_conn!(conn, |c| supplier_offers::table
            .filter(supplier_offers::product_id.eq(line.product_id))
            .filter(supplier_offers::supplier_id.eq(supplier_id))
            .select(supplier_offers::price_cents)
            .first(c)
            .optional())?;
        if let Some(price) = price {
            with_conn!(conn, |c| diesel::update(order_lines::table.find(line.id))
                .set(order_lines::unit_price_cents.eq(price))
                .execute(c))?;
        }
    }
    Ok(())
}

/// Offers a placed order to the next candidate of its cascade, or declares it unfulfilled
/// when none is left (the institution and the authority are emailed at once).
pub fn advance(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
    actor_label: &str,
) -> Result<OrderStatus, ServiceError> {
    let order = q::order(conn, order_id)?.ok_or(ServiceError::NotFound("order"))?;
    let status = status_of(&order)?;
    if status != OrderStatus::Placed {
        return Ok(status);
    }
    let now = ctx.now.naive_utc();
    let cascade = candidates(conn, &order, ctx.today())?;
    let attempts = past_attempts(conn, order.id)?;
    match next_candidate(&cascade, &attempts) {
        Decision::Offer {
            supplier,
            rank,
            skipped,
        } => {
            let next = transition(status, &OrderEvent::Route { supplier, rank })
                .map_err(|e| conflict("order-illegal-transition", e.to_string()))?;
            let deadline =
                crate::domain::routing::response_deadline(ctx.now, ctx.window()).naive_utc();
            let feed_seq = q::next_feed_seq(conn)?;
            q::insert_assignment(
                conn,
                &NewAssignment {
                    order_id: order.id,
                    supplier_id: supplier.0,
                    rank: i32::from(rank.get()),
                    offered_at: now,
                    deadline,
                    feed_seq,
                },
            )?;
            let moved = with_conn!(conn, |c| diesel::update(
                orders::table
                    .filter(orders::id.eq(order.id))
                    .filter(orders::status.eq(status.code()))
            )
            .set((
                orders::status.eq(next.code()),
                orders::current_supplier_id.eq(Some(supplier.0)),
                orders::current_rank.eq(Some(i32::from(rank.get()))),
                orders::response_deadline.eq(Some(deadline)),
                orders::updated_at.eq(now),
            ))
            .execute(c))
            .map_err(DbError::from)?;
            if moved != 1 {
                return Err(conflict("order-changed", "the order changed meanwhile"));
            }
            reprice(conn, order.id, supplier.0)?;
            crate::webhooks::enqueue(
                conn,
                now,
                supplier.0,
                "order.assigned",
                Some(order.id),
                json!({
                    "order_id": order.id,
                    "reference": order.reference,
                    "cascade_rank": rank.get(),
                    "response_deadline": deadline.and_utc(),
                }),
            )?;
            q::insert_event(
                conn,
                &NewOrderEvent {
                    order_id: order.id,
                    occurred_at: now,
                    kind: "offered",
                    from_status: Some(status.code()),
                    to_status: next.code(),
                    supplier_id: Some(supplier.0),
                    rank: Some(i32::from(rank.get())),
                    actor_label,
                    reason: None,
                    details: &json!({ "deadline": deadline, "skipped": skipped_json(&skipped) })
                        .to_string(),
                },
            )?;
            Ok(next)
        }
        Decision::Unfulfilled { skipped } => {
            let next = transition(status, &OrderEvent::Exhaust)
                .map_err(|e| conflict("order-illegal-transition", e.to_string()))?;
            let moved = with_conn!(conn, |c| diesel::update(
                orders::table
                    .filter(orders::id.eq(order.id))
                    .filter(orders::status.eq(status.code()))
            )
            .set((
                orders::status.eq(next.code()),
                orders::updated_at.eq(now),
                orders::notified_at.eq(Some(now))
            ))
            .execute(c))
            .map_err(DbError::from)?;
            if moved != 1 {
                return Err(conflict("order-changed", "the order changed meanwhile"));
            }
            q::insert_event(
                conn,
                &NewOrderEvent {
                    order_id: order.id,
                    occurred_at: now,
                    kind: "unfulfilled",
                    from_status: Some(status.code()),
                    to_status: next.code(),
                    supplier_id: None,
                    rank: None,
                    actor_label,
                    reason: Some("no supplier of the cascade can take the order"),
                    details: &json!({ "skipped": skipped_json(&skipped) }).to_string(),
                },
            )?;
            notify::order_unfulfilled(conn, ctx, order.id)?;
            Ok(next)
        }
    }
}

/// The order as the supplier answering must find it: routed to it, deadline not passed.
fn held_by(order: &OrderRow, supplier_id: i64, now: NaiveDateTime) -> Result<(), ServiceError> {
    if order.status != OrderStatus::Routed.code() || order.current_supplier_id != Some(supplier_id)
    {
        return Err(conflict(
            "order-not-yours",
            "this order is not (or no longer) waiting for your answer",
        ));
    }
    if order
        .response_deadline
        .is_some_and(|deadline| now >= deadline)
    {
        return Err(conflict(
            "deadline-passed",
            "your response deadline for this order has passed; it has moved or will move to the next supplier",
        ));
    }
    Ok(())
}

/// The supplier accepts, with the delivery date it promises (no later than the order's
/// 7-working-day due date). The order is confirmed at its prices and the institution emailed.
pub fn accept(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
    supplier_id: i64,
    expected_delivery: NaiveDate,
    actor_label: &str,
) -> Result<(), ServiceError> {
    conn.transaction(|conn| {
        let now = ctx.now.naive_utc();
        let order = q::order(conn, order_id)?.ok_or(ServiceError::NotFound("order"))?;
        if order.confirmed_supplier_id == Some(supplier_id) && order.expected_delivery == Some(expected_delivery) {
            // The same answer again (a retry after a lost response): nothing more to do.
            return Ok(());
        }
        held_by(&order, supplier_id, now)?;
        if expected_delivery > order.delivery_due || expected_delivery < ctx.today() {
            return Err(ServiceError::Invalid(ValidationErrors::single(
                "expected_delivery",
                "delivery-date-out-of-range",
                format!(
                    "the delivery date must be between today and {} (7 working days after the order)",
                    order.delivery_due
                ),
            )));
        }
        let next = transition(OrderStatus::Routed, &OrderEvent::Accept)
            .map_err(|e| conflict("order-illegal-transition", e.to_string()))?;
        if !q::close_assignment(conn, order.id, supplier_id, "accepted", now, None)? {
            return Err(conflict("order-not-yours", "this order is no longer waiting for your answer"));
        }
        let moved = with_conn!(conn, |c| diesel::update(
            orders::table
                .filter(orders::id.eq(order.id))
                .filter(orders::status.eq("routed"))
                .filter(orders::current_supplier_id.eq(supplier_id))
        )
        .set((
            orders::status.eq(next.code()),
            orders::confirmed_supplier_id.eq(Some(supplier_id)),
            orders::confirmed_rank.eq(order.current_rank),
            orders::confirmed_at.eq(Some(now)),
            orders::expected_delivery.eq(Some(expected_delivery)),
            orders::current_supplier_id.eq(None::<i64>),
            orders::current_rank.eq(None::<i32>),
            orders::response_deadline.eq(None::<NaiveDateTime>),
            orders::notified_at.eq(Some(now)),
            orders::updated_at.eq(now),
        ))
        .execute(c))
        .map_err(DbError::from)?;
        if moved != 1 {
            return Err(conflict("order-not-yours", "this order is no longer waiting for your answer"));
        }
        q::insert_event(
            conn,
            &NewOrderEvent {
                order_id: order.id,
                occurred_at: now,
                kind: "accepted",
                from_status: Some("routed"),
                to_status: next.code(),
                supplier_id: Some(supplier_id),
                rank: order.current_rank,
                actor_label,
                reason: None,
                details: &json!({ "expected_delivery": expected_delivery }).to_string(),
            },
        )?;
        notify::order_confirmed(conn, ctx, order.id)?;
        Ok(())
    })
}

/// The supplier declines with a reason; the order moves on to the next candidate.
pub fn decline(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
    supplier_id: i64,
    reason: &str,
    actor_label: &str,
) -> Result<OrderStatus, ServiceError> {
    let mut errors = ValidationErrors::new();
    let reason = errors.require_text("reason", reason, 1000);
    errors.into_result()?;
    let reason = reason.unwrap_or_default();
    conn.transaction(|conn| {
        let now = ctx.now.naive_utc();
        let order = q::order(conn, order_id)?.ok_or(ServiceError::NotFound("order"))?;
        let already = q::assignment(conn, order.id, supplier_id)?;
        if already.is_some_and(|a| a.outcome.as_deref() == Some("declined")) {
            // The same answer again: the order has moved on already.
            return status_of(&order);
        }
        held_by(&order, supplier_id, now)?;
        release(
            conn,
            ctx,
            &order,
            "declined",
            OrderEvent::Decline,
            Some(&reason),
            actor_label,
        )
    })
}

/// Takes the order back from its current supplier (declined or timed out) and offers it to
/// the next one.
fn release(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order: &OrderRow,
    outcome: &str,
    event: OrderEvent,
    reason: Option<&str>,
    actor_label: &str,
) -> Result<OrderStatus, ServiceError> {
    let now = ctx.now.naive_utc();
    let Some(supplier_id) = order.current_supplier_id else {
        return Err(conflict(
            "order-not-routed",
            "the order is not waiting for a supplier",
        ));
    };
    let next = transition(OrderStatus::Routed, &event)
        .map_err(|e| conflict("order-illegal-transition", e.to_string()))?;
    // Every path locks the offer before the order row, so two transactions never wait on
    // each other's locks (PostgreSQL would abort one of them as a deadlock); an error undoes
    // the closing.
    if !q::close_assignment(conn, order.id, supplier_id, outcome, now, reason)? {
        return Err(conflict("order-changed", "the order changed meanwhile"));
    }
    let moved = with_conn!(conn, |c| diesel::update(
        orders::table
            .filter(orders::id.eq(order.id))
            .filter(orders::status.eq("routed"))
            .filter(orders::current_supplier_id.eq(supplier_id))
    )
    .set((
        orders::status.eq(next.code()),
        orders::current_supplier_id.eq(None::<i64>),
        orders::current_rank.eq(None::<i32>),
        orders::response_deadline.eq(None::<NaiveDateTime>),
        orders::updated_at.eq(now),
    ))
    .execute(c))
    .map_err(DbError::from)?;
    if moved != 1 {
        return Err(conflict("order-changed", "the order changed meanwhile"));
    }
    if outcome == "timed_out" {
        // A supplier that declined knows; one that stayed silent is told the order is gone.
        crate::webhooks::enqueue(
            conn,
            now,
            supplier_id,
            "order.withdrawn",
            Some(order.id),
            json!({ "order_id": order.id, "reference": order.reference, "reason": "deadline_passed" }),
        )?;
    }
    q::insert_event(
        conn,
        &NewOrderEvent {
            order_id: order.id,
            occurred_at: now,
            kind: outcome,
            from_status: Some("routed"),
            to_status: next.code(),
            supplier_id: Some(supplier_id),
            rank: order.current_rank,
            actor_label,
            reason,
            details: "{}",
        },
    )?;
    advance(conn, ctx, order.id, actor_label)
}

pub use super::sweeps::{escalate_overdue, flag_breaches};

/// What the order's accepting supplier may still do to it.
fn confirmed_by(order: &OrderRow, supplier_id: i64) -> Result<OrderStatus, ServiceError> {
    if order.confirmed_supplier_id != Some(supplier_id) {
        return Err(conflict(
            "order-not-yours",
            "this order was not confirmed by you",
        ));
    }
    status_of(order)
}

/// A later step of a confirmed order (shipped, delivered, cancellation answered), recorded
/// as an event and shown in the supplier's feed.
#[allow(clippy::too_many_arguments)]
fn fulfil(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order: &OrderRow,
    supplier_id: i64,
    event: OrderEvent,
    kind: &str,
    changes: FulfilChanges,
    details: serde_json::Value,
    actor_label: &str,
) -> Result<OrderStatus, ServiceError> {
    let from = status_of(order)?;
    let next = transition(from, &event)
        .map_err(|e| conflict("order-illegal-transition", e.to_string()))?;
    let now = ctx.now.naive_utc();
    // The offer before the order row, as everywhere else.
    q::touch_assignment(conn, order.id, supplier_id)?;
    let moved = with_conn!(conn, |c| diesel::update(
        orders::table
            .filter(orders::id.eq(order.id))
            .filter(orders::status.eq(from.code()))
    )
    .set((
        orders::status.eq(next.code()),
        orders::updated_at.eq(now),
        orders::shipped_at.eq(changes.shipped_at.or(order.shipped_at)),
        orders::delivered_at.eq(changes.delivered_at.or(order.delivered_at)),
        orders::carrier.eq(changes.carrier.or(order.carrier.clone())),
        orders::tracking.eq(changes.tracking.or(order.tracking.clone())),
    ))
    .execute(c))
    .map_err(DbError::from)?;
    if moved != 1 {
        return Err(conflict("order-changed", "the order changed meanwhile"));
    }
    q::insert_event(
        conn,
        &NewOrderEvent {
            order_id: order.id,
            occurred_at: now,
            kind,
            from_status: Some(from.code()),
            to_status: next.code(),
            supplier_id: Some(supplier_id),
            rank: order.confirmed_rank,
            actor_label,
            reason: None,
            details: &details.to_string(),
        },
    )?;
    Ok(next)
}

#[derive(Default)]
struct FulfilChanges {
    shipped_at: Option<NaiveDateTime>,
    delivered_at: Option<NaiveDateTime>,
    carrier: Option<String>,
    tracking: Option<String>,
}

/// The accepting supplier reports the shipment. Repeating it changes nothing.
#[allow(clippy::too_many_arguments)]
pub fn ship(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
    supplier_id: i64,
    shipped_on: NaiveDate,
    carrier: Option<&str>,
    tracking: Option<&str>,
    actor_label: &str,
) -> Result<OrderStatus, ServiceError> {
    let mut errors = ValidationErrors::new();
    if shipped_on > ctx.today() {
        errors.add(
            "date",
            "date-in-future",
            "a shipment date cannot be in the future",
        );
    }
    for (field, value) in [("carrier", carrier), ("tracking", tracking)] {
        if value.is_some_and(|v| v.chars().count() > 200 || v.chars().any(char::is_control)) {
            errors.add(field, "too-long", "at most 200 characters, on one line");
        }
    }
    errors.into_result()?;
    conn.transaction(|conn| {
        let order = q::order(conn, order_id)?.ok_or(ServiceError::NotFound("order"))?;
        let status = confirmed_by(&order, supplier_id)?;
        if matches!(status, OrderStatus::Shipped | OrderStatus::Delivered) {
            return Ok(status);
        }
        let shipped_at = shipped_on.and_hms_opt(12, 0, 0).unwrap_or_default();
        let next = fulfil(
            conn,
            ctx,
            &order,
            supplier_id,
            OrderEvent::Ship,
            "shipped",
            FulfilChanges {
                shipped_at: Some(shipped_at),
                carrier: carrier
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty()),
                tracking: tracking
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty()),
                ..Default::default()
            },
            json!({ "date": shipped_on, "carrier": carrier, "tracking": tracking }),
            actor_label,
        )?;
        if status == OrderStatus::CancellationRequested {
            // Shipping answers a pending cancellation request: the goods are on their way.
            notify::order_cancellation_answered(conn, ctx, order.id, false)?;
        }
        Ok(next)
    })
}

/// The accepting supplier reports delivery. Repeating it changes nothing.
pub fn deliver(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
    supplier_id: i64,
    delivered_on: NaiveDate,
    actor_label: &str,
) -> Result<OrderStatus, ServiceError> {
    if delivered_on > ctx.today() {
        return Err(ServiceError::Invalid(ValidationErrors::single(
            "date",
            "date-in-future",
            "a delivery date cannot be in the future",
        )));
    }
    conn.transaction(|conn| {
        let order = q::order(conn, order_id)?.ok_or(ServiceError::NotFound("order"))?;
        let status = confirmed_by(&order, supplier_id)?;
        if status == OrderStatus::Delivered {
            return Ok(status);
        }
        let delivered_at = delivered_on.and_hms_opt(12, 0, 0).unwrap_or_default();
        fulfil(
            conn,
            ctx,
            &order,
            supplier_id,
            OrderEvent::Deliver,
            "delivered",
            FulfilChanges {
                delivered_at: Some(delivered_at),
                ..Default::default()
            },
            json!({ "date": delivered_on }),
            actor_label,
        )
    })
}

/// The accepting supplier answers a cancellation request.
pub fn answer_cancellation(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
    supplier_id: i64,
    accepted: bool,
    actor_label: &str,
) -> Result<OrderStatus, ServiceError> {
    conn.transaction(|conn| {
        let order = q::order(conn, order_id)?.ok_or(ServiceError::NotFound("order"))?;
        let status = confirmed_by(&order, supplier_id)?;
        if status != OrderStatus::CancellationRequested {
            return Err(conflict(
                "no-cancellation-requested",
                "no cancellation was requested for this order",
            ));
        }
        let (event, kind) = if accepted {
            (OrderEvent::AcceptCancellation, "cancelled")
        } else {
            (OrderEvent::RefuseCancellation, "cancellation_refused")
        };
        let next = fulfil(
            conn,
            ctx,
            &order,
            supplier_id,
            event,
            kind,
            FulfilChanges::default(),
            json!({}),
            actor_label,
        )?;
        notify::order_cancellation_answered(conn, ctx, order.id, accepted)?;
        Ok(next)
    })
}

/// Partial acceptance: the supplier holding the order accepts some lines. Those stay in this
/// order, confirmed with the supplier; the others move to a new remainder order, linked to
/// this one, that continues down the cascade without this supplier. Returns the remainder's
/// id. Accepting every line is a plain acceptance; accepting none is a decline.
pub fn accept_partially(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    order_id: i64,
    supplier_id: i64,
    expected_delivery: NaiveDate,
    refused_skus: &[String],
    actor_label: &str,
) -> Result<Option<i64>, ServiceError> {
    conn.transaction(|conn| {
        let now = ctx.now.naive_utc();
        let order = q::order(conn, order_id)?.ok_or(ServiceError::NotFound("order"))?;
        held_by(&order, supplier_id, now)?;
        let lines = q::lines_of(conn, order.id)?;
        let refused: Vec<&q::OrderLineRow> = lines.iter().filter(|l| refused_skus.iter().any(|s| s.eq_ignore_ascii_case(&l.sku))).collect();
        let unknown: Vec<&String> = refused_skus.iter().filter(|s| !lines.iter().any(|l| l.sku.eq_ignore_ascii_case(s))).collect();
        if !unknown.is_empty() {
            return Err(ServiceError::Invalid(ValidationErrors::single(
                "lines",
                "line-unknown",
                format!("this order has no line {}", unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")),
            )));
        }
        if refused.is_empty() {
            accept(conn, ctx, order.id, supplier_id, expected_delivery, actor_label)?;
            return Ok(None);
        }
        if refused.len() == lines.len() {
            decline(conn, ctx, order.id, supplier_id, "none of the lines accepted", actor_label)?;
            return Ok(None);
        }
        let placeholder = format!("PENDING-{}-{}", order.checkout_id, order.id);
        let displayed: i64 = refused.iter().map(|l| l.displayed_unit_price_cents * i64::from(l.quantity)).sum();
        let remainder = q::insert_order(
            conn,
            &q::NewOrder {
                id: None,
                reference: &placeholder,
                checkout_id: &order.checkout_id,
                institution_id: order.institution_id,
                lot_id: order.lot_id,
                placed_by_user_id: order.placed_by_user_id,
                placed_by_client_id: order.placed_by_client_id,
                delivery_address_id: order.delivery_address_id,
                buyer_reference: order.buyer_reference.as_deref(),
                language: &order.language,
                status: OrderStatus::Placed.code(),
                delivery_due: order.delivery_due,
                displayed_net_cents: displayed,
                placed_at: order.placed_at,
                updated_at: now,
                current_supplier_id: None,
                current_rank: None,
                response_deadline: None,
                notified_at: None,
            },
        )?
        .id;
        let reference = format!("{}-R{remainder}", order.reference);
        with_conn!(conn, |c| diesel::update(orders::table.find(remainder))
            .set((orders::reference.eq(&reference), orders::parent_order_id.eq(Some(order.id))))
            .execute(c))
        .map_err(DbError::from)?;
        let refused_ids: Vec<i64> = refused.iter().map(|l| l.id).collect();
        with_conn!(conn, |c| diesel::update(order_lines::table.filter(order_lines::id.eq_any(&refused_ids)))
            .set(order_lines::order_id.eq(remainder))
            .execute(c))
        .map_err(DbError::from)?;
        let kept_displayed = order.displayed_net_cents - displayed;
        with_conn!(conn, |c| diesel::update(orders::table.find(order.id))
            .set(orders::displayed_net_cents.eq(kept_displayed))
            .execute(c))
        .map_err(DbError::from)?;
        // The remainder must not come back to the supplier that refused its lines.
        let feed_seq = q::next_feed_seq(conn)?;
        q::insert_assignment(
            conn,
            &NewAssignment {
                order_id: remainder,
                supplier_id,
                rank: order.current_rank.unwrap_or(1),
                offered_at: now,
                deadline: now,
                feed_seq,
            },
        )?;
        q::close_assignment(conn, remainder, supplier_id, "declined", now, Some("lines not accepted (partial acceptance)"))?;
        let skus: Vec<&str> = refused.iter().map(|l| l.sku.as_str()).collect();
        for (id, kind, details) in [
            (order.id, "split", json!({ "remainder_order_id": remainder, "remainder_reference": reference, "moved_lines": skus })),
            (remainder, "placed", json!({ "split_from": order.reference, "lines": skus })),
        ] {
            q::insert_event(
                conn,
                &NewOrderEvent {
                    order_id: id,
                    occurred_at: now,
                    kind,
                    from_status: None,
                    to_status: if id == order.id { "routed" } else { "placed" },
                    supplier_id: Some(supplier_id),
                    rank: order.current_rank,
                    actor_label,
                    reason: Some("lines not accepted by the supplier continue down the cascade"),
                    details: &details.to_string(),
                },
            )?;
        }
        accept(conn, ctx, order.id, supplier_id, expected_delivery, actor_label)?;
        notify::order_received(conn, ctx, remainder)?;
        advance(conn, ctx, remainder, actor_label)?;
        Ok(Some(remainder))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(rank: i32, supplier_id: i64, active: bool) -> CascadeEntryRow {
        CascadeEntryRow {
            id: rank.into(),
            lot_id: 1,
            supplier_id,
            rank,
            active,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    #[test]
    fn candidates_say_who_offers_every_line_available_today() {
        let entries = [entry(1, 10, true), entry(2, 20, true), entry(3, 30, false)];
        // Supplier 10 lacks product 2; 20 has both, product 2 out of stock until the 12th;
        // 30 has both but its cascade entry is suspended.
        let offers: HashMap<(i64, i64), (bool, Option<NaiveDate>)> = [
            ((1, 10), (true, None)),
            ((1, 20), (true, None)),
            ((2, 20), (false, Some(day(12)))),
            ((1, 30), (true, None)),
            ((2, 30), (true, None)),
        ]
        .into_iter()
        .collect();
        let on = |today| {
            cascade_candidates(
                &entries,
                &[1, 2],
                today,
                |supplier| supplier != 30,
                |product, supplier| offers.get(&(product, supplier)).copied(),
            )
        };
        let before = on(day(11));
        assert_eq!(before.len(), 3);
        assert_eq!(before[0].supplier, SupplierId(10));
        assert!(!before[0].offers_every_line && !before[0].every_line_available);
        assert!(before[1].offers_every_line && !before[1].every_line_available);
        assert!(!before[2].cascade_entry_active && !before[2].supplier_active);
        assert!(before[2].every_line_available);
        let after = on(day(12));
        assert!(after[1].every_line_available, "available again on the date");
        match next_candidate(&after, &[]) {
            Decision::Offer { supplier, rank, .. } => {
                assert_eq!((supplier, rank.get()), (SupplierId(20), 2));
            }
            other => panic!("expected an offer, got {other:?}"),
        }
    }

    #[test]
    fn ranks_outside_the_cascade_are_left_out() {
        let entries = [entry(0, 10, true), entry(1, 20, true)];
        let found = cascade_candidates(&entries, &[1], day(1), |_| true, |_, _| Some((true, None)));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].supplier, SupplierId(20));
    }

    #[test]
    fn past_attempts_come_from_closed_offers_only() {
        let at = day(1).and_hms_opt(8, 0, 0).unwrap();
        let assignment = |supplier_id, outcome: Option<&str>| q::AssignmentRow {
            id: supplier_id,
            order_id: 1,
            supplier_id,
            rank: 1,
            offered_at: at,
            deadline: at,
            outcome: outcome.map(str::to_owned),
            answered_at: None,
            reason: None,
            feed_seq: 0,
            supplier_reference: None,
        };
        let attempts = attempts_from(&[
            assignment(1, Some("declined")),
            assignment(2, Some("timed_out")),
            assignment(3, Some("withdrawn")),
            assignment(4, None),
        ]);
        let outcomes: Vec<(i64, Outcome)> =
            attempts.iter().map(|a| (a.supplier.0, a.outcome)).collect();
        assert_eq!(
            outcomes,
            [
                (1, Outcome::Declined),
                (2, Outcome::TimedOut),
                (3, Outcome::Declined)
            ]
        );
    }
}
