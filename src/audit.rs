//! The audit trail: every change made by an admin or an API client, with who and when.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::Principal;
use crate::db::schema::audit_events;
use crate::db::{Conn, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
struct NewAuditEvent<'a> {
    occurred_at: NaiveDateTime,
    actor_user_id: Option<i64>,
    actor_client_id: Option<i64>,
    actor_label: &'a str,
    action: &'a str,
    subject_type: &'a str,
    subject_id: Option<i64>,
    details: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub actor_client_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<i64>,
    pub details: String,
}

/// Records one change; call inside the transaction that makes it, so the trail and the
/// change commit together.
pub fn record(
    conn: &mut Conn,
    now: NaiveDateTime,
    actor: &Principal,
    action: &str,
    subject_type: &str,
    subject_id: Option<i64>,
    details: serde_json::Value,
) -> DbResult<()> {
    let details = details.to_string();
    let event = NewAuditEvent {
        occurred_at: now,
        actor_user_id: actor.user_id,
        actor_client_id: actor.api_client_id,
        actor_label: &actor.label,
        action,
        subject_type,
        subject_id,
        details: &details,
    };
    with_conn!(conn, |c| diesel::insert_into(audit_events::table)
        .values(&event)
        .execute(c))?;
    Ok(())
}

pub fn for_subject(
    conn: &mut Conn,
    subject_type: &str,
    subject_id: i64,
) -> DbResult<Vec<AuditEvent>> {
    Ok(with_conn!(conn, |c| audit_events::table
        .filter(audit_events::subject_type.eq(subject_type))
        .filter(audit_events::subject_id.eq(subject_id))
        .order(audit_events::id.asc())
        .select(AuditEvent::as_select())
        .load(c))?)
}
