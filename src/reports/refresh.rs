//! Keeps the stored report figures up to date: database triggers log every order whose
//! state or offers change (`report_changes`); a refresh takes a batch of logged orders,
//! computes their facts, applies the difference with their snapshots to the figures and
//! stores the new snapshots, all in one transaction. Running it twice, or twice at once,
//! counts nothing twice: the batch's log rows go in the same transaction, and refreshes take
//! turns (the state row's lock on PostgreSQL, the write lock on SQLite).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::facts::{LineSum, Offer, OrderFacts, OrderState, Outcome, Rollups};
use super::filters::Month;
use super::queries::ReportError;
use crate::db::schema::{
    institutions, order_assignments, order_lines, orders, report_changes, report_order_facts,
    report_state,
};
use crate::db::{Backend, Conn, DbError};
use crate::domain::Cents;
use crate::with_conn;

/// Orders folded in per transaction when draining a backlog nobody waits behind (a data
/// import, a restored backup): large enough to amortise the round trips.
pub const BATCH: i64 = 5000;

/// Orders folded in per transaction while the shop is taking orders. On SQLite a refresh
/// holds the only write lock: 5,000 orders took up to 650 ms under a rush of orders, every
/// order placed meanwhile waiting behind it; 250 keep each hold to a few milliseconds and
/// let the queued orders in between. On PostgreSQL a refresh locks only the figures, never
/// an order, so its batches are larger: each batch's fixed costs (the lock, the log's read,
/// a round trip per statement) are paid once for more orders, and the refresh takes less of
/// the cores that orders need.
pub fn live_batch(backend: Backend) -> i64 {
    match backend {
        Backend::Sqlite => 250,
        Backend::Postgres => 1000,
    }
}

/// Rows per multi-row statement.
const CHUNK: usize = 500;

#[derive(Queryable, Insertable, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = report_order_facts)]
struct FactsRow {
    order_id: i64,
    month: i32,
    authority_id: i64,
    placed_at: NaiveDateTime,
    lot_id: i64,
    supplier_id: Option<i64>,
    in_sales: bool,
    counted: bool,
    confirm_minutes: Option<i64>,
    confirm_whole: bool,
    flagged: bool,
    delivered: bool,
    on_time: bool,
    open_due: Option<NaiveDate>,
    watch: bool,
    offers: String,
}

impl FactsRow {
    fn of(facts: &OrderFacts) -> FactsRow {
        FactsRow {
            order_id: facts.order_id,
            month: facts.month.key(),
            authority_id: facts.authority_id,
            placed_at: facts.placed_at,
            lot_id: facts.lot_id,
            supplier_id: facts.supplier_id,
            in_sales: facts.in_sales,
            counted: facts.counted,
            confirm_minutes: facts.confirm_minutes,
            confirm_whole: facts.confirm_whole,
            flagged: facts.flagged,
            delivered: facts.delivered,
            on_time: facts.on_time,
            open_due: facts.open_due,
            watch: facts.watch(),
            offers: facts.offers_signature(),
        }
    }

    fn facts(self) -> Result<OrderFacts, ReportError> {
        let corrupt = || {
            ReportError::Db(DbError::Task(format!(
                "report snapshot of order {} is unreadable",
                self.order_id
            )))
        };
        Ok(OrderFacts {
            order_id: self.order_id,
            month: Month::from_key(self.month).ok_or_else(corrupt)?,
            authority_id: self.authority_id,
            placed_at: self.placed_at,
            lot_id: self.lot_id,
            supplier_id: self.supplier_id,
            in_sales: self.in_sales,
            counted: self.counted,
            confirm_minutes: self.confirm_minutes,
            confirm_whole: self.confirm_whole,
            flagged: self.flagged,
            delivered: self.delivered,
            on_time: self.on_time,
            open_due: self.open_due,
            offers: OrderFacts::parse_offers(&self.offers).ok_or_else(corrupt)?,
        })
    }
}

type OrderRow = (
    i64,
    i64,
    i64,
    String,
    NaiveDateTime,
    Option<i64>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    NaiveDate,
);

