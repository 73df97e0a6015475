//! Institutions, suppliers and user accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{competent_authorities, delivery_addresses, institutions, suppliers, users};
use super::{Conn, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = institutions)]
pub struct InstitutionRow {
    pub id: i64,
    pub enterprise_number: String,
    pub name: String,
    pub competent_authority_id: i64,
    pub sector: String,
    pub language: String,
    pub billing_street: String,
    pub billing_postcode: String,
    pub billing_city: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub contact_name: String,
    pub contact_email: String,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<i64>,
    pub decision_reason: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = institutions)]
pub struct NewInstitution<'a> {
    pub enterprise_number: &'a str,
    pub name: &'a str,
    pub competent_authority_id: i64,
    pub sector: &'a str,
    pub language: &'a str,
    pub billing_street: &'a str,
    pub billing_postcode: &'a str,
    pub billing_city: &'a str,
    pub status: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = delivery_addresses)]
pub struct DeliveryAddressRow {
    pub id: i64,
    pub institution_id: i64,
    pub label: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub active: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = delivery_addresses)]
pub struct NewDeliveryAddress<'a> {
    pub institution_id: i64,
    pub label: &'a str,
    pub street: &'a str,
    pub postcode: &'a str,
    pub city: &'a str,
    pub active: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = suppliers)]
pub struct SupplierRow {
    pub id: i64,
    pub enterprise_number: String,
    pub name: String,
    pub email: String,
    pub language: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = suppliers)]
pub struct NewSupplier<'a> {
    pub enterprise_number: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub language: &'a str,
    pub status: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub institution_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub language: String,
    pub password_hash: Option<String>,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub institution_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub language: &'a str,
    pub password_hash: Option<&'a str>,
    pub status: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_institution(conn: &mut Conn, new: &NewInstitution<'_>) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(
        institutions::table
    )
    .values(new)
    .returning(institutions::id)
    .get_result(c))?)
}

pub fn insert_delivery_address(conn: &mut Conn, new: &NewDeliveryAddress<'_>) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(
        delivery_addresses::table
    )
    .values(new)
    .returning(delivery_addresses::id)
    .get_result(c))?)
}

pub fn institutions(conn: &mut Conn) -> DbResult<Vec<InstitutionRow>> {
    Ok(with_conn!(conn, |c| institutions::table
        .order(institutions::name.asc())
        .select(InstitutionRow::as_select())
        .load(c))?)
}

pub fn institution(conn: &mut Conn, id: i64) -> DbResult<Option<InstitutionRow>> {
    Ok(with_conn!(conn, |c| institutions::table
        .find(id)
        .select(InstitutionRow::as_select())
        .get_result(c)
        .optional())?)
}

/// Every institution whatever its status, with the code of its competent authority.
pub fn institutions_with_authority(conn: &mut Conn) -> DbResult<Vec<(InstitutionRow, String)>> {
    Ok(with_conn!(conn, |c| institutions::table
        .inner_join(competent_authorities::table)
        .order(institutions::name.asc())
        .select((InstitutionRow::as_select(), competent_authorities::code))
        .load(c))?)
}

pub fn institution_by_enterprise_number(
    conn: &mut Conn,
    number: &str,
) -> DbResult<Option<InstitutionRow>> {
    Ok(with_conn!(conn, |c| institutions::table
        .filter(institutions::enterprise_number.eq(number))
        .select(InstitutionRow::as_select())
        .first(c)
        .optional())?)
}

pub fn insert_supplier(conn: &mut Conn, new: &NewSupplier<'_>) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(suppliers::table)
        .values(new)
        .returning(suppliers::id)
        .get_result(c))?)
}

pub fn suppliers(conn: &mut Conn) -> DbResult<Vec<SupplierRow>> {
    Ok(with_conn!(conn, |c| suppliers::table
        .order(suppliers::name.asc())
        .select(SupplierRow::as_select())
        .load(c))?)
}

