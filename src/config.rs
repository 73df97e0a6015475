//! Layered settings: `config/default.toml`, then `config/<profile>.toml` if present, then
//! `CENTRALE__SECTION__KEY` environment variables. The profile comes from `--profile` or
//! `CENTRALE_PROFILE` (default `development`).

use std::fmt;
use std::path::Path;

use serde::Deserialize;

/// The commented defaults, compiled in so the binary runs from any folder.
const DEFAULT_TOML: &str = include_str!("../config/default.toml");

#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    #[serde(default = "default_profile")]
    pub profile: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub mail: MailSettings,
    pub secrets: SecretSettings,
    pub ordering: OrderingSettings,
    pub worker: WorkerSettings,
    #[serde(default)]
    pub api: ApiSettings,
    #[serde(default)]
    pub open_data: crate::open_data::OpenDataSettings,
    #[serde(default)]
    pub webhooks: WebhookSettings,
}

/// Sending webhook deliveries to suppliers' endpoints.
#[derive(Clone, Debug, Deserialize)]
pub struct WebhookSettings {
    /// How long one POST may take, connection to last byte of the answer, before it counts
    /// as failed and is retried later.
    #[serde(default = "default_webhook_timeout")]
    pub timeout_seconds: u64,
    /// How long a sender holds the deliveries it took before another may take them (a
    /// sender that died mid-send gives them back this way).
    #[serde(default = "default_webhook_lease")]
    pub lease_seconds: u64,
}

fn default_webhook_timeout() -> u64 {
    10
}

fn default_webhook_lease() -> u64 {
    120
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            timeout_seconds: default_webhook_timeout(),
            lease_seconds: default_webhook_lease(),
        }
    }
}

/// Per-client request limits of the API.
#[derive(Clone, Debug, Deserialize)]
pub struct ApiSettings {
    /// Sustained requests per second each API client may make.
    pub rate_per_second: u32,
    /// Requests a client may make at once above the sustained rate.
    pub burst: u32,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            rate_per_second: 50,
            burst: 200,
        }
    }
}

fn default_profile() -> String {
    "development".into()
}

#[derive(Clone, Debug, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    /// The address people reach the shop at, used in links inside emails.
    pub base_url: String,
    pub workers: usize,
    /// How long a client has to send a request's headers before it is answered 408 and
    /// cut off (slow or idle clients must not hold connections).
    #[serde(default = "default_client_request_timeout_ms")]
    pub client_request_timeout_ms: u64,
    /// How long a closing connection may take to shut down before it is dropped.
    #[serde(default = "default_client_disconnect_timeout_ms")]
    pub client_disconnect_timeout_ms: u64,
    /// How long an idle keep-alive connection stays open (0 = no keep-alive).
    #[serde(default = "default_keep_alive_seconds")]
    pub keep_alive_seconds: u64,
}

fn default_client_request_timeout_ms() -> u64 {
    5000
}

fn default_client_disconnect_timeout_ms() -> u64 {
    1000
}

fn default_keep_alive_seconds() -> u64 {
    5
}

#[derive(Clone, Debug, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    pub busy_timeout_ms: u64,
    pub connect_timeout_ms: u64,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    File,
    Smtp,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    None,
    Starttls,
    Tls,
}

#[derive(Clone, Debug, Deserialize)]
pub struct MailSettings {
    pub transport: MailTransportKind,
    pub file_dir: String,
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    #[serde(default)]
    pub smtp_username: Option<String>,
    #[serde(default)]
    pub smtp_password: Option<Secret>,
    /// Where the authority's notifications go (new applications, breaches).
    pub authority_address: String,
    /// How long the SMTP server may take to accept the connection or answer one command.
    #[serde(default = "default_smtp_timeout")]
    pub smtp_timeout_seconds: u64,
    /// How long a sender holds the messages it took before another may take them (a sender
    /// that died mid-send gives them back this way).
    #[serde(default = "default_mail_lease")]
    pub lease_seconds: u64,
}

fn default_smtp_timeout() -> u64 {
    15
}

fn default_mail_lease() -> u64 {
    300
}

