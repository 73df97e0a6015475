//! An order as people see it: lines, totals with VAT per rate, supplier, dates, history.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::db::catalogue::LotRow;
use crate::db::orders::{self as q, OrderEventRow, OrderLineRow, OrderRow};
use crate::db::parties::DeliveryAddressRow;
use crate::db::{catalogue as cq, parties, Conn, DbError};
use crate::domain::vat::{compute_totals, line_net, PricedLine, Totals, VatRate};
use crate::domain::{Cents, Language};

#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    pub order: OrderRow,
    pub lines: Vec<OrderLineRow>,
    pub totals: Totals,
    pub displayed_net: Cents,
    pub lot_reference: String,
    pub lot_title_fr: String,
    pub lot_title_nl: String,
    pub institution: String,
    pub delivery_address: String,
    pub current_supplier: Option<String>,
    pub confirmed_supplier: Option<String>,
    pub events: Vec<OrderEventRow>,
}

impl OrderView {
    pub fn lot_title(&self, language: Language) -> &str {
        match language {
            Language::Fr => &self.lot_title_fr,
            Language::Nl => &self.lot_title_nl,
        }
    }

    /// True when the confirmed total differs from what the institution saw when ordering.
    pub fn price_changed(&self) -> bool {
        self.totals.net != self.displayed_net
    }

    pub fn language(&self) -> Language {
        Language::parse(&self.order.language).unwrap_or_default()
    }
}

pub fn totals_of(lines: &[OrderLineRow]) -> Totals {
    let priced: Vec<PricedLine> = lines
        .iter()
        .map(|l| PricedLine {
            unit_price: Cents::new(l.unit_price_cents),
            quantity: l.quantity.max(0) as u32,
            vat_rate: VatRate::from_basis_points(l.vat_rate_basis_points.max(0) as u32)
                .unwrap_or(VatRate::ZERO),
        })
        .collect();
    compute_totals(&priced).unwrap_or(Totals {
        net: Cents::ZERO,
        vat: Vec::new(),
        vat_total: Cents::ZERO,
        gross: Cents::ZERO,
    })
}

pub fn line_total(line: &OrderLineRow) -> Cents {
    line_net(
        Cents::new(line.unit_price_cents),
        line.quantity.max(0) as u32,
    )
    .unwrap_or(Cents::ZERO)
}

fn supplier_name(conn: &mut Conn, id: Option<i64>) -> Result<Option<String>, DbError> {
    match id {
        Some(id) => Ok(parties::supplier(conn, id)?.map(|s| s.name)),
        None => Ok(None),
    }
}

/// A delivery address on one line, as orders and their emails show it.
pub fn address_label(address: &DeliveryAddressRow) -> String {
    let place = format!("{}, {} {}", address.street, address.postcode, address.city);
    if address.label.is_empty() {
        place
    } else {
        format!("{} — {place}", address.label)
    }
}

/// Everything an [`OrderView`] is made of, however it was gathered.
pub struct OrderParts<'a> {
    pub order: OrderRow,
    pub lines: Vec<OrderLineRow>,
    pub events: Vec<OrderEventRow>,
    pub lot: Option<&'a LotRow>,
    pub institution: Option<&'a str>,
    pub delivery_address: String,
    pub current_supplier: Option<String>,
    pub confirmed_supplier: Option<String>,
}

impl OrderView {
    pub fn assemble(parts: OrderParts<'_>) -> OrderView {
        let lot = parts.lot;
        OrderView {
            totals: totals_of(&parts.lines),
            displayed_net: Cents::new(parts.order.displayed_net_cents),
            lot_reference: lot.map(|l| l.reference.clone()).unwrap_or_default(),
            lot_title_fr: lot.map(|l| l.title_fr.clone()).unwrap_or_default(),
            lot_title_nl: lot.map(|l| l.title_nl.clone()).unwrap_or_default(),
            institution: parts.institution.unwrap_or_default().to_owned(),
            delivery_address: parts.delivery_address,
            current_supplier: parts.current_supplier,
            confirmed_supplier: parts.confirmed_supplier,
            events: parts.events,
            order: parts.order,
            lines: parts.lines,
        }
    }
}

pub fn load(conn: &mut Conn, order_id: i64) -> Result<Option<OrderView>, DbError> {
    let Some(order) = q::order(conn, order_id)? else {
        return Ok(None);
    };
    let lines = q::lines_of(conn, order.id)?;
    let lot = cq::lot_by_id(conn, order.lot_id)?;
    let institution = parties::institution(conn, order.institution_id)?;
    let address = parties::delivery_addresses_of(conn, order.institution_id)?
        .into_iter()
        .find(|a| a.id == order.delivery_address_id)
        .map(|a| address_label(&a))
        .unwrap_or_default();
    Ok(Some(OrderView::assemble(OrderParts {
        current_supplier: supplier_name(conn, order.current_supplier_id)?,
        confirmed_supplier: supplier_name(conn, order.confirmed_supplier_id)?,
        events: q::events_of(conn, order.id)?,
        lot: lot.as_ref(),
        institution: institution.as_ref().map(|i| i.name.as_str()),
        delivery_address: address,
        order,
        lines,
    })))
}

