//! From our lots and orders to OCDS releases: pure functions, no I/O.
//!
//! Each lot is a framework-agreement procedure of the purchasing authority: one contracting
//! process (`<prefix>-lot-<reference>`) whose tender has a single lot (lots extension) and
//! `techniques.hasFrameworkAgreement` (techniques extension), and whose awards are the
//! cascade suppliers, one award per cascade entry with its rank.
//!
//! Each published order is a call-off of that framework agreement: its own process
//! (`<prefix>-order-<reference>`) pointing at the lot's process through `relatedProcesses`
//! (`relationship: ["framework"]`), bought by the institution, awarded (when a supplier
//! confirmed it) to that supplier at the order's value excluding VAT.
//!
//! Only legal entities appear, identified by their enterprise number: no person's name or
//! address, no contact point, no delivery address, no buyer's own order reference.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::ocds::{
    Award, Contract, FrameworkAgreement, Identifier, Item, Lot, Organization,
    OrganizationReference, Period, RelatedProcess, Release, Techniques, Tender, Unit, Value,
    KBO_SCHEME,
};
use crate::domain::order_state::OrderStatus;
use crate::domain::vat::{compute_totals, PricedLine, VatRate};
use crate::domain::{Cents, MoneyError, MAX_CASCADE_SIZE};

/// Who publishes, and under which identifiers.
#[derive(Debug, Clone)]
pub struct Publication {
    /// Registered OCDS prefix (`ocds-xxxxxx`), or a local one until registration.
    pub ocid_prefix: String,
    /// The purchasing authority: buyer and procuring entity of every framework agreement.
    pub authority: Entity,
}

impl Publication {
    pub fn lot_ocid(&self, lot_reference: &str) -> String {
        format!("{}-lot-{}", self.ocid_prefix, lot_reference)
    }

    pub fn order_ocid(&self, order_reference: &str) -> String {
        format!("{}-order-{}", self.ocid_prefix, order_reference)
    }
}

/// A legal entity known by its Belgian enterprise number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// The ten bare digits.
    pub enterprise_number: String,
    pub name: String,
}

impl Entity {
    /// The party id, built as OCDS recommends: `{scheme}-{id}`.
    pub fn party_id(&self) -> String {
        format!("{KBO_SCHEME}-{}", self.enterprise_number)
    }

    pub fn reference(&self) -> OrganizationReference {
        OrganizationReference {
            id: self.party_id(),
            name: self.name.clone(),
        }
    }

    fn party(&self, roles: Vec<&'static str>) -> Organization {
        Organization {
            id: self.party_id(),
            name: self.name.clone(),
            identifier: Identifier {
                scheme: KBO_SCHEME,
                id: self.enterprise_number.clone(),
                legal_name: self.name.clone(),
            },
            roles,
        }
    }
}

#[derive(Debug, Clone)]
pub struct LotData {
    pub reference: String,
    /// `goods` or `services`.
    pub kind: String,
    pub title_fr: String,
    pub title_nl: String,
    pub description_fr: String,
    pub description_nl: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// `published` or `closed` (drafts are never published).
    pub status: String,
    pub updated_at: NaiveDateTime,
    pub cascade: Vec<CascadeData>,
}

#[derive(Debug, Clone)]
pub struct CascadeData {
    pub entry_id: i64,
    pub rank: i32,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub supplier: Entity,
}

#[derive(Debug, Clone)]
pub struct OrderData {
    pub reference: String,
    pub status: OrderStatus,
    pub lot_reference: String,
    pub lot_title_fr: String,
    pub lot_kind: String,
    pub institution: Entity,
    /// The supplier that confirmed the order, with its cascade rank.
    pub supplier: Option<(Entity, i32)>,
    pub placed_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub expected_delivery: Option<NaiveDate>,
    pub delivered_at: Option<NaiveDateTime>,
    pub lines: Vec<LineData>,
}

#[derive(Debug, Clone)]
pub struct LineData {
    pub sku: String,
    pub name_fr: String,
    pub name_nl: String,
    /// UN/ECE Recommendation 20 code, e.g. `BX`.
    pub unit_code: String,
    pub quantity: i32,
    pub unit_price: Cents,
    pub vat_rate_basis_points: i32,
}

