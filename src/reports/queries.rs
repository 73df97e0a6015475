//! The reports' database work. Figures come from the stored per-month rollups (a few
//! thousand rows for years of history, grouped by the database), the breach list from the
//! order snapshots' breach indexes, the member counts live from the institutions. Pending
//! order changes are folded in first, so the figures are exact at request time.

use std::collections::{BTreeMap, VecDeque};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Text, Timestamp};

use super::facts::ALL_AUTHORITIES;
use super::{
    breaches_of, cascade, monthly, per_lot, per_product, service_levels, Amounts, Breach, Filters,
    MemberRow, MinutesCount, Month, OfferCount, OrderTimes, ProductRateSum, Reports, ServiceTotals,
};
use crate::db::schema::{competent_authorities, lots, suppliers};
use crate::db::{Conn, DbError};
use crate::domain::working_days::BelgianCalendar;
use crate::domain::{Cents, MoneyError};
use crate::validation::ValidationErrors;
use crate::with_conn;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("invalid filters")]
    Invalid(ValidationErrors),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("amount overflow")]
    Money(#[from] MoneyError),
    #[error("the file could not be written: {0}")]
    File(String),
}

impl From<diesel::result::Error> for ReportError {
    fn from(error: diesel::result::Error) -> Self {
        ReportError::Db(DbError::from(error))
    }
}

/// The SQL with `?` placeholders numbered for PostgreSQL.
fn dialect(sql: &str, postgres: bool) -> String {
    if !postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// A value bound to a `?` placeholder.
#[derive(Clone, Copy)]
enum Param {
    Big(i64),
    Int(i32),
    At(NaiveDateTime),
    Day(NaiveDate),
}

/// Runs `sql` with `params` bound in order, on either backend.
macro_rules! query {
    ($conn:expr, $sql:expr, $params:expr, $row:ty) => {{
        let params: &[Param] = $params;
        let postgres = matches!($conn, Conn::Postgres(_));
        let sql = dialect(&$sql, postgres);
        with_conn!($conn, |c| {
            let mut query = diesel::sql_query(sql.as_str()).into_boxed();
            for param in params {
                query = match param {
                    Param::Big(v) => query.bind::<BigInt, _>(*v),
                    Param::Int(v) => query.bind::<Integer, _>(*v),
                    Param::At(v) => query.bind::<Timestamp, _>(*v),
                    Param::Day(v) => query.bind::<Date, _>(*v),
                };
            }
            query.load::<$row>(c)
        })
    }};
}

/// What every rollup query filters on: one authority key and a range of months.
struct Scope {
    authority: i64,
    from: i32,
    until: i32,
}

impl Scope {
    const WHERE: &'static str = "authority_id = ? AND month >= ? AND month <= ?";

    fn params(&self) -> [Param; 3] {
        [
            Param::Big(self.authority),
            Param::Int(self.from),
            Param::Int(self.until),
        ]
    }
}

#[derive(QueryableByName)]
struct SalesRow {
    #[diesel(sql_type = Integer)]
    month: i32,
    #[diesel(sql_type = BigInt)]
    lot_id: i64,
    #[diesel(sql_type = BigInt)]
    supplier_id: i64,
    #[diesel(sql_type = BigInt)]
    orders: i64,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
    #[diesel(sql_type = BigInt)]
    net_cents: i64,
    #[diesel(sql_type = BigInt)]
    vat_cents: i64,
}

impl SalesRow {
    fn amounts(&self) -> Result<Amounts, MoneyError> {
        Amounts::new(
            self.orders,
            Cents::new(self.net_cents),
            Cents::new(self.vat_cents),
        )
    }
}

/// Sales per month, lot and supplier (the VAT rates added up): one read serves the months,
/// the lots and the suppliers.
fn sales(conn: &mut Conn, scope: &Scope) -> Result<Vec<SalesRow>, DbError> {
    let sql = format!(
        "SELECT month, lot_id, supplier_id, CAST(SUM(orders) AS BIGINT) AS orders, \
         CAST(SUM(quantity) AS BIGINT) AS quantity, CAST(SUM(net_cents) AS BIGINT) AS net_cents, \
         CAST(SUM(vat_cents) AS BIGINT) AS vat_cents \
         FROM report_sales WHERE {} GROUP BY month, lot_id, supplier_id",
        Scope::WHERE
    );
    Ok(query!(conn, sql, &scope.params(), SalesRow)?)
}

#[derive(QueryableByName)]
struct ProductRateRow {
    #[diesel(sql_type = BigInt)]
    product_id: i64,
    #[diesel(sql_type = Text)]
    sku: String,
    #[diesel(sql_type = Text)]
    name_fr: String,
    #[diesel(sql_type = Text)]
    name_nl: String,
    #[diesel(sql_type = Text)]
    lot: String,
    #[diesel(sql_type = Integer)]
    rate_bp: i32,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
    #[diesel(sql_type = BigInt)]
    net_cents: i64,
}

#[derive(QueryableByName)]
struct OfferRow {
    #[diesel(sql_type = BigInt)]
    supplier_id: i64,
    #[diesel(sql_type = Integer)]
    rank: i32,
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct ServiceRow {
    #[diesel(sql_type = BigInt)]
    counted: i64,
    #[diesel(sql_type = BigInt)]
    delivered: i64,
    #[diesel(sql_type = BigInt)]
    on_time: i64,
}

#[derive(QueryableByName)]
struct MinutesRow {
    #[diesel(sql_type = BigInt)]
    minutes: i64,
    #[diesel(sql_type = BigInt)]
    orders: i64,
    #[diesel(sql_type = BigInt)]
    whole: i64,
}

#[derive(QueryableByName)]
struct TimesRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    reference: String,
    #[diesel(sql_type = Text)]
    institution: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamp)]
    placed_at: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    confirmed_at: Option<NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    breach_at: Option<NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    delivered_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Date)]
    delivery_due: NaiveDate,
}

