//! The shop under test: the real `centrale serve` binary on a loopback port, configured
//! through `CENTRALE__...` variables, plus what the harness needs around it: its peak memory,
//! access tokens minted with the shop's own key, a browser session, a webhook receiver and
//! the mail server the shop sends its confirmations to.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use centrale::auth::jwt::{self, Subject, TokenKeys};
use centrale::parties::Role;

/// Keys the server is started with, so the harness signs tokens the server accepts.
pub const JWT_KEY: &str = "bench-jwt-key-known-to-the-harness-0123456789abcdef";
const SESSION_KEY: &str = "bench-session-key-known-to-the-harness-0123456789abcdef0123456789";

pub struct Server {
    child: Child,
    pub base: String,
    pub pid: u32,
    pub mail: MailSink,
    pub log: PathBuf,
    pub pool_size: u32,
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    pub fn start(binary: &Path, database_url: &str, run_dir: &Path) -> anyhow::Result<Server> {
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        // Mail goes out over SMTP, as in production; the file transport would measure
        // the file system's inode allocation instead.
        let mail = MailSink::start()?;
        let log = run_dir.join("server.log");
        let config_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let mut command = Command::new(binary);
        for (name, _) in std::env::vars() {
            if name.starts_with("CENTRALE") || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
        let pool_size = 8;
        command
            .arg("serve")
            .env("CENTRALE_PROFILE", "bench")
            .env("CENTRALE_CONFIG_DIR", &config_dir)
            .env("CENTRALE__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("CENTRALE__SERVER__BASE_URL", &base)
            .env("CENTRALE__DATABASE__URL", database_url)
            .env("CENTRALE__DATABASE__POOL_SIZE", pool_size.to_string())
            .env("CENTRALE__MAIL__TRANSPORT", "smtp")
            .env("CENTRALE__MAIL__SMTP_HOST", "127.0.0.1")
            .env("CENTRALE__MAIL__SMTP_PORT", mail.port.to_string())
            .env("CENTRALE__MAIL__SMTP_SECURITY", "none")
            .env("CENTRALE__SECRETS__SESSION_KEY", SESSION_KEY)
            .env("CENTRALE__SECRETS__JWT_KEY", JWT_KEY)
            .env("CENTRALE__WORKER__ENABLED", "true")
            // The per-client limit is a policy, not a capacity: lifted so that the figures
            // say what the server can do rather than what it is told to refuse.
            .env("CENTRALE__API__RATE_PER_SECOND", "1000000")
            .env("CENTRALE__API__BURST", "1000000")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(run_dir.join("server.out"))?)
            .stderr(std::fs::File::create(&log)?);
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let pid = child.id();
        let mut server = Server {
            child,
            base,
            pid,
            mail,
            log,
            pool_size,
        };
        server.wait_ready(Duration::from_secs(120))?;
        Ok(server)
    }

    fn wait_ready(&mut self, limit: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        let agent = agent(Duration::from_secs(2));
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited ({status}) before it was ready; log:\n{}",
                    self.log_tail(30)
                );
            }
            if let Ok(response) = agent.get(format!("{}/readyz", self.base)).call() {
                if response.status().as_u16() == 200 {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "the server was not ready within {limit:?}; log:\n{}",
            self.log_tail(30)
        )
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Resets the kernel's peak-RSS mark, so the next reading is this scenario's own peak.
    pub fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5");
    }

    /// Peak resident memory since the last reset, in MiB (`VmHWM`).
    pub fn peak_rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM first, as an orchestrator would, then SIGKILL if it lingers.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(25);
        while Instant::now() < deadline {
            if !self.alive() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.alive() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// An access token as `POST /oauth/token` would issue it to this client.
pub fn token(
    client_id: &str,
    role: Role,
    institution_id: Option<i64>,
    supplier_id: Option<i64>,
) -> anyhow::Result<String> {
    let keys = TokenKeys::new(JWT_KEY, &[]);
    Ok(jwt::issue(
        &keys,
        chrono::Utc::now(),
        &Subject {
            client_id,
            role,
            institution_id,
            supplier_id,
        },
    )?
    .token)
}

fn session_cookie(response: &ureq::http::Response<ureq::Body>) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(centrale::auth::session::COOKIE_NAME))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// Signs in through the login form like a browser and returns the session cookie.
pub fn log_in(base: &str, email: &str, password: &str) -> anyhow::Result<String> {
    let agent = agent(Duration::from_secs(30));
    let mut form = agent.get(format!("{base}/login")).call()?;
    let cookie = session_cookie(&form).context("the login page set no session cookie")?;
    let page = form.body_mut().read_to_string()?;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("the login page has no CSRF field")?
        .to_owned();
    let body = format!(
        "email={}&password={}&csrf={}",
        encode(email),
        encode(password),
        encode(&csrf)
    );
    let answer = agent
        .post(format!("{base}/login"))
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body.as_bytes())?;
    if answer.status().as_u16() != 303 {
        bail!("login answered {}", answer.status());
    }
    session_cookie(&answer).context("login set no session cookie")
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A supplier's webhook endpoint on loopback: answers 204 to every delivery and counts them.
pub struct WebhookSink {
    pub url: String,
    pub received: Arc<AtomicU64>,
}

impl WebhookSink {
    pub fn start() -> anyhow::Result<WebhookSink> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}/webhook", listener.local_addr()?);
        let received = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = counter.clone();
                std::thread::spawn(move || serve_webhook(stream, &counter));
            }
        });
        Ok(WebhookSink { url, received })
    }
}

fn serve_webhook(stream: TcpStream, counter: &AtomicU64) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        counter.fetch_add(1, Ordering::Relaxed);
        if writer
            .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
}

/// An SMTP server on loopback that accepts every message and counts it: the shop's mail
/// sender speaks the whole dialogue (greeting, EHLO, envelope, data, QUIT) for each one.
pub struct MailSink {
    pub port: u16,
    pub received: Arc<AtomicU64>,
}

impl MailSink {
    pub fn start() -> anyhow::Result<MailSink> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let received = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = counter.clone();
                std::thread::spawn(move || serve_smtp(stream, &counter));
            }
        });
        Ok(MailSink { port, received })
    }
}

fn serve_smtp(stream: TcpStream, counter: &AtomicU64) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut say = |text: &str| writer.write_all(text.as_bytes()).is_ok();
    if !say("220 bench ESMTP\r\n") {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let answered = match verb.as_str() {
            "EHLO" => say("250-bench\r\n250 8BITMIME\r\n"),
            "DATA" => {
                if !say("354 go ahead\r\n") {
                    return;
                }
                loop {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) if line == ".\r\n" => break,
                        Ok(_) => {}
                    }
                }
                counter.fetch_add(1, Ordering::Relaxed);
                say("250 queued\r\n")
            }
            "QUIT" => {
                say("221 bye\r\n");
                return;
            }
            _ => say("250 ok\r\n"),
        };
        if !answered {
            return;
        }
    }
}
