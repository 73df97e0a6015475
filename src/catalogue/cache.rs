//! The published catalogue kept in memory, so catalogue pages and the JSON catalogue cost
//! one integer comparison instead of loading thousands of products and their offers.
//!
//! A snapshot is current while the database's catalogue revision (bumped by triggers in the
//! same transaction as any change to lots, products, offers, cascades, categories, VAT
//! rates or suppliers) and the Brussels date it was priced for are unchanged. Checking the
//! revision is one primary-key read per request, so a change made by any process — the back
//! office, an import, the command line, another server — shows on the very next page.
//!
//! Rendered HTML of catalogue listings is cached beside the snapshot and dropped with it, and
//! so are the cascades, suppliers and offers a checkout routes its orders with. A checkout
//! uses the snapshot only while it is current and never waits for one to be built (a rebuild
//! takes a whole catalogue's reads, and after a supplier's change of availability every
//! checkout would wait for it); the background worker keeps it current.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::{Catalogue, CatalogueFilter, LotView, Orderability, ProductView};
use crate::db::catalogue::{self as cq, CascadeEntryRow, LotRow, OfferRow, SupplierBrief};
use crate::db::schema::{catalogue_revision, products};
use crate::db::{Conn, DbError};
use crate::with_conn;

/// How many rendered listings are kept per snapshot; past that the oldest half is dropped.
/// Each is a few tens of kilobytes, so this bounds the cache to a few megabytes.
const MAX_FRAGMENTS: usize = 256;

/// The whole published catalogue as of one revision and one day.
#[derive(Debug)]
pub struct Published {
    pub revision: i64,
    pub day: NaiveDate,
    pub catalogue: Catalogue,
    /// Each product's folded search text, by product id, as stored.
    search_texts: HashMap<i64, String>,
    /// (lot index, product index) by SKU.
    by_sku: HashMap<String, (usize, usize)>,
    /// What routing an order to a supplier needs, as of the same revision.
    pub routing: RoutingTables,
}

/// Lots as stored, their cascades, the cascades' suppliers and every offer for their
/// products: everything routing an order reads besides its lines. The snapshot keeps them for
/// every published lot; a checkout reads them for its own lots when the snapshot is stale.
#[derive(Debug, Default)]
pub struct RoutingTables {
    pub lots: HashMap<i64, LotRow>,
    /// Each lot's cascade entries, by rank.
    pub cascades: HashMap<i64, Vec<CascadeEntryRow>>,
    pub suppliers: HashMap<i64, SupplierBrief>,
    /// Every supplier's offer, by product.
    pub offers: HashMap<i64, Vec<OfferRow>>,
}

impl Published {
    fn new(
        revision: i64,
        day: NaiveDate,
        catalogue: Catalogue,
        search_texts: HashMap<i64, String>,
    ) -> Published {
        let mut by_sku = HashMap::new();
        for (l, lot) in catalogue.lots.iter().enumerate() {
            for (p, product) in lot.products.iter().enumerate() {
                by_sku.insert(product.sku.clone(), (l, p));
            }
        }
        Published {
            revision,
            day,
            catalogue,
            search_texts,
            by_sku,
            routing: RoutingTables::default(),
        }
    }

    fn with_routing(self, routing: RoutingTables) -> Published {
        Published { routing, ..self }
    }

    /// A product of a published lot by SKU, with whether its lot takes orders on the
    /// snapshot's day.
    pub fn orderable(&self, sku: &str) -> Option<(&ProductView, Orderability)> {
        let (l, p) = *self.by_sku.get(sku)?;
        let lot = &self.catalogue.lots[l];
        Some((&lot.products[p], lot.orderability))
    }

