//! What the open-data package reads: published lots with their cascades, and published
//! orders with their lines, one page at a time. Only the columns the mapping publishes are
//! selected, so personal data never leaves the database on this path.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::mapping::{CascadeData, Entity, LineData, LotData, OrderData, PUBLISHED_STATUSES};
use super::PageRequest;
use crate::db::schema::{cascade_entries, institutions, lots, order_lines, orders, suppliers};
use crate::db::{Conn, DbResult};
use crate::domain::order_state::OrderStatus;
use crate::domain::Cents;
use crate::with_conn;

/// Lots that left the draft stage are public.
const PUBLIC_LOT_STATUSES: [&str; 2] = ["published", "closed"];

pub struct Page {
    pub lots: Vec<LotData>,
    pub orders: Vec<OrderData>,
    /// Releases in the whole (filtered) data set, for pagination.
    pub total: i64,
    /// Latest change anywhere in the published data.
    pub last_change: Option<NaiveDateTime>,
}

type LotColumns = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    chrono::NaiveDate,
    chrono::NaiveDate,
    String,
    NaiveDateTime,
);

type OrderColumns = (
    i64,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i32>,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<chrono::NaiveDate>,
    Option<NaiveDateTime>,
);

/// Orders [`super::mapping::is_published`] accepts, as a database filter: a macro so the
/// same filter compiles inside each backend's query.
macro_rules! published_orders {
    () => {
        orders::table.filter(
            orders::status.eq_any(PUBLISHED_STATUSES).and(
                orders::status
                    .ne("cancelled")
                    .or(orders::confirmed_supplier_id.is_not_null()),
            ),
        )
    };
}

/// order id, sku, name FR, name NL, unit code, quantity, unit price cents, VAT basis points.
type LineColumns = (i64, String, String, String, String, i32, i64, i32);

pub fn page(conn: &mut Conn, request: &PageRequest) -> DbResult<Page> {
    let since = request.since_time();
    let (lot_count, order_count) = counts(conn, since)?;
    let offset = request.offset();
    let limit = i64::from(request.limit);

    let lot_rows: Vec<LotColumns> = if offset < lot_count {
        with_conn!(conn, |c| {
            let mut query = lots::table
                .filter(lots::status.eq_any(PUBLIC_LOT_STATUSES))
                .select((
                    lots::id,
                    lots::reference,
                    lots::kind,
                    lots::title_fr,
                    lots::title_nl,
                    lots::description_fr,
                    lots::description_nl,
                    lots::valid_from,
                    lots::valid_until,
                    lots::status,
                    lots::updated_at,
                ))
                .order(lots::id.asc())
                .offset(offset)
                .limit(limit)
                .into_boxed();
            if let Some(since) = since {
                query = query.filter(
                    lots::updated_at.ge(since).or(lots::id.eq_any(
                        cascade_entries::table
                            .filter(cascade_entries::created_at.ge(since))
                            .select(cascade_entries::lot_id),
                    )),
                );
            }
            query.load(c)
        })?
    } else {
        Vec::new()
    };
    let order_offset = (offset - lot_count).max(0);
    let order_limit = limit - lot_rows.len() as i64;
    let order_rows: Vec<OrderColumns> = if order_limit > 0 && order_offset < order_count {
        with_conn!(conn, |c| {
            let mut query = published_orders!()
                .select((
                    orders::id,
                    orders::reference,
                    orders::status,
                    orders::institution_id,
                    orders::lot_id,
                    orders::confirmed_supplier_id,
                    orders::confirmed_rank,
                    orders::placed_at,
                    orders::updated_at,
                    orders::confirmed_at,
                    orders::expected_delivery,
                    orders::delivered_at,
                ))
                .order(orders::id.asc())
                .offset(order_offset)
                .limit(order_limit)
                .into_boxed();
            if let Some(since) = since {
                query = query.filter(orders::updated_at.ge(since));
            }
            query.load(c)
        })?
    } else {
        Vec::new()
    };

    let lots = lots_with_cascades(conn, lot_rows)?;
    let orders = orders_with_parties(conn, order_rows)?;
    Ok(Page {
        lots,
        orders,
        total: lot_count + order_count,
        last_change: last_change(conn)?,
    })
}

fn counts(conn: &mut Conn, since: Option<NaiveDateTime>) -> DbResult<(i64, i64)> {
    let lot_count: i64 = with_conn!(conn, |c| {
        let mut query = lots::table
            .filter(lots::status.eq_any(PUBLIC_LOT_STATUSES))
            .count()
            .into_boxed();
        if let Some(since) = since {
            query = query.filter(
                lots::updated_at.ge(since).or(lots::id.eq_any(
                    cascade_entries::table
                        .filter(cascade_entries::created_at.ge(since))
                        .select(cascade_entries::lot_id),
                )),
            );
        }
        query.get_result(c)
    })?;
    let order_count: i64 = with_conn!(conn, |c| {
        let mut query = published_orders!().count().into_boxed();
        if let Some(since) = since {
            query = query.filter(orders::updated_at.ge(since));
        }
        query.get_result(c)
    })?;
    Ok((lot_count, order_count))
}

fn last_change(conn: &mut Conn) -> DbResult<Option<NaiveDateTime>> {
    let lot: Option<NaiveDateTime> = with_conn!(conn, |c| lots::table
        .filter(lots::status.eq_any(PUBLIC_LOT_STATUSES))
        .select(diesel::dsl::max(lots::updated_at))
        .first(c))?;
    let cascade: Option<NaiveDateTime> = with_conn!(conn, |c| cascade_entries::table
        .select(diesel::dsl::max(cascade_entries::created_at))
        .first(c))?;
    let order: Option<NaiveDateTime> = with_conn!(conn, |c| published_orders!()
        .select(diesel::dsl::max(orders::updated_at))
        .first(c))?;
    Ok([lot, cascade, order].into_iter().flatten().max())
}

