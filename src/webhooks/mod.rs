//! Webhooks: order events POSTed to the endpoint a supplier registered, signed with
//! HMAC-SHA256, written to a durable delivery table in the same transaction as the change,
//! and retried with exponential backoff for 24 hours.
//!
//! Signature: header `Centrale-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is
//! HMAC-SHA256(secret, "<t>.<raw body>"). Receivers recompute it and reject timestamps more
//! than a few minutes old, so a captured request cannot be replayed later.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::config::WebhookSettings;
use crate::db::schema::{suppliers, webhook_deliveries};
use crate::db::{Conn, DbError, DbResult, Pool};
use crate::validation::ValidationErrors;
use crate::with_conn;

pub const SIGNATURE_HEADER: &str = "Centrale-Signature";
pub const EVENT_HEADER: &str = "Centrale-Event";
pub const DELIVERY_HEADER: &str = "Centrale-Delivery";
/// Deliveries are retried for this long after the event, then marked failed.
pub const RETRY_HOURS: i64 = 24;
const BATCH: i64 = 100;
/// How long one pass keeps sending before the worker turns to its other jobs.
pub const PASS_LIMIT: Duration = Duration::from_secs(10);

pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn signature_header(secret: &str, timestamp: i64, body: &str) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, body))
}

/// Same schedule as mail: 30 s doubling, at most an hour apart.
pub fn backoff(attempts_so_far: i32) -> chrono::Duration {
    crate::mail::sender::backoff(attempts_so_far)
}

/// Checks a webhook address: HTTPS, or plain HTTP to this machine when `allow_loopback_http`
/// (development and tests only).
pub fn validate_url(url: &str, allow_loopback_http: bool) -> Result<String, ValidationErrors> {
    let url = url.trim();
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"];
    let ok_scheme = url.starts_with("https://")
        || (allow_loopback_http && loopback.iter().any(|p| url.starts_with(p)));
    if url.len() > 500 || url.chars().any(|c| c.is_whitespace() || c.is_control()) || !ok_scheme {
        return Err(ValidationErrors::single(
            "url",
            "webhook-url-invalid",
            "the webhook address must be an https:// URL of at most 500 characters",
        ));
    }
    Ok(url.to_owned())
}

/// Registers (or replaces) a supplier's endpoint and returns the new signing secret, shown
/// this once.
pub fn register(conn: &mut Conn, supplier_id: i64, url: &str) -> DbResult<String> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    with_conn!(conn, |c| diesel::update(suppliers::table.find(supplier_id))
        .set((
            suppliers::webhook_url.eq(Some(url)),
            suppliers::webhook_secret.eq(Some(&secret))
        ))
        .execute(c))?;
    Ok(secret)
}

pub fn unregister(conn: &mut Conn, supplier_id: i64) -> DbResult<()> {
    with_conn!(conn, |c| diesel::update(suppliers::table.find(supplier_id))
        .set((
            suppliers::webhook_url.eq(None::<String>),
            suppliers::webhook_secret.eq(None::<String>)
        ))
        .execute(c))?;
    Ok(())
}

pub fn endpoint(conn: &mut Conn, supplier_id: i64) -> DbResult<Option<String>> {
    Ok(with_conn!(conn, |c| suppliers::table
        .find(supplier_id)
        .select(suppliers::webhook_url)
        .first::<Option<String>>(c)
        .optional())?
    .flatten())
}

/// The body POSTed for `event`.
pub fn payload(event: &str, now: NaiveDateTime, data: &Value) -> String {
    json!({ "type": event, "created_at": now.and_utc(), "data": data }).to_string()
}

/// Queues `event` for the supplier, if it registered an endpoint. Call inside the
/// transaction that makes the change.
pub fn enqueue(
    conn: &mut Conn,
    now: NaiveDateTime,
    supplier_id: i64,
    event: &str,
    order_id: Option<i64>,
    data: Value,
) -> DbResult<()> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    let payload = payload(event, now, &data);
    // One statement: the delivery is written only if the supplier has an endpoint.
    with_conn!(conn, |c| diesel::insert_into(webhook_deliveries::table)
        .values(
            suppliers::table
                .filter(suppliers::id.eq(supplier_id))
                .filter(suppliers::webhook_url.is_not_null())
                .select((
                    suppliers::id,
                    event.into_sql::<Text>(),
                    order_id.into_sql::<Nullable<BigInt>>(),
                    payload.as_str().into_sql::<Text>(),
                    now.into_sql::<Timestamp>(),
                    now.into_sql::<Timestamp>(),
                )),
        )
        .into_columns((
            webhook_deliveries::supplier_id,
            webhook_deliveries::event_type,
            webhook_deliveries::order_id,
            webhook_deliveries::payload,
            webhook_deliveries::created_at,
            webhook_deliveries::next_attempt_at,
        ))
        .execute(c))?;
    Ok(())
}

