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
//! match the orders to the cent. Months and the date filter use the Brussels date on which
//! the order was placed (a remainder keeps its original's placing time).

pub mod charts;
pub mod queries;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::vat::{compute_totals, PricedLine, VatRate};
use crate::domain::working_days::BelgianCalendar;
use crate::domain::{Cents, Language, MoneyError};
use crate::export::{Cell, Table};
use crate::validation::ValidationErrors;

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

/// Longest period a report may cover: a safeguard against accidental full-history scans
/// through the web page, wide enough for every real question.
pub const MAX_RANGE_DAYS: i64 = 3660;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filters {
    pub from: NaiveDate,
    pub until: NaiveDate,
    /// A competent authority's code; `None` for all.
    pub authority: Option<String>,
}

impl Filters {
    /// The last twelve months up to `today`, from the first day of the month eleven months
    /// back.
    pub fn default_for(today: NaiveDate) -> Filters {
        Filters {
            from: first_of_month_back(today, 11),
            until: today,
            authority: None,
        }
    }

    /// Reads the query string: ISO dates (empty means the default), an authority code
    /// (checked against the known codes by the caller). Errors are keyed by field.
    pub fn parse(
        from: Option<&str>,
        until: Option<&str>,
        authority: Option<&str>,
        today: NaiveDate,
    ) -> Result<Filters, ValidationErrors> {
        let defaults = Filters::default_for(today);
        let mut errors = ValidationErrors::new();
        let mut date = |field: &str, value: Option<&str>, default: NaiveDate| match value
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => Some(default),
            Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(day) if (1900..=9000).contains(&day.year()) => Some(day),
                _ => {
                    errors.add(field, "report-date-invalid", "a date as YYYY-MM-DD");
                    None
                }
            },
        };
        let from = date("from", from, defaults.from);
        let until = date("until", until, defaults.until);
        if let (Some(from), Some(until)) = (from, until) {
            if from > until {
                errors.add(
                    "until",
                    "report-range-reversed",
                    "the end date comes before the start date",
                );
            } else if (until - from).num_days() > MAX_RANGE_DAYS {
                errors.add(
                    "until",
                    "report-range-too-long",
                    format!("at most {MAX_RANGE_DAYS} days"),
                );
            }
        }
        let authority = authority
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        if authority.as_ref().is_some_and(|a| a.len() > 40) {
            errors.add(
                "authority",
                "report-authority-unknown",
                "no such competent authority",
            );
        }
        errors.into_result()?;
        Ok(Filters {
            from: from.unwrap_or(defaults.from),
            until: until.unwrap_or(defaults.until),
            authority,
        })
    }

    /// The UTC instants bounding the period: from midnight in Brussels on `from` (inclusive)
    /// to midnight after `until` (exclusive).
    pub fn window(&self) -> (NaiveDateTime, NaiveDateTime) {
        (
            crate::clock::brussels_day_start_utc(self.from),
            crate::clock::brussels_day_start_utc(self.until.succ_opt().unwrap_or(self.until)),
        )
    }
}

fn first_of_month_back(day: NaiveDate, months: u32) -> NaiveDate {
    let index = day.year() * 12 + day.month0() as i32 - months as i32;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1).unwrap_or(day)
}

/// The month (`2026-03`) of an instant, in Brussels.
pub fn month_of(instant: NaiveDateTime) -> String {
    let day = crate::clock::brussels_date(DateTime::<Utc>::from_naive_utc_and_offset(instant, Utc));
    format!("{:04}-{:02}", day.year(), day.month())
}

/// Every month the period touches, in order, so months without orders show as zero.
pub fn months_between(from: NaiveDate, until: NaiveDate) -> Vec<String> {
    let mut months = Vec::new();
    let (mut year, mut month) = (from.year(), from.month());
    while (year, month) <= (until.year(), until.month()) {
        months.push(format!("{year:04}-{month:02}"));
        if month == 12 {
            year += 1;
            month = 1;
        } else {
            month += 1;
        }
    }
    months
}

/// The middle value (the mean of the two middle ones for an even count), rounded down to the
/// whole minute; `None` without values.
pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]).div_euclid(2)
    })
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
// What the database hands over (one row per order and VAT rate, per product and rate, ...).