#[derive(QueryableByName)]
struct BreachCountRow {
    #[diesel(sql_type = BigInt)]
    flagged: i64,
    #[diesel(sql_type = BigInt)]
    flagged_late: i64,
    #[diesel(sql_type = BigInt)]
    overdue: i64,
}

#[derive(QueryableByName)]
struct MemberCountRow {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    name_fr: String,
    #[diesel(sql_type = Text)]
    name_nl: String,
    #[diesel(sql_type = BigInt)]
    members: i64,
}

/// The competent authorities (code, French and Dutch names), in their usual order.
pub fn authorities(conn: &mut Conn) -> Result<Vec<(i64, String, String, String)>, DbError> {
    Ok(with_conn!(conn, |c| competent_authorities::table
        .order(competent_authorities::position)
        .select((
            competent_authorities::id,
            competent_authorities::code,
            competent_authorities::name_fr,
            competent_authorities::name_nl,
        ))
        .load(c))?)
}

fn members(conn: &mut Conn, authority_id: Option<i64>) -> Result<Vec<MemberRow>, DbError> {
    let sql = format!(
        "SELECT ca.code AS code, ca.name_fr AS name_fr, ca.name_nl AS name_nl, COUNT(i.id) AS members \
         FROM competent_authorities ca \
         LEFT JOIN institutions i ON i.competent_authority_id = ca.id AND i.status = 'active' \
         WHERE (ca.active OR i.id IS NOT NULL){} \
         GROUP BY ca.id, ca.code, ca.name_fr, ca.name_nl, ca.position \
         ORDER BY ca.position, ca.code",
        if authority_id.is_some() { " AND ca.id = ?" } else { "" }
    );
    let params: Vec<Param> = authority_id.map(Param::Big).into_iter().collect();
    let rows: Vec<MemberCountRow> = query!(conn, sql, &params, MemberCountRow)?;
    Ok(rows
        .into_iter()
        .map(|r| MemberRow {
            authority: r.code,
            name_fr: r.name_fr,
            name_nl: r.name_nl,
            members: r.members,
        })
        .collect())
}

