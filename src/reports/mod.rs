//! Reports for the purchasing authority and its users' council: members per competent
//! authority, orders and sales per month, sales per product and per lot, the cascade at work
//! (per rank and per supplier) and the service levels promised to institutions.
//!
//! Which orders count as sales: those a supplier confirmed and that were not cancelled or
//! declared unfulfilled (`confirmed`, `cancellation_requested`, `shipped`, `delivered`), at
//! the confirmed supplier's unit prices (`order_lines.unit_price_cents`). A partially
//! accepted order keeps the accepted lines and its remainder order (`parent_order_id`)
//! carries the others, so each line counts once, in whichever order was confirmed. VAT is
//! computed per order and per rate exactly as the order documents state it, so the totals
//! match the orders to the cent.
//!
//! Reports cover whole months: the Brussels month in which the order was placed (a remainder
//! keeps its original's placing time). The figures are stored per month and competent
//! authority and kept up to date as orders change ([`refresh`]), so a report reads a few
//! thousand stored rows whatever the number of orders ([`queries`]).

pub mod charts;
pub mod facts;
pub mod filters;
pub mod queries;
pub mod refresh;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

pub use filters::{months_between, Filters, Month};

use crate::domain::vat::VatRate;
use crate::domain::working_days::BelgianCalendar;
use crate::domain::{Cents, Language, MoneyError};
use crate::export::{Cell, Table};

/// Order statuses whose amounts count as sales.
pub const SALES_STATUSES: [&str; 4] = [
    "confirmed",
    "cancellation_requested",
    "shipped",
    "delivered",
];

/// The reports, by the name their URLs use.
pub const REPORTS: [&str; 8] = [
    "members",
    "months",
    "products",
    "lots",
    "ranks",
    "suppliers",
    "service",
    "breaches",
];

/// How many breaches the page and the API show, newest first; the downloads list them all.
pub const BREACH_PAGE: usize = 100;

/// The middle value of values given as (value, how many times), in increasing order of
/// value: the mean of the two middle ones for an even count, rounded down; `None` without
/// values.
pub fn median_of_counts(counts: &[(i64, i64)]) -> Option<i64> {
    let total: i64 = counts.iter().map(|(_, n)| (*n).max(0)).sum();
    if total == 0 {
        return None;
    }
    // The values at (0-based) positions (total - 1) / 2 and total / 2.
    let (low_at, high_at) = ((total - 1) / 2, total / 2);
    let (mut low, mut high) = (None, None);
    let mut seen = 0;
    for (value, n) in counts {
        seen += (*n).max(0);
        if low.is_none() && seen > low_at {
            low = Some(*value);
        }
        if seen > high_at {
            high = Some(*value);
            break;
        }
    }
    Some((low? + high?).div_euclid(2))
}

/// `part / whole` as an exact decimal; `None` when there is nothing to divide.
pub fn share(part: i64, whole: i64) -> Option<Decimal> {
    if whole <= 0 {
        return None;
    }
    Decimal::from(part)
        .checked_div(Decimal::from(whole))
        .map(|s| s.normalize())
}

/// How many Belgian working days after its due date an order was (or is, still undelivered)
/// delivered; zero when on time.
pub fn working_days_late(
    calendar: &BelgianCalendar,
    due: NaiveDate,
    delivered_or_today: NaiveDate,
) -> u32 {
    calendar.working_days_between(due, delivered_or_today)
}

fn add(a: Cents, b: Cents) -> Result<Cents, MoneyError> {
    a.checked_add(b).ok_or(MoneyError::Overflow)
}

// ---------------------------------------------------------------------------------------
// The reports.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MemberRow {
    pub authority: String,
    pub name_fr: String,
    pub name_nl: String,
    pub members: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Amounts {
    pub orders: i64,
    #[schema(value_type = i64)]
    pub net_cents: Cents,
    #[schema(value_type = i64)]
    pub vat_cents: Cents,
    #[schema(value_type = i64)]
    pub gross_cents: Cents,
}

impl Amounts {
    pub const ZERO: Amounts = Amounts {
        orders: 0,
        net_cents: Cents::ZERO,
        vat_cents: Cents::ZERO,
        gross_cents: Cents::ZERO,
    };

    /// Orders with their net and VAT (each order's VAT as its documents state it).
    pub fn new(orders: i64, net: Cents, vat: Cents) -> Result<Amounts, MoneyError> {
        Ok(Amounts {
            orders,
            net_cents: net,
            vat_cents: vat,
            gross_cents: add(net, vat)?,
        })
    }

