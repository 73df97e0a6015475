//! Runs wrk with one of the Lua scripts under bench/wrk and reads back its summary.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WrkSummary {
    pub requests: u64,
    pub duration_us: u64,
    pub connect: u64,
    pub read: u64,
    pub write: u64,
    pub status: u64,
    pub timeout: u64,
    pub p50_us: u64,
    pub p99_us: u64,
}

impl WrkSummary {
    pub fn rate(&self) -> f64 {
        if self.duration_us == 0 {
            0.0
        } else {
            self.requests as f64 / (self.duration_us as f64 / 1e6)
        }
    }

    /// Failed connections, reads, writes, timeouts and answers of 400 or more.
    pub fn errors(&self) -> u64 {
        self.connect + self.read + self.write + self.timeout + self.status
    }
}

pub fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("bench")
        .join("wrk")
}

pub fn available() -> bool {
    Command::new("wrk")
        .arg("--version")
        .output()
        .map(|o| !o.stdout.is_empty() || !o.stderr.is_empty())
        .unwrap_or(false)
}

pub struct Load<'a> {
    pub url: &'a str,
    pub script: &'a str,
    pub seconds: u64,
    pub connections: u32,
    pub timeout_s: u64,
    pub args: Vec<String>,
}

impl Load<'_> {
    pub fn threads(&self) -> u32 {
        self.connections.clamp(1, 2)
    }

    pub fn run(&self) -> anyhow::Result<WrkSummary> {
        let dir = script_dir();
        let output = Command::new("wrk")
            .env("BENCH_WRK_DIR", &dir)
            .arg("-t")
            .arg(self.threads().to_string())
            .arg("-c")
            .arg(self.connections.to_string())
            .arg("-d")
            .arg(format!("{}s", self.seconds.max(1)))
            .arg("--timeout")
            .arg(format!("{}s", self.timeout_s))
            .arg("-s")
            .arg(dir.join(self.script))
            .arg(self.url)
            .arg("--")
            .args(&self.args)
            .output()
            .context("cannot run wrk")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("BENCH_RESULT ")) else {
            bail!(
                "wrk printed no summary (status {}):\n{stdout}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        };
        Ok(serde_json::from_str(line)?)
    }
}
