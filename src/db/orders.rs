//! Orders, their lines, supplier assignments, events, carts and idempotency keys.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{
    cart_lines, feed_sequence, idempotency_keys, order_assignments, order_events, order_lines,
    orders,
};
use super::{Conn, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: i64,
    pub reference: String,
    pub checkout_id: String,
    pub institution_id: i64,
    pub lot_id: i64,
    pub placed_by_user_id: Option<i64>,
    pub placed_by_client_id: Option<i64>,
    pub delivery_address_id: i64,
    pub buyer_reference: Option<String>,
    pub language: String,
    pub status: String,
    pub current_supplier_id: Option<i64>,
    pub current_rank: Option<i32>,
    pub response_deadline: Option<NaiveDateTime>,
    pub confirmed_supplier_id: Option<i64>,
    pub confirmed_rank: Option<i32>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub expected_delivery: Option<NaiveDate>,
    pub delivery_due: NaiveDate,
    pub displayed_net_cents: i64,
    pub placed_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub notified_at: Option<NaiveDateTime>,
    pub breach_at: Option<NaiveDateTime>,
    pub shipped_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
    pub carrier: Option<String>,
    pub tracking: Option<String>,
    pub parent_order_id: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = orders)]
pub struct NewOrder<'a> {
    /// `None` takes the next number; checkout takes numbers first ([`new_order_ids`]) so
    /// that an order is written whole, reference included.
    pub id: Option<i64>,
    pub reference: &'a str,
    pub checkout_id: &'a str,
    pub institution_id: i64,
    pub lot_id: i64,
    pub placed_by_user_id: Option<i64>,
    pub placed_by_client_id: Option<i64>,
    pub delivery_address_id: i64,
    pub buyer_reference: Option<&'a str>,
    pub language: &'a str,
    pub status: &'a str,
    pub delivery_due: NaiveDate,
    pub displayed_net_cents: i64,
    pub placed_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Where routing sent the order (`None` for an order not offered yet).
    pub current_supplier_id: Option<i64>,
    pub current_rank: Option<i32>,
    pub response_deadline: Option<NaiveDateTime>,
    pub notified_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = order_lines)]
pub struct OrderLineRow {
    pub id: i64,
    pub order_id: i64,
    pub product_id: i64,
    pub sku: String,
    pub name_fr: String,
    pub name_nl: String,
    pub unit_code: String,
    pub quantity: i32,
    pub vat_rate_basis_points: i32,
    pub unit_price_cents: i64,
    pub displayed_unit_price_cents: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = order_lines)]
pub struct NewOrderLine<'a> {
    pub order_id: i64,
    pub product_id: i64,
    pub sku: &'a str,
    pub name_fr: &'a str,
    pub name_nl: &'a str,
    pub unit_code: &'a str,
    pub quantity: i32,
    pub vat_rate_basis_points: i32,
    pub unit_price_cents: i64,
    pub displayed_unit_price_cents: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = order_assignments)]
pub struct AssignmentRow {
    pub id: i64,
    pub order_id: i64,
    pub supplier_id: i64,
    pub rank: i32,
    pub offered_at: NaiveDateTime,
    pub deadline: NaiveDateTime,
    pub outcome: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
    pub feed_seq: i64,
    pub supplier_reference: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = order_assignments)]
pub struct NewAssignment {
    pub order_id: i64,
    pub supplier_id: i64,
    pub rank: i32,
    pub offered_at: NaiveDateTime,
    pub deadline: NaiveDateTime,
    pub feed_seq: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = order_events)]
pub struct OrderEventRow {
    pub id: i64,
    pub order_id: i64,
    pub occurred_at: NaiveDateTime,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub supplier_id: Option<i64>,
    pub rank: Option<i32>,
    pub actor_label: String,
    pub reason: Option<String>,
    pub details: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = order_events)]