pub fn supplier(conn: &mut Conn, id: i64) -> DbResult<Option<SupplierRow>> {
    Ok(with_conn!(conn, |c| suppliers::table
        .find(id)
        .select(SupplierRow::as_select())
        .get_result(c)
        .optional())?)
}

pub fn insert_user(conn: &mut Conn, new: &NewUser<'_>) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(users::table)
        .values(new)
        .returning(users::id)
        .get_result(c))?)
}

pub fn user_by_email(conn: &mut Conn, email: &str) -> DbResult<Option<UserRow>> {
    let lowered = email.to_lowercase();
    Ok(with_conn!(conn, |c| users::table
        .filter(super::lower(users::email).eq(&lowered))
        .select(UserRow::as_select())
        .first(c)
        .optional())?)
}

pub fn count_users_with_role(conn: &mut Conn, role: &str) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| users::table
        .filter(users::role.eq(role))
        .count()
        .get_result(c))?)
}

pub fn delivery_addresses_of(
    conn: &mut Conn,
    institution_id: i64,
) -> DbResult<Vec<DeliveryAddressRow>> {
    Ok(with_conn!(conn, |c| delivery_addresses::table
        .filter(delivery_addresses::institution_id.eq(institution_id))
        .order(delivery_addresses::id.asc())
        .select(DeliveryAddressRow::as_select())
        .load(c))?)
}

pub fn delivery_addresses_of_institutions(
    conn: &mut Conn,
    institution_ids: &[i64],
) -> DbResult<Vec<DeliveryAddressRow>> {
    Ok(with_conn!(conn, |c| delivery_addresses::table
        .filter(delivery_addresses::institution_id.eq_any(institution_ids))
        .order(delivery_addresses::id.asc())
        .select(DeliveryAddressRow::as_select())
        .load(c))?)
}

/// `(id, name)` of these institutions.
pub fn institution_names(conn: &mut Conn, ids: &[i64]) -> DbResult<Vec<(i64, String)>> {
    Ok(with_conn!(conn, |c| institutions::table
        .filter(institutions::id.eq_any(ids))
        .select((institutions::id, institutions::name))
        .load(c))?)
}

/// Enterprise numbers of many institutions, `(id, number)`.
pub fn institution_numbers(conn: &mut Conn, ids: &[i64]) -> DbResult<Vec<(i64, String)>> {
    Ok(with_conn!(conn, |c| institutions::table
        .filter(institutions::id.eq_any(ids))
        .select((institutions::id, institutions::enterprise_number))
        .load(c))?)
}

pub fn user(conn: &mut Conn, id: i64) -> DbResult<Option<UserRow>> {
    Ok(with_conn!(conn, |c| users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(c)
        .optional())?)
}

pub fn users_with_role(conn: &mut Conn, role: &str) -> DbResult<Vec<UserRow>> {
    Ok(with_conn!(conn, |c| users::table
        .filter(users::role.eq(role))
        .order(users::id.asc())
        .select(UserRow::as_select())
        .load(c))?)
}

pub fn users_of_institution(conn: &mut Conn, institution_id: i64) -> DbResult<Vec<UserRow>> {
    Ok(with_conn!(conn, |c| users::table
        .filter(users::institution_id.eq(institution_id))
        .order(users::id.asc())
        .select(UserRow::as_select())
        .load(c))?)
}

pub fn set_password(conn: &mut Conn, user_id: i64, hash: &str, now: NaiveDateTime) -> DbResult<()> {
    with_conn!(conn, |c| diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::status.eq("active"),
            users::updated_at.eq(now),
        ))
        .execute(c))?;
    Ok(())
}

// --- Supplier admin

/// A supplier as the back office sees it: whether a webhook is set, never its secret.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = suppliers)]
pub struct SupplierAdminRow {
    pub id: i64,
    pub enterprise_number: String,
    pub name: String,
    pub email: String,
    pub language: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub webhook_url: Option<String>,
}

