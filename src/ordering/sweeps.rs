//! The background sweeps: orders whose supplier let the deadline pass move down the cascade,
//! and orders past the 24-hour promise are flagged. Each handles due orders a batch at a time,
//! one transaction per batch, until none is left: a transaction per order would pay a disk
//! flush per order and leave a backlog of thousands for minutes.
//!
//! Every order moves exactly as `routing::decline` would move it (same rows, events, webhooks
//! and emails). Its updates carry the same conditions, so an order answered or cancelled
//! meanwhile is not moved, and two workers never move an order twice; on PostgreSQL the
//! batches of two workers also take turns (an advisory lock), rather than locking the same
//! rows in different orders. There, a backlog is split into shares of the orders (by id)
//! that the worker sweeps side by side: one sweep keeps a single database backend busy
//! and leaves the other cores idle.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::routing::{attempts_from, cascade_candidates, skipped_json};
use super::view::distinct;
use super::{conflict, notify, view, OrderingContext};
use crate::db::catalogue::{self as cq, CascadeEntryRow, RoutingSupplier};
use crate::db::orders::{self as q, EscalationShare, NewAssignment, NewOrderEvent, OrderRow};
use crate::db::schema::{order_lines, supplier_offers};
use crate::db::{Conn, DbError};
use crate::domain::order_state::{transition, OrderEvent, OrderStatus};
use crate::domain::routing::{next_candidate, Decision, Outcome, PastAttempt};
use crate::domain::SupplierId;
use crate::error::ServiceError;
use crate::webhooks::{self, NewDelivery};
use crate::with_conn;

const TIMED_OUT: &str = "no answer before the deadline";
const EXHAUSTED: &str = "no supplier of the cascade can take the order";
const LATE: &str = "not confirmed within the promised time";

/// Every order of `share` whose supplier let the deadline pass moves to the next supplier
/// (or is declared unfulfilled), `batch` orders per transaction until none is due. Returns
/// how many orders moved. Sweeps of different shares move different orders and can run side
/// by side, each on its own connection; [`EscalationShare::WHOLE`] sweeps every order.
pub fn escalate_overdue(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    batch: i64,
    share: EscalationShare,
) -> Result<usize, ServiceError> {
    let batch = batch.max(1);
    let mut moved = 0;
    loop {
        let (due, done) = conn.transaction(|conn| escalate_batch(conn, ctx, batch, share))?;
        moved += done;
        // A batch that moved nothing would find the same orders again.
        if due < batch as usize || done == 0 {
            return Ok(moved);
        }
    }
}

/// What a batch decided for one overdue order.
struct Escalation<'a> {
    order: &'a OrderRow,
    from: i64,
    decision: Decision,
    next: OrderStatus,
}

