//! The scenarios, each a bounded load against the running shop, and the run they share.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use centrale::db::schema::*;
use centrale::db::{Backend, Pool};
use centrale::parties::Role;
use centrale::with_conn;

use crate::catalogue::{self, Reference};
use crate::ceiling::{self, Template};
use crate::report::Row;
use crate::routed;
use crate::server::{self, Server, WebhookSink};
use crate::wrk::{Load, WrkSummary};

pub const CATALOGUE_TARGET_RPS: f64 = 6_000.0;
pub const CATALOGUE_TARGET_P99_MS: f64 = 30.0;
pub const PLACEMENT_TARGET_SHARE: f64 = 0.5;
pub const PLACEMENT_TARGET_P99_MS: f64 = 50.0;
/// Concurrent clients placing orders when the placement verdict is taken.
pub const PLACEMENT_CONNECTIONS: u32 = 16;
pub const REPORT_TARGET_MS: f64 = 300.0;
pub const SWEEP_TARGET_S: f64 = 20.0;
pub const RUSH_TARGET_P99_MS: f64 = 100.0;
pub const RSS_TARGET_MIB: f64 = 100.0;

pub struct Settings {
    pub seconds: u64,
    pub connections: u32,
    pub smoke: bool,
    pub rush_orders: usize,
    pub rush_window_s: u64,
    pub sweep_orders: usize,
    pub sweep_limit_s: u64,
    pub accept_pool: usize,
    /// Scenario groups to run (`catalogue`, `orders`, `reports`, `rush`, `sweep`); empty
    /// for all.
    pub only: Vec<String>,
}

impl Settings {
    pub fn wants(&self, group: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|g| g == group)
    }
}

pub struct Run {
    pub server: Server,
    pub pool: Pool,
    pub reference: Reference,
    pub dir: PathBuf,
    pub settings: Settings,
    pub rows: Vec<Row>,
    pub framework_rps: Option<f64>,
    pub storage_tps: Option<f64>,
    pub nonce: String,
    pub webhook: WebhookSink,
    pub webhook_suppliers: Vec<i64>,
    pub history_from: chrono::NaiveDate,
    pub database_url: String,
    rng: StdRng,
}

/// One line of the requests file read by bench/wrk/requests.lua.
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub token: usize,
    pub idempotent: bool,
    pub body: String,
}

impl Request {
    pub fn get(path: impl Into<String>) -> Request {
        Request {
            method: "GET",
            path: path.into(),
            token: 0,
            idempotent: false,
            body: String::new(),
        }
    }
}

pub fn brussels_today() -> chrono::NaiveDate {
    centrale::clock::brussels_date(chrono::Utc::now())
}