pub fn suppliers_for_admin(conn: &mut Conn) -> DbResult<Vec<SupplierAdminRow>> {
    Ok(with_conn!(conn, |c| suppliers::table
        .order((suppliers::name.asc(), suppliers::id.asc()))
        .select(SupplierAdminRow::as_select())
        .load(c))?)
}

pub fn supplier_for_admin(conn: &mut Conn, id: i64) -> DbResult<Option<SupplierAdminRow>> {
    Ok(with_conn!(conn, |c| suppliers::table
        .find(id)
        .select(SupplierAdminRow::as_select())
        .first(c)
        .optional())?)
}

pub fn update_supplier_details(
    conn: &mut Conn,
    id: i64,
    name: &str,
    email: &str,
    language: &str,
    now: NaiveDateTime,
) -> DbResult<()> {
    with_conn!(conn, |c| diesel::update(suppliers::table.find(id))
        .set((
            suppliers::name.eq(name),
            suppliers::email.eq(email),
            suppliers::language.eq(language),
            suppliers::updated_at.eq(now),
        ))
        .execute(c))?;
    Ok(())
}

/// Changes the status only from `from`, so two admins acting at once cannot both succeed;
/// returns whether it changed.
pub fn set_supplier_status(
    conn: &mut Conn,
    id: i64,
    from: &str,
    to: &str,
    now: NaiveDateTime,
) -> DbResult<bool> {
    let updated = with_conn!(conn, |c| diesel::update(
        suppliers::table
            .filter(suppliers::id.eq(id))
            .filter(suppliers::status.eq(from))
    )
    .set((suppliers::status.eq(to), suppliers::updated_at.eq(now)))
    .execute(c))?;
    Ok(updated > 0)
}

pub fn supplier_by_enterprise_number(
    conn: &mut Conn,
    number: &str,
) -> DbResult<Option<SupplierAdminRow>> {
    Ok(with_conn!(conn, |c| suppliers::table
        .filter(suppliers::enterprise_number.eq(number))
        .select(SupplierAdminRow::as_select())
        .first(c)
        .optional())?)
}

/// One place a supplier holds in a lot's cascade.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CascadePlace {
    pub supplier_id: i64,
    pub lot_id: i64,
    pub lot_reference: String,
    pub rank: i32,
    pub active: bool,
}

/// The cascade places of the given suppliers (all suppliers when `None`), by lot reference.
pub fn cascade_places(conn: &mut Conn, supplier: Option<i64>) -> DbResult<Vec<CascadePlace>> {
    use super::schema::{cascade_entries, lots};
    let rows: Vec<(i64, i64, String, i32, bool)> = with_conn!(conn, |c| {
        let mut query = cascade_entries::table
            .inner_join(lots::table)
            .select((
                cascade_entries::supplier_id,
                lots::id,
                lots::reference,
                cascade_entries::rank,
                cascade_entries::active,
            ))
            .order((lots::reference.asc(), cascade_entries::rank.asc()))
            .into_boxed();
        if let Some(id) = supplier {
            query = query.filter(cascade_entries::supplier_id.eq(id));
        }
        query.load(c)
    })?;
    Ok(rows
        .into_iter()
        .map(
            |(supplier_id, lot_id, lot_reference, rank, active)| CascadePlace {
                supplier_id,
                lot_id,
                lot_reference,
                rank,
                active,
            },
        )
        .collect())
}

/// How many API clients each supplier has that are not revoked.
pub fn active_client_counts(conn: &mut Conn) -> DbResult<Vec<(i64, i64)>> {
    use super::schema::api_clients;
    let rows: Vec<Option<i64>> = with_conn!(conn, |c| api_clients::table
        .filter(api_clients::supplier_id.is_not_null())
        .filter(api_clients::revoked_at.is_null())
        .select(api_clients::supplier_id)
        .load(c))?;
    let mut counts: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    for id in rows.into_iter().flatten() {
        *counts.entry(id).or_default() += 1;
    }
    Ok(counts.into_iter().collect())
}
