//! The catalogue: published lots and their products, with the price of the supplier an
//! order would go to right now, plus the authority's operations that shape it (lots,
//! cascades, products, offers), each validated by the domain before anything is written.

pub mod cache;
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

/// The active products of published lots with these SKUs, priced as [`load`] prices them,
/// each with whether its lot takes orders today: what a checkout needs, without the rest of
/// the catalogue.
pub fn products_by_sku(
    conn: &mut Conn,
    today: NaiveDate,
    skus: &[String],
) -> Result<Vec<(ProductView, Orderability)>, DbError> {
    let rows: Vec<q::ProductRow> = q::products_by_skus(conn, skus)?
        .into_iter()
        .filter(|p| p.active)
        .collect();
    let mut lot_ids: Vec<i64> = rows.iter().map(|p| p.lot_id).collect();
    lot_ids.sort_unstable();
    lot_ids.dedup();
    let lots: Vec<q::LotRow> = q::lots_by_ids(conn, &lot_ids)?
        .into_iter()
        .filter(|lot| lot.status == "published")
        .collect();
    let orderability: HashMap<i64, Orderability> = lots
        .iter()
        .map(|lot| {
            let open = Orderability::of(&lot.status, lot.valid_from, lot.valid_until, today);
            (lot.id, open)
        })
        .collect();
    let rows = rows
        .into_iter()
        .filter(|p| orderability.contains_key(&p.lot_id))
        .collect();
    Ok(price_products(conn, today, &lots, rows)?
        .into_iter()
        .filter_map(|product| {
            let open = *orderability.get(&product.lot_id)?;
            Some((product, open))
        })
        .collect())
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
    .map_err(sku_taken_or)?;
    Ok(id)
}

