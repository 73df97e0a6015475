//! The data set: parameters, the SQLite cache under target/bench-data, and the bulk load on
//! either backend. Deterministic: the same parameters give the same rows, ids included.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use sha2::{Digest, Sha256};

use centrale::config::DatabaseSettings;
use centrale::db::schema::*;
use centrale::db::{Conn, Pool};
use centrale::with_conn;

use crate::bulk_insert;
use crate::catalogue::{self, Reference};
use crate::history::History;

/// Bump when the generator writes different rows for the same parameters.
const GENERATOR_VERSION: u32 = 1;

#[derive(Debug, Clone)]
pub struct Params {
    pub lots: usize,
    pub services_lots: usize,
    pub products: usize,
    pub suppliers: usize,
    pub cascade_size: usize,
    pub institutions: usize,
    pub orders: usize,
    pub months: u32,
    pub seed: u64,
    /// First day of the current month: history ends just before it, lots are valid around it.
    pub anchor: NaiveDate,
}

impl Params {
    fn anchor_today() -> NaiveDate {
        let today = chrono::Utc::now().date_naive();
        today.with_day(1).unwrap_or(today)
    }

    pub fn full() -> Params {
        Params {
            lots: 50,
            services_lots: 6,
            products: 2_000,
            suppliers: 40,
            cascade_size: 5,
            institutions: 5_000,
            orders: 1_000_000,
            months: 24,
            seed: 2026,
            anchor: Self::anchor_today(),
        }
    }

    pub fn smoke() -> Params {
        Params {
            lots: 6,
            services_lots: 1,
            products: 60,
            suppliers: 10,
            cascade_size: 5,
            institutions: 80,
            orders: 3_000,
            months: 3,
            seed: 2026,
            anchor: Self::anchor_today(),
        }
    }

    /// Names the cached SQLite file: parameters, generator version and schema.
    pub fn key(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!("{self:?} v{GENERATOR_VERSION}"));
        hasher.update(schema_fingerprint());
        let digest = hasher.finalize();
        let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("{}o-{}-{short}", self.orders, self.anchor.format("%Y%m"))
    }

    /// The reference data without touching a database (the cached file holds the same).
    pub fn reference(&self) -> Reference {
        let mut rng = StdRng::seed_from_u64(self.seed);
        catalogue::reference(self, &mut rng, "")
    }
}

/// A digest of both migration folders: a schema change invalidates the cache.
pub fn schema_fingerprint() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files = Vec::new();
    for backend in ["sqlite", "postgres"] {
        if let Ok(entries) = std::fs::read_dir(root.join(backend)) {
            for entry in entries.flatten() {
                files.push(entry.path().join("up.sql"));
            }
        }
    }
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).unwrap_or_default());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn database_settings(url: &str, pool_size: u32) -> DatabaseSettings {
    DatabaseSettings {
        url: url.to_owned(),
        pool_size,
        busy_timeout_ms: 5_000,
        connect_timeout_ms: 30_000,
    }
}

