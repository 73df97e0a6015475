//! The reports' database work: a handful of grouped queries per request, whatever the number
//! of orders (never one query per order). Sums happen in SQL per order and VAT rate; VAT is
//! then rounded per order in Rust by the domain's rule.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text, Timestamp};

use super::{
    cascade, monthly, order_figures, per_lot, per_product, service_levels, Filters, MemberRow,
    OfferCount, OrderRateSum, OrderTimes, ProductRateSum, Reports,
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

/// The period (and authority, when chosen) every order-based query filters on.
struct Scope {
    start: NaiveDateTime,
    end: NaiveDateTime,
    authority_id: Option<i64>,
}

const SALES: &str = "o.status IN ('confirmed', 'cancellation_requested', 'shipped', 'delivered')";

fn scoped(scope: &Scope) -> &'static str {
    if scope.authority_id.is_some() {
        " AND o.placed_at >= ? AND o.placed_at < ? AND o.institution_id IN (SELECT id FROM institutions WHERE competent_authority_id = ?)"
    } else {
        " AND o.placed_at >= ? AND o.placed_at < ?"
    }
}

/// Runs `sql` (with the scope's placeholders at its end) on either backend.
macro_rules! scoped_query {
    ($conn:expr, $scope:expr, $sql:expr, $row:ty) => {{
        let scope: &Scope = $scope;
        let postgres = matches!($conn, Conn::Postgres(_));
        with_conn!($conn, |c| {
            let query = diesel::sql_query(dialect(&$sql, postgres))
                .into_boxed()
                .bind::<Timestamp, _>(scope.start)
                .bind::<Timestamp, _>(scope.end);
            let query = match scope.authority_id {
                Some(id) => query.bind::<BigInt, _>(id),
                None => query,
            };
            query.load::<$row>(c)
        })
    }};
}

#[derive(QueryableByName)]
struct OrderRateRow {
    #[diesel(sql_type = BigInt)]
    order_id: i64,
    #[diesel(sql_type = Timestamp)]
    placed_at: NaiveDateTime,
    #[diesel(sql_type = BigInt)]
    lot_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    supplier_id: Option<i64>,
    #[diesel(sql_type = Integer)]
    rate_bp: i32,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
    #[diesel(sql_type = BigInt)]
    net_cents: i64,
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
    #[diesel(sql_type = Nullable<Text>)]
    outcome: Option<String>,
    #[diesel(sql_type = BigInt)]
    n: i64,
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
    #[diesel(sql_type = Nullable<Timestamp>)]
    confirmed_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    breach_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    delivered_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Date)]
    delivery_due: NaiveDate,
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
    let postgres = matches!(conn, Conn::Postgres(_));
    let rows: Vec<MemberCountRow> = with_conn!(conn, |c| {
        let query = diesel::sql_query(dialect(&sql, postgres)).into_boxed();
        let query = match authority_id {
            Some(id) => query.bind::<BigInt, _>(id),
            None => query,
        };
        query.load::<MemberCountRow>(c)
    })?;
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