pub struct NewOrderEvent<'a> {
    pub order_id: i64,
    pub occurred_at: NaiveDateTime,
    pub kind: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    pub supplier_id: Option<i64>,
    pub rank: Option<i32>,
    pub actor_label: &'a str,
    pub reason: Option<&'a str>,
    pub details: &'a str,
}

/// Inserts an order and returns it as stored.
pub fn insert_order(conn: &mut Conn, new: &NewOrder<'_>) -> DbResult<OrderRow> {
    Ok(with_conn!(conn, |c| diesel::insert_into(orders::table)
        .values(new)
        .returning(OrderRow::as_returning())
        .get_result(c))?)
}

/// Numbers for `count` new orders, taken inside the writing transaction before they are
/// inserted, so that each order is written once with its reference: an insert and then an
/// update would write every index of `orders` twice. SQLite's writing transaction holds the
/// database's write lock, so the numbers are the ones after the highest, as SQLite itself
/// would give them; PostgreSQL draws them from the table's sequence.
pub fn new_order_ids(conn: &mut Conn, count: usize) -> DbResult<Vec<i64>> {
    use diesel::sql_types::BigInt;

    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let count = count as i64;
    match conn {
        Conn::Postgres(c) => Ok(diesel::sql_query(
            "SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id \
             FROM generate_series(1, $1)",
        )
        .bind::<BigInt, _>(count)
        .load::<Id>(&mut **c)?
        .into_iter()
        .map(|row| row.id)
        .collect()),
        Conn::Sqlite(c) => {
            let highest: Option<i64> = orders::table
                .select(diesel::dsl::max(orders::id))
                .first(&mut **c)?;
            let highest = highest.unwrap_or(0);
            Ok((highest + 1..=highest + count).collect())
        }
    }
}

pub fn insert_line(conn: &mut Conn, new: &NewOrderLine<'_>) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(
        order_lines::table
    )
    .values(new)
    .returning(order_lines::id)
    .get_result(c))?)
}

pub fn insert_event(conn: &mut Conn, new: &NewOrderEvent<'_>) -> DbResult<()> {
    with_conn!(conn, |c| diesel::insert_into(order_events::table)
        .values(new)
        .execute(c))?;
    Ok(())
}

pub fn insert_assignment(conn: &mut Conn, new: &NewAssignment) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(
        order_assignments::table
    )
    .values(new)
    .returning(order_assignments::id)
    .get_result(c))?)
}

pub fn order(conn: &mut Conn, id: i64) -> DbResult<Option<OrderRow>> {
    Ok(with_conn!(conn, |c| orders::table
        .find(id)
        .select(OrderRow::as_select())
        .get_result(c)
        .optional())?)
}

pub fn orders_of_institution(
    conn: &mut Conn,
    institution_id: i64,
    limit: i64,
) -> DbResult<Vec<OrderRow>> {
    Ok(with_conn!(conn, |c| orders::table
        .filter(orders::institution_id.eq(institution_id))
        .order(orders::id.desc())
        .limit(limit)
        .select(OrderRow::as_select())
        .load(c))?)
}

pub fn orders_of_checkout(conn: &mut Conn, checkout_id: &str) -> DbResult<Vec<OrderRow>> {
    Ok(with_conn!(conn, |c| orders::table
        .filter(orders::checkout_id.eq(checkout_id))
        .order(orders::id.asc())
        .select(OrderRow::as_select())
        .load(c))?)
}

pub fn lines_of(conn: &mut Conn, order_id: i64) -> DbResult<Vec<OrderLineRow>> {
    Ok(with_conn!(conn, |c| order_lines::table
        .filter(order_lines::order_id.eq(order_id))
        .order(order_lines::id.asc())
        .select(OrderLineRow::as_select())
        .load(c))?)
}

pub fn events_of(conn: &mut Conn, order_id: i64) -> DbResult<Vec<OrderEventRow>> {
    Ok(with_conn!(conn, |c| order_events::table
        .filter(order_events::order_id.eq(order_id))
        .order(order_events::id.asc())
        .select(OrderEventRow::as_select())
        .load(c))?)
}

