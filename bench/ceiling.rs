//! The storage ceiling: how many order placements per second the database itself can commit
//! with the shop's durability, when nothing else runs — no HTTP, no JSON, no routing
//! decision, no template. The rows written are found empirically: the harness counts every
//! table before and after one real `POST /api/v1/orders`, and each transaction here writes a
//! copy of exactly the rows that placement wrote, through the library's own insert functions,
//! with one writer on SQLite (which commits one transaction at a time anyway) and the server's
//! pool size as the number of writers on PostgreSQL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use centrale::db::orders::{
    self as q, AssignmentRow, NewAssignment, NewOrder, NewOrderEvent, NewOrderLine, OrderEventRow,
    OrderLineRow, OrderRow,
};
use centrale::db::schema::*;
use centrale::db::{Conn, Pool};
use centrale::mail::outbox::{self, NewOutboxEmail, OutboxEmail};
use centrale::webhooks::Delivery;
use centrale::with_conn;

/// Every table of the schema, for the before/after count.
pub const TABLES: [&str; 26] = [
    "competent_authorities",
    "sectors",
    "institutions",
    "delivery_addresses",
    "suppliers",
    "users",
    "categories",
    "vat_classes",
    "vat_rates",
    "lots",
    "cascade_entries",
    "products",
    "supplier_offers",
    "account_tokens",
    "outbox_emails",
    "api_clients",
    "audit_events",
    "cart_lines",
    "orders",
    "order_lines",
    "order_assignments",
    "order_events",
    "idempotency_keys",
    "feed_sequence",
    "webhook_deliveries",
    "catalogue_imports",
];

/// The tables this ceiling knows how to write, children last.
const WRITTEN: [&str; 7] = [
    "orders",
    "order_lines",
    "order_events",
    "order_assignments",
    "outbox_emails",
    "idempotency_keys",
    "webhook_deliveries",
];

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    value: i64,
}

fn number(conn: &mut Conn, sql: &str) -> anyhow::Result<i64> {
    let row: Number = with_conn!(conn, |c| diesel::sql_query(sql).get_result(c))?;
    Ok(row.value)
}

pub fn count_rows(conn: &mut Conn) -> anyhow::Result<Vec<(String, i64)>> {
    TABLES
        .iter()
        .map(|t| {
            Ok((
                (*t).to_owned(),
                number(conn, &format!("SELECT COUNT(*) AS value FROM {t}"))?,
            ))
        })
        .collect()
}

pub fn max_ids(conn: &mut Conn) -> anyhow::Result<Vec<(String, i64)>> {
    WRITTEN
        .iter()
        .map(|t| {
            Ok((
                (*t).to_owned(),
                number(
                    conn,
                    &format!("SELECT COALESCE(MAX(id), 0) AS value FROM {t}"),
                )?,
            ))
        })
        .collect()
}

fn after(ids: &[(String, i64)], table: &str) -> i64 {
    ids.iter()
        .find(|(t, _)| t == table)
        .map(|(_, v)| *v)
        .unwrap_or(0)
}

/// The rows one placement wrote, read back to be copied.
pub struct Template {
    order: OrderRow,
    lines: Vec<OrderLineRow>,
    events: Vec<OrderEventRow>,
    assignments: Vec<AssignmentRow>,
    emails: Vec<OutboxEmail>,
    idempotency: Vec<(String, String, String, i32, String)>,
    webhooks: Vec<Delivery>,
    /// Tables that changed and that this copy does not write (should stay empty).
    pub unmirrored: Vec<String>,
    /// Rows per table the placement added.
    pub deltas: Vec<(String, i64)>,
}

impl Template {
    pub fn rows_per_transaction(&self) -> usize {
        1 + self.lines.len()
            + self.events.len()
            + self.assignments.len()
            + self.emails.len()
            + self.idempotency.len()
            + self.webhooks.len()
    }

