//! Test harness: the real application on a random port, against a fresh database of the
//! chosen backend, with a manual clock.
//!
//! PostgreSQL tests run when `CENTRALE_TEST_POSTGRES_URL` names a server (each test creates
//! its own database there). Without it they are skipped locally and fail under CI, so a CI
//! run can never silently test one backend only.

#![allow(dead_code)]

pub mod smtp;
pub mod soak;

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};

use centrale::clock::ManualClock;
use centrale::config::Settings;
use centrale::db::{Backend, Conn, Pool};
use centrale::startup::Application;

pub const POSTGRES_URL_VAR: &str = "CENTRALE_TEST_POSTGRES_URL";

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub pool: Pool,
    pub backend: Backend,
    pub settings: Settings,
    pub state: centrale::startup::State,
    _dir: tempfile::TempDir,
}

/// Builds settings for a test instance: port 0, a fresh database, mail into a temp folder.
pub fn test_settings(backend: Backend, dir: &Path) -> Option<Settings> {
    let config_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut settings = Settings::load(&config_dir, "test").expect("test settings load");
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 2;
    settings.worker.enabled = false;
    settings.mail.file_dir = dir.join("mail").to_string_lossy().into_owned();
    settings.database.url = match backend {
        Backend::Sqlite => dir.join("centrale.db").to_string_lossy().into_owned(),
        Backend::Postgres => fresh_postgres_database()?,
    };
    Some(settings)
}

/// Creates an empty database on the test server and returns its URL.
fn fresh_postgres_database() -> Option<String> {
    let Ok(server) = std::env::var(POSTGRES_URL_VAR) else {
        if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
            panic!("{POSTGRES_URL_VAR} must be set under CI: the suite runs on both backends");
        }
        eprintln!("skipped: set {POSTGRES_URL_VAR} to run the PostgreSQL variant");
        return None;
    };
    let name = format!("centrale_test_{}", rand_suffix());
    let mut admin =
        PgConnection::establish(&server).expect("connect to the PostgreSQL test server");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .expect("create test database");
    let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
    Some(format!("{base}/{name}"))
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}_{}_{}", std::process::id(), nanos % 1_000_000_000, n)
}

/// A fixed, ordinary weekday morning in Brussels, so tests never depend on today's date.
pub fn test_start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).unwrap()
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with the settings adjusted first (keys, limits, ...).
pub async fn spawn_app_with(
    backend: Backend,
    adjust: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut settings = test_settings(backend, dir.path())?;
    adjust(&mut settings);
    let clock = Arc::new(ManualClock::new(test_start()));
    let application =
        Application::build(settings.clone(), clock.clone()).expect("application builds");
    let port = application.port();
    let state = application.state();
    let pool = state.pool.clone();
    actix_web::rt::spawn(application.run_until_stopped());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    Some(TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client,
        clock,
        pool,
        backend,
        settings,
        state,
        _dir: dir,
    })
}

/// An application with the demo data loaded.
pub async fn spawn_demo_app(backend: Backend) -> Option<TestApp> {
    let app = spawn_app(backend).await?;
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        centrale::demo::load(conn, now)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await
    .expect("demo data loads");
    Some(app)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("json body"))
    }

    /// `GET path` as an API client holding `bearer`, read as JSON.
    pub async fn get_json_as(&self, path: &str, bearer: &str) -> serde_json::Value {
        self.client
            .get(self.url(path))
            .bearer_auth(bearer)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json body")
    }

    /// Runs database work directly, as the app itself would.
    pub async fn with_conn<T, F>(&self, work: F) -> T
    where
        F: FnOnce(&mut Conn) -> T + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().expect("connection");
            work(&mut conn)
        })
        .await
        .expect("database task")
    }
}

use centrale::clock::Clock;

/// Declares each listed `async fn name(app_backend: Backend)` as a test per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name(centrale::db::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name(centrale::db::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// A valid enterprise number derived from `seed` (check digits computed, not hard-coded).
pub fn enterprise_number(seed: u32) -> String {
    // Eight digits starting with 0 or 1, as KBO numbers do, then the mod-97 check.
    let base = 1_000_000 + u64::from(seed % 2_000) * 7_919;
    let check = 97 - (base % 97);
    format!("{base:08}{check:02}")
}

pub struct LotFixture {
    pub lot_id: i64,
    pub reference: String,
    pub suppliers: Vec<i64>,
}