pub fn assignments_of(conn: &mut Conn, order_id: i64) -> DbResult<Vec<AssignmentRow>> {
    Ok(with_conn!(conn, |c| order_assignments::table
        .filter(order_assignments::order_id.eq(order_id))
        .order(order_assignments::id.asc())
        .select(AssignmentRow::as_select())
        .load(c))?)
}

/// Closes the open assignment of an order with `outcome`, if `supplier_id` holds it.
/// Returns whether it did: a racing answer or sweep finds nothing left to close.
pub fn close_assignment(
    conn: &mut Conn,
    order_id: i64,
    supplier_id: i64,
    outcome: &str,
    now: NaiveDateTime,
    reason: Option<&str>,
) -> DbResult<bool> {
    let seq = next_feed_seq(conn)?;
    let updated = with_conn!(conn, |c| diesel::update(
        order_assignments::table
            .filter(order_assignments::order_id.eq(order_id))
            .filter(order_assignments::supplier_id.eq(supplier_id))
            .filter(order_assignments::outcome.is_null())
    )
    .set((
        order_assignments::outcome.eq(Some(outcome)),
        order_assignments::answered_at.eq(Some(now)),
        order_assignments::reason.eq(reason),
        order_assignments::feed_seq.eq(seq),
    ))
    .execute(c))?;
    Ok(updated == 1)
}

/// Ids of orders waiting on a supplier whose deadline has passed.
pub fn overdue(conn: &mut Conn, now: NaiveDateTime, limit: i64) -> DbResult<Vec<i64>> {
    Ok(with_conn!(conn, |c| orders::table
        .filter(orders::status.eq("routed"))
        .filter(orders::response_deadline.le(now))
        .order(orders::response_deadline.asc())
        .limit(limit)
        .select(orders::id)
        .load(c))?)
}

/// Orders neither confirmed nor reported unfulfilled `placed_before`, not yet flagged.
pub fn unflagged_late(
    conn: &mut Conn,
    placed_before: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<i64>> {
    use diesel::dsl::sql;
    use diesel::sql_types::Bool;
    // Written out, not bound, so that both databases see it is the condition of the
    // `orders_unflagged` partial index.
    let waiting = sql::<Bool>("breach_at IS NULL AND status IN ('placed', 'routed')");
    Ok(with_conn!(conn, |c| orders::table
        .filter(waiting)
        .filter(orders::placed_at.le(placed_before))
        .order(orders::placed_at.asc())
        .limit(limit)
        .select(orders::id)
        .load(c))?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cart_lines)]
pub struct CartLineRow {
    pub id: i64,
    pub user_id: i64,
    pub product_id: i64,
    pub quantity: i32,
    pub added_at: NaiveDateTime,
}

pub fn cart_of(conn: &mut Conn, user_id: i64) -> DbResult<Vec<CartLineRow>> {
    Ok(with_conn!(conn, |c| cart_lines::table
        .filter(cart_lines::user_id.eq(user_id))
        .order(cart_lines::id.asc())
        .select(CartLineRow::as_select())
        .load(c))?)
}

/// Sets a product's quantity in a cart (insert or replace).
pub fn set_cart_quantity(
    conn: &mut Conn,
    user_id: i64,
    product_id: i64,
    quantity: i32,
    now: NaiveDateTime,
) -> DbResult<()> {
    with_conn!(conn, |c| diesel::insert_into(cart_lines::table)
        .values((
            cart_lines::user_id.eq(user_id),
            cart_lines::product_id.eq(product_id),
            cart_lines::quantity.eq(quantity),
            cart_lines::added_at.eq(now),
        ))
        .on_conflict((cart_lines::user_id, cart_lines::product_id))
        .do_update()
        .set(cart_lines::quantity.eq(quantity))
        .execute(c))?;
    Ok(())
}

pub fn remove_from_cart(conn: &mut Conn, user_id: i64, product_id: i64) -> DbResult<()> {
    with_conn!(conn, |c| diesel::delete(
        cart_lines::table
            .filter(cart_lines::user_id.eq(user_id))
            .filter(cart_lines::product_id.eq(product_id))
    )
    .execute(c))?;
    Ok(())
}

pub fn clear_cart(conn: &mut Conn, user_id: i64) -> DbResult<()> {
    with_conn!(conn, |c| diesel::delete(
        cart_lines::table.filter(cart_lines::user_id.eq(user_id))
    )
    .execute(c))?;
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
pub struct SavedResponse {
    pub request_hash: String,
    pub response_status: i32,
    pub response_body: String,
}

pub fn saved_response(
    conn: &mut Conn,
    principal: &str,
    key: &str,
) -> DbResult<Option<SavedResponse>> {
    Ok(with_conn!(conn, |c| idempotency_keys::table
        .filter(idempotency_keys::principal.eq(principal))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .get_result(c)
        .optional())?)
}

pub fn save_response(
    conn: &mut Conn,
    principal: &str,
    key: &str,
    request_hash: &str,
    status: i32,
    body: &str,
    now: NaiveDateTime,
) -> DbResult<()> {
    with_conn!(conn, |c| diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::principal.eq(principal),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::response_status.eq(status),
            idempotency_keys::response_body.eq(body),
            idempotency_keys::created_at.eq(now),
        ))
        .execute(c))?;
    Ok(())
}