    /// The catalogue narrowed by `filter`, with the same meaning as [`super::load`]: every
    /// search word must occur in the product's search text; a search drops lots left
    /// without products; lot and category filters keep empty lots. Borrowed, not copied:
    /// a listing shows a page of it.
    pub fn filter(&self, filter: &CatalogueFilter) -> Selection<'_> {
        let words = filter
            .query
            .as_deref()
            .map(super::search::query_words)
            .unwrap_or_default();
        let lots = self
            .catalogue
            .lots
            .iter()
            .filter(|lot| {
                filter.lot.as_deref().is_none_or(|r| lot.reference == r)
                    && filter
                        .category
                        .as_deref()
                        .is_none_or(|code| lot.category.code == code)
            })
            .filter_map(|lot| {
                let products: Vec<&ProductView> = lot
                    .products
                    .iter()
                    .filter(|p| {
                        words.is_empty() || {
                            let text = self.search_texts.get(&p.id).map_or("", String::as_str);
                            words.iter().all(|w| text.contains(w.as_str()))
                        }
                    })
                    .collect();
                if !words.is_empty() && products.is_empty() {
                    return None;
                }
                Some((lot, products))
            })
            .collect();
        Selection { lots }
    }

    /// One product of a published lot, with its lot (without the lot's product list).
    pub fn product(&self, sku: &str) -> Option<(LotView, ProductView)> {
        let (l, p) = *self.by_sku.get(sku)?;
        let lot = &self.catalogue.lots[l];
        Some((lot_header(lot), lot.products[p].clone()))
    }

    /// The lot with this reference and all its products.
    pub fn lot(&self, reference: &str) -> Option<&LotView> {
        self.catalogue
            .lots
            .iter()
            .find(|lot| lot.reference == reference)
    }
}

/// Lots and the products of each that a filter kept, borrowed from a snapshot.
#[derive(Debug)]
pub struct Selection<'a> {
    pub lots: Vec<(&'a LotView, Vec<&'a ProductView>)>,
}

impl<'a> Selection<'a> {
    pub fn product_count(&self) -> usize {
        self.lots.iter().map(|(_, products)| products.len()).sum()
    }

    /// Every product in catalogue order, with its lot.
    pub fn products(&self) -> impl Iterator<Item = (&'a LotView, &'a ProductView)> + '_ {
        self.lots
            .iter()
            .flat_map(|(lot, products)| products.iter().map(move |p| (*lot, *p)))
    }

    /// Products `offset..offset + limit`, still grouped by lot in catalogue order (a lot cut
    /// by the page boundary appears on both pages with its share of products).
    pub fn page(&self, offset: usize, limit: usize) -> Vec<(&'a LotView, Vec<&'a ProductView>)> {
        let mut grouped: Vec<(&'a LotView, Vec<&'a ProductView>)> = Vec::new();
        for (lot, product) in self.products().skip(offset).take(limit) {
            match grouped.last_mut() {
                Some((last, products)) if last.id == lot.id => products.push(product),
                _ => grouped.push((lot, vec![product])),
            }
        }
        grouped
    }
}

fn lot_header(lot: &LotView) -> LotView {
    LotView {
        id: lot.id,
        reference: lot.reference.clone(),
        kind: lot.kind.clone(),
        title: lot.title.clone(),
        description: lot.description.clone(),
        category: lot.category.clone(),
        valid_from: lot.valid_from,
        valid_until: lot.valid_until,
        status: lot.status.clone(),
        orderability: lot.orderability,
        products: Vec::new(),
    }
}

/// What a rendered listing depends on besides the snapshot: the view, the language and
/// the view's parameters (search words, category, page …).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FragmentKey(String);

impl FragmentKey {
    pub fn new(view: &str, language: &str, parameters: &[&str]) -> FragmentKey {
        let mut key = format!("{view}\u{1f}{language}");
        for parameter in parameters {
            key.push('\u{1f}');
            key.push_str(parameter);
        }
        FragmentKey(key)
    }
}

#[derive(Default)]
struct Fragments {
    revision: i64,
    day: Option<NaiveDate>,
    html: HashMap<FragmentKey, (u64, Arc<str>)>,
    clock: u64,
}