/// Returns how many orders were due and how many moved.
fn escalate_batch(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    batch: i64,
    share: EscalationShare,
) -> Result<(usize, usize), ServiceError> {
    let now = ctx.now.naive_utc();
    q::lock_escalation(conn, share)?;
    let due = q::overdue_orders(conn, now, batch, share)?;
    if due.is_empty() {
        return Ok((0, 0));
    }
    let ids: Vec<i64> = due.iter().map(|o| o.id).collect();
    let mut products: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for line in q::lines_of_orders(conn, &ids)? {
        products
            .entry(line.order_id)
            .or_default()
            .push((line.id, line.product_id));
    }
    let mut assignments: HashMap<i64, Vec<q::AssignmentRow>> = HashMap::new();
    for assignment in q::assignments_of_orders(conn, &ids)? {
        assignments
            .entry(assignment.order_id)
            .or_default()
            .push(assignment);
    }
    let lot_ids = distinct(due.iter().map(|o| o.lot_id));
    let mut cascades: HashMap<i64, Vec<CascadeEntryRow>> = HashMap::new();
    for entry in cq::cascades_of(conn, &lot_ids)? {
        cascades.entry(entry.lot_id).or_default().push(entry);
    }
    let supplier_ids = distinct(
        cascades
            .values()
            .flatten()
            .map(|e| e.supplier_id)
            .chain(due.iter().filter_map(|o| o.current_supplier_id)),
    );
    let suppliers: HashMap<i64, RoutingSupplier> = cq::routing_suppliers(conn, &supplier_ids)?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let product_ids = distinct(products.values().flatten().map(|(_, p)| *p));
    let offers: HashMap<(i64, i64), cq::OfferRow> = cq::offers_for(conn, &product_ids)?
        .into_iter()
        .map(|o| ((o.product_id, o.supplier_id), o))
        .collect();

    let today = ctx.today();
    let expired = transition(OrderStatus::Routed, &OrderEvent::Expire)
        .map_err(|e| conflict("order-illegal-transition", e.to_string()))?;
    let mut moves: Vec<Escalation<'_>> = Vec::with_capacity(due.len());
    for order in &due {
        let Some(from) = order.current_supplier_id else {
            continue;
        };
        let held = assignments.get(&order.id).map(Vec::as_slice).unwrap_or(&[]);
        if !held
            .iter()
            .any(|a| a.supplier_id == from && a.outcome.is_none())
        {
            tracing::warn!(
                order = order.id,
                "overdue order without an open offer to its supplier; left as it is"
            );
            continue;
        }
        let mut attempts: Vec<PastAttempt> = attempts_from(held);
        attempts.push(PastAttempt {
            supplier: SupplierId(from),
            outcome: Outcome::TimedOut,
        });
        let product_ids: Vec<i64> = products
            .get(&order.id)
            .map(|lines| lines.iter().map(|(_, p)| *p).collect())
            .unwrap_or_default();
        let candidates = cascade_candidates(
            cascades
                .get(&order.lot_id)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            &product_ids,
            today,
            |supplier| {
                suppliers
                    .get(&supplier)
                    .is_some_and(|s| s.status == "active")
            },
            |product, supplier| {
                offers
                    .get(&(product, supplier))
                    .map(|o| (o.available, o.unavailable_until))
            },
        );
        let decision = next_candidate(&candidates, &attempts);
        let event = match &decision {
            Decision::Offer { supplier, rank, .. } => OrderEvent::Route {
                supplier: *supplier,
                rank: *rank,
            },
            Decision::Unfulfilled { .. } => OrderEvent::Exhaust,
        };
        let next = transition(expired, &event)
            .map_err(|e| conflict("order-illegal-transition", e.to_string()))?;
        moves.push(Escalation {
            order,
            from,
            decision,
            next,
        });
    }
    if moves.is_empty() {
        return Ok((due.len(), 0));
    }

    let deadline = crate::domain::routing::response_deadline(ctx.now, ctx.window()).naive_utc();
    let offered = moves
        .iter()
        .filter(|m| matches!(m.decision, Decision::Offer { .. }))
        .count();
    let mut seq = q::take_feed_seqs(conn, (moves.len() + offered) as i64)?;
    let has_endpoint = |supplier: i64| {
        suppliers
            .get(&supplier)
            .is_some_and(|s| s.webhook_url.is_some())
    };
    let mut new_assignments = Vec::with_capacity(offered);
    let mut deliveries = Vec::new();
    let mut details = Vec::with_capacity(moves.len());
    let mut reprice: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut unfulfilled = Vec::new();
    let mut batch_moves = Vec::with_capacity(moves.len());
    for m in &moves {
        let closed_feed_seq = seq;
        seq += 1;
        let next = match &m.decision {
            Decision::Offer { supplier, rank, .. } => {
                let next = (supplier.0, i32::from(rank.get()));
                // The new offer's feed number follows the closed one's.
                new_assignments.push(NewAssignment {
                    order_id: m.order.id,
                    supplier_id: supplier.0,
                    rank: next.1,
                    offered_at: now,
                    deadline,
                    feed_seq: seq,
                });
                seq += 1;
                Some(next)
            }
            Decision::Unfulfilled { .. } => None,
        };
        batch_moves.push(q::OverdueMove {
            order_id: m.order.id,
            from_supplier_id: m.from,
            closed_feed_seq,
            status: m.next.code(),
            next,
        });
    }
    if !q::move_overdue(conn, &batch_moves, "timed_out", TIMED_OUT, now, deadline)? {
        return Err(conflict("order-changed", "the order changed meanwhile"));
    }
    for m in &moves {
        let order = m.order;
        if has_endpoint(m.from) {
            deliveries.push(delivery(
                now,
                m.from,
                "order.withdrawn",
                order.id,
                json!({ "order_id": order.id, "reference": order.reference, "reason": "deadline_passed" }),
            ));
        }
        match &m.decision {
            Decision::Offer {
                supplier,
                rank,
                skipped,
            } => {
                let lines = products.get(&order.id).map(Vec::as_slice).unwrap_or(&[]);
                reprice.entry(supplier.0).or_default().extend(
                    lines
                        .iter()
                        .filter(|(_, product)| offers.contains_key(&(*product, supplier.0)))
                        .map(|(line, _)| *line),
                );
                if has_endpoint(supplier.0) {
                    deliveries.push(delivery(
                        now,
                        supplier.0,
                        "order.assigned",
                        order.id,
                        json!({
                            "order_id": order.id,
                            "reference": order.reference,
                            "cascade_rank": rank.get(),
                            "response_deadline": deadline.and_utc(),
                        }),
                    ));
                }
                details.push(
                    json!({ "deadline": deadline, "skipped": skipped_json(skipped) }).to_string(),
                );
            }
            Decision::Unfulfilled { skipped } => {
                unfulfilled.push(order.id);
                details.push(json!({ "skipped": skipped_json(skipped) }).to_string());
            }
        }
    }
    let mut events = Vec::with_capacity(moves.len() * 2);
    for (m, details) in moves.iter().zip(&details) {
        let order = m.order;
        events.push(NewOrderEvent {
            order_id: order.id,
            occurred_at: now,
            kind: "timed_out",
            from_status: Some("routed"),
            to_status: OrderStatus::Placed.code(),
            supplier_id: Some(m.from),
            rank: order.current_rank,
            actor_label: "system",
            reason: Some(TIMED_OUT),
            details: "{}",
        });
        events.push(match &m.decision {
            Decision::Offer { supplier, rank, .. } => NewOrderEvent {
                order_id: order.id,
                occurred_at: now,
                kind: "offered",
                from_status: Some(OrderStatus::Placed.code()),
                to_status: m.next.code(),
                supplier_id: Some(supplier.0),
                rank: Some(i32::from(rank.get())),
                actor_label: "system",
                reason: None,
                details,
            },
            Decision::Unfulfilled { .. } => NewOrderEvent {
                order_id: order.id,
                occurred_at: now,
                kind: "unfulfilled",
                from_status: Some(OrderStatus::Placed.code()),
                to_status: m.next.code(),
                supplier_id: None,
                rank: None,
                actor_label: "system",
                reason: Some(EXHAUSTED),
                details,
            },
        });
    }
    q::insert_assignments(conn, &new_assignments)?;
    webhooks::enqueue_many(conn, &deliveries)?;
    q::insert_events(conn, &events)?;
    let mut reprice: Vec<(i64, Vec<i64>)> = reprice.into_iter().collect();
    reprice.sort_unstable_by_key(|(supplier, _)| *supplier);
    apply_prices(conn, &reprice)?;
    if !unfulfilled.is_empty() {
        let mut emails = Vec::new();
        for order in view::load_many(conn, &unfulfilled)? {
            let to = notify::institution_recipient(
                conn,
                order.order.placed_by_user_id,
                order.order.institution_id,
            )?;
            emails.extend(notify::unfulfilled_emails(ctx, &order, to.as_ref())?);
        }
        crate::mail::enqueue_ready(conn, now, &emails)?;
    }
    Ok((due.len(), moves.len()))
}