fn products(conn: &mut Conn, scope: &Scope) -> Result<Vec<ProductRateSum>, DbError> {
    let sql = format!(
        "SELECT p.id AS product_id, p.sku AS sku, p.name_fr AS name_fr, p.name_nl AS name_nl, \
         l.reference AS lot, r.rate_bp AS rate_bp, r.quantity AS quantity, r.net_cents AS net_cents \
         FROM (SELECT product_id, vat_rate_bp AS rate_bp, CAST(SUM(quantity) AS BIGINT) AS quantity, \
               CAST(SUM(net_cents) AS BIGINT) AS net_cents \
               FROM report_product_sales WHERE {} GROUP BY product_id, vat_rate_bp) r \
         JOIN products p ON p.id = r.product_id JOIN lots l ON l.id = p.lot_id \
         WHERE r.quantity <> 0 OR r.net_cents <> 0",
        Scope::WHERE
    );
    let rows: Vec<ProductRateRow> = query!(conn, sql, &scope.params(), ProductRateRow)?;
    Ok(rows
        .into_iter()
        .map(|r| ProductRateSum {
            product_id: r.product_id,
            sku: r.sku,
            name_fr: r.name_fr,
            name_nl: r.name_nl,
            lot: r.lot,
            rate_basis_points: r.rate_bp,
            quantity: r.quantity,
            net: Cents::new(r.net_cents),
        })
        .collect())
}

fn offers(conn: &mut Conn, scope: &Scope) -> Result<Vec<OfferCount>, DbError> {
    let sql = format!(
        "SELECT supplier_id, rank, outcome, CAST(SUM(offers) AS BIGINT) AS n \
         FROM report_offers WHERE {} GROUP BY supplier_id, rank, outcome",
        Scope::WHERE
    );
    let rows: Vec<OfferRow> = query!(conn, sql, &scope.params(), OfferRow)?;
    Ok(rows
        .into_iter()
        .filter(|r| r.n != 0)
        .map(|r| OfferCount {
            supplier_id: r.supplier_id,
            rank: r.rank,
            outcome: (r.outcome != "open").then_some(r.outcome),
            count: r.n,
        })
        .collect())
}

fn service(conn: &mut Conn, scope: &Scope) -> Result<(ServiceTotals, Vec<MinutesCount>), DbError> {
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(counted), 0) AS BIGINT) AS counted, \
         CAST(COALESCE(SUM(delivered), 0) AS BIGINT) AS delivered, \
         CAST(COALESCE(SUM(on_time), 0) AS BIGINT) AS on_time \
         FROM report_service WHERE {}",
        Scope::WHERE
    );
    let totals = query!(conn, sql, &scope.params(), ServiceRow)?
        .into_iter()
        .next()
        .map(|r| ServiceTotals {
            counted: r.counted,
            delivered: r.delivered,
            delivered_on_time: r.on_time,
        })
        .unwrap_or_default();
    let sql = format!(
        "SELECT minutes, CAST(SUM(orders) AS BIGINT) AS orders, \
         CAST(SUM(whole_minutes) AS BIGINT) AS whole \
         FROM report_confirmation_minutes WHERE {} GROUP BY minutes ORDER BY minutes",
        Scope::WHERE
    );
    let histogram = query!(conn, sql, &scope.params(), MinutesRow)?
        .into_iter()
        .filter(|r| r.orders != 0)
        .map(|r| MinutesCount {
            minutes: r.minutes,
            orders: r.orders,
            whole: r.whole,
        })
        .collect();
    Ok((totals, histogram))
}

/// Which orders the breach list reads: placed in the period, under the authority.
struct BreachScope {
    start: NaiveDateTime,
    end: NaiveDateTime,
    authority_id: Option<i64>,
    limit_minutes: i64,
    today: NaiveDate,
}

impl BreachScope {
    /// Watched orders (flagged, delivered late or not delivered yet) with a breach today.
    const WATCHED: &'static str = "f.watch AND f.placed_at >= ? AND f.placed_at < ? \
        AND (f.flagged OR f.confirm_minutes > ? OR (f.confirm_minutes = ? AND NOT f.confirm_whole) \
             OR (f.delivered AND NOT f.on_time) OR f.open_due < ?)";
    /// Confirmations later than the limit that the sweep did not flag.
    const SLOW: &'static str = "NOT f.watch AND f.confirm_minutes >= ? \
        AND (f.confirm_minutes > ? OR NOT f.confirm_whole) \
        AND f.placed_at >= ? AND f.placed_at < ?";

