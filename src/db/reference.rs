//! Reference data: competent authorities, sectors, categories and VAT classes.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::schema::{categories, competent_authorities, sectors, vat_rates};
use super::{Conn, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = competent_authorities)]
pub struct AuthorityRow {
    pub id: i64,
    pub code: String,
    pub name_fr: String,
    pub name_nl: String,
    pub position: i32,
    pub active: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = sectors)]
pub struct SectorRow {
    pub code: String,
    pub name_fr: String,
    pub name_nl: String,
    pub position: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = categories)]
pub struct CategoryRow {
    pub id: i64,
    pub code: String,
    pub name_fr: String,
    pub name_nl: String,
    pub position: i32,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = categories)]
pub struct NewCategory<'a> {
    pub code: &'a str,
    pub name_fr: &'a str,
    pub name_nl: &'a str,
    pub position: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = vat_rates)]
pub struct VatRateRow {
    pub vat_class: String,
    pub rate_basis_points: i32,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

pub fn authorities(conn: &mut Conn) -> DbResult<Vec<AuthorityRow>> {
    Ok(with_conn!(conn, |c| competent_authorities::table
        .order(competent_authorities::position.asc())
        .select(AuthorityRow::as_select())
        .load(c))?)
}

pub fn authority_by_code(conn: &mut Conn, code: &str) -> DbResult<Option<AuthorityRow>> {
    Ok(with_conn!(conn, |c| competent_authorities::table
        .filter(competent_authorities::code.eq(code))
        .select(AuthorityRow::as_select())
        .first(c)
        .optional())?)
}

pub fn sectors(conn: &mut Conn) -> DbResult<Vec<SectorRow>> {
    Ok(with_conn!(conn, |c| sectors::table
        .order(sectors::position.asc())
        .select(SectorRow::as_select())
        .load(c))?)
}

pub fn categories(conn: &mut Conn) -> DbResult<Vec<CategoryRow>> {
    Ok(with_conn!(conn, |c| categories::table
        .order((categories::position.asc(), categories::code.asc()))
        .select(CategoryRow::as_select())
        .load(c))?)
}

pub fn category_by_code(conn: &mut Conn, code: &str) -> DbResult<Option<CategoryRow>> {
    Ok(with_conn!(conn, |c| categories::table
        .filter(categories::code.eq(code))
        .select(CategoryRow::as_select())
        .first(c)
        .optional())?)
}

pub fn insert_category(conn: &mut Conn, new: &NewCategory<'_>) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(
        categories::table
    )
    .values(new)
    .returning(categories::id)
    .get_result(c))?)
}

pub fn vat_rates(conn: &mut Conn) -> DbResult<Vec<VatRateRow>> {
    Ok(with_conn!(conn, |c| vat_rates::table
        .order((vat_rates::vat_class.asc(), vat_rates::valid_from.asc()))
        .select(VatRateRow::as_select())
        .load(c))?)
}
