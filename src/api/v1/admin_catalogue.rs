//! Lots, cascades, categories, products and offers for admins (JSON). The same operations
//! and rules as the back office pages, each change audited.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::api::auth::AdminApi;
use crate::api::problem::ApiError;
use crate::catalogue::back_office::{
    self as bo, AdminLot, AdminProduct, CategoryFields, LotFields, OfferFields, ProductFields,
    RankedSupplier,
};
use crate::catalogue::Bilingual;
use crate::db::catalogue as q;
use crate::db::reference;
use crate::domain::cascade::ProposedEntry;
use crate::domain::SupplierId;
use crate::error::ServiceError;
use crate::startup::State;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/lots")
            .route(web::get().to(super::admin::lots))
            .route(web::post().to(create_lot)),
    )
    .service(
        web::resource("/admin/lots/{id}")
            .route(web::get().to(show_lot))
            .route(web::patch().to(update_lot)),
    )
    .route("/admin/lots/{id}/publish", web::post().to(publish_lot))
    .route("/admin/lots/{id}/close", web::post().to(close_lot))
    .route("/admin/lots/{id}/cascade", web::put().to(set_cascade))
    .route("/admin/lots/{id}/products", web::post().to(create_product))
    .route("/admin/products/{id}", web::patch().to(update_product))
    .route(
        "/admin/products/{id}/offers/{supplier_id}",
        web::put().to(set_offer),
    )
    .service(
        web::resource("/admin/categories")
            .route(web::get().to(categories))
            .route(web::post().to(create_category)),
    )
    .route("/admin/categories/{id}", web::patch().to(update_category));
}

/// A lot with its products and their offers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LotDetail {
    #[serde(flatten)]
    lot: AdminLot,
    products: Vec<AdminProduct>,
}

/// A new lot; it starts as a draft.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewLotJson {
    reference: String,
    /// A category code.
    category: String,
    /// `goods` or `services`.
    kind: String,
    title_fr: String,
    title_nl: String,
    #[serde(default)]
    description_fr: String,
    #[serde(default)]
    description_nl: String,
    /// `YYYY-MM-DD`
    valid_from: String,
    /// `YYYY-MM-DD`
    valid_until: String,
}

/// The fields to change; the others keep their value.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct LotPatchJson {
    reference: Option<String>,
    category: Option<String>,
    kind: Option<String>,
    title_fr: Option<String>,
    title_nl: Option<String>,
    description_fr: Option<String>,
    description_nl: Option<String>,
    valid_from: Option<String>,
    valid_until: Option<String>,
}

/// One supplier of the proposed cascade.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CascadeEntryJson {
    /// 1 to 5; the ranks of a cascade run 1, 2, 3… without gaps.
    rank: i64,
    supplier_id: i64,
    /// Whether the supplier takes this lot's orders (default true).
    #[serde(default = "yes")]
    active: bool,
}

fn yes() -> bool {
    true
}

/// The whole cascade, replacing the current one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CascadeJson {
    suppliers: Vec<CascadeEntryJson>,
}

/// A lot's cascade by rank.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CascadeListing {
    items: Vec<RankedSupplier>,
    total: usize,
}

/// A new product of the lot.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewProductJson {
    sku: String,
    name_fr: String,
    name_nl: String,
    #[serde(default)]
    description_fr: String,
    #[serde(default)]
    description_nl: String,
    packaging_fr: String,
    packaging_nl: String,
    /// UN/ECE Recommendation 20: BX, PK, CT, BO, EA, HUR (hour) or DAY.
    unit_code: String,
    #[serde(default)]
    standards: Vec<String>,
    vat_class: String,
    #[serde(default = "one")]
    min_quantity: u32,
    #[serde(default = "one")]
    order_multiple: u32,
    #[serde(default = "yes")]
    active: bool,
}

fn one() -> u32 {
    1
}

/// The fields to change; the others keep their value.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ProductPatchJson {
    sku: Option<String>,
    name_fr: Option<String>,
    name_nl: Option<String>,
    description_fr: Option<String>,
    description_nl: Option<String>,
    packaging_fr: Option<String>,
    packaging_nl: Option<String>,
    unit_code: Option<String>,
    standards: Option<Vec<String>>,
    vat_class: Option<String>,
    min_quantity: Option<u32>,
    order_multiple: Option<u32>,
    active: Option<bool>,
}