fn delivery(
    now: NaiveDateTime,
    supplier_id: i64,
    event: &'static str,
    order_id: i64,
    data: serde_json::Value,
) -> NewDelivery {
    NewDelivery {
        supplier_id,
        event_type: event,
        order_id: Some(order_id),
        payload: webhooks::payload(event, now, &data),
        created_at: now,
        next_attempt_at: now,
    }
}

/// Puts each supplier's prices on its order lines (each has an offer from it), so what the
/// institution sees is the price of the supplier now asked. On PostgreSQL one statement for
/// the batch, since a statement per supplier costs a round trip each (some thirty a batch);
/// SQLite runs in-process and keeps a statement per supplier.
fn apply_prices(conn: &mut Conn, reprice: &[(i64, Vec<i64>)]) -> Result<(), DbError> {
    if let Conn::Postgres(c) = conn {
        use diesel::sql_types::{Array, BigInt};
        let (lines, suppliers): (Vec<i64>, Vec<i64>) = reprice
            .iter()
            .flat_map(|(supplier, lines)| lines.iter().map(move |line| (*line, *supplier)))
            .unzip();
        if !lines.is_empty() {
            diesel::sql_query(
                "UPDATE order_lines AS l SET unit_price_cents = o.price_cents \
                 FROM unnest($1::bigint[], $2::bigint[]) AS v(line_id, supplier_id) \
                 JOIN supplier_offers AS o ON o.supplier_id = v.supplier_id \
                 WHERE l.id = v.line_id AND o.product_id = l.product_id",
            )
            .bind::<Array<BigInt>, _>(&lines)
            .bind::<Array<BigInt>, _>(&suppliers)
            .execute(&mut **c)?;
        }
        return Ok(());
    }
    for (supplier, lines) in reprice {
        if lines.is_empty() {
            continue;
        }
        with_conn!(conn, |c| diesel::update(
            order_lines::table.filter(order_lines::id.eq_any(lines))
        )
        .set(
            order_lines::unit_price_cents.eq(supplier_offers::table
                .filter(supplier_offers::product_id.eq(order_lines::product_id))
                .filter(supplier_offers::supplier_id.eq(*supplier))
                .select(supplier_offers::price_cents)
                .single_value()
                .assume_not_null())
        )
        .execute(c))?;
    }
    Ok(())
}

