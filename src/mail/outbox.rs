//! The outbox table: queued messages, their attempts and their fate.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::outbox_emails;
use crate::db::{Conn, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox_emails)]
pub struct NewOutboxEmail<'a> {
    pub message_id: &'a str,
    pub template: &'a str,
    pub language: &'a str,
    pub to_address: &'a str,
    pub to_name: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = outbox_emails)]
pub struct OutboxEmail {
    pub id: i64,
    pub message_id: String,
    pub template: String,
    pub language: String,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

pub fn insert(conn: &mut Conn, new: &NewOutboxEmail<'_>) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| diesel::insert_into(
        outbox_emails::table
    )
    .values(new)
    .returning(outbox_emails::id)
    .get_result(c))?)
}

pub fn insert_many(conn: &mut Conn, new: &[NewOutboxEmail<'_>]) -> DbResult<()> {
    if !new.is_empty() {
        with_conn!(conn, |c| diesel::insert_into(outbox_emails::table)
            .values(new)
            .execute(c))?;
    }
    Ok(())
}

/// Ids of unsent messages whose time has come and that no sender holds.
pub fn due(conn: &mut Conn, now: NaiveDateTime, limit: i64) -> DbResult<Vec<i64>> {
    Ok(with_conn!(conn, |c| outbox_emails::table
        .filter(outbox_emails::sent_at.is_null())
        .filter(outbox_emails::next_attempt_at.le(now))
        .filter(
            outbox_emails::locked_until
                .is_null()
                .or(outbox_emails::locked_until.lt(now))
        )
        .order(outbox_emails::id.asc())
        .limit(limit)
        .select(outbox_emails::id)
        .load(c))?)
}

/// Takes one message for sending until `until`. The conditional update succeeds for exactly
/// one sender, so two workers (two `serve` processes on one PostgreSQL) never send the same
/// message at once; a sender that dies releases it when the lock expires.
pub fn claim(
    conn: &mut Conn,
    id: i64,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> DbResult<Option<OutboxEmail>> {
    let claimed = with_conn!(conn, |c| diesel::update(
        outbox_emails::table
            .filter(outbox_emails::id.eq(id))
            .filter(outbox_emails::sent_at.is_null())
            .filter(
                outbox_emails::locked_until
                    .is_null()
                    .or(outbox_emails::locked_until.lt(now))
            )
    )
    .set(outbox_emails::locked_until.eq(Some(until)))
    .execute(c))?;
    if claimed == 0 {
        return Ok(None);
    }
    Ok(Some(with_conn!(conn, |c| outbox_emails::table
        .find(id)
        .select(OutboxEmail::as_select())
        .first(c))?))
}

/// Takes up to `limit` due messages for sending until `until`, oldest first. Call inside a
/// transaction: the conditional update lets each message go to exactly one sender.
pub fn claim_due(
    conn: &mut Conn,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<OutboxEmail>> {
    let ids = due(conn, now, limit)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut claimed: Vec<OutboxEmail> = with_conn!(conn, |c| diesel::update(
        outbox_emails::table
            .filter(outbox_emails::id.eq_any(&ids))
            .filter(outbox_emails::sent_at.is_null())
            .filter(
                outbox_emails::locked_until
                    .is_null()
                    .or(outbox_emails::locked_until.lt(now))
            )
    )
    .set(outbox_emails::locked_until.eq(Some(until)))
    .returning(OutboxEmail::as_returning())
    .get_results(c))?;
    claimed.sort_by_key(|e| e.id);
    Ok(claimed)
}

/// Marks these messages sent, in one statement.
pub fn mark_all_sent(conn: &mut Conn, ids: &[i64], now: NaiveDateTime) -> DbResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    with_conn!(conn, |c| diesel::update(
        outbox_emails::table.filter(outbox_emails::id.eq_any(ids))
    )
    .set((
        outbox_emails::sent_at.eq(Some(now)),
        outbox_emails::locked_until.eq(None::<NaiveDateTime>),
        outbox_emails::attempts.eq(outbox_emails::attempts + 1),
        outbox_emails::last_error.eq(None::<String>),
    ))
    .execute(c))?;
    Ok(())
}

/// Gives claimed messages back unsent, for the next pass.
pub fn release(conn: &mut Conn, ids: &[i64]) -> DbResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    with_conn!(conn, |c| diesel::update(
        outbox_emails::table
            .filter(outbox_emails::id.eq_any(ids))
            .filter(outbox_emails::sent_at.is_null())
    )
    .set(outbox_emails::locked_until.eq(None::<NaiveDateTime>))
    .execute(c))?;
    Ok(())
}

/// Gives claimed messages back untried, due again at `retry_at` (the server was down): their
/// attempts count stays as it was.
pub fn postpone(conn: &mut Conn, ids: &[i64], retry_at: NaiveDateTime) -> DbResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    with_conn!(conn, |c| diesel::update(
        outbox_emails::table
            .filter(outbox_emails::id.eq_any(ids))
            .filter(outbox_emails::sent_at.is_null())
    )
    .set((
        outbox_emails::next_attempt_at.eq(retry_at),
        outbox_emails::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(c))?;
    Ok(())
}

pub fn mark_sent(conn: &mut Conn, id: i64, now: NaiveDateTime) -> DbResult<()> {
    with_conn!(conn, |c| diesel::update(outbox_emails::table.find(id))
        .set((
            outbox_emails::sent_at.eq(Some(now)),
            outbox_emails::locked_until.eq(None::<NaiveDateTime>),
            outbox_emails::attempts.eq(outbox_emails::attempts + 1),
            outbox_emails::last_error.eq(None::<String>),
        ))
        .execute(c))?;
    Ok(())
}

pub fn mark_failed(conn: &mut Conn, id: i64, retry_at: NaiveDateTime, error: &str) -> DbResult<()> {
    let error: String = error.chars().take(1000).collect();
    with_conn!(conn, |c| diesel::update(outbox_emails::table.find(id))
        .set((
            outbox_emails::next_attempt_at.eq(retry_at),
            outbox_emails::locked_until.eq(None::<NaiveDateTime>),
            outbox_emails::attempts.eq(outbox_emails::attempts + 1),
            outbox_emails::last_error.eq(Some(error)),
        ))
        .execute(c))?;
    Ok(())
}

/// Every message, newest last (tests and the admin's view of mail).
pub fn all(conn: &mut Conn) -> DbResult<Vec<OutboxEmail>> {
    Ok(with_conn!(conn, |c| outbox_emails::table
        .order(outbox_emails::id.asc())
        .select(OutboxEmail::as_select())
        .load(c))?)
}

pub fn count_unsent(conn: &mut Conn) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| outbox_emails::table
        .filter(outbox_emails::sent_at.is_null())
        .count()
        .get_result(c))?)
}
