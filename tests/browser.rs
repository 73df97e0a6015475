//! A real browser walks through ordering: headless Chromium, driven by
//! `tests/browser/order_flow.mjs` (playwright-core), logs in as an institution user, fills the
//! cart, checks out and opens the new order, in French and in Dutch, against the real binary
//! serving the demo data. The screenshots end up in `target/screenshots/`.
//!
//! A third walk (`tests/browser/a11y.mjs`) opens the main pages of every role in both languages
//! and runs axe-core (WCAG 2.1 A/AA) on each, then the Nu HTML Checker over the HTML served.
//!
//! Needs `node`, Debian's `chromium` (`/usr/bin/chromium`, or `$CHROMIUM`) and
//! `npm ci --prefix tests/browser`; the accessibility walk also needs Java (`java`, or `$JAVA`).
//! Without them the test is skipped with a note, except on CI (`CI` set and not "false"), where
//! it fails instead: `.ci/run` installs them.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SERVER_START_TIMEOUT: Duration = Duration::from_secs(60);
const BROWSER_TIMEOUT: Duration = Duration::from_secs(180);
const LANGUAGES: [&str; 2] = ["fr", "nl"];
const STEPS: [&str; 5] = ["1-login", "2-product", "3-cart", "4-orders", "5-order"];
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Kills the child process when dropped, so no server or browser outlives the test.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// What is missing to run the browser test, if anything.
fn missing_prerequisites(browser_dir: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|status| status.success()) {
        missing.push("`node` (Node.js 18 or later)".to_owned());
    }
    let chromium = chromium();
    if !chromium.is_file() {
        missing.push(format!("{} (apt-get install chromium)", chromium.display()));
    }
    if !browser_dir.join("node_modules/playwright-core").is_dir() {
        missing.push(
            "tests/browser/node_modules/playwright-core (npm ci --prefix tests/browser)".to_owned(),
        );
    }
    missing
}

fn java() -> PathBuf {
    std::env::var_os("JAVA")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("java"))
}

/// What the accessibility walk needs on top of the browser: axe-core, the Nu HTML Checker and
/// a Java to run it.
fn missing_for_a11y(browser_dir: &Path) -> Vec<String> {
    let mut missing = missing_prerequisites(browser_dir);
    for (path, what) in [
        ("node_modules/axe-core/axe.min.js", "axe-core"),
        ("node_modules/vnu-jar/build/dist/vnu.jar", "vnu-jar"),
    ] {
        if !browser_dir.join(path).is_file() {
            missing.push(format!(
                "tests/browser/{path} ({what}: npm ci --prefix tests/browser)"
            ));
        }
    }
    let runs = Command::new(java())
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !runs.is_ok_and(|status| status.success()) {
        missing.push(format!(
            "{} (Java 11 or later: apt-get install default-jre-headless)",
            java().display()
        ));
    }
    missing
}

/// Starts `centrale serve --demo` on a fresh SQLite file and a free port; returns the server
/// and its base URL (without the trailing slash).
fn start_demo_server(dir: &Path) -> (KillOnDrop, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_centrale"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CENTRALE") {
            command.env_remove(key);
        }
    }
    let stderr = fs::File::create(dir.join("server.log")).expect("server log file");
    let child = command
        .args(["serve", "--demo"])
        .env("CENTRALE__DATABASE__URL", dir.join("demo.db"))
        .env("CENTRALE__SERVER__BIND", "127.0.0.1:0")
        .env("CENTRALE__MAIL__FILE_DIR", dir.join("mail"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("centrale starts");
    let mut server = KillOnDrop(child);

    // Read stdout on a thread (and keep draining it) so the wait for the address can time out.
    let stdout = server.0.stdout.take().expect("piped stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut printed = String::new();
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent {
                printed.push_str(&line);
                printed.push('\n');
                if let Some(rest) = line.split("serving on ").nth(1) {
                    let address = rest.split_whitespace().next().unwrap_or_default();
                    let _ = sender.send(Ok(address.trim_end_matches('/').to_owned()));
                    sent = true;
                }
            }
        }
        if !sent {
            let _ = sender.send(Err(printed));
        }
    });
    let address = match receiver.recv_timeout(SERVER_START_TIMEOUT) {
        Ok(Ok(address)) => address,
        Ok(Err(printed)) => panic!(
            "server stopped before serving:\n{printed}\n{}",
            fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        ),
        Err(_) => panic!("server did not print its address within {SERVER_START_TIMEOUT:?}"),
    };
    assert!(
        address.starts_with("http://127.0.0.1:"),
        "unexpected address {address}"
    );
    (server, address)
}