/// Which orders are published as call-offs.
///
/// - Orders a supplier confirmed (`confirmed`, `cancellation_requested`, `shipped`,
///   `delivered`) are commitments of public money: published with their award and contract.
/// - `cancelled` orders are published only if a supplier had confirmed them: the contract
///   existed and is shown as cancelled. An order cancelled before any supplier accepted it
///   never became a commitment.
/// - `unfulfilled` orders (every supplier of the cascade declined or let the time run out)
///   are published without award, as an unsuccessful call-off: how often a cascade fails is
///   exactly what the public should be able to see.
/// - Orders still `placed` or `routed` are in progress and wait until they are decided.
pub fn is_published(status: OrderStatus, confirmed: bool) -> bool {
    match status {
        OrderStatus::Confirmed
        | OrderStatus::CancellationRequested
        | OrderStatus::Shipped
        | OrderStatus::Delivered
        | OrderStatus::Unfulfilled => true,
        OrderStatus::Cancelled => confirmed,
        OrderStatus::Placed | OrderStatus::Routed => false,
    }
}

/// The statuses [`is_published`] may accept, for filtering in the database.
pub const PUBLISHED_STATUSES: [&str; 6] = [
    "confirmed",
    "cancellation_requested",
    "shipped",
    "delivered",
    "unfulfilled",
    "cancelled",
];

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    utc(day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

fn end_of(day: NaiveDate) -> DateTime<Utc> {
    utc(day.and_hms_opt(23, 59, 59).unwrap_or_default())
}

/// A release id unique within its process and new whenever the data changed.
fn release_id(ocid: &str, at: NaiveDateTime) -> String {
    format!("{ocid}-{}", at.format("%Y%m%dT%H%M%SZ"))
}

fn procurement_category(kind: &str) -> Option<&'static str> {
    match kind {
        "goods" => Some("goods"),
        "services" => Some("services"),
        "works" => Some("works"),
        _ => None,
    }
}

/// The release of a lot: the framework agreement and its cascade.
pub fn lot_release(publication: &Publication, lot: &LotData) -> Release {
    let ocid = publication.lot_ocid(&lot.reference);
    let authority = publication.authority.reference();
    let period = Period {
        start_date: Some(start_of(lot.valid_from)),
        end_date: Some(end_of(lot.valid_until)),
    };
    let status = if lot.status == "closed" {
        "complete"
    } else {
        "active"
    };
    let mut cascade: Vec<&CascadeData> = lot.cascade.iter().collect();
    cascade.sort_by_key(|entry| (entry.rank, !entry.active, entry.entry_id));

    let mut parties = vec![publication
        .authority
        .party(vec!["buyer", "procuringEntity"])];
    for entry in &cascade {
        if !parties.iter().any(|p| p.id == entry.supplier.party_id()) {
            parties.push(entry.supplier.party(vec!["supplier"]));
        }
    }
    let awards: Vec<Award> = cascade
        .iter()
        .map(|entry| Award {
            id: format!("{}-cascade-{}", lot.reference, entry.entry_id),
            title: format!("Rang {} de la cascade", entry.rank),
            title_nl: format!("Rang {} in de cascade", entry.rank),
            description: Some(format!(
                "Fournisseur classé au rang {} de la cascade du lot {}{}.",
                entry.rank,
                lot.reference,
                if entry.active {
                    ""
                } else {
                    " (retiré de la cascade)"
                }
            )),
            description_nl: Some(format!(
                "Leverancier op rang {} van de cascade van perceel {}{}.",
                entry.rank,
                lot.reference,
                if entry.active {
                    ""
                } else {
                    " (uit de cascade gehaald)"
                }
            )),
            status: if entry.active { "active" } else { "cancelled" },
            date: Some(utc(entry.created_at)),
            value: None,
            suppliers: vec![entry.supplier.reference()],
            items: Vec::new(),
            contract_period: Some(period.clone()),
            related_lots: vec![lot.reference.clone()],
        })
        .collect();
    let mut tag = vec!["tender"];
    if !awards.is_empty() {
        tag.push("award");
    }
    let updated = cascade
        .iter()
        .map(|entry| entry.created_at)
        .chain(std::iter::once(lot.updated_at))
        .max()
        .unwrap_or(lot.updated_at);
    Release {
        id: release_id(&ocid, updated),
        ocid,
        date: utc(updated),
        tag,
        initiation_type: "tender",
        language: "fr",
        parties,
        buyer: authority.clone(),
        tender: Tender {
            id: lot.reference.clone(),
            title: Some(lot.title_fr.clone()),
            title_nl: Some(lot.title_nl.clone()),
            description: Some(lot.description_fr.clone()).filter(|d| !d.is_empty()),
            description_nl: Some(lot.description_nl.clone()).filter(|d| !d.is_empty()),
            status,
            procuring_entity: authority,
            main_procurement_category: procurement_category(&lot.kind),
            procurement_method: None,
            procurement_method_details: Some(
                "Accord-cadre avec cascade de fournisseurs classés / Raamovereenkomst met cascade van gerangschikte leveranciers"
                    .into(),
            ),
            items: Vec::new(),
            value: None,
            contract_period: Some(period.clone()),
            techniques: Techniques {
                has_framework_agreement: true,
                framework_agreement: Some(FrameworkAgreement {
                    method: "withoutReopeningCompetition",
                    maximum_participants: MAX_CASCADE_SIZE as u32,
                    period: period.clone(),
                }),
            },
            competitive: None,
            lots: vec![Lot {
                id: lot.reference.clone(),
                title: lot.title_fr.clone(),
                title_nl: lot.title_nl.clone(),
                status,
                contract_period: period,
            }],
        },
        awards,
        contracts: Vec::new(),
        related_processes: Vec::new(),
    }
}

