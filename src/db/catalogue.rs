//! Lots, cascades, products and supplier offers.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{cascade_entries, lots, products, supplier_offers, suppliers};
use super::{Conn, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lots)]
pub struct LotRow {
    pub id: i64,
    pub reference: String,
    pub category_id: i64,
    pub kind: String,
    pub title_fr: String,
    pub title_nl: String,
    pub description_fr: String,
    pub description_nl: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = lots)]
pub struct NewLot<'a> {
    pub reference: &'a str,
    pub category_id: i64,
    pub kind: &'a str,
    pub title_fr: &'a str,
    pub title_nl: &'a str,
    pub description_fr: &'a str,
    pub description_nl: &'a str,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cascade_entries)]
pub struct CascadeEntryRow {
    pub id: i64,
    pub lot_id: i64,
    pub supplier_id: i64,
    pub rank: i32,
    pub active: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = cascade_entries)]
pub struct NewCascadeEntry {
    pub lot_id: i64,
    pub supplier_id: i64,
    pub rank: i32,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = products)]
pub struct ProductRow {
    pub id: i64,
    pub lot_id: i64,
    pub sku: String,
    pub name_fr: String,
    pub name_nl: String,
    pub description_fr: String,
    pub description_nl: String,
    pub packaging_fr: String,
    pub packaging_nl: String,
    pub unit_code: String,
    pub standards: String,
    pub vat_class: String,
    pub min_quantity: i32,
    pub order_multiple: i32,
    pub active: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = products)]
pub struct NewProduct<'a> {
    pub lot_id: i64,
    pub sku: &'a str,
    pub name_fr: &'a str,
    pub name_nl: &'a str,
    pub description_fr: &'a str,
    pub description_nl: &'a str,
    pub packaging_fr: &'a str,
    pub packaging_nl: &'a str,
    pub unit_code: &'a str,
    pub standards: &'a str,
    pub vat_class: &'a str,
    pub min_quantity: i32,
    pub order_multiple: i32,
    pub active: bool,
    pub search_text: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = supplier_offers)]
pub struct OfferRow {
    pub product_id: i64,
    pub supplier_id: i64,
    pub price_cents: i64,
    pub available: bool,
    pub unavailable_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = supplier_offers)]
pub struct NewOffer {
    pub product_id: i64,
    pub supplier_id: i64,
    pub price_cents: i64,
    pub available: bool,
    pub unavailable_until: Option<NaiveDate>,
    pub updated_at: NaiveDateTime,
}

/// Suppliers as the catalogue needs them: name and whether they take orders.
#[derive(Debug, Clone, Queryable)]
pub struct SupplierBrief {
    pub id: i64,
    pub name: String,
    pub status: String,
}

pub fn insert_lot(conn: &mut Conn, new: &NewLot<'_>) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(lots::table)
        .values(new)
        .returning(lots::id)
        .get_result(c))?)
}

pub fn lot_by_reference(conn: &mut Conn, reference: &str) -> DbResult<Option<LotRow>> {
    Ok(with_conn!(conn, |c| lots::table
        .filter(lots::reference.eq(reference))
        .select(LotRow::as_select())
        .get_result(c)
        .optional())?)
}

pub fn lot_by_id(conn: &mut Conn, id: i64) -> DbResult<Option<LotRow>> {
    Ok(with_conn!(conn, |c| lots::table
        .find(id)
        .select(LotRow::as_select())
        .get_result(c)
        .optional())?)
}

/// Every lot, drafts and closed ones included.
pub fn all_lots(conn: &mut Conn) -> DbResult<Vec<LotRow>> {
    Ok(with_conn!(conn, |c| lots::table
        .order(lots::reference.asc())
        .select(LotRow::as_select())
        .load(c))?)
}

pub fn lots_with_status(conn: &mut Conn, status: &str) -> DbResult<Vec<LotRow>> {
    Ok(with_conn!(conn, |c| lots::table
        .filter(lots::status.eq(status))
        .order(lots::reference.asc())
        .select(LotRow::as_select())
        .load(c))?)
}

pub fn cascade_of(conn: &mut Conn, lot_id: i64) -> DbResult<Vec<CascadeEntryRow>> {
    Ok(with_conn!(conn, |c| cascade_entries::table
        .filter(cascade_entries::lot_id.eq(lot_id))
        .order(cascade_entries::rank.asc())
        .select(CascadeEntryRow::as_select())
        .load(c))?)
}

