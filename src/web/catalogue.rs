//! Catalogue pages: the published lots and products, search, lot and product pages.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{encode, Page, WebError};
use std::sync::Arc;

use crate::catalogue::cache::{FragmentKey, Published, Selection};
use crate::catalogue::{CatalogueFilter, CategoryView, LotView, Orderability, ProductView};
use crate::domain::vat::{compute_totals, PricedLine};
use crate::domain::Language;
use crate::startup::State;

#[derive(Debug, Deserialize)]
pub struct CatalogueQuery {
    q: Option<String>,
    category: Option<String>,
    /// Read leniently: anything but a page number shows the first page.
    page: Option<String>,
}

/// Products per catalogue page.
pub const PAGE_SIZE: usize = 50;

/// Today's published catalogue, from the in-memory cache when it is current.
async fn published(state: &State, language: Language) -> Result<Arc<Published>, WebError> {
    let today = state.clock.today();
    let cache = state.clone();
    state
        .pool
        .run(move |conn| cache.catalogue_cache.published(conn, today))
        .await
        .map_err(|e| WebError::db(language, e))
}

pub async fn index(
    request: HttpRequest,
    state: State,
    query: web::Query<CatalogueQuery>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let query = query.into_inner();
    let search = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| q.chars().take(200).collect::<String>());
    let category = query.category.filter(|c| !c.is_empty());
    let requested = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let language = page.language;
    let published = published(&state, language).await?;
    let build = || {
        let key = FragmentKey::new(
            "catalogue",
            language.code(),
            &[
                search.as_deref().unwrap_or(""),
                category.as_deref().unwrap_or(""),
                &requested.to_string(),
            ],
        );
        let listing = state.catalogue_cache.fragment(&published, key, || {
            let filter = CatalogueFilter {
                query: search.clone(),
                category: category.clone(),
                lot: None,
            };
            let selection = published.filter(&filter);
            let data = listing_json(
                &selection,
                language,
                requested,
                search.as_deref(),
                category.as_deref(),
            );
            state
                .templates
                .render(
                    "catalogue/listing",
                    &json!({ "lang": language.code(), "page": data }),
                )
                .map_err(|e| WebError::internal(language, e))
        })?;
        let data = json!({
            "query": search,
            "category": category,
            "categories": categories(&published.catalogue.categories, language, category.as_deref()),
            "listing": &*listing,
        });
        let mut title = match &search {
            Some(q) => format!("{} « {} »", page.t("search-results-title"), q),
            None => page.t("catalogue-title"),
        };
        if requested > 1 {
            title = format!(
                "{title} ({})",
                state.translations.text(
                    language,
                    "pagination-page",
                    Some(&fluent_bundle::FluentArgs::from_iter([(
                        "page",
                        requested.min(99_999) as i64
                    )]))
                )
            );
        }
        page.render_body("catalogue/index", title, data)
    };
    shared_or_personal(&page, &published, "catalogue-page", build)
}

/// Renders with `build`, sharing the HTML between visitors who are not signed in (see
/// [`Page::shared_key`]) until the catalogue changes.
fn shared_or_personal(
    page: &Page<'_>,
    published: &Published,
    view: &str,
    build: impl FnOnce() -> Result<String, WebError>,
) -> Result<HttpResponse, WebError> {
    let body = match page.shared_key(view) {
        Some(key) => page
            .state
            .catalogue_cache
            .fragment(published, key, build)?
            .to_string(),
        None => build()?,
    };
    Ok(page.respond(actix_web::http::StatusCode::OK, body))
}

/// The listing under the search form: counts, one page of products grouped by lot, and the
/// links to the other pages. A page past the end shows the last one.
fn listing_json(
    selection: &Selection<'_>,
    language: Language,
    requested: usize,
    search: Option<&str>,
    category: Option<&str>,
) -> Value {
    let total = selection.product_count();
    let last = total.div_ceil(PAGE_SIZE).max(1);
    let current = requested.min(last);
    let href = |number: usize| {
        let mut params = Vec::new();
        if let Some(q) = search {
            params.push(format!("q={}", encode(q)));
        }
        if let Some(c) = category {
            params.push(format!("category={}", encode(c)));
        }
        if number > 1 {
            params.push(format!("page={number}"));
        }
        if params.is_empty() {
            "/catalogue".to_owned()
        } else {
            format!("/catalogue?{}", params.join("&"))
        }
    };
    let mut previous_lot = None;
    if current > 1 {
        previous_lot = selection
            .products()
            .nth((current - 1) * PAGE_SIZE - 1)
            .map(|(lot, _)| lot.id);
    }
    let lots: Vec<Value> = selection
        .page((current - 1) * PAGE_SIZE, PAGE_SIZE)
        .into_iter()
        .map(|(lot, products)| {
            let mut json = lot_header_json(lot, language);
            json["continued"] = Value::Bool(previous_lot == Some(lot.id));
            json["products"] = Value::Array(
                products
                    .into_iter()
                    .map(|p| product_json(p, language))
                    .collect(),
            );
            json
        })
        .collect();
    let links: Vec<Value> = page_numbers(current, last)
        .into_iter()
        .map(|n| match n {
            Some(number) => json!({
                "number": number,
                "href": href(number),
                "current": number == current,
            }),
            None => json!({ "gap": true }),
        })
        .collect();
    json!({
        "searched": search.is_some() || category.is_some(),
        "product_count": total,
        "lot_count": selection.lots.len(),
        "lots": lots,
        "pages": {
            "many": last > 1,
            "current": current,
            "last": last,
            "previous": (current > 1).then(|| href(current - 1)),
            "next": (current < last).then(|| href(current + 1)),
            "links": links,
        },
    })
}