#[derive(Clone, Debug, Deserialize)]
pub struct SecretSettings {
    #[serde(default)]
    pub session_key: Option<Secret>,
    #[serde(default)]
    pub jwt_key: Option<Secret>,
    /// Keys that signed access tokens before the last rotation: tokens they signed are still
    /// accepted until they expire, new tokens are signed with `jwt_key` only.
    #[serde(default)]
    pub jwt_previous_keys: Vec<Secret>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OrderingSettings {
    /// How long a supplier has to answer before the order moves down the cascade.
    pub supplier_response_minutes: i64,
    pub confirmation_deadline_hours: i64,
    pub delivery_working_days: u32,
    /// Days the shop counts as closed besides weekends and the federal public holidays
    /// (e.g. a regional holiday or a bridge day the authority announces).
    #[serde(default)]
    pub extra_closed_days: Vec<chrono::NaiveDate>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct WorkerSettings {
    pub enabled: bool,
    pub poll_interval_ms: u64,
    /// Orders one sweep transaction handles; a pass goes on until none is due.
    #[serde(default = "default_sweep_batch")]
    pub sweep_batch: i64,
    /// On PostgreSQL, how many escalation sweeps run side by side, each on its own share of
    /// the due orders and its own connection. SQLite writes one transaction at a time, so
    /// there it is always one.
    #[serde(default = "default_escalation_shares")]
    pub escalation_shares: i32,
    /// On shutdown, how long to wait for the mail and webhook sender to finish the batch it
    /// holds; past that the process leaves and the batch is sent again after its lease.
    #[serde(default = "default_stop_timeout_seconds")]
    pub stop_timeout_seconds: u64,
}

fn default_sweep_batch() -> i64 {
    500
}

fn default_escalation_shares() -> i32 {
    2
}

fn default_stop_timeout_seconds() -> u64 {
    5
}

/// A secret string that never shows in logs or debug output.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// What is wrong with the settings, worded for the operator who has to fix it.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("the configuration is incomplete for the '{profile}' profile:\n{}", .problems.join("\n"))]
    Invalid {
        profile: String,
        problems: Vec<String>,
    },
}

const MIN_SECRET_LEN: usize = 32;

impl Settings {
    /// Loads the layered settings for `profile`, reading optional files from `config_dir`.
    pub fn load(config_dir: &Path, profile: &str) -> Result<Settings, SettingsError> {
        let profile_file = config_dir.join(format!("{profile}.toml"));
        let builder = config::Config::builder()
            .add_source(config::File::from_str(
                DEFAULT_TOML,
                config::FileFormat::Toml,
            ))
            .add_source(config::File::from(config_dir.join("default.toml")).required(false))
            .add_source(config::File::from(profile_file).required(false))
            .add_source(
                config::Environment::with_prefix("CENTRALE")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    // Only this setting is a list; every other variable stays a plain string.
                    .list_separator(",")
                    .with_list_parse_key("secrets.jwt_previous_keys"),
            )
            .set_override("profile", profile)?;
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn is_production(&self) -> bool {
        self.profile == "production"
    }

    pub fn is_development(&self) -> bool {
        self.profile == "development" || self.profile == "test"
    }

    /// Production refuses to start on anything that would silently weaken it; other profiles
    /// fall back to development keys (with a warning at start-up).
    fn validate(&self) -> Result<(), SettingsError> {
        let mut problems = Vec::new();
        if self.database.pool_size == 0 {
            problems.push(
                "- database.pool_size must be at least 1 (CENTRALE__DATABASE__POOL_SIZE)".into(),
            );
        }
        if !(1..=16).contains(&self.worker.escalation_shares) {
            problems.push(
                "- worker.escalation_shares must be between 1 and 16 (CENTRALE__WORKER__ESCALATION_SHARES)"
                    .into(),
            );
        }
        if self.ordering.supplier_response_minutes <= 0 {
            problems.push(
                "- ordering.supplier_response_minutes must be positive (CENTRALE__ORDERING__SUPPLIER_RESPONSE_MINUTES)"
                    .into(),
            );
        }
        if self.is_production() {
            for (value, name, var) in [
                (
                    &self.secrets.session_key,
                    "secrets.session_key",
                    "CENTRALE__SECRETS__SESSION_KEY",
                ),
                (
                    &self.secrets.jwt_key,
                    "secrets.jwt_key",
                    "CENTRALE__SECRETS__JWT_KEY",
                ),
            ] {
                match value {
                    None => problems.push(format!(
                        "- {name} is not set: set the environment variable {var} to a random string of at least {MIN_SECRET_LEN} characters"
                    )),
                    Some(secret) if secret.expose().len() < MIN_SECRET_LEN => problems.push(format!(
                        "- {name} is too short: {var} needs at least {MIN_SECRET_LEN} characters"
                    )),
                    Some(_) => {}
                }
            }
            if self.secrets.jwt_previous_keys.iter().any(|key| {
                !key.expose().trim().is_empty() && key.expose().trim().len() < MIN_SECRET_LEN
            }) {
                problems.push(format!(
                    "- secrets.jwt_previous_keys holds a key shorter than {MIN_SECRET_LEN} characters (CENTRALE__SECRETS__JWT_PREVIOUS_KEYS)"
                ));
            }
            if self.mail.transport != MailTransportKind::Smtp {
                problems.push(
                    "- mail.transport must be \"smtp\" in production, or no email leaves the machine (CENTRALE__MAIL__TRANSPORT)"
                        .into(),
                );
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SettingsError::Invalid {
                profile: self.profile.clone(),
                problems,
            })
        }
    }

    /// The session key, or a fixed development key outside production.
    pub fn session_key(&self) -> String {
        self.secrets
            .session_key
            .as_ref()
            .map(|s| s.expose().to_owned())
            .unwrap_or_else(|| DEVELOPMENT_KEY.to_owned())
    }

    pub fn jwt_key(&self) -> String {
        self.secrets
            .jwt_key
            .as_ref()
            .map(|s| s.expose().to_owned())
            .unwrap_or_else(|| DEVELOPMENT_KEY.to_owned())
    }

    /// Earlier signing keys, still accepted when verifying access tokens. Blank entries (a
    /// trailing comma in the environment variable) are ignored.
    pub fn jwt_previous_keys(&self) -> Vec<String> {
        self.secrets
            .jwt_previous_keys
            .iter()
            .map(|key| key.expose().trim())
            .filter(|key| !key.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn uses_development_keys(&self) -> bool {
        self.secrets.session_key.is_none() || self.secrets.jwt_key.is_none()
    }
}

/// Only ever used outside production (validation refuses production without real keys).
const DEVELOPMENT_KEY: &str =
    "development-only-key-never-use-in-production-0123456789abcdef0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("temporary folder")
    }

    #[test]
    fn defaults_load_with_nothing_installed() {
        let dir = empty_dir();
        let settings = Settings::load(dir.path(), "development").expect("defaults are valid");
        assert_eq!(settings.server.bind, "127.0.0.1:8080");
        assert_eq!(settings.mail.transport, MailTransportKind::File);
        assert!(settings.database.url.starts_with("data/"));
        assert_eq!(settings.ordering.supplier_response_minutes, 240);
        assert_eq!(settings.server.client_request_timeout_ms, 5000);
        assert_eq!(settings.server.client_disconnect_timeout_ms, 1000);
        assert_eq!(settings.server.keep_alive_seconds, 5);
    }

    #[test]
    fn profile_file_overrides_defaults() {
        let dir = empty_dir();
        std::fs::write(
            dir.path().join("staging.toml"),
            "[server]\nbind = \"0.0.0.0:9000\"\n",
        )
        .expect("write profile");
        let settings = Settings::load(dir.path(), "staging").expect("valid");
        assert_eq!(settings.server.bind, "0.0.0.0:9000");
        assert_eq!(settings.profile, "staging");
    }

    #[test]
    fn production_names_every_missing_secret() {
        let dir = empty_dir();
        let error = Settings::load(dir.path(), "production").expect_err("must refuse");
        let message = error.to_string();
        assert!(
            message.contains("CENTRALE__SECRETS__SESSION_KEY"),
            "{message}"
        );
        assert!(message.contains("CENTRALE__SECRETS__JWT_KEY"), "{message}");
        assert!(message.contains("CENTRALE__MAIL__TRANSPORT"), "{message}");
    }

    #[test]
    fn previous_jwt_keys_come_from_a_list() {
        let dir = empty_dir();
        let settings = Settings::load(dir.path(), "development").expect("valid");
        assert!(settings.jwt_previous_keys().is_empty());
        std::fs::write(
            dir.path().join("rotated.toml"),
            "[secrets]\njwt_previous_keys = [\"first-old-key\", \"second-old-key\"]\n",
        )
        .expect("write profile");
        let settings = Settings::load(dir.path(), "rotated").expect("valid");
        assert_eq!(
            settings.jwt_previous_keys(),
            vec!["first-old-key", "second-old-key"]
        );
    }

    #[test]
    fn senders_have_timeouts_and_leases_by_default() {
        let dir = empty_dir();
        let settings = Settings::load(dir.path(), "development").expect("valid");
        assert_eq!(settings.mail.smtp_timeout_seconds, 15);
        assert_eq!(settings.mail.lease_seconds, 300);
        assert_eq!(settings.webhooks.timeout_seconds, 10);
        assert_eq!(settings.webhooks.lease_seconds, 120);
    }

    #[test]
    fn escalation_shares_default_to_two_and_are_bounded() {
        let dir = empty_dir();
        let settings = Settings::load(dir.path(), "development").expect("valid");
        assert_eq!(settings.worker.escalation_shares, 2);
        std::fs::write(
            dir.path().join("unshared.toml"),
            "[worker]\nescalation_shares = 0\n",
        )
        .expect("write profile");
        let message = Settings::load(dir.path(), "unshared")
            .expect_err("must refuse")
            .to_string();
        assert!(
            message.contains("CENTRALE__WORKER__ESCALATION_SHARES"),
            "{message}"
        );
    }

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2-hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
    }
}