/// A cascade supplier's offer for the product.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct OfferJson {
    /// Excluding VAT, as an exact decimal string, e.g. `"12.50"`.
    price: String,
    #[serde(default = "yes")]
    available: bool,
    /// `YYYY-MM-DD`: when an unavailable supplier can deliver again.
    unavailable_until: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CategoryJson {
    id: i64,
    code: String,
    name_fr: String,
    name_nl: String,
    position: i32,
    lot_count: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CategoryListing {
    items: Vec<CategoryJson>,
    total: usize,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewCategoryJson {
    /// Lowercase letters, digits and dashes.
    code: String,
    name_fr: String,
    name_nl: String,
    #[serde(default)]
    position: i32,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CategoryPatchJson {
    code: Option<String>,
    name_fr: Option<String>,
    name_nl: Option<String>,
    position: Option<i32>,
}

/// The body is read only after the caller is known to be an admin, so that any other caller
/// gets 401 or 403 whatever it sent.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

fn lot_fields(lot: &AdminLot) -> LotFields {
    LotFields {
        reference: lot.reference.clone(),
        category_code: lot.category.clone(),
        kind: lot.kind.clone(),
        title: Bilingual::new(&lot.title_fr, &lot.title_nl),
        description: Bilingual::new(&lot.description_fr, &lot.description_nl),
        valid_from: lot.valid_from.to_string(),
        valid_until: lot.valid_until.to_string(),
    }
}

fn product_fields(p: &AdminProduct) -> ProductFields {
    ProductFields {
        sku: p.sku.clone(),
        name: Bilingual::new(&p.name_fr, &p.name_nl),
        description: Bilingual::new(&p.description_fr, &p.description_nl),
        packaging: Bilingual::new(&p.packaging_fr, &p.packaging_nl),
        unit_code: p.unit_code.clone(),
        standards: p.standards.join("\n"),
        vat_class: p.vat_class.clone(),
        min_quantity: p.min_quantity.to_string(),
        order_multiple: p.order_multiple.to_string(),
        active: p.active,
    }
}

fn lot_detail(conn: &mut crate::db::Conn, id: i64) -> Result<LotDetail, ServiceError> {
    Ok(LotDetail {
        lot: bo::lot(conn, id)?,
        products: bo::products_of_lot(conn, id)?,
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/lots",
    tag = "admin",
    summary = "Create a lot",
    description = "A new lot (framework contract), as a draft until published.",
    operation_id = "admin_lots_create",
    request_body = NewLotJson,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = LotDetail, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn create_lot(
    admin: AdminApi,
    state: State,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: NewLotJson = json_body(&body)?;
    let b = body;
    let fields = LotFields {
        reference: b.reference,
        category_code: b.category,
        kind: b.kind,
        title: Bilingual::new(b.title_fr, b.title_nl),
        description: Bilingual::new(b.description_fr, b.description_nl),
        valid_from: b.valid_from,
        valid_until: b.valid_until,
    };
    let now = state.clock.now_naive();
    let detail = state
        .pool
        .run(move |conn| {
            let id = bo::create_lot(conn, now, &admin.0, &fields)?;
            lot_detail(conn, id)
        })
        .await?;
    Ok(HttpResponse::Created().json(detail))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/lots/{id}",
    tag = "admin",
    summary = "One lot",
    description = "A lot in any status with its cascade, products and offers.",
    operation_id = "admin_lots_show",
    params(("id" = i64, Path, description = "The lot id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The lot", body = LotDetail, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn show_lot(
    _admin: AdminApi,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let detail = state.pool.run(move |conn| lot_detail(conn, id)).await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[utoipa::path(
    patch,
    path = "/api/v1/admin/lots/{id}",
    tag = "admin",
    summary = "Change a lot",
    description = "Changes the given fields of a lot; its status changes only through publish and close.",
    operation_id = "admin_lots_update",
    params(("id" = i64, Path, description = "The lot id")),
    request_body = LotPatchJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The lot as changed", body = LotDetail, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn update_lot(
    admin: AdminApi,
    state: State,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: LotPatchJson = json_body(&body)?;
    let id = id.into_inner();
    let patch = body;
    let now = state.clock.now_naive();
    let detail = state
        .pool
        .run(move |conn| {
            let current = bo::lot(conn, id)?;
            let mut f = lot_fields(&current);
            replace_if_given(&mut f.reference, patch.reference);
            replace_if_given(&mut f.category_code, patch.category);
            replace_if_given(&mut f.kind, patch.kind);
            replace_if_given(&mut f.title.fr, patch.title_fr);
            replace_if_given(&mut f.title.nl, patch.title_nl);
            replace_if_given(&mut f.description.fr, patch.description_fr);
            replace_if_given(&mut f.description.nl, patch.description_nl);
            replace_if_given(&mut f.valid_from, patch.valid_from);
            replace_if_given(&mut f.valid_until, patch.valid_until);
            bo::update_lot(conn, now, &admin.0, id, &f)?;
            lot_detail(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/lots/{id}/publish",
    tag = "admin",
    summary = "Publish a lot",
    description = "Opens a draft lot to orders; refused (409) while it has no active cascade supplier or no active product.",
    operation_id = "admin_lots_publish",
    params(("id" = i64, Path, description = "The lot id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The lot, published", body = LotDetail, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn publish_lot(
    admin: AdminApi,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let detail = state
        .pool
        .run(move |conn| {
            bo::publish_lot(conn, now, &admin.0, id)?;
            lot_detail(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/lots/{id}/close",
    tag = "admin",
    summary = "Close a lot",
    description = "Ends a published lot: it takes no more orders.",
    operation_id = "admin_lots_close",
    params(("id" = i64, Path, description = "The lot id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The lot, closed", body = LotDetail, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict with the current state", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn close_lot(
    admin: AdminApi,
    state: State,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let detail = state
        .pool
        .run(move |conn| {
            bo::close_lot(conn, now, &admin.0, id)?;
            lot_detail(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/lots/{id}/cascade",
    tag = "admin",
    summary = "Set a lot's cascade",
    description = "Replaces the whole ranked list: at most five suppliers, each once, ranks 1..n without gaps; a supplier whose account is suspended may keep its place but not join.",
    operation_id = "admin_lots_cascade",
    params(("id" = i64, Path, description = "The lot id")),
    request_body = CascadeJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cascade as stored", body = CascadeListing, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn set_cascade(
    admin: AdminApi,
    state: State,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: CascadeJson = json_body(&body)?;
    let id = id.into_inner();
    let proposal: Vec<ProposedEntry> = body
        .suppliers
        .into_iter()
        .map(|e| ProposedEntry {
            rank: e.rank,
            supplier: SupplierId(e.supplier_id),
            active: e.active,
        })
        .collect();
    let now = state.clock.now_naive();
    let items = state
        .pool
        .run(move |conn| bo::set_cascade(conn, now, &admin.0, id, proposal))
        .await?;
    Ok(HttpResponse::Ok().json(CascadeListing {
        total: items.len(),
        items,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/lots/{id}/products",
    tag = "admin",
    summary = "Add a product to a lot",
    description = "A new product; prices are then set per cascade supplier.",
    operation_id = "admin_products_create",
    params(("id" = i64, Path, description = "The lot id")),
    request_body = NewProductJson,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = AdminProduct, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn create_product(
    admin: AdminApi,
    state: State,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: NewProductJson = json_body(&body)?;
    let lot_id = id.into_inner();
    let b = body;
    let fields = ProductFields {
        sku: b.sku,
        name: Bilingual::new(b.name_fr, b.name_nl),
        description: Bilingual::new(b.description_fr, b.description_nl),
        packaging: Bilingual::new(b.packaging_fr, b.packaging_nl),
        unit_code: b.unit_code,
        standards: b.standards.join("\n"),
        vat_class: b.vat_class,
        min_quantity: b.min_quantity.to_string(),
        order_multiple: b.order_multiple.to_string(),
        active: b.active,
    };
    let now = state.clock.now_naive();
    let product = state
        .pool
        .run(move |conn| {
            let id = bo::create_product(conn, now, &admin.0, lot_id, &fields)?;
            bo::product(conn, id)
        })
        .await?;
    Ok(HttpResponse::Created().json(product))
}

#[utoipa::path(
    patch,
    path = "/api/v1/admin/products/{id}",
    tag = "admin",
    summary = "Change a product",
    description = "Changes the given fields of a product; `active: false` withdraws it from the catalogue.",
    operation_id = "admin_products_update",
    params(("id" = i64, Path, description = "The product id")),
    request_body = ProductPatchJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The product as changed", body = AdminProduct, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn update_product(
    admin: AdminApi,
    state: State,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: ProductPatchJson = json_body(&body)?;
    let id = id.into_inner();
    let patch = body;
    let now = state.clock.now_naive();
    let product = state
        .pool
        .run(move |conn| {
            let current = bo::product(conn, id)?;
            let mut f = product_fields(&current);
            replace_if_given(&mut f.sku, patch.sku);
            replace_if_given(&mut f.name.fr, patch.name_fr);
            replace_if_given(&mut f.name.nl, patch.name_nl);
            replace_if_given(&mut f.description.fr, patch.description_fr);
            replace_if_given(&mut f.description.nl, patch.description_nl);
            replace_if_given(&mut f.packaging.fr, patch.packaging_fr);
            replace_if_given(&mut f.packaging.nl, patch.packaging_nl);
            replace_if_given(&mut f.unit_code, patch.unit_code);
            replace_if_given(&mut f.standards, patch.standards.map(|s| s.join("\n")));
            replace_if_given(&mut f.vat_class, patch.vat_class);
            replace_if_given(
                &mut f.min_quantity,
                patch.min_quantity.map(|n| n.to_string()),
            );
            replace_if_given(
                &mut f.order_multiple,
                patch.order_multiple.map(|n| n.to_string()),
            );
            if let Some(active) = patch.active {
                f.active = active;
            }
            bo::update_product(conn, now, &admin.0, id, &f)?;
            bo::product(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(product))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/products/{id}/offers/{supplier_id}",
    tag = "admin",
    summary = "Set a supplier's offer",
    description = "The price and availability of one cascade supplier for the product.",
    operation_id = "admin_products_offer",
    params(
        ("id" = i64, Path, description = "The product id"),
        ("supplier_id" = i64, Path, description = "A supplier of the lot's cascade")
    ),
    request_body = OfferJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The product with its offers", body = AdminProduct, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn set_offer(
    admin: AdminApi,
    state: State,
    path: web::Path<(i64, i64)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: OfferJson = json_body(&body)?;
    let (product_id, supplier_id) = path.into_inner();
    let b = body;
    let fields = OfferFields {
        price: b.price,
        available: b.available,
        unavailable_until: b.unavailable_until.unwrap_or_default(),
    };
    let now = state.clock.now_naive();
    let product = state
        .pool
        .run(move |conn| {
            bo::set_offer(conn, now, &admin.0, product_id, supplier_id, &fields)?;
            bo::product(conn, product_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(product))
}

fn category_listing(conn: &mut crate::db::Conn) -> Result<Vec<CategoryJson>, ServiceError> {
    let counts = q::lot_counts_by_category(conn)?;
    Ok(reference::categories(conn)?
        .into_iter()
        .map(|c| CategoryJson {
            lot_count: counts
                .iter()
                .find(|(id, _)| *id == c.id)
                .map(|(_, n)| *n)
                .unwrap_or(0),
            id: c.id,
            code: c.code,
            name_fr: c.name_fr,
            name_nl: c.name_nl,
            position: c.position,
        })
        .collect())
}

fn one_category(conn: &mut crate::db::Conn, id: i64) -> Result<CategoryJson, ServiceError> {
    category_listing(conn)?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(ServiceError::NotFound("category"))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/categories",
    tag = "admin",
    summary = "Categories",
    description = "Every category of the catalogue, in display order, with its number of lots.",
    operation_id = "admin_categories_list",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The categories", body = CategoryListing, content_type = "application/json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn categories(_admin: AdminApi, state: State) -> Result<HttpResponse, ApiError> {
    let items = state.pool.run(category_listing).await?;
    Ok(HttpResponse::Ok().json(CategoryListing {
        total: items.len(),
        items,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/categories",
    tag = "admin",
    summary = "Create a category",
    description = "A new category of the catalogue.",
    operation_id = "admin_categories_create",
    request_body = NewCategoryJson,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = CategoryJson, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn create_category(
    admin: AdminApi,
    state: State,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: NewCategoryJson = json_body(&body)?;
    let b = body;
    let fields = CategoryFields {
        code: b.code,
        name: Bilingual::new(b.name_fr, b.name_nl),
        position: b.position.to_string(),
    };
    let now = state.clock.now_naive();
    let category = state
        .pool
        .run(move |conn| {
            let id = bo::create_category(conn, now, &admin.0, &fields)?;
            one_category(conn, id)
        })
        .await?;
    Ok(HttpResponse::Created().json(category))
}

#[utoipa::path(
    patch,
    path = "/api/v1/admin/categories/{id}",
    tag = "admin",
    summary = "Change a category",
    description = "Changes the given fields of a category.",
    operation_id = "admin_categories_update",
    params(("id" = i64, Path, description = "The category id")),
    request_body = CategoryPatchJson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The category as changed", body = CategoryJson, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No access token, or an invalid, expired or revoked one", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not use this endpoint, or its organisation is not active", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not found", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn update_category(
    admin: AdminApi,
    state: State,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: CategoryPatchJson = json_body(&body)?;
    let id = id.into_inner();
    let patch = body;
    let now = state.clock.now_naive();
    let category = state
        .pool
        .run(move |conn| {
            let current = bo::category(conn, id)?;
            let fields = CategoryFields {
                code: patch.code.unwrap_or(current.code),
                name: Bilingual::new(
                    patch.name_fr.unwrap_or(current.name_fr),
                    patch.name_nl.unwrap_or(current.name_nl),
                ),
                position: patch.position.unwrap_or(current.position).to_string(),
            };
            bo::update_category(conn, now, &admin.0, id, &fields)?;
            one_category(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(category))
}

/// PATCH semantics: a field left out of the body keeps its stored value.
fn replace_if_given(target: &mut String, value: Option<String>) {
    if let Some(value) = value {
        *target = value;
    }
}
