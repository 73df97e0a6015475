//! Orders waiting for a supplier's answer, written straight into the running shop's database
//! the way checkout writes them: the order routed to rank 1, its lines at that supplier's
//! prices, the open assignment numbered in the supplier feed, the placed and offered events.
//! The accept scenario answers them; the sweep scenario dates them so their deadline passed.

use chrono::{Duration, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

use centrale::db::schema::*;
use centrale::db::Conn;
use centrale::domain::working_days::BelgianCalendar;
use centrale::with_conn;

use crate::bulk_insert;
use crate::catalogue::{vat_basis_points, Reference};
use crate::history::WINDOW_MINUTES;
use crate::rows::{Assignment, Event, Order, OrderLine};

/// One routed order: its id, the supplier holding it and the next one in its cascade.
#[derive(Debug, Clone, Copy)]
pub struct Routed {
    pub order_id: i64,
    pub supplier_id: i64,
    pub second_supplier_id: i64,
}

fn max_id(conn: &mut Conn, table: &str) -> anyhow::Result<i64> {
    #[derive(QueryableByName)]
    struct Max {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        value: i64,
    }
    let sql = format!("SELECT COALESCE(MAX(id), 0) AS value FROM {table}");
    let row: Max = with_conn!(conn, |c| diesel::sql_query(&sql).get_result(c))?;
    Ok(row.value)
}

/// Writes `count` orders offered at `offered_at` to the first supplier of their lot's
/// cascade, in one transaction. Returns them in id order.
pub fn insert(
    conn: &mut Conn,
    reference: &Reference,
    count: usize,
    offered_at: NaiveDateTime,
    seed: u64,
) -> anyhow::Result<Vec<Routed>> {
    // The tables are locked without waiting, and the whole transaction tried again shortly
    // if a request of the previous scenario still holds one of them: waiting for the second
    // table while holding the first deadlocked with answers still in flight, which lock the
    // offer before the order.
    let mut attempts = 0;
    loop {
        match insert_once(conn, reference, count, offered_at, seed) {
            Err(error)
                if attempts < 200 && format!("{error:#}").contains("could not obtain lock") =>
            {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            outcome => return outcome,
        }
    }
}

fn insert_once(
    conn: &mut Conn,
    reference: &Reference,
    count: usize,
    offered_at: NaiveDateTime,
    seed: u64,
) -> anyhow::Result<Vec<Routed>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let calendar = BelgianCalendar::new(std::iter::empty());
    let day = centrale::clock::brussels_date(offered_at.and_utc());
    let deadline = offered_at + Duration::minutes(WINDOW_MINUTES);
    conn.transaction(|conn| {
        if let Conn::Postgres(c) = conn {
            let c: &mut diesel::PgConnection = c;
            c.batch_execute("LOCK TABLE orders, order_lines, order_assignments, order_events IN EXCLUSIVE MODE NOWAIT")?;
        }
        // PostgreSQL numbers feed changes itself (a trigger, from the transaction's id).
        let first_seq: Option<i64> = match conn {
            Conn::Postgres(_) => None,
            Conn::Sqlite(_) => Some(
                with_conn!(conn, |c| diesel::update(feed_sequence::table.find(1))
                    .set(feed_sequence::value.eq(feed_sequence::value + count as i64))
                    .returning(feed_sequence::value)
                    .get_result::<i64>(c))?
                    - count as i64,
            ),
        };
        let (mut order_id, mut line_id, mut assignment_id, mut event_id) = (
            max_id(conn, "orders")?,
            max_id(conn, "order_lines")?,
            max_id(conn, "order_assignments")?,
            max_id(conn, "order_events")?,
        );
        let mut orders = Vec::with_capacity(count);
        let mut lines = Vec::new();
        let mut assignments = Vec::with_capacity(count);
        let mut events = Vec::with_capacity(count * 2);
        let mut routed = Vec::with_capacity(count);
        for n in 0..count {
            order_id += 1;
            let institution = &reference.institution_plans[n % reference.institution_plans.len()];
            let lot = reference.lot_plans.choose(&mut rng).expect("lots");
            let supplier = lot.cascade[0];
            let wanted = rng.gen_range(1..4);
            let products: Vec<_> = lot.products.choose_multiple(&mut rng, wanted).collect();
            let mut net = 0;
            for product in &products {
                let quantity = product.order_multiple * rng.gen_range(1..5);
                net += product.prices[0] * i64::from(quantity);
                line_id += 1;
                lines.push(OrderLine {
                    id: line_id,
                    order_id,
                    product_id: product.id,
                    sku: product.sku.clone(),
                    name_fr: product.name_fr.clone(),
                    name_nl: product.name_nl.clone(),
                    unit_code: product.unit_code.clone(),
                    quantity,
                    vat_rate_basis_points: vat_basis_points(&product.vat_class, day),
                    unit_price_cents: product.prices[0],
                    displayed_unit_price_cents: product.prices[0],
                });
            }
            orders.push(Order {
                id: order_id,
                reference: format!("CMD-{order_id:06}"),
                checkout_id: format!("{:024x}", rng.gen::<u128>() >> 32),
                institution_id: institution.id,
                lot_id: lot.id,
                placed_by_user_id: None,
                placed_by_client_id: Some(institution.client_row_id),
                delivery_address_id: institution.address_ids[0],
                buyer_reference: None,
                language: institution.language.into(),
                status: "routed".into(),
                current_supplier_id: Some(supplier),
                current_rank: Some(1),
                response_deadline: Some(deadline),
                confirmed_supplier_id: None,
                confirmed_rank: None,
                confirmed_at: None,
                expected_delivery: None,
                delivery_due: calendar.add_working_days(day, 7),
                displayed_net_cents: net,
                placed_at: offered_at,
                updated_at: offered_at,
                notified_at: None,
                breach_at: None,
                shipped_at: None,
                delivered_at: None,
                carrier: None,
                tracking: None,
                parent_order_id: None,
            });
            assignment_id += 1;
            assignments.push(Assignment {
                id: assignment_id,
                order_id,
                supplier_id: supplier,
                rank: 1,
                offered_at,
                deadline,
                outcome: None,
                answered_at: None,
                reason: None,
                feed_seq: first_seq.map_or(-1, |first| first + n as i64 + 1),
                supplier_reference: None,
            });
            for (kind, from, to, details) in [
                ("placed", None, "placed", json!({ "lines": products.len(), "displayed_net_cents": net })),
                ("offered", Some("placed"), "routed", json!({ "deadline": deadline, "skipped": [] })),
            ] {
                event_id += 1;
                events.push(Event {
                    id: event_id,
                    order_id,
                    occurred_at: offered_at,
                    kind: kind.into(),
                    from_status: from.map(Into::into),
                    to_status: to.into(),
                    supplier_id: (kind == "offered").then_some(supplier),
                    rank: (kind == "offered").then_some(1),
                    actor_label: institution.client_label.clone(),
                    reason: None,
                    details: details.to_string(),
                });
            }
            routed.push(Routed {
                order_id,
                supplier_id: supplier,
                second_supplier_id: lot.cascade[1],
            });
        }
        bulk_insert!(conn, orders::table, &orders, 29);
        bulk_insert!(conn, order_lines::table, &lines, 11);
        bulk_insert!(conn, order_assignments::table, &assignments, 11);
        bulk_insert!(conn, order_events::table, &events, 11);
        if let Conn::Postgres(c) = conn {
            let c: &mut diesel::PgConnection = c;
            for table in ["orders", "order_lines", "order_assignments", "order_events"] {
                c.batch_execute(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                ))?;
            }
        }
        Ok(routed)
    })
}