impl Run {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        server: Server,
        pool: Pool,
        reference: Reference,
        dir: PathBuf,
        settings: Settings,
        webhook: WebhookSink,
        webhook_suppliers: Vec<i64>,
        history_from: chrono::NaiveDate,
        database_url: String,
    ) -> Run {
        Run {
            server,
            pool,
            reference,
            dir,
            settings,
            rows: Vec::new(),
            framework_rps: None,
            storage_tps: None,
            nonce: format!("b{}", chrono::Utc::now().timestamp()),
            webhook,
            webhook_suppliers,
            history_from,
            database_url,
            rng: StdRng::seed_from_u64(7),
        }
    }

    fn write_requests(&self, name: &str, requests: &[Request]) -> anyhow::Result<PathBuf> {
        let path = self.dir.join(format!("{name}.tsv"));
        let mut text = String::new();
        for r in requests {
            let _ = writeln!(
                text,
                "{}\t{}\t{}\t{}\t{}",
                r.method,
                r.path,
                r.token,
                if r.idempotent { "k" } else { "-" },
                r.body
            );
        }
        std::fs::write(&path, text)?;
        Ok(path)
    }

    fn write_tokens(&self, name: &str, tokens: &[String]) -> anyhow::Result<PathBuf> {
        let path = self.dir.join(format!("{name}-tokens.txt"));
        std::fs::write(&path, tokens.join("\n") + "\n")?;
        Ok(path)
    }

    /// Tokens of every institution's API client, in institution order (1-based in files).
    pub fn institution_tokens(&self) -> anyhow::Result<Vec<String>> {
        let clients: Vec<(String, Option<i64>)> = {
            let mut conn = self.pool.get()?;
            with_conn!(&mut conn, |c| api_clients::table
                .filter(api_clients::role.eq("institution"))
                .order(api_clients::institution_id.asc())
                .select((api_clients::client_id, api_clients::institution_id))
                .load(c))?
        };
        clients
            .iter()
            .map(|(id, institution)| server::token(id, Role::Institution, *institution, None))
            .collect()
    }

    /// Tokens of every supplier's API client, by supplier id (index 0 = supplier 1).
    pub fn supplier_tokens(&self) -> anyhow::Result<Vec<String>> {
        let clients: Vec<(String, Option<i64>)> = {
            let mut conn = self.pool.get()?;
            with_conn!(&mut conn, |c| api_clients::table
                .filter(api_clients::role.eq("supplier"))
                .order(api_clients::supplier_id.asc())
                .select((api_clients::client_id, api_clients::supplier_id))
                .load(c))?
        };
        clients
            .iter()
            .map(|(id, supplier)| server::token(id, Role::Supplier, None, *supplier))
            .collect()
    }

    pub fn admin_token(&self) -> anyhow::Result<String> {
        let mut conn = self.pool.get()?;
        let id: String = with_conn!(&mut conn, |c| api_clients::table
            .filter(api_clients::role.eq("admin"))
            .select(api_clients::client_id)
            .first(c))?;
        server::token(&id, Role::Admin, None, None)
    }

    /// Runs wrk over `requests` with the shared script, measuring the server's peak memory.
    pub fn load(
        &mut self,
        name: &str,
        requests: &[Request],
        tokens: &[String],
        connections: u32,
        timeout_s: u64,
    ) -> anyhow::Result<(WrkSummary, Option<f64>)> {
        let file = self.write_requests(name, requests)?;
        let tokens_file = if tokens.is_empty() {
            "-".to_owned()
        } else {
            self.write_tokens(name, tokens)?
                .to_string_lossy()
                .into_owned()
        };
        let load = Load {
            url: &self.server.base,
            script: "requests.lua",
            seconds: self.settings.seconds,
            connections,
            timeout_s,
            args: vec![
                file.to_string_lossy().into_owned(),
                tokens_file,
                connections.clamp(1, 2).to_string(),
                format!("{}-{name}", self.nonce),
                "cycle".into(),
                "0".into(),
                "-".into(),
            ],
        };
        self.server.reset_peak();
        let summary = load.run().with_context(|| format!("scenario {name}"))?;
        Ok((summary, self.server.peak_rss_mib()))
    }

    fn push(&mut self, row: Row) {
        println!(
            "  {:<34} {:>8.0} req/s  p50 {:>7.1} ms  p99 {:>7.1} ms  errors {}",
            row.scenario,
            row.rate.unwrap_or(0.0),
            row.p50_ms.unwrap_or(0.0),
            row.p99_ms.unwrap_or(0.0),
            row.errors
        );
        self.rows.push(row);
    }

    fn read_row(&self, scenario: &str, summary: &WrkSummary, rss: Option<f64>) -> Row {
        Row {
            scenario: scenario.into(),
            rate: Some(summary.rate()),
            p50_ms: Some(summary.p50_us as f64 / 1000.0),
            p99_ms: Some(summary.p99_us as f64 / 1000.0),
            requests: summary.requests,
            errors: summary.errors(),
            ratio: self.framework_rps.map(|f| summary.rate() / f),
            ratio_of: "framework".into(),
            peak_rss_mib: rss,
            ..Row::default()
        }
    }

    pub fn framework_ceiling(&mut self) -> anyhow::Result<()> {
        let (summary, rss) = self.load(
            "framework",
            &[Request::get("/healthz")],
            &[],
            self.settings.connections,
            10,
        )?;
        self.framework_rps = Some(summary.rate());
        let mut row = self.read_row("ceiling: framework (/healthz)", &summary, rss);
        row.ratio = None;
        row.note = "actix-web with the shop's middleware, no database".into();
        self.push(row);
        Ok(())
    }

    pub fn catalogue_page(&mut self) -> anyhow::Result<()> {
        let pages = self.reference.products.len().div_ceil(50).max(1);
        let mut requests = Vec::new();
        // Mostly the first page, as visitors land there, and a spread of later ones.
        for _ in 0..6 {
            requests.push(Request::get("/"));
        }
        for page in [2, 3, pages / 2, pages] {
            requests.push(Request::get(format!("/?page={}", page.max(1))));
        }
        let (summary, rss) = self.load(
            "catalogue-page",
            &requests,
            &[],
            self.settings.connections,
            10,
        )?;
        let mut row = self.read_row("catalogue page (HTML)", &summary, rss);
        let p99 = row.p99_ms.unwrap_or(f64::MAX);
        row.pass = Some(
            summary.rate() >= CATALOGUE_TARGET_RPS
                && p99 < CATALOGUE_TARGET_P99_MS
                && summary.errors() == 0,
        );
        row.target = format!(
            ">= {CATALOGUE_TARGET_RPS:.0} req/s, p99 < {CATALOGUE_TARGET_P99_MS:.0} ms at {} conn.",
            self.settings.connections
        );
        self.push(row);
        Ok(())
    }

    pub fn catalogue_search(&mut self) -> anyhow::Result<()> {
        let requests: Vec<Request> = catalogue::SEARCH_WORDS
            .iter()
            .map(|w| Request::get(format!("/?q={}", w.replace(' ', "+"))))
            .collect();
        let (summary, rss) = self.load(
            "catalogue-search",
            &requests,
            &[],
            self.settings.connections,
            10,
        )?;
        let row = self.read_row("catalogue search (HTML)", &summary, rss);
        self.push(row);
        Ok(())
    }

    pub fn product_page(&mut self) -> anyhow::Result<()> {
        let mut skus: Vec<&str> = self
            .reference
            .products
            .iter()
            .map(|p| p.sku.as_str())
            .collect();
        skus.shuffle(&mut self.rng);
        let requests: Vec<Request> = skus
            .iter()
            .map(|s| Request::get(format!("/products/{s}")))
            .collect();
        let (summary, rss) = self.load(
            "product-page",
            &requests,
            &[],
            self.settings.connections,
            10,
        )?;
        let row = self.read_row("product page (HTML)", &summary, rss);
        self.push(row);
        Ok(())
    }

    pub fn json_catalogue(&mut self) -> anyhow::Result<()> {
        let pages = self.reference.products.len().div_ceil(50);
        let requests: Vec<Request> = (0..pages)
            .map(|p| {
                Request::get(format!(
                    "/api/v1/catalogue/products?limit=50&offset={}",
                    p * 50
                ))
            })
            .collect();
        let (summary, rss) = self.load(
            "json-catalogue",
            &requests,
            &[],
            self.settings.connections,
            10,
        )?;
        let row = self.read_row("catalogue JSON API (pages of 50)", &summary, rss);
        self.push(row);
        Ok(())
    }

    /// A checkout body for institution `i`: two products of one lot, or one of each of two
    /// lots (one order per lot), quantities by the products' multiples.
    pub fn order_body(&mut self, i: usize) -> String {
        let institution = &self.reference.institution_plans[i];
        let address = institution.address_ids[0];
        let goods: Vec<usize> = (0..self.reference.lot_plans.len()).collect();
        let first = *goods.choose(&mut self.rng).unwrap_or(&0);
        let mut picks = Vec::new();
        if self.rng.gen_bool(0.2) && goods.len() > 1 {
            let second = goods.iter().copied().find(|g| *g != first).unwrap_or(first);
            for lot in [first, second] {
                picks.push(
                    self.reference.lot_plans[lot]
                        .products
                        .choose(&mut self.rng)
                        .expect("products"),
                );
            }
        } else {
            picks.extend(
                self.reference.lot_plans[first]
                    .products
                    .choose_multiple(&mut self.rng, 2),
            );
        }
        let lines: Vec<String> = picks
            .iter()
            .map(|p| {
                let quantity = if p.unit_code == "HUR" {
                    8
                } else {
                    p.order_multiple * 2
                };
                format!(r#"{{"sku":"{}","quantity":{quantity}}}"#, p.sku)
            })
            .collect();
        format!(
            r#"{{"delivery_address_id":{address},"buyer_reference":"{{KEY}}","lines":[{}]}}"#,
            lines.join(",")
        )
    }

    /// Places one order through the API and reads back, table by table, what it wrote.
    pub fn probe_placement(&mut self) -> anyhow::Result<Template> {
        let mut conn = self.pool.get()?;
        let before_counts = ceiling::count_rows(&mut conn)?;
        let before_ids = ceiling::max_ids(&mut conn)?;
        drop(conn);
        let tokens = self.institution_tokens()?;
        // Two products of one lot, as most checkouts: the ceiling copies one order's rows.
        let institution = &self.reference.institution_plans[0];
        let lot = &self.reference.lot_plans[0];
        let lines: Vec<String> = lot.products[..2]
            .iter()
            .map(|p| {
                format!(
                    r#"{{"sku":"{}","quantity":{}}}"#,
                    p.sku,
                    p.order_multiple * 2
                )
            })
            .collect();
        let body = format!(
            r#"{{"delivery_address_id":{},"buyer_reference":"probe","lines":[{}]}}"#,
            institution.address_ids[0],
            lines.join(",")
        );
        let agent = server::agent(Duration::from_secs(30));
        let mut response = agent
            .post(format!("{}/api/v1/orders", self.server.base))
            .header("Authorization", &format!("Bearer {}", tokens[0]))
            .header("Idempotency-Key", &format!("{}-probe", self.nonce))
            .header("Content-Type", "application/json")
            .send(body.as_bytes())?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string()?;
        anyhow::ensure!(status == 201, "the probe order answered {status}: {text}");
        let mut conn = self.pool.get()?;
        let after_counts = ceiling::count_rows(&mut conn)?;
        let template = Template::read(&mut conn, &before_counts, &after_counts, &before_ids)?;
        let deltas: Vec<String> = template
            .deltas
            .iter()
            .map(|(t, d)| format!("{t} {d:+}"))
            .collect();
        println!("  one API order wrote: {}", deltas.join(", "));
        Ok(template)
    }

    pub fn storage_ceiling(&mut self, template: Template) -> anyhow::Result<()> {
        let template = Arc::new(template);
        // SQLite has one writer at a time whatever the number of connections: its ceiling is
        // one loop committing as fast as the disk allows. PostgreSQL commits in parallel, so
        // its loop gets as many connections as the server's pool.
        let writers = match Backend::of_url(&self.database_url) {
            Backend::Postgres => self.server.pool_size,
            Backend::Sqlite => 1,
        };
        let settings = crate::generate::database_settings(&self.database_url, writers);
        let pool = Pool::connect(&settings)?;
        let result = ceiling::storage_ceiling(&pool, &template, writers, self.settings.seconds)?;
        self.storage_tps = Some(result.rate());
        let mut note = format!(
            "{} rows per transaction, {writers} writers, same durability as the server",
            template.rows_per_transaction()
        );
        if !template.unmirrored.is_empty() {
            note.push_str(&format!(
                "; not mirrored: {}",
                template.unmirrored.join(", ")
            ));
        }
        self.push(Row {
            scenario: "ceiling: storage (placement rows)".into(),
            rate: Some(result.rate()),
            p50_ms: Some(result.p50_ms),
            p99_ms: Some(result.p99_ms),
            requests: result.transactions,
            errors: result.errors,
            ratio_of: "storage".into(),
            note,
            ..Row::default()
        });
        Ok(())
    }

    pub fn order_placement(&mut self) -> anyhow::Result<()> {
        let tokens = self.institution_tokens()?;
        let mut requests = Vec::new();
        for i in 0..self.reference.institution_plans.len() {
            let body = self.order_body(i);
            requests.push(Request {
                method: "POST",
                path: "/api/v1/orders".into(),
                token: i + 1,
                idempotent: true,
                body,
            });
        }
        requests.shuffle(&mut self.rng);
        // The verdict is taken at PLACEMENT_CONNECTIONS concurrent buyers' systems. With a
        // closed loop, latency is connections / throughput, so at 64 connections a p99 under
        // 50 ms would need more than 1,300 orders/s on two cores: that row is printed too,
        // for the record, without a verdict.
        let connections = PLACEMENT_CONNECTIONS.min(self.settings.connections);
        let (summary, rss) = self.load("placement", &requests, &tokens, connections, 30)?;
        let mut row = self.read_row(
            &format!("order placement (API, {connections} conn.)"),
            &summary,
            rss,
        );
        row.ratio = self.storage_tps.map(|s| summary.rate() / s);
        row.ratio_of = "storage".into();
        let p99 = row.p99_ms.unwrap_or(f64::MAX);
        row.pass = Some(
            row.ratio.is_some_and(|r| r >= PLACEMENT_TARGET_SHARE)
                && p99 < PLACEMENT_TARGET_P99_MS
                && summary.errors() == 0,
        );
        row.target = format!(
            ">= {:.0} % of storage ceiling, p99 < {PLACEMENT_TARGET_P99_MS:.0} ms",
            PLACEMENT_TARGET_SHARE * 100.0
        );
        row.note = "idempotency keys, tokens of every institution rotated, one or two lots".into();
        self.push(row);
        if self.settings.connections > connections {
            let (summary, rss) = self.load(
                "placement-wide",
                &requests,
                &tokens,
                self.settings.connections,
                30,
            )?;
            let mut row = self.read_row(
                &format!("order placement (API, {} conn.)", self.settings.connections),
                &summary,
                rss,
            );
            row.ratio = self.storage_tps.map(|s| summary.rate() / s);
            row.ratio_of = "storage".into();
            row.note =
                "the same orders with new keys, for the record: latency here is queueing".into();
            self.push(row);
        }
        Ok(())
    }

    pub fn supplier_feed(&mut self) -> anyhow::Result<()> {
        let tokens = self.supplier_tokens()?;
        let top: i64 = {
            let mut conn = self.pool.get()?;
            crate::feed_top(&mut conn)?
        };
        let mut requests = Vec::new();
        for (s, _) in tokens.iter().enumerate() {
            for k in 0..8 {
                // Pollers that fell behind page through history; up-to-date ones ask for news.
                let cursor = match k {
                    0 => 0,
                    7 => top,
                    _ => self.rng.gen_range(0..top.max(1)),
                };
                requests.push(Request {
                    method: "GET",
                    path: format!("/api/v1/supplier/orders?limit=100&cursor={cursor}"),
                    token: s + 1,
                    idempotent: false,
                    body: String::new(),
                });
            }
        }
        requests.shuffle(&mut self.rng);
        let (summary, rss) =
            self.load("feed", &requests, &tokens, self.settings.connections, 30)?;
        let mut row = self.read_row("supplier feed polling (100/page)", &summary, rss);
        row.note = "cursors across the whole history and at its end".into();
        self.push(row);
        Ok(())
    }

    pub fn supplier_accepts(&mut self) -> anyhow::Result<()> {
        let tokens = self.supplier_tokens()?;
        let now = chrono::Utc::now().naive_utc();
        let pool = {
            let mut conn = self.pool.get()?;
            routed::insert(
                &mut conn,
                &self.reference,
                self.settings.accept_pool,
                now - chrono::Duration::minutes(1),
                11,
            )?
        };
        let today = brussels_today();
        let mut requests: Vec<Request> = pool
            .iter()
            .map(|r| Request {
                method: "POST",
                path: format!("/api/v1/supplier/orders/{}/accept", r.order_id),
                token: r.supplier_id as usize,
                idempotent: false,
                body: format!(
                    r#"{{"expected_delivery":"{today}","supplier_reference":"SO-{}"}}"#,
                    r.order_id
                ),
            })
            .collect();
        requests.shuffle(&mut self.rng);
        let (summary, rss) =
            self.load("accepts", &requests, &tokens, self.settings.connections, 30)?;
        let mut row = self.read_row("supplier accepts (API)", &summary, rss);
        row.ratio = self.storage_tps.map(|s| summary.rate() / s);
        row.ratio_of = "storage".into();
        row.note = format!("{} pre-routed orders", pool.len());
        if summary.requests as usize > pool.len() {
            row.note.push_str("; ran out, later accepts were repeats");
        }
        self.push(row);
        Ok(())
    }

    /// Sequential requests (the reports are one person's page, not a crowd's), at least three.
    fn timed(&mut self, label: &str, url: &str, header: (&str, &str)) -> anyhow::Result<Row> {
        let agent = server::agent(Duration::from_secs(300));
        let mut times = Vec::new();
        let mut errors = 0u64;
        self.server.reset_peak();
        let started = Instant::now();
        let mut first = true;
        while (times.len() < 3 || started.elapsed().as_secs() < self.settings.seconds)
            && times.len() < 200
        {
            let t = Instant::now();
            let mut response = agent.get(url).header(header.0, header.1).call()?;
            let status = response.status().as_u16();
            let _ = response.body_mut().read_to_vec();
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if status != 200 {
                errors += 1;
                eprintln!("{label}: answered {status}");
            }
            // The first request warms the caches the server keeps, as any earlier visitor would.
            if !std::mem::take(&mut first) {
                times.push(ms);
            }
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let p99 = ceiling::percentile(&times, 99.0);
        Ok(Row {
            scenario: label.into(),
            rate: Some(times.len() as f64 / times.iter().sum::<f64>() * 1000.0),
            p50_ms: Some(ceiling::percentile(&times, 50.0)),
            p99_ms: Some(p99),
            requests: times.len() as u64 + 1,
            errors,
            ratio: Some(REPORT_TARGET_MS / p99.max(0.001)),
            ratio_of: "target".into(),
            peak_rss_mib: self.server.peak_rss_mib(),
            pass: Some(p99 < REPORT_TARGET_MS && errors == 0),
            target: format!("< {REPORT_TARGET_MS:.0} ms"),
            note: format!(
                "full history from {}, one request at a time",
                self.history_from
            ),
        })
    }

    pub fn reports(&mut self) -> anyhow::Result<()> {
        let until = brussels_today();
        let from = self.history_from;
        let token = self.admin_token()?;
        let url = format!(
            "{}/api/v1/admin/reports/months?from={from}&until={until}",
            self.server.base
        );
        let row = self.timed(
            "reports: months (admin API)",
            &url,
            ("Authorization", &format!("Bearer {token}")),
        )?;
        self.push(row);
        let cookie = server::log_in(
            &self.server.base,
            catalogue::ADMIN_EMAIL,
            catalogue::ADMIN_PASSWORD,
        )?;
        let url = format!(
            "{}/admin/reports?from={from}&until={until}",
            self.server.base
        );
        let row = self.timed("reports: page (admin session)", &url, ("Cookie", &cookie))?;
        self.push(row);
        Ok(())
    }
}