/// A delivery to queue for a supplier known to have an endpoint.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewDelivery {
    pub supplier_id: i64,
    pub event_type: &'static str,
    pub order_id: Option<i64>,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
}

/// Queues many deliveries in the order given, inside the caller's transaction.
pub fn enqueue_many(conn: &mut Conn, deliveries: &[NewDelivery]) -> DbResult<()> {
    if !deliveries.is_empty() {
        with_conn!(conn, |c| diesel::insert_into(webhook_deliveries::table)
            .values(deliveries)
            .execute(c))?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: i64,
    pub supplier_id: i64,
    pub event_type: String,
    pub order_id: Option<i64>,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    pub failed_at: Option<NaiveDateTime>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

/// Recent deliveries, newest first; all suppliers' when `supplier_id` is `None`.
pub fn deliveries(
    conn: &mut Conn,
    supplier_id: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Delivery>> {
    Ok(with_conn!(conn, |c| {
        let mut query = webhook_deliveries::table.into_boxed();
        if let Some(id) = supplier_id {
            query = query.filter(webhook_deliveries::supplier_id.eq(id));
        }
        query
            .order(webhook_deliveries::id.desc())
            .limit(limit)
            .select(Delivery::as_select())
            .load(c)
    })?)
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WebhookReport {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Not tried in this pass because their endpoint had just failed to answer: they keep
    /// their attempts count and wait for the same retry time.
    pub postponed: usize,
}

/// One pass with the default settings; see [`send_due_with`].
pub fn send_due(pool: &Pool, now: NaiveDateTime) -> Result<WebhookReport, DbError> {
    send_due_with(pool, now, &WebhookSettings::default())
}

/// One pass: POSTs every due delivery (blocking; call from a blocking thread). Deliveries
/// are claimed with a conditional update, a batch per short transaction, so two workers
/// never send one twice at once, a backlog costs two commits per batch, only one batch is
/// ever in memory, and no connection is held while endpoints are waited for.
///
/// An endpoint that cannot be reached, does not answer within the timeout, or answers 429,
/// 502, 503 or 504 gets nothing more in this pass: its other deliveries wait for the same
/// retry time, while other suppliers' endpoints are served. A pass stops after
/// [`PASS_LIMIT`]; the rest waits for the next one.
pub fn send_due_with(
    pool: &Pool,
    now: NaiveDateTime,
    settings: &WebhookSettings,
) -> Result<WebhookReport, DbError> {
    let timeout = Duration::from_secs(settings.timeout_seconds.max(1));
    let lease_std = Duration::from_secs(settings.lease_seconds.clamp(1, 86_400));
    let lease = chrono::Duration::from_std(lease_std).unwrap_or(chrono::Duration::MAX);
    // Sending stops early in a batch once half its lease is gone.
    let lease_margin = lease_std / 2;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let mut report = WebhookReport::default();
    let started = std::time::Instant::now();
    // Endpoints that failed to answer in this pass: when to try them again, and why.
    let mut down: HashMap<String, (NaiveDateTime, String)> = HashMap::new();
    loop {
        // Leases count from the moment of each claim, as for mail.
        let claimed_at = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let until = claimed_at + lease;
        let (batch, targets) = {
            let mut conn = pool.get()?;
            let batch = conn.transaction(|conn| claim_due(conn, claimed_at, until, BATCH))?;
            let targets = endpoints(&mut conn, &batch)?;
            (batch, targets)
        };
        let claimed = batch.len();
        let held = std::time::Instant::now();
        let mut delivered = Vec::with_capacity(claimed);
        let mut failed = Vec::new();
        let mut unsent = Vec::new();
        let mut postponed = Vec::new();
        for delivery in batch {
            let target = targets.get(&delivery.supplier_id);
            if let Some((Some(url), _)) = target {
                if let Some((retry_at, error)) = down.get(url) {
                    postponed.push((delivery, *retry_at, error.clone()));
                    continue;
                }
            }
            if held.elapsed() > lease_margin || started.elapsed() > PASS_LIMIT {
                // Half the lease gone, or the pass's time: give the rest back rather than
                // risk a second worker taking them while this one still sends.
                unsent.push(delivery.id);
                continue;
            }
            let sent_at = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
            let outcome = match target {
                Some((Some(url), Some(secret))) => {
                    let outcome = post(&agent, url, secret, &delivery, sent_at);
                    if let Err((status, error)) = &outcome {
                        if endpoint_down(*status) {
                            let retry_at = claimed_at + backoff(delivery.attempts);
                            tracing::warn!(supplier = delivery.supplier_id, %error, "webhook endpoint unreachable; its deliveries wait until {retry_at}");
                            down.insert(url.clone(), (retry_at, error.clone()));
                        }
                    }
                    outcome
                }
                _ => Err((
                    None,
                    "the supplier no longer has a webhook endpoint".to_owned(),
                )),
            };
            match outcome {
                Ok(status) => delivered.push((delivery.id, status)),
                Err((status, error)) => failed.push((delivery, status, error)),
            }
        }
        pool.get()?.transaction(|conn| {
            let mut by_status: HashMap<u16, Vec<i64>> = HashMap::new();
            for (id, status) in &delivered {
                by_status.entry(*status).or_default().push(*id);
            }
            for (status, ids) in by_status {
                mark_delivered(conn, &ids, status, claimed_at)?;
            }
            for (delivery, status, error) in &failed {
                let give_up = past_retry_window(delivery, claimed_at);
                mark_failed(
                    conn,
                    delivery.id,
                    FailedAttempt {
                        retry_at: claimed_at + backoff(delivery.attempts),
                        given_up_at: give_up.then_some(claimed_at),
                        status: *status,
                        error,
                    },
                )?;
                if give_up {
                    report.failed += 1;
                } else {
                    report.retrying += 1;
                }
            }
            for (delivery, retry_at, error) in &postponed {
                if past_retry_window(delivery, claimed_at) {
                    // Its endpoint just failed again and its 24 hours are over.
                    let error = format!("not sent: the endpoint did not answer ({error})");
                    mark_failed(
                        conn,
                        delivery.id,
                        FailedAttempt {
                            retry_at: *retry_at,
                            given_up_at: Some(claimed_at),
                            status: None,
                            error: &error,
                        },
                    )?;
                    report.failed += 1;
                } else {
                    postpone(conn, delivery.id, *retry_at)?;
                    report.postponed += 1;
                }
            }
            release(conn, &unsent)
        })?;
        report.delivered += delivered.len();
        if claimed < BATCH as usize || !unsent.is_empty() || started.elapsed() > PASS_LIMIT {
            return Ok(report);
        }
    }
}

/// An answer (or its absence) that says the endpoint is down or overloaded rather than that
/// this one delivery was refused.
fn endpoint_down(status: Option<u16>) -> bool {
    matches!(status, None | Some(429 | 502 | 503 | 504))
}

fn past_retry_window(delivery: &Delivery, now: NaiveDateTime) -> bool {
    now >= delivery.created_at + chrono::Duration::hours(RETRY_HOURS)
}

/// Each supplier's endpoint and secret, for the suppliers of `batch`.
type Endpoints = HashMap<i64, (Option<String>, Option<String>)>;

fn endpoints(conn: &mut Conn, batch: &[Delivery]) -> DbResult<Endpoints> {
    let mut supplier_ids: Vec<i64> = batch.iter().map(|d| d.supplier_id).collect();
    supplier_ids.sort_unstable();
    supplier_ids.dedup();
    if supplier_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(with_conn!(conn, |c| suppliers::table
        .filter(suppliers::id.eq_any(&supplier_ids))
        .select((
            suppliers::id,
            suppliers::webhook_url,
            suppliers::webhook_secret
        ))
        .load::<(i64, Option<String>, Option<String>)>(c))?
    .into_iter()
    .map(|(id, url, secret)| (id, (url, secret)))
    .collect())
}

struct FailedAttempt<'a> {
    retry_at: NaiveDateTime,
    given_up_at: Option<NaiveDateTime>,
    status: Option<u16>,
    error: &'a str,
}

fn mark_failed(conn: &mut Conn, id: i64, attempt: FailedAttempt<'_>) -> DbResult<()> {
    let error: String = attempt.error.chars().take(500).collect();
    with_conn!(conn, |c| diesel::update(webhook_deliveries::table.find(id))
        .set((
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::next_attempt_at.eq(attempt.retry_at),
            webhook_deliveries::failed_at.eq(attempt.given_up_at),
            webhook_deliveries::last_status.eq(attempt.status.map(i32::from)),
            webhook_deliveries::last_error.eq(Some(error)),
            webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(c))?;
    Ok(())
}

/// Gives a delivery back untried, due again at `retry_at`; its attempts count stays.
fn postpone(conn: &mut Conn, id: i64, retry_at: NaiveDateTime) -> DbResult<()> {
    with_conn!(conn, |c| diesel::update(
        webhook_deliveries::table
            .find(id)
            .filter(webhook_deliveries::delivered_at.is_null())
    )
    .set((
        webhook_deliveries::next_attempt_at.eq(retry_at),
        webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(c))?;
    Ok(())
}

/// Takes up to `limit` due deliveries until `until`, oldest first. Call inside a transaction.
fn claim_due(
    conn: &mut Conn,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<Delivery>> {
    let due: Vec<i64> = with_conn!(conn, |c| webhook_deliveries::table
        .filter(webhook_deliveries::delivered_at.is_null())
        .filter(webhook_deliveries::failed_at.is_null())
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .filter(
            webhook_deliveries::locked_until
                .is_null()
                .or(webhook_deliveries::locked_until.lt(now))
        )
        .order(webhook_deliveries::id.asc())
        .limit(limit)
        .select(webhook_deliveries::id)
        .load(c))?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let mut claimed: Vec<Delivery> = with_conn!(conn, |c| diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq_any(&due))
            .filter(webhook_deliveries::delivered_at.is_null())
            .filter(
                webhook_deliveries::locked_until
                    .is_null()
                    .or(webhook_deliveries::locked_until.lt(now))
            )
    )
    .set(webhook_deliveries::locked_until.eq(Some(until)))
    .returning(Delivery::as_returning())
    .get_results(c))?;
    claimed.sort_by_key(|d| d.id);
    Ok(claimed)
}

fn mark_delivered(conn: &mut Conn, ids: &[i64], status: u16, now: NaiveDateTime) -> DbResult<()> {
    with_conn!(conn, |c| diesel::update(
        webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(ids))
    )
    .set((
        webhook_deliveries::delivered_at.eq(Some(now)),
        webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
        webhook_deliveries::last_status.eq(Some(i32::from(status))),
        webhook_deliveries::last_error.eq(None::<String>),
        webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(c))?;
    Ok(())
}

fn release(conn: &mut Conn, ids: &[i64]) -> DbResult<()> {
    if !ids.is_empty() {
        with_conn!(conn, |c| diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::id.eq_any(ids))
                .filter(webhook_deliveries::delivered_at.is_null())
        )
        .set(webhook_deliveries::locked_until.eq(None::<NaiveDateTime>))
        .execute(c))?;
    }
    Ok(())
}

/// One POST; `Ok(status)` for a 2xx answer, otherwise the status (if any) and why.
fn post(
    agent: &ureq::Agent,
    url: &str,
    secret: &str,
    delivery: &Delivery,
    now: NaiveDateTime,
) -> Result<u16, (Option<u16>, String)> {
    let timestamp = now.and_utc().timestamp();
    let response = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header(
            SIGNATURE_HEADER,
            &signature_header(secret, timestamp, &delivery.payload),
        )
        .header(EVENT_HEADER, &delivery.event_type)
        .header(DELIVERY_HEADER, &delivery.id.to_string())
        .send(delivery.payload.as_bytes());
    match response {
        Ok(response) => {
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                Ok(status)
            } else {
                Err((Some(status), format!("the endpoint answered {status}")))
            }
        }
        Err(error) => Err((None, error.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_and_body() {
        // RFC 4231 test case 2 checks the primitive: key "Jefe", data "what do ya want for nothing?".
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let a = sign("secret", 1_700_000_000, r#"{"a":1}"#);
        assert_eq!(a.len(), 64);
        assert_ne!(
            a,
            sign("secret", 1_700_000_001, r#"{"a":1}"#),
            "timestamp is signed"
        );
        assert_ne!(a, sign("other", 1_700_000_000, r#"{"a":1}"#));
        assert_eq!(
            signature_header("secret", 5, "x"),
            format!("t=5,v1={}", sign("secret", 5, "x"))
        );
    }

    #[test]
    fn no_answer_or_an_overloaded_endpoint_holds_back_its_other_deliveries() {
        for down in [None, Some(429), Some(502), Some(503), Some(504)] {
            assert!(endpoint_down(down), "{down:?}");
        }
        for refused_alone in [Some(400), Some(404), Some(410), Some(500)] {
            assert!(!endpoint_down(refused_alone), "{refused_alone:?}");
        }
    }

    #[test]
    fn only_https_or_local_http_endpoints() {
        assert!(validate_url("https://erp.supplier.example/hooks/centrale", false).is_ok());
        assert!(validate_url("http://erp.supplier.example/hook", false).is_err());
        assert!(validate_url("http://127.0.0.1:9000/hook", false).is_err());
        assert!(validate_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(validate_url("ftp://x", true).is_err());
        assert!(validate_url("https://x.example/a b", false).is_err());
        assert!(validate_url(&format!("https://x.example/{}", "a".repeat(600)), false).is_err());
    }
}