/// A published lot valid around the test date, with `cascade_size` fresh suppliers.
pub fn lot_fixture(
    conn: &mut Conn,
    now: chrono::NaiveDateTime,
    reference: &str,
    cascade_size: usize,
) -> LotFixture {
    use centrale::catalogue::{self, Bilingual, LotInput};
    use centrale::parties::{self, SupplierInput};
    let category = match centrale::db::reference::category_by_code(conn, "fixture").expect("query")
    {
        Some(c) => c.id,
        None => centrale::db::reference::insert_category(
            conn,
            &centrale::db::reference::NewCategory {
                code: "fixture",
                name_fr: "Catégorie de test",
                name_nl: "Testcategorie",
                position: 1,
            },
        )
        .expect("category"),
    };
    let _ = category;
    let lot_id = catalogue::create_lot(
        conn,
        now,
        &LotInput {
            reference,
            category_code: "fixture",
            kind: "goods",
            title: Bilingual::new(format!("Lot {reference}"), format!("Perceel {reference}")),
            description: Bilingual::new("Description", "Beschrijving"),
            valid_from: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            valid_until: chrono::NaiveDate::from_ymd_opt(2028, 12, 31).unwrap(),
            status: "published",
        },
    )
    .expect("lot");
    let mut suppliers = Vec::new();
    for index in 0..cascade_size {
        let seed = (lot_id as u32) * 10 + index as u32 + 1;
        let id = parties::register_supplier(
            conn,
            now,
            &SupplierInput {
                enterprise_number: &enterprise_number(seed),
                name: &format!("Supplier {reference}-{}", index + 1),
                email: &format!("orders{seed}@supplier.example"),
                language: "fr",
            },
        )
        .expect("supplier");
        catalogue::add_to_cascade(
            conn,
            now,
            lot_id,
            id,
            centrale::domain::Rank::new(index as u8 + 1).unwrap(),
        )
        .expect("cascade entry");
        suppliers.push(id);
    }
    LotFixture {
        lot_id,
        reference: reference.to_owned(),
        suppliers,
    }
}

/// A product of the fixture lot priced by every cascade supplier (`prices[i]` for rank i+1,
/// `None` meaning no offer), with `unavailable` ranks (1-based) out of stock.
pub fn product_fixture(
    conn: &mut Conn,
    now: chrono::NaiveDateTime,
    lot: &LotFixture,
    sku: &str,
    vat_class: &str,
    prices: &[Option<&str>],
    unavailable: &[usize],
) -> i64 {
    use centrale::catalogue::{self, Bilingual, ProductInput};
    let id = catalogue::create_product(
        conn,
        now,
        &ProductInput {
            lot_id: lot.lot_id,
            sku,
            name: Bilingual::new(format!("Produit {sku}"), format!("Product {sku}")),
            description: Bilingual::new("Description du produit", "Productbeschrijving"),
            packaging: Bilingual::new("Boîte de 10", "Doos van 10"),
            unit_code: "BX",
            standards: vec!["EN 14683 Type IIR".into()],
            vat_class,
            min_quantity: 1,
            order_multiple: 1,
        },
    )
    .expect("product");
    for (index, price) in prices.iter().enumerate() {
        if let Some(price) = price {
            catalogue::set_offer(
                conn,
                now,
                id,
                lot.suppliers[index],
                price,
                !unavailable.contains(&(index + 1)),
            )
            .expect("offer");
        }
    }
    id
}

/// The CSRF token of the first form on a page.
pub fn csrf_of(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("page has a CSRF field");
    let end = html[start..].find('"').expect("end of CSRF value");
    html[start..start + end].to_owned()
}

