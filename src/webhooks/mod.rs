//! Webhooks: order events POSTed to the endpoint a supplier registered, signed with
//! HMAC-SHA256, written to a durable delivery table in the same transaction as the change,
//! and retried with exponential backoff for 24 hours.
//!
//! Signature: header `Centrale-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is
//! HMAC-SHA256(secret, "<t>.<raw body>"). Receivers recompute it and reject timestamps more
//! than a few minutes old, so a captured request cannot be replayed later.

use std::time::Duration;

use base64::Engine;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::db::schema::{suppliers, webhook_deliveries};
use crate::db::{Conn, DbError, DbResult, Pool};
use crate::validation::ValidationErrors;
use crate::with_conn;

pub const SIGNATURE_HEADER: &str = "Centrale-Signature";
pub const EVENT_HEADER: &str = "Centrale-Event";
pub const DELIVERY_HEADER: &str = "Centrale-Delivery";
/// Deliveries are retried for this long after the event, then marked failed.
pub const RETRY_HOURS: i64 = 24;
const CLAIM_SECONDS: i64 = 120;
const TIMEOUT: Duration = Duration::from_secs(10);
const BATCH: i64 = 50;

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
    if endpoint(conn, supplier_id)?.is_none() {
        return Ok(());
    }
    let payload = json!({ "type": event, "created_at": now.and_utc(), "data": data }).to_string();
    with_conn!(conn, |c| diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::supplier_id.eq(supplier_id),
            webhook_deliveries::event_type.eq(event),
            webhook_deliveries::order_id.eq(order_id),
            webhook_deliveries::payload.eq(&payload),
            webhook_deliveries::created_at.eq(now),
            webhook_deliveries::next_attempt_at.eq(now),
        ))
        .execute(c))?;
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
}

/// One pass: POSTs every due delivery (blocking; call from a blocking thread). A delivery is
/// claimed with a conditional update first, so two workers never send it twice at once.
pub fn send_due(pool: &Pool, now: NaiveDateTime) -> Result<WebhookReport, DbError> {
    let mut conn = pool.get()?;
    let due: Vec<i64> = with_conn!(&mut conn, |c| webhook_deliveries::table
        .filter(webhook_deliveries::delivered_at.is_null())
        .filter(webhook_deliveries::failed_at.is_null())
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .filter(
            webhook_deliveries::locked_until
                .is_null()
                .or(webhook_deliveries::locked_until.lt(now))
        )
        .order(webhook_deliveries::id.asc())
        .limit(BATCH)
        .select(webhook_deliveries::id)
        .load(c))?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let mut report = WebhookReport::default();
    let started = std::time::Instant::now();
    for id in due {
        // Leases count from the moment of each claim, as for mail.
        let now = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let until = now + chrono::Duration::seconds(CLAIM_SECONDS);
        let claimed = with_conn!(&mut conn, |c| diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::id.eq(id))
                .filter(webhook_deliveries::delivered_at.is_null())
                .filter(
                    webhook_deliveries::locked_until
                        .is_null()
                        .or(webhook_deliveries::locked_until.lt(now))
                )
        )
        .set(webhook_deliveries::locked_until.eq(Some(until)))
        .execute(c))?;
        if claimed != 1 {
            continue;
        }
        let delivery: Delivery = with_conn!(&mut conn, |c| webhook_deliveries::table
            .find(id)
            .select(Delivery::as_select())
            .first(c))?;
        let target: Option<(Option<String>, Option<String>)> =
            with_conn!(&mut conn, |c| suppliers::table
                .find(delivery.supplier_id)
                .select((suppliers::webhook_url, suppliers::webhook_secret))
                .first(c)
                .optional())?;
        let outcome = match target {
            Some((Some(url), Some(secret))) => post(&agent, &url, &secret, &delivery, now),
            _ => Err((
                None,
                "the supplier no longer has a webhook endpoint".to_owned(),
            )),
        };
        match outcome {
            Ok(status) => {
                with_conn!(&mut conn, |c| diesel::update(
                    webhook_deliveries::table.find(id)
                )
                .set((
                    webhook_deliveries::delivered_at.eq(Some(now)),
                    webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                    webhook_deliveries::last_status.eq(Some(i32::from(status))),
                    webhook_deliveries::last_error.eq(None::<String>),
                    webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
                ))
                .execute(c))?;
                report.delivered += 1;
            }
            Err((status, error)) => {
                let give_up = now >= delivery.created_at + chrono::Duration::hours(RETRY_HOURS);
                let error: String = error.chars().take(500).collect();
                with_conn!(&mut conn, |c| diesel::update(
                    webhook_deliveries::table.find(id)
                )
                .set((
                    webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                    webhook_deliveries::next_attempt_at.eq(now + backoff(delivery.attempts)),
                    webhook_deliveries::failed_at.eq(give_up.then_some(now)),
                    webhook_deliveries::last_status.eq(status.map(i32::from)),
                    webhook_deliveries::last_error.eq(Some(error)),
                    webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
                ))
                .execute(c))?;
                if give_up {
                    report.failed += 1;
                } else {
                    report.retrying += 1;
                }
            }
        }
    }
    Ok(report)
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