/// The number of a change in the supplier feed, to write with the change. On SQLite the next
/// value of the counter, whose row stays locked until commit, so numbers become visible in
/// order. On PostgreSQL a placeholder below zero that a trigger replaces at once with a number
/// made of the transaction's id (migration `feed_numbers_from_transaction_ids`): no row is
/// shared between writers, and [`feed`] holds back what a transaction still running may yet
/// commit below it.
pub fn next_feed_seq(conn: &mut Conn) -> DbResult<i64> {
    if let Conn::Postgres(_) = conn {
        return Ok(-1);
    }
    Ok(with_conn!(conn, |c| diesel::update(
        feed_sequence::table.find(1)
    )
    .set(feed_sequence::value.eq(feed_sequence::value + 1))
    .returning(feed_sequence::value)
    .get_result(c))?)
}

/// Marks a supplier's view of an order as changed, so its next poll sees it.
pub fn touch_assignment(conn: &mut Conn, order_id: i64, supplier_id: i64) -> DbResult<()> {
    let seq = next_feed_seq(conn)?;
    with_conn!(conn, |c| diesel::update(
        order_assignments::table
            .filter(order_assignments::order_id.eq(order_id))
            .filter(order_assignments::supplier_id.eq(supplier_id))
    )
    .set(order_assignments::feed_seq.eq(seq))
    .execute(c))?;
    Ok(())
}

/// A page of a supplier's feed.
#[derive(Debug)]
pub struct FeedPage {
    pub rows: Vec<AssignmentRow>,
    /// The page is short because changes already committed are held back behind a
    /// transaction still running (PostgreSQL only): the number of the first of them, which
    /// a page asked for shortly after shows.
    pub held_back: Option<i64>,
}