/// Computes every report for `filters`. An unknown authority code is a validation error.
pub fn load(
    conn: &mut Conn,
    filters: &Filters,
    today: NaiveDate,
    calendar: &BelgianCalendar,
    confirmation_limit: Duration,
) -> Result<Reports, ReportError> {
    let authority_id = match &filters.authority {
        None => None,
        Some(code) => Some(
            authorities(conn)?
                .into_iter()
                .find(|a| &a.1 == code)
                .map(|a| a.0)
                .ok_or_else(|| {
                    ReportError::Invalid(ValidationErrors::single(
                        "authority",
                        "report-authority-unknown",
                        "no such competent authority",
                    ))
                })?,
        ),
    };
    let (start, end) = filters.window();
    let scope = Scope {
        start,
        end,
        authority_id,
    };

    let members = members(conn, authority_id)?;
    let members_total = members.iter().map(|m| m.members).sum();

    let sql = format!(
        "SELECT o.id AS order_id, o.placed_at AS placed_at, o.lot_id AS lot_id, \
         o.confirmed_supplier_id AS supplier_id, ol.vat_rate_basis_points AS rate_bp, \
         CAST(SUM(ol.quantity) AS BIGINT) AS quantity, \
         CAST(SUM(CAST(ol.quantity AS BIGINT) * ol.unit_price_cents) AS BIGINT) AS net_cents \
         FROM orders o JOIN order_lines ol ON ol.order_id = o.id \
         WHERE {SALES}{} \
         GROUP BY o.id, o.placed_at, o.lot_id, o.confirmed_supplier_id, ol.vat_rate_basis_points \
         ORDER BY o.id",
        scoped(&scope)
    );
    let rows: Vec<OrderRateRow> = scoped_query!(conn, &scope, sql, OrderRateRow)?;
    let rows: Vec<OrderRateSum> = rows
        .into_iter()
        .map(|r| OrderRateSum {
            order_id: r.order_id,
            placed_at: r.placed_at,
            lot_id: r.lot_id,
            supplier_id: r.supplier_id,
            rate_basis_points: r.rate_bp,
            quantity: r.quantity,
            net: Cents::new(r.net_cents),
        })
        .collect();
    let orders = order_figures(&rows)?;
    let (months, months_total) = monthly(filters, &orders)?;

    let lot_names: BTreeMap<i64, (String, String, String)> = with_conn!(conn, |c| lots::table
        .select((lots::id, lots::reference, lots::title_fr, lots::title_nl))
        .load::<(i64, String, String, String)>(c))?
    .into_iter()
    .map(|(id, reference, fr, nl)| (id, (reference, fr, nl)))
    .collect();
    let lots = per_lot(&orders, &lot_names)?;

    let sql = format!(
        "SELECT ol.product_id AS product_id, MIN(ol.sku) AS sku, MIN(ol.name_fr) AS name_fr, \
         MIN(ol.name_nl) AS name_nl, MIN(l.reference) AS lot, ol.vat_rate_basis_points AS rate_bp, \
         CAST(SUM(ol.quantity) AS BIGINT) AS quantity, \
         CAST(SUM(CAST(ol.quantity AS BIGINT) * ol.unit_price_cents) AS BIGINT) AS net_cents \
         FROM orders o JOIN order_lines ol ON ol.order_id = o.id JOIN lots l ON l.id = o.lot_id \
         WHERE {SALES}{} \
         GROUP BY ol.product_id, ol.vat_rate_basis_points",
        scoped(&scope)
    );
    let product_rows: Vec<ProductRateRow> = scoped_query!(conn, &scope, sql, ProductRateRow)?;
    let product_rows: Vec<ProductRateSum> = product_rows
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
        .collect();
    let products = per_product(&product_rows)?;

    let sql = format!(
        "SELECT a.supplier_id AS supplier_id, a.rank AS rank, a.outcome AS outcome, COUNT(*) AS n \
         FROM order_assignments a JOIN orders o ON o.id = a.order_id \
         WHERE 1 = 1{} \
         GROUP BY a.supplier_id, a.rank, a.outcome",
        scoped(&scope)
    );
    let offers: Vec<OfferCount> = scoped_query!(conn, &scope, sql, OfferRow)?
        .into_iter()
        .map(|r| OfferCount {
            supplier_id: r.supplier_id,
            rank: r.rank,
            outcome: r.outcome,
            count: r.n,
        })
        .collect();
    let supplier_names: BTreeMap<i64, String> = with_conn!(conn, |c| suppliers::table
        .select((suppliers::id, suppliers::name))
        .load::<(i64, String)>(c))?
    .into_iter()
    .collect();
    let (ranks, suppliers) = cascade(&offers, &orders, &supplier_names)?;
    let rank1_failed_share = ranks.first().and_then(|r| r.failed_share);

    let sql = format!(
        "SELECT o.id AS id, o.reference AS reference, i.name AS institution, o.status AS status, \
         o.placed_at AS placed_at, o.confirmed_at AS confirmed_at, o.breach_at AS breach_at, \
         o.delivered_at AS delivered_at, o.delivery_due AS delivery_due \
         FROM orders o JOIN institutions i ON i.id = o.institution_id \
         WHERE NOT (o.status = 'cancelled' AND o.confirmed_at IS NULL){} \
         ORDER BY o.placed_at, o.id",
        scoped(&scope)
    );
    let times: Vec<OrderTimes> = scoped_query!(conn, &scope, sql, TimesRow)?
        .into_iter()
        .map(|r| OrderTimes {
            order_id: r.id,
            reference: r.reference,
            institution: r.institution,
            status: r.status,
            placed_at: r.placed_at,
            confirmed_at: r.confirmed_at,
            breach_at: r.breach_at,
            delivered_at: r.delivered_at,
            delivery_due: r.delivery_due,
        })
        .collect();
    let service = service_levels(&times, calendar, confirmation_limit, today);

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
