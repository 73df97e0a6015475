//! Crashes, shutdowns and backups of the real `centrale serve` binary, on SQLite and
//! PostgreSQL: `kill -9` in the middle of an order storm, of a cascade sweep and of mail
//! sending, then a restart; SIGTERM with requests in flight; `centrale backup` while the shop
//! serves. Each scenario scales with `soak::scale()` and reports through `soak::record`.

mod helpers;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};

use centrale::config::DatabaseSettings;
use centrale::db::{Backend, Conn, Pool};
use centrale::parties::{self, Credential, Role, UserInput};
use helpers::smtp::{self, SmtpServer};
use helpers::soak::{self, Outcome};
use helpers::{institution_fixture, lot_fixture, product_fixture, test_settings, LotFixture};

on_both_backends!(
    kill_9_during_an_order_storm_loses_and_duplicates_nothing,
    kill_9_during_a_cascade_sweep_resumes_at_the_right_supplier,
    kill_9_during_mail_sending_delivers_every_message,
    a_backup_taken_while_the_shop_serves_holds_every_order,
    a_silent_smtp_server_delays_neither_the_cascade_nor_the_shutdown,
);

const BINARY: &str = env!("CARGO_BIN_EXE_centrale");
/// The cascade window the server runs with (the default: four hours).
const RESPONSE_MINUTES: i64 = 240;
const PRICES: [Option<&str>; 5] = [
    Some("10.00"),
    Some("9.00"),
    Some("11.50"),
    Some("12.00"),
    Some("8.75"),
];

// ---------------------------------------------------------------------------------------
// The shop as a process

/// One `centrale serve` process at a time on a fixed port, restartable after a kill.
struct Shop {
    child: Option<Child>,
    port: u16,
    base: String,
    dir: PathBuf,
    db_url: String,
    env: Vec<(String, String)>,
    starts: u32,
}