/// The orders' current state (orders that no longer exist are absent).
fn states(conn: &mut Conn, ids: &[i64]) -> Result<BTreeMap<i64, OrderState>, DbError> {
    let rows: Vec<OrderRow> = with_conn!(conn, |c| orders::table
        .inner_join(institutions::table.on(institutions::id.eq(orders::institution_id)))
        .filter(orders::id.eq_any(ids))
        .select((
            orders::id,
            institutions::competent_authority_id,
            orders::lot_id,
            orders::status,
            orders::placed_at,
            orders::confirmed_supplier_id,
            orders::confirmed_at,
            orders::breach_at,
            orders::delivered_at,
            orders::delivery_due,
        ))
        .load(c))?;
    let mut states: BTreeMap<i64, OrderState> = rows
        .into_iter()
        .map(|r| {
            (
                r.0,
                OrderState {
                    order_id: r.0,
                    authority_id: r.1,
                    lot_id: r.2,
                    status: r.3,
                    placed_at: r.4,
                    confirmed_supplier_id: r.5,
                    confirmed_at: r.6,
                    breach_at: r.7,
                    delivered_at: r.8,
                    delivery_due: r.9,
                    offers: Vec::new(),
                },
            )
        })
        .collect();
    let offers: Vec<(i64, i64, i32, Option<String>)> =
        with_conn!(conn, |c| order_assignments::table
            .filter(order_assignments::order_id.eq_any(ids))
            .select((
                order_assignments::order_id,
                order_assignments::supplier_id,
                order_assignments::rank,
                order_assignments::outcome,
            ))
            .load(c))?;
    for (order_id, supplier_id, rank, outcome) in offers {
        if let Some(state) = states.get_mut(&order_id) {
            state.offers.push(Offer {
                supplier_id,
                rank,
                outcome: Outcome::of_assignment(outcome.as_deref()),
            });
        }
    }
    Ok(states)
}

/// The orders' lines, summed per product and VAT rate.
fn lines(conn: &mut Conn, ids: &[i64]) -> Result<BTreeMap<i64, Vec<LineSum>>, ReportError> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let rows: Vec<(i64, i64, i32, i32, i64)> = with_conn!(conn, |c| order_lines::table
        .filter(order_lines::order_id.eq_any(ids))
        .select((
            order_lines::order_id,
            order_lines::product_id,
            order_lines::vat_rate_basis_points,
            order_lines::quantity,
            order_lines::unit_price_cents,
        ))
        .load(c))?;
    let mut sums: BTreeMap<(i64, i64, i32), (i64, Cents)> = BTreeMap::new();
    for (order_id, product_id, rate, quantity, unit_price) in rows {
        let net = Cents::new(unit_price)
            .checked_mul(quantity.max(0) as u32)
            .ok_or(crate::domain::MoneyError::Overflow)?;
        let entry = sums
            .entry((order_id, product_id, rate))
            .or_insert((0, Cents::ZERO));
        entry.0 += i64::from(quantity);
        entry.1 = entry
            .1
            .checked_add(net)
            .ok_or(crate::domain::MoneyError::Overflow)?;
    }
    let mut by_order: BTreeMap<i64, Vec<LineSum>> = BTreeMap::new();
    for ((order_id, product_id, rate_basis_points), (quantity, net)) in sums {
        by_order.entry(order_id).or_default().push(LineSum {
            product_id,
            rate_basis_points,
            quantity,
            net,
        });
    }
    Ok(by_order)
}

fn snapshots(conn: &mut Conn, ids: &[i64]) -> Result<BTreeMap<i64, OrderFacts>, ReportError> {
    let rows: Vec<FactsRow> = with_conn!(conn, |c| report_order_facts::table
        .filter(report_order_facts::order_id.eq_any(ids))
        .load(c))
    .map_err(DbError::from)?;
    rows.into_iter()
        .map(|row| Ok((row.order_id, row.facts()?)))
        .collect()
}