/// The page numbers to link: the first, the last and two either side of the current one,
/// with `None` where numbers are left out.
pub fn page_numbers(current: usize, last: usize) -> Vec<Option<usize>> {
    let mut numbers = Vec::new();
    for n in 1..=last {
        let near = n + 2 >= current && n <= current + 2;
        if n == 1 || n == last || near {
            numbers.push(Some(n));
        } else if numbers.last() != Some(&None) {
            numbers.push(None);
        }
    }
    numbers
}

pub async fn lot(
    request: HttpRequest,
    state: State,
    reference: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let reference = reference.into_inner();
    let published = published(&state, page.language).await?;
    let Some(lot) = published.lot(&reference) else {
        return Err(WebError::not_found(page.language));
    };
    let language = page.language;
    let build = || {
        let key = FragmentKey::new("lot", language.code(), &[&reference]);
        let table = state.catalogue_cache.fragment(&published, key, || {
        state
            .templates
            .render(
                "partials/product_table",
                &json!({ "lang": language.code(), "title": lot.title.get(language),
                         "products": lot.products.iter().map(|p| product_json(p, language)).collect::<Vec<_>>() }),
            )
            .map_err(|e| WebError::internal(language, e))
    })?;
        let mut data = json!({ "lot": lot_header_json(lot, language) });
        data["lot"]["table"] = Value::String(table.to_string());
        page.render_body("catalogue/lot", lot.title.get(language).to_owned(), data)
    };
    shared_or_personal(&page, &published, "lot-page", build)
}

pub async fn product(
    request: HttpRequest,
    state: State,
    sku: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let sku = sku.into_inner();
    let published = published(&state, page.language).await?;
    let Some((lot, product)) = published.product(&sku) else {
        return Err(WebError::not_found(page.language));
    };
    let build = || {
        let data = json!({
            "lot": lot_json(&lot, page.language),
            "product": product_json(&product, page.language),
        });
        page.render_body(
            "catalogue/product",
            product.name.get(page.language).to_owned(),
            data,
        )
    };
    shared_or_personal(&page, &published, "product-page", build)
}

fn categories(
    categories: &[CategoryView],
    language: Language,
    selected: Option<&str>,
) -> Vec<Value> {
    categories
        .iter()
        .map(|c| {
            json!({
                "code": c.code,
                "name": c.name.get(language),
                "selected": selected == Some(c.code.as_str()),
            })
        })
        .collect()
}

fn orderability_key(orderability: Orderability) -> Option<&'static str> {
    match orderability {
        Orderability::Open => None,
        Orderability::NotYetValid => Some("lot-not-yet-valid"),
        Orderability::Expired => Some("lot-expired"),
        Orderability::Closed => Some("lot-closed"),
    }
}

pub fn lot_json(lot: &LotView, language: Language) -> Value {
    let mut json = lot_header_json(lot, language);
    json["products"] = Value::Array(
        lot.products
            .iter()
            .map(|p| product_json(p, language))
            .collect(),
    );
    json
}

fn lot_header_json(lot: &LotView, language: Language) -> Value {
    json!({
        "reference": lot.reference,
        "href": format!("/lots/{}", encode(&lot.reference)),
        "title": lot.title.get(language),
        "description": lot.description.get(language),
        "category": lot.category.name.get(language),
        "services": lot.kind == "services",
        "valid_from": lot.valid_from.to_string(),
        "valid_until": lot.valid_until.to_string(),
        "not_orderable": orderability_key(lot.orderability),
    })
}

pub fn product_json(product: &ProductView, language: Language) -> Value {
    let offer = product.offer.as_ref().map(|offer| {
        let gross = product.vat_rate.and_then(|rate| {
            compute_totals(&[PricedLine {
                unit_price: offer.unit_price,
                quantity: 1,
                vat_rate: rate,
            }])
            .ok()
            .map(|totals| totals.gross.cents())
        });
        json!({
            "supplier": offer.supplier_name,
            "rank": offer.rank,
            "price_cents": offer.unit_price.cents(),
            "price_incl_cents": gross,
        })
    });
    json!({
        "sku": product.sku,
        "href": format!("/products/{}", encode(&product.sku)),
        "name": product.name.get(language),
        "description": product.description.get(language),
        "packaging": product.packaging.get(language),
        "unit_code": product.unit_code,
        "unit_key": crate::catalogue::back_office::unit_label_key(&product.unit_code),
        "standards": product.standards,
        "vat_bp": product.vat_rate.map(|r| r.basis_points()),
        "min_quantity": product.min_quantity,
        "order_multiple": product.order_multiple,
        "quantity_rule": product.min_quantity > 1 || product.order_multiple > 1,
        "offer": offer,
    })
}