/// The cached SQLite data set for `params`, generated first if missing.
pub fn sqlite_dataset(params: &Params, cache_dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(cache_dir)?;
    let path = cache_dir.join(format!("centrale-{}.db", params.key()));
    if path.exists() {
        println!("data set: reusing {}", path.display());
        return Ok(path);
    }
    let partial = cache_dir.join(format!("centrale-{}.partial.db", params.key()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
    }
    println!("data set: generating {}", path.display());
    {
        let pool = Pool::connect(&database_settings(&partial.to_string_lossy(), 1))?;
        pool.migrate()?;
        let mut conn = pool.get()?;
        // A generated file needs no durability while it is written; the shop's own settings
        // (WAL, synchronous=FULL) apply again on every connection the server opens.
        with_conn!(&mut conn, |c| c.batch_execute(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; \
             PRAGMA cache_size = -1000000;"
        ))?;
        fill(&mut conn, params)?;
        with_conn!(&mut conn, |c| c.batch_execute("PRAGMA journal_mode = WAL;"))?;
    }
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

/// Loads the whole data set into a migrated, empty database.
pub fn fill(conn: &mut Conn, params: &Params) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(params.seed);
    let password = centrale::auth::password::hash(catalogue::ADMIN_PASSWORD)?;
    let reference = catalogue::reference(params, &mut rng, &password);
    let mut rows = 0usize;
    conn.transaction(|conn| {
        rows += bulk_insert!(conn, categories::table, &reference.categories, 5);
        rows += bulk_insert!(conn, suppliers::table, &reference.suppliers, 10);
        rows += bulk_insert!(conn, users::table, &reference.users, 11);
        rows += bulk_insert!(conn, lots::table, &reference.lots, 13);
        rows += bulk_insert!(conn, cascade_entries::table, &reference.cascade, 6);
        rows += bulk_insert!(conn, products::table, &reference.products, 18);
        rows += bulk_insert!(conn, supplier_offers::table, &reference.offers, 7);
        rows += bulk_insert!(conn, institutions::table, &reference.institutions, 17);
        rows += bulk_insert!(conn, users::table, &reference.institution_users, 11);
        rows += bulk_insert!(conn, delivery_addresses::table, &reference.addresses, 7);
        rows += bulk_insert!(conn, api_clients::table, &reference.clients, 10);
        Ok::<_, anyhow::Error>(())
    })?;
    let mut history = History::new(params, &reference, &mut rng);
    let mut last_report = Instant::now();
    let mut orders = 0usize;
    while let Some(chunk) = history.chunk(25_000, &mut rng) {
        conn.transaction(|conn| {
            rows += bulk_insert!(conn, orders::table, &chunk.orders, 29);
            rows += bulk_insert!(conn, order_lines::table, &chunk.lines, 11);
            rows += bulk_insert!(conn, order_assignments::table, &chunk.assignments, 11);
            rows += bulk_insert!(conn, order_events::table, &chunk.events, 11);
            Ok::<_, anyhow::Error>(())
        })?;
        orders += chunk.orders.len();
        if last_report.elapsed().as_secs() >= 5 {
            last_report = Instant::now();
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "data set: {orders} orders, {rows} rows, {:.0} rows/s",
                rows as f64 / seconds
            );
        }
    }
    let feed = history.feed_seq;
    with_conn!(conn, |c| diesel::update(feed_sequence::table.find(1))
        .set(feed_sequence::value.eq(feed))
        .execute(c))?;
    if let Conn::Postgres(c) = conn {
        let c: &mut diesel::PgConnection = c;
        for table in [
            "categories",
            "suppliers",
            "users",
            "lots",
            "cascade_entries",
            "products",
            "supplier_offers",
            "institutions",
            "delivery_addresses",
            "api_clients",
            "orders",
            "order_lines",
            "order_assignments",
            "order_events",
        ] {
            c.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))?;
        }
    }
    catch_up_report_rollups(conn)?;
    if let Conn::Postgres(c) = conn {
        // A shop that has run for two years has statistics; a bulk load has none yet.
        let c: &mut diesel::PgConnection = c;
        c.batch_execute("VACUUM ANALYZE")?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "data set: {orders} orders, {rows} rows in {seconds:.1} s ({:.0} rows/s)",
        rows as f64 / seconds
    );
    Ok(())
}

/// The single place the generated history is handed to the report rollups, so reports read
/// what a running shop would have summed up as orders came in (the triggers logged every
/// generated order as a change; this drains that log once).
fn catch_up_report_rollups(conn: &mut Conn) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let refreshed =
        centrale::reports::refresh::catch_up_in(conn, centrale::reports::refresh::BATCH)
            .map_err(|e| anyhow::anyhow!("report rollups: {e}"))?;
    println!(
        "report rollups: {refreshed} orders summed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Copies the cached file for one run, so every run starts from the same data.
pub fn copy_for_run(cached: &Path, run_dir: &Path) -> anyhow::Result<PathBuf> {
    let target = run_dir.join("centrale.db");
    std::fs::copy(cached, &target)
        .with_context(|| format!("cannot copy {} to {}", cached.display(), target.display()))?;
    Ok(target)
}