/// A supplier's feed: its assignments changed after `cursor`, oldest change first. On
/// PostgreSQL only numbers below `feed_visible_below()`, taken once before the page is read:
/// changes of transactions that had ended by then, so nothing can later appear between the
/// cursor and what is returned.
pub fn feed(conn: &mut Conn, supplier_id: i64, cursor: i64, limit: i64) -> DbResult<FeedPage> {
    use diesel::sql_types::BigInt;
    macro_rules! changed {
        () => {
            order_assignments::table
                .filter(order_assignments::supplier_id.eq(supplier_id))
                .filter(order_assignments::feed_seq.gt(cursor))
                .order(order_assignments::feed_seq.asc())
                .limit(limit)
                .select(AssignmentRow::as_select())
        };
    }
    match conn {
        Conn::Sqlite(c) => Ok(FeedPage {
            rows: changed!().load(&mut **c)?,
            held_back: None,
        }),
        Conn::Postgres(c) => {
            let c: &mut diesel::PgConnection = c;
            let bound: i64 =
                diesel::select(diesel::dsl::sql::<BigInt>("feed_visible_below()")).get_result(c)?;
            let rows: Vec<AssignmentRow> = changed!()
                .filter(order_assignments::feed_seq.lt(bound))
                .load(c)?;
            let held_back = if (rows.len() as i64) < limit {
                order_assignments::table
                    .filter(order_assignments::supplier_id.eq(supplier_id))
                    .filter(order_assignments::feed_seq.ge(bound.max(cursor + 1)))
                    .select(diesel::dsl::min(order_assignments::feed_seq))
                    .get_result(c)?
            } else {
                None
            };
            Ok(FeedPage { rows, held_back })
        }
    }
}

pub fn assignment(
    conn: &mut Conn,
    order_id: i64,
    supplier_id: i64,
) -> DbResult<Option<AssignmentRow>> {
    Ok(with_conn!(conn, |c| order_assignments::table
        .filter(order_assignments::order_id.eq(order_id))
        .filter(order_assignments::supplier_id.eq(supplier_id))
        .select(AssignmentRow::as_select())
        .get_result(c)
        .optional())?)
}

/// Empties a cart and returns what it held, `(product_id, quantity)`. Deleting first means
/// a concurrent checkout of the same cart waits for this one and then finds nothing.
pub fn take_cart(conn: &mut Conn, user_id: i64) -> DbResult<Vec<(i64, i32)>> {
    Ok(with_conn!(conn, |c| diesel::delete(
        cart_lines::table.filter(cart_lines::user_id.eq(user_id))
    )
    .returning((cart_lines::product_id, cart_lines::quantity))
    .get_results(c))?)
}

// --- Many rows at once: a checkout's lines and events, and the sweeps, which handle a batch
// of orders per transaction.

pub fn insert_lines(conn: &mut Conn, new: &[NewOrderLine<'_>]) -> DbResult<Vec<OrderLineRow>> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    Ok(with_conn!(conn, |c| diesel::insert_into(
        order_lines::table
    )
    .values(new)
    .returning(OrderLineRow::as_returning())
    .get_results(c))?)
}

/// Inserts events in the order given, so each order's history keeps its sequence.
pub fn insert_events(conn: &mut Conn, new: &[NewOrderEvent<'_>]) -> DbResult<Vec<OrderEventRow>> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    Ok(with_conn!(conn, |c| diesel::insert_into(
        order_events::table
    )
    .values(new)
    .returning(OrderEventRow::as_returning())
    .get_results(c))?)
}

pub fn insert_assignments(conn: &mut Conn, new: &[NewAssignment]) -> DbResult<()> {
    if !new.is_empty() {
        with_conn!(conn, |c| diesel::insert_into(order_assignments::table)
            .values(new)
            .execute(c))?;
    }
    Ok(())
}

/// The part of the due orders one escalation sweep handles: those whose id leaves `index`
/// when divided by `of`. Sweeps of different parts touch different orders and run side by
/// side; [`EscalationShare::WHOLE`] is every order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscalationShare {
    pub index: i32,
    pub of: i32,
}

impl EscalationShare {
    pub const WHOLE: EscalationShare = EscalationShare { index: 0, of: 1 };

    /// The `of` shares that together cover every order (at least one).
    pub fn all(of: i32) -> impl Iterator<Item = EscalationShare> {
        let of = of.max(1);
        (0..of).map(move |index| EscalationShare { index, of })
    }
}

