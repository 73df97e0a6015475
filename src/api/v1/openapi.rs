//! The OpenAPI 3.1 description of the API, generated from the handlers' annotations, served
//! at `GET /api/v1/openapi.json` and rendered as a reference page at `GET /api/v1/docs`.
//!
//! Many handlers build their JSON with `serde_json::json!`; the structs below only describe
//! those documents (they are never serialized) and must follow the handlers field by field.

#![allow(dead_code)]

use std::sync::OnceLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::*;

pub const PROBLEM: &str = "application/problem+json";

/// An error as a problem document (RFC 9457).
#[derive(ToSchema)]
pub struct Problem {
    /// A relative URI naming the kind of problem, e.g. `/problems/not-found`.
    #[schema(example = "/problems/not-found")]
    r#type: String,
    title: String,
    /// The HTTP status code.
    status: u16,
    detail: String,
    /// The invalid fields (422 only).
    #[schema(nullable = false)]
    errors: Option<Vec<FieldError>>,
}

/// One invalid field of a request.
#[derive(ToSchema)]
pub struct FieldError {
    /// The field, e.g. `items[0].sku`.
    field: String,
    /// A stable machine-readable code.
    code: String,
    message: String,
}

/// An error of the token endpoint (RFC 6749 §5.2).
#[derive(ToSchema)]
pub struct OAuthErrorBody {
    #[schema(example = "invalid_client")]
    error: String,
    error_description: String,
}

/// The access token (RFC 6749 §5.1).
#[derive(ToSchema)]
pub struct TokenResponse {
    /// A bearer token for `Authorization: Bearer <token>`.
    access_token: String,
    #[schema(example = "Bearer")]
    token_type: String,
    /// Lifetime of the token in seconds.
    expires_in: i64,
}

/// The form of the client-credentials grant. Clients authenticate either with HTTP Basic
/// (`client_id:client_secret`) or with the `client_id` and `client_secret` fields, not both.
#[derive(ToSchema)]
pub struct TokenForm {
    #[schema(example = "client_credentials")]
    grant_type: String,
    #[schema(nullable = false)]
    client_id: Option<String>,
    #[schema(nullable = false)]
    client_secret: Option<String>,
}

/// A text in French and Dutch.
#[derive(ToSchema)]
pub struct BilingualText {
    fr: String,
    nl: String,
}

/// An amount in euro cents and as a decimal string.
#[derive(ToSchema)]
pub struct Money {
    cents: i64,
    #[schema(example = "12.50")]
    amount: String,
}

#[derive(ToSchema)]
pub struct Category {
    code: String,
    name: BilingualText,
}

/// Whether a lot takes orders today.
#[derive(ToSchema)]
#[schema(as = Orderability, rename_all = "snake_case")]
pub enum OrderabilityDoc {
    Open,
    NotYetValid,
    Expired,
    Closed,
}

/// A framework-contract lot of the public catalogue.
#[derive(ToSchema)]
pub struct Lot {
    reference: String,
    kind: String,
    title: BilingualText,
    description: BilingualText,
    category: Category,
    valid_from: chrono::NaiveDate,
    valid_until: chrono::NaiveDate,
    orderability: OrderabilityDoc,
    product_count: u64,
}

#[derive(ToSchema)]
pub struct LotListing {
    items: Vec<Lot>,
    total: u64,
    limit: u64,
    offset: u64,
}

/// The offer that would take an order today (first available supplier of the cascade).
#[derive(ToSchema)]
pub struct CurrentPrice {
    supplier_id: i64,
    supplier_name: String,
    cascade_rank: u8,
    unit_price_cents: i64,
    unit_price: String,
    #[schema(example = "EUR")]
    currency: String,
}

#[derive(ToSchema)]
pub struct Product {
    sku: String,
    lot_reference: String,
    name: BilingualText,
    description: BilingualText,
    packaging: BilingualText,
    unit_code: String,
    standards: Vec<String>,
    #[schema(required = true)]
    vat_rate_percent: Option<String>,
    min_quantity: u32,
    order_multiple: u32,
    available: bool,
    #[schema(required = true)]
    current_price: Option<CurrentPrice>,
}

#[derive(ToSchema)]
pub struct ProductListing {
    items: Vec<Product>,
    total: u64,
    limit: u64,
    offset: u64,
}

/// The answer to a membership application.
#[derive(ToSchema)]
pub struct MembershipCreated {
    id: i64,
    #[schema(example = "pending")]
    status: String,
}

#[derive(ToSchema)]
pub struct UserCreated {
    user_id: i64,
}

/// A listing of items described elsewhere (admin overviews).
#[derive(ToSchema)]
pub struct AnyListing {
    items: Vec<serde_json::Value>,
    total: u64,
}