    fn watched(&self) -> (String, Vec<Param>) {
        let mut params = vec![
            Param::At(self.start),
            Param::At(self.end),
            Param::Big(self.limit_minutes),
            Param::Big(self.limit_minutes),
            Param::Day(self.today),
        ];
        (self.with_authority(Self::WATCHED, &mut params), params)
    }

    fn slow(&self) -> (String, Vec<Param>) {
        let mut params = vec![
            Param::Big(self.limit_minutes),
            Param::Big(self.limit_minutes),
            Param::At(self.start),
            Param::At(self.end),
        ];
        (self.with_authority(Self::SLOW, &mut params), params)
    }

    fn with_authority(&self, condition: &str, params: &mut Vec<Param>) -> String {
        match self.authority_id {
            Some(id) => {
                params.push(Param::Big(id));
                format!("{condition} AND f.authority_id = ?")
            }
            None => condition.to_owned(),
        }
    }
}

/// How many breaches the period has. Late deliveries and late confirmations come from the
/// monthly figures (`late_deliveries`, `late_confirmations`); flagged orders, flagged ones
/// also late, and overdue ones from the order snapshots.
fn count_breaches(
    conn: &mut Conn,
    scope: &BreachScope,
    late_confirmations: i64,
    late_deliveries: i64,
) -> Result<i64, DbError> {
    let mut params = vec![
        Param::Big(scope.limit_minutes),
        Param::Big(scope.limit_minutes),
        Param::Day(scope.today),
        Param::At(scope.start),
        Param::At(scope.end),
    ];
    let condition = scope.with_authority(
        "(f.flagged OR f.open_due IS NOT NULL) AND f.placed_at >= ? AND f.placed_at < ?",
        &mut params,
    );
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN f.flagged THEN 1 ELSE 0 END), 0) AS BIGINT) AS flagged, \
         CAST(COALESCE(SUM(CASE WHEN f.flagged AND (f.confirm_minutes > ? \
                 OR (f.confirm_minutes = ? AND NOT f.confirm_whole)) THEN 1 ELSE 0 END), 0) AS BIGINT) AS flagged_late, \
         CAST(COALESCE(SUM(CASE WHEN f.open_due < ? THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue \
         FROM report_order_facts f WHERE {condition}"
    );
    let counts = query!(conn, sql, &params, BreachCountRow)?;
    // A confirmation breach is a flagged order or a late confirmation, counted once.
    Ok(counts
        .iter()
        .map(|c| c.flagged + late_confirmations - c.flagged_late + c.overdue)
        .sum::<i64>()
        + late_deliveries)
}

/// One of the two sets of orders the breaches come from, read newest first a page at a time.
struct BreachSource {
    condition: String,
    params: Vec<Param>,
    /// Where the next page starts: before this (placed_at, order id).
    after: Option<(NaiveDateTime, i64)>,
    rows: VecDeque<TimesRow>,
    done: bool,
}

impl BreachSource {
    fn new((condition, params): (String, Vec<Param>)) -> BreachSource {
        BreachSource {
            condition,
            params,
            after: None,
            rows: VecDeque::new(),
            done: false,
        }
    }

    fn fill(&mut self, conn: &mut Conn, page: usize) -> Result<(), DbError> {
        if !self.rows.is_empty() || self.done {
            return Ok(());
        }
        let mut condition = self.condition.clone();
        let mut params = self.params.clone();
        if let Some((at, id)) = self.after {
            condition.push_str(" AND f.placed_at <= ? AND (f.placed_at < ? OR f.order_id < ?)");
            params.extend([Param::At(at), Param::At(at), Param::Big(id)]);
        }
        params.push(Param::Big(page as i64));
        let sql = format!(
            "SELECT o.id AS id, o.reference AS reference, i.name AS institution, o.status AS status, \
             o.placed_at AS placed_at, o.confirmed_at AS confirmed_at, o.breach_at AS breach_at, \
             o.delivered_at AS delivered_at, o.delivery_due AS delivery_due \
             FROM report_order_facts f JOIN orders o ON o.id = f.order_id \
             JOIN institutions i ON i.id = o.institution_id \
             WHERE {condition} ORDER BY f.placed_at DESC, f.order_id DESC LIMIT ?"
        );
        let rows = query!(conn, sql, &params, TimesRow)?;
        self.done = rows.len() < page;
        self.after = rows.last().map(|r| (r.placed_at, r.id));
        self.rows.extend(rows);
        Ok(())
    }

    fn head(&self) -> Option<(NaiveDateTime, i64)> {
        self.rows.front().map(|r| (r.placed_at, r.id))
    }
}

/// Hands the breaches of the period over newest first, in chunks of `chunk`, up to `limit`
/// of them (all with `None`): only a page of orders is ever held.
fn walk_breaches(
    conn: &mut Conn,
    scope: &BreachScope,
    calendar: &BelgianCalendar,
    confirmation_limit: Duration,
    limit: Option<usize>,
    chunk: usize,
    deliver: &mut dyn FnMut(Vec<Breach>) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let page = limit.unwrap_or(2 * chunk).clamp(1, 2 * chunk);
    let mut sources = [
        BreachSource::new(scope.watched()),
        BreachSource::new(scope.slow()),
    ];
    let mut out = Vec::with_capacity(chunk);
    let mut emitted = 0;
    'orders: loop {
        for source in &mut sources {
            source.fill(conn, page)?;
        }
        let newest = match (sources[0].head(), sources[1].head()) {
            (Some(a), Some(b)) => usize::from(b > a),
            (Some(_), None) => 0,
            (None, Some(_)) => 1,
            (None, None) => break,
        };
        let Some(r) = sources[newest].rows.pop_front() else {
            break;
        };
        let order = OrderTimes {
            order_id: r.id,
            reference: r.reference,
            institution: r.institution,
            status: r.status,
            placed_at: r.placed_at,
            confirmed_at: r.confirmed_at,
            breach_at: r.breach_at,
            delivered_at: r.delivered_at,
            delivery_due: r.delivery_due,
        };
        // In the order `sort_breaches` gives: an order's kinds come out alphabetically.
        for breach in breaches_of(&order, calendar, confirmation_limit, scope.today) {
            if limit.is_some_and(|limit| emitted >= limit) {
                break 'orders;
            }
            out.push(breach);
            emitted += 1;
        }
        if out.len() >= chunk {
            deliver(std::mem::replace(&mut out, Vec::with_capacity(chunk)))?;
        }
    }
    if !out.is_empty() {
        deliver(out)?;
    }
    Ok(())
}

