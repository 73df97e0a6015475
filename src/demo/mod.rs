//! Demo data: realistic PPE lots, five-supplier cascades, institutions under several
//! competent authorities, and accounts to try every role. Everything goes through the same
//! validated operations the authority uses, so demo data can never be something the shop
//! would refuse.

use std::collections::HashMap;
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use crate::auth::{api_client, Principal};
use crate::catalogue::{self, Bilingual, LotInput, ProductInput};
use crate::db::Conn;
use crate::domain::Rank;
use crate::error::ServiceError;
use crate::parties::{
    self, AddressInput, Credential, InstitutionInput, Role, SupplierInput, UserInput,
};

const DEMO_TOML: &str = include_str!("demo.toml");

/// The password of every demo account. Demo data is for trying the shop, never production.
pub const DEMO_PASSWORD: &str = "demo-centrale-2026";

#[derive(Debug, Deserialize)]
struct DemoData {
    admins: Vec<Person>,
    suppliers: Vec<DemoSupplier>,
    categories: Vec<DemoCategory>,
    institutions: Vec<DemoInstitution>,
    lots: Vec<DemoLot>,
}

#[derive(Debug, Deserialize)]
struct Person {
    name: String,
    email: String,
    #[serde(default)]
    language: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DemoSupplier {
    key: String,
    name: String,
    enterprise_number: String,
    email: String,
    language: String,
    #[serde(default)]
    users: Vec<Person>,
}

#[derive(Debug, Deserialize)]
struct DemoCategory {
    code: String,
    name_fr: String,
    name_nl: String,
}

#[derive(Debug, Deserialize)]
struct DemoAddress {
    #[serde(default)]
    label: String,
    street: String,
    postcode: String,
    city: String,
}

#[derive(Debug, Deserialize)]
struct DemoInstitution {
    enterprise_number: String,
    name: String,
    authority: String,
    sector: String,
    language: String,
    status: String,
    billing: DemoAddress,
    delivery: Vec<DemoAddress>,
    #[serde(default)]
    users: Vec<Person>,
}

#[derive(Debug, Deserialize)]
struct DemoLot {
    reference: String,
    category: String,
    kind: String,
    title_fr: String,
    title_nl: String,
    description_fr: String,
    description_nl: String,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    status: String,
    cascade: Vec<String>,
    #[serde(default)]
    products: Vec<DemoProduct>,
}

#[derive(Debug, Deserialize)]
struct DemoProduct {
    sku: String,
    name_fr: String,
    name_nl: String,
    description_fr: String,
    description_nl: String,
    packaging_fr: String,
    packaging_nl: String,
    unit_code: String,
    #[serde(default)]
    standards: Vec<String>,
    vat_class: String,
    min_quantity: u32,
    order_multiple: u32,
    prices: HashMap<String, String>,
    #[serde(default)]
    unavailable: Vec<String>,
}

/// One account the demo created.
#[derive(Debug, Clone)]
pub struct Login {
    pub role: Role,
    pub organisation: String,
    pub email: String,
}

/// API credentials the demo issued; the secret is only ever available here.
#[derive(Debug, Clone)]
pub struct ApiCredential {
    pub role: Role,
    pub organisation: String,
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Default)]
pub struct DemoReport {
    pub lots: usize,
    pub products: usize,
    pub suppliers: usize,
    pub institutions: usize,
    pub logins: Vec<Login>,
    pub api_clients: Vec<ApiCredential>,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Demo data loaded: {} lots, {} products, {} suppliers, {} institutions.",
            self.lots, self.products, self.suppliers, self.institutions
        )?;
        writeln!(f, "Web logins (password for all: {DEMO_PASSWORD}):")?;
        for login in &self.logins {
            writeln!(
                f,
                "  {:<12} {:<45} {}",
                login.role.code(),
                login.email,
                login.organisation
            )?;
        }
        if !self.api_clients.is_empty() {
            writeln!(
                f,
                "API clients (get a token: curl -u CLIENT_ID:CLIENT_SECRET -d grant_type=client_credentials .../api/v1/oauth/token):"
            )?;
            writeln!(
                f,
                "  {:<12} {:<28} {:<47} organisation",
                "role", "client_id", "client_secret"
            )?;
            for client in &self.api_clients {
                writeln!(
                    f,
                    "  {:<12} {:<28} {:<47} {}",
                    client.role.code(),
                    client.client_id,
                    client.client_secret,
                    client.organisation
                )?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo data file is malformed: {0}")]
    Format(#[from] toml::de::Error),
    #[error("demo data refused at {place}: {error}")]
    Refused { place: String, error: ServiceError },
}

fn at(place: impl Into<String>) -> impl FnOnce(ServiceError) -> DemoError {
    let place = place.into();
    move |error| DemoError::Refused { place, error }
}

/// Loads the demo data in one transaction: all of it, or nothing.
pub fn load(conn: &mut Conn, now: NaiveDateTime) -> Result<DemoReport, DemoError> {
    let data: DemoData = toml::from_str(DEMO_TOML)?;
    let hash = crate::auth::password::hash(DEMO_PASSWORD).map_err(|e| DemoError::Refused {
        place: "password".into(),
        error: e.into(),
    })?;
    conn.transaction(|conn| load_data(conn, now, &data, &hash))
}

fn load_data(
    conn: &mut Conn,
    now: NaiveDateTime,
    data: &DemoData,
    hash: &str,
) -> Result<DemoReport, DemoError> {
    let mut report = DemoReport::default();
    for admin in &data.admins {
        user(conn, now, admin, Role::Admin, None, None, "fr", hash)?;
        report.logins.push(Login {
            role: Role::Admin,
            organisation: "purchasing authority".into(),
            email: admin.email.clone(),
        });
    }
    let mut suppliers = HashMap::new();
    for supplier in &data.suppliers {
        let id = parties::register_supplier(
            conn,
            now,
            &SupplierInput {
                enterprise_number: &supplier.enterprise_number,
                name: &supplier.name,
                email: &supplier.email,
                language: &supplier.language,
            },
        )
        .map_err(at(format!("supplier {}", supplier.key)))?;
        suppliers.insert(supplier.key.as_str(), id);
        report.suppliers += 1;
        report
            .api_clients
            .push(demo_client(conn, now, Role::Supplier, id, &supplier.name)?);
        for person in &supplier.users {
            user(
                conn,
                now,
                person,
                Role::Supplier,
                None,
                Some(id),
                &supplier.language,
                hash,
            )?;
            report.logins.push(Login {
                role: Role::Supplier,
                organisation: supplier.name.clone(),
                email: person.email.clone(),
            });
        }
    }
    for (position, category) in data.categories.iter().enumerate() {
        crate::db::reference::insert_category(
            conn,
            &crate::db::reference::NewCategory {
                code: &category.code,
                name_fr: &category.name_fr,
                name_nl: &category.name_nl,
                position: position as i32 + 1,
            },
        )
        .map_err(|e| DemoError::Refused {
            place: format!("category {}", category.code),
            error: e.into(),
        })?;
    }
    for institution in &data.institutions {
        let id = parties::register_institution(
            conn,
            now,
            &InstitutionInput {
                enterprise_number: &institution.enterprise_number,
                name: &institution.name,
                authority_code: &institution.authority,
                sector: &institution.sector,
                language: &institution.language,
                billing: address(&institution.billing),
                delivery: institution.delivery.iter().map(address).collect(),
                status: &institution.status,
            },
        )
        .map_err(at(format!("institution {}", institution.name)))?;
        report.institutions += 1;
        if institution.status == "active" {
            report.api_clients.push(demo_client(
                conn,
                now,
                Role::Institution,
                id,
                &institution.name,
            )?);
        }
        for person in &institution.users {
            user(
                conn,
                now,
                person,
                Role::Institution,
                Some(id),
                None,
                &institution.language,
                hash,
            )?;
            if institution.status == "active" {
                report.logins.push(Login {
                    role: Role::Institution,
                    organisation: institution.name.clone(),
                    email: person.email.clone(),
                });
            }
        }
    }
    for lot in &data.lots {
        let lot_id = catalogue::create_lot(
            conn,
            now,
            &LotInput {
                reference: &lot.reference,
                category_code: &lot.category,
                kind: &lot.kind,
                title: Bilingual::new(&lot.title_fr, &lot.title_nl),
                description: Bilingual::new(&lot.description_fr, &lot.description_nl),
                valid_from: lot.valid_from,
                valid_until: lot.valid_until,
                status: &lot.status,
            },
        )
        .map_err(at(format!("lot {}", lot.reference)))?;
        report.lots += 1;
        for (index, key) in lot.cascade.iter().enumerate() {
            let supplier = *suppliers
                .get(key.as_str())
                .ok_or_else(|| DemoError::Refused {
                    place: format!("cascade of {}", lot.reference),
                    error: ServiceError::NotFound("supplier"),
                })?;
            let rank = Rank::new(index as u8 + 1).map_err(|e| DemoError::Refused {
                place: format!("cascade of {}", lot.reference),
                error: ServiceError::Invalid(crate::validation::ValidationErrors::single(
                    "rank",
                    e.message_key(),
                    e.to_string(),
                )),
            })?;
            catalogue::add_to_cascade(conn, now, lot_id, supplier, rank)
                .map_err(at(format!("cascade of {}", lot.reference)))?;
        }
        for product in &lot.products {
            let product_id = catalogue::create_product(
                conn,
                now,
                &ProductInput {
                    lot_id,
                    sku: &product.sku,
                    name: Bilingual::new(&product.name_fr, &product.name_nl),
                    description: Bilingual::new(&product.description_fr, &product.description_nl),
                    packaging: Bilingual::new(&product.packaging_fr, &product.packaging_nl),
                    unit_code: &product.unit_code,
                    standards: product.standards.clone(),
                    vat_class: &product.vat_class,
                    min_quantity: product.min_quantity,
                    order_multiple: product.order_multiple,
                },
            )
            .map_err(at(format!("product {}", product.sku)))?;
            report.products += 1;
            for key in &lot.cascade {
                let Some(price) = product.prices.get(key) else {
                    continue;
                };
                let supplier = suppliers[key.as_str()];
                let available = !product.unavailable.contains(key);
                catalogue::set_offer(conn, now, product_id, supplier, price, available)
                    .map_err(at(format!("price of {} by {key}", product.sku)))?;
            }
        }
    }
    Ok(report)
}

/// One API client per organisation, so the API can be tried in every role straight away.
fn demo_client(
    conn: &mut Conn,
    now: NaiveDateTime,
    role: Role,
    organisation_id: i64,
    organisation: &str,
) -> Result<ApiCredential, DemoError> {
    let issued = api_client::issue(
        conn,
        now,
        &Principal::system("demo"),
        role,
        Some(organisation_id),
        &format!("Demo client of {organisation}"),
    )
    .map_err(at(format!("API client of {organisation}")))?;
    Ok(ApiCredential {
        role,
        organisation: organisation.to_owned(),
        client_id: issued.client.client_id,
        client_secret: issued.client_secret,
    })
}

fn address(a: &DemoAddress) -> AddressInput<'_> {
    AddressInput {
        label: &a.label,
        street: &a.street,
        postcode: &a.postcode,
        city: &a.city,
    }
}

#[allow(clippy::too_many_arguments)]
fn user(
    conn: &mut Conn,
    now: NaiveDateTime,
    person: &Person,
    role: Role,
    institution_id: Option<i64>,
    supplier_id: Option<i64>,
    default_language: &str,
    hash: &str,
) -> Result<i64, DemoError> {
    parties::create_user(
        conn,
        now,
        &UserInput {
            email: &person.email,
            name: &person.name,
            role,
            institution_id,
            supplier_id,
            language: person.language.as_deref().unwrap_or(default_language),
            password: Some(Credential::Hash(hash)),
        },
    )
    .map_err(at(format!("account {}", person.email)))
}

impl From<crate::db::DbError> for DemoError {
    fn from(error: crate::db::DbError) -> Self {
        DemoError::Refused {
            place: "database".into(),
            error: error.into(),
        }
    }
}