/// Runs the browser script; returns whether it succeeded, and what it printed.
fn run_order_flow(browser_dir: &Path, base_url: &str, shots: &Path, logs: &Path) -> (bool, String) {
    run_script(browser_dir, "order_flow.mjs", base_url, shots, logs)
}

/// Runs `node SCRIPT BASE_URL OUT_DIR` in tests/browser with a time limit; returns whether it
/// succeeded, and what it printed.
fn run_script(
    browser_dir: &Path,
    script: &str,
    base_url: &str,
    out: &Path,
    logs: &Path,
) -> (bool, String) {
    let stdout = fs::File::create(logs.join("node.out")).expect("node stdout file");
    let stderr = fs::File::create(logs.join("node.err")).expect("node stderr file");
    let child = Command::new("node")
        .arg(script)
        .arg(base_url)
        .arg(out)
        .current_dir(browser_dir)
        .env("CHROMIUM", chromium())
        .env("JAVA", java())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("node starts");
    let mut node = KillOnDrop(child);
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        if let Some(status) = node.0.try_wait().expect("node status") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(node);
    let output = format!(
        "{}{}",
        fs::read_to_string(logs.join("node.out")).unwrap_or_default(),
        fs::read_to_string(logs.join("node.err")).unwrap_or_default()
    );
    match status {
        Some(status) => (status.success(), format!("{output}(exit: {status})")),
        None => (false, format!("{output}(killed after {BROWSER_TIMEOUT:?})")),
    }
}

/// Copies the screenshots where a person can look at them; returns that folder.
fn keep_screenshots(shots: &Path) -> PathBuf {
    let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    fs::create_dir_all(&keep).expect("target/screenshots");
    for entry in fs::read_dir(&keep)
        .expect("read target/screenshots")
        .flatten()
    {
        // Only the ordering walk's own shots (`fr-…`, `nl-…`): other walks keep theirs.
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with("fr-") || name.starts_with("nl-");
        if ours && name.ends_with(".png") {
            let _ = fs::remove_file(entry.path());
        }
    }
    if let Ok(entries) = fs::read_dir(shots) {
        for entry in entries.flatten() {
            let _ = fs::copy(entry.path(), keep.join(entry.file_name()));
        }
    }
    keep
}

/// Width and height of a PNG file, after checking its signature.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{} missing: {e}", path.display()));
    assert!(
        bytes.len() > 100 && bytes.starts_with(&PNG_SIGNATURE) && &bytes[12..16] == b"IHDR",
        "{} is not a PNG image ({} bytes)",
        path.display(),
        bytes.len()
    );
    let number = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (number(16), number(20))
}