/// Makes the escalation batches of concurrent workers on the same share take turns, until
/// the transaction ends. SQLite writes one transaction at a time anyway; on PostgreSQL a
/// transaction-scoped advisory lock per share (the keys: a hash of a fixed name with the
/// number of shares, and the share's index). Workers configured with different numbers of
/// shares do not exclude each other, which is safe, since every update checks that the order
/// is still as read; they would only roll back each other's batches now and then.
pub fn lock_escalation(conn: &mut Conn, share: EscalationShare) -> DbResult<()> {
    if let Conn::Postgres(c) = conn {
        use diesel::sql_types::{Integer, Text};
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1), $2)")
            .bind::<Text, _>(format!("order_assignments.escalation/{}", share.of))
            .bind::<Integer, _>(share.index)
            .execute(&mut **c)?;
    }
    Ok(())
}

/// Takes `count` numbers of the supplier feed at once and returns the first; the rest follow
/// it. Same locking, and on PostgreSQL the same placeholders (all below zero), as
/// [`next_feed_seq`]; there the trigger numbers the rows in the order they are written.
pub fn take_feed_seqs(conn: &mut Conn, count: i64) -> DbResult<i64> {
    if let Conn::Postgres(_) = conn {
        return Ok(-count.max(1));
    }
    let last: i64 = with_conn!(conn, |c| diesel::update(feed_sequence::table.find(1))
        .set(feed_sequence::value.eq(feed_sequence::value + count))
        .returning(feed_sequence::value)
        .get_result(c))?;
    Ok(last - count + 1)
}

/// Orders of `share` waiting on a supplier whose deadline has passed, the longest overdue
/// first.
pub fn overdue_orders(
    conn: &mut Conn,
    now: NaiveDateTime,
    limit: i64,
    share: EscalationShare,
) -> DbResult<Vec<OrderRow>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Bool};
    // A macro, so each backend's arm builds its own query.
    macro_rules! due {
        () => {
            orders::table
                .filter(orders::status.eq("routed"))
                .filter(orders::response_deadline.le(now))
                .order(orders::response_deadline.asc())
                .limit(limit)
                .select(OrderRow::as_select())
        };
    }
    if share.of <= 1 {
        return Ok(with_conn!(conn, |c| due!().load(c))?);
    }
    let in_share = || {
        sql::<Bool>("orders.id % ")
            .bind::<BigInt, _>(i64::from(share.of))
            .sql(" = ")
            .bind::<BigInt, _>(i64::from(share.index))
    };
    Ok(with_conn!(conn, |c| due!().filter(in_share()).load(c))?)
}

pub fn orders_by_ids(conn: &mut Conn, ids: &[i64]) -> DbResult<Vec<OrderRow>> {
    Ok(with_conn!(conn, |c| orders::table
        .filter(orders::id.eq_any(ids))
        .order(orders::id.asc())
        .select(OrderRow::as_select())
        .load(c))?)
}

pub fn lines_of_orders(conn: &mut Conn, order_ids: &[i64]) -> DbResult<Vec<OrderLineRow>> {
    Ok(with_conn!(conn, |c| order_lines::table
        .filter(order_lines::order_id.eq_any(order_ids))
        .order(order_lines::id.asc())
        .select(OrderLineRow::as_select())
        .load(c))?)
}

pub fn events_of_orders(conn: &mut Conn, order_ids: &[i64]) -> DbResult<Vec<OrderEventRow>> {
    Ok(with_conn!(conn, |c| order_events::table
        .filter(order_events::order_id.eq_any(order_ids))
        .order(order_events::id.asc())
        .select(OrderEventRow::as_select())
        .load(c))?)
}

pub fn assignments_of_orders(conn: &mut Conn, order_ids: &[i64]) -> DbResult<Vec<AssignmentRow>> {
    Ok(with_conn!(conn, |c| order_assignments::table
        .filter(order_assignments::order_id.eq_any(order_ids))
        .order(order_assignments::id.asc())
        .select(AssignmentRow::as_select())
        .load(c))?)
}

