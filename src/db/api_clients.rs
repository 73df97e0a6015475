//! API clients: the credentials programs use to obtain access tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{api_clients, institutions, suppliers};
use super::{Conn, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = api_clients)]
pub struct ApiClientRow {
    pub id: i64,
    pub client_id: String,
    /// Never leaves the server, not even towards an admin.
    #[serde(skip)]
    pub secret_hash: String,
    pub name: String,
    pub role: String,
    pub institution_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<i64>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiClientRow {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = api_clients)]
pub struct NewApiClient<'a> {
    pub client_id: &'a str,
    pub secret_hash: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub institution_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<i64>,
}

pub fn insert(conn: &mut Conn, new: &NewApiClient<'_>) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(
        api_clients::table
    )
    .values(new)
    .returning(api_clients::id)
    .get_result(c))?)
}

pub fn by_client_id(conn: &mut Conn, client_id: &str) -> DbResult<Option<ApiClientRow>> {
    Ok(with_conn!(conn, |c| api_clients::table
        .filter(api_clients::client_id.eq(client_id))
        .select(ApiClientRow::as_select())
        .get_result(c)
        .optional())?)
}

/// A client and the status of the institution or supplier it acts for, in one query, since
/// every API request authenticates this way. The status is `None` for the authority's own
/// clients (they act for no organisation).
pub fn with_organisation_status(
    conn: &mut Conn,
    client_id: &str,
) -> DbResult<Option<(ApiClientRow, Option<String>)>> {
    let found: Option<(ApiClientRow, Option<String>, Option<String>)> =
        with_conn!(conn, |c| api_clients::table
            .left_join(
                institutions::table.on(institutions::id.nullable().eq(api_clients::institution_id)),
            )
            .left_join(suppliers::table.on(suppliers::id.nullable().eq(api_clients::supplier_id)))
            .filter(api_clients::client_id.eq(client_id))
            .select((
                ApiClientRow::as_select(),
                institutions::status.nullable(),
                suppliers::status.nullable(),
            ))
            .get_result(c)
            .optional())?;
    Ok(found.map(|(client, institution, supplier)| (client, institution.or(supplier))))
}

/// Every client, revoked ones included, oldest first.
pub fn list(conn: &mut Conn) -> DbResult<Vec<ApiClientRow>> {
    Ok(with_conn!(conn, |c| api_clients::table
        .order(api_clients::id.asc())
        .select(ApiClientRow::as_select())
        .load(c))?)
}

pub fn for_supplier(conn: &mut Conn, supplier_id: i64) -> DbResult<Vec<ApiClientRow>> {
    Ok(with_conn!(conn, |c| api_clients::table
        .filter(api_clients::supplier_id.eq(supplier_id))
        .order(api_clients::id.asc())
        .select(ApiClientRow::as_select())
        .load(c))?)
}

pub fn for_institution(conn: &mut Conn, institution_id: i64) -> DbResult<Vec<ApiClientRow>> {
    Ok(with_conn!(conn, |c| api_clients::table
        .filter(api_clients::institution_id.eq(institution_id))
        .order(api_clients::id.asc())
        .select(ApiClientRow::as_select())
        .load(c))?)
}

/// Marks the client revoked; returns false when it was already revoked (or does not exist),
/// so the first revocation time is the one kept.
pub fn revoke(conn: &mut Conn, client_id: &str, now: NaiveDateTime) -> DbResult<bool> {
    let updated = with_conn!(conn, |c| diesel::update(
        api_clients::table
            .filter(api_clients::client_id.eq(client_id))
            .filter(api_clients::revoked_at.is_null())
    )
    .set(api_clients::revoked_at.eq(Some(now)))
    .execute(c))?;
    Ok(updated > 0)
}
