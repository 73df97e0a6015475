//! The catalogue: published lots and their products, with the price of the supplier an
//! order would go to right now, plus the authority's operations that shape it (lots,
//! cascades, products, offers), each validated by the domain before anything is written.

pub mod import;
pub mod search;

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::db::catalogue as q;
use crate::db::reference;
use crate::db::{Conn, DbError};
use crate::domain::cascade::{current_candidate, Cascade, CascadeEntry, OfferView};
use crate::domain::vat::{VatPeriod, VatRate, VatSchedule};
use crate::domain::{Cents, Language, QuantityRule, Rank, Sku, SupplierId};
use crate::error::ServiceError;
use crate::validation::ValidationErrors;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Bilingual {
    pub fr: String,
    pub nl: String,
}

impl Bilingual {
    pub fn new(fr: impl Into<String>, nl: impl Into<String>) -> Self {
        Bilingual {
            fr: fr.into(),
            nl: nl.into(),
        }
    }

    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Fr => &self.fr,
            Language::Nl => &self.nl,
        }
    }
}

/// Whether a lot takes orders today, and if not, why.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Orderability {
    Open,
    NotYetValid,
    Expired,
    Closed,
}

impl Orderability {
    pub fn of(
        status: &str,
        valid_from: NaiveDate,
        valid_until: NaiveDate,
        today: NaiveDate,
    ) -> Self {
        if status != "published" {
            Orderability::Closed
        } else if today < valid_from {
            Orderability::NotYetValid
        } else if today > valid_until {
            Orderability::Expired
        } else {
            Orderability::Open
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryView {
    pub code: String,
    pub name: Bilingual,
}

#[derive(Debug, Clone, Serialize)]
pub struct LotView {
    pub id: i64,
    pub reference: String,
    pub kind: String,
    pub title: Bilingual,
    pub description: Bilingual,
    pub category: CategoryView,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: String,
    pub orderability: Orderability,
    pub products: Vec<ProductView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrentOffer {
    pub supplier_id: i64,
    pub supplier_name: String,
    pub rank: u8,
    pub unit_price: Cents,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProductView {
    pub id: i64,
    pub sku: String,
    pub lot_id: i64,
    pub lot_reference: String,
    pub name: Bilingual,
    pub description: Bilingual,
    pub packaging: Bilingual,
    pub unit_code: String,
    pub standards: Vec<String>,
    pub vat_rate: Option<VatRate>,
    pub min_quantity: u32,
    pub order_multiple: u32,
    /// The supplier an order placed now would go to, with its price; `None` when no
    /// supplier of the cascade can deliver.
    pub offer: Option<CurrentOffer>,
}

#[derive(Debug, Clone, Default)]
pub struct CatalogueFilter {
    pub query: Option<String>,
    pub category: Option<String>,
    pub lot: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Catalogue {
    pub categories: Vec<CategoryView>,
    pub lots: Vec<LotView>,
}

impl Catalogue {
    pub fn product_count(&self) -> usize {
        self.lots.iter().map(|lot| lot.products.len()).sum()
    }
}

/// An offer counts as available when flagged so, or when the date it was unavailable until
/// has come.
pub fn offer_available(
    available: bool,
    unavailable_until: Option<NaiveDate>,
    today: NaiveDate,
) -> bool {
    available || unavailable_until.is_some_and(|until| today >= until)
}

/// The published catalogue as of `today`, narrowed by `filter`.
pub fn load(
    conn: &mut Conn,
    today: NaiveDate,
    filter: &CatalogueFilter,
) -> Result<Catalogue, DbError> {
    let categories = reference::categories(conn)?;
    let category_by_id: HashMap<i64, CategoryView> = categories
        .iter()
        .map(|c| {
            (
                c.id,
                CategoryView {
                    code: c.code.clone(),
                    name: Bilingual::new(&c.name_fr, &c.name_nl),
                },
            )
        })
        .collect();
    let mut lots: Vec<_> = q::lots_with_status(conn, "published")?
        .into_iter()
        .filter(|lot| {
            filter.lot.as_deref().is_none_or(|r| lot.reference == r)
                && filter.category.as_deref().is_none_or(|code| {
                    category_by_id
                        .get(&lot.category_id)
                        .is_some_and(|c| c.code == code)
                })
        })
        .collect();
    lots.sort_by_key(|lot| {
        let position = categories
            .iter()
            .position(|c| c.id == lot.category_id)
            .unwrap_or(usize::MAX);
        (position, lot.reference.clone())
    });
    let words = filter
        .query
        .as_deref()
        .map(search::query_words)
        .unwrap_or_default();
    let lot_ids: Vec<i64> = lots.iter().map(|l| l.id).collect();
    let products = q::products_of(conn, &lot_ids, &words)?;
    let priced = price_products(conn, today, &lots, products)?;
    let mut by_lot: HashMap<i64, Vec<ProductView>> = HashMap::new();
    for product in priced {
        by_lot.entry(product.lot_id).or_default().push(product);
    }
    let lots = lots
        .into_iter()
        .filter_map(|lot| {
            let products = by_lot.remove(&lot.id).unwrap_or_default();
            if !words.is_empty() && products.is_empty() {
                return None;
            }
            let category = category_by_id.get(&lot.category_id).cloned()?;
            Some(lot_view(lot, category, today, products))
        })
        .collect();
    // Every category is offered as a filter, published lots or not, so the list stays put as
    // lots open and close.
    Ok(Catalogue {
        categories: categories
            .iter()
            .map(|c| CategoryView {
                code: c.code.clone(),
                name: Bilingual::new(&c.name_fr, &c.name_nl),
            })
            .collect(),
        lots,
    })
}

/// One product of a published lot, with its lot.
pub fn product(
    conn: &mut Conn,
    today: NaiveDate,
    sku: &str,
) -> Result<Option<(LotView, ProductView)>, DbError> {
    let Some(row) = q::product_by_sku(conn, sku)? else {
        return Ok(None);
    };
    if !row.active {
        return Ok(None);
    }
    let Some(lot_reference) = q::lot_reference(conn, row.lot_id)? else {
        return Ok(None);
    };
    let catalogue = load(
        conn,
        today,
        &CatalogueFilter {
            lot: Some(lot_reference),
            ..Default::default()
        },
    )?;
    let found = catalogue.lots.into_iter().find_map(|mut lot| {
        let index = lot.products.iter().position(|p| p.id == row.id)?;
        let product = lot.products.swap_remove(index);
        lot.products.clear();
        Some((lot, product))
    });
    Ok(found)
}

fn lot_view(
    lot: q::LotRow,
    category: CategoryView,
    today: NaiveDate,
    products: Vec<ProductView>,
) -> LotView {
    LotView {
        orderability: Orderability::of(&lot.status, lot.valid_from, lot.valid_until, today),
        id: lot.id,
        reference: lot.reference,
        kind: lot.kind,
        title: Bilingual::new(lot.title_fr, lot.title_nl),
        description: Bilingual::new(lot.description_fr, lot.description_nl),
        category,
        valid_from: lot.valid_from,
        valid_until: lot.valid_until,
        status: lot.status,
        products,
    }
}

/// Attaches to each product today's VAT rate and the offer of the supplier that would
/// receive an order now.
fn price_products(
    conn: &mut Conn,
    today: NaiveDate,
    lots: &[q::LotRow],
    products: Vec<q::ProductRow>,
) -> Result<Vec<ProductView>, DbError> {
    let lot_ids: Vec<i64> = lots.iter().map(|l| l.id).collect();
    let references: HashMap<i64, &str> =
        lots.iter().map(|l| (l.id, l.reference.as_str())).collect();
    let mut cascades: HashMap<i64, Vec<CascadeEntry>> = HashMap::new();
    for entry in q::cascades_of(conn, &lot_ids)? {
        if let Ok(rank) = Rank::new(entry.rank as u8) {
            cascades
                .entry(entry.lot_id)
                .or_default()
                .push(CascadeEntry {
                    rank,
                    supplier: SupplierId(entry.supplier_id),
                    active: entry.active,
                });
        }
    }
    let cascades: HashMap<i64, Cascade> = cascades
        .into_iter()
        .filter_map(|(lot, entries)| match Cascade::new(entries) {
            Ok(cascade) => Some((lot, cascade)),
            Err(error) => {
                tracing::error!(lot, %error, "inconsistent cascade in the database");
                None
            }
        })
        .collect();
    let product_ids: Vec<i64> = products.iter().map(|p| p.id).collect();
    let offers = q::offers_for(conn, &product_ids)?;
    let supplier_ids: Vec<i64> = {
        let mut ids: Vec<i64> = cascades
            .values()
            .flat_map(|c| c.entries().iter().map(|e| e.supplier.0))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let suppliers: HashMap<i64, q::SupplierBrief> = q::supplier_briefs(conn, &supplier_ids)?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut offers_by_product: HashMap<i64, Vec<&q::OfferRow>> = HashMap::new();
    for offer in &offers {
        offers_by_product
            .entry(offer.product_id)
            .or_default()
            .push(offer);
    }
    let vat = vat_schedules(conn)?;

    Ok(products
        .into_iter()
        .map(|p| {
            let product_offers = offers_by_product
                .get(&p.id)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let views: Vec<OfferView> = product_offers
                .iter()
                .map(|o| OfferView {
                    supplier: SupplierId(o.supplier_id),
                    supplier_active: suppliers
                        .get(&o.supplier_id)
                        .is_some_and(|s| s.status == "active"),
                    available: offer_available(o.available, o.unavailable_until, today),
                })
                .collect();
            let offer = cascades
                .get(&p.lot_id)
                .and_then(|cascade| current_candidate(cascade, &views))
                .and_then(|(rank, supplier)| {
                    let row = product_offers
                        .iter()
                        .find(|o| o.supplier_id == supplier.0)?;
                    Some(CurrentOffer {
                        supplier_id: supplier.0,
                        supplier_name: suppliers
                            .get(&supplier.0)
                            .map(|s| s.name.clone())
                            .unwrap_or_default(),
                        rank: rank.get(),
                        unit_price: Cents::new(row.price_cents),
                    })
                });
            ProductView {
                id: p.id,
                lot_reference: references
                    .get(&p.lot_id)
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
                lot_id: p.lot_id,
                vat_rate: vat.get(&p.vat_class).and_then(|s| s.rate_on(today)),
                standards: split_standards(&p.standards),
                sku: p.sku,
                name: Bilingual::new(p.name_fr, p.name_nl),
                description: Bilingual::new(p.description_fr, p.description_nl),
                packaging: Bilingual::new(p.packaging_fr, p.packaging_nl),
                unit_code: p.unit_code,
                min_quantity: p.min_quantity.max(1) as u32,
                order_multiple: p.order_multiple.max(1) as u32,
                offer,
            }
        })
        .collect())
}

/// VAT schedules per class, from the rates table.
pub fn vat_schedules(conn: &mut Conn) -> Result<HashMap<String, VatSchedule>, DbError> {
    let mut periods: HashMap<String, Vec<VatPeriod>> = HashMap::new();
    for row in reference::vat_rates(conn)? {
        let Ok(rate) = VatRate::from_basis_points(row.rate_basis_points.max(0) as u32) else {
            continue;
        };
        periods.entry(row.vat_class).or_default().push(VatPeriod {
            rate,
            valid_from: row.valid_from,
            valid_until: row.valid_until,
        });
    }
    Ok(periods
        .into_iter()
        .filter_map(|(class, periods)| match VatSchedule::new(periods) {
            Ok(schedule) => Some((class, schedule)),
            Err(error) => {
                tracing::error!(class, %error, "inconsistent VAT periods in the database");
                None
            }
        })
        .collect())
}

const STANDARDS_SEPARATOR: &str = "; ";

pub fn split_standards(stored: &str) -> Vec<String> {
    stored
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn join_standards(standards: &[String]) -> String {
    standards.join(STANDARDS_SEPARATOR)
}

// ---------------------------------------------------------------------------------------
// The authority's operations.

/// Puts `supplier` at `rank` in a lot's cascade. A sixth supplier, a taken rank or a supplier
/// already in the cascade is refused with nothing written; the database's own constraints
/// stand behind the domain check.
pub fn add_to_cascade(
    conn: &mut Conn,
    now: NaiveDateTime,
    lot_id: i64,
    supplier_id: i64,
    rank: Rank,
) -> Result<i64, ServiceError> {
    conn.transaction(|conn| {
        let rows = q::cascade_of(conn, lot_id)?;
        let entries = rows
            .iter()
            .filter_map(|r| {
                Some(CascadeEntry {
                    rank: Rank::new(r.rank as u8).ok()?,
                    supplier: SupplierId(r.supplier_id),
                    active: r.active,
                })
            })
            .collect();
        let mut cascade = Cascade::new(entries).map_err(|e| cascade_error(&e))?;
        cascade
            .add(CascadeEntry {
                rank,
                supplier: SupplierId(supplier_id),
                active: true,
            })
            .map_err(|e| cascade_error(&e))?;
        let id = q::insert_cascade_entry(
            conn,
            &q::NewCascadeEntry {
                lot_id,
                supplier_id,
                rank: i32::from(rank.get()),
                active: true,
                created_at: now,
            },
        )?;
        Ok(id)
    })
}

fn cascade_error(error: &crate::domain::cascade::CascadeError) -> ServiceError {
    ServiceError::Invalid(ValidationErrors::single(
        "cascade",
        error.message_key(),
        error.to_string(),
    ))
}

pub struct LotInput<'a> {
    pub reference: &'a str,
    pub category_code: &'a str,
    pub kind: &'a str,
    pub title: Bilingual,
    pub description: Bilingual,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub status: &'a str,
}

pub fn create_lot(
    conn: &mut Conn,
    now: NaiveDateTime,
    input: &LotInput<'_>,
) -> Result<i64, ServiceError> {
    let mut errors = ValidationErrors::new();
    let reference = input.reference.trim();
    if reference.is_empty()
        || reference.len() > 40
        || !reference
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
    {
        errors.add(
            "reference",
            "lot-reference-invalid",
            "a lot reference has 1 to 40 capital letters, digits or dashes",
        );
    }
    if !matches!(input.kind, "goods" | "services") {
        errors.add(
            "kind",
            "lot-kind-invalid",
            "a lot is either goods or services",
        );
    }
    if !matches!(input.status, "draft" | "published" | "closed") {
        errors.add(
            "status",
            "lot-status-invalid",
            "a lot is draft, published or closed",
        );
    }
    errors.require_text("title_fr", &input.title.fr, 200);
    errors.require_text("title_nl", &input.title.nl, 200);
    if input.valid_until < input.valid_from {
        errors.add(
            "valid_until",
            "lot-validity-invalid",
            "the validity ends before it starts",
        );
    }
    let category = reference::category_by_code(conn, input.category_code)?;
    if category.is_none() {
        errors.add("category", "category-unknown", "no such category");
    }
    errors.into_result()?;
    let category_id = category.map(|c| c.id).unwrap_or_default();
    let id = q::insert_lot(
        conn,
        &q::NewLot {
            reference,
            category_id,
            kind: input.kind,
            title_fr: input.title.fr.trim(),
            title_nl: input.title.nl.trim(),
            description_fr: input.description.fr.trim(),
            description_nl: input.description.nl.trim(),
            valid_from: input.valid_from,
            valid_until: input.valid_until,
            status: input.status,
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| {
        if e.is_unique_violation() {
            ServiceError::Invalid(ValidationErrors::single(
                "reference",
                "lot-reference-taken",
                "a lot with this reference exists already",
            ))
        } else {
            e.into()
        }
    })?;
    Ok(id)
}

pub struct ProductInput<'a> {
    pub lot_id: i64,
    pub sku: &'a str,
    pub name: Bilingual,
    pub description: Bilingual,
    pub packaging: Bilingual,
    pub unit_code: &'a str,
    pub standards: Vec<String>,
    pub vat_class: &'a str,
    pub min_quantity: u32,
    pub order_multiple: u32,
}

pub fn create_product(
    conn: &mut Conn,
    now: NaiveDateTime,
    input: &ProductInput<'_>,
) -> Result<i64, ServiceError> {
    let mut errors = ValidationErrors::new();
    let sku = errors.check("sku", Sku::parse(input.sku));
    errors.require_text("name_fr", &input.name.fr, 200);
    errors.require_text("name_nl", &input.name.nl, 200);
    errors.require_text("packaging_fr", &input.packaging.fr, 200);
    errors.require_text("packaging_nl", &input.packaging.nl, 200);
    if input.unit_code.len() < 2
        || input.unit_code.len() > 3
        || !input
            .unit_code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        errors.add(
            "unit_code",
            "unit-code-invalid",
            "a unit is a UN/ECE Recommendation 20 code such as BX, EA or HUR",
        );
    }
    errors.check(
        "min_quantity",
        QuantityRule::new(input.min_quantity, input.order_multiple),
    );
    if !reference::vat_rates(conn)?
        .iter()
        .any(|r| r.vat_class == input.vat_class)
    {
        errors.add("vat_class", "vat-class-unknown", "no such VAT class");
    }
    errors.into_result()?;
    let sku = sku.ok_or(ServiceError::NotFound("sku"))?;
    let standards = join_standards(&input.standards);
    let search_text = search::product_search_text(&[
        sku.as_str(),
        &input.name.fr,
        &input.name.nl,
        &input.packaging.fr,
        &input.packaging.nl,
        &standards,
    ]);
    let id = q::insert_product(
        conn,
        &q::NewProduct {
            lot_id: input.lot_id,
            sku: sku.as_str(),
            name_fr: input.name.fr.trim(),
            name_nl: input.name.nl.trim(),
            description_fr: input.description.fr.trim(),
            description_nl: input.description.nl.trim(),
            packaging_fr: input.packaging.fr.trim(),
            packaging_nl: input.packaging.nl.trim(),
            unit_code: input.unit_code,
            standards: &standards,
            vat_class: input.vat_class,
            min_quantity: input.min_quantity as i32,
            order_multiple: input.order_multiple as i32,
            active: true,
            search_text: &search_text,
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| {
        if e.is_unique_violation() {
            ServiceError::Invalid(ValidationErrors::single(
                "sku",
                "sku-taken",
                "a product with this SKU exists already",
            ))
        } else {
            e.into()
        }
    })?;
    Ok(id)
}

/// Records a cascade supplier's tender price for a product. The price is parsed from what a
/// person typed (or a file held), so a negative or malformed amount is refused here.
pub fn set_offer(
    conn: &mut Conn,
    now: NaiveDateTime,
    product_id: i64,
    supplier_id: i64,
    price: &str,
    available: bool,
) -> Result<i64, ServiceError> {
    let mut errors = ValidationErrors::new();
    let price = errors.check("price", Cents::parse_price(price));
    errors.into_result()?;
    let price = price.unwrap_or(Cents::ZERO);
    conn.transaction(|conn| {
        let lot_id =
            q::product_lot_id(conn, product_id)?.ok_or(ServiceError::NotFound("product"))?;
        let in_cascade = q::cascade_of(conn, lot_id)?
            .iter()
            .any(|e| e.supplier_id == supplier_id);
        if !in_cascade {
            return Err(ServiceError::Invalid(ValidationErrors::single(
                "supplier",
                "offer-supplier-not-in-cascade",
                "only a supplier of the lot's cascade can make an offer for its products",
            )));
        }
        Ok(q::insert_offer(
            conn,
            &q::NewOffer {
                product_id,
                supplier_id,
                price_cents: price.cents(),
                available,
                unavailable_until: None,
                updated_at: now,
            },
        )?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn orderability_says_why_a_lot_takes_no_orders() {
        let from = date(2025, 1, 1);
        let until = date(2026, 12, 31);
        assert_eq!(
            Orderability::of("published", from, until, date(2026, 6, 1)),
            Orderability::Open
        );
        assert_eq!(
            Orderability::of("published", from, until, from),
            Orderability::Open
        );
        assert_eq!(
            Orderability::of("published", from, until, until),
            Orderability::Open
        );
        assert_eq!(
            Orderability::of("published", from, until, date(2024, 12, 31)),
            Orderability::NotYetValid
        );
        assert_eq!(
            Orderability::of("published", from, until, date(2027, 1, 1)),
            Orderability::Expired
        );
        assert_eq!(
            Orderability::of("closed", from, until, date(2026, 6, 1)),
            Orderability::Closed
        );
        assert_eq!(
            Orderability::of("draft", from, until, date(2026, 6, 1)),
            Orderability::Closed
        );
    }

    #[test]
    fn an_offer_comes_back_on_its_date() {
        let today = date(2026, 3, 10);
        assert!(offer_available(true, None, today));
        assert!(!offer_available(false, None, today));
        assert!(!offer_available(false, Some(date(2026, 3, 11)), today));
        assert!(offer_available(false, Some(today), today));
        assert!(offer_available(false, Some(date(2026, 3, 1)), today));
    }

    #[test]
    fn standards_round_trip() {
        let standards = vec![
            "EN 149:2001+A1:2009 FFP2 NR".to_owned(),
            "CE 2797".to_owned(),
        ];
        assert_eq!(split_standards(&join_standards(&standards)), standards);
        assert!(split_standards("").is_empty());
        assert_eq!(split_standards(" ; EN 455 ;"), vec!["EN 455".to_owned()]);
    }
}