impl TestApp {
    /// Posts a form (with the CSRF token of the page at `form_page`).
    pub async fn post_form(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let (_, html) = self.get_text(form_page).await;
        let csrf = csrf_of(&html);
        let mut body: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        body.push(("csrf".into(), csrf));
        self.client
            .post(self.url(action))
            .form(&body)
            .send()
            .await
            .expect("form posted")
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// A fresh client with its own cookie jar, for acting as a second person.
    pub fn as_new_visitor(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            port: self.port,
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            clock: self.clock.clone(),
            pool: self.pool.clone(),
            backend: self.backend,
            settings: self.settings.clone(),
            state: self.state.clone(),
            _dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub async fn outbox(&self) -> Vec<centrale::mail::outbox::OutboxEmail> {
        self.with_conn(|conn| centrale::mail::outbox::all(conn).expect("outbox"))
            .await
    }

    /// Creates an active admin account directly.
    pub async fn create_admin(&self, email: &str, password: &str) -> i64 {
        let (email, password) = (email.to_owned(), password.to_owned());
        let now = self.clock.now_naive();
        self.with_conn(move |conn| {
            centrale::parties::create_user(
                conn,
                now,
                &centrale::parties::UserInput {
                    email: &email,
                    name: "Admin Test",
                    role: centrale::parties::Role::Admin,
                    institution_id: None,
                    supplier_id: None,
                    language: "fr",
                    password: Some(centrale::parties::Credential::Password(&password)),
                },
            )
            .expect("admin created")
        })
        .await
    }
}

/// The first link in an email's text that starts with `prefix`.
pub fn link_in(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no link {prefix} in:\n{text}"));
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// Issues API credentials directly through the service, as the command line would.
pub async fn issue_client(
    app: &TestApp,
    role: centrale::parties::Role,
    for_id: Option<i64>,
) -> (String, String) {
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let issued = centrale::auth::api_client::issue(
            conn,
            now,
            &centrale::auth::Principal::system("test"),
            role,
            for_id,
            "test client",
        )
        .expect("client issued");
        (issued.client.client_id, issued.client_secret)
    })
    .await
}

/// Asks the token endpoint for an access token with HTTP Basic client authentication.
pub async fn token(app: &TestApp, client_id: &str, secret: &str) -> String {
    let response = app
        .client
        .post(app.url("/api/v1/oauth/token"))
        .basic_auth(client_id, Some(secret))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), 200, "token for {client_id}");
    let body: serde_json::Value = response.json().await.expect("json body");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// A GET with `Authorization: Bearer <token>`.
pub async fn get_with_token(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent")
}

/// An active institution with one delivery address, one buyer who can sign in, and an API
/// client: everything needed to order.
pub struct Buyer {
    pub institution_id: i64,
    pub address_id: i64,
    pub email: String,
    pub password: String,
    pub client_id: String,
    pub client_secret: String,
}

/// Registers an institution with the fixtures' Brussels billing and delivery addresses;
/// returns its id and its delivery address's.
pub fn institution_fixture(
    conn: &mut Conn,
    now: chrono::NaiveDateTime,
    seed: u32,
    name: &str,
    authority: &str,
    language: &str,
    status: &str,
) -> (i64, i64) {
    use centrale::parties::{self, AddressInput, InstitutionInput};
    let id = parties::register_institution(
        conn,
        now,
        &InstitutionInput {
            enterprise_number: &enterprise_number(seed),
            name,
            authority_code: authority,
            sector: "care_home",
            language,
            billing: AddressInput {
                label: "",
                street: "Rue Haute 1",
                postcode: "1000",
                city: "Bruxelles",
            },
            delivery: vec![AddressInput {
                label: "Livraisons",
                street: "Rue Haute 3",
                postcode: "1000",
                city: "Bruxelles",
            }],
            status,
        },
    )
    .expect("institution");
    let address = centrale::db::parties::delivery_addresses_of(conn, id).expect("addresses")[0].id;
    (id, address)
}

pub async fn buyer_fixture(app: &TestApp, seed: u32, language: &str) -> Buyer {
    use centrale::parties::{self, Credential, Role, UserInput};
    let now = app.clock.now_naive();
    let email = format!("buyer{seed}@institution{seed}.example");
    let password = "buyer long password".to_owned();
    let (language, email_for, password_for) =
        (language.to_owned(), email.clone(), password.clone());
    let (institution_id, address_id) = app
        .with_conn(move |conn| {
            let (id, address) = institution_fixture(
                conn,
                now,
                seed,
                &format!("Institution {seed}"),
                "COCOF",
                &language,
                "active",
            );
            parties::create_user(
                conn,
                now,
                &UserInput {
                    email: &email_for,
                    name: &format!("Buyer {seed}"),
                    role: Role::Institution,
                    institution_id: Some(id),
                    supplier_id: None,
                    language: &language,
                    password: Some(Credential::Password(&password_for)),
                },
            )
            .expect("buyer");
            (id, address)
        })
        .await;
    let (client_id, client_secret) = issue_client(
        app,
        centrale::parties::Role::Institution,
        Some(institution_id),
    )
    .await;
    Buyer {
        institution_id,
        address_id,
        email,
        password,
        client_id,
        client_secret,
    }
}
