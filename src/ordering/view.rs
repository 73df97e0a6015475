//! An order as people see it: lines, totals with VAT per rate, supplier, dates, history.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::db::orders::{self as q, OrderEventRow, OrderLineRow, OrderRow};
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

pub fn load(conn: &mut Conn, order_id: i64) -> Result<Option<OrderView>, DbError> {
    let Some(order) = q::order(conn, order_id)? else {
        return Ok(None);
    };
    let lines = q::lines_of(conn, order.id)?;
    let totals = totals_of(&lines);
    let lot = cq::lot_by_id(conn, order.lot_id)?;
    let institution = parties::institution(conn, order.institution_id)?;
    let address = parties::delivery_addresses_of(conn, order.institution_id)?
        .into_iter()
        .find(|a| a.id == order.delivery_address_id)
        .map(|a| {
            let place = format!("{}, {} {}", a.street, a.postcode, a.city);
            if a.label.is_empty() {
                place
            } else {
                format!("{} — {place}", a.label)
            }
        })
        .unwrap_or_default();
    Ok(Some(OrderView {
        current_supplier: supplier_name(conn, order.current_supplier_id)?,
        confirmed_supplier: supplier_name(conn, order.confirmed_supplier_id)?,
        events: q::events_of(conn, order.id)?,
        displayed_net: Cents::new(order.displayed_net_cents),
        lot_reference: lot
            .as_ref()
            .map(|l| l.reference.clone())
            .unwrap_or_default(),
        lot_title_fr: lot.as_ref().map(|l| l.title_fr.clone()).unwrap_or_default(),
        lot_title_nl: lot.as_ref().map(|l| l.title_nl.clone()).unwrap_or_default(),
        institution: institution.map(|i| i.name).unwrap_or_default(),
        delivery_address: address,
        order,
        lines,
        totals,
    }))
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