/// A duplicate SKU is the user's to fix, named on the SKU field; anything else is the
/// database's.
fn sku_taken_or(error: DbError) -> ServiceError {
    if error.is_unique_violation() {
        ServiceError::Invalid(ValidationErrors::single(
            "sku",
            "sku-taken",
            "a product with this SKU exists already",
        ))
    } else {
        error.into()
    }
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

// --- Back office: the authority editing lots, cascades, products, offers and categories.
// Every change runs in one transaction with its audit record, which holds the state before
// and after.

pub mod back_office {
    use chrono::{NaiveDate, NaiveDateTime};
    use serde::Serialize;
    use serde_json::{json, Value};

    use super::{join_standards, search, split_standards, Bilingual, ProductInput};
    use crate::audit;
    use crate::auth::Principal;
    use crate::db::catalogue as q;
    use crate::db::reference;
    use crate::db::Conn;
    use crate::domain::cascade::{
        plan_cascade, proposal_with_active, proposal_with_added, proposal_with_move, Cascade,
        CascadeEntry, ProposedEntry, SupplierStanding,
    };
    use crate::domain::{Cents, QuantityRule, Rank, Sku, SupplierId};
    use crate::error::ServiceError;
    use crate::validation::ValidationErrors;

    /// Units an authority may sell in (UN/ECE Recommendation 20): the packaged goods already
    /// in the catalogue, and hours and days for service lots.
    pub const UNIT_CODES: [&str; 7] = ["BX", "PK", "CT", "BO", "EA", "HUR", "DAY"];

    /// The message key of a unit's label (`bo-unit-hur` → "heure" / "uur").
    pub fn unit_label_key(code: &str) -> String {
        format!("bo-unit-{}", code.to_ascii_lowercase())
    }

    fn conflict(code: &'static str, message: &str) -> ServiceError {
        ServiceError::Conflict {
            code,
            message: message.to_owned(),
        }
    }

    fn parse_date(errors: &mut ValidationErrors, field: &str, text: &str) -> Option<NaiveDate> {
        let text = text.trim();
        if text.is_empty() {
            errors.add(field, "required", "this field is required");
            return None;
        }
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                errors.add(field, "bo-date-invalid", "a date is written YYYY-MM-DD");
                None
            }
        }
    }

    fn parse_count(errors: &mut ValidationErrors, field: &str, text: &str) -> Option<u32> {
        match text.trim().parse::<u32>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                errors.add(
                    field,
                    "bo-whole-number-invalid",
                    "a whole number of at least 1",
                );
                None
            }
        }
    }

    // Lots -------------------------------------------------------------------------------

    /// A lot as typed in a form or sent as JSON: dates are still text so that a bad one is
    /// reported next to its field.
    #[derive(Debug, Clone, Default)]
    pub struct LotFields {
        pub reference: String,
        pub category_code: String,
        pub kind: String,
        pub title: Bilingual,
        pub description: Bilingual,
        pub valid_from: String,
        pub valid_until: String,
    }

    impl Default for Bilingual {
        fn default() -> Self {
            Bilingual::new("", "")
        }
    }

    struct CheckedLot {
        category_id: i64,
        valid_from: NaiveDate,
        valid_until: NaiveDate,
    }

    fn check_lot(conn: &mut Conn, f: &LotFields) -> Result<CheckedLot, ServiceError> {
        let mut errors = ValidationErrors::new();
        let reference = f.reference.trim();
        if reference.is_empty()
            || reference.len() > 40
            || !reference
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        {
            errors.add(
                "reference",
                "bo-lot-reference-invalid",
                "a lot reference has 1 to 40 capital letters, digits or dashes",
            );
        }
        let category = reference::category_by_code(conn, f.category_code.trim())?;
        if category.is_none() {
            errors.add("category", "bo-category-unknown", "no such category");
        }
        if !matches!(f.kind.as_str(), "goods" | "services") {
            errors.add(
                "kind",
                "bo-lot-kind-invalid",
                "a lot is either goods or services",
            );
        }
        errors.require_text("title_fr", &f.title.fr, 200);
        errors.require_text("title_nl", &f.title.nl, 200);
        for (field, text) in [
            ("description_fr", &f.description.fr),
            ("description_nl", &f.description.nl),
        ] {
            if text.chars().count() > 4000 {
                errors.add(field, "too-long", "at most 4000 characters");
            }
        }
        let from = parse_date(&mut errors, "valid_from", &f.valid_from);
        let until = parse_date(&mut errors, "valid_until", &f.valid_until);
        if let (Some(from), Some(until)) = (from, until) {
            if until < from {
                errors.add(
                    "valid_until",
                    "bo-lot-validity-invalid",
                    "the validity ends before it starts",
                );
            }
        }
        errors.into_result()?;
        Ok(CheckedLot {
            category_id: category.map(|c| c.id).unwrap_or_default(),
            valid_from: from.unwrap_or_default(),
            valid_until: until.unwrap_or_default(),
        })
    }

    fn reference_taken(e: crate::db::DbError) -> ServiceError {
        if e.is_unique_violation() {
            ServiceError::Invalid(ValidationErrors::single(
                "reference",
                "bo-lot-reference-taken",
                "a lot with this reference exists already",
            ))
        } else {
            e.into()
        }
    }

    fn lot_snapshot(lot: &q::LotRow) -> Value {
        json!({
            "reference": lot.reference,
            "category_id": lot.category_id,
            "kind": lot.kind,
            "title_fr": lot.title_fr,
            "title_nl": lot.title_nl,
            "description_fr": lot.description_fr,
            "description_nl": lot.description_nl,
            "valid_from": lot.valid_from,
            "valid_until": lot.valid_until,
            "status": lot.status,
        })
    }

    fn lot_row(conn: &mut Conn, id: i64) -> Result<q::LotRow, ServiceError> {
        q::lot_by_id(conn, id)?.ok_or(ServiceError::NotFound("lot"))
    }

    /// A new lot, always as a draft: it reaches institutions only once published.
    pub fn create_lot(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        f: &LotFields,
    ) -> Result<i64, ServiceError> {
        let checked = check_lot(conn, f)?;
        conn.transaction(|conn| {
            let id = q::insert_lot(
                conn,
                &q::NewLot {
                    reference: f.reference.trim(),
                    category_id: checked.category_id,
                    kind: &f.kind,
                    title_fr: f.title.fr.trim(),
                    title_nl: f.title.nl.trim(),
                    description_fr: f.description.fr.trim(),
                    description_nl: f.description.nl.trim(),
                    valid_from: checked.valid_from,
                    valid_until: checked.valid_until,
                    status: "draft",
                    created_at: now,
                    updated_at: now,
                },
            )
            .map_err(reference_taken)?;
            let after = lot_row(conn, id)?;
            audit::record(
                conn,
                now,
                actor,
                "lot.created",
                "lot",
                Some(id),
                json!({ "before": null, "after": lot_snapshot(&after) }),
            )?;
            Ok(id)
        })
    }

    pub fn update_lot(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        id: i64,
        f: &LotFields,
    ) -> Result<(), ServiceError> {
        let checked = check_lot(conn, f)?;
        conn.transaction(|conn| {
            let before = lot_row(conn, id)?;
            q::update_lot(
                conn,
                id,
                &q::LotChanges {
                    reference: f.reference.trim(),
                    category_id: checked.category_id,
                    kind: &f.kind,
                    title_fr: f.title.fr.trim(),
                    title_nl: f.title.nl.trim(),
                    description_fr: f.description.fr.trim(),
                    description_nl: f.description.nl.trim(),
                    valid_from: checked.valid_from,
                    valid_until: checked.valid_until,
                    updated_at: now,
                },
            )
            .map_err(reference_taken)?;
            let after = lot_row(conn, id)?;
            audit::record(
                conn,
                now,
                actor,
                "lot.updated",
                "lot",
                Some(id),
                json!({ "before": lot_snapshot(&before), "after": lot_snapshot(&after) }),
            )?;
            Ok(())
        })
    }

    /// Opens a draft lot to orders. A lot nobody can deliver, or with nothing to order, would
    /// only collect refused orders, so both are required first.
    pub fn publish_lot(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        id: i64,
    ) -> Result<(), ServiceError> {
        conn.transaction(|conn| {
            let lot = lot_row(conn, id)?;
            if lot.status != "draft" {
                return Err(conflict(
                    "bo-lot-not-draft",
                    "only a draft lot can be published",
                ));
            }
            let cascade = q::cascade_of(conn, id)?;
            let ids: Vec<i64> = cascade.iter().map(|e| e.supplier_id).collect();
            let suppliers = q::supplier_briefs(conn, &ids)?;
            let deliverable = cascade.iter().any(|e| {
                e.active
                    && suppliers
                        .iter()
                        .any(|s| s.id == e.supplier_id && s.status == "active")
            });
            if !deliverable {
                return Err(conflict(
                    "bo-publish-needs-cascade",
                    "the lot needs at least one active supplier in its cascade before it is published",
                ));
            }
            if !q::all_products_of_lot(conn, id)?.iter().any(|p| p.active) {
                return Err(conflict(
                    "bo-publish-needs-product",
                    "the lot needs at least one active product before it is published",
                ));
            }
            set_status(conn, now, actor, &lot, "published", "lot.published")
        })
    }

    /// Ends a published lot: institutions can no longer order from it.
    pub fn close_lot(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        id: i64,
    ) -> Result<(), ServiceError> {
        conn.transaction(|conn| {
            let lot = lot_row(conn, id)?;
            if lot.status != "published" {
                return Err(conflict(
                    "bo-lot-not-published",
                    "only a published lot can be closed",
                ));
            }
            set_status(conn, now, actor, &lot, "closed", "lot.closed")
        })
    }

    fn set_status(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        lot: &q::LotRow,
        to: &str,
        action: &str,
    ) -> Result<(), ServiceError> {
        if q::set_lot_status(conn, lot.id, &lot.status, to, now)? != 1 {
            return Err(conflict(
                "bo-lot-changed",
                "the lot changed meanwhile: reload and try again",
            ));
        }
        audit::record(
            conn,
            now,
            actor,
            action,
            "lot",
            Some(lot.id),
            json!({ "before": { "status": lot.status }, "after": { "status": to } }),
        )?;
        Ok(())
    }

    // Cascades ---------------------------------------------------------------------------

    /// One ranked supplier of a lot, as pages, the API and the audit trail show it.
    #[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
    pub struct RankedSupplier {
        pub rank: u8,
        pub supplier_id: i64,
        pub supplier_name: String,
        /// Whether the supplier takes this lot's orders.
        pub active: bool,
        /// Whether the supplier's account is active.
        pub supplier_active: bool,
    }

    fn current_cascade(conn: &mut Conn, lot_id: i64) -> Result<Cascade, ServiceError> {
        let entries = q::cascade_of(conn, lot_id)?
            .iter()
            .filter_map(|r| {
                Some(CascadeEntry {
                    rank: Rank::new(u8::try_from(r.rank).ok()?).ok()?,
                    supplier: SupplierId(r.supplier_id),
                    active: r.active,
                })
            })
            .collect();
        Cascade::new(entries).map_err(|e| {
            ServiceError::Other(anyhow::anyhow!("inconsistent cascade of lot {lot_id}: {e}"))
        })
    }

    /// The ranked suppliers of a lot.
    pub fn ranked_suppliers(
        conn: &mut Conn,
        lot_id: i64,
    ) -> Result<Vec<RankedSupplier>, ServiceError> {
        let cascade = current_cascade(conn, lot_id)?;
        describe(conn, &cascade)
    }

    fn describe(conn: &mut Conn, cascade: &Cascade) -> Result<Vec<RankedSupplier>, ServiceError> {
        let ids: Vec<i64> = cascade.entries().iter().map(|e| e.supplier.0).collect();
        let suppliers = q::supplier_briefs(conn, &ids)?;
        Ok(cascade
            .entries()
            .iter()
            .map(|e| {
                let brief = suppliers.iter().find(|s| s.id == e.supplier.0);
                RankedSupplier {
                    rank: e.rank.get(),
                    supplier_id: e.supplier.0,
                    supplier_name: brief.map(|s| s.name.clone()).unwrap_or_default(),
                    active: e.active,
                    supplier_active: brief.is_some_and(|s| s.status == "active"),
                }
            })
            .collect())
    }

    /// Rewrites a lot's cascade from a proposal built on the current one, checked by the
    /// domain, stored in one transaction and audited with the ranked lists before and after.
    fn change_cascade(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        lot_id: i64,
        action: &str,
        propose: impl FnOnce(&Cascade) -> Result<Vec<ProposedEntry>, ServiceError>,
    ) -> Result<Vec<RankedSupplier>, ServiceError> {
        conn.transaction(|conn| {
            lot_row(conn, lot_id)?;
            let current = current_cascade(conn, lot_id)?;
            let proposal = propose(&current)?;
            let suppliers = q::all_supplier_briefs(conn)?;
            let planned = plan_cascade(&current, &proposal, |id| {
                match suppliers.iter().find(|s| s.id == id.0) {
                    Some(s) if s.status == "active" => SupplierStanding::Active,
                    Some(_) => SupplierStanding::Suspended,
                    None => SupplierStanding::Unknown,
                }
            })
            .map_err(|e| {
                ServiceError::Invalid(ValidationErrors::single(
                    "cascade",
                    e.message_key(),
                    e.to_string(),
                ))
            })?;
            let dated = q::cascade_dated(conn, lot_id)?;
            let rows: Vec<q::NewCascadeEntry> = planned
                .entries()
                .iter()
                .map(|e| q::NewCascadeEntry {
                    lot_id,
                    supplier_id: e.supplier.0,
                    rank: i32::from(e.rank.get()),
                    active: e.active,
                    created_at: dated
                        .iter()
                        .find(|d| d.supplier_id == e.supplier.0)
                        .map(|d| d.created_at)
                        .unwrap_or(now),
                })
                .collect();
            q::replace_cascade(conn, lot_id, &rows)?;
            let before = describe(conn, &current)?;
            let after = describe(conn, &planned)?;
            audit::record(
                conn,
                now,
                actor,
                action,
                "lot",
                Some(lot_id),
                json!({ "before": before, "after": after }),
            )?;
            Ok(after)
        })
    }

    /// Replaces the whole cascade (ranks 1..n, each supplier once, at most five).
    pub fn set_cascade(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        lot_id: i64,
        proposal: Vec<ProposedEntry>,
    ) -> Result<Vec<RankedSupplier>, ServiceError> {
        change_cascade(conn, now, actor, lot_id, "cascade.replaced", |_| {
            Ok(proposal)
        })
    }

    /// Adds a supplier after the last rank.
    pub fn add_supplier(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        lot_id: i64,
        supplier_id: i64,
    ) -> Result<Vec<RankedSupplier>, ServiceError> {
        change_cascade(conn, now, actor, lot_id, "cascade.supplier_added", |c| {
            Ok(proposal_with_added(c, SupplierId(supplier_id)))
        })
    }

    fn not_in_cascade() -> ServiceError {
        ServiceError::NotFound("cascade supplier")
    }

    /// Swaps a supplier with its neighbour above or below.
    pub fn move_supplier(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        lot_id: i64,
        supplier_id: i64,
        up: bool,
    ) -> Result<Vec<RankedSupplier>, ServiceError> {
        change_cascade(conn, now, actor, lot_id, "cascade.reordered", |c| {
            if !c.contains(SupplierId(supplier_id)) {
                return Err(not_in_cascade());
            }
            proposal_with_move(c, SupplierId(supplier_id), up).ok_or_else(|| {
                conflict(
                    "bo-cascade-cannot-move",
                    "the supplier is already at that end of the cascade",
                )
            })
        })
    }

    /// Switches a supplier on or off for this lot; it keeps its rank.
    pub fn set_supplier_active(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        lot_id: i64,
        supplier_id: i64,
        active: bool,
    ) -> Result<Vec<RankedSupplier>, ServiceError> {
        let action = if active {
            "cascade.supplier_reactivated"
        } else {
            "cascade.supplier_deactivated"
        };
        change_cascade(conn, now, actor, lot_id, action, |c| {
            proposal_with_active(c, SupplierId(supplier_id), active).ok_or_else(not_in_cascade)
        })
    }

    // Products ---------------------------------------------------------------------------

    /// A product as typed in a form or sent as JSON.
    #[derive(Debug, Clone, Default)]
    pub struct ProductFields {
        pub sku: String,
        pub name: Bilingual,
        pub description: Bilingual,
        pub packaging: Bilingual,
        pub unit_code: String,
        /// One standard per line or separated by semicolons.
        pub standards: String,
        pub vat_class: String,
        pub min_quantity: String,
        pub order_multiple: String,
        pub active: bool,
    }

    struct CheckedProduct {
        sku: Sku,
        standards: Vec<String>,
        min_quantity: u32,
        order_multiple: u32,
    }

    fn check_product(conn: &mut Conn, f: &ProductFields) -> Result<CheckedProduct, ServiceError> {
        let mut errors = ValidationErrors::new();
        let sku = errors.check("sku", Sku::parse(&f.sku));
        errors.require_text("name_fr", &f.name.fr, 200);
        errors.require_text("name_nl", &f.name.nl, 200);
        errors.require_text("packaging_fr", &f.packaging.fr, 200);
        errors.require_text("packaging_nl", &f.packaging.nl, 200);
        for (field, text) in [
            ("description_fr", &f.description.fr),
            ("description_nl", &f.description.nl),
        ] {
            if text.chars().count() > 4000 {
                errors.add(field, "too-long", "at most 4000 characters");
            }
        }
        if !UNIT_CODES.contains(&f.unit_code.trim()) {
            errors.add(
                "unit_code",
                "bo-unit-unknown",
                format!("the unit is one of {}", UNIT_CODES.join(", ")),
            );
        }
        if !reference::vat_rates(conn)?
            .iter()
            .any(|r| r.vat_class == f.vat_class)
        {
            errors.add("vat_class", "bo-vat-class-unknown", "no such VAT class");
        }
        let min = parse_count(&mut errors, "min_quantity", &f.min_quantity);
        let multiple = parse_count(&mut errors, "order_multiple", &f.order_multiple);
        if let (Some(min), Some(multiple)) = (min, multiple) {
            errors.check("min_quantity", QuantityRule::new(min, multiple));
        }
        let standards: Vec<String> = f
            .standards
            .split(['\n', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if join_standards(&standards).chars().count() > 1000 {
            errors.add("standards", "too-long", "at most 1000 characters");
        }
        errors.into_result()?;
        Ok(CheckedProduct {
            sku: sku.ok_or(ServiceError::NotFound("sku"))?,
            standards,
            min_quantity: min.unwrap_or(1),
            order_multiple: multiple.unwrap_or(1),
        })
    }

    fn product_snapshot(p: &q::ProductRow) -> Value {
        json!({
            "sku": p.sku,
            "name_fr": p.name_fr,
            "name_nl": p.name_nl,
            "description_fr": p.description_fr,
            "description_nl": p.description_nl,
            "packaging_fr": p.packaging_fr,
            "packaging_nl": p.packaging_nl,
            "unit_code": p.unit_code,
            "standards": split_standards(&p.standards),
            "vat_class": p.vat_class,
            "min_quantity": p.min_quantity,
            "order_multiple": p.order_multiple,
            "active": p.active,
        })
    }

    pub fn product_row(conn: &mut Conn, id: i64) -> Result<q::ProductRow, ServiceError> {
        q::product_by_id(conn, id)?.ok_or(ServiceError::NotFound("product"))
    }

    pub fn create_product(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        lot_id: i64,
        f: &ProductFields,
    ) -> Result<i64, ServiceError> {
        let checked = check_product(conn, f)?;
        conn.transaction(|conn| {
            lot_row(conn, lot_id)?;
            let id = super::create_product(
                conn,
                now,
                &ProductInput {
                    lot_id,
                    sku: checked.sku.as_str(),
                    name: f.name.clone(),
                    description: f.description.clone(),
                    packaging: f.packaging.clone(),
                    unit_code: f.unit_code.trim(),
                    standards: checked.standards.clone(),
                    vat_class: &f.vat_class,
                    min_quantity: checked.min_quantity,
                    order_multiple: checked.order_multiple,
                },
            )?;
            let mut after = product_row(conn, id)?;
            if !f.active {
                write_product(conn, now, id, &checked, f)?;
                after = product_row(conn, id)?;
            }
            audit::record(
                conn,
                now,
                actor,
                "product.created",
                "product",
                Some(id),
                json!({ "lot_id": lot_id, "before": null, "after": product_snapshot(&after) }),
            )?;
            Ok(id)
        })
    }

    fn write_product(
        conn: &mut Conn,
        now: NaiveDateTime,
        id: i64,
        checked: &CheckedProduct,
        f: &ProductFields,
    ) -> Result<(), ServiceError> {
        let standards = join_standards(&checked.standards);
        let search_text = search::product_search_text(&[
            checked.sku.as_str(),
            &f.name.fr,
            &f.name.nl,
            &f.packaging.fr,
            &f.packaging.nl,
            &standards,
        ]);
        q::update_product(
            conn,
            id,
            &q::ProductChanges {
                sku: checked.sku.as_str(),
                name_fr: f.name.fr.trim(),
                name_nl: f.name.nl.trim(),
                description_fr: f.description.fr.trim(),
                description_nl: f.description.nl.trim(),
                packaging_fr: f.packaging.fr.trim(),
                packaging_nl: f.packaging.nl.trim(),
                unit_code: f.unit_code.trim(),
                standards: &standards,
                vat_class: &f.vat_class,
                min_quantity: checked.min_quantity as i32,
                order_multiple: checked.order_multiple as i32,
                active: f.active,
                search_text: &search_text,
                updated_at: now,
            },
        )
        .map_err(super::sku_taken_or)?;
        Ok(())
    }

    pub fn update_product(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        id: i64,
        f: &ProductFields,
    ) -> Result<(), ServiceError> {
        let checked = check_product(conn, f)?;
        conn.transaction(|conn| {
            let before = product_row(conn, id)?;
            write_product(conn, now, id, &checked, f)?;
            let after = product_row(conn, id)?;
            audit::record(
                conn,
                now,
                actor,
                "product.updated",
                "product",
                Some(id),
                json!({
                    "lot_id": before.lot_id,
                    "before": product_snapshot(&before),
                    "after": product_snapshot(&after),
                }),
            )?;
            Ok(())
        })
    }

    // Offers -----------------------------------------------------------------------------

    /// A cascade supplier's offer for a product as the authority sets it.
    #[derive(Debug, Clone, Default)]
    pub struct OfferFields {
        pub price: String,
        pub available: bool,
        /// Empty, or the date the supplier can deliver again.
        pub unavailable_until: String,
    }

    fn offer_snapshot(o: Option<&q::OfferRow>) -> Value {
        match o {
            None => Value::Null,
            Some(o) => json!({
                "price_cents": o.price_cents,
                "price": Cents::new(o.price_cents).to_decimal().to_string(),
                "available": o.available,
                "unavailable_until": o.unavailable_until,
            }),
        }
    }

    pub fn set_offer(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        product_id: i64,
        supplier_id: i64,
        f: &OfferFields,
    ) -> Result<(), ServiceError> {
        let mut errors = ValidationErrors::new();
        let price = errors.check("price", Cents::parse_price(&f.price));
        let until = if f.unavailable_until.trim().is_empty() {
            None
        } else {
            parse_date(&mut errors, "unavailable_until", &f.unavailable_until)
        };
        errors.into_result()?;
        let price = price.unwrap_or(Cents::ZERO);
        conn.transaction(|conn| {
            let product = product_row(conn, product_id)?;
            if !q::cascade_of(conn, product.lot_id)?
                .iter()
                .any(|e| e.supplier_id == supplier_id)
            {
                return Err(ServiceError::Invalid(ValidationErrors::single(
                    "supplier",
                    "bo-offer-supplier-not-in-cascade",
                    "only a supplier of the lot's cascade can make an offer for its products",
                )));
            }
            let offers = q::offers_for(conn, &[product_id])?;
            let before = offer_snapshot(offers.iter().find(|o| o.supplier_id == supplier_id));
            q::upsert_offer(
                conn,
                &q::NewOffer {
                    product_id,
                    supplier_id,
                    price_cents: price.cents(),
                    available: f.available,
                    unavailable_until: if f.available { None } else { until },
                    updated_at: now,
                },
            )?;
            let offers = q::offers_for(conn, &[product_id])?;
            let after = offer_snapshot(offers.iter().find(|o| o.supplier_id == supplier_id));
            audit::record(
                conn,
                now,
                actor,
                "offer.set",
                "product",
                Some(product_id),
                json!({ "supplier_id": supplier_id, "before": before, "after": after }),
            )?;
            Ok(())
        })
    }

    // Categories -------------------------------------------------------------------------

    #[derive(Debug, Clone, Default)]
    pub struct CategoryFields {
        pub code: String,
        pub name: Bilingual,
        pub position: String,
    }

    fn check_category(f: &CategoryFields) -> Result<i32, ServiceError> {
        let mut errors = ValidationErrors::new();
        let code = f.code.trim();
        if code.is_empty()
            || code.len() > 40
            || !code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            errors.add(
                "code",
                "bo-category-code-invalid",
                "a category code has 1 to 40 lowercase letters, digits or dashes",
            );
        }
        errors.require_text("name_fr", &f.name.fr, 100);
        errors.require_text("name_nl", &f.name.nl, 100);
        let position = match f.position.trim().parse::<i32>() {
            Ok(p) if (0..=10_000).contains(&p) => Some(p),
            _ => {
                errors.add(
                    "position",
                    "bo-position-invalid",
                    "the position is a whole number from 0 to 10000",
                );
                None
            }
        };
        errors.into_result()?;
        Ok(position.unwrap_or_default())
    }

    fn code_taken(e: crate::db::DbError) -> ServiceError {
        if e.is_unique_violation() {
            ServiceError::Invalid(ValidationErrors::single(
                "code",
                "bo-category-code-taken",
                "a category with this code exists already",
            ))
        } else {
            e.into()
        }
    }

    fn category_snapshot(c: &reference::CategoryRow) -> Value {
        json!({ "code": c.code, "name_fr": c.name_fr, "name_nl": c.name_nl, "position": c.position })
    }

    pub fn category(conn: &mut Conn, id: i64) -> Result<reference::CategoryRow, ServiceError> {
        reference::categories(conn)?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(ServiceError::NotFound("category"))
    }

    pub fn create_category(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        f: &CategoryFields,
    ) -> Result<i64, ServiceError> {
        let position = check_category(f)?;
        conn.transaction(|conn| {
            let id = reference::insert_category(
                conn,
                &reference::NewCategory {
                    code: f.code.trim(),
                    name_fr: f.name.fr.trim(),
                    name_nl: f.name.nl.trim(),
                    position,
                },
            )
            .map_err(code_taken)?;
            let after = category(conn, id)?;
            audit::record(
                conn,
                now,
                actor,
                "category.created",
                "category",
                Some(id),
                json!({ "before": null, "after": category_snapshot(&after) }),
            )?;
            Ok(id)
        })
    }

    pub fn update_category(
        conn: &mut Conn,
        now: NaiveDateTime,
        actor: &Principal,
        id: i64,
        f: &CategoryFields,
    ) -> Result<(), ServiceError> {
        let position = check_category(f)?;
        conn.transaction(|conn| {
            let before = category(conn, id)?;
            q::update_category(
                conn,
                id,
                &q::CategoryChanges {
                    code: f.code.trim(),
                    name_fr: f.name.fr.trim(),
                    name_nl: f.name.nl.trim(),
                    position,
                },
            )
            .map_err(code_taken)?;
            let after = category(conn, id)?;
            audit::record(
                conn,
                now,
                actor,
                "category.updated",
                "category",
                Some(id),
                json!({ "before": category_snapshot(&before), "after": category_snapshot(&after) }),
            )?;
            Ok(())
        })
    }

    // Reading ----------------------------------------------------------------------------

    /// A lot as the back office lists it.
    #[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
    pub struct AdminLot {
        pub id: i64,
        pub reference: String,
        pub category: String,
        /// `goods` or `services`.
        pub kind: String,
        pub title_fr: String,
        pub title_nl: String,
        pub description_fr: String,
        pub description_nl: String,
        pub valid_from: NaiveDate,
        pub valid_until: NaiveDate,
        /// `draft`, `published` or `closed`.
        pub status: String,
        pub cascade: Vec<RankedSupplier>,
        pub product_count: i64,
    }

    fn admin_lot(
        conn: &mut Conn,
        lot: q::LotRow,
        categories: &[reference::CategoryRow],
        counts: &[(i64, i64)],
    ) -> Result<AdminLot, ServiceError> {
        let cascade = ranked_suppliers(conn, lot.id)?;
        Ok(AdminLot {
            category: categories
                .iter()
                .find(|c| c.id == lot.category_id)
                .map(|c| c.code.clone())
                .unwrap_or_default(),
            product_count: counts
                .iter()
                .find(|(id, _)| *id == lot.id)
                .map(|(_, n)| *n)
                .unwrap_or(0),
            cascade,
            id: lot.id,
            reference: lot.reference,
            kind: lot.kind,
            title_fr: lot.title_fr,
            title_nl: lot.title_nl,
            description_fr: lot.description_fr,
            description_nl: lot.description_nl,
            valid_from: lot.valid_from,
            valid_until: lot.valid_until,
            status: lot.status,
        })
    }

    pub fn lots(conn: &mut Conn) -> Result<Vec<AdminLot>, ServiceError> {
        let categories = reference::categories(conn)?;
        let counts = q::active_product_counts(conn)?;
        q::all_lots(conn)?
            .into_iter()
            .map(|lot| admin_lot(conn, lot, &categories, &counts))
            .collect()
    }

    pub fn lot(conn: &mut Conn, id: i64) -> Result<AdminLot, ServiceError> {
        let categories = reference::categories(conn)?;
        let counts = q::active_product_counts(conn)?;
        let row = lot_row(conn, id)?;
        admin_lot(conn, row, &categories, &counts)
    }

    /// One supplier's offer for a product, as the back office shows it.
    #[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
    pub struct AdminOffer {
        pub supplier_id: i64,
        pub supplier_name: String,
        pub rank: u8,
        pub price_cents: Option<i64>,
        /// The price as an exact decimal string, e.g. `"12.50"`.
        pub price: Option<String>,
        pub available: bool,
        pub unavailable_until: Option<NaiveDate>,
    }

    #[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
    pub struct AdminProduct {
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
        pub standards: Vec<String>,
        pub vat_class: String,
        pub min_quantity: i32,
        pub order_multiple: i32,
        pub active: bool,
        /// One line per cascade supplier, with or without an offer.
        pub offers: Vec<AdminOffer>,
    }

    fn admin_product(
        p: q::ProductRow,
        cascade: &[RankedSupplier],
        offers: &[q::OfferRow],
    ) -> AdminProduct {
        AdminProduct {
            offers: cascade
                .iter()
                .map(|s| {
                    let offer = offers
                        .iter()
                        .find(|o| o.product_id == p.id && o.supplier_id == s.supplier_id);
                    AdminOffer {
                        supplier_id: s.supplier_id,
                        supplier_name: s.supplier_name.clone(),
                        rank: s.rank,
                        price_cents: offer.map(|o| o.price_cents),
                        price: offer.map(|o| Cents::new(o.price_cents).to_decimal().to_string()),
                        available: offer.is_some_and(|o| o.available),
                        unavailable_until: offer.and_then(|o| o.unavailable_until),
                    }
                })
                .collect(),
            standards: split_standards(&p.standards),
            id: p.id,
            lot_id: p.lot_id,
            sku: p.sku,
            name_fr: p.name_fr,
            name_nl: p.name_nl,
            description_fr: p.description_fr,
            description_nl: p.description_nl,
            packaging_fr: p.packaging_fr,
            packaging_nl: p.packaging_nl,
            unit_code: p.unit_code,
            vat_class: p.vat_class,
            min_quantity: p.min_quantity,
            order_multiple: p.order_multiple,
            active: p.active,
        }
    }

    pub fn products_of_lot(
        conn: &mut Conn,
        lot_id: i64,
    ) -> Result<Vec<AdminProduct>, ServiceError> {
        let cascade = ranked_suppliers(conn, lot_id)?;
        let rows = q::all_products_of_lot(conn, lot_id)?;
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let offers = q::offers_for(conn, &ids)?;
        Ok(rows
            .into_iter()
            .map(|p| admin_product(p, &cascade, &offers))
            .collect())
    }

    pub fn product(conn: &mut Conn, id: i64) -> Result<AdminProduct, ServiceError> {
        let row = product_row(conn, id)?;
        let cascade = ranked_suppliers(conn, row.lot_id)?;
        let offers = q::offers_for(conn, &[id])?;
        Ok(admin_product(row, &cascade, &offers))
    }
}