pub fn cascades_of(conn: &mut Conn, lot_ids: &[i64]) -> DbResult<Vec<CascadeEntryRow>> {
    Ok(with_conn!(conn, |c| cascade_entries::table
        .filter(cascade_entries::lot_id.eq_any(lot_ids))
        .order((cascade_entries::lot_id.asc(), cascade_entries::rank.asc()))
        .select(CascadeEntryRow::as_select())
        .load(c))?)
}

pub fn insert_cascade_entry(conn: &mut Conn, new: &NewCascadeEntry) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(
        cascade_entries::table
    )
    .values(new)
    .returning(cascade_entries::id)
    .get_result(c))?)
}

pub fn insert_product(conn: &mut Conn, new: &NewProduct<'_>) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(products::table)
        .values(new)
        .returning(products::id)
        .get_result(c))?)
}

/// Active products of the given lots, optionally restricted to those whose search text
/// contains every word of `words` (already folded to lowercase without accents).
pub fn products_of(
    conn: &mut Conn,
    lot_ids: &[i64],
    words: &[String],
) -> DbResult<Vec<ProductRow>> {
    let patterns: Vec<String> = words
        .iter()
        .map(|w| format!("%{}%", escape_like(w)))
        .collect();
    Ok(with_conn!(conn, |c| {
        let mut query = products::table
            .filter(products::lot_id.eq_any(lot_ids))
            .filter(products::active.eq(true))
            .into_boxed();
        for pattern in &patterns {
            query = query.filter(products::search_text.like(pattern).escape('\\'));
        }
        query
            .order((products::lot_id.asc(), products::sku.asc()))
            .select(ProductRow::as_select())
            .load(c)
    })?)
}

pub fn product_by_sku(conn: &mut Conn, sku: &str) -> DbResult<Option<ProductRow>> {
    Ok(with_conn!(conn, |c| products::table
        .filter(products::sku.eq(sku))
        .select(ProductRow::as_select())
        .get_result(c)
        .optional())?)
}

pub fn product_lot_id(conn: &mut Conn, product_id: i64) -> DbResult<Option<i64>> {
    Ok(with_conn!(conn, |c| products::table
        .find(product_id)
        .select(products::lot_id)
        .get_result(c)
        .optional())?)
}

pub fn lot_reference(conn: &mut Conn, lot_id: i64) -> DbResult<Option<String>> {
    Ok(with_conn!(conn, |c| lots::table
        .find(lot_id)
        .select(lots::reference)
        .get_result(c)
        .optional())?)
}

pub fn offers_for(conn: &mut Conn, product_ids: &[i64]) -> DbResult<Vec<OfferRow>> {
    Ok(with_conn!(conn, |c| supplier_offers::table
        .filter(supplier_offers::product_id.eq_any(product_ids))
        .select(OfferRow::as_select())
        .load(c))?)
}

pub fn insert_offer(conn: &mut Conn, new: &NewOffer) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(
        supplier_offers::table
    )
    .values(new)
    .returning(supplier_offers::id)
    .get_result(c))?)
}

pub fn supplier_briefs(conn: &mut Conn, ids: &[i64]) -> DbResult<Vec<SupplierBrief>> {
    Ok(with_conn!(conn, |c| suppliers::table
        .filter(suppliers::id.eq_any(ids))
        .select((suppliers::id, suppliers::name, suppliers::status))
        .load(c))?)
}

pub fn lots_by_ids(conn: &mut Conn, ids: &[i64]) -> DbResult<Vec<LotRow>> {
    Ok(with_conn!(conn, |c| lots::table
        .filter(lots::id.eq_any(ids))
        .order(lots::id.asc())
        .select(LotRow::as_select())
        .load(c))?)
}

/// Suppliers as routing needs them: whether they take orders, and where their webhooks go.
#[derive(Debug, Clone, Queryable)]
pub struct RoutingSupplier {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub webhook_url: Option<String>,
}

pub fn routing_suppliers(conn: &mut Conn, ids: &[i64]) -> DbResult<Vec<RoutingSupplier>> {
    Ok(with_conn!(conn, |c| suppliers::table
        .filter(suppliers::id.eq_any(ids))
        .select((
            suppliers::id,
            suppliers::name,
            suppliers::status,
            suppliers::webhook_url,
        ))
        .load(c))?)
}