#[derive(Default)]
pub struct CatalogueCache {
    current: RwLock<Option<Arc<Published>>>,
    /// Held while a snapshot is being built, so a burst of requests after a change builds it
    /// once instead of once per request.
    building: Mutex<()>,
    fragments: Mutex<Fragments>,
}

/// The database's current catalogue revision.
pub fn revision(conn: &mut Conn) -> Result<i64, DbError> {
    Ok(with_conn!(conn, |c| catalogue_revision::table
        .find(1)
        .select(catalogue_revision::revision)
        .first::<i64>(c)
        .optional())?
    .unwrap_or(0))
}

impl CatalogueCache {
    pub fn new() -> CatalogueCache {
        CatalogueCache::default()
    }

    fn fresh(&self, revision: i64, today: NaiveDate) -> Option<Arc<Published>> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        current
            .as_ref()
            .filter(|p| p.revision == revision && p.day == today)
            .cloned()
    }

    /// The snapshot as of `today` if nothing changed since it was loaded; `None` rather than
    /// waiting for a new one.
    pub fn current(
        &self,
        conn: &mut Conn,
        today: NaiveDate,
    ) -> Result<Option<Arc<Published>>, DbError> {
        let revision = revision(conn)?;
        Ok(self.fresh(revision, today))
    }

    /// The published catalogue as of `today`, from memory when nothing changed since it was
    /// loaded.
    pub fn published(&self, conn: &mut Conn, today: NaiveDate) -> Result<Arc<Published>, DbError> {
        let revision = revision(conn)?;
        if let Some(published) = self.fresh(revision, today) {
            return Ok(published);
        }
        let _building = self.building.lock().unwrap_or_else(|e| e.into_inner());
        // Someone else may have built it while this request waited.
        let revision = self::revision(conn)?;
        if let Some(published) = self.fresh(revision, today) {
            return Ok(published);
        }
        let published = Arc::new(load(conn, revision, today)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(published.clone());
        Ok(published)
    }

    /// The listing rendered for `key` on `published`, rendering it with `render` the first
    /// time.
    pub fn fragment<E>(
        &self,
        published: &Published,
        key: FragmentKey,
        render: impl FnOnce() -> Result<String, E>,
    ) -> Result<Arc<str>, E> {
        {
            let mut fragments = self.fragments.lock().unwrap_or_else(|e| e.into_inner());
            if fragments.revision != published.revision || fragments.day != Some(published.day) {
                fragments.html.clear();
                fragments.revision = published.revision;
                fragments.day = Some(published.day);
            }
            fragments.clock += 1;
            let now = fragments.clock;
            if let Some((used, html)) = fragments.html.get_mut(&key) {
                *used = now;
                return Ok(html.clone());
            }
        }
        let html: Arc<str> = Arc::from(render()?);
        let mut fragments = self.fragments.lock().unwrap_or_else(|e| e.into_inner());
        if fragments.revision == published.revision && fragments.day == Some(published.day) {
            if fragments.html.len() >= MAX_FRAGMENTS {
                evict_older_half(&mut fragments.html);
            }
            let now = fragments.clock;
            fragments.html.insert(key, (now, html.clone()));
        }
        Ok(html)
    }
}

fn evict_older_half(html: &mut HashMap<FragmentKey, (u64, Arc<str>)>) {
    let mut uses: Vec<u64> = html.values().map(|(used, _)| *used).collect();
    uses.sort_unstable();
    let median = uses[uses.len() / 2];
    html.retain(|_, (used, _)| *used > median);
}

