//! The benchmark of the shop: `cargo bench --bench centrale -- [--postgres] [--duration S]
//! [--connections N] [--only GROUPS] [--history ORDERS]` (or `bench/run`) generates a realistic data set, starts the release
//! server on it and measures what it serves, next to two ceilings measured in the same run:
//! the web framework's (a static endpoint) and the storage's (an order's rows committed with
//! the same durability, no HTTP). Under `cargo test` the same harness runs as a smoke test on
//! a tiny data set with one-second scenarios, to show that every part of it works.

mod catalogue;
mod ceiling;
mod generate;
mod history;
mod report;
mod routed;
mod rows;
mod rush;
mod scenarios;
mod server;
mod sweep;
mod wrk;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use centrale::db::{Backend, Pool};

use crate::generate::Params;
use crate::report::Row;
use crate::scenarios::{Run, Settings, RSS_TARGET_MIB};
use crate::server::{Server, WebhookSink};

const POSTGRES_VAR: &str = "CENTRALE_BENCH_POSTGRES_URL";
const TEST_POSTGRES_VAR: &str = "CENTRALE_TEST_POSTGRES_URL";

struct Options {
    full: bool,
    postgres: bool,
    seconds: u64,
    connections: u32,
    filters: Vec<String>,
    only: Vec<String>,
    /// Orders of generated history; the targets are stated for 1,000,000.
    history: Option<usize>,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        full: false,
        postgres: false,
        seconds: 12,
        connections: 64,
        filters: Vec::new(),
        only: Vec::new(),
        history: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => options.full = true,
            "--help" | "-h" => {
                println!(
                    "cargo bench --bench centrale -- [--postgres] [--duration S] \
                     [--connections N] [--only {}] [--history ORDERS]\n\
                     (bench/run --help says more)",
                    GROUPS.join(",")
                );
                std::process::exit(0);
            }
            "--postgres" => options.postgres = true,
            "--duration" => {
                options.seconds = args.next().context("--duration needs seconds")?.parse()?;
            }
            "--history" => {
                let orders: usize = args
                    .next()
                    .context("--history needs a number of orders")?
                    .parse()
                    .context("--history needs a number of orders")?;
                options.history = Some(orders);
            }
            "--connections" => {
                options.connections = args
                    .next()
                    .context("--connections needs a number")?
                    .parse()?;
            }
            "--only" => {
                let groups = args
                    .next()
                    .context("--only needs groups, e.g. catalogue,orders")?;
                for group in groups.split(',').map(str::trim).filter(|g| !g.is_empty()) {
                    if !GROUPS.contains(&group) {
                        bail!(
                            "--only: unknown group {group}; the groups are {}",
                            GROUPS.join(", ")
                        );
                    }
                    options.only.push(group.to_owned());
                }
            }
            // What the test runner may pass to every test binary.
            other if other.starts_with('-') => {}
            filter => options.filters.push(filter.to_owned()),
        }
    }
    Ok(options)
}

/// Scenario groups `--only` accepts.
const GROUPS: [&str; 5] = ["catalogue", "orders", "reports", "rush", "sweep"];

