//! The results table: printed at the end, and written as CSV and JSON under bench/results/.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    pub scenario: String,
    /// Requests (or transactions, or orders) per second.
    pub rate: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub requests: u64,
    pub errors: u64,
    /// The figure divided by its ceiling or target (1.0 = at the ceiling or on target).
    pub ratio: Option<f64>,
    /// What `ratio` compares against.
    pub ratio_of: String,
    pub peak_rss_mib: Option<f64>,
    /// `Some(true)` PASS, `Some(false)` MISS, `None` when the scenario has no target.
    pub pass: Option<bool>,
    pub target: String,
    pub note: String,
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value
        .map(|v| format!("{v:.decimals$}"))
        .unwrap_or_else(|| "—".into())
}

fn verdict(pass: Option<bool>) -> &'static str {
    match pass {
        Some(true) => "PASS",
        Some(false) => "MISS",
        None => "—",
    }
}

pub fn table(rows: &[Row], title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n{title}\n");
    let _ = writeln!(
        out,
        "{:<34} {:>9} {:>9} {:>9} {:>7} {:>15} {:>8} {:>5}  target",
        "scenario", "req/s", "p50 ms", "p99 ms", "errors", "ratio", "RSS MiB", ""
    );
    let _ = writeln!(out, "{}", "-".repeat(120));
    for row in rows {
        let ratio = match row.ratio {
            Some(r) => format!("{r:.2} {}", row.ratio_of),
            None => "—".into(),
        };
        let _ = writeln!(
            out,
            "{:<34} {:>9} {:>9} {:>9} {:>7} {:>15} {:>8} {:>5}  {}",
            row.scenario,
            opt(row.rate, 0),
            opt(row.p50_ms, 1),
            opt(row.p99_ms, 1),
            row.errors,
            ratio,
            opt(row.peak_rss_mib, 0),
            verdict(row.pass),
            row.target,
        );
        if !row.note.is_empty() {
            let _ = writeln!(out, "{:<34} {}", "", row.note);
        }
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "scenario,req_per_s,p50_ms,p99_ms,requests,errors,ratio,ratio_of,peak_rss_mib,verdict,target,note\n",
    );
    for row in rows {
        let number = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&row.scenario),
            number(row.rate),
            number(row.p50_ms),
            number(row.p99_ms),
            row.requests,
            row.errors,
            number(row.ratio),
            csv_field(&row.ratio_of),
            number(row.peak_rss_mib),
            verdict(row.pass),
            csv_field(&row.target),
            csv_field(&row.note),
        );
    }
    out
}

#[derive(Serialize)]
struct Document<'a> {
    backend: &'a str,
    started_at: String,
    seconds_per_scenario: u64,
    connections: u32,
    data_set: &'a str,
    rows: &'a [Row],
}

/// Writes `<timestamp>-<backend>.csv` and `.json` into `dir`; returns the CSV path.
pub fn write(
    dir: &Path,
    backend: &str,
    started: chrono::DateTime<chrono::Utc>,
    seconds: u64,
    connections: u32,
    data_set: &str,
    rows: &[Row],
) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stem = format!("{}-{backend}", started.format("%Y%m%dT%H%M%SZ"));
    let csv_path = dir.join(format!("{stem}.csv"));
    std::fs::write(&csv_path, csv(rows))?;
    let document = Document {
        backend,
        started_at: started.to_rfc3339(),
        seconds_per_scenario: seconds,
        connections,
        data_set,
        rows,
    };
    std::fs::write(
        dir.join(format!("{stem}.json")),
        serde_json::to_string_pretty(&document)?,
    )?;
    Ok(csv_path)
}