#[test]
fn institution_orders_in_french_and_dutch_in_a_real_browser() {
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let missing = missing_prerequisites(&browser_dir);
    if !missing.is_empty() {
        let missing = missing.join(", ");
        if on_ci() {
            panic!("browser test cannot run on CI; missing: {missing}");
        }
        eprintln!("skipping the browser test; missing: {missing}");
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let shots = dir.path().join("screenshots");
    let started = Instant::now();
    let (server, base_url) = start_demo_server(dir.path());
    let (succeeded, output) = run_order_flow(&browser_dir, &base_url, &shots, dir.path());
    drop(server);
    let keep = keep_screenshots(&shots);
    println!("{output}");
    println!(
        "browser walk took {:.1} s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        keep.display()
    );
    let server_log = fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    assert!(
        succeeded,
        "browser walk failed:\n{output}\nserver log:\n{server_log}"
    );

    for language in LANGUAGES {
        for step in STEPS {
            let file = shots.join(format!("{language}-{step}.png"));
            let (width, height) = png_size(&file);
            assert!(
                width >= 320 && height >= 200,
                "{} is only {width}×{height}",
                file.display()
            );
        }
    }
    assert!(
        !server_log.contains("missing translation"),
        "pages used messages missing from templates/i18n:\n{server_log}"
    );
}

/// An administrator opens the reports in French and in Dutch (`tests/browser/reports.mjs`):
/// tables and SVG charts present, screenshots `reports-fr.png` and `reports-nl.png`.
#[test]
fn admin_reports_render_in_french_and_dutch_in_a_real_browser() {
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let missing = missing_prerequisites(&browser_dir);
    if !missing.is_empty() {
        let missing = missing.join(", ");
        if on_ci() {
            panic!("browser test cannot run on CI; missing: {missing}");
        }
        eprintln!("skipping the reports browser test; missing: {missing}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let shots = dir.path().join("screenshots");
    let (server, base_url) = start_demo_server(dir.path());
    let stdout = fs::File::create(dir.path().join("reports.out")).expect("node stdout file");
    let stderr = fs::File::create(dir.path().join("reports.err")).expect("node stderr file");
    let child = Command::new("node")
        .arg("reports.mjs")
        .arg(&base_url)
        .arg(&shots)
        .current_dir(&browser_dir)
        .env("CHROMIUM", chromium())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("node starts");
    let mut node = KillOnDrop(child);
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let status = loop {
        if let Some(status) = node.0.try_wait().expect("node status") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(node);
    drop(server);
    let output = format!(
        "{}{}",
        fs::read_to_string(dir.path().join("reports.out")).unwrap_or_default(),
        fs::read_to_string(dir.path().join("reports.err")).unwrap_or_default()
    );
    // Copied without clearing the folder, so the ordering walk's screenshots stay too.
    let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    fs::create_dir_all(&keep).expect("target/screenshots");
    for language in LANGUAGES {
        let name = format!("reports-{language}.png");
        let _ = fs::copy(shots.join(&name), keep.join(&name));
    }
    let server_log = fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    assert!(
        status.is_some_and(|s| s.success()),
        "reports walk failed:\n{output}\nserver log:\n{server_log}"
    );
    for language in LANGUAGES {
        let (width, height) = png_size(&shots.join(format!("reports-{language}.png")));
        assert!(
            width >= 320 && height >= 200,
            "reports-{language}.png is only {width}×{height}"
        );
    }
    assert!(
        !server_log.contains("missing translation"),
        "the reports page used messages missing from templates/i18n:\n{server_log}"
    );
}

/// Every role's main pages, in French and in Dutch, through axe-core and the Nu HTML Checker
/// (`tests/browser/a11y.mjs`): no serious or critical WCAG 2.1 A/AA violation, no markup error.
/// The script first proves both checkers catch faults planted in a page of its own. The HTML
/// checked is kept in `target/a11y/`.
#[test]
fn main_pages_pass_axe_core_and_the_nu_html_checker_in_french_and_dutch() {
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let missing = missing_for_a11y(&browser_dir);
    if !missing.is_empty() {
        let missing = missing.join(", ");
        if on_ci() {
            panic!("accessibility test cannot run on CI; missing: {missing}");
        }
        eprintln!("skipping the accessibility test; missing: {missing}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a11y");
    let started = Instant::now();
    let (server, base_url) = start_demo_server(dir.path());
    let (succeeded, output) = run_script(&browser_dir, "a11y.mjs", &base_url, &out, dir.path());
    drop(server);
    println!("{output}");
    println!(
        "accessibility walk took {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/a11y");
    let _ = fs::remove_dir_all(&keep);
    fs::create_dir_all(&keep).expect("target/a11y");
    let mut pages = 0;
    for entry in fs::read_dir(out.join("html"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let _ = fs::copy(entry.path(), keep.join(entry.file_name()));
        pages += 1;
    }
    let server_log = fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    assert!(
        succeeded,
        "accessibility walk failed (pages kept in {}):\n{output}\nserver log:\n{server_log}",
        keep.display()
    );
    // Both languages, every role: a walk that silently skipped pages would not get here.
    for lang in LANGUAGES {
        for page in [
            "visitor-home",
            "visitor-apply-errors",
            "visitor-apply-sent",
            "visitor-not-found",
            "institution-cart",
            "institution-order",
            "supplier-catalogue",
            "admin-memberships",
            "admin-lot",
            "admin-reports",
            "admin-import-preview",
            "admin-client-issued",
            "admin-audit",
        ] {
            let file = out.join("html").join(format!("{lang}-{page}.html"));
            let html = fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{} not checked: {e}", file.display()));
            assert!(
                html.contains(&format!("<html lang=\"{lang}\"")),
                "{} is not in {lang}",
                file.display()
            );
        }
    }
    assert!(pages >= 80, "only {pages} pages were checked");
    assert!(
        !server_log.contains("missing translation"),
        "pages used messages missing from templates/i18n:\n{server_log}"
    );
}