/// Adds `delta` to the stored figures, one multi-row upsert per table and chunk. Every value
/// is an integer or an outcome code, written into the statement as a literal.
fn apply(conn: &mut Conn, delta: &Rollups) -> Result<(), DbError> {
    fn upsert<K, V>(
        conn: &mut Conn,
        table: &str,
        keys: &str,
        values: &str,
        rows: Vec<(K, V)>,
        row: impl Fn(&mut String, &K, &V),
    ) -> Result<(), DbError> {
        let set = values
            .split(", ")
            .map(|v| format!("{v} = {table}.{v} + excluded.{v}"))
            .collect::<Vec<_>>()
            .join(", ");
        for chunk in rows.chunks(CHUNK) {
            let mut sql = format!("INSERT INTO {table} ({keys}, {values}) VALUES ");
            for (index, (key, value)) in chunk.iter().enumerate() {
                if index > 0 {
                    sql.push(',');
                }
                sql.push('(');
                row(&mut sql, key, value);
                sql.push(')');
            }
            let _ = write!(sql, " ON CONFLICT ({keys}) DO UPDATE SET {set}");
            with_conn!(conn, |c| diesel::sql_query(&sql).execute(c))?;
        }
        Ok(())
    }
    upsert(
        conn,
        "report_sales",
        "authority_id, month, lot_id, supplier_id, vat_rate_bp",
        "orders, quantity, net_cents, vat_cents",
        delta.sales.iter().collect(),
        |s, k, v| {
            let _ = write!(
                s,
                "{},{},{},{},{},{},{},{},{}",
                k.0, k.1, k.2, k.3, k.4, v[0], v[1], v[2], v[3]
            );
        },
    )?;
    upsert(
        conn,
        "report_product_sales",
        "authority_id, product_id, vat_rate_bp, month",
        "quantity, net_cents",
        delta.products.iter().collect(),
        |s, k, v| {
            let _ = write!(s, "{},{},{},{},{},{}", k.0, k.1, k.2, k.3, v[0], v[1]);
        },
    )?;
    upsert(
        conn,
        "report_offers",
        "authority_id, month, supplier_id, rank, outcome",
        "offers",
        delta.offers.iter().collect(),
        |s, k, v| {
            let _ = write!(s, "{},{},{},{},'{}',{}", k.0, k.1, k.2, k.3, k.4.code(), v);
        },
    )?;
    upsert(
        conn,
        "report_service",
        "authority_id, month",
        "counted, confirmed, delivered, on_time",
        delta.service.iter().collect(),
        |s, k, v| {
            let _ = write!(s, "{},{},{},{},{},{}", k.0, k.1, v[0], v[1], v[2], v[3]);
        },
    )?;
    upsert(
        conn,
        "report_confirmation_minutes",
        "authority_id, minutes, month",
        "orders, whole_minutes",
        delta.minutes.iter().collect(),
        |s, k, v| {
            let _ = write!(s, "{},{},{},{},{}", k.0, k.1, k.2, v[0], v[1]);
        },
    )?;
    Ok(())
}