/// The net amount of one order at one VAT rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRateSum {
    pub order_id: i64,
    pub placed_at: NaiveDateTime,
    pub lot_id: i64,
    pub supplier_id: Option<i64>,
    pub rate_basis_points: i32,
    pub quantity: i64,
    pub net: Cents,
}

/// One order's totals as its documents state them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFigures {
    pub order_id: i64,
    pub placed_at: NaiveDateTime,
    pub lot_id: i64,
    pub supplier_id: Option<i64>,
    pub quantity: i64,
    pub net: Cents,
    pub vat: Cents,
    pub gross: Cents,
}

/// Rounds VAT per order and per rate with the domain's rule. Rows must come grouped by
/// order (any order of rates).
pub fn order_figures(rows: &[OrderRateSum]) -> Result<Vec<OrderFigures>, MoneyError> {
    let mut by_order: BTreeMap<i64, (Vec<PricedLine>, &OrderRateSum, i64)> = BTreeMap::new();
    for row in rows {
        let rate = VatRate::from_basis_points(row.rate_basis_points.max(0) as u32)
            .map_err(|_| MoneyError::Overflow)?;
        let entry = by_order.entry(row.order_id).or_insert((Vec::new(), row, 0));
        // The line sums are already net amounts: a quantity of one keeps them exact.
        entry.0.push(PricedLine {
            unit_price: row.net,
            quantity: 1,
            vat_rate: rate,
        });
        entry.2 += row.quantity;
    }
    by_order
        .into_values()
        .map(|(lines, first, quantity)| {
            let totals = compute_totals(&lines)?;
            Ok(OrderFigures {
                order_id: first.order_id,
                placed_at: first.placed_at,
                lot_id: first.lot_id,
                supplier_id: first.supplier_id,
                quantity,
                net: totals.net,
                vat: totals.vat_total,
                gross: totals.gross,
            })
        })
        .collect()
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

    fn add_order(&mut self, order: &OrderFigures) -> Result<(), MoneyError> {
        self.orders += 1;
        self.net_cents = add(self.net_cents, order.net)?;
        self.vat_cents = add(self.vat_cents, order.vat)?;
        self.gross_cents = add(self.gross_cents, order.gross)?;
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MonthRow {
    pub month: String,
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

/// One order as the service-level report reads it.
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
    pub breaches: Vec<Breach>,
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
    orders: &[OrderFigures],
) -> Result<(Vec<MonthRow>, Amounts), MoneyError> {
    let mut by_month: BTreeMap<String, Amounts> = months_between(filters.from, filters.until)
        .into_iter()
        .map(|m| (m, Amounts::ZERO))
        .collect();
    let mut total = Amounts::ZERO;
    for order in orders {
        by_month
            .entry(month_of(order.placed_at))
            .or_insert(Amounts::ZERO)
            .add_order(order)?;
        total.add_order(order)?;
    }
    Ok((
        by_month
            .into_iter()
            .map(|(month, amounts)| MonthRow { month, amounts })
            .collect(),
        total,
    ))
}

/// Per lot: exact sums of the per-order figures (an order belongs to one lot).
pub fn per_lot(
    orders: &[OrderFigures],
    lots: &BTreeMap<i64, (String, String, String)>,
) -> Result<Vec<LotRow>, MoneyError> {
    let mut by_lot: BTreeMap<i64, (Amounts, i64)> = BTreeMap::new();
    for order in orders {
        let entry = by_lot.entry(order.lot_id).or_insert((Amounts::ZERO, 0));
        entry.0.add_order(order)?;
        entry.1 += order.quantity;
    }
    let mut rows: Vec<LotRow> = by_lot
        .into_iter()
        .map(|(lot_id, (amounts, quantity))| {
            let (reference, title_fr, title_nl) = lots.get(&lot_id).cloned().unwrap_or_default();
            LotRow {
                lot_id,
                reference,
                title_fr,
                title_nl,
                quantity,
                amounts,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.amounts
            .gross_cents
            .cmp(&a.amounts.gross_cents)
            .then(a.reference.cmp(&b.reference))
    });
    Ok(rows)
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

/// Offers counted by supplier, rank and outcome.
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
    orders: &[OrderFigures],
    supplier_names: &BTreeMap<i64, String>,
) -> Result<(Vec<RankRow>, Vec<SupplierRow>), MoneyError> {
    let mut ranks: BTreeMap<i32, Outcomes> = (1..=5).map(|r| (r, Outcomes::default())).collect();
    let mut suppliers: BTreeMap<i64, (Outcomes, Amounts)> = BTreeMap::new();
    for offer in offers {
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
    for order in orders {
        if let Some(supplier) = order.supplier_id {
            suppliers
                .entry(supplier)
                .or_insert((Outcomes::default(), Amounts::ZERO))
                .1
                .add_order(order)?;
        }
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
    Ok((ranks, suppliers))
}

fn brussels_day(instant: NaiveDateTime) -> NaiveDate {
    crate::clock::brussels_date(DateTime::<Utc>::from_naive_utc_and_offset(instant, Utc))
}

fn hours(minutes: i64) -> Decimal {
    (Decimal::from(minutes) / Decimal::from(60))
        .round_dp(2)
        .normalize()
}

/// Confirmation within 24 hours, median time to confirmation, delivery within the promised
/// working days, and the list of breaches (oldest first).
pub fn service_levels(
    orders: &[OrderTimes],
    calendar: &BelgianCalendar,
    confirmation_limit: Duration,
    today: NaiveDate,
) -> ServiceLevels {
    let mut considered = 0;
    let mut within = 0;
    let mut minutes = Vec::new();
    let mut delivered = 0;
    let mut on_time = 0;
    let mut breaches = Vec::new();
    for order in orders {
        let cancelled_unconfirmed = order.status == "cancelled" && order.confirmed_at.is_none();
        if cancelled_unconfirmed {
            continue;
        }
        let waited = order.confirmed_at.map(|at| at - order.placed_at);
        let settled =
            waited.is_some() || order.status == "unfulfilled" || order.breach_at.is_some();
        if settled {
            considered += 1;
        }
        if let Some(waited) = waited {
            minutes.push(waited.num_minutes());
            if waited <= confirmation_limit {
                within += 1;
            }
        }
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
            delivered += 1;
            let day = brussels_day(at);
            if day <= order.delivery_due {
                on_time += 1;
            } else {
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
    }
    breaches.sort_by(|a, b| {
        a.placed_at
            .cmp(&b.placed_at)
            .then(a.order_id.cmp(&b.order_id))
            .then(a.kind.cmp(&b.kind))
    });
    let confirmed = minutes.len() as i64;
    let median_minutes = median(&mut minutes);
    ServiceLevels {
        orders_considered: considered,
        confirmed_within_24h: within,
        confirmed_within_24h_share: share(within, considered),
        confirmed,
        median_minutes_to_confirmation: median_minutes,
        median_hours_to_confirmation: median_minutes.map(hours),
        delivered,
        delivered_on_time: on_time,
        delivered_on_time_share: share(on_time, delivered),
        breaches,
    }
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
                push(row.month.clone(), &row.amounts);
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
            let mut table = Table::new(
                t("report-breaches-sheet"),
                headers(&[
                    "report-col-order",
                    "report-col-institution",
                    "report-col-kind",
                    "report-col-placed",
                    "report-col-confirmed",
                    "report-col-hours",
                    "report-col-due",
                    "report-col-delivered",
                    "report-col-days-late",
                ]),
            );
            for b in &reports.service.breaches {
                table.push(vec![
                    Cell::text(&b.reference),
                    Cell::text(&b.institution),
                    Cell::text(t(&format!("report-kind-{}", b.kind))),
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
                ]);
            }
            table
        }
        _ => return None,
    };
    Some(table)
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
            }
            value
        }
        "breaches" => json!({ "rows": reports.service.breaches }),
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
    fn filters_default_to_the_last_twelve_months() {
        let f = Filters::parse(None, Some(""), None, d(2026, 3, 10)).unwrap();
        assert_eq!(f.from, d(2025, 4, 1));
        assert_eq!(f.until, d(2026, 3, 10));
        assert_eq!(f.authority, None);
        assert_eq!(first_of_month_back(d(2026, 1, 31), 11), d(2025, 2, 1));
    }

    #[test]
    fn filters_refuse_bad_dates_and_reversed_ranges() {
        let e = Filters::parse(Some("2026-13-01"), Some("x"), None, d(2026, 3, 10)).unwrap_err();
        let fields: Vec<_> = e
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("from", "report-date-invalid"),
                ("until", "report-date-invalid")
            ]
        );
        let e = Filters::parse(Some("2026-03-02"), Some("2026-03-01"), None, d(2026, 3, 10))
            .unwrap_err();
        assert_eq!(e.errors[0].code, "report-range-reversed");
        let e = Filters::parse(Some("2000-01-01"), Some("2026-03-01"), None, d(2026, 3, 10))
            .unwrap_err();
        assert_eq!(e.errors[0].code, "report-range-too-long");
        let f = Filters::parse(
            Some(" 2026-01-01 "),
            Some("2026-01-31"),
            Some("COCOF"),
            d(2026, 3, 10),
        )
        .unwrap();
        assert_eq!(f.authority.as_deref(), Some("COCOF"));
    }

    #[test]
    fn the_window_is_brussels_midnight_to_midnight() {
        // Winter: UTC+1; summer: UTC+2; the period may span the change.
        assert_eq!(
            crate::clock::brussels_day_start_utc(d(2026, 1, 15)),
            at(2026, 1, 14, 23, 0)
        );
        assert_eq!(
            crate::clock::brussels_day_start_utc(d(2026, 7, 1)),
            at(2026, 6, 30, 22, 0)
        );
        // The day daylight saving starts (29 March 2026) begins in winter time.
        assert_eq!(
            crate::clock::brussels_day_start_utc(d(2026, 3, 29)),
            at(2026, 3, 28, 23, 0)
        );
        assert_eq!(
            crate::clock::brussels_day_start_utc(d(2026, 3, 30)),
            at(2026, 3, 29, 22, 0)
        );
        assert_eq!(
            crate::clock::brussels_day_start_utc(d(2026, 10, 26)),
            at(2026, 10, 25, 23, 0)
        );
        let f = Filters {
            from: d(2026, 3, 1),
            until: d(2026, 3, 31),
            authority: None,
        };
        assert_eq!(f.window(), (at(2026, 2, 28, 23, 0), at(2026, 3, 31, 22, 0)));
    }

    #[test]
    fn months_are_brussels_months() {
        assert_eq!(month_of(at(2026, 1, 31, 22, 59)), "2026-01");
        assert_eq!(month_of(at(2026, 1, 31, 23, 0)), "2026-02");
        assert_eq!(month_of(at(2026, 6, 30, 22, 0)), "2026-07");
        assert_eq!(
            months_between(d(2025, 11, 20), d(2026, 2, 1)),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
        assert_eq!(months_between(d(2026, 2, 1), d(2026, 2, 1)), ["2026-02"]);
    }

    #[test]
    fn median_and_share() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [30]), Some(30));
        assert_eq!(median(&mut [90, 10, 30]), Some(30));
        assert_eq!(median(&mut [40, 10, 30, 20]), Some(25));
        assert_eq!(median(&mut [1, 2]), Some(1));
        assert_eq!(share(1, 0), None);
        assert_eq!(share(3, 4), Some(Decimal::new(75, 2)));
        assert_eq!(
            share(1, 3).map(|s| s.round_dp(4)),
            Some(Decimal::new(3333, 4))
        );
    }

    fn rate_sum(order_id: i64, bp: i32, net: i64) -> OrderRateSum {
        OrderRateSum {
            order_id,
            placed_at: at(2026, 3, 10, 9, 0),
            lot_id: 1,
            supplier_id: Some(7),
            rate_basis_points: bp,
            quantity: 1,
            net: Cents::new(net),
        }
    }

    #[test]
    fn vat_is_rounded_per_order_and_rate_like_the_documents() {
        // 0.02 € at 21 % is 0.0042 → 0.00 on each order; rounding the three orders' 0.06
        // together would give 0.01. The report must add what each order states.
        let rows = vec![
            rate_sum(1, 2100, 2),
            rate_sum(1, 600, 250),
            rate_sum(2, 2100, 2),
            rate_sum(3, 2100, 2),
        ];
        let orders = order_figures(&rows).unwrap();
        assert_eq!(orders.len(), 3);
        assert_eq!(orders[0].net, Cents::new(252));
        assert_eq!(orders[0].vat, Cents::new(15));
        assert_eq!(orders[0].gross, Cents::new(267));
        assert_eq!(orders[0].quantity, 2);
        let filters = Filters {
            from: d(2026, 2, 1),
            until: d(2026, 3, 31),
            authority: None,
        };
        let (months, total) = monthly(&filters, &orders).unwrap();
        assert_eq!(months.len(), 2);
        assert_eq!(months[0].amounts, Amounts::ZERO);
        assert_eq!(total.orders, 3);
        assert_eq!(total.net_cents, Cents::new(256));
        assert_eq!(total.vat_cents, Cents::new(15));
        assert_eq!(total.gross_cents, Cents::new(271));
        assert_eq!(months[1].amounts, total);
    }

    #[test]
    fn cascade_counts_outcomes_per_rank_and_supplier() {
        let offers = vec![
            OfferCount {
                supplier_id: 1,
                rank: 1,
                outcome: Some("accepted".into()),
                count: 2,
            },
            OfferCount {
                supplier_id: 1,
                rank: 1,
                outcome: Some("declined".into()),
                count: 1,
            },
            OfferCount {
                supplier_id: 1,
                rank: 1,
                outcome: Some("timed_out".into()),
                count: 1,
            },
            OfferCount {
                supplier_id: 2,
                rank: 2,
                outcome: Some("accepted".into()),
                count: 2,
            },
            OfferCount {
                supplier_id: 2,
                rank: 2,
                outcome: None,
                count: 1,
            },
        ];
        let orders = order_figures(&[rate_sum(1, 2100, 1000)]).unwrap();
        let names = BTreeMap::from([(1, "A".to_owned()), (2, "B".to_owned())]);
        let (ranks, suppliers) = cascade(&offers, &orders, &names).unwrap();
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
            "supplier 7 has sales without offers in this sample"
        );
        let seven = suppliers.iter().find(|s| s.supplier_id == 7).unwrap();
        assert_eq!(seven.sales.gross_cents, Cents::new(1210));
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
    fn service_levels_measure_the_promises() {
        let mut flagged = times(4, "routed", None, None);
        flagged.breach_at = Some(at(2026, 3, 11, 9, 5));
        let orders = vec![
            times(1, "delivered", Some(60), Some(d(2026, 3, 19))),
            times(2, "delivered", Some(25 * 60), Some(d(2026, 3, 23))),
            times(3, "confirmed", Some(120), None),
            flagged,
            times(5, "cancelled", None, None),
            times(6, "routed", None, None),
            times(7, "unfulfilled", None, None),
        ];
        let s = service_levels(
            &orders,
            &BelgianCalendar::default(),
            Duration::hours(24),
            d(2026, 3, 20),
        );
        assert_eq!(s.orders_considered, 5);
        assert_eq!(s.confirmed_within_24h, 2);
        assert_eq!(s.confirmed_within_24h_share, Some(Decimal::new(4, 1)));
        assert_eq!(s.median_minutes_to_confirmation, Some(120));
        assert_eq!(s.median_hours_to_confirmation, Some(Decimal::new(2, 0)));
        assert_eq!((s.delivered, s.delivered_on_time), (2, 1));
        let kinds: Vec<_> = s
            .breaches
            .iter()
            .map(|b| (b.order_id, b.kind.as_str(), b.working_days_late))
            .collect();
        // 19 → 23 March 2026: Friday 20 and Monday 23 are working days.
        assert_eq!(
            kinds,
            [
                (2, "confirmation", None),
                (2, "delivery", Some(2)),
                (3, "overdue", Some(1)),
                (4, "confirmation", None)
            ]
        );
        assert_eq!(
            s.breaches[0].hours_to_confirmation,
            Some(Decimal::new(25, 0))
        );
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