fn authority_id(conn: &mut Conn, filters: &Filters) -> Result<Option<i64>, ReportError> {
    let Some(code) = &filters.authority else {
        return Ok(None);
    };
    authorities(conn)?
        .into_iter()
        .find(|a| &a.1 == code)
        .map(|a| Some(a.0))
        .ok_or_else(|| {
            ReportError::Invalid(ValidationErrors::single(
                "authority",
                "report-authority-unknown",
                "no such competent authority",
            ))
        })
}

/// Every breach of the period, newest first, handed to `deliver` in chunks of about `chunk`:
/// for the downloads, which list them all.
pub fn for_each_breach(
    conn: &mut Conn,
    filters: &Filters,
    today: NaiveDate,
    calendar: &BelgianCalendar,
    confirmation_limit: Duration,
    chunk: usize,
    deliver: &mut dyn FnMut(Vec<Breach>) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let (start, end) = filters.window();
    let scope = BreachScope {
        start,
        end,
        authority_id: authority_id(conn, filters)?,
        limit_minutes: confirmation_limit.num_minutes(),
        today,
    };
    walk_breaches(
        conn,
        &scope,
        calendar,
        confirmation_limit,
        None,
        chunk.max(1),
        deliver,
    )
}

/// Computes every report for `filters`, the breach list cut to `breach_limit` (all with
/// `None`). An unknown authority code is a validation error.
pub fn load(
    conn: &mut Conn,
    filters: &Filters,
    today: NaiveDate,
    calendar: &BelgianCalendar,
    confirmation_limit: Duration,
    breach_limit: Option<usize>,
) -> Result<Reports, ReportError> {
    let authority_id = authority_id(conn, filters)?;
    super::refresh::catch_up(conn)?;

    let scope = Scope {
        authority: authority_id.unwrap_or(ALL_AUTHORITIES),
        from: filters.from.key(),
        until: filters.until.key(),
    };
    let members = members(conn, authority_id)?;
    let members_total = members.iter().map(|m| m.members).sum();

    let mut by_month = Vec::new();
    let mut by_lot: BTreeMap<i64, (i64, Amounts)> = BTreeMap::new();
    let mut by_supplier: BTreeMap<i64, Amounts> = BTreeMap::new();
    for row in sales(conn, &scope)? {
        let amounts = row.amounts()?;
        let lot = by_lot.entry(row.lot_id).or_insert((0, Amounts::ZERO));
        lot.0 += row.quantity;
        lot.1.add(&amounts)?;
        by_supplier
            .entry(row.supplier_id)
            .or_insert(Amounts::ZERO)
            .add(&amounts)?;
        if let Some(month) = Month::from_key(row.month) {
            by_month.push((month, amounts));
        }
    }
    let (months, months_total) = monthly(filters, &by_month)?;

    let lot_names: BTreeMap<i64, (String, String, String)> = with_conn!(conn, |c| lots::table
        .select((lots::id, lots::reference, lots::title_fr, lots::title_nl))
        .load::<(i64, String, String, String)>(c))?
    .into_iter()
    .map(|(id, reference, fr, nl)| (id, (reference, fr, nl)))
    .collect();
    let by_lot: Vec<(i64, i64, Amounts)> = by_lot
        .into_iter()
        .map(|(lot, (quantity, amounts))| (lot, quantity, amounts))
        .collect();
    let lots = per_lot(&by_lot, &lot_names);

    let products = per_product(&products(conn, &scope)?)?;

    let offers = offers(conn, &scope)?;
    let supplier_names: BTreeMap<i64, String> = with_conn!(conn, |c| suppliers::table
        .select((suppliers::id, suppliers::name))
        .load::<(i64, String)>(c))?
    .into_iter()
    .collect();
    let (ranks, suppliers) = cascade(&offers, &by_supplier, &supplier_names);
    let rank1_failed_share = ranks.first().and_then(|r| r.failed_share);

    let (totals, histogram) = service(conn, &scope)?;
    let mut service = service_levels(totals, &histogram, confirmation_limit);
    let (start, end) = filters.window();
    let breach_scope = BreachScope {
        start,
        end,
        authority_id,
        limit_minutes: confirmation_limit.num_minutes(),
        today,
    };
    let mut list = Vec::new();
    if breach_limit != Some(0) {
        walk_breaches(
            conn,
            &breach_scope,
            calendar,
            confirmation_limit,
            breach_limit,
            breach_limit.unwrap_or(1000),
            &mut |chunk| {
                list.extend(chunk);
                Ok(())
            },
        )?;
    }
    let total = count_breaches(
        conn,
        &breach_scope,
        service.confirmed - service.confirmed_within_24h,
        service.delivered - service.delivered_on_time,
    )?;
    service.breaches = list;
    service.breaches_total = total;

    Ok(Reports {
        filters: filters.clone(),
        members,
        members_total,
        months,
        months_total,
        products,
        lots,
        ranks,
        rank1_failed_share,
        suppliers,
        service,
    })
}

#[cfg(test)]
mod tests {
    use super::dialect;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(dialect("a = ? AND b < ?", false), "a = ? AND b < ?");
        assert_eq!(dialect("a = ? AND b < ?", true), "a = $1 AND b < $2");
    }
}