fn store_snapshots(conn: &mut Conn, ids: &[i64], rows: &[FactsRow]) -> Result<(), DbError> {
    for chunk in ids.chunks(CHUNK) {
        with_conn!(conn, |c| diesel::delete(
            report_order_facts::table.filter(report_order_facts::order_id.eq_any(chunk))
        )
        .execute(c))?;
    }
    for chunk in rows.chunks(CHUNK) {
        with_conn!(conn, |c| diesel::insert_into(report_order_facts::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// Whether any order waits to be folded into the figures.
pub fn pending(conn: &mut Conn) -> Result<bool, DbError> {
    Ok(with_conn!(conn, |c| diesel::select(diesel::dsl::exists(
        report_changes::table.select(report_changes::id)
    ))
    .get_result::<bool>(c))?)
}

/// Folds up to `batch` logged changes into the figures, in one transaction. Returns how
/// many orders were refreshed (0 when nothing was pending).
pub fn refresh(conn: &mut Conn, batch: i64) -> Result<usize, ReportError> {
    Ok(refresh_batch(conn, batch)?.orders)
}

/// What one refresh transaction took.
struct Batch {
    /// Distinct orders refreshed.
    orders: usize,
    /// The batch was full: more changes may be waiting.
    full: bool,
}

fn refresh_batch(conn: &mut Conn, batch: i64) -> Result<Batch, ReportError> {
    conn.transaction(|conn| {
        if let Conn::Postgres(c) = conn {
            // Refreshes take turns; the statements after this one see what the previous
            // refresh committed.
            report_state::table
                .filter(report_state::id.eq(1))
                .select(report_state::id)
                .for_update()
                .load::<i32>(&mut **c)
                .map_err(DbError::from)?;
        }
        let changes: Vec<(i64, i64)> = with_conn!(conn, |c| report_changes::table
            .order(report_changes::id)
            .limit(batch)
            .select((report_changes::id, report_changes::order_id))
            .load(c))
        .map_err(DbError::from)?;
        if changes.is_empty() {
            return Ok(Batch {
                orders: 0,
                full: false,
            });
        }
        // Read after the log: every logged change is already visible in the orders.
        let ids: Vec<i64> = changes
            .iter()
            .map(|c| c.1)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let states = states(conn, &ids)?;
        let old = snapshots(conn, &ids)?;
        let new: BTreeMap<i64, OrderFacts> = states
            .iter()
            .map(|(id, state)| (*id, OrderFacts::of(state)))
            .collect();
        let changed: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| old.get(id) != new.get(id))
            .collect();
        let with_sales: Vec<i64> = changed
            .iter()
            .copied()
            .filter(|id| {
                old.get(id).is_some_and(|f| f.in_sales) || new.get(id).is_some_and(|f| f.in_sales)
            })
            .collect();
        let lines = lines(conn, &with_sales)?;
        let mut delta = Rollups::default();
        for id in &changed {
            let order_lines = lines.get(id).map(Vec::as_slice).unwrap_or(&[]);
            delta.add_change(old.get(id), new.get(id), order_lines)?;
        }
        delta.prune();
        apply(conn, &delta)?;
        let rows: Vec<FactsRow> = changed
            .iter()
            .filter_map(|id| new.get(id))
            .map(FactsRow::of)
            .collect();
        store_snapshots(conn, &changed, &rows)?;
        let done: Vec<i64> = changes.iter().map(|c| c.0).collect();
        for chunk in done.chunks(CHUNK) {
            with_conn!(conn, |c| diesel::delete(
                report_changes::table.filter(report_changes::id.eq_any(chunk))
            )
            .execute(c))
            .map_err(DbError::from)?;
        }
        with_conn!(conn, |c| diesel::update(report_state::table)
            .set(
                report_state::orders_refreshed
                    .eq(report_state::orders_refreshed + ids.len() as i64)
            )
            .execute(c))
        .map_err(DbError::from)?;
        Ok(Batch {
            orders: ids.len(),
            full: changes.len() as i64 >= batch,
        })
    })
}

/// Refreshes in short batches until one comes back short (nothing was left when it read the
/// log), letting other writers in between; returns how many orders were refreshed (an order
/// changed in two batches counts twice).
pub fn catch_up(conn: &mut Conn) -> Result<usize, ReportError> {
    let batch = live_batch(conn.backend());
    catch_up_in(conn, batch)
}

/// What a time-limited catch-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatchUp {
    /// Orders refreshed (an order changed in two batches counts twice).
    pub refreshed: usize,
    /// Changes were still waiting when the time was up.
    pub pending: bool,
}

/// Refreshes `batch` orders per transaction for about `limit` at most: at least one batch,
/// then batches until one comes back short or the time is up. The background worker's share
/// of a pass, so that a backlog of report changes (100,000 orders moved by an escalation
/// sweep log some 300,000) never holds the next escalation back behind it.
///
/// Whether anything waits is asked once, up front, so that an idle pass takes no lock: asked
/// before every batch, the question cost as much as a batch's read of the log, which the
/// trickle of deletions fills with dead rows until it is vacuumed.
pub fn catch_up_for(conn: &mut Conn, batch: i64, limit: Duration) -> Result<CatchUp, ReportError> {
    let started = Instant::now();
    let mut refreshed = 0;
    if !pending(conn)? {
        return Ok(CatchUp {
            refreshed,
            pending: false,
        });
    }
    loop {
        let done = refresh_batch(conn, batch)?;
        refreshed += done.orders;
        if !done.full {
            return Ok(CatchUp {
                refreshed,
                pending: false,
            });
        }
        if started.elapsed() >= limit {
            return Ok(CatchUp {
                refreshed,
                pending: true,
            });
        }
    }
}

/// [`catch_up`] with `batch` orders per transaction.
pub fn catch_up_in(conn: &mut Conn, batch: i64) -> Result<usize, ReportError> {
    Ok(catch_up_for(conn, batch, Duration::MAX)?.refreshed)
}

/// The figures counted from scratch from every order, as a check of the stored ones.
pub fn recount(conn: &mut Conn) -> Result<Rollups, ReportError> {
    let mut figures = Rollups::default();
    let mut after = 0;
    loop {
        let ids: Vec<i64> = with_conn!(conn, |c| orders::table
            .filter(orders::id.gt(after))
            .order(orders::id)
            .limit(BATCH)
            .select(orders::id)
            .load(c))
        .map_err(DbError::from)?;
        let Some(last) = ids.last() else {
            break;
        };
        after = *last;
        let states = states(conn, &ids)?;
        let lines = lines(conn, &ids)?;
        for (id, state) in &states {
            let order_lines = lines.get(id).map(Vec::as_slice).unwrap_or(&[]);
            figures.add_order(&OrderFacts::of(state), order_lines, 1)?;
        }
    }
    figures.prune();
    Ok(figures)
}

/// The stored figures, rows that add up to nothing left out.
pub fn stored(conn: &mut Conn) -> Result<Rollups, ReportError> {
    use crate::db::schema::{
        report_confirmation_minutes as m, report_offers as o, report_product_sales as p,
        report_sales as s, report_service as v,
    };
    let mut figures = Rollups::default();
    type SalesRow = (i64, i32, i64, i64, i32, i64, i64, i64, i64);
    let rows: Vec<SalesRow> = with_conn!(conn, |c| s::table
        .select((
            s::authority_id,
            s::month,
            s::lot_id,
            s::supplier_id,
            s::vat_rate_bp,
            s::orders,
            s::quantity,
            s::net_cents,
            s::vat_cents,
        ))
        .load(c))
    .map_err(DbError::from)?;
    for r in rows {
        figures
            .sales
            .insert((r.0, r.1, r.2, r.3, r.4), [r.5, r.6, r.7, r.8]);
    }
    let rows: Vec<(i64, i64, i32, i32, i64, i64)> = with_conn!(conn, |c| p::table
        .select((
            p::authority_id,
            p::product_id,
            p::vat_rate_bp,
            p::month,
            p::quantity,
            p::net_cents,
        ))
        .load(c))
    .map_err(DbError::from)?;
    for r in rows {
        figures.products.insert((r.0, r.1, r.2, r.3), [r.4, r.5]);
    }
    let rows: Vec<(i64, i32, i64, i32, String, i64)> = with_conn!(conn, |c| o::table
        .select((
            o::authority_id,
            o::month,
            o::supplier_id,
            o::rank,
            o::outcome,
            o::offers
        ))
        .load(c))
    .map_err(DbError::from)?;
    for r in rows {
        let outcome = Outcome::parse(&r.4).ok_or_else(|| {
            ReportError::Db(DbError::Task(format!("unknown offer outcome {}", r.4)))
        })?;
        figures.offers.insert((r.0, r.1, r.2, r.3, outcome), r.5);
    }
    let rows: Vec<(i64, i32, i64, i64, i64, i64)> = with_conn!(conn, |c| v::table
        .select((
            v::authority_id,
            v::month,
            v::counted,
            v::confirmed,
            v::delivered,
            v::on_time,
        ))
        .load(c))
    .map_err(DbError::from)?;
    for r in rows {
        figures.service.insert((r.0, r.1), [r.2, r.3, r.4, r.5]);
    }
    let rows: Vec<(i64, i64, i32, i64, i64)> = with_conn!(conn, |c| m::table
        .select((
            m::authority_id,
            m::minutes,
            m::month,
            m::orders,
            m::whole_minutes
        ))
        .load(c))
    .map_err(DbError::from)?;
    for r in rows {
        figures.minutes.insert((r.0, r.1, r.2), [r.3, r.4]);
    }
    figures.prune();
    Ok(figures)
}