/// The 24-hour rule: flags every order neither confirmed nor reported unfulfilled within the
/// limit, once, and alerts the authority, `batch` orders per transaction until none is left.
/// Routing goes on regardless. The alerts are rendered before the transaction, so the write
/// lock is held only for the writes.
pub fn flag_breaches(
    conn: &mut Conn,
    ctx: &OrderingContext<'_>,
    batch: i64,
) -> Result<usize, ServiceError> {
    let batch = batch.max(1);
    let now = ctx.now.naive_utc();
    let limit = (ctx.now - ctx.confirmation_limit()).naive_utc();
    let mut flagged = 0;
    loop {
        let ids = q::unflagged_late(conn, limit, batch)?;
        if ids.is_empty() {
            return Ok(flagged);
        }
        let views = view::load_many(conn, &ids)?;
        let alerts = views
            .iter()
            .map(|v| Ok((v.order.id, notify::breach_email(ctx, v)?)))
            .collect::<Result<HashMap<_, _>, ServiceError>>()?;
        let seen: HashMap<i64, &OrderRow> = views.iter().map(|v| (v.order.id, &v.order)).collect();
        let done = conn.transaction(|conn| {
            let marked: HashMap<i64, q::FlaggedOrder> = q::flag_breached(conn, &ids, now)?
                .into_iter()
                .map(|f| (f.id, f))
                .collect();
            // Flagged in the order they were found, oldest first.
            let marked: Vec<&q::FlaggedOrder> =
                ids.iter().filter_map(|id| marked.get(id)).collect();
            // An order that moved between the reading and the flag is told as it is now.
            let stale: Vec<i64> = marked
                .iter()
                .filter(|f| !seen.get(&f.id).is_some_and(|order| unchanged(order, f)))
                .map(|f| f.id)
                .collect();
            let reloaded: HashMap<i64, view::OrderView> = view::load_many(conn, &stale)?
                .into_iter()
                .map(|v| (v.order.id, v))
                .collect();
            let mut emails = Vec::with_capacity(marked.len());
            for flag in &marked {
                let email = match reloaded.get(&flag.id) {
                    Some(order) => Some(notify::breach_email(ctx, order)?),
                    None => alerts.get(&flag.id).cloned(),
                };
                emails.extend(email);
            }
            let events: Vec<NewOrderEvent<'_>> = marked
                .iter()
                .map(|flag| NewOrderEvent {
                    order_id: flag.id,
                    occurred_at: now,
                    kind: "breach",
                    from_status: Some(&flag.status),
                    to_status: &flag.status,
                    supplier_id: flag.current_supplier_id,
                    rank: flag.current_rank,
                    actor_label: "system",
                    reason: Some(LATE),
                    details: "{}",
                })
                .collect();
            q::insert_events(conn, &events)?;
            crate::mail::enqueue_ready(conn, now, &emails)?;
            Ok::<_, ServiceError>(marked.len())
        })?;
        flagged += done;
        if ids.len() < batch as usize {
            return Ok(flagged);
        }
    }
}

/// Whether the order is still as it was read, in everything its alert shows.
fn unchanged(order: &OrderRow, flag: &q::FlaggedOrder) -> bool {
    order.status == flag.status
        && order.current_supplier_id == flag.current_supplier_id
        && order.current_rank == flag.current_rank
        && order.response_deadline == flag.response_deadline
        && order.updated_at == flag.updated_at
}