pub fn count_lots(conn: &mut Conn) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| lots::table.count().get_result(c))?)
}

/// `%` and `_` typed by a person are literal characters, not wildcards.
fn escape_like(word: &str) -> String {
    word.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

// --- Back office: lots, cascades, products, offers and categories as the authority edits
// them.

/// The editable fields of a lot.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = lots)]
pub struct LotChanges<'a> {
    pub reference: &'a str,
    pub category_id: i64,
    pub kind: &'a str,
    pub title_fr: &'a str,
    pub title_nl: &'a str,
    pub description_fr: &'a str,
    pub description_nl: &'a str,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub updated_at: NaiveDateTime,
}

pub fn update_lot(conn: &mut Conn, id: i64, changes: &LotChanges<'_>) -> DbResult<usize> {
    Ok(with_conn!(conn, |c| diesel::update(lots::table.find(id))
        .set(changes)
        .execute(c))?)
}

/// Moves a lot from `from` to `to`; 0 rows when it was not in `from` any more.
pub fn set_lot_status(
    conn: &mut Conn,
    id: i64,
    from: &str,
    to: &str,
    now: NaiveDateTime,
) -> DbResult<usize> {
    Ok(with_conn!(conn, |c| diesel::update(
        lots::table.find(id).filter(lots::status.eq(from))
    )
    .set((lots::status.eq(to), lots::updated_at.eq(now)))
    .execute(c))?)
}

/// A cascade entry with when it was first awarded, kept across reorderings.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cascade_entries)]
pub struct CascadeEntryDated {
    pub supplier_id: i64,
    pub rank: i32,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

pub fn cascade_dated(conn: &mut Conn, lot_id: i64) -> DbResult<Vec<CascadeEntryDated>> {
    Ok(with_conn!(conn, |c| cascade_entries::table
        .filter(cascade_entries::lot_id.eq(lot_id))
        .order(cascade_entries::rank.asc())
        .select(CascadeEntryDated::as_select())
        .load(c))?)
}

/// Replaces a lot's whole cascade. Deleting then inserting inside the caller's transaction
/// keeps `UNIQUE (lot_id, rank)` and `CHECK (rank BETWEEN 1 AND 5)` satisfied at every
/// statement on both backends, which swapping ranks in place cannot.
pub fn replace_cascade(conn: &mut Conn, lot_id: i64, entries: &[NewCascadeEntry]) -> DbResult<()> {
    with_conn!(conn, |c| diesel::delete(
        cascade_entries::table.filter(cascade_entries::lot_id.eq(lot_id))
    )
    .execute(c))?;
    if !entries.is_empty() {
        with_conn!(conn, |c| diesel::insert_into(cascade_entries::table)
            .values(entries)
            .execute(c))?;
    }
    Ok(())
}

/// Every supplier, for choosing cascade members.
pub fn all_supplier_briefs(conn: &mut Conn) -> DbResult<Vec<SupplierBrief>> {
    Ok(with_conn!(conn, |c| suppliers::table
        .order(suppliers::name.asc())
        .select((suppliers::id, suppliers::name, suppliers::status))
        .load(c))?)
}

pub fn product_by_id(conn: &mut Conn, id: i64) -> DbResult<Option<ProductRow>> {
    Ok(with_conn!(conn, |c| products::table
        .find(id)
        .select(ProductRow::as_select())
        .first(c)
        .optional())?)
}

/// Every product of a lot, inactive ones included.
pub fn all_products_of_lot(conn: &mut Conn, lot_id: i64) -> DbResult<Vec<ProductRow>> {
    Ok(with_conn!(conn, |c| products::table
        .filter(products::lot_id.eq(lot_id))
        .order(products::sku.asc())
        .select(ProductRow::as_select())
        .load(c))?)
}

/// `(lot_id, active product count)` for every lot that has products.
pub fn active_product_counts(conn: &mut Conn) -> DbResult<Vec<(i64, i64)>> {
    Ok(with_conn!(conn, |c| products::table
        .filter(products::active.eq(true))
        .group_by(products::lot_id)
        .select((products::lot_id, diesel::dsl::count_star()))
        .load(c))?)
}

#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = products)]
pub struct ProductChanges<'a> {
    pub sku: &'a str,
    pub name_fr: &'a str,
    pub name_nl: &'a str,
    pub description_fr: &'a str,
    pub description_nl: &'a str,
    pub packaging_fr: &'a str,
    pub packaging_nl: &'a str,
    pub unit_code: &'a str,
    pub standards: &'a str,
    pub vat_class: &'a str,
    pub min_quantity: i32,
    pub order_multiple: i32,
    pub active: bool,
    pub search_text: &'a str,
    pub updated_at: NaiveDateTime,
}

