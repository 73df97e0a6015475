//! The binary as an operator uses it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn centrale() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_centrale"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CENTRALE") {
            command.env_remove(key);
        }
    }
    command
}

#[test]
fn help_explains_every_command() {
    let output = centrale().arg("--help").output().expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for command in ["serve", "migrate", "demo", "create-admin", "api-client"] {
        assert!(help.contains(command), "--help mentions {command}:\n{help}");
    }
    let serve = centrale().args(["serve", "--help"]).output().expect("runs");
    assert!(String::from_utf8_lossy(&serve.stdout).contains("--demo"));
}

#[test]
fn production_refuses_to_start_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let output = centrale()
        .args(["--profile", "production", "migrate"])
        .env("CENTRALE__DATABASE__URL", dir.path().join("p.db"))
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("CENTRALE__SECRETS__SESSION_KEY"),
        "{stderr}"
    );
    assert!(stderr.contains("CENTRALE__SECRETS__JWT_KEY"), "{stderr}");
    // With the secrets set, the same command runs.
    let output = centrale()
        .args(["--profile", "production", "migrate"])
        .env("CENTRALE__DATABASE__URL", dir.path().join("p.db"))
        .env("CENTRALE__SECRETS__SESSION_KEY", "s".repeat(40))
        .env("CENTRALE__SECRETS__JWT_KEY", "j".repeat(40))
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn previous_token_keys_are_a_comma_separated_variable() {
    let dir = tempfile::tempdir().unwrap();
    let migrate = |previous_keys: &str| {
        centrale()
            .args(["--profile", "production", "migrate"])
            .env("CENTRALE__DATABASE__URL", dir.path().join("p.db"))
            .env("CENTRALE__SECRETS__SESSION_KEY", "s".repeat(40))
            .env("CENTRALE__SECRETS__JWT_KEY", "j".repeat(40))
            .env("CENTRALE__SECRETS__JWT_PREVIOUS_KEYS", previous_keys)
            .output()
            .expect("runs")
    };
    // Only a list split on the comma has a key that is too short.
    let refused = migrate(&format!("{},short", "a".repeat(40)));
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("CENTRALE__SECRETS__JWT_PREVIOUS_KEYS")
    );
    let accepted = migrate(&format!("{},{}", "a".repeat(40), "b".repeat(40)));
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
}

#[test]
fn api_client_help_explains_issue_and_revoke() {
    let output = centrale()
        .args(["api-client", "issue", "--help"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in ["--role", "admin, institution, supplier", "--for", "--name"] {
        assert!(help.contains(needle), "{needle} in:\n{help}");
    }
    let output = centrale().args(["api-client", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("revoke"));
}

#[test]
fn create_admin_validates_and_creates() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("admin.db");
    let bad = centrale()
        .args([
            "create-admin",
            "--email",
            "not-an-address",
            "--name",
            "Anne",
        ])
        .env("CENTRALE__DATABASE__URL", &db)
        .env("CENTRALE_ADMIN_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("email"));
    let short = centrale()
        .args([
            "create-admin",
            "--email",
            "anne@authority.example",
            "--name",
            "Anne",
        ])
        .env("CENTRALE__DATABASE__URL", &db)
        .env("CENTRALE_ADMIN_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("12"));
    let good = centrale()
        .args([
            "create-admin",
            "--email",
            "anne@authority.example",
            "--name",
            "Anne",
        ])
        .env("CENTRALE__DATABASE__URL", &db)
        .env("CENTRALE_ADMIN_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(String::from_utf8_lossy(&good.stdout).contains("anne@authority.example"));
}

#[test]
fn serve_demo_starts_a_populated_shop() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = centrale()
        .args(["serve", "--demo"])
        .env("CENTRALE__DATABASE__URL", dir.path().join("demo.db"))
        .env("CENTRALE__SERVER__BIND", "127.0.0.1:0")
        .env("CENTRALE__MAIL__FILE_DIR", dir.path().join("mail"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut printed = String::new();
    let mut address = None;
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        printed.push_str(&line);
        printed.push('\n');
        if let Some(rest) = line.split("serving on ").nth(1) {
            address = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    let address = address.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("server did not start:\n{printed}")
    });
    assert!(printed.contains("Demo data loaded"), "{printed}");
    assert!(
        printed.contains("demo-centrale-2026"),
        "logins printed: {printed}"
    );
    assert!(printed.contains("admin"), "{printed}");
    assert!(
        printed.contains("API clients"),
        "credentials printed: {printed}"
    );
    let body = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            reqwest::get(format!("{address}catalogue?lang=nl"))
                .await?
                .text()
                .await
        })
    })
    .join()
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let body = body.expect("catalogue answered");
    assert!(body.contains("Catalogus"));
    assert!(body.contains("CA-EPI-2025-01"));
}