/// The release of a call-off order, or `None` when the order is not published (see
/// [`is_published`]) or its amounts overflow.
pub fn order_release(publication: &Publication, order: &OrderData) -> Option<Release> {
    if !is_published(order.status, order.supplier.is_some()) {
        return None;
    }
    let ocid = publication.order_ocid(&order.reference);
    let authority = publication.authority.reference();
    let items = items_of(order);
    let net = net_total(&order.lines).ok()?;

    let mut parties = vec![
        order.institution.party(vec!["buyer"]),
        publication.authority.party(vec!["procuringEntity"]),
    ];
    let mut awards = Vec::new();
    let mut contracts = Vec::new();
    if let Some((supplier, rank)) = &order.supplier {
        parties.push(supplier.party(vec!["supplier"]));
        let cancelled = order.status == OrderStatus::Cancelled;
        let award_id = format!("{}-award", order.reference);
        awards.push(Award {
            id: award_id.clone(),
            title: format!("Commande {}", order.reference),
            title_nl: format!("Bestelling {}", order.reference),
            description: Some(format!(
                "Acceptée par le fournisseur de rang {rank} de la cascade du lot {}.",
                order.lot_reference
            )),
            description_nl: Some(format!(
                "Aanvaard door de leverancier op rang {rank} van de cascade van perceel {}.",
                order.lot_reference
            )),
            status: if cancelled { "cancelled" } else { "active" },
            date: order.confirmed_at.map(utc),
            value: Some(Value::eur(net)),
            suppliers: vec![supplier.reference()],
            items: items.clone(),
            contract_period: None,
            related_lots: Vec::new(),
        });
        contracts.push(Contract {
            id: format!("{}-contract", order.reference),
            award_id,
            status: match order.status {
                OrderStatus::Cancelled => "cancelled",
                OrderStatus::Delivered => "terminated",
                _ => "active",
            },
            value: Value::eur(net),
            date_signed: order.confirmed_at.map(utc),
            period: Some(Period {
                start_date: order.confirmed_at.map(utc),
                end_date: order
                    .delivered_at
                    .map(utc)
                    .or(order.expected_delivery.map(end_of)),
            }),
            items: items.clone(),
        });
    }
    let (tag, tender_status) = if awards.is_empty() {
        (vec!["tender"], "unsuccessful")
    } else {
        (vec!["tender", "award", "contract"], "complete")
    };
    Some(Release {
        id: release_id(&ocid, order.updated_at),
        ocid,
        date: utc(order.updated_at),
        tag,
        initiation_type: "tender",
        language: "fr",
        buyer: order.institution.reference(),
        parties,
        tender: Tender {
            id: order.reference.clone(),
            title: Some(format!("Commande {}", order.reference)),
            title_nl: Some(format!("Bestelling {}", order.reference)),
            description: None,
            description_nl: None,
            status: tender_status,
            procuring_entity: authority,
            main_procurement_category: procurement_category(&order.lot_kind),
            procurement_method: None,
            procurement_method_details: Some(
                "Commande dans l'accord-cadre, attribuée selon la cascade / Bestelling binnen de raamovereenkomst, gegund volgens de cascade"
                    .into(),
            ),
            items,
            value: Some(Value::eur(net)),
            contract_period: None,
            techniques: Techniques {
                has_framework_agreement: true,
                framework_agreement: None,
            },
            competitive: Some(false),
            lots: Vec::new(),
        },
        awards,
        contracts,
        related_processes: vec![RelatedProcess {
            id: "framework".into(),
            relationship: vec!["framework"],
            title: order.lot_title_fr.clone(),
            scheme: "ocid",
            identifier: publication.lot_ocid(&order.lot_reference),
        }],
    })
}

