//! Public catalogue as JSON: `GET /api/v1/catalogue/lots` and `/catalogue/products`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::api::problem::ApiError;
use std::sync::Arc;

use crate::catalogue::cache::{FragmentKey, Published};
use crate::catalogue::{Bilingual, CatalogueFilter, LotView, Orderability, ProductView};
use crate::startup::State;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 500;

#[derive(Debug, Serialize)]
struct CategoryJson<'a> {
    code: &'a str,
    name: &'a Bilingual,
}

#[derive(Debug, Serialize)]
struct LotJson<'a> {
    reference: &'a str,
    kind: &'a str,
    title: &'a Bilingual,
    description: &'a Bilingual,
    category: CategoryJson<'a>,
    valid_from: chrono::NaiveDate,
    valid_until: chrono::NaiveDate,
    orderability: Orderability,
    product_count: usize,
}

#[derive(Debug, Serialize)]
struct PriceJson<'a> {
    supplier_id: i64,
    supplier_name: &'a str,
    cascade_rank: u8,
    unit_price_cents: i64,
    unit_price: String,
    currency: &'static str,
}

#[derive(Debug, Serialize)]
struct ProductJson<'a> {
    sku: &'a str,
    lot_reference: &'a str,
    name: &'a Bilingual,
    description: &'a Bilingual,
    packaging: &'a Bilingual,
    unit_code: &'a str,
    standards: &'a [String],
    vat_rate_percent: Option<String>,
    min_quantity: u32,
    order_multiple: u32,
    available: bool,
    current_price: Option<PriceJson<'a>>,
}

#[derive(Debug, Serialize)]
struct Listing<T> {
    items: Vec<T>,
    total: usize,
    limit: usize,
    offset: usize,
}

fn lot_json(lot: &LotView) -> LotJson<'_> {
    LotJson {
        reference: &lot.reference,
        kind: &lot.kind,
        title: &lot.title,
        description: &lot.description,
        category: CategoryJson {
            code: &lot.category.code,
            name: &lot.category.name,
        },
        valid_from: lot.valid_from,
        valid_until: lot.valid_until,
        orderability: lot.orderability,
        product_count: lot.products.len(),
    }
}

fn product_json(product: &ProductView) -> ProductJson<'_> {
    ProductJson {
        sku: &product.sku,
        lot_reference: &product.lot_reference,
        name: &product.name,
        description: &product.description,
        packaging: &product.packaging,
        unit_code: &product.unit_code,
        standards: &product.standards,
        vat_rate_percent: product.vat_rate.map(|r| r.as_percent().to_string()),
        min_quantity: product.min_quantity,
        order_multiple: product.order_multiple,
        available: product.offer.is_some(),
        current_price: product.offer.as_ref().map(|o| PriceJson {
            supplier_id: o.supplier_id,
            supplier_name: &o.supplier_name,
            cascade_rank: o.rank,
            unit_price_cents: o.unit_price.cents(),
            unit_price: o.unit_price.to_plain_string(),
            currency: "EUR",
        }),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LotsQuery {
    category: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/catalogue/lots",
    tag = "catalogue",
    summary = "Published lots",
    description = "The lots of the public catalogue, optionally of one category.",
    operation_id = "catalogue_lots",
    params(LotsQuery),
    security(()),
    responses(
        (status = 200, description = "The lots", body = super::openapi::LotListing, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn lots(state: State, query: web::Query<LotsQuery>) -> Result<HttpResponse, ApiError> {
    let filter = CatalogueFilter {
        category: query.into_inner().category,
        ..Default::default()
    };
    let published = published(&state).await?;
    let selection = published.filter(&filter);
    let items: Vec<LotJson> = selection
        .lots
        .iter()
        .map(|(lot, _)| lot_json(lot))
        .collect();
    Ok(HttpResponse::Ok().json(Listing {
        total: items.len(),
        limit: items.len(),
        offset: 0,
        items,
    }))
}

/// Today's published catalogue, from the in-memory cache when it is current.
async fn published(state: &State) -> Result<Arc<Published>, ApiError> {
    let today = state.clock.today();
    let cache = state.clone();
    Ok(state
        .pool
        .run(move |conn| cache.catalogue_cache.published(conn, today))
        .await?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductsQuery {
    lot: Option<String>,
    q: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/catalogue/products",
    tag = "catalogue",
    summary = "Products",
    description = "The products of published lots with their current price, searchable and paged.",
    operation_id = "catalogue_products",
    params(ProductsQuery),
    security(()),
    responses(
        (status = 200, description = "A page of products", body = super::openapi::ProductListing, content_type = "application/json"),
        (status = 400, description = "Malformed request: invalid query, JSON body or limit", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published lot with this reference", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is temporarily unavailable (Retry-After)", body = super::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn products(
    state: State,
    query: web::Query<ProductsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    if query.q.as_deref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::BadRequest(
            "q is limited to 200 characters".into(),
        ));
    }
    let offset = query.offset.unwrap_or(0);
    let lot = query.lot.clone();
    let filter = CatalogueFilter {
        query: query.q,
        category: None,
        lot: query.lot,
    };
    let published = published(&state).await?;
    if let Some(reference) = lot.clone() {
        if published.filter(&filter).lots.is_empty()
            && filter_lot_missing(&state, reference).await?
        {
            return Err(ApiError::NotFound(
                "no published lot with this reference".into(),
            ));
        }
    }
    let key = FragmentKey::new(
        "api-products",
        "",
        &[
            filter.query.as_deref().unwrap_or(""),
            lot.as_deref().unwrap_or(""),
            &limit.to_string(),
            &offset.to_string(),
        ],
    );
    let body = state.catalogue_cache.fragment(&published, key, || {
        let selection = published.filter(&filter);
        let total = selection.product_count();
        let items: Vec<ProductJson> = selection
            .products()
            .skip(offset)
            .take(limit)
            .map(|(_, product)| product_json(product))
            .collect();
        serde_json::to_string(&Listing {
            items,
            total,
            limit,
            offset,
        })
        .map_err(|_| ApiError::Internal)
    })?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body.to_string()))
}

/// A search inside an existing lot may find nothing; an unknown lot is a 404.
async fn filter_lot_missing(state: &State, reference: String) -> Result<bool, ApiError> {
    let lot = state
        .pool
        .run(move |conn| crate::db::catalogue::lot_by_reference(conn, &reference))
        .await?;
    Ok(lot.is_none_or(|l| l.status != "published"))
}
