//! Rush hour: every institution places one order within one minute while the suppliers poll
//! their feeds and accept what comes in. Afterwards the database must hold every order the
//! shop acknowledged, exactly once, each with one supplier holding or having confirmed it,
//! and every receipt and confirmation email in the outbox.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use rand::seq::SliceRandom;

use centrale::db::schema::*;
use centrale::with_conn;

use crate::ceiling::percentile;
use crate::report::Row;
use crate::scenarios::{brussels_today, Request, Run, RUSH_TARGET_P99_MS};
use crate::server;
use crate::wrk::Load;

#[derive(Default)]
struct Suppliers {
    latencies_ms: Mutex<Vec<f64>>,
    accepted: Mutex<HashSet<i64>>,
    errors: AtomicU64,
    polls: AtomicU64,
}

fn supplier_loop(
    base: String,
    tokens: Vec<(usize, String)>,
    start: i64,
    stop: Arc<AtomicBool>,
    out: Arc<Suppliers>,
) {
    let agent = server::agent(Duration::from_secs(60));
    let mut cursors: HashMap<usize, i64> = tokens.iter().map(|(s, _)| (*s, start)).collect();
    let today = brussels_today();
    while !stop.load(Ordering::Relaxed) {
        for (supplier, token) in &tokens {
            let auth = format!("Bearer {token}");
            loop {
                let cursor = cursors[supplier];
                let url = format!("{base}/api/v1/supplier/orders?limit=100&cursor={cursor}");
                let Ok(mut response) = agent.get(&url).header("Authorization", &auth).call() else {
                    out.errors.fetch_add(1, Ordering::Relaxed);
                    break;
                };
                out.polls.fetch_add(1, Ordering::Relaxed);
                let page: serde_json::Value = response
                    .body_mut()
                    .read_to_string()
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default();
                let Some(items) = page["items"].as_array() else {
                    out.errors.fetch_add(1, Ordering::Relaxed);
                    break;
                };
                for item in items {
                    if item["supplier_status"] != "awaiting_answer" {
                        continue;
                    }
                    let Some(id) = item["id"].as_i64() else {
                        continue;
                    };
                    let body = format!(r#"{{"expected_delivery":"{today}"}}"#);
                    let t = Instant::now();
                    let answer = agent
                        .post(format!("{base}/api/v1/supplier/orders/{id}/accept"))
                        .header("Authorization", &auth)
                        .header("Content-Type", "application/json")
                        .send(body.as_bytes());
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    match answer {
                        Ok(mut r) if r.status().as_u16() == 200 => {
                            let _ = r.body_mut().read_to_vec();
                            if let Ok(mut l) = out.latencies_ms.lock() {
                                l.push(ms);
                            }
                            if let Ok(mut a) = out.accepted.lock() {
                                a.insert(id);
                            }
                        }
                        _ => {
                            out.errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                let next = page["next_cursor"]
                    .as_str()
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(cursor);
                cursors.insert(*supplier, next);
                if page["has_more"] != true {
                    break;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `key -> order ids` of every 2xx answer, and how many answers were not 2xx.
fn acknowledged(dir: &std::path::Path) -> anyhow::Result<(HashMap<String, Vec<i64>>, u64)> {
    let mut acknowledged = HashMap::new();
    let mut refused = 0;
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("rush-answers-") {
            continue;
        }
        for line in std::fs::read_to_string(entry.path())?.lines() {
            let Some((key, ids)) = line.split_once('\t') else {
                continue;
            };
            if key == "!" {
                // A 408 is the server closing a connection wrk reopened after its last order
                // and left idle: not the answer to an order. (An order cut off that way would
                // still count, as an order without an answer.)
                if ids.trim() != "408" {
                    refused += 1;
                }
                continue;
            }
            let ids: Vec<i64> = ids.split(',').filter_map(|i| i.parse().ok()).collect();
            acknowledged.insert(key.to_owned(), ids);
        }
    }
    Ok((acknowledged, refused))
}

pub struct RushChecks {
    pub acknowledged: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub keys_without_one_answer: usize,
    pub supplier_state_wrong: usize,
    pub receipts_missing: usize,
    pub confirmations_missing: usize,
}

impl RushChecks {
    pub fn clean(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.keys_without_one_answer == 0
            && self.supplier_state_wrong == 0
            && self.receipts_missing == 0
            && self.confirmations_missing == 0
    }
}

type OrderState = (i64, Option<String>, i64, String, Option<i64>, Option<i64>);

impl Run {
    pub fn rush_hour(&mut self) -> anyhow::Result<RushChecks> {
        let count = self
            .settings
            .rush_orders
            .min(self.reference.institution_plans.len());
        let window_ms = self.settings.rush_window_s * 1000;
        let connections = self.settings.connections.min(count as u32).max(1);
        let tokens = self.institution_tokens()?;
        let mut requests = Vec::new();
        for i in 0..count {
            let body = self.order_body(i);
            requests.push(Request {
                method: "POST",
                path: "/api/v1/orders".into(),
                token: i + 1,
                idempotent: true,
                body,
            });
        }
        let mut rng = rand::thread_rng();
        requests.shuffle(&mut rng);
        let nonce = format!("{}-rush", self.nonce);
        let (file, tokens_file) = (self.dir.join("rush.tsv"), self.dir.join("rush-tokens.txt"));
        {
            use std::fmt::Write as _;
            let mut text = String::new();
            for r in &requests {
                let _ = writeln!(text, "{}\t{}\t{}\tk\t{}", r.method, r.path, r.token, r.body);
            }
            std::fs::write(&file, text)?;
            std::fs::write(&tokens_file, tokens.join("\n") + "\n")?;
        }
        // Each connection sends its share evenly spread over the window (90 % of it, so the
        // last orders are answered before wrk stops).
        let per_connection = count.div_ceil(connections as usize) as u64;
        let pace = (window_ms * 9 / 10 / per_connection.max(1)).max(1);
        let (start_cursor, outbox_mark): (i64, i64) = {
            let mut conn = self.pool.get()?;
            (
                crate::feed_top(&mut conn)?,
                with_conn!(&mut conn, |c| outbox_emails::table
                    .select(diesel::dsl::max(outbox_emails::id))
                    .first::<Option<i64>>(c))?
                .unwrap_or(0),
            )
        };
        let suppliers = self.supplier_tokens()?;
        let stop = Arc::new(AtomicBool::new(false));
        let out = Arc::new(Suppliers::default());
        let threads = 4usize;
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<(usize, String)> = suppliers
                    .iter()
                    .enumerate()
                    .filter(|(s, _)| s % threads == t)
                    .map(|(s, token)| (s + 1, token.clone()))
                    .collect();
                let (base, stop, out) = (self.server.base.clone(), stop.clone(), out.clone());
                std::thread::spawn(move || supplier_loop(base, mine, start_cursor, stop, out))
            })
            .collect();
        let load = Load {
            url: &self.server.base,
            script: "paced.lua",
            seconds: self.settings.rush_window_s + 5,
            connections,
            timeout_s: 30,
            args: vec![
                file.to_string_lossy().into_owned(),
                tokens_file.to_string_lossy().into_owned(),
                connections.clamp(1, 2).to_string(),
                nonce.clone(),
                "once".into(),
                pace.to_string(),
                self.dir.join("rush-answers").to_string_lossy().into_owned(),
            ],
        };
        self.server.reset_peak();
        let started = Instant::now();
        let summary = load.run();
        let placing_seconds = started.elapsed().as_secs_f64();
        let (acks, refused) = acknowledged(&self.dir)?;
        let ids: Vec<i64> = acks.values().flatten().copied().collect();
        // Let the suppliers answer what is still waiting, as their pollers would.
        let drain = Instant::now();
        while drain.elapsed() < Duration::from_secs(if self.settings.smoke { 15 } else { 60 }) {
            let answered = out.accepted.lock().map(|a| a.len()).unwrap_or(0);
            if answered >= ids.len() {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        stop.store(true, Ordering::Relaxed);
        for handle in handles {
            let _ = handle.join();
        }
        let rss = self.server.peak_rss_mib();
        let summary = summary?;
        let accepted: HashSet<i64> = out.accepted.lock().map(|a| a.clone()).unwrap_or_default();
        let checks = self.rush_checks(&acks, &nonce, &accepted, outbox_mark)?;
        let mut latencies = out
            .latencies_ms
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default();
        latencies.sort_by(|a, b| a.total_cmp(b));
        let p99 = summary.p99_us as f64 / 1000.0;
        // Every request gets an answer recorded; a connection that went quiet after its last
        // order and was closed by the server's keep-alive timeout is not an error.
        let answered = checks.acknowledged as u64 + refused;
        // wrk counts a connection that sent its last order and waits for the end of the run as
        // a timeout; what matters is that every order got an answer.
        let errors = refused + (count as u64).saturating_sub(answered);
        let note = format!(
            "acknowledged {}/{count} ({} orders), lost {}, duplicated {}, keys not mapping to one answer {}, wrong supplier state {}, receipts missing {}, confirmations missing {}; {} messages at the SMTP server so far",
            checks.acknowledged, ids.len(), checks.lost, checks.duplicated, checks.keys_without_one_answer,
            checks.supplier_state_wrong, checks.receipts_missing, checks.confirmations_missing,
            self.server.mail.received.load(std::sync::atomic::Ordering::Relaxed)
        );
        println!("  rush hour: {note}");
        self.rows.push(Row {
            scenario: format!(
                "rush hour: {count} orders in {} s",
                self.settings.rush_window_s
            ),
            rate: Some(checks.acknowledged as f64 / placing_seconds),
            p50_ms: Some(summary.p50_us as f64 / 1000.0),
            p99_ms: Some(p99),
            requests: summary.requests,
            errors,
            ratio: None,
            ratio_of: String::new(),
            peak_rss_mib: rss,
            pass: Some(checks.clean() && checks.acknowledged == count && p99 < RUSH_TARGET_P99_MS),
            target: format!("0 lost, 0 duplicated, p99 < {RUSH_TARGET_P99_MS:.0} ms"),
            note,
        });
        self.rows.push(Row {
            scenario: "rush hour: supplier accepts".into(),
            rate: Some(latencies.len() as f64 / placing_seconds),
            p50_ms: Some(percentile(&latencies, 50.0)),
            p99_ms: Some(percentile(&latencies, 99.0)),
            requests: latencies.len() as u64,
            errors: out.errors.load(Ordering::Relaxed),
            peak_rss_mib: rss,
            note: format!(
                "{} feed polls by {} supplier pollers",
                out.polls.load(Ordering::Relaxed),
                suppliers.len()
            ),
            ..Row::default()
        });
        Ok(checks)
    }

    fn rush_checks(
        &self,
        acks: &HashMap<String, Vec<i64>>,
        nonce: &str,
        accepted: &HashSet<i64>,
        outbox_mark: i64,
    ) -> anyhow::Result<RushChecks> {
        let mut conn = self.pool.get()?;
        let pattern = format!("{nonce}-%");
        // Every order carrying a key of this run: acknowledged or not.
        let placed: Vec<OrderState> = with_conn!(&mut conn, |c| orders::table
            .filter(orders::buyer_reference.like(&pattern))
            .select((
                orders::id,
                orders::buyer_reference,
                orders::lot_id,
                orders::status,
                orders::current_supplier_id,
                orders::confirmed_supplier_id
            ))
            .load(c))?;
        let by_id: HashMap<i64, &OrderState> = placed.iter().map(|o| (o.0, o)).collect();
        let mut lost = 0;
        for (key, ids) in acks {
            for id in ids {
                if by_id
                    .get(id)
                    .is_none_or(|o| o.1.as_deref() != Some(key.as_str()))
                {
                    lost += 1;
                }
            }
        }
        let mut per_key_lot: HashMap<(String, i64), usize> = HashMap::new();
        for o in &placed {
            *per_key_lot
                .entry((o.1.clone().unwrap_or_default(), o.2))
                .or_default() += 1;
        }
        let duplicated = per_key_lot
            .values()
            .filter(|n| **n > 1)
            .map(|n| n - 1)
            .sum();
        let saved: Vec<(String, String)> = with_conn!(&mut conn, |c| idempotency_keys::table
            .filter(idempotency_keys::idempotency_key.like(&pattern))
            .select((
                idempotency_keys::idempotency_key,
                idempotency_keys::response_body
            ))
            .load(c))?;
        let mut saved_by_key: HashMap<&str, Vec<&str>> = HashMap::new();
        for (key, body) in &saved {
            saved_by_key
                .entry(key.as_str())
                .or_default()
                .push(body.as_str());
        }
        let keys_without_one_answer = acks
            .iter()
            .filter(|(key, ids)| match saved_by_key.get(key.as_str()) {
                Some(bodies) if bodies.len() == 1 => !ids
                    .iter()
                    .all(|id| bodies[0].contains(&format!("\"CMD-{id:06}\""))),
                _ => true,
            })
            .count();
        let open: Vec<(i64, i64)> = with_conn!(&mut conn, |c| order_assignments::table
            .inner_join(orders::table)
            .filter(orders::buyer_reference.like(&pattern))
            .filter(order_assignments::outcome.is_null())
            .select((order_assignments::order_id, order_assignments::supplier_id))
            .load(c))?;
        let mut open_by_order: HashMap<i64, Vec<i64>> = HashMap::new();
        for (order, supplier) in open {
            open_by_order.entry(order).or_default().push(supplier);
        }
        let supplier_state_wrong = placed
            .iter()
            .filter(|o| {
                let open = open_by_order.get(&o.0).map(Vec::as_slice).unwrap_or(&[]);
                match o.3.as_str() {
                    "routed" => o.4.is_none() || o.5.is_some() || open != [o.4.unwrap_or_default()],
                    "confirmed" => o.5.is_none() || o.4.is_some() || !open.is_empty(),
                    _ => true,
                }
            })
            .count();
        let mail: Vec<(String, String)> = with_conn!(&mut conn, |c| outbox_emails::table
            .filter(outbox_emails::id.gt(outbox_mark))
            .select((outbox_emails::template, outbox_emails::subject))
            .load(c))?;
        let mut receipts = HashSet::new();
        let mut confirmations = HashSet::new();
        for (template, subject) in &mail {
            let Some(number) = subject.split("CMD-").nth(1) else {
                continue;
            };
            let digits: String = number.chars().take_while(char::is_ascii_digit).collect();
            let Ok(id) = digits.parse::<i64>() else {
                continue;
            };
            match template.as_str() {
                "order-received" => {
                    receipts.insert(id);
                }
                "order-confirmed" => {
                    confirmations.insert(id);
                }
                _ => {}
            }
        }
        let all_ids: Vec<i64> = acks.values().flatten().copied().collect();
        Ok(RushChecks {
            acknowledged: acks.len(),
            lost,
            duplicated,
            keys_without_one_answer,
            supplier_state_wrong,
            receipts_missing: all_ids.iter().filter(|id| !receipts.contains(id)).count(),
            confirmations_missing: accepted
                .iter()
                .filter(|id| by_id.contains_key(id) && !confirmations.contains(id))
                .count(),
        })
    }
}