    pub fn read(
        conn: &mut Conn,
        before_counts: &[(String, i64)],
        after_counts: &[(String, i64)],
        before_ids: &[(String, i64)],
    ) -> anyhow::Result<Template> {
        let deltas: Vec<(String, i64)> = after_counts
            .iter()
            .zip(before_counts)
            .map(|((t, a), (_, b))| (t.clone(), a - b))
            .filter(|(_, d)| *d != 0)
            .collect();
        let unmirrored = deltas
            .iter()
            .filter(|(t, _)| !WRITTEN.contains(&t.as_str()))
            .map(|(t, d)| format!("{t} {d:+}"))
            .collect();
        let order_from = after(before_ids, "orders");
        let order: OrderRow = with_conn!(conn, |c| orders::table
            .filter(orders::id.gt(order_from))
            .order(orders::id.asc())
            .select(OrderRow::as_select())
            .first(c))
        .context("the probe placed no order")?;
        let lines = with_conn!(conn, |c| order_lines::table
            .filter(order_lines::id.gt(after(before_ids, "order_lines")))
            .select(OrderLineRow::as_select())
            .load(c))?;
        let events = with_conn!(conn, |c| order_events::table
            .filter(order_events::id.gt(after(before_ids, "order_events")))
            .select(OrderEventRow::as_select())
            .load(c))?;
        let assignments = with_conn!(conn, |c| order_assignments::table
            .filter(order_assignments::id.gt(after(before_ids, "order_assignments")))
            .select(AssignmentRow::as_select())
            .load(c))?;
        let emails = with_conn!(conn, |c| outbox_emails::table
            .filter(outbox_emails::id.gt(after(before_ids, "outbox_emails")))
            .select(OutboxEmail::as_select())
            .load(c))?;
        let idempotency = with_conn!(conn, |c| idempotency_keys::table
            .filter(idempotency_keys::id.gt(after(before_ids, "idempotency_keys")))
            .select((
                idempotency_keys::principal,
                idempotency_keys::idempotency_key,
                idempotency_keys::request_hash,
                idempotency_keys::response_status,
                idempotency_keys::response_body,
            ))
            .load(c))?;
        let webhooks = with_conn!(conn, |c| webhook_deliveries::table
            .filter(webhook_deliveries::id.gt(after(before_ids, "webhook_deliveries")))
            .select(Delivery::as_select())
            .load(c))?;
        Ok(Template {
            order,
            lines,
            events,
            assignments,
            emails,
            idempotency,
            webhooks,
            unmirrored,
            deltas,
        })
    }

    /// One placement's rows, copied: the order (numbered first, then written whole, as
    /// checkout does), its lines, events, assignment (numbered from
    /// the feed counter), emails, idempotency key and webhook deliveries.
    fn write(&self, conn: &mut Conn, unique: &str, now: NaiveDateTime) -> anyhow::Result<()> {
        let later = now + chrono::Duration::days(3650);
        conn.transaction(|conn| {
            let o = &self.order;
            let id = q::new_order_ids(conn, 1)?[0];
            let reference = format!("CMD-{id:06}");
            q::insert_order(
                conn,
                &NewOrder {
                    id: Some(id),
                    reference: &reference,
                    checkout_id: &o.checkout_id,
                    institution_id: o.institution_id,
                    lot_id: o.lot_id,
                    placed_by_user_id: o.placed_by_user_id,
                    placed_by_client_id: o.placed_by_client_id,
                    delivery_address_id: o.delivery_address_id,
                    buyer_reference: o.buyer_reference.as_deref(),
                    language: &o.language,
                    status: &o.status,
                    delivery_due: o.delivery_due,
                    displayed_net_cents: o.displayed_net_cents,
                    placed_at: now,
                    updated_at: now,
                    current_supplier_id: o.current_supplier_id,
                    current_rank: o.current_rank,
                    response_deadline: o.response_deadline.map(|_| later),
                    notified_at: o.notified_at,
                },
            )?;
            for line in &self.lines {
                q::insert_line(
                    conn,
                    &NewOrderLine {
                        order_id: id,
                        product_id: line.product_id,
                        sku: &line.sku,
                        name_fr: &line.name_fr,
                        name_nl: &line.name_nl,
                        unit_code: &line.unit_code,
                        quantity: line.quantity,
                        vat_rate_basis_points: line.vat_rate_basis_points,
                        unit_price_cents: line.unit_price_cents,
                        displayed_unit_price_cents: line.displayed_unit_price_cents,
                    },
                )?;
            }
            for event in &self.events {
                q::insert_event(
                    conn,
                    &NewOrderEvent {
                        order_id: id,
                        occurred_at: now,
                        kind: &event.kind,
                        from_status: event.from_status.as_deref(),
                        to_status: &event.to_status,
                        supplier_id: event.supplier_id,
                        rank: event.rank,
                        actor_label: &event.actor_label,
                        reason: event.reason.as_deref(),
                        details: &event.details,
                    },
                )?;
            }
            for assignment in &self.assignments {
                let feed_seq = q::next_feed_seq(conn)?;
                q::insert_assignment(
                    conn,
                    &NewAssignment {
                        order_id: id,
                        supplier_id: assignment.supplier_id,
                        rank: assignment.rank,
                        offered_at: now,
                        deadline: later,
                        feed_seq,
                    },
                )?;
            }
            for (n, email) in self.emails.iter().enumerate() {
                // Dated far ahead so the running worker leaves the copies alone.
                outbox::insert(
                    conn,
                    &NewOutboxEmail {
                        message_id: &format!("<{unique}.{n}@bench.centrale.example>"),
                        template: &email.template,
                        language: &email.language,
                        to_address: &email.to_address,
                        to_name: &email.to_name,
                        subject: &email.subject,
                        body_text: &email.body_text,
                        body_html: &email.body_html,
                        created_at: now,
                        next_attempt_at: later,
                    },
                )?;
            }
            for (principal, _, hash, status, body) in &self.idempotency {
                q::save_response(conn, principal, unique, hash, *status, body, now)?;
            }
            for hook in &self.webhooks {
                with_conn!(conn, |c| diesel::insert_into(webhook_deliveries::table)
                    .values((
                        webhook_deliveries::supplier_id.eq(hook.supplier_id),
                        webhook_deliveries::event_type.eq(&hook.event_type),
                        webhook_deliveries::order_id.eq(Some(id)),
                        webhook_deliveries::payload.eq(&hook.payload),
                        webhook_deliveries::created_at.eq(now),
                        webhook_deliveries::next_attempt_at.eq(later),
                    ))
                    .execute(c))?;
            }
            Ok::<_, anyhow::Error>(())
        })
    }
}

