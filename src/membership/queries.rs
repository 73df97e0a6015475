//! What the authority sees of applications and members.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::db::parties::{self as q, DeliveryAddressRow};
use crate::db::schema::{competent_authorities, institutions};
use crate::db::{Conn, DbError};
use crate::with_conn;

#[derive(Debug, Clone, Serialize, Queryable)]
pub struct MembershipSummary {
    pub id: i64,
    pub name: String,
    pub enterprise_number: String,
    pub status: String,
    pub language: String,
    pub sector: String,
    pub authority_code: String,
    pub authority_fr: String,
    pub authority_nl: String,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Default)]
pub struct MembershipFilter {
    pub status: Option<String>,
    pub authority: Option<String>,
}

pub const STATUSES: [&str; 4] = ["pending", "active", "suspended", "rejected"];

pub fn list(conn: &mut Conn, filter: &MembershipFilter) -> Result<Vec<MembershipSummary>, DbError> {
    summaries(conn, filter, None)
}

fn summaries(
    conn: &mut Conn,
    filter: &MembershipFilter,
    id: Option<i64>,
) -> Result<Vec<MembershipSummary>, DbError> {
    Ok(with_conn!(conn, |c| {
        let mut query = institutions::table
            .inner_join(competent_authorities::table)
            .into_boxed();
        if let Some(status) = &filter.status {
            query = query.filter(institutions::status.eq(status));
        }
        if let Some(id) = id {
            query = query.filter(institutions::id.eq(id));
        }
        if let Some(code) = &filter.authority {
            query = query.filter(competent_authorities::code.eq(code));
        }
        query
            .order((institutions::created_at.desc(), institutions::id.desc()))
            .select((
                institutions::id,
                institutions::name,
                institutions::enterprise_number,
                institutions::status,
                institutions::language,
                institutions::sector,
                competent_authorities::code,
                competent_authorities::name_fr,
                competent_authorities::name_nl,
                institutions::created_at,
                institutions::decided_at,
            ))
            .limit(1000)
            .load(c)
    })?)
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberUser {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub language: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MembershipDetail {
    pub summary: MembershipSummary,
    pub billing_street: String,
    pub billing_postcode: String,
    pub billing_city: String,
    pub contact_name: String,
    pub contact_email: String,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub delivery_addresses: Vec<DeliveryAddressRow>,
    pub users: Vec<MemberUser>,
    pub history: Vec<AuditEvent>,
}

pub fn detail(conn: &mut Conn, id: i64) -> Result<Option<MembershipDetail>, DbError> {
    let summary = summaries(conn, &MembershipFilter::default(), Some(id))?
        .into_iter()
        .next();
    let (Some(summary), Some(row)) = (summary, q::institution(conn, id)?) else {
        return Ok(None);
    };
    let decided_by = match row.decided_by {
        Some(user_id) => q::user(conn, user_id)?.map(|u| u.name),
        None => None,
    };
    let users = q::users_of_institution(conn, id)?
        .into_iter()
        .map(|u| MemberUser {
            id: u.id,
            name: u.name,
            email: u.email,
            language: u.language,
            status: u.status,
        })
        .collect();
    Ok(Some(MembershipDetail {
        summary,
        billing_street: row.billing_street,
        billing_postcode: row.billing_postcode,
        billing_city: row.billing_city,
        contact_name: row.contact_name,
        contact_email: row.contact_email,
        decision_reason: row.decision_reason,
        decided_by,
        delivery_addresses: q::delivery_addresses_of(conn, id)?,
        users,
        history: audit::for_subject(conn, "institution", id)?,
    }))
}