fn items_of(order: &OrderData) -> Vec<Item> {
    order
        .lines
        .iter()
        .map(|line| Item {
            id: line.sku.clone(),
            description: line.name_fr.clone(),
            description_nl: line.name_nl.clone(),
            quantity: i64::from(line.quantity),
            unit: Unit {
                scheme: "UNCEFACT",
                id: line.unit_code.clone(),
                value: Value::eur(line.unit_price),
            },
        })
        .collect()
}

/// The order's total excluding VAT, computed exactly as the order's own totals are.
pub fn net_total(lines: &[LineData]) -> Result<Cents, MoneyError> {
    let priced: Vec<PricedLine> = lines
        .iter()
        .map(|line| {
            Ok(PricedLine {
                unit_price: line.unit_price,
                quantity: u32::try_from(line.quantity).map_err(|_| MoneyError::Invalid)?,
                vat_rate: VatRate::from_basis_points(line.vat_rate_basis_points.max(0) as u32)
                    .unwrap_or(VatRate::ZERO),
            })
        })
        .collect::<Result<_, MoneyError>>()?;
    Ok(compute_totals(&priced)?.net)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    fn entity(number: &str, name: &str) -> Entity {
        Entity {
            enterprise_number: number.into(),
            name: name.into(),
        }
    }

    fn publication() -> Publication {
        Publication {
            ocid_prefix: "ocds-abc123".into(),
            authority: entity("0200000157", "Autorité"),
        }
    }

    fn lot() -> LotData {
        LotData {
            reference: "L-1".into(),
            kind: "goods".into(),
            title_fr: "Gants".into(),
            title_nl: "Handschoenen".into(),
            description_fr: "".into(),
            description_nl: "".into(),
            valid_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            valid_until: NaiveDate::from_ymd_opt(2028, 12, 31).unwrap(),
            status: "published".into(),
            updated_at: at(1, 9),
            cascade: vec![
                CascadeData {
                    entry_id: 12,
                    rank: 2,
                    active: true,
                    created_at: at(2, 9),
                    supplier: entity("0400000133", "B"),
                },
                CascadeData {
                    entry_id: 11,
                    rank: 1,
                    active: false,
                    created_at: at(1, 9),
                    supplier: entity("0300000145", "A"),
                },
                CascadeData {
                    entry_id: 13,
                    rank: 1,
                    active: true,
                    created_at: at(3, 9),
                    supplier: entity("0500000121", "C"),
                },
            ],
        }
    }

    fn order(status: OrderStatus, supplier: bool) -> OrderData {
        OrderData {
            reference: "O-9".into(),
            status,
            lot_reference: "L-1".into(),
            lot_title_fr: "Gants".into(),
            lot_kind: "goods".into(),
            institution: entity("0600000109", "Maison de repos"),
            supplier: supplier.then(|| (entity("0400000133", "B"), 2)),
            placed_at: at(4, 8),
            updated_at: at(5, 10),
            confirmed_at: supplier.then(|| at(4, 9)),
            expected_delivery: supplier.then(|| NaiveDate::from_ymd_opt(2026, 3, 9).unwrap()),
            delivered_at: None,
            lines: vec![
                LineData {
                    sku: "G-1".into(),
                    name_fr: "Gant".into(),
                    name_nl: "Handschoen".into(),
                    unit_code: "BX".into(),
                    quantity: 3,
                    unit_price: Cents::new(1999),
                    vat_rate_basis_points: 2100,
                },
                LineData {
                    sku: "G-2".into(),
                    name_fr: "Gant L".into(),
                    name_nl: "Handschoen L".into(),
                    unit_code: "C62".into(),
                    quantity: 1000,
                    unit_price: Cents::new(7),
                    vat_rate_basis_points: 600,
                },
            ],
        }
    }

    #[test]
    fn only_decided_orders_are_published() {
        for status in OrderStatus::ALL {
            for confirmed in [false, true] {
                let expected = match status {
                    OrderStatus::Placed | OrderStatus::Routed => false,
                    OrderStatus::Cancelled => confirmed,
                    _ => true,
                };
                assert_eq!(is_published(status, confirmed), expected, "{status:?}");
                if expected {
                    assert!(PUBLISHED_STATUSES.contains(&status.code()));
                }
            }
        }
    }

    #[test]
    fn a_lot_is_a_framework_agreement_with_one_award_per_cascade_entry() {
        let release = lot_release(&publication(), &lot());
        assert_eq!(release.ocid, "ocds-abc123-lot-L-1");
        // The latest change is the newest cascade entry.
        assert_eq!(release.id, "ocds-abc123-lot-L-1-20260303T090000Z");
        assert_eq!(release.tag, ["tender", "award"]);
        assert_eq!(release.buyer.id, "BE-BCE_KBO-0200000157");
        assert!(release.tender.techniques.has_framework_agreement);
        assert_eq!(release.tender.status, "active");
        assert_eq!(release.tender.description, None);
        assert_eq!(release.tender.lots.len(), 1);
        let awards: Vec<(&str, &str, &str)> = release
            .awards
            .iter()
            .map(|a| (a.id.as_str(), a.status, a.suppliers[0].id.as_str()))
            .collect();
        assert_eq!(
            awards,
            [
                ("L-1-cascade-13", "active", "BE-BCE_KBO-0500000121"),
                ("L-1-cascade-11", "cancelled", "BE-BCE_KBO-0300000145"),
                ("L-1-cascade-12", "active", "BE-BCE_KBO-0400000133"),
            ]
        );
        assert_eq!(release.awards[2].title, "Rang 2 de la cascade");
        assert_eq!(release.parties.len(), 4);
        assert_eq!(release.parties[0].roles, ["buyer", "procuringEntity"]);

        let mut closed = lot();
        closed.status = "closed".into();
        closed.cascade.clear();
        let release = lot_release(&publication(), &closed);
        assert_eq!(release.tender.status, "complete");
        assert_eq!(release.tag, ["tender"]);
        assert_eq!(release.id, "ocds-abc123-lot-L-1-20260301T090000Z");
    }

    #[test]
    fn a_confirmed_order_is_a_call_off_awarded_at_its_net_value() {
        let release = order_release(&publication(), &order(OrderStatus::Confirmed, true)).unwrap();
        assert_eq!(release.ocid, "ocds-abc123-order-O-9");
        assert_eq!(
            release.related_processes[0].identifier,
            "ocds-abc123-lot-L-1"
        );
        assert_eq!(release.related_processes[0].relationship, ["framework"]);
        assert_eq!(release.buyer.id, "BE-BCE_KBO-0600000109");
        assert_eq!(release.tag, ["tender", "award", "contract"]);
        // 3 × 19.99 + 1000 × 0.07, VAT excluded.
        let net = Value::eur(Cents::new(12_997));
        assert_eq!(release.awards[0].value, Some(net));
        assert_eq!(release.contracts[0].value, net);
        assert_eq!(release.tender.value, Some(net));
        assert_eq!(release.awards[0].suppliers[0].id, "BE-BCE_KBO-0400000133");
        assert_eq!(release.contracts[0].status, "active");
        assert_eq!(release.contracts[0].award_id, release.awards[0].id);
        assert_eq!(
            release.tender.items[1].unit.value,
            Value::eur(Cents::new(7))
        );
        assert_eq!(release.tender.items[1].quantity, 1000);
        let roles: Vec<_> = release.parties.iter().map(|p| p.roles.clone()).collect();
        assert_eq!(
            roles,
            [vec!["buyer"], vec!["procuringEntity"], vec!["supplier"]]
        );
    }

    #[test]
    fn contract_status_follows_the_order() {
        let status = |s, supplier| {
            order_release(&publication(), &order(s, supplier))
                .map(|r| (r.tender.status, r.contracts.first().map(|c| c.status)))
        };
        assert_eq!(
            status(OrderStatus::Delivered, true),
            Some(("complete", Some("terminated")))
        );
        assert_eq!(
            status(OrderStatus::Shipped, true),
            Some(("complete", Some("active")))
        );
        assert_eq!(
            status(OrderStatus::Cancelled, true),
            Some(("complete", Some("cancelled")))
        );
        assert_eq!(
            status(OrderStatus::Unfulfilled, false),
            Some(("unsuccessful", None))
        );
        assert_eq!(status(OrderStatus::Cancelled, false), None);
        assert_eq!(status(OrderStatus::Routed, false), None);
    }

    #[test]
    fn an_order_whose_amounts_overflow_is_left_out() {
        let mut huge = order(OrderStatus::Confirmed, true);
        huge.lines[0].unit_price = Cents::new(i64::MAX / 2);
        assert!(order_release(&publication(), &huge).is_none());
    }
}
