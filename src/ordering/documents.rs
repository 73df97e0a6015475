//! An order as the PEPPOL BIS Ordering 3 document the supplier's system receives.

use chrono::NaiveTime;

use super::view::{line_total, OrderView};
use crate::db::{parties, Conn};
use crate::domain::vat::VatRate;
use crate::domain::Language;
use crate::error::ServiceError;
use crate::ubl::order::{DeliveryLocation, DocumentTotals, OrderDocument, OrderLine, Party};

/// UNCL 5305: a positive rate is standard ("S"); 0 % in this shop means exempt care services.
fn vat_category(rate: VatRate) -> &'static str {
    if rate.basis_points() == 0 {
        "E"
    } else {
        "S"
    }
}

/// The time of day in Brussels, as the buyer's documents state it.
fn local_time_of(utc: chrono::NaiveDateTime) -> NaiveTime {
    (utc + crate::clock::brussels_offset(utc.and_utc())).time()
}

pub fn order_document(
    conn: &mut Conn,
    order: &OrderView,
    supplier_id: i64,
) -> Result<OrderDocument, ServiceError> {
    let o = &order.order;
    let institution = parties::institution(conn, o.institution_id)?
        .ok_or(ServiceError::NotFound("institution"))?;
    let supplier =
        parties::supplier(conn, supplier_id)?.ok_or(ServiceError::NotFound("supplier"))?;
    let address = parties::delivery_addresses_of(conn, o.institution_id)?
        .into_iter()
        .find(|a| a.id == o.delivery_address_id)
        .ok_or(ServiceError::NotFound("delivery address"))?;
    let language = order.language();
    let rate_of = |bp: i32| VatRate::from_basis_points(bp.max(0) as u32).unwrap_or(VatRate::ZERO);
    Ok(OrderDocument {
        id: o.reference.clone(),
        issue_date: crate::clock::brussels_date(o.placed_at.and_utc()),
        issue_time: Some(local_time_of(o.placed_at)),
        buyer_reference: o.buyer_reference.clone(),
        note: None,
        currency: "EUR".into(),
        requested_delivery_by: Some(o.delivery_due),
        buyer: Party {
            name: institution.name.clone(),
            enterprise_number: institution.enterprise_number.clone(),
            vat_number: Some(format!("BE{}", institution.enterprise_number)),
            street: institution.billing_street.clone(),
            city: institution.billing_city.clone(),
            postcode: institution.billing_postcode.clone(),
            country: "BE".into(),
            contact_name: Some(institution.contact_name.clone()).filter(|n| !n.is_empty()),
            contact_email: Some(institution.contact_email.clone()).filter(|e| !e.is_empty()),
        },
        seller: Party {
            name: supplier.name.clone(),
            enterprise_number: supplier.enterprise_number.clone(),
            vat_number: None,
            street: String::new(),
            city: String::new(),
            postcode: String::new(),
            country: "BE".into(),
            contact_name: None,
            contact_email: Some(supplier.email.clone()),
        },
        delivery: DeliveryLocation {
            label: Some(address.label.clone()).filter(|l| !l.is_empty()),
            street: address.street.clone(),
            city: address.city.clone(),
            postcode: address.postcode.clone(),
            country: "BE".into(),
        },
        lines: order
            .lines
            .iter()
            .enumerate()
            .map(|(index, l)| {
                let rate = rate_of(l.vat_rate_basis_points);
                OrderLine {
                    line_id: (index + 1).to_string(),
                    sku: l.sku.clone(),
                    name: match language {
                        Language::Fr => l.name_fr.clone(),
                        Language::Nl => l.name_nl.clone(),
                    },
                    quantity: l.quantity.max(0) as u32,
                    unit_code: l.unit_code.clone(),
                    unit_price_cents: l.unit_price_cents,
                    line_net_cents: line_total(l).cents(),
                    vat_category: vat_category(rate).into(),
                    vat_percent: rate.as_percent().to_string(),
                }
            })
            .collect(),
        totals: DocumentTotals {
            line_net_cents: order.totals.net.cents(),
            vat: order
                .totals
                .vat
                .iter()
                .map(|v| {
                    (
                        vat_category(v.rate).into(),
                        v.rate.as_percent().to_string(),
                        v.taxable.cents(),
                        v.vat.cents(),
                    )
                })
                .collect(),
            tax_total_cents: order.totals.vat_total.cents(),
            payable_cents: order.totals.gross.cents(),
        },
    })
}
