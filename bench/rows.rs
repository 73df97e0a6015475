//! Rows as the shop stores them, with explicit ids so a generated history is the same on
//! every run and on both backends. `None` is written as NULL (not DEFAULT), which is what
//! lets SQLite take many rows per INSERT and PostgreSQL take them through COPY.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use centrale::db::schema::*;

#[derive(Insertable)]
#[diesel(table_name = categories, treat_none_as_default_value = false)]
pub struct Category {
    pub id: i64,
    pub code: String,
    pub name_fr: String,
    pub name_nl: String,
    pub position: i32,
}

#[derive(Insertable)]
#[diesel(table_name = suppliers, treat_none_as_default_value = false)]
pub struct Supplier {
    pub id: i64,
    pub enterprise_number: String,
    pub name: String,
    pub email: String,
    pub language: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = lots, treat_none_as_default_value = false)]
pub struct Lot {
    pub id: i64,
    pub reference: String,
    pub category_id: i64,
    pub kind: String,
    pub title_fr: String,
    pub title_nl: String,
    pub description_fr: String,
    pub description_nl: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = cascade_entries, treat_none_as_default_value = false)]
pub struct CascadeEntry {
    pub id: i64,
    pub lot_id: i64,
    pub supplier_id: i64,
    pub rank: i32,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = products, treat_none_as_default_value = false)]
pub struct Product {
    pub id: i64,
    pub lot_id: i64,
    pub sku: String,
    pub name_fr: String,
    pub name_nl: String,
    pub description_fr: String,
    pub description_nl: String,
    pub packaging_fr: String,
    pub packaging_nl: String,
    pub unit_code: String,
    pub standards: String,
    pub vat_class: String,
    pub min_quantity: i32,
    pub order_multiple: i32,
    pub active: bool,
    pub search_text: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = supplier_offers, treat_none_as_default_value = false)]
pub struct Offer {
    pub id: i64,
    pub product_id: i64,
    pub supplier_id: i64,
    pub price_cents: i64,
    pub available: bool,
    pub unavailable_until: Option<NaiveDate>,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = institutions, treat_none_as_default_value = false)]
pub struct Institution {
    pub id: i64,
    pub enterprise_number: String,
    pub name: String,
    pub competent_authority_id: i64,
    pub sector: String,
    pub language: String,
    pub billing_street: String,
    pub billing_postcode: String,
    pub billing_city: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub contact_name: String,
    pub contact_email: String,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<i64>,
    pub decision_reason: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = delivery_addresses, treat_none_as_default_value = false)]
pub struct DeliveryAddress {
    pub id: i64,
    pub institution_id: i64,
    pub label: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub active: bool,
}

#[derive(Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub institution_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub language: String,
    pub password_hash: Option<String>,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = api_clients, treat_none_as_default_value = false)]
pub struct ApiClient {
    pub id: i64,
    pub client_id: String,
    pub secret_hash: String,
    pub name: String,
    pub role: String,
    pub institution_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<i64>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Insertable, Clone)]
#[diesel(table_name = orders, treat_none_as_default_value = false)]
pub struct Order {
    pub id: i64,
    pub reference: String,
    pub checkout_id: String,
    pub institution_id: i64,
    pub lot_id: i64,
    pub placed_by_user_id: Option<i64>,
    pub placed_by_client_id: Option<i64>,
    pub delivery_address_id: i64,
    pub buyer_reference: Option<String>,
    pub language: String,
    pub status: String,
    pub current_supplier_id: Option<i64>,
    pub current_rank: Option<i32>,
    pub response_deadline: Option<NaiveDateTime>,
    pub confirmed_supplier_id: Option<i64>,
    pub confirmed_rank: Option<i32>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub expected_delivery: Option<NaiveDate>,
    pub delivery_due: NaiveDate,
    pub displayed_net_cents: i64,
    pub placed_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub notified_at: Option<NaiveDateTime>,
    pub breach_at: Option<NaiveDateTime>,
    pub shipped_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
    pub carrier: Option<String>,
    pub tracking: Option<String>,
    pub parent_order_id: Option<i64>,
}

#[derive(Insertable, Clone)]
#[diesel(table_name = order_lines, treat_none_as_default_value = false)]
pub struct OrderLine {
    pub id: i64,
    pub order_id: i64,
    pub product_id: i64,
    pub sku: String,
    pub name_fr: String,
    pub name_nl: String,
    pub unit_code: String,
    pub quantity: i32,
    pub vat_rate_basis_points: i32,
    pub unit_price_cents: i64,
    pub displayed_unit_price_cents: i64,
}

#[derive(Insertable, Clone)]
#[diesel(table_name = order_assignments, treat_none_as_default_value = false)]
pub struct Assignment {
    pub id: i64,
    pub order_id: i64,
    pub supplier_id: i64,
    pub rank: i32,
    pub offered_at: NaiveDateTime,
    pub deadline: NaiveDateTime,
    pub outcome: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
    pub feed_seq: i64,
    pub supplier_reference: Option<String>,
}

#[derive(Insertable, Clone)]
#[diesel(table_name = order_events, treat_none_as_default_value = false)]
pub struct Event {
    pub id: i64,
    pub order_id: i64,
    pub occurred_at: NaiveDateTime,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub supplier_id: Option<i64>,
    pub rank: Option<i32>,
    pub actor_label: String,
    pub reason: Option<String>,
    pub details: String,
}

/// Writes `rows` in as few statements as the backend allows: multi-row INSERTs on SQLite
/// (under its 32,766-parameter limit), binary COPY on PostgreSQL.
#[macro_export]
macro_rules! bulk_insert {
    ($conn:expr, $table:path, $rows:expr, $columns:expr) => {{
        let rows = $rows;
        match $conn {
            centrale::db::Conn::Sqlite(c) => {
                let c: &mut diesel::SqliteConnection = &mut *c;
                for chunk in rows.chunks((32_000 / $columns).max(1)) {
                    diesel::insert_into($table).values(chunk).execute(c)?;
                }
            }
            centrale::db::Conn::Postgres(c) => {
                let c: &mut diesel::PgConnection = &mut *c;
                if !rows.is_empty() {
                    diesel::copy_from($table).from_insertable(rows).execute(c)?;
                }
            }
        }
        rows.len()
    }};
}