/// Closes the open assignment of an order held by `supplier_id` with a feed number taken
/// beforehand; false when there was none left to close.
pub fn close_assignment_at(
    conn: &mut Conn,
    order_id: i64,
    supplier_id: i64,
    outcome: &str,
    now: NaiveDateTime,
    reason: Option<&str>,
    feed_seq: i64,
) -> DbResult<bool> {
    let updated = with_conn!(conn, |c| diesel::update(
        order_assignments::table
            .filter(order_assignments::order_id.eq(order_id))
            .filter(order_assignments::supplier_id.eq(supplier_id))
            .filter(order_assignments::outcome.is_null())
    )
    .set((
        order_assignments::outcome.eq(Some(outcome)),
        order_assignments::answered_at.eq(Some(now)),
        order_assignments::reason.eq(reason),
        order_assignments::feed_seq.eq(feed_seq),
    ))
    .execute(c))?;
    Ok(updated == 1)
}

/// The breach marks of a batch: what the order looked like when it was flagged.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct FlaggedOrder {
    pub id: i64,
    pub status: String,
    pub current_supplier_id: Option<i64>,
    pub current_rank: Option<i32>,
    pub response_deadline: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// Marks as breached those of `ids` still unconfirmed and not flagged yet; returns them.
pub fn flag_breached(
    conn: &mut Conn,
    ids: &[i64],
    now: NaiveDateTime,
) -> DbResult<Vec<FlaggedOrder>> {
    Ok(with_conn!(conn, |c| diesel::update(
        orders::table
            .filter(orders::id.eq_any(ids))
            .filter(orders::breach_at.is_null())
            .filter(orders::status.eq_any(["placed", "routed"]))
    )
    .set(orders::breach_at.eq(Some(now)))
    .returning((
        orders::id,
        orders::status,
        orders::current_supplier_id,
        orders::current_rank,
        orders::response_deadline,
        orders::updated_at,
    ))
    .get_results(c))?)
}

/// One order of an escalation batch leaving the supplier that let its deadline pass.
#[derive(Debug, Clone)]
pub struct OverdueMove {
    pub order_id: i64,
    /// The silent supplier, whose open offer is closed.
    pub from_supplier_id: i64,
    /// The closed offer's place in that supplier's feed.
    pub closed_feed_seq: i64,
    pub status: &'static str,
    /// The next supplier and its rank; `None` when no supplier of the cascade is left.
    pub next: Option<(i64, i32)>,
}

/// Closes the timed-out offers of a batch and moves its orders on: an offered order waits on
/// its next supplier until `deadline`, an unfulfilled one waits on nobody and counts as told.
/// Only orders still waiting on the supplier the batch read change. Returns whether every
/// offer and order was still as read (the caller rolls the batch back otherwise).
///
/// On PostgreSQL the whole batch is two statements, since a statement per order costs a
/// round trip each (100,000 orders took a minute that way); SQLite runs in-process, where a
/// statement per row is as cheap and stays simple.
pub fn move_overdue(
    conn: &mut Conn,
    moves: &[OverdueMove],
    outcome: &str,
    reason: &str,
    now: NaiveDateTime,
    deadline: NaiveDateTime,
) -> DbResult<bool> {
    if moves.is_empty() {
        return Ok(true);
    }
    match conn {
        Conn::Postgres(c) => move_overdue_set_based(c, moves, outcome, reason, now, deadline),
        Conn::Sqlite(_) => {
            for m in moves {
                if !close_assignment_at(
                    conn,
                    m.order_id,
                    m.from_supplier_id,
                    outcome,
                    now,
                    Some(reason),
                    m.closed_feed_seq,
                )? {
                    return Ok(false);
                }
                let target = orders::table
                    .filter(orders::id.eq(m.order_id))
                    .filter(orders::status.eq("routed"))
                    .filter(orders::current_supplier_id.eq(m.from_supplier_id));
                let moved = match m.next {
                    Some((supplier, rank)) => with_conn!(conn, |c| diesel::update(target)
                        .set((
                            orders::status.eq(m.status),
                            orders::current_supplier_id.eq(Some(supplier)),
                            orders::current_rank.eq(Some(rank)),
                            orders::response_deadline.eq(Some(deadline)),
                            orders::updated_at.eq(now),
                        ))
                        .execute(c))?,
                    None => with_conn!(conn, |c| diesel::update(target)
                        .set((
                            orders::status.eq(m.status),
                            orders::current_supplier_id.eq(None::<i64>),
                            orders::current_rank.eq(None::<i32>),
                            orders::response_deadline.eq(None::<NaiveDateTime>),
                            orders::updated_at.eq(now),
                            orders::notified_at.eq(Some(now)),
                        ))
                        .execute(c))?,
                };
                if moved != 1 {
                    return Ok(false);
                }
            }
            Ok(true)
        }
    }
}