/// The views of many orders with a handful of queries, in the order of `ids` (missing
/// orders left out): the sweeps handle hundreds at a time.
pub fn load_many(conn: &mut Conn, ids: &[i64]) -> Result<Vec<OrderView>, DbError> {
    load_many_with(conn, ids, History::Included)
}

/// Whether [`load_many_with`] reads each order's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    Included,
    /// `events` stays empty: for listings that never show the history (the supplier feed).
    Left,
}

pub fn load_many_with(
    conn: &mut Conn,
    ids: &[i64],
    history: History,
) -> Result<Vec<OrderView>, DbError> {
    let orders = q::orders_by_ids(conn, ids)?;
    let mut lines: HashMap<i64, Vec<OrderLineRow>> = HashMap::new();
    for line in q::lines_of_orders(conn, ids)? {
        lines.entry(line.order_id).or_default().push(line);
    }
    let mut events: HashMap<i64, Vec<OrderEventRow>> = HashMap::new();
    if history == History::Included {
        for event in q::events_of_orders(conn, ids)? {
            events.entry(event.order_id).or_default().push(event);
        }
    }
    let lot_ids = distinct(orders.iter().map(|o| o.lot_id));
    let lots: HashMap<i64, LotRow> = cq::lots_by_ids(conn, &lot_ids)?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let institution_ids = distinct(orders.iter().map(|o| o.institution_id));
    let institutions: HashMap<i64, String> = parties::institution_names(conn, &institution_ids)?
        .into_iter()
        .collect();
    let addresses: HashMap<(i64, i64), String> =
        parties::delivery_addresses_of_institutions(conn, &institution_ids)?
            .iter()
            .map(|a| ((a.institution_id, a.id), address_label(a)))
            .collect();
    let supplier_ids = distinct(
        orders
            .iter()
            .flat_map(|o| [o.current_supplier_id, o.confirmed_supplier_id])
            .flatten(),
    );
    let suppliers: HashMap<i64, String> = cq::supplier_briefs(conn, &supplier_ids)?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let name = |id: Option<i64>| id.and_then(|id| suppliers.get(&id).cloned());
    let mut views: HashMap<i64, OrderView> = orders
        .into_iter()
        .map(|order| {
            let view = OrderView::assemble(OrderParts {
                lines: lines.remove(&order.id).unwrap_or_default(),
                events: events.remove(&order.id).unwrap_or_default(),
                lot: lots.get(&order.lot_id),
                institution: institutions.get(&order.institution_id).map(String::as_str),
                delivery_address: addresses
                    .get(&(order.institution_id, order.delivery_address_id))
                    .cloned()
                    .unwrap_or_default(),
                current_supplier: name(order.current_supplier_id),
                confirmed_supplier: name(order.confirmed_supplier_id),
                order,
            });
            (view.order.id, view)
        })
        .collect();
    Ok(ids.iter().filter_map(|id| views.remove(id)).collect())
}

/// The ids once each, sorted: the `IN (...)` list of a batch query.
pub fn distinct(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A short listing row.
#[derive(Debug, Clone, Serialize)]
pub struct OrderSummary {
    pub id: i64,
    pub reference: String,
    pub checkout_id: String,
    pub status: String,
    pub placed_at: NaiveDateTime,
    pub lot_id: i64,
    pub buyer_reference: Option<String>,
    pub expected_delivery: Option<NaiveDate>,
    pub delivery_due: NaiveDate,
    pub net: Cents,
    pub gross: Cents,
}

pub fn list_for_institution(
    conn: &mut Conn,
    institution_id: i64,
    limit: i64,
) -> Result<Vec<OrderSummary>, DbError> {
    let rows = q::orders_of_institution(conn, institution_id, limit)?;
    let mut out = Vec::with_capacity(rows.len());
    for order in rows {
        let totals = totals_of(&q::lines_of(conn, order.id)?);
        out.push(OrderSummary {
            id: order.id,
            reference: order.reference,
            checkout_id: order.checkout_id,
            status: order.status,
            placed_at: order.placed_at,
            lot_id: order.lot_id,
            buyer_reference: order.buyer_reference,
            expected_delivery: order.expected_delivery,
            delivery_due: order.delivery_due,
            net: totals.net,
            gross: totals.gross,
        });
    }
    Ok(out)
}