pub struct CeilingResult {
    pub transactions: u64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
}

impl CeilingResult {
    pub fn rate(&self) -> f64 {
        self.transactions as f64 / self.seconds
    }
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// `writers` threads, each with its own connection, commit copies for `seconds`; then every
/// copied row is deleted again so the scenarios after this one see the data set unchanged.
pub fn storage_ceiling(
    pool: &Pool,
    template: &Arc<Template>,
    writers: u32,
    seconds: u64,
) -> anyhow::Result<CeilingResult> {
    let mut conn = pool.get()?;
    let marks = max_ids(&mut conn)?;
    drop(conn);
    let stop = Arc::new(AtomicBool::new(false));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let nonce = format!("ceiling-{}", chrono::Utc::now().timestamp_micros());
    let started = Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let (pool, template, stop, latencies, errors, nonce) = (
                pool.clone(),
                template.clone(),
                stop.clone(),
                latencies.clone(),
                errors.clone(),
                nonce.clone(),
            );
            std::thread::spawn(move || -> anyhow::Result<()> {
                let mut conn = pool.get()?;
                let mut mine = Vec::new();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let t = Instant::now();
                    let now = chrono::Utc::now().naive_utc();
                    match template.write(&mut conn, &format!("{nonce}-{w}-{n}"), now) {
                        Ok(()) => mine.push(t.elapsed().as_secs_f64() * 1000.0),
                        Err(error) => {
                            if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                                eprintln!("storage ceiling: {error:#}");
                            }
                        }
                    }
                }
                latencies
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .extend(mine);
                Ok(())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds.max(1)));
    stop.store(true, Ordering::Relaxed);
    for handle in handles {
        handle
            .join()
            .map_err(|_| anyhow::anyhow!("a writer panicked"))??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut all = latencies
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    all.sort_by(|a, b| a.total_cmp(b));
    let mut conn = pool.get()?;
    conn.transaction(|conn| {
        for table in WRITTEN.iter().rev() {
            let mark = after(&marks, table);
            with_conn!(conn, |c| diesel::sql_query(format!(
                "DELETE FROM {table} WHERE id > {mark}"
            ))
            .execute(c))?;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(CeilingResult {
        transactions: all.len() as u64,
        seconds: elapsed,
        p50_ms: percentile(&all, 50.0),
        p99_ms: percentile(&all, 99.0),
        errors: errors.load(Ordering::Relaxed),
    })
}