impl Shop {
    fn new(db_url: &str, dir: &Path, env: &[(&str, &str)]) -> Shop {
        let port = smtp::free_port();
        Shop {
            child: None,
            port,
            base: format!("http://127.0.0.1:{port}"),
            dir: dir.to_owned(),
            db_url: db_url.to_owned(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            starts: 0,
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(BINARY);
        for (name, _) in std::env::vars() {
            if name.starts_with("CENTRALE") || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
        command
            .env("CENTRALE_PROFILE", "test")
            .env(
                "CENTRALE_CONFIG_DIR",
                Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
            )
            .env("CENTRALE__DATABASE__URL", &self.db_url)
            .stdin(Stdio::null());
        command
    }

    /// Starts the server and waits until it says it serves.
    fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        self.starts += 1;
        let out = self.dir.join(format!("serve-{}.out", self.starts));
        let err = self.dir.join(format!("serve-{}.log", self.starts));
        let mut command = self.command();
        command
            .arg("serve")
            .env("CENTRALE__SERVER__BIND", format!("127.0.0.1:{}", self.port))
            .env("CENTRALE__SERVER__BASE_URL", &self.base)
            .env("CENTRALE__SERVER__WORKERS", "2")
            .env("CENTRALE__MAIL__TRANSPORT", "file")
            .env("CENTRALE__MAIL__FILE_DIR", self.dir.join("mail"))
            .env("CENTRALE__WORKER__ENABLED", "true")
            .env("CENTRALE__WORKER__POLL_INTERVAL_MS", "100")
            .env("CENTRALE__API__RATE_PER_SECOND", "100000")
            .env("CENTRALE__API__BURST", "100000");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap());
        let mut child = command.spawn().expect("the server starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if std::fs::read_to_string(&out)
                .unwrap_or_default()
                .contains("serving on")
            {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "the server exited ({status}) before serving:\n{}",
                    std::fs::read_to_string(&err).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start:\n{}",
                std::fs::read_to_string(&err).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        self.child = Some(child);
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL: no shutdown code runs at all.
    fn kill_9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL sent");
        child.wait().expect("reaped");
    }

    /// Sends SIGTERM, as an orchestrator does.
    fn send_term(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit; panics after `limit`.
    fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the server did not exit within {limit:?} after SIGTERM:\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit, which must be clean.
    fn stop(&mut self) {
        self.send_term();
        let status = self.wait_exit(Duration::from_secs(40));
        assert!(status.success(), "exit after SIGTERM: {status}");
    }

    /// Everything the server processes wrote on standard error, oldest first.
    fn logs(&self) -> String {
        (1..=self.starts)
            .map(|n| {
                std::fs::read_to_string(self.dir.join(format!("serve-{n}.log"))).unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Data

struct World {
    dir: tempfile::TempDir,
    database: DatabaseSettings,
    pool: Pool,
    lot: LotFixture,
    institution_id: i64,
    address_id: i64,
    client_id: String,
    client_secret: String,
}

/// A fresh database with a lot of five suppliers, one product all of them offer, and an
/// institution with an API client; `None` when the backend is not available here.
fn world(backend: Backend) -> Option<World> {
    let dir = tempfile::tempdir().expect("temporary folder");
    let settings = test_settings(backend, dir.path())?;
    let database = settings.database.clone();
    let pool = Pool::connect(&database).expect("database");
    pool.migrate().expect("migrations");
    let now = Utc::now().naive_utc();
    let mut conn = pool.get().expect("connection");
    let lot = lot_fixture(&mut conn, now, "LOT-CRASH", 5);
    product_fixture(&mut conn, now, &lot, "MASK-A", "standard", &PRICES, &[]);
    let (institution_id, address_id) = institution_fixture(
        &mut conn,
        now,
        801,
        "Résidence Crash",
        "COCOF",
        "fr",
        "active",
    );
    parties::create_user(
        &mut conn,
        now,
        &UserInput {
            email: "buyer@crash.example",
            name: "Buyer Crash",
            role: Role::Institution,
            institution_id: Some(institution_id),
            supplier_id: None,
            language: "fr",
            password: Some(Credential::Password("buyer long password")),
        },
    )
    .expect("buyer");
    let issued = centrale::auth::api_client::issue(
        &mut conn,
        now,
        &centrale::auth::Principal::system("test"),
        Role::Institution,
        Some(institution_id),
        "crash test client",
    )
    .expect("API client");
    drop(conn);
    Some(World {
        dir,

        database,
        pool,
        lot,
        institution_id,
        address_id,
        client_id: issued.client.client_id,
        client_secret: issued.client_secret,
    })
}

#[derive(Debug, Clone)]
struct OrderRow {
    id: i64,
    reference: String,
    buyer_reference: Option<String>,
    status: String,
    current_supplier_id: Option<i64>,
    current_rank: Option<i32>,
    response_deadline: Option<NaiveDateTime>,
}

type OrderTuple = (
    i64,
    String,
    Option<String>,
    String,
    Option<i64>,
    Option<i32>,
    Option<NaiveDateTime>,
);

fn orders_of(conn: &mut Conn, institution_id: i64) -> Vec<OrderRow> {
    use centrale::db::schema::orders::dsl as o;
    let rows: Vec<OrderTuple> = centrale::with_conn!(conn, |c| o::orders
        .filter(o::institution_id.eq(institution_id))
        .order(o::id.asc())
        .select((
            o::id,
            o::reference,
            o::buyer_reference,
            o::status,
            o::current_supplier_id,
            o::current_rank,
            o::response_deadline,
        ))
        .load(c))
    .expect("orders");
    rows.into_iter()
        .map(|r| OrderRow {
            id: r.0,
            reference: r.1,
            buyer_reference: r.2,
            status: r.3,
            current_supplier_id: r.4,
            current_rank: r.5,
            response_deadline: r.6,
        })
        .collect()
}

#[derive(Debug, Clone)]
struct AssignmentRow {
    supplier_id: i64,
    deadline: NaiveDateTime,
    outcome: Option<String>,
}

fn assignments_by_order(conn: &mut Conn) -> HashMap<i64, Vec<AssignmentRow>> {
    use centrale::db::schema::order_assignments::dsl as a;
    let rows: Vec<(i64, i64, NaiveDateTime, Option<String>)> =
        centrale::with_conn!(conn, |c| a::order_assignments
            .order(a::id.asc())
            .select((a::order_id, a::supplier_id, a::deadline, a::outcome))
            .load(c))
        .expect("assignments");
    let mut out: HashMap<i64, Vec<AssignmentRow>> = HashMap::new();
    for (order_id, supplier_id, deadline, outcome) in rows {
        out.entry(order_id).or_default().push(AssignmentRow {
            supplier_id,
            deadline,
            outcome,
        });
    }
    out
}

/// How many events of each kind every order has.
fn events_by_order(conn: &mut Conn) -> HashMap<i64, BTreeMap<String, usize>> {
    use centrale::db::schema::order_events::dsl as e;
    let rows: Vec<(i64, String)> = centrale::with_conn!(conn, |c| e::order_events
        .select((e::order_id, e::kind))
        .load(c))
    .expect("events");
    let mut out: HashMap<i64, BTreeMap<String, usize>> = HashMap::new();
    for (order_id, kind) in rows {
        *out.entry(order_id).or_default().entry(kind).or_default() += 1;
    }
    out
}

/// Subjects of the "order received" emails in the outbox.
fn received_subjects(conn: &mut Conn) -> Vec<String> {
    use centrale::db::schema::outbox_emails::dsl as m;
    centrale::with_conn!(conn, |c| m::outbox_emails
        .filter(m::template.eq("order-received"))
        .select(m::subject)
        .load(c))
    .expect("outbox")
}

/// Checks that every order has exactly one current supplier: status routed, a current
/// supplier, and exactly one open offer, to that supplier, with the order's deadline.
/// Returns the problems found.
fn one_current_supplier(
    order: &OrderRow,
    assignments: &HashMap<i64, Vec<AssignmentRow>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let open: Vec<&AssignmentRow> = assignments
        .get(&order.id)
        .map(|a| a.iter().filter(|a| a.outcome.is_none()).collect())
        .unwrap_or_default();
    if order.status != "routed" {
        problems.push(format!("order {} is {}", order.id, order.status));
    }
    match (order.current_supplier_id, open.as_slice()) {
        (Some(current), [only]) => {
            if only.supplier_id != current {
                problems.push(format!(
                    "order {}: open offer to {} but current supplier {current}",
                    order.id, only.supplier_id
                ));
            }
            if order.response_deadline != Some(only.deadline) {
                problems.push(format!(
                    "order {}: deadline {:?} but open offer until {}",
                    order.id, order.response_deadline, only.deadline
                ));
            }
        }
        (current, open) => problems.push(format!(
            "order {}: current supplier {current:?} with {} open offers",
            order.id,
            open.len()
        )),
    }
    problems
}

// ---------------------------------------------------------------------------------------
// HTTP

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(0)
        .build()
        .expect("http client")
}

async fn access_token(client: &reqwest::Client, base: &str, w: &World) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = client
            .post(format!("{base}/api/v1/oauth/token"))
            .basic_auth(&w.client_id, Some(&w.client_secret))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await;
        if let Ok(response) = answer {
            if response.status() == 200 {
                let body: Value = response.json().await.expect("token json");
                return body["access_token"].as_str().expect("token").to_owned();
            }
        }
        assert!(Instant::now() < deadline, "no access token from {base}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn order_body(w: &World, key: &str) -> String {
    json!({
        "delivery_address_id": w.address_id,
        "buyer_reference": key,
        "lines": [{ "sku": "MASK-A", "quantity": 2 }],
    })
    .to_string()
}

/// A 2xx answer to an order request.
#[derive(Debug, Clone, Copy)]
struct Answer {
    id: i64,
    /// The saved answer to an earlier request with the same key.
    replayed: bool,
}

/// One attempt at placing the order `key`: the order id on a 2xx, `None` when the shop gave
/// no usable answer (connection refused or cut, 503).
async fn try_order(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &str,
    key: &str,
) -> Option<Answer> {
    let response = client
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(token)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", key)
        .body(body.to_owned())
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("Idempotent-Replayed");
    let text = response.text().await.ok()?;
    match status {
        200..=299 => {
            let body: Value = serde_json::from_str(&text).expect("2xx answers are JSON");
            let orders = body["orders"].as_array().expect("orders in the answer");
            assert_eq!(orders.len(), 1, "one lot, one order: {text}");
            Some(Answer {
                id: orders[0]["id"].as_i64().expect("order id"),
                replayed,
            })
        }
        503 => None,
        _ => panic!("order {key}: unexpected {status}: {text}"),
    }
}

/// Places the order `key`, retrying with the same key until a 2xx (or `limit`). Returns the
/// first 2xx answer and the attempts made.
async fn place_until_answered(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &str,
    key: &str,
    limit: Duration,
) -> (Option<Answer>, u64) {
    let deadline = Instant::now() + limit;
    let mut attempts = 0;
    loop {
        attempts += 1;
        if let Some(answer) = try_order(client, base, token, body, key).await {
            return (Some(answer), attempts);
        }
        if Instant::now() > deadline {
            return (None, attempts);
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

/// Places `count` orders, `parallel` at a time, and returns their ids.
async fn place_orders(
    w: &World,
    base: &str,
    prefix: &str,
    count: usize,
    parallel: usize,
) -> Vec<i64> {
    let client = http();
    let token = access_token(&client, base, w).await;
    let mut ids = Vec::new();
    let keys: Vec<String> = (0..count).map(|i| format!("{prefix}-{i}")).collect();
    for chunk in keys.chunks(parallel.max(1)) {
        let mut tasks = Vec::new();
        for key in chunk {
            let (client, base, token, body, key) = (
                client.clone(),
                base.to_owned(),
                token.clone(),
                order_body(w, key),
                key.clone(),
            );
            tasks.push(tokio::spawn(async move {
                place_until_answered(&client, &base, &token, &body, &key, Duration::from_secs(30))
                    .await
                    .0
                    .unwrap_or_else(|| panic!("order {key} never answered"))
                    .id
            }));
        }
        for task in tasks {
            ids.push(task.await.expect("order task"));
        }
    }
    ids
}

// ---------------------------------------------------------------------------------------
// kill -9 during an order storm

async fn kill_9_during_an_order_storm_loses_and_duplicates_nothing(backend: Backend) {
    let Some(w) = world(backend) else { return };
    let scale = soak::scale();
    let clients = 8 * scale as usize;
    let per_client = 6;
    let total = (clients * per_client) as u64;
    let kills = scale;
    let mut shop = Shop::new(&w.database.url, w.dir.path(), &[]);
    shop.start();
    let client = http();
    let token = access_token(&client, &shop.base, &w).await;

    let answered = Arc::new(AtomicU64::new(0));
    // Orders whose first attempt got no answer (cut by a kill) and were sent again, and
    // among them those the shop had committed before it died: the retry got the saved answer.
    let retried = Arc::new(AtomicU64::new(0));
    let committed_unanswered = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    // key -> every order id a 2xx answer named for it
    let acknowledged: Arc<Mutex<BTreeMap<String, BTreeSet<i64>>>> = Arc::default();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, base, token) = (client.clone(), shop.base.clone(), token.clone());
        let (answered, requests, acknowledged, retried, committed_unanswered) = (
            answered.clone(),
            requests.clone(),
            acknowledged.clone(),
            retried.clone(),
            committed_unanswered.clone(),
        );
        let bodies: Vec<(String, String)> = (0..per_client)
            .map(|i| {
                let key = format!("storm-{c}-{i}");
                let body = order_body(&w, &key);
                (key, body)
            })
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut unanswered = Vec::new();
            for (key, body) in bodies {
                let (id, attempts) = place_until_answered(
                    &client,
                    &base,
                    &token,
                    &body,
                    &key,
                    Duration::from_secs(90),
                )
                .await;
                requests.fetch_add(attempts, Ordering::Relaxed);
                if attempts > 1 {
                    retried.fetch_add(1, Ordering::Relaxed);
                }
                match id {
                    Some(answer) => {
                        if attempts > 1 && answer.replayed {
                            committed_unanswered.fetch_add(1, Ordering::Relaxed);
                        }
                        acknowledged
                            .lock()
                            .unwrap()
                            .entry(key.clone())
                            .or_default()
                            .insert(answer.id);
                        answered.fetch_add(1, Ordering::Relaxed);
                        // The same key again gets the same order, never a second one.
                        requests.fetch_add(1, Ordering::Relaxed);
                        if let Some(again) = try_order(&client, &base, &token, &body, &key).await {
                            assert!(
                                again.replayed,
                                "{key}: a repeat is answered from the record"
                            );
                            acknowledged
                                .lock()
                                .unwrap()
                                .entry(key)
                                .or_default()
                                .insert(again.id);
                        }
                    }
                    None => unanswered.push(key),
                }
            }
            unanswered
        }));
    }
    // The killer: SIGKILL each time another share of the storm has been answered, restart at
    // once; the clients retry what got no answer, with the same key.
    for k in 1..=kills {
        let threshold = total * k / (kills + 1);
        let deadline = Instant::now() + Duration::from_secs(90);
        while answered.load(Ordering::Relaxed) < threshold.max(1) {
            assert!(
                Instant::now() < deadline,
                "the storm stalled:\n{}",
                shop.logs()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        shop.kill_9();
        tokio::time::sleep(Duration::from_millis(100)).await;
        shop.start();
    }
    let mut unanswered = Vec::new();
    for task in tasks {
        unanswered.extend(task.await.expect("client task"));
    }
    assert!(unanswered.is_empty(), "never answered: {unanswered:?}");

    let mut conn = w.pool.get().unwrap();
    let orders = orders_of(&mut conn, w.institution_id);
    let assignments = assignments_by_order(&mut conn);
    let subjects = received_subjects(&mut conn);
    let saved: Vec<(String, String)> = {
        use centrale::db::schema::idempotency_keys::dsl as k;
        centrale::with_conn!(&mut conn, |c| k::idempotency_keys
            .select((k::idempotency_key, k::response_body))
            .load(c))
        .expect("idempotency keys")
    };
    let acknowledged = acknowledged.lock().unwrap().clone();
    let mut by_key: BTreeMap<&str, Vec<&OrderRow>> = BTreeMap::new();
    for order in &orders {
        let key = order
            .buyer_reference
            .as_deref()
            .expect("every order carries its key");
        by_key.entry(key).or_default().push(order);
    }
    let mut lost = 0;
    let mut duplicated = 0;
    let mut problems = Vec::new();
    for (key, ids) in &acknowledged {
        assert_eq!(
            ids.len(),
            1,
            "key {key} was answered with different orders {ids:?}"
        );
        let id = *ids.iter().next().unwrap();
        match by_key.get(key.as_str()) {
            None => {
                lost += 1;
                problems.push(format!("{key}: order {id} acknowledged but missing"));
            }
            Some(found) => {
                if found.len() > 1 {
                    duplicated += found.len() as u64 - 1;
                    problems.push(format!("{key}: {} orders", found.len()));
                }
                if !found.iter().any(|o| o.id == id) {
                    problems.push(format!(
                        "{key}: acknowledged as {id}, stored as {:?}",
                        found.iter().map(|o| o.id).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    for key in by_key.keys() {
        if !acknowledged.contains_key(*key) {
            problems.push(format!("{key}: stored but never sent"));
        }
    }
    // One saved answer per key, naming the order the client was given.
    let saved: BTreeMap<String, Value> = saved
        .into_iter()
        .map(|(key, body)| (key, serde_json::from_str(&body).expect("saved answer")))
        .collect();
    for (key, ids) in &acknowledged {
        let saved_id = saved.get(key).and_then(|b| b["orders"][0]["id"].as_i64());
        if saved_id != ids.iter().next().copied() {
            problems.push(format!(
                "{key}: saved answer names {saved_id:?}, client got {ids:?}"
            ));
        }
    }
    for order in &orders {
        problems.extend(one_current_supplier(order, &assignments));
        let receipts = subjects
            .iter()
            .filter(|s| s.contains(&order.reference))
            .count();
        if receipts != 1 {
            problems.push(format!(
                "order {}: {receipts} receipt emails",
                order.reference
            ));
        }
    }
    drop(conn);
    shop.stop();
    eprintln!(
        "storm: {total} orders from {clients} clients, {kills} kills, {} orders sent again after no answer, {} of them already committed (answered from the record)",
        retried.load(Ordering::Relaxed),
        committed_unanswered.load(Ordering::Relaxed)
    );
    soak::record(&Outcome {
        scenario: "kill -9 during an order storm".into(),
        backend: backend.name().into(),
        faults: kills,
        requests: requests.load(Ordering::Relaxed),
        checked: orders.len() as u64,
        lost,
        duplicated,
    });
    assert_eq!(acknowledged.len() as u64, total);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(orders.len() as u64, total, "exactly one order per key");
}

// ---------------------------------------------------------------------------------------
// kill -9 during a cascade sweep

/// Puts every waiting order's deadline (and its open offer's) `ago` in the past, as if the
/// supplier had let the time run out.
fn expire_deadlines(conn: &mut Conn, institution_id: i64, ago: chrono::Duration) {
    use centrale::db::schema::order_assignments::dsl as a;
    use centrale::db::schema::orders::dsl as o;
    let past = Utc::now().naive_utc() - ago;
    let ids: Vec<i64> = centrale::with_conn!(conn, |c| o::orders
        .filter(o::institution_id.eq(institution_id))
        .filter(o::status.eq("routed"))
        .select(o::id)
        .load(c))
    .unwrap();
    centrale::with_conn!(conn, |c| diesel::update(
        o::orders.filter(o::id.eq_any(&ids))
    )
    .set(o::response_deadline.eq(Some(past)))
    .execute(c))
    .unwrap();
    centrale::with_conn!(conn, |c| diesel::update(
        a::order_assignments
            .filter(a::order_id.eq_any(&ids))
            .filter(a::outcome.is_null())
    )
    .set(a::deadline.eq(past))
    .execute(c))
    .unwrap();
}

fn orders_at_rank(conn: &mut Conn, institution_id: i64, rank: i32) -> BTreeSet<i64> {
    use centrale::db::schema::orders::dsl as o;
    centrale::with_conn!(conn, |c| o::orders
        .filter(o::institution_id.eq(institution_id))
        .filter(o::current_rank.eq(rank))
        .select(o::id)
        .load::<i64>(c))
    .unwrap()
    .into_iter()
    .collect()
}

async fn kill_9_during_a_cascade_sweep_resumes_at_the_right_supplier(backend: Backend) {
    let Some(w) = world(backend) else { return };
    let scale = soak::scale();
    let count = 40 * scale as usize;
    // A cascade has five suppliers: at most four moves, whatever the scale.
    let cycles = scale.min(3) as i32;
    // Small batches make the sweep a run of short transactions, so the kill lands inside it.
    let mut shop = Shop::new(
        &w.database.url,
        w.dir.path(),
        &[
            ("CENTRALE__WORKER__SWEEP_BATCH", "2"),
            (
                "CENTRALE__ORDERING__SUPPLIER_RESPONSE_MINUTES",
                &RESPONSE_MINUTES.to_string(),
            ),
        ],
    );
    shop.start();
    let ids = place_orders(&w, &shop.base, "cascade", count, 8).await;
    shop.stop();
    let window = chrono::Duration::minutes(RESPONSE_MINUTES);
    let slack = chrono::Duration::seconds(2);
    let mut conn = w.pool.get().unwrap();
    assert_eq!(ids.len(), count);
    let mut mid_sweep_kills = 0;
    let mut checked = 0;
    // Orders left without exactly one current supplier, and moves or events made twice.
    let (mut stranded, mut doubled) = (0, 0);
    let mut problems = Vec::new();
    for cycle in 1..=cycles {
        let rank = cycle + 1;
        expire_deadlines(&mut conn, w.institution_id, chrono::Duration::minutes(2));
        let first_start = Utc::now().naive_utc();
        shop.start();
        // Kill as soon as the sweep has moved anything.
        let deadline = Instant::now() + Duration::from_secs(60);
        let moved_before_kill = loop {
            let moved = orders_at_rank(&mut conn, w.institution_id, rank);
            if !moved.is_empty() {
                shop.kill_9();
                break orders_at_rank(&mut conn, w.institution_id, rank);
            }
            assert!(
                Instant::now() < deadline,
                "no order moved:\n{}",
                shop.logs()
            );
            std::thread::sleep(Duration::from_millis(2));
        };
        let killed_at = Utc::now().naive_utc();
        if moved_before_kill.len() < count {
            mid_sweep_kills += 1;
        }
        let restarted_at = Utc::now().naive_utc();
        shop.start();
        let deadline = Instant::now() + Duration::from_secs(60 + count as u64 / 20);
        while orders_at_rank(&mut conn, w.institution_id, rank).len() < count {
            assert!(
                Instant::now() < deadline,
                "the restarted sweep did not finish:\n{}",
                shop.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // One more pass, to see it does not move anything twice.
        std::thread::sleep(Duration::from_millis(300));
        let done_at = Utc::now().naive_utc();
        shop.kill_9();

        let orders = orders_of(&mut conn, w.institution_id);
        let assignments = assignments_by_order(&mut conn);
        let events = events_by_order(&mut conn);
        assert_eq!(orders.len(), count);
        let expected_supplier = w.lot.suppliers[rank as usize - 1];
        for order in &orders {
            checked += 1;
            let current = one_current_supplier(order, &assignments);
            if !current.is_empty() {
                stranded += 1;
            }
            problems.extend(current);
            if order.current_rank != Some(rank)
                || order.current_supplier_id != Some(expected_supplier)
            {
                problems.push(format!(
                    "order {}: rank {:?} supplier {:?}, expected rank {rank} supplier {expected_supplier}",
                    order.id, order.current_rank, order.current_supplier_id
                ));
            }
            let held = assignments.get(&order.id).cloned().unwrap_or_default();
            let timed_out = held
                .iter()
                .filter(|a| a.outcome.as_deref() == Some("timed_out"))
                .count();
            let kinds = events.get(&order.id).cloned().unwrap_or_default();
            let offered = kinds.get("offered").copied().unwrap_or(0);
            let expired = kinds.get("timed_out").copied().unwrap_or(0);
            if held.len() != rank as usize
                || timed_out != cycle as usize
                || offered != rank as usize
                || expired != cycle as usize
            {
                doubled += 1;
                problems.push(format!(
                    "order {}: {} offers, {timed_out} timed out, events {kinds:?}",
                    order.id,
                    held.len()
                ));
            }
            // The new deadline counts from the moment the order moved: in the killed run for
            // the orders it moved, after the restart for all the others.
            let Some(deadline) = order.response_deadline else {
                continue;
            };
            let offered_at = deadline - window;
            let (from, to) = if moved_before_kill.contains(&order.id) {
                (first_start, killed_at)
            } else {
                (restarted_at, done_at)
            };
            if offered_at < from - slack || offered_at > to + slack {
                problems.push(format!(
                    "order {}: deadline {deadline} is not {RESPONSE_MINUTES} min after a moment in [{from}, {to}]",
                    order.id
                ));
            }
        }
        eprintln!(
            "cascade cycle {cycle}: {} of {count} orders moved before the kill",
            moved_before_kill.len()
        );
    }
    drop(conn);
    soak::record(&Outcome {
        scenario: "kill -9 during a cascade sweep".into(),
        backend: backend.name().into(),
        faults: cycles as u64,
        requests: count as u64,
        checked,
        lost: stranded,
        duplicated: doubled,
    });
    // A kill right after the sweep is a valid case too, but a weaker one: say so.
    eprintln!("cascade: {mid_sweep_kills} of {cycles} kills landed inside the sweep");
    assert!(problems.is_empty(), "{problems:#?}");
}

// ---------------------------------------------------------------------------------------
// kill -9 during mail sending

/// Message-ID, recipient and subject of each delivered message.
fn delivered(server: &SmtpServer) -> Vec<(String, String, String)> {
    let header = |raw: &str, name: &str| {
        raw.lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&format!("{name}:")))
            .map(|l| l[name.len() + 1..].trim().to_owned())
            .unwrap_or_default()
    };
    server
        .messages()
        .iter()
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            (
                smtp::message_id(raw).unwrap_or_default(),
                header(raw, "to"),
                header(raw, "subject"),
            )
        })
        .collect()
}

fn unsent(conn: &mut Conn) -> i64 {
    use centrale::db::schema::outbox_emails::dsl as m;
    centrale::with_conn!(conn, |c| m::outbox_emails
        .filter(m::sent_at.is_null())
        .count()
        .get_result(c))
    .unwrap()
}

/// After a crash, lets the claims the dead sender held run out now rather than after their
/// lease (minutes), as if that time had passed. Returns how many were held.
fn expire_claims(conn: &mut Conn) -> usize {
    use centrale::db::schema::outbox_emails::dsl as m;
    let past = Utc::now().naive_utc() - chrono::Duration::seconds(1);
    centrale::with_conn!(conn, |c| diesel::update(
        m::outbox_emails
            .filter(m::sent_at.is_null())
            .filter(m::locked_until.is_not_null())
    )
    .set(m::locked_until.eq(Some(past)))
    .execute(c))
    .unwrap()
}

async fn kill_9_during_mail_sending_delivers_every_message(backend: Backend) {
    if !smtp::aiosmtpd_available() {
        return;
    }
    let Some(w) = world(backend) else { return };
    let scale = soak::scale();
    let count = 150 * scale as usize;
    let kills = scale;
    let smtp_port = smtp::free_port();
    let server = SmtpServer::start(smtp_port, w.dir.path());
    let now = Utc::now().naive_utc() - chrono::Duration::minutes(1);
    let suffix = w
        .dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace(['.', '_'], "");
    let mut queued: BTreeMap<String, (String, String)> = BTreeMap::new();
    {
        let mut conn = w.pool.get().unwrap();
        let rows: Vec<(String, String, String)> = (0..count)
            .map(|i| {
                (
                    format!("<crash-{i}-{suffix}@centrale.example>"),
                    format!("person{i}@institution.example"),
                    format!("Message {i} de la centrale"),
                )
            })
            .collect();
        let new: Vec<centrale::mail::outbox::NewOutboxEmail<'_>> = rows
            .iter()
            .map(|(id, to, subject)| centrale::mail::outbox::NewOutboxEmail {
                message_id: id,
                template: "crash-test",
                language: "fr",
                to_address: to,
                to_name: "",
                subject,
                body_text: "Bonjour",
                body_html: "<p>Bonjour</p>",
                created_at: now,
                next_attempt_at: now,
            })
            .collect();
        for chunk in new.chunks(200) {
            centrale::mail::outbox::insert_many(&mut conn, chunk).expect("queued");
        }
        for (id, to, subject) in rows {
            queued.insert(id, (to, subject));
        }
    }
    let port = smtp_port.to_string();
    let mut shop = Shop::new(
        &w.database.url,
        w.dir.path(),
        &[
            ("CENTRALE__MAIL__TRANSPORT", "smtp"),
            ("CENTRALE__MAIL__SMTP_HOST", "127.0.0.1"),
            ("CENTRALE__MAIL__SMTP_PORT", &port),
            ("CENTRALE__MAIL__SMTP_SECURITY", "none"),
        ],
    );
    let mut conn = w.pool.get().unwrap();
    let mut kills_mid_batch = 0;
    let mut claims_cut = 0;
    for _ in 0..kills {
        let before = server.messages().len();
        shop.start();
        let deadline = Instant::now() + Duration::from_secs(60);
        // Kill as soon as this run has delivered something.
        while server.messages().len() <= before {
            assert!(Instant::now() < deadline, "nothing sent:\n{}", shop.logs());
            std::thread::sleep(Duration::from_millis(2));
        }
        shop.kill_9();
        let held = expire_claims(&mut conn);
        if held > 0 {
            kills_mid_batch += 1;
            claims_cut += held;
        }
    }
    shop.start();
    let deadline = Instant::now() + Duration::from_secs(60 + count as u64 / 20);
    loop {
        let ids: BTreeSet<String> = delivered(&server).into_iter().map(|d| d.0).collect();
        if unsent(&mut conn) == 0 && queued.keys().all(|id| ids.contains(id)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} messages still unsent:\n{}",
            unsent(&mut conn),
            shop.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    shop.stop();
    drop(conn);

    let deliveries = delivered(&server);
    let mut copies: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (id, to, subject) in &deliveries {
        copies
            .entry(id.clone())
            .or_default()
            .push((to.clone(), subject.clone()));
    }
    let lost = queued.keys().filter(|id| !copies.contains_key(*id)).count() as u64;
    let strangers: Vec<&String> = copies
        .keys()
        .filter(|id| !queued.contains_key(*id))
        .collect();
    // A duplicate is recognisable: the same Message-ID, on the same message.
    let mut unrecognisable = 0;
    for (id, sent) in &copies {
        if let Some((to, subject)) = queued.get(id) {
            if sent
                .iter()
                .any(|(t, s)| !t.contains(to.as_str()) || s != subject)
            {
                unrecognisable += 1;
            }
        }
    }
    let redelivered = deliveries.len() - copies.len();
    eprintln!(
        "mail: {count} queued, {} deliveries, {redelivered} redelivered under their Message-ID, {kills_mid_batch} kills with claims held ({claims_cut} claims)",
        deliveries.len()
    );
    soak::record(&Outcome {
        scenario: format!("kill -9 while mail is sent ({redelivered} resent, same Message-ID)"),
        backend: backend.name().into(),
        faults: kills,
        requests: deliveries.len() as u64,
        checked: count as u64,
        lost,
        duplicated: unrecognisable,
    });
    assert_eq!(lost, 0, "messages never delivered");
    assert!(strangers.is_empty(), "unknown messages: {strangers:?}");
    assert_eq!(unrecognisable, 0, "a redelivery changed its message");
    assert!(
        kills_mid_batch > 0,
        "no kill caught the sender holding messages"
    );
}

// ---------------------------------------------------------------------------------------
// A silent SMTP server

/// An SMTP server that accepts connections and never says a word: every send waits for the
/// client's timeout.
struct Tarpit {
    port: u16,
    accepted: Arc<AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Tarpit {
    fn start() -> Tarpit {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (count, done) = (accepted.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !done.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        count.fetch_add(1, Ordering::Relaxed);
                        held.push(stream);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Tarpit {
            port,
            accepted,
            stop,
        }
    }
}

impl Drop for Tarpit {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

async fn a_silent_smtp_server_delays_neither_the_cascade_nor_the_shutdown(backend: Backend) {
    let Some(w) = world(backend) else { return };
    let count = 10 * soak::scale() as usize;
    let tarpit = Tarpit::start();
    let port = tarpit.port.to_string();
    let mut shop = Shop::new(
        &w.database.url,
        w.dir.path(),
        &[
            ("CENTRALE__MAIL__TRANSPORT", "smtp"),
            ("CENTRALE__MAIL__SMTP_HOST", "127.0.0.1"),
            ("CENTRALE__MAIL__SMTP_PORT", &port),
            ("CENTRALE__MAIL__SMTP_SECURITY", "none"),
            ("CENTRALE__WORKER__STOP_TIMEOUT_SECONDS", "2"),
        ],
    );
    shop.start();
    // Each order queues its receipt: the sender takes them and waits on the silent server.
    place_orders(&w, &shop.base, "tarpit", count, 5).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while tarpit.accepted.load(Ordering::Relaxed) == 0 {
        assert!(
            Instant::now() < deadline,
            "the sender never connected:\n{}",
            shop.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The suppliers let their deadline pass: the next sweep moves every order on, although
    // the sender is stuck for many seconds per message.
    let mut conn = w.pool.get().unwrap();
    expire_deadlines(&mut conn, w.institution_id, chrono::Duration::minutes(2));
    let expired = Instant::now();
    let deadline = expired + Duration::from_secs(10);
    let moved = loop {
        let moved = orders_at_rank(&mut conn, w.institution_id, 2).len();
        if moved == count || Instant::now() > deadline {
            break moved;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let escalated_in = expired.elapsed();
    drop(conn);
    eprintln!("silent SMTP: {moved}/{count} orders moved on in {escalated_in:?}");
    // And the shop stops within its timeouts, leaving the stuck sender behind.
    let signalled = Instant::now();
    shop.send_term();
    let status = shop.wait_exit(Duration::from_secs(40));
    let stopped_in = signalled.elapsed();
    let logs = shop.logs();
    soak::record(&Outcome {
        scenario: "silent SMTP server: sweeps and shutdown".into(),
        backend: backend.name().into(),
        faults: 1,
        requests: count as u64,
        checked: count as u64,
        lost: (count - moved) as u64,
        duplicated: 0,
    });
    eprintln!("silent SMTP: stopped in {stopped_in:?} after SIGTERM");
    assert_eq!(moved, count, "orders moved on within 10 s:\n{logs}");
    assert!(status.success(), "exit {status}:\n{logs}");
    // The SMTP timeout is 15 s per message: the shutdown did not wait for it.
    assert!(
        stopped_in < Duration::from_secs(12),
        "stopped in {stopped_in:?}:\n{logs}"
    );
    assert!(logs.contains("left behind"), "{logs}");
}

// ---------------------------------------------------------------------------------------
// Backup

fn run_backup(shop: &Shop, dest: &Path, force: bool) -> std::process::Output {
    let mut command = shop.command();
    command.arg("backup").arg(dest);
    if force {
        command.arg("--force");
    }
    command.output().expect("backup runs")
}

fn pg_tool_available(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

async fn a_backup_taken_while_the_shop_serves_holds_every_order(backend: Backend) {
    let Some(w) = world(backend) else { return };
    let scale = soak::scale() as usize;
    let mut shop = Shop::new(&w.database.url, w.dir.path(), &[]);
    shop.start();
    let before = place_orders(&w, &shop.base, "before", 20 * scale, 8).await;

    // Orders keep coming while the backup runs.
    let client = http();
    let token = access_token(&client, &shop.base, &w).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let during = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for n in 0..4 {
        let (client, base, token, stop, during) = (
            client.clone(),
            shop.base.clone(),
            token.clone(),
            stop.clone(),
            during.clone(),
        );
        let bodies: Vec<(String, String)> = (0..2_000)
            .map(|i| {
                let key = format!("during-{n}-{i}");
                let body = order_body(&w, &key);
                (key, body)
            })
            .collect();
        writers.push(tokio::spawn(async move {
            for (key, body) in bodies {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                if try_order(&client, &base, &token, &body, &key)
                    .await
                    .is_some()
                {
                    during.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let dest = w.dir.path().join(match backend {
        Backend::Sqlite => "backup.db",
        Backend::Postgres => "backup.dump",
    });
    let pg_dump = backend == Backend::Sqlite || pg_tool_available("pg_dump");
    let backup = {
        let command_shop = Shop::new(&w.database.url, w.dir.path(), &[]);
        let dest = dest.clone();
        tokio::task::spawn_blocking(move || run_backup(&command_shop, &dest, false))
            .await
            .unwrap()
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    let stdout = String::from_utf8_lossy(&backup.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&backup.stderr).into_owned();
    if !pg_dump {
        // No pg_dump here: the command explains what to run, and fails.
        assert!(!backup.status.success());
        assert!(stderr.contains("pg_dump --format=custom"), "{stderr}");
        assert!(stderr.contains("pg_restore"), "{stderr}");
        shop.stop();
        return;
    }
    assert!(backup.status.success(), "backup failed: {stdout}{stderr}");
    assert!(stdout.contains("backup written to"), "{stdout}");
    assert!(
        stdout.contains(" in ") && stdout.contains(" s ("),
        "size and time: {stdout}"
    );
    let orders_during = during.load(Ordering::Relaxed);
    assert!(orders_during > 0, "orders were placed while the backup ran");

    // Refuses to overwrite, unless told to.
    let again = run_backup(&shop, &dest, false);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    shop.stop();

    // Open the copy: every order answered before the backup started is there, whole.
    let copy_url = match backend {
        Backend::Sqlite => dest.to_string_lossy().into_owned(),
        Backend::Postgres => {
            let restored = test_settings(Backend::Postgres, w.dir.path())
                .expect("a second database")
                .database
                .url;
            assert!(
                pg_tool_available("pg_restore"),
                "pg_restore next to pg_dump"
            );
            let output = Command::new("pg_restore")
                .args(["--no-owner", "--exit-on-error", "--dbname", &restored])
                .arg(&dest)
                .output()
                .expect("pg_restore runs");
            assert!(
                output.status.success(),
                "pg_restore: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            restored
        }
    };
    let copy = Pool::connect(&DatabaseSettings {
        url: copy_url,
        ..w.database.clone()
    })
    .expect("the copy opens");
    let mut conn = copy.get().unwrap();
    assert_eq!(
        copy.migrate().expect("the copy is at the current schema"),
        0
    );
    let orders = orders_of(&mut conn, w.institution_id);
    let assignments = assignments_by_order(&mut conn);
    let stored: BTreeSet<i64> = orders.iter().map(|o| o.id).collect();
    let lost = before.iter().filter(|id| !stored.contains(id)).count() as u64;
    let mut problems = Vec::new();
    for order in &orders {
        problems.extend(one_current_supplier(order, &assignments));
    }
    let lines: i64 = {
        use centrale::db::schema::order_lines::dsl as l;
        centrale::with_conn!(&mut conn, |c| l::order_lines.count().get_result(c)).unwrap()
    };
    assert_eq!(
        lines as usize,
        orders.len(),
        "one line per order in the copy"
    );
    drop(conn);
    // With --force the copy is replaced.
    if backend == Backend::Sqlite {
        let forced = run_backup(&shop, &dest, true);
        assert!(
            forced.status.success(),
            "{}",
            String::from_utf8_lossy(&forced.stderr)
        );
    }
    soak::record(&Outcome {
        scenario: "backup while orders are placed".into(),
        backend: backend.name().into(),
        faults: 0,
        requests: before.len() as u64 + orders_during,
        checked: orders.len() as u64,
        lost,
        duplicated: 0,
    });
    assert_eq!(
        lost, 0,
        "orders answered before the backup are missing from it"
    );
    assert!(problems.is_empty(), "{problems:#?}");
    eprintln!(
        "backup: {} orders in the copy ({} before, {orders_during} during): {}",
        orders.len(),
        before.len(),
        stdout.trim()
    );
}

// ---------------------------------------------------------------------------------------
// SIGTERM with requests in flight (SQLite: the process is what is under test)

/// An order request sent up to half its body, on its own connection.
struct HalfSent {
    stream: TcpStream,
    rest: Vec<u8>,
}

fn half_send(port: u16, token: &str, body: &str, key: &str) -> HalfSent {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(40)))
        .unwrap();
    let head = format!(
        "POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nIdempotency-Key: {key}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(first).unwrap();
    stream.flush().unwrap();
    HalfSent {
        stream,
        rest: rest.to_vec(),
    }
}

impl HalfSent {
    /// Sends the rest and reads the status code of the answer.
    fn finish(mut self) -> Result<u16, String> {
        self.stream
            .write_all(&self.rest)
            .map_err(|e| format!("write: {e}"))?;
        let mut answer = String::new();
        self.stream
            .read_to_string(&mut answer)
            .map_err(|e| format!("read: {e}"))?;
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("no HTTP answer: {answer:?}"))
    }
}

#[actix_web::test]
async fn sigterm_lets_requests_in_flight_finish_and_stops_the_worker() {
    let w = world(Backend::Sqlite).expect("SQLite always runs");
    let in_flight = 6 * soak::scale() as usize;
    let mut shop = Shop::new(&w.database.url, w.dir.path(), &[]);
    shop.start();
    let client = http();
    let token = access_token(&client, &shop.base, &w).await;
    // The shop works before the signal.
    place_orders(&w, &shop.base, "warm-up", 2, 2).await;
    let keys: Vec<String> = (0..in_flight).map(|i| format!("in-flight-{i}")).collect();
    let port = shop.port;
    let requests: Vec<HalfSent> = keys
        .iter()
        .map(|key| half_send(port, &token, &order_body(&w, key), key))
        .collect();
    // Let the shop read the headers: these requests are now being handled.
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    shop.send_term();
    std::thread::sleep(Duration::from_millis(500));
    let answers: Vec<Result<u16, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = requests
            .into_iter()
            .map(|r| s.spawn(move || r.finish()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let status = shop.wait_exit(Duration::from_secs(40));
    let took = signalled.elapsed();
    let logs = shop.logs();

    let mut conn = w.pool.get().unwrap();
    let stored: BTreeSet<String> = orders_of(&mut conn, w.institution_id)
        .into_iter()
        .filter_map(|o| o.buyer_reference)
        .collect();
    drop(conn);
    let answered_2xx = answers
        .iter()
        .filter(|a| matches!(a, Ok(200..=299)))
        .count();
    let lost = keys.iter().filter(|k| !stored.contains(*k)).count() as u64;
    soak::record(&Outcome {
        scenario: "SIGTERM with requests in flight".into(),
        backend: "sqlite".into(),
        faults: 1,
        requests: in_flight as u64,
        checked: in_flight as u64,
        lost,
        duplicated: 0,
    });
    assert_eq!(answered_2xx, in_flight, "answers: {answers:?}\n{logs}");
    assert_eq!(lost, 0, "every answered order is stored");
    assert!(status.success(), "exit status {status}\n{logs}");
    // actix waits up to 20 s for requests, then the worker gets its own few seconds.
    assert!(took < Duration::from_secs(30), "took {took:?} to stop");
    assert!(logs.contains("background worker stopped"), "{logs}");
    assert!(logs.contains("centrale stopped"), "{logs}");
    eprintln!("SIGTERM: {in_flight} requests in flight answered 2xx, exit 0 after {took:?}");
}
