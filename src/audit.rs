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

// --- Supplier admin

/// What the audit page and its downloads are narrowed to. Dates are Brussels calendar days,
/// both included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Part of the actor's label, any case.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub subject_type: Option<String>,
    pub from: Option<chrono::NaiveDate>,
    pub until: Option<chrono::NaiveDate>,
}

/// The half-open UTC interval `[start, end)` covering the filter's Brussels days.
pub fn utc_bounds(filter: &AuditFilter) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    let start = filter.from.map(crate::clock::brussels_day_start_utc);
    let end = filter
        .until
        .and_then(|day| day.succ_opt())
        .map(crate::clock::brussels_day_start_utc);
    (start, end)
}

fn escape_like(word: &str) -> String {
    word.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

macro_rules! filtered_audit_events {
    ($filter:expr) => {{
        let filter: &AuditFilter = $filter;
        let mut query = audit_events::table.into_boxed();
        if let Some(actor) = filter.actor.as_deref().filter(|a| !a.trim().is_empty()) {
            let pattern = format!("%{}%", escape_like(&actor.trim().to_lowercase()));
            query = query.filter(
                crate::db::lower(audit_events::actor_label)
                    .like(pattern)
                    .escape('\\'),
            );
        }
        if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
            query = query.filter(audit_events::action.eq(action.to_owned()));
        }
        if let Some(kind) = filter.subject_type.as_deref().filter(|a| !a.is_empty()) {
            query = query.filter(audit_events::subject_type.eq(kind.to_owned()));
        }
        let (start, end) = utc_bounds(filter);
        if let Some(start) = start {
            query = query.filter(audit_events::occurred_at.ge(start));
        }
        if let Some(end) = end {
            query = query.filter(audit_events::occurred_at.lt(end));
        }
        query
    }};
}

/// One page of matching events, newest first, and how many match in all.
pub fn search(
    conn: &mut Conn,
    filter: &AuditFilter,
    offset: i64,
    limit: i64,
) -> DbResult<(Vec<AuditEvent>, i64)> {
    let total: i64 = with_conn!(conn, |c| filtered_audit_events!(filter)
        .count()
        .get_result(c))?;
    let events = with_conn!(conn, |c| filtered_audit_events!(filter)
        .order((audit_events::occurred_at.desc(), audit_events::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(c))?;
    Ok((events, total))
}

/// The distinct actions and subject types recorded so far, for the filter lists.
pub fn known_kinds(conn: &mut Conn) -> DbResult<(Vec<String>, Vec<String>)> {
    let actions = with_conn!(conn, |c| audit_events::table
        .select(audit_events::action)
        .distinct()
        .order(audit_events::action.asc())
        .load::<String>(c))?;
    let subjects = with_conn!(conn, |c| audit_events::table
        .select(audit_events::subject_type)
        .distinct()
        .order(audit_events::subject_type.asc())
        .load::<String>(c))?;
    Ok((actions, subjects))
}

/// Where the subject of an event is shown in the back office, if anywhere.
pub fn subject_href(subject_type: &str, subject_id: Option<i64>) -> Option<String> {
    let id = subject_id?;
    match subject_type {
        "institution" | "membership" => Some(format!("/admin/memberships/{id}")),
        "supplier" => Some(format!("/admin/suppliers/{id}")),
        "lot" => Some(format!("/admin/lots/{id}")),
        _ => None,
    }
}

/// The details as indented JSON, or as stored when they are not JSON.
pub fn pretty_details(details: &str) -> String {
    serde_json::from_str::<serde_json::Value>(details)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| details.to_owned())
}

#[cfg(test)]
mod supplier_admin_tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn a_brussels_day_starts_at_23h_utc_in_winter_and_22h_in_summer() {
        let winter = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        assert_eq!(
            crate::clock::brussels_day_start_utc(winter),
            at(2026, 1, 14, 23)
        );
        let summer = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(
            crate::clock::brussels_day_start_utc(summer),
            at(2026, 6, 30, 22)
        );
    }

    #[test]
    fn days_around_the_clock_changes() {
        // 29 March 2026 is the last Sunday of March: midnight is still winter time.
        let change = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(
            crate::clock::brussels_day_start_utc(change),
            at(2026, 3, 28, 23)
        );
        let after = NaiveDate::from_ymd_opt(2026, 3, 30).unwrap();
        assert_eq!(
            crate::clock::brussels_day_start_utc(after),
            at(2026, 3, 29, 22)
        );
        // 25 October 2026: midnight is still summer time, the next one winter time.
        let back = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        assert_eq!(
            crate::clock::brussels_day_start_utc(back),
            at(2026, 10, 24, 22)
        );
        let next = NaiveDate::from_ymd_opt(2026, 10, 26).unwrap();
        assert_eq!(
            crate::clock::brussels_day_start_utc(next),
            at(2026, 10, 25, 23)
        );
    }

    #[test]
    fn bounds_include_the_whole_last_day() {
        let filter = AuditFilter {
            from: NaiveDate::from_ymd_opt(2026, 3, 10),
            until: NaiveDate::from_ymd_opt(2026, 3, 10),
            ..AuditFilter::default()
        };
        assert_eq!(
            utc_bounds(&filter),
            (Some(at(2026, 3, 9, 23)), Some(at(2026, 3, 10, 23)))
        );
        assert_eq!(utc_bounds(&AuditFilter::default()), (None, None));
    }

    #[test]
    fn subjects_link_to_their_pages() {
        assert_eq!(
            subject_href("supplier", Some(4)).as_deref(),
            Some("/admin/suppliers/4")
        );
        assert_eq!(
            subject_href("institution", Some(9)).as_deref(),
            Some("/admin/memberships/9")
        );
        assert_eq!(
            subject_href("lot", Some(2)).as_deref(),
            Some("/admin/lots/2")
        );
        assert_eq!(subject_href("api_client", Some(2)), None);
        assert_eq!(subject_href("supplier", None), None);
    }

    #[test]
    fn details_are_indented_when_json() {
        assert_eq!(pretty_details(r#"{"a":1}"#), "{\n  \"a\": 1\n}");
        assert_eq!(pretty_details("plain"), "plain");
    }

    #[test]
    fn like_wildcards_typed_by_people_are_literal() {
        assert_eq!(escape_like("50%_a\\"), "50\\%\\_a\\\\");
    }
}