/// The highest number in the supplier feed: where a poller that is up to date stands.
pub fn feed_top(conn: &mut centrale::db::Conn) -> anyhow::Result<i64> {
    use centrale::db::schema::order_assignments;
    use diesel::prelude::*;
    let top: Option<i64> = centrale::with_conn!(conn, |c| order_assignments::table
        .select(diesel::dsl::max(order_assignments::feed_seq))
        .first(c))?;
    Ok(top.unwrap_or(0))
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

fn main() {
    let options = match options() {
        Ok(o) => o,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::exit(2);
        }
    };
    let outcome = if options.full {
        full(&options)
    } else {
        smoke(&options)
    };
    if let Err(error) = outcome {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target")
}

/// A fresh database on a PostgreSQL server for this run; dropped by the guard (kept with
/// `BENCH_KEEP`).
struct PostgresDatabase {
    server: String,
    name: String,
    pub url: String,
}

impl PostgresDatabase {
    fn create(server: &str, prefix: &str) -> anyhow::Result<PostgresDatabase> {
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            chrono::Utc::now().timestamp()
        );
        let mut admin = PgConnection::establish(server).context("cannot connect to PostgreSQL")?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(server);
        Ok(PostgresDatabase {
            server: server.to_owned(),
            url: format!("{base}/{name}"),
            name,
        })
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if std::env::var_os("BENCH_KEEP").is_some() {
            eprintln!("database kept: {}", self.url);
            return;
        }
        if let Ok(mut admin) = PgConnection::establish(&self.server) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// The data set on the chosen backend: (database URL, guard keeping a PostgreSQL database).
fn prepare_database(
    params: &Params,
    backend: Backend,
    postgres_server: Option<&str>,
    run_dir: &Path,
    cache_dir: Option<&Path>,
) -> anyhow::Result<(String, Option<PostgresDatabase>)> {
    match backend {
        Backend::Sqlite => {
            let file = match cache_dir {
                Some(cache) => {
                    let cached = generate::sqlite_dataset(params, cache)?;
                    generate::copy_for_run(&cached, run_dir)?
                }
                None => {
                    let path = run_dir.join("centrale.db");
                    let pool =
                        Pool::connect(&generate::database_settings(&path.to_string_lossy(), 1))?;
                    pool.migrate()?;
                    generate::fill(&mut pool.get()?, params)?;
                    path
                }
            };
            Ok((file.to_string_lossy().into_owned(), None))
        }
        Backend::Postgres => {
            let server = postgres_server.context("no PostgreSQL server")?;
            let database = PostgresDatabase::create(server, "centrale_bench")?;
            let pool = Pool::connect(&generate::database_settings(&database.url, 1))?;
            pool.migrate()?;
            generate::fill(&mut pool.get()?, params)?;
            Ok((database.url.clone(), Some(database)))
        }
    }
}

/// Gives some suppliers a webhook endpoint on the harness's receiver.
fn register_webhooks(pool: &Pool, url: &str, suppliers: usize) -> anyhow::Result<Vec<i64>> {
    use centrale::db::schema::suppliers as s;
    use diesel::prelude::*;
    let ids: Vec<i64> = (1..=suppliers as i64).filter(|i| i % 4 == 0).collect();
    let mut conn = pool.get()?;
    centrale::with_conn!(&mut conn, |c| diesel::update(
        s::table.filter(s::id.eq_any(&ids))
    )
    .set((
        s::webhook_url.eq(Some(url)),
        s::webhook_secret.eq(Some("whsec_bench_receiver_secret"))
    ))
    .execute(c))?;
    Ok(ids)
}

/// One whole run on one backend; returns the rows and the rush-hour checks' verdict.
fn run_on(
    backend: Backend,
    params: &Params,
    settings: Settings,
    postgres_server: Option<&str>,
    run_dir: &Path,
    cache_dir: Option<&Path>,
    binary: &Path,
) -> anyhow::Result<(Vec<Row>, bool)> {
    let started = Instant::now();
    let (url, guard) = prepare_database(params, backend, postgres_server, run_dir, cache_dir)?;
    println!("data set ready in {:.1} s", started.elapsed().as_secs_f64());
    let pool = Pool::connect(&generate::database_settings(&url, 2))?;
    let sink = WebhookSink::start()?;
    let hooked = register_webhooks(&pool, &sink.url, params.suppliers)?;
    let server = Server::start(binary, &url, run_dir)?;
    println!(
        "server {} (pid {}), {} backend",
        server.base,
        server.pid,
        backend.name()
    );
    let history_from =
        params.anchor - chrono::Duration::days(i64::from(params.months) * 365 / 12 + 2);
    let mut run = Run::new(
        server,
        pool,
        params.reference(),
        run_dir.to_path_buf(),
        settings,
        sink,
        hooked,
        history_from,
        url,
    );
    let outcome = scenarios_in_order(&mut run);
    let peak = run.server.peak_rss_mib();
    run.server.stop();
    let rush_clean = match outcome {
        Ok(clean) => clean,
        Err(error) => bail!(
            "{error:#}\nserver log (last lines):\n{}",
            run.server.log_tail(20)
        ),
    };
    let overall = run
        .rows
        .iter()
        .filter_map(|r| r.peak_rss_mib)
        .chain(peak)
        .fold(0.0, f64::max);
    run.rows.push(Row {
        scenario: "peak RSS (whole run)".into(),
        peak_rss_mib: Some(overall),
        ratio: Some(RSS_TARGET_MIB / overall.max(0.001)),
        ratio_of: "target".into(),
        pass: Some(overall < RSS_TARGET_MIB),
        target: format!("< {RSS_TARGET_MIB:.0} MiB"),
        ..Row::default()
    });
    drop(guard);
    Ok((std::mem::take(&mut run.rows), rush_clean))
}

fn scenarios_in_order(run: &mut Run) -> anyhow::Result<bool> {
    println!(
        "scenarios ({} s each, {} connections):",
        run.settings.seconds, run.settings.connections
    );
    if run.settings.wants("catalogue") {
        run.framework_ceiling()?;
        run.catalogue_page()?;
        run.catalogue_search()?;
        run.product_page()?;
        run.json_catalogue()?;
    }
    if run.settings.wants("orders") {
        let template = run.probe_placement()?;
        run.storage_ceiling(template)?;
        run.order_placement()?;
        run.supplier_feed()?;
        run.supplier_accepts()?;
    }
    if run.settings.wants("reports") {
        run.reports()?;
    }
    let clean = if run.settings.wants("rush") {
        run.rush_hour()?.clean()
    } else {
        true
    };
    if run.settings.wants("sweep") {
        run.sweep()?;
    }
    Ok(clean)
}

fn full(options: &Options) -> anyhow::Result<()> {
    if !wrk::available() {
        bail!("wrk is not installed: run bench/run, or apt-get install wrk");
    }
    let backend = if options.postgres {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let postgres_server = if options.postgres {
        Some(std::env::var(POSTGRES_VAR).with_context(|| {
            format!("--postgres needs {POSTGRES_VAR} (bench/run --postgres starts a server and sets it)")
        })?)
    } else {
        None
    };
    let started_at = chrono::Utc::now();
    let mut params = Params::full();
    if let Some(orders) = options.history {
        params.orders = orders;
    }
    let cache = target_dir().join("bench-data");
    let run_dir = cache.join(format!(
        "run-{}-{}",
        started_at.format("%Y%m%dT%H%M%S"),
        backend.name()
    ));
    std::fs::create_dir_all(&run_dir)?;
    let settings = Settings {
        seconds: options.seconds,
        connections: options.connections,
        smoke: false,
        rush_orders: params.institutions,
        rush_window_s: 60,
        sweep_orders: 100_000,
        sweep_limit_s: 240,
        accept_pool: 40_000,
        only: options.only.clone(),
    };
    let binary = Path::new(env!("CARGO_BIN_EXE_centrale"));
    let outcome = run_on(
        backend,
        &params,
        settings,
        postgres_server.as_deref(),
        &run_dir,
        Some(&cache),
        binary,
    );
    let keep = outcome.is_err() || std::env::var("BENCH_KEEP").is_ok();
    if !keep {
        let _ = std::fs::remove_dir_all(&run_dir);
    } else {
        eprintln!("run files kept in {}", run_dir.display());
    }
    let (rows, _) = outcome?;
    let title = format!(
        "centrale benchmark — {} — {} orders of history, {} s per scenario, {} connections, {} cores",
        backend.name(),
        params.orders,
        options.seconds,
        options.connections,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    print!("{}", report::table(&rows, &title));
    let written = report::write(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("bench")
            .join("results"),
        backend.name(),
        started_at,
        options.seconds,
        options.connections,
        &params.key(),
        &rows,
    )?;
    println!("\nwritten: {} (and .json)", written.display());
    Ok(())
}

/// The smoke test: every scenario made requests and none failed; the rush-hour checks ran
/// and found nothing lost or duplicated; the sweep moved every due order.
fn smoke(options: &Options) -> anyhow::Result<()> {
    let name = "bench_smoke";
    if options.filters.iter().any(|f| !name.contains(f.as_str())) {
        println!("\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out; finished in 0.00s\n");
        return Ok(());
    }
    let started = Instant::now();
    if !wrk::available() {
        if under_ci() {
            bail!(
                "wrk is not installed (apt-get install wrk): the benchmark smoke test cannot run"
            );
        }
        println!("\nrunning 1 test\ntest {name} ... ignored, wrk is not installed (apt-get install wrk)\n\ntest result: ok. 0 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s\n");
        return Ok(());
    }
    let mut backends = vec![(Backend::Sqlite, None)];
    match std::env::var(TEST_POSTGRES_VAR) {
        Ok(url) => backends.push((Backend::Postgres, Some(url))),
        Err(_) if under_ci() => {
            bail!("{TEST_POSTGRES_VAR} must be set under CI: the smoke test runs on both backends")
        }
        Err(_) => println!("skipped: set {TEST_POSTGRES_VAR} to run the PostgreSQL variant"),
    }
    println!("\nrunning {} tests", backends.len());
    let binary = Path::new(env!("CARGO_BIN_EXE_centrale"));
    let params = Params::smoke();
    let mut passed = 0;
    for (backend, postgres) in backends {
        let test = format!("{name}_{}", backend.name());
        let dir = tempfile::tempdir()?;
        if std::env::var("BENCH_KEEP").is_ok() {
            println!("run files kept in {}", dir.path().display());
        }
        let settings = Settings {
            seconds: 1,
            connections: 8,
            smoke: true,
            rush_orders: 50,
            rush_window_s: 3,
            sweep_orders: 200,
            sweep_limit_s: 60,
            accept_pool: 3_000,
            only: Vec::new(),
        };
        let (rows, rush_clean) = run_on(
            backend,
            &params,
            settings,
            postgres.as_deref(),
            dir.path(),
            None,
            binary,
        )
        .with_context(|| format!("{test} failed"))?;
        print!(
            "{}",
            report::table(
                &rows,
                &format!("{test} (one-second scenarios: figures mean nothing)")
            )
        );
        let mut problems = Vec::new();
        for row in &rows {
            if row.scenario.starts_with("peak RSS") {
                continue;
            }
            if row.requests == 0 {
                problems.push(format!("{}: no requests", row.scenario));
            }
            if row.errors > 0 {
                problems.push(format!("{}: {} errors", row.scenario, row.errors));
            }
        }
        if !rush_clean {
            problems.push("rush hour: the database checks found a problem (see the note)".into());
        }
        if let Some(sweep) = rows
            .iter()
            .find(|r| r.scenario.starts_with("escalation sweep"))
        {
            if sweep.note.contains("stopped at") {
                problems.push(format!("sweep did not finish: {}", sweep.note));
            }
        }
        if std::env::var("BENCH_KEEP").is_ok() {
            let _ = dir.keep();
        }
        if !problems.is_empty() {
            bail!("{test} failed:\n  {}", problems.join("\n  "));
        }
        println!("test {test} ... ok");
        passed += 1;
    }
    println!(
        "\ntest result: ok. {passed} passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in {:.2}s\n",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