#[derive(ToSchema)]
pub struct IssuedClient {
    client_id: String,
    /// Shown this once; only a hash is kept.
    client_secret: String,
    name: String,
    role: String,
    #[schema(required = true)]
    institution_id: Option<i64>,
    #[schema(required = true)]
    supplier_id: Option<i64>,
    /// UTC, without offset.
    created_at: String,
}

#[derive(ToSchema)]
pub struct Buyer {
    name: String,
    enterprise_number: String,
}

/// An order line as a supplier sees it; prices are null once the order went to another
/// supplier.
#[derive(ToSchema)]
pub struct SupplierOrderLine {
    sku: String,
    name: BilingualText,
    quantity: i64,
    unit_code: String,
    #[schema(required = true)]
    unit_price: Option<Money>,
    /// Empty when the rate is unknown.
    vat_rate_percent: String,
    #[schema(required = true)]
    line_total: Option<Money>,
}

#[derive(ToSchema)]
pub struct SupplierTotals {
    net: Money,
    vat_total: Money,
    gross: Money,
    currency: String,
}

/// An order offered to the calling supplier.
#[derive(ToSchema)]
pub struct SupplierOrder {
    id: i64,
    reference: String,
    /// Position of this change in the feed.
    cursor: String,
    /// `awaiting_answer`, the order status once accepted, or the supplier's outcome
    /// (`declined`, `expired`, `withdrawn`, ...).
    supplier_status: String,
    #[schema(required = true)]
    order_status: Option<String>,
    cascade_rank: i32,
    offered_at: chrono::DateTime<chrono::Utc>,
    #[schema(required = true)]
    response_deadline: Option<chrono::DateTime<chrono::Utc>>,
    #[schema(required = true)]
    answered_at: Option<chrono::DateTime<chrono::Utc>>,
    buyer: Buyer,
    #[schema(required = true)]
    buyer_reference: Option<String>,
    delivery_address: String,
    delivery_due: chrono::NaiveDate,
    #[schema(required = true)]
    expected_delivery: Option<chrono::NaiveDate>,
    lines: Vec<SupplierOrderLine>,
    #[schema(required = true)]
    totals: Option<SupplierTotals>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

/// A page of the supplier feed.
#[derive(ToSchema)]
pub struct SupplierFeed {
    items: Vec<SupplierOrder>,
    /// Send it back as `cursor` on the next poll.
    next_cursor: String,
    has_more: bool,
}

#[derive(ToSchema)]
pub struct OrderResponseEffect {
    /// `acknowledged`, `accepted`, `rejected` or `accepted_with_changes`.
    effect: String,
    /// The remainder order (accepted_with_changes only).
    #[schema(nullable = true)]
    remainder_order_id: Option<i64>,
}

#[derive(ToSchema)]
pub struct OrderResponseResult {
    order_id: i64,
    result: OrderResponseEffect,
}

#[derive(ToSchema)]
pub struct AvailabilityUpdated {
    updated: u64,
}

#[derive(ToSchema)]
pub struct WebhookRegistered {
    url: String,
    /// The signing secret, shown once.
    secret: String,
    signature_header: String,
    signature: String,
    events: Vec<String>,
}

/// A webhook delivery attempt.
#[derive(ToSchema)]
pub struct WebhookDelivery {
    id: i64,
    supplier_id: i64,
    event_type: String,
    #[schema(required = true)]
    order_id: Option<i64>,
    payload: String,
    /// UTC, without offset.
    created_at: String,
    attempts: i32,
    next_attempt_at: String,
    #[schema(required = true, value_type = Option<String>)]
    delivered_at: Option<String>,
    #[schema(required = true, value_type = Option<String>)]
    failed_at: Option<String>,
    #[schema(required = true)]
    last_status: Option<i32>,
    #[schema(required = true)]
    last_error: Option<String>,
}

#[derive(ToSchema)]
pub struct WebhookDeliveries {
    items: Vec<WebhookDelivery>,
}

#[derive(ToSchema)]
pub struct OrderSupplier {
    id: i64,
    #[schema(required = true)]
    name: Option<String>,
    #[schema(required = true)]
    cascade_rank: Option<i32>,
    /// Current supplier only.
    #[schema(nullable = true)]
    response_deadline: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(ToSchema)]
pub struct OrderLine {
    sku: String,
    name: BilingualText,
    quantity: i64,
    unit_code: String,
    unit_price: Money,
    vat_rate_percent: String,
    line_total: Money,
}

#[derive(ToSchema)]
pub struct VatBreakdown {
    rate_percent: String,
    taxable: Money,
    vat: Money,
}

#[derive(ToSchema)]
pub struct OrderTotals {
    net: Money,
    vat: Vec<VatBreakdown>,
    vat_total: Money,
    gross: Money,
    currency: String,
}

#[derive(ToSchema)]
pub struct OrderEvent {
    at: chrono::DateTime<chrono::Utc>,
    kind: String,
    #[schema(required = true)]
    from: Option<String>,
    #[schema(required = true)]
    to: Option<String>,
    #[schema(required = true)]
    supplier_id: Option<i64>,
    #[schema(required = true)]
    cascade_rank: Option<i32>,
    #[schema(required = true)]
    reason: Option<String>,
}

/// An order as its institution sees it.
#[derive(ToSchema)]
pub struct Order {
    id: i64,
    reference: String,
    checkout_id: String,
    status: String,
    lot_reference: String,
    institution_id: i64,
    delivery_address_id: i64,
    #[schema(required = true)]
    buyer_reference: Option<String>,
    placed_at: chrono::DateTime<chrono::Utc>,
    delivery_due: chrono::NaiveDate,
    #[schema(required = true)]
    expected_delivery: Option<chrono::NaiveDate>,
    #[schema(required = true)]
    current_supplier: Option<OrderSupplier>,
    #[schema(required = true)]
    supplier: Option<OrderSupplier>,
    #[schema(required = true)]
    confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
    breach: bool,
    lines: Vec<OrderLine>,
    totals: OrderTotals,
    net_when_placed: Money,
    events: Vec<OrderEvent>,
}

#[derive(ToSchema)]
pub struct OrdersCreated {
    checkout_id: String,
    orders: Vec<Order>,
}

#[derive(ToSchema)]
pub struct OrderListing {
    items: Vec<serde_json::Value>,
    total: u64,
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from POST /api/v1/oauth/token (client credentials).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "client_basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "HTTP Basic with the API client's id and secret (token endpoint only); \
                         the form fields client_id and client_secret are the alternative.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "centrale API",
        description = "The API of centrale, the central purchasing e-shop: public catalogue, \
            membership applications, orders for institutions, the supplier API (order feed, \
            answers, availability, UBL documents, webhooks) and the purchasing authority's \
            administration. Errors are problem documents (RFC 9457, application/problem+json), \
            except on the token endpoint which answers as RFC 6749 §5.2 says."
    ),
    servers((url = "/")),
    paths(
        catalogue::lots,
        catalogue::products,
        memberships::apply,
        oauth::token,
        orders::create,
        orders::list,
        orders::show,
        supplier::feed,
        supplier::show,
        supplier::accept,
        supplier::decline,
        supplier::ship,
        supplier::deliver,
        supplier::cancellation,
        supplier::availability,
        supplier::order_response,
        supplier::register_webhook,
        supplier::delete_webhook,
        supplier::webhook_deliveries,
        admin_memberships::list,
        admin_memberships::show,
        admin_memberships::approve,
        admin_memberships::reject,
        admin_memberships::suspend,
        admin_memberships::reactivate,
        admin_memberships::add_user,
        admin::institutions,
        admin::suppliers,
        admin::lots,
        admin::api_clients,
        admin::issue_client,
        admin::revoke_client,
        admin::webhook_deliveries,
        admin_suppliers::create,
        admin_suppliers::show,
        admin_suppliers::update,
        admin_suppliers::suspend,
        admin_suppliers::reactivate,
        admin_audit::list,
        admin_reports::show,
        admin_catalogue::create_lot,
        admin_catalogue::show_lot,
        admin_catalogue::update_lot,
        admin_catalogue::publish_lot,
        admin_catalogue::close_lot,
        admin_catalogue::set_cascade,
        admin_catalogue::create_product,
        admin_catalogue::update_product,
        admin_catalogue::set_offer,
        admin_catalogue::categories,
        admin_catalogue::create_category,
        admin_catalogue::update_category,
        open_data::ocds,
        admin_import::create,
        admin_import::show,
        admin_import::apply,
    ),
    modifiers(&Security),
    tags(
        (name = "catalogue", description = "The public catalogue"),
        (name = "memberships", description = "Membership applications"),
        (name = "oauth", description = "Access tokens"),
        (name = "orders", description = "Orders of an institution"),
        (name = "supplier", description = "The supplier API"),
        (name = "admin", description = "The purchasing authority's API"),
        (name = "open-data", description = "Public open data (OCDS)"),
    )
)]
pub struct ApiDoc;

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
        doc
    })
}

/// The document as JSON, serialized once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| document().to_json().unwrap_or_else(|_| "{}".to_owned()))
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document_json())
}