    fn add(&mut self, other: &Amounts) -> Result<(), MoneyError> {
        self.orders += other.orders;
        self.net_cents = add(self.net_cents, other.net_cents)?;
        self.vat_cents = add(self.vat_cents, other.vat_cents)?;
        self.gross_cents = add(self.gross_cents, other.gross_cents)?;
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MonthRow {
    #[schema(value_type = String, example = "2026-03")]
    pub month: Month,
    #[serde(flatten)]
    pub amounts: Amounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProductRow {
    pub product_id: i64,
    pub sku: String,
    pub name_fr: String,
    pub name_nl: String,
    pub lot: String,
    pub quantity: i64,
    #[schema(value_type = i64)]
    pub net_cents: Cents,
    #[schema(value_type = i64)]
    pub gross_cents: Cents,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LotRow {
    pub lot_id: i64,
    pub reference: String,
    pub title_fr: String,
    pub title_nl: String,
    pub quantity: i64,
    #[serde(flatten)]
    pub amounts: Amounts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Outcomes {
    /// Every offer made (including offers still open or withdrawn on cancellation).
    pub offered: i64,
    pub accepted: i64,
    pub declined: i64,
    pub timed_out: i64,
}

impl Outcomes {
    fn count(&mut self, outcome: Option<&str>, n: i64) {
        self.offered += n;
        match outcome {
            Some("accepted") => self.accepted += n,
            Some("declined") => self.declined += n,
            Some("timed_out") => self.timed_out += n,
            _ => {}
        }
    }

    /// The share of offers this rank or supplier did not take (declined or let time out),
    /// which moved the order down the cascade.
    pub fn failed_share(&self) -> Option<Decimal> {
        share(self.declined + self.timed_out, self.offered)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RankRow {
    pub rank: i32,
    #[serde(flatten)]
    pub outcomes: Outcomes,
    #[schema(value_type = Option<String>)]
    pub failed_share: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SupplierRow {
    pub supplier_id: i64,
    pub name: String,
    #[serde(flatten)]
    pub outcomes: Outcomes,
    #[serde(flatten)]
    pub sales: Amounts,
}

/// One order as the list of breaches reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderTimes {
    pub order_id: i64,
    pub reference: String,
    pub institution: String,
    pub status: String,
    pub placed_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub breach_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
    pub delivery_due: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Breach {
    pub order_id: i64,
    pub reference: String,
    pub institution: String,
    /// `confirmation` (not confirmed within 24 hours), `delivery` (delivered after its due
    /// date) or `overdue` (confirmed, due date passed, not delivered yet).
    pub kind: String,
    pub placed_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub delivery_due: NaiveDate,
    pub delivered_on: Option<NaiveDate>,
    /// Hours from placing to confirmation (confirmation breaches).
    #[schema(value_type = Option<String>)]
    pub hours_to_confirmation: Option<Decimal>,
    /// Belgian working days after the due date (delivery breaches).
    pub working_days_late: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ServiceLevels {
    /// Orders whose confirmation question is settled: confirmed, declared unfulfilled, or
    /// flagged past 24 hours (orders cancelled before confirmation do not count).
    pub orders_considered: i64,
    pub confirmed_within_24h: i64,
    #[schema(value_type = Option<String>)]
    pub confirmed_within_24h_share: Option<Decimal>,
    pub confirmed: i64,
    /// Median time from placing to confirmation, in whole minutes.
    pub median_minutes_to_confirmation: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub median_hours_to_confirmation: Option<Decimal>,
    pub delivered: i64,
    pub delivered_on_time: i64,
    #[schema(value_type = Option<String>)]
    pub delivered_on_time_share: Option<Decimal>,
    /// The newest breaches (all of them in downloads), newest first.
    pub breaches: Vec<Breach>,
    /// How many breaches the period has in all.
    pub breaches_total: i64,
}

/// Every report for one set of filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reports {
    pub filters: Filters,
    pub members: Vec<MemberRow>,
    pub members_total: i64,
    pub months: Vec<MonthRow>,
    pub months_total: Amounts,
    pub products: Vec<ProductRow>,
    pub lots: Vec<LotRow>,
    pub ranks: Vec<RankRow>,
    /// Share of the orders offered to a rank-1 supplier that it declined or let time out.
    #[serde(serialize_with = "ser_opt_decimal")]
    pub rank1_failed_share: Option<Decimal>,
    pub suppliers: Vec<SupplierRow>,
    pub service: ServiceLevels,
}

fn ser_opt_decimal<S: serde::Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    value.serialize(s)
}

/// Sales per month (every month of the period, zeros included) and their total.
pub fn monthly(
    filters: &Filters,
    sales: &[(Month, Amounts)],
) -> Result<(Vec<MonthRow>, Amounts), MoneyError> {
    let mut by_month: BTreeMap<Month, Amounts> = filters
        .months()
        .into_iter()
        .map(|m| (m, Amounts::ZERO))
        .collect();
    let mut total = Amounts::ZERO;
    for (month, amounts) in sales {
        by_month
            .entry(*month)
            .or_insert(Amounts::ZERO)
            .add(amounts)?;
        total.add(amounts)?;
    }
    Ok((
        by_month
            .into_iter()
            .map(|(month, amounts)| MonthRow { month, amounts })
            .collect(),
        total,
    ))
}

/// Per lot: sales and quantities, largest first.
pub fn per_lot(
    sales: &[(i64, i64, Amounts)],
    lots: &BTreeMap<i64, (String, String, String)>,
) -> Vec<LotRow> {
    let mut rows: Vec<LotRow> = sales
        .iter()
        .filter(|(_, quantity, amounts)| *quantity != 0 || amounts.orders != 0)
        .map(|(lot_id, quantity, amounts)| {
            let (reference, title_fr, title_nl) = lots.get(lot_id).cloned().unwrap_or_default();
            LotRow {
                lot_id: *lot_id,
                reference,
                title_fr,
                title_nl,
                quantity: *quantity,
                amounts: amounts.clone(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.amounts
            .gross_cents
            .cmp(&a.amounts.gross_cents)
            .then(a.reference.cmp(&b.reference))
    });
    rows
}

/// A product's net per VAT rate, as grouped by the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRateSum {
    pub product_id: i64,
    pub sku: String,
    pub name_fr: String,
    pub name_nl: String,
    pub lot: String,
    pub rate_basis_points: i32,
    pub quantity: i64,
    pub net: Cents,
}

/// Per product: VAT on the product's net at each rate. VAT is rounded per order on the
/// documents, so these incl.-VAT figures can differ by a few cents from the sum of the orders;
/// the monthly and per-lot reports carry the exact totals.
pub fn per_product(rows: &[ProductRateSum]) -> Result<Vec<ProductRow>, MoneyError> {
    let mut by_product: BTreeMap<i64, ProductRow> = BTreeMap::new();
    for row in rows {
        let rate = VatRate::from_basis_points(row.rate_basis_points.max(0) as u32)
            .map_err(|_| MoneyError::Overflow)?;
        let gross = add(row.net, rate.vat_on(row.net)?)?;
        let entry = by_product
            .entry(row.product_id)
            .or_insert_with(|| ProductRow {
                product_id: row.product_id,
                sku: row.sku.clone(),
                name_fr: row.name_fr.clone(),
                name_nl: row.name_nl.clone(),
                lot: row.lot.clone(),
                quantity: 0,
                net_cents: Cents::ZERO,
                gross_cents: Cents::ZERO,
            });
        entry.quantity += row.quantity;
        entry.net_cents = add(entry.net_cents, row.net)?;
        entry.gross_cents = add(entry.gross_cents, gross)?;
    }
    let mut products: Vec<ProductRow> = by_product.into_values().collect();
    products.sort_by(|a, b| b.net_cents.cmp(&a.net_cents).then(a.sku.cmp(&b.sku)));
    Ok(products)
}

/// Offers counted by supplier, rank and outcome (`None` while open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferCount {
    pub supplier_id: i64,
    pub rank: i32,
    pub outcome: Option<String>,
    pub count: i64,
}

/// The cascade at work: outcomes per rank (ranks 1 to 5, always shown) and per supplier,
/// with each supplier's sales.
pub fn cascade(
    offers: &[OfferCount],
    supplier_sales: &BTreeMap<i64, Amounts>,
    supplier_names: &BTreeMap<i64, String>,
) -> (Vec<RankRow>, Vec<SupplierRow>) {
    let mut ranks: BTreeMap<i32, Outcomes> = (1..=5).map(|r| (r, Outcomes::default())).collect();
    let mut suppliers: BTreeMap<i64, (Outcomes, Amounts)> = BTreeMap::new();
    for offer in offers.iter().filter(|o| o.count != 0) {
        ranks
            .entry(offer.rank)
            .or_default()
            .count(offer.outcome.as_deref(), offer.count);
        suppliers
            .entry(offer.supplier_id)
            .or_insert((Outcomes::default(), Amounts::ZERO))
            .0
            .count(offer.outcome.as_deref(), offer.count);
    }
    for (supplier, sales) in supplier_sales.iter().filter(|(_, s)| s.orders != 0) {
        suppliers
            .entry(*supplier)
            .or_insert((Outcomes::default(), Amounts::ZERO))
            .1 = sales.clone();
    }
    let ranks = ranks
        .into_iter()
        .map(|(rank, outcomes)| RankRow {
            rank,
            failed_share: outcomes.failed_share(),
            outcomes,
        })
        .collect();
    let mut suppliers: Vec<SupplierRow> = suppliers
        .into_iter()
        .map(|(supplier_id, (outcomes, sales))| SupplierRow {
            supplier_id,
            name: supplier_names
                .get(&supplier_id)
                .cloned()
                .unwrap_or_default(),
            outcomes,
            sales,
        })
        .collect();
    suppliers.sort_by(|a, b| {
        b.sales
            .gross_cents
            .cmp(&a.sales.gross_cents)
            .then(a.name.cmp(&b.name))
    });
    (ranks, suppliers)
}

fn brussels_day(instant: NaiveDateTime) -> NaiveDate {
    crate::clock::brussels_date(DateTime::<Utc>::from_naive_utc_and_offset(instant, Utc))
}

fn hours(minutes: i64) -> Decimal {
    (Decimal::from(minutes) / Decimal::from(60))
        .round_dp(2)
        .normalize()
}

/// The service figures of a period, summed over its months.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServiceTotals {
    pub counted: i64,
    pub delivered: i64,
    pub delivered_on_time: i64,
}

/// How many orders were confirmed after a number of whole minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinutesCount {
    pub minutes: i64,
    pub orders: i64,
    /// Of which confirmed after exactly that many minutes (no seconds more).
    pub whole: i64,
}

/// Confirmation within the limit, median time to confirmation, delivery within the promised
/// working days. `histogram` comes in increasing order of minutes.
pub fn service_levels(
    totals: ServiceTotals,
    histogram: &[MinutesCount],
    confirmation_limit: Duration,
) -> ServiceLevels {
    let limit = confirmation_limit.num_minutes();
    // Within a limit of L whole minutes: less than L minutes, or exactly L.
    let within: i64 = histogram
        .iter()
        .map(|h| match h.minutes.cmp(&limit) {
            std::cmp::Ordering::Less => h.orders,
            std::cmp::Ordering::Equal => h.whole,
            std::cmp::Ordering::Greater => 0,
        })
        .sum();
    let confirmed: i64 = histogram.iter().map(|h| h.orders).sum();
    let counts: Vec<(i64, i64)> = histogram.iter().map(|h| (h.minutes, h.orders)).collect();
    let median_minutes = median_of_counts(&counts);
    ServiceLevels {
        orders_considered: totals.counted,
        confirmed_within_24h: within,
        confirmed_within_24h_share: share(within, totals.counted),
        confirmed,
        median_minutes_to_confirmation: median_minutes,
        median_hours_to_confirmation: median_minutes.map(hours),
        delivered: totals.delivered,
        delivered_on_time: totals.delivered_on_time,
        delivered_on_time_share: share(totals.delivered_on_time, totals.delivered),
        breaches: Vec::new(),
        breaches_total: 0,
    }
}

/// One order's breaches: confirmed late (or flagged), delivered late, or overdue today.
pub fn breaches_of(
    order: &OrderTimes,
    calendar: &BelgianCalendar,
    confirmation_limit: Duration,
    today: NaiveDate,
) -> Vec<Breach> {
    let mut breaches = Vec::new();
    if order.status == "cancelled" && order.confirmed_at.is_none() {
        return breaches;
    }
    let waited = order.confirmed_at.map(|at| at - order.placed_at);
    let late_confirmation =
        order.breach_at.is_some() || waited.is_some_and(|w| w > confirmation_limit);
    let breach = |kind: &str, delivered_on: Option<NaiveDate>, late: Option<u32>| Breach {
        order_id: order.order_id,
        reference: order.reference.clone(),
        institution: order.institution.clone(),
        kind: kind.to_owned(),
        placed_at: order.placed_at,
        confirmed_at: order.confirmed_at,
        delivery_due: order.delivery_due,
        delivered_on,
        hours_to_confirmation: waited.map(|w| hours(w.num_minutes())),
        working_days_late: late,
    };
    if late_confirmation {
        breaches.push(breach("confirmation", None, None));
    }
    if let Some(at) = order.delivered_at {
        let day = brussels_day(at);
        if day > order.delivery_due {
            let late = working_days_late(calendar, order.delivery_due, day);
            breaches.push(breach("delivery", Some(day), Some(late)));
        }
    } else if matches!(
        order.status.as_str(),
        "confirmed" | "shipped" | "cancellation_requested"
    ) && order.delivery_due < today
    {
        let late = working_days_late(calendar, order.delivery_due, today);
        breaches.push(breach("overdue", None, Some(late)));
    }
    breaches
}

/// Newest first; an order's breaches in the order confirmation, delivery, overdue.
pub fn sort_breaches(breaches: &mut [Breach]) {
    breaches.sort_by(|a, b| {
        b.placed_at
            .cmp(&a.placed_at)
            .then(b.order_id.cmp(&a.order_id))
            .then(a.kind.cmp(&b.kind))
    });
}

// ---------------------------------------------------------------------------------------
// Tables for the page, CSV and XLSX: one source, so they cannot disagree.

fn localised<'a>(language: Language, fr: &'a str, nl: &'a str) -> &'a str {
    match language {
        Language::Fr => fr,
        Language::Nl => nl,
    }
}

fn ratio(value: Option<Decimal>) -> Cell {
    value.map(Cell::Ratio).unwrap_or(Cell::Empty)
}

/// The report `name` as a table, headers in `language` (`t` translates message keys).
pub fn table(
    reports: &Reports,
    name: &str,
    language: Language,
    t: &dyn Fn(&str) -> String,
) -> Option<Table> {
    let headers = |keys: &[&str]| keys.iter().map(|k| t(k)).collect::<Vec<_>>();
    let money = |c: Cents| Cell::Money(c);
    let table = match name {
        "members" => {
            let mut table = Table::new(
                t("report-members-sheet"),
                headers(&["report-col-authority", "report-col-members"]),
            );
            for row in &reports.members {
                table.push(vec![
                    Cell::text(localised(language, &row.name_fr, &row.name_nl)),
                    Cell::Integer(row.members),
                ]);
            }
            table.push(vec![
                Cell::text(t("report-total")),
                Cell::Integer(reports.members_total),
            ]);
            table
        }
        "months" => {
            let mut table = Table::new(
                t("report-months-sheet"),
                headers(&[
                    "report-col-month",
                    "report-col-orders",
                    "report-col-net",
                    "report-col-vat",
                    "report-col-gross",
                ]),
            );
            let mut push = |label: String, a: &Amounts| {
                table.push(vec![
                    Cell::Text(label),
                    Cell::Integer(a.orders),
                    money(a.net_cents),
                    money(a.vat_cents),
                    money(a.gross_cents),
                ]);
            };
            for row in &reports.months {
                push(row.month.to_string(), &row.amounts);
            }
            push(t("report-total"), &reports.months_total);
            table
        }
        "products" => {
            let mut table = Table::new(
                t("report-products-sheet"),
                headers(&[
                    "report-col-sku",
                    "report-col-product",
                    "report-col-lot",
                    "report-col-quantity",
                    "report-col-net",
                    "report-col-gross",
                ]),
            );
            for row in &reports.products {
                table.push(vec![
                    Cell::text(&row.sku),
                    Cell::text(localised(language, &row.name_fr, &row.name_nl)),
                    Cell::text(&row.lot),
                    Cell::Integer(row.quantity),
                    money(row.net_cents),
                    money(row.gross_cents),
                ]);
            }
            table
        }
        "lots" => {
            let mut table = Table::new(
                t("report-lots-sheet"),
                headers(&[
                    "report-col-lot",
                    "report-col-title",
                    "report-col-orders",
                    "report-col-quantity",
                    "report-col-net",
                    "report-col-vat",
                    "report-col-gross",
                ]),
            );
            for row in &reports.lots {
                table.push(vec![
                    Cell::text(&row.reference),
                    Cell::text(localised(language, &row.title_fr, &row.title_nl)),
                    Cell::Integer(row.amounts.orders),
                    Cell::Integer(row.quantity),
                    money(row.amounts.net_cents),
                    money(row.amounts.vat_cents),
                    money(row.amounts.gross_cents),
                ]);
            }
            table
        }
        "ranks" => {
            let mut table = Table::new(
                t("report-ranks-sheet"),
                headers(&[
                    "report-col-rank",
                    "report-col-offered",
                    "report-col-accepted",
                    "report-col-declined",
                    "report-col-timed-out",
                    "report-col-failed-share",
                ]),
            );
            for row in &reports.ranks {
                let o = &row.outcomes;
                table.push(vec![
                    Cell::Integer(i64::from(row.rank)),
                    Cell::Integer(o.offered),
                    Cell::Integer(o.accepted),
                    Cell::Integer(o.declined),
                    Cell::Integer(o.timed_out),
                    ratio(row.failed_share),
                ]);
            }
            table
        }
        "suppliers" => {
            let mut table = Table::new(
                t("report-suppliers-sheet"),
                headers(&[
                    "report-col-supplier",
                    "report-col-offered",
                    "report-col-accepted",
                    "report-col-declined",
                    "report-col-timed-out",
                    "report-col-orders",
                    "report-col-net",
                    "report-col-gross",
                ]),
            );
            for row in &reports.suppliers {
                let o = &row.outcomes;
                table.push(vec![
                    Cell::text(&row.name),
                    Cell::Integer(o.offered),
                    Cell::Integer(o.accepted),
                    Cell::Integer(o.declined),
                    Cell::Integer(o.timed_out),
                    Cell::Integer(row.sales.orders),
                    money(row.sales.net_cents),
                    money(row.sales.gross_cents),
                ]);
            }
            table
        }
        "service" => {
            let s = &reports.service;
            let mut table = Table::new(
                t("report-service-sheet"),
                headers(&["report-col-measure", "report-col-value"]),
            );
            table.push(vec![
                Cell::text(t("report-service-considered")),
                Cell::Integer(s.orders_considered),
            ]);
            table.push(vec![
                Cell::text(t("report-service-within-24h")),
                Cell::Integer(s.confirmed_within_24h),
            ]);
            table.push(vec![
                Cell::text(t("report-service-within-24h-share")),
                ratio(s.confirmed_within_24h_share),
            ]);
            table.push(vec![
                Cell::text(t("report-service-median-hours")),
                s.median_hours_to_confirmation
                    .map(Cell::Decimal)
                    .unwrap_or(Cell::Empty),
            ]);
            table.push(vec![
                Cell::text(t("report-service-delivered")),
                Cell::Integer(s.delivered),
            ]);
            table.push(vec![
                Cell::text(t("report-service-on-time")),
                Cell::Integer(s.delivered_on_time),
            ]);
            table.push(vec![
                Cell::text(t("report-service-on-time-share")),
                ratio(s.delivered_on_time_share),
            ]);
            table
        }
        "breaches" => {
            let (name, headers) = breach_sheet(t);
            let mut table = Table::new(name, headers);
            for b in &reports.service.breaches {
                table.push(breach_row(b, &t(&format!("report-kind-{}", b.kind))));
            }
            table
        }
        _ => return None,
    };
    Some(table)
}

/// The name and headers of the list of breaches as a table.
pub fn breach_sheet(t: &dyn Fn(&str) -> String) -> (String, Vec<String>) {
    let headers = [
        "report-col-order",
        "report-col-institution",
        "report-col-kind",
        "report-col-placed",
        "report-col-confirmed",
        "report-col-hours",
        "report-col-due",
        "report-col-delivered",
        "report-col-days-late",
    ];
    (
        t("report-breaches-sheet"),
        headers.iter().map(|k| t(k)).collect(),
    )
}

/// One breach as a row of that table; `kind` is the kind in words.
pub fn breach_row(b: &Breach, kind: &str) -> Vec<Cell> {
    vec![
        Cell::text(&b.reference),
        Cell::text(&b.institution),
        Cell::text(kind),
        Cell::DateTime(b.placed_at),
        b.confirmed_at.map(Cell::DateTime).unwrap_or(Cell::Empty),
        b.hours_to_confirmation
            .map(Cell::Decimal)
            .unwrap_or(Cell::Empty),
        Cell::Date(b.delivery_due),
        b.delivered_on.map(Cell::Date).unwrap_or(Cell::Empty),
        b.working_days_late
            .map(|d| Cell::Integer(i64::from(d)))
            .unwrap_or(Cell::Empty),
    ]
}

/// The JSON body of one report.
pub fn json(reports: &Reports, name: &str) -> Option<serde_json::Value> {
    use serde_json::json;
    let filters = &reports.filters;
    let data = match name {
        "members" => json!({ "rows": reports.members, "total": reports.members_total }),
        "months" => json!({ "rows": reports.months, "total": reports.months_total }),
        "products" => json!({ "rows": reports.products }),
        "lots" => json!({ "rows": reports.lots }),
        "ranks" => {
            json!({ "rows": reports.ranks, "rank1_failed_share": reports.rank1_failed_share })
        }
        "suppliers" => json!({ "rows": reports.suppliers }),
        "service" => {
            let mut value = json!(reports.service);
            if let Some(object) = value.as_object_mut() {
                object.remove("breaches");
                object.remove("breaches_total");
            }
            value
        }
        "breaches" => json!({
            "rows": reports.service.breaches,
            "total": reports.service.breaches_total,
        }),
        _ => return None,
    };
    Some(json!({
        "report": name,
        "from": filters.from,
        "until": filters.until,
        "authority": filters.authority,
        "data": data,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn at(y: i32, m: u32, day: u32, h: u32, min: u32) -> NaiveDateTime {
        d(y, m, day).and_hms_opt(h, min, 0).unwrap()
    }

    #[test]
    fn median_and_share() {
        assert_eq!(median_of_counts(&[]), None);
        assert_eq!(median_of_counts(&[(30, 1)]), Some(30));
        assert_eq!(median_of_counts(&[(10, 1), (30, 1), (90, 1)]), Some(30));
        assert_eq!(
            median_of_counts(&[(10, 1), (20, 1), (30, 1), (40, 1)]),
            Some(25)
        );
        assert_eq!(median_of_counts(&[(1, 1), (2, 1)]), Some(1));
        assert_eq!(median_of_counts(&[(5, 0), (7, 3), (100, 2)]), Some(7));
        assert_eq!(median_of_counts(&[(7, 2), (100, 2)]), Some(53));
        assert_eq!(share(1, 0), None);
        assert_eq!(share(3, 4), Some(Decimal::new(75, 2)));
        assert_eq!(
            share(1, 3).map(|s| s.round_dp(4)),
            Some(Decimal::new(3333, 4))
        );
    }

    fn amounts(orders: i64, net: i64, vat: i64) -> Amounts {
        Amounts::new(orders, Cents::new(net), Cents::new(vat)).unwrap()
    }

    #[test]
    fn every_month_of_the_period_shows_and_adds_up() {
        let filters = Filters {
            from: Month::new(2026, 1).unwrap(),
            until: Month::new(2026, 3).unwrap(),
            authority: None,
        };
        let march = Month::new(2026, 3).unwrap();
        let (months, total) = monthly(
            &filters,
            &[(march, amounts(2, 252, 15)), (march, amounts(1, 2, 0))],
        )
        .unwrap();
        assert_eq!(months.len(), 3);
        assert_eq!(months[0].amounts, Amounts::ZERO);
        assert_eq!(months[2].amounts, amounts(3, 254, 15));
        assert_eq!(total, amounts(3, 254, 15));
        assert_eq!(total.gross_cents, Cents::new(269));
    }

    #[test]
    fn cascade_counts_outcomes_per_rank_and_supplier() {
        let offer = |supplier_id, rank, outcome: Option<&str>, count| OfferCount {
            supplier_id,
            rank,
            outcome: outcome.map(str::to_owned),
            count,
        };
        let offers = vec![
            offer(1, 1, Some("accepted"), 2),
            offer(1, 1, Some("declined"), 1),
            offer(1, 1, Some("timed_out"), 1),
            offer(2, 2, Some("accepted"), 2),
            offer(2, 2, None, 1),
            offer(3, 3, None, 0),
        ];
        let sales = BTreeMap::from([(7, amounts(1, 1000, 210)), (8, Amounts::ZERO)]);
        let names = BTreeMap::from([(1, "A".to_owned()), (2, "B".to_owned())]);
        let (ranks, suppliers) = cascade(&offers, &sales, &names);
        assert_eq!(ranks.len(), 5);
        assert_eq!(
            ranks[0].outcomes,
            Outcomes {
                offered: 4,
                accepted: 2,
                declined: 1,
                timed_out: 1
            }
        );
        assert_eq!(ranks[0].failed_share, Some(Decimal::new(5, 1)));
        assert_eq!(ranks[1].failed_share, Some(Decimal::ZERO));
        assert_eq!(ranks[4].failed_share, None);
        assert_eq!(
            suppliers.len(),
            3,
            "supplier 7 has sales without offers in this sample; 3 and 8 have nothing"
        );
        let seven = suppliers.iter().find(|s| s.supplier_id == 7).unwrap();
        assert_eq!(seven.sales.gross_cents, Cents::new(1210));
    }

    #[test]
    fn service_levels_read_the_histogram() {
        // 1 h, 2 h, 3 h, 24 h exactly, 24 h and 30 s, 30 h.
        let histogram = [
            MinutesCount {
                minutes: 60,
                orders: 1,
                whole: 1,
            },
            MinutesCount {
                minutes: 120,
                orders: 1,
                whole: 1,
            },
            MinutesCount {
                minutes: 180,
                orders: 1,
                whole: 0,
            },
            MinutesCount {
                minutes: 1440,
                orders: 2,
                whole: 1,
            },
            MinutesCount {
                minutes: 1800,
                orders: 1,
                whole: 1,
            },
        ];
        let totals = ServiceTotals {
            counted: 8,
            delivered: 3,
            delivered_on_time: 2,
        };
        let s = service_levels(totals, &histogram, Duration::hours(24));
        assert_eq!(s.orders_considered, 8);
        assert_eq!(s.confirmed, 6);
        assert_eq!(s.confirmed_within_24h, 4);
        assert_eq!(s.confirmed_within_24h_share, Some(Decimal::new(5, 1)));
        assert_eq!(s.median_minutes_to_confirmation, Some(810));
        assert_eq!(s.median_hours_to_confirmation, Some(Decimal::new(135, 1)));
        assert_eq!((s.delivered, s.delivered_on_time), (3, 2));
        let none = service_levels(ServiceTotals::default(), &[], Duration::hours(24));
        assert_eq!(none.median_minutes_to_confirmation, None);
        assert_eq!(none.confirmed_within_24h_share, None);
    }

    fn times(
        id: i64,
        status: &str,
        confirmed_after_min: Option<i64>,
        delivered: Option<NaiveDate>,
    ) -> OrderTimes {
        let placed = at(2026, 3, 10, 9, 0);
        OrderTimes {
            order_id: id,
            reference: format!("CMD-{id}"),
            institution: "I".into(),
            status: status.into(),
            placed_at: placed,
            confirmed_at: confirmed_after_min.map(|m| placed + Duration::minutes(m)),
            breach_at: None,
            delivered_at: delivered.map(|d| d.and_hms_opt(12, 0, 0).unwrap()),
            delivery_due: d(2026, 3, 19),
        }
    }

    #[test]
    fn breaches_name_every_broken_promise() {
        let mut flagged = times(4, "routed", None, None);
        flagged.breach_at = Some(at(2026, 3, 11, 9, 5));
        let mut cancelled = times(5, "cancelled", None, None);
        cancelled.breach_at = Some(at(2026, 3, 11, 9, 5));
        let orders = [
            times(1, "delivered", Some(60), Some(d(2026, 3, 19))),
            times(2, "delivered", Some(25 * 60), Some(d(2026, 3, 23))),
            times(3, "confirmed", Some(120), None),
            flagged,
            cancelled,
            times(6, "routed", None, None),
            times(7, "unfulfilled", None, None),
            times(8, "confirmed", Some(24 * 60), None),
        ];
        let mut breaches: Vec<Breach> = orders
            .iter()
            .flat_map(|o| {
                breaches_of(
                    o,
                    &BelgianCalendar::default(),
                    Duration::hours(24),
                    d(2026, 3, 20),
                )
            })
            .collect();
        sort_breaches(&mut breaches);
        let kinds: Vec<_> = breaches
            .iter()
            .map(|b| (b.order_id, b.kind.as_str(), b.working_days_late))
            .collect();
        // 19 → 23 March 2026: Friday 20 and Monday 23 are working days.
        assert_eq!(
            kinds,
            [
                (8, "overdue", Some(1)),
                (4, "confirmation", None),
                (3, "overdue", Some(1)),
                (2, "confirmation", None),
                (2, "delivery", Some(2)),
            ]
        );
        assert_eq!(breaches[3].hours_to_confirmation, Some(Decimal::new(25, 0)));
    }

    #[test]
    fn products_get_vat_on_their_net_per_rate() {
        let rows = vec![
            ProductRateSum {
                product_id: 1,
                sku: "A".into(),
                name_fr: "a".into(),
                name_nl: "a".into(),
                lot: "L".into(),
                rate_basis_points: 2100,
                quantity: 3,
                net: Cents::new(3000),
            },
            ProductRateSum {
                product_id: 2,
                sku: "B".into(),
                name_fr: "b".into(),
                name_nl: "b".into(),
                lot: "L".into(),
                rate_basis_points: 600,
                quantity: 1,
                net: Cents::new(5000),
            },
        ];
        let p = per_product(&rows).unwrap();
        assert_eq!(p[0].sku, "B");
        assert_eq!(p[0].gross_cents, Cents::new(5300));
        assert_eq!(p[1].gross_cents, Cents::new(3630));
    }
}