fn entities(conn: &mut Conn, supplier_ids: Vec<i64>) -> DbResult<HashMap<i64, Entity>> {
    let rows: Vec<(i64, String, String)> = with_conn!(conn, |c| suppliers::table
        .filter(suppliers::id.eq_any(&supplier_ids))
        .select((suppliers::id, suppliers::enterprise_number, suppliers::name))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(id, enterprise_number, name)| {
            (
                id,
                Entity {
                    enterprise_number,
                    name,
                },
            )
        })
        .collect())
}

fn lots_with_cascades(conn: &mut Conn, rows: Vec<LotColumns>) -> DbResult<Vec<LotData>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let entries: Vec<(i64, i64, i64, i32, bool, NaiveDateTime)> =
        with_conn!(conn, |c| cascade_entries::table
            .filter(cascade_entries::lot_id.eq_any(&ids))
            .select((
                cascade_entries::id,
                cascade_entries::lot_id,
                cascade_entries::supplier_id,
                cascade_entries::rank,
                cascade_entries::active,
                cascade_entries::created_at,
            ))
            .order((
                cascade_entries::lot_id,
                cascade_entries::rank,
                cascade_entries::id
            ))
            .load(c))?;
    let suppliers = entities(conn, entries.iter().map(|e| e.2).collect())?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                reference,
                kind,
                title_fr,
                title_nl,
                description_fr,
                description_nl,
                valid_from,
                valid_until,
                status,
                updated_at,
            )| LotData {
                cascade: entries
                    .iter()
                    .filter(|e| e.1 == id)
                    .filter_map(|&(entry_id, _, supplier_id, rank, active, created_at)| {
                        Some(CascadeData {
                            entry_id,
                            rank,
                            active,
                            created_at,
                            supplier: suppliers.get(&supplier_id)?.clone(),
                        })
                    })
                    .collect(),
                reference,
                kind,
                title_fr,
                title_nl,
                description_fr,
                description_nl,
                valid_from,
                valid_until,
                status,
                updated_at,
            },
        )
        .collect())
}

fn orders_with_parties(conn: &mut Conn, rows: Vec<OrderColumns>) -> DbResult<Vec<OrderData>> {
    let order_ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let institution_ids: Vec<i64> = rows.iter().map(|r| r.3).collect();
    let lot_ids: Vec<i64> = rows.iter().map(|r| r.4).collect();
    let buyers: HashMap<i64, Entity> = with_conn!(conn, |c| institutions::table
        .filter(institutions::id.eq_any(&institution_ids))
        .select((
            institutions::id,
            institutions::enterprise_number,
            institutions::name,
        ))
        .load::<(i64, String, String)>(c))?
    .into_iter()
    .map(|(id, enterprise_number, name)| {
        (
            id,
            Entity {
                enterprise_number,
                name,
            },
        )
    })
    .collect();
    let lot_info: HashMap<i64, (String, String, String)> = with_conn!(conn, |c| lots::table
        .filter(lots::id.eq_any(&lot_ids))
        .select((lots::id, lots::reference, lots::title_fr, lots::kind))
        .load::<(i64, String, String, String)>(c))?
    .into_iter()
    .map(|(id, reference, title, kind)| (id, (reference, title, kind)))
    .collect();
    let suppliers = entities(conn, rows.iter().filter_map(|r| r.5).collect())?;
    let lines: Vec<LineColumns> = with_conn!(conn, |c| order_lines::table
        .filter(order_lines::order_id.eq_any(&order_ids))
        .select((
            order_lines::order_id,
            order_lines::sku,
            order_lines::name_fr,
            order_lines::name_nl,
            order_lines::unit_code,
            order_lines::quantity,
            order_lines::unit_price_cents,
            order_lines::vat_rate_basis_points,
        ))
        .order((order_lines::order_id, order_lines::id))
        .load(c))?;
    let mut out = Vec::with_capacity(rows.len());
    for (
        id,
        reference,
        status,
        institution_id,
        lot_id,
        supplier_id,
        rank,
        placed_at,
        updated_at,
        confirmed_at,
        expected_delivery,
        delivered_at,
    ) in rows
    {
        let (Some(status), Some(institution), Some((lot_reference, lot_title_fr, lot_kind))) = (
            OrderStatus::parse(&status),
            buyers.get(&institution_id),
            lot_info.get(&lot_id),
        ) else {
            continue;
        };
        out.push(OrderData {
            reference,
            status,
            lot_reference: lot_reference.clone(),
            lot_title_fr: lot_title_fr.clone(),
            lot_kind: lot_kind.clone(),
            institution: institution.clone(),
            supplier: supplier_id
                .and_then(|s| suppliers.get(&s))
                .map(|s| (s.clone(), rank.unwrap_or_default())),
            placed_at,
            updated_at,
            confirmed_at,
            expected_delivery,
            delivered_at,
            lines: lines
                .iter()
                .filter(|l| l.0 == id)
                .map(|l| LineData {
                    sku: l.1.clone(),
                    name_fr: l.2.clone(),
                    name_nl: l.3.clone(),
                    unit_code: l.4.clone(),
                    quantity: l.5,
                    unit_price: Cents::new(l.6),
                    vat_rate_basis_points: l.7,
                })
                .collect(),
        });
    }
    Ok(out)
}
