//! Catalogue pages: the published lots and products, search, lot and product pages.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{encode, Page, WebError};
use crate::catalogue::{self, Catalogue, CatalogueFilter, LotView, Orderability, ProductView};
use crate::domain::vat::{compute_totals, PricedLine};
use crate::domain::Language;
use crate::startup::State;

#[derive(Debug, Deserialize)]
pub struct CatalogueQuery {
    q: Option<String>,
    category: Option<String>,
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
    let filter = CatalogueFilter {
        query: search.clone(),
        category: category.clone(),
        lot: None,
    };
    let today = state.clock.today();
    let catalogue = state
        .pool
        .run(move |conn| catalogue::load(conn, today, &filter))
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let language = page.language;
    let data = json!({
        "query": search,
        "searched": search.is_some() || category.is_some(),
        "category": category,
        "categories": categories(&catalogue, language, category.as_deref()),
        "lots": catalogue.lots.iter().map(|lot| lot_json(lot, language)).collect::<Vec<_>>(),
        "product_count": catalogue.product_count(),
        "lot_count": catalogue.lots.len(),
    });
    let title = match &search {
        Some(q) => format!("{} « {} »", page.t("search-results-title"), q),
        None => page.t("catalogue-title"),
    };
    page.render("catalogue/index", title, data)
}

pub async fn lot(
    request: HttpRequest,
    state: State,
    reference: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let reference = reference.into_inner();
    let today = state.clock.today();
    let filter = CatalogueFilter {
        lot: Some(reference),
        ..Default::default()
    };
    let catalogue = state
        .pool
        .run(move |conn| catalogue::load(conn, today, &filter))
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let Some(lot) = catalogue.lots.first() else {
        return Err(WebError::not_found(page.language));
    };
    let data = json!({ "lot": lot_json(lot, page.language) });
    page.render(
        "catalogue/lot",
        lot.title.get(page.language).to_owned(),
        data,
    )
}

pub async fn product(
    request: HttpRequest,
    state: State,
    sku: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let page = Page::load(&request, &state).await?;
    let sku = sku.into_inner();
    let today = state.clock.today();
    let found = state
        .pool
        .run(move |conn| catalogue::product(conn, today, &sku))
        .await
        .map_err(|e| WebError::db(page.language, e))?;
    let Some((lot, product)) = found else {
        return Err(WebError::not_found(page.language));
    };
    let data = json!({
        "lot": lot_json(&lot, page.language),
        "product": product_json(&product, page.language),
    });
    page.render(
        "catalogue/product",
        product.name.get(page.language).to_owned(),
        data,
    )
}

fn categories(catalogue: &Catalogue, language: Language, selected: Option<&str>) -> Vec<Value> {
    catalogue
        .categories
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
        "products": lot.products.iter().map(|p| product_json(p, language)).collect::<Vec<_>>(),
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