fn load(conn: &mut Conn, revision: i64, today: NaiveDate) -> Result<Published, DbError> {
    let catalogue = super::load(conn, today, &CatalogueFilter::default())?;
    let ids: Vec<i64> = catalogue
        .lots
        .iter()
        .flat_map(|lot| lot.products.iter().map(|p| p.id))
        .collect();
    let mut search_texts = HashMap::with_capacity(ids.len());
    // Chunked: SQLite limits the number of bound parameters per statement.
    for chunk in ids.chunks(5_000) {
        let rows: Vec<(i64, String)> = with_conn!(conn, |c| products::table
            .filter(products::id.eq_any(chunk))
            .select((products::id, products::search_text))
            .load(c))?;
        search_texts.extend(rows);
    }
    let lot_ids: Vec<i64> = catalogue.lots.iter().map(|lot| lot.id).collect();
    let routing = RoutingTables::read(conn, &lot_ids, &ids)?;
    Ok(Published::new(revision, today, catalogue, search_texts).with_routing(routing))
}

impl RoutingTables {
    /// The tables for these lots and products, from the database.
    pub fn read(
        conn: &mut Conn,
        lot_ids: &[i64],
        product_ids: &[i64],
    ) -> Result<RoutingTables, DbError> {
        let lots = cq::lots_by_ids(conn, lot_ids)?
            .into_iter()
            .map(|lot| (lot.id, lot))
            .collect();
        let mut cascades: HashMap<i64, Vec<CascadeEntryRow>> = HashMap::new();
        let mut supplier_ids = Vec::new();
        for entry in cq::cascades_of(conn, lot_ids)? {
            supplier_ids.push(entry.supplier_id);
            cascades.entry(entry.lot_id).or_default().push(entry);
        }
        supplier_ids.sort_unstable();
        supplier_ids.dedup();
        let suppliers = cq::supplier_briefs(conn, &supplier_ids)?
            .into_iter()
            .map(|supplier| (supplier.id, supplier))
            .collect();
        let mut offers: HashMap<i64, Vec<OfferRow>> = HashMap::new();
        for chunk in product_ids.chunks(5_000) {
            for offer in cq::offers_for(conn, chunk)? {
                offers.entry(offer.product_id).or_default().push(offer);
            }
        }
        Ok(RoutingTables {
            lots,
            cascades,
            suppliers,
            offers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{Bilingual, CategoryView, Orderability};

    fn product(id: i64, sku: &str, lot_id: i64) -> ProductView {
        ProductView {
            id,
            sku: sku.into(),
            lot_id,
            lot_reference: format!("L{lot_id}"),
            name: Bilingual::new(sku, sku),
            description: Bilingual::new("", ""),
            packaging: Bilingual::new("", ""),
            unit_code: "BX".into(),
            standards: vec![],
            vat_rate: None,
            min_quantity: 1,
            order_multiple: 1,
            offer: None,
        }
    }

    fn lot(id: i64, category: &str, products: Vec<ProductView>) -> LotView {
        LotView {
            id,
            reference: format!("L{id}"),
            kind: "goods".into(),
            title: Bilingual::new("t", "t"),
            description: Bilingual::new("d", "d"),
            category: CategoryView {
                code: category.into(),
                name: Bilingual::new(category, category),
            },
            valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            valid_until: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            status: "published".into(),
            orderability: Orderability::Open,
            products,
        }
    }

    fn published() -> Published {
        let catalogue = Catalogue {
            categories: vec![],
            lots: vec![
                lot(
                    1,
                    "ppe",
                    vec![product(10, "MASK-FFP2", 1), product(11, "GLOVE-M", 1)],
                ),
                lot(2, "care", vec![product(20, "BED-1", 2)]),
                lot(3, "care", vec![]),
            ],
        };
        let texts = HashMap::from([
            (10, "mask-ffp2 masque ffp2 en 149".to_string()),
            (11, "glove-m gants nitrile en 455".to_string()),
            (20, "bed-1 lit medicalise".to_string()),
        ]);
        Published::new(
            7,
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            catalogue,
            texts,
        )
    }

    #[test]
    fn no_filter_keeps_everything_including_empty_lots() {
        let p = published();
        let all = p.filter(&CatalogueFilter::default());
        assert_eq!(all.lots.len(), 3);
        assert_eq!(all.product_count(), 3);
    }

    #[test]
    fn every_search_word_must_match_and_empty_lots_drop() {
        let p = published();
        let found = p.filter(&CatalogueFilter {
            query: Some("Gants EN".into()),
            ..Default::default()
        });
        assert_eq!(found.lots.len(), 1);
        assert_eq!(found.lots[0].1[0].sku, "GLOVE-M");
        let found = p.filter(&CatalogueFilter {
            query: Some("en médicalisé".into()),
            ..Default::default()
        });
        assert_eq!(found.product_count(), 0);
        assert!(found.lots.is_empty());
        let found = p.filter(&CatalogueFilter {
            query: Some("médicalisé".into()),
            ..Default::default()
        });
        assert_eq!(found.lots[0].0.reference, "L2");
    }

    #[test]
    fn category_and_lot_filters() {
        let p = published();
        let care = p.filter(&CatalogueFilter {
            category: Some("care".into()),
            ..Default::default()
        });
        assert_eq!(
            care.lots.iter().map(|(l, _)| l.id).collect::<Vec<_>>(),
            vec![2, 3]
        );
        let one = p.filter(&CatalogueFilter {
            lot: Some("L1".into()),
            ..Default::default()
        });
        assert_eq!(one.product_count(), 2);
    }

    #[test]
    fn pages_cut_across_lots_and_keep_lot_grouping() {
        let p = published();
        let all = p.filter(&CatalogueFilter::default());
        let first = all.page(0, 1);
        assert_eq!(first.len(), 1);
        assert_eq!(
            first[0].1.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![10]
        );
        let second = all.page(1, 2);
        assert_eq!(
            second
                .iter()
                .map(|(l, ps)| (l.id, ps.iter().map(|p| p.id).collect::<Vec<_>>()))
                .collect::<Vec<_>>(),
            vec![(1, vec![11]), (2, vec![20])]
        );
        assert!(all.page(3, 50).is_empty());
    }

    #[test]
    fn product_by_sku_comes_with_its_lot_header() {
        let p = published();
        let (lot, product) = p.product("BED-1").unwrap();
        assert_eq!(lot.reference, "L2");
        assert!(lot.products.is_empty());
        assert_eq!(product.id, 20);
        assert!(p.product("NOPE").is_none());
    }

    #[test]
    fn fragments_are_reused_until_the_revision_changes() {
        let cache = CatalogueCache::new();
        let p = published();
        let key = FragmentKey::new("index", "fr", &["", "", "1"]);
        let mut renders = 0;
        for _ in 0..3 {
            let html = cache
                .fragment(&p, key.clone(), || {
                    renders += 1;
                    Ok::<_, ()>(format!("render {renders}"))
                })
                .unwrap();
            assert_eq!(&*html, "render 1");
        }
        let newer = Published::new(
            8,
            p.day,
            Catalogue {
                categories: vec![],
                lots: vec![],
            },
            HashMap::new(),
        );
        let html = cache
            .fragment(&newer, key, || Ok::<_, ()>("fresh".to_string()))
            .unwrap();
        assert_eq!(&*html, "fresh");
    }

    #[test]
    fn fragment_keys_keep_parameters_apart() {
        assert_ne!(
            FragmentKey::new("index", "fr", &["a", ""]),
            FragmentKey::new("index", "fr", &["", "a"])
        );
        assert_ne!(
            FragmentKey::new("index", "fr", &["a"]),
            FragmentKey::new("index", "nl", &["a"])
        );
    }

    #[test]
    fn the_fragment_store_stays_bounded() {
        let cache = CatalogueCache::new();
        let p = published();
        for page in 0..(MAX_FRAGMENTS * 3) {
            let key = FragmentKey::new("index", "nl", &[&format!("q{page}"), "", "1"]);
            cache
                .fragment(&p, key, || Ok::<_, ()>(String::from("x")))
                .unwrap();
        }
        let fragments = cache.fragments.lock().unwrap();
        assert!(fragments.html.len() <= MAX_FRAGMENTS);
        assert!(!fragments.html.is_empty());
    }
}