fn move_overdue_set_based(
    c: &mut diesel::PgConnection,
    moves: &[OverdueMove],
    outcome: &str,
    reason: &str,
    now: NaiveDateTime,
    deadline: NaiveDateTime,
) -> DbResult<bool> {
    use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamp};
    let ids: Vec<i64> = moves.iter().map(|m| m.order_id).collect();
    let from: Vec<i64> = moves.iter().map(|m| m.from_supplier_id).collect();
    let seqs: Vec<i64> = moves.iter().map(|m| m.closed_feed_seq).collect();
    let statuses: Vec<&str> = moves.iter().map(|m| m.status).collect();
    let next_suppliers: Vec<Option<i64>> = moves.iter().map(|m| m.next.map(|n| n.0)).collect();
    let next_ranks: Vec<Option<i32>> = moves.iter().map(|m| m.next.map(|n| n.1)).collect();
    // Both statements find their rows by a unique key from the batch, one probe per row. The
    // open offers are not written `outcome IS NULL`: that would let the planner read the
    // whole partial index of open offers instead, which a burst grows by 100,000 entries while
    // the statistics still say it is nearly empty until the next ANALYZE. The planner then
    // hashed the whole index for every batch: 150-300 ms a statement instead of 20, which
    // doubled a sweep of 100,000 orders. (`outcome` is never the empty string.)
    let closed = diesel::sql_query(
        "UPDATE order_assignments AS a \
         SET outcome = $1, answered_at = $2, reason = $3, feed_seq = v.seq \
         FROM unnest($4::bigint[], $5::bigint[], $6::bigint[]) AS v(order_id, supplier_id, seq) \
         WHERE a.order_id = v.order_id AND a.supplier_id = v.supplier_id \
           AND coalesce(a.outcome, '') = ''",
    )
    .bind::<Text, _>(outcome)
    .bind::<Timestamp, _>(now)
    .bind::<Text, _>(reason)
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<BigInt>, _>(&from)
    .bind::<Array<BigInt>, _>(&seqs)
    .execute(c)?;
    if closed != moves.len() {
        return Ok(false);
    }
    let moved = diesel::sql_query(
        "UPDATE orders AS o \
         SET status = v.status, current_supplier_id = v.supplier, current_rank = v.rank, \
             response_deadline = CASE WHEN v.supplier IS NULL THEN NULL ELSE $2 END, \
             updated_at = $1, \
             notified_at = CASE WHEN v.supplier IS NULL THEN $1 ELSE o.notified_at END \
         FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::int[]) \
              AS v(id, from_supplier, status, supplier, rank) \
         WHERE o.id = v.id AND o.status = 'routed' AND o.current_supplier_id = v.from_supplier",
    )
    .bind::<Timestamp, _>(now)
    .bind::<Timestamp, _>(deadline)
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<BigInt>, _>(&from)
    .bind::<Array<Text>, _>(&statuses)
    .bind::<Array<Nullable<BigInt>>, _>(&next_suppliers)
    .bind::<Array<Nullable<Integer>>, _>(&next_ranks)
    .execute(c)?;
    Ok(moved == moves.len())
}
