//! Fault tests come in two lengths: the short one `cargo test` runs (and `.ci/run` with it),
//! and the long one `tests/soak/run` asks for with `CENTRALE_SOAK_SCALE`. Each fault test
//! multiplies its load by [`scale`] and reports what it did with [`record`]; the soak script
//! prints those records as one table. A test still asserts its own findings: the table is
//! the account of a run, not the judge of it.

#![allow(dead_code)]

use std::io::Write;

pub const SCALE_VAR: &str = "CENTRALE_SOAK_SCALE";
pub const REPORT_VAR: &str = "CENTRALE_SOAK_REPORT";

/// How many times the short version's load to apply: 1 unless the soak script says more.
pub fn scale() -> u64 {
    std::env::var(SCALE_VAR)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1)
}

/// What one fault scenario did and found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Outcome {
    /// e.g. "kill -9 during an order storm"
    pub scenario: String,
    /// "sqlite" or "postgres"
    pub backend: String,
    /// Faults injected: kills, outages, restarts, hostile inputs sent.
    pub faults: u64,
    /// Requests the scenario made.
    pub requests: u64,
    /// Orders (or messages, deliveries) checked afterwards.
    pub checked: u64,
    /// Acknowledged but missing afterwards: must be zero.
    pub lost: u64,
    /// Present more than once afterwards: must be zero.
    pub duplicated: u64,
}

/// Appends the outcome as a JSON line to the soak report, when a soak run asked for one.
pub fn record(outcome: &Outcome) {
    eprintln!("soak: {outcome:?}");
    let Ok(path) = std::env::var(REPORT_VAR) else {
        return;
    };
    let line = serde_json::to_string(outcome).expect("outcome serialises");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot append to the soak report {path}: {e}"));
    writeln!(file, "{line}").expect("write the soak report");
}