pub fn update_product(conn: &mut Conn, id: i64, changes: &ProductChanges<'_>) -> DbResult<usize> {
    Ok(with_conn!(conn, |c| diesel::update(
        products::table.find(id)
    )
    .set(changes)
    .execute(c))?)
}

/// Creates or replaces one supplier's offer for a product.
pub fn upsert_offer(conn: &mut Conn, new: &NewOffer) -> DbResult<()> {
    with_conn!(conn, |c| diesel::insert_into(supplier_offers::table)
        .values(new)
        .on_conflict((supplier_offers::product_id, supplier_offers::supplier_id))
        .do_update()
        .set((
            supplier_offers::price_cents.eq(new.price_cents),
            supplier_offers::available.eq(new.available),
            supplier_offers::unavailable_until.eq(new.unavailable_until),
            supplier_offers::updated_at.eq(new.updated_at),
        ))
        .execute(c))?;
    Ok(())
}

#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = super::schema::categories)]
pub struct CategoryChanges<'a> {
    pub code: &'a str,
    pub name_fr: &'a str,
    pub name_nl: &'a str,
    pub position: i32,
}

pub fn update_category(conn: &mut Conn, id: i64, changes: &CategoryChanges<'_>) -> DbResult<usize> {
    use super::schema::categories;
    Ok(with_conn!(conn, |c| diesel::update(
        categories::table.find(id)
    )
    .set(changes)
    .execute(c))?)
}

/// `(category_id, lot count)`.
pub fn lot_counts_by_category(conn: &mut Conn) -> DbResult<Vec<(i64, i64)>> {
    Ok(with_conn!(conn, |c| lots::table
        .group_by(lots::category_id)
        .select((lots::category_id, diesel::dsl::count_star()))
        .load(c))?)
}

// --- Catalogue import

pub fn lots_by_references(conn: &mut Conn, references: &[String]) -> DbResult<Vec<LotRow>> {
    Ok(with_conn!(conn, |c| lots::table
        .filter(lots::reference.eq_any(references))
        .select(LotRow::as_select())
        .load(c))?)
}

pub fn products_by_skus(conn: &mut Conn, skus: &[String]) -> DbResult<Vec<ProductRow>> {
    Ok(with_conn!(conn, |c| products::table
        .filter(products::sku.eq_any(skus))
        .order(products::sku.asc())
        .select(ProductRow::as_select())
        .load(c))?)
}

/// `(id, enterprise number, name)` of the suppliers with these enterprise numbers (bare digits).
pub fn suppliers_by_enterprise_numbers(
    conn: &mut Conn,
    numbers: &[String],
) -> DbResult<Vec<(i64, String, String)>> {
    Ok(with_conn!(conn, |c| suppliers::table
        .filter(suppliers::enterprise_number.eq_any(numbers))
        .select((suppliers::id, suppliers::enterprise_number, suppliers::name))
        .load(c))?)
}

/// Sets an offer's price and availability; a date the offer was unavailable until no longer
/// applies once availability is set explicitly.
pub fn update_offer(
    conn: &mut Conn,
    product_id: i64,
    supplier_id: i64,
    price_cents: i64,
    available: bool,
    now: NaiveDateTime,
) -> DbResult<usize> {
    Ok(with_conn!(conn, |c| diesel::update(
        supplier_offers::table
            .filter(supplier_offers::product_id.eq(product_id))
            .filter(supplier_offers::supplier_id.eq(supplier_id))
    )
    .set((
        supplier_offers::price_cents.eq(price_cents),
        supplier_offers::available.eq(available),
        supplier_offers::unavailable_until.eq(None::<NaiveDate>),
        supplier_offers::updated_at.eq(now),
    ))
    .execute(c))?)
}
