//! The generated shop's reference data: categories, suppliers, lots with their cascades,
//! products and offers, institutions with their buyers and API clients, one admin.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use crate::generate::Params;
use crate::rows::*;

/// Password of the generated admin, who opens the reports page in a browser session.
pub const ADMIN_EMAIL: &str = "admin@bench.centrale.example";
pub const ADMIN_PASSWORD: &str = "bench-admin-password-2026";

const AUTHORITIES: i64 = 7;
const SECTORS: [&str; 8] = [
    "care_home",
    "home_care",
    "social_service",
    "health_centre",
    "disability",
    "homeless",
    "administration",
    "other",
];

/// (code, name fr, name nl, services?)
const CATEGORIES: [(&str, &str, &str, bool); 8] = [
    (
        "EPI",
        "Équipements de protection",
        "Persoonlijke beschermingsmiddelen",
        false,
    ),
    ("HYG", "Hygiène", "Hygiëne", false),
    ("INC", "Incontinence", "Incontinentie", false),
    ("SOI", "Soins et pansements", "Verzorging en verband", false),
    ("NET", "Nettoyage", "Schoonmaak", false),
    (
        "BUR",
        "Fournitures de bureau",
        "Kantoorbenodigdheden",
        false,
    ),
    ("PER", "Personnel soignant", "Zorgpersoneel", true),
    ("INF", "Équipes mobiles de soins", "Mobiele zorgteams", true),
];

/// A product family: name fr, name nl, packaging fr, packaging nl, VAT class, standard.
type Family = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// Product families per category.
const FAMILIES: [&[Family]; 8] = [
    &[
        (
            "Gants nitrile",
            "Nitrilhandschoenen",
            "Boîte de 100",
            "Doos van 100",
            "standard",
            "EN ISO 374-5",
        ),
        (
            "Gants vinyle",
            "Vinylhandschoenen",
            "Boîte de 100",
            "Doos van 100",
            "standard",
            "EN 455",
        ),
        (
            "Masque chirurgical type IIR",
            "Chirurgisch mondmasker type IIR",
            "Boîte de 50",
            "Doos van 50",
            "covid_ppe",
            "EN 14683",
        ),
        (
            "Masque FFP2",
            "FFP2-mondmasker",
            "Boîte de 20",
            "Doos van 20",
            "covid_ppe",
            "EN 149",
        ),
        (
            "Blouse de protection",
            "Beschermschort",
            "Paquet de 10",
            "Pak van 10",
            "standard",
            "EN 14126",
        ),
        (
            "Visière de protection",
            "Gelaatsscherm",
            "Pièce",
            "Stuk",
            "standard",
            "EN 166",
        ),
        (
            "Charlotte",
            "Haarkapje",
            "Paquet de 100",
            "Pak van 100",
            "standard",
            "",
        ),
        (
            "Surchaussures",
            "Overschoenen",
            "Paquet de 100",
            "Pak van 100",
            "standard",
            "",
        ),
    ],
    &[
        (
            "Gel hydroalcoolique",
            "Hydroalcoholische gel",
            "Flacon de 500 ml",
            "Fles van 500 ml",
            "covid_ppe",
            "EN 1500",
        ),
        (
            "Savon doux",
            "Zachte zeep",
            "Bidon de 5 l",
            "Jerrycan van 5 l",
            "standard",
            "",
        ),
        (
            "Lingettes désinfectantes",
            "Desinfecterende doekjes",
            "Boîte de 200",
            "Doos van 200",
            "standard",
            "EN 14476",
        ),
        (
            "Essuie-mains papier",
            "Papieren handdoeken",
            "Carton de 20 rouleaux",
            "Doos van 20 rollen",
            "standard",
            "",
        ),
        (
            "Papier toilette",
            "Toiletpapier",
            "Paquet de 48",
            "Pak van 48",
            "standard",
            "",
        ),
    ],
    &[
        (
            "Change complet",
            "Volledig incontinentieslip",
            "Paquet de 28",
            "Pak van 28",
            "reduced",
            "ISO 15621",
        ),
        (
            "Alèse jetable",
            "Wegwerponderlegger",
            "Paquet de 30",
            "Pak van 30",
            "reduced",
            "",
        ),
        (
            "Slip absorbant",
            "Absorberend broekje",
            "Paquet de 14",
            "Pak van 14",
            "reduced",
            "ISO 15621",
        ),
    ],
    &[
        (
            "Compresses stériles",
            "Steriele kompressen",
            "Boîte de 100",
            "Doos van 100",
            "reduced",
            "EN 13795",
        ),
        (
            "Pansement adhésif",
            "Kleefpleister",
            "Boîte de 50",
            "Doos van 50",
            "reduced",
            "",
        ),
        (
            "Seringue",
            "Spuit",
            "Boîte de 100",
            "Doos van 100",
            "standard",
            "ISO 7886",
        ),
        (
            "Thermomètre frontal",
            "Voorhoofdthermometer",
            "Pièce",
            "Stuk",
            "standard",
            "",
        ),
    ],
    &[
        (
            "Détergent sols",
            "Vloerreiniger",
            "Bidon de 5 l",
            "Jerrycan van 5 l",
            "standard",
            "",
        ),
        (
            "Sacs poubelle",
            "Vuilniszakken",
            "Rouleau de 50",
            "Rol van 50",
            "standard",
            "",
        ),
        (
            "Lavette microfibre",
            "Microvezeldoek",
            "Paquet de 10",
            "Pak van 10",
            "standard",
            "",
        ),
    ],
    &[
        (
            "Papier A4",
            "A4-papier",
            "Ramette de 500",
            "Riem van 500",
            "standard",
            "ISO 216",
        ),
        (
            "Enveloppes C5",
            "Enveloppen C5",
            "Boîte de 500",
            "Doos van 500",
            "standard",
            "",
        ),
        (
            "Classeur à levier",
            "Hefboomordner",
            "Pièce",
            "Stuk",
            "standard",
            "",
        ),
    ],
    &[
        (
            "Aide-soignant heure de jour",
            "Zorgkundige uur overdag",
            "Heure",
            "Uur",
            "exempt",
            "",
        ),
        (
            "Infirmier heure de nuit",
            "Verpleegkundige nachtuur",
            "Heure",
            "Uur",
            "exempt",
            "",
        ),
        (
            "Infirmier heure de week-end",
            "Verpleegkundige weekenduur",
            "Heure",
            "Uur",
            "exempt",
            "",
        ),
    ],
    &[
        (
            "Équipe mobile de soins palliatifs",
            "Mobiel palliatief team",
            "Heure",
            "Uur",
            "exempt",
            "",
        ),
        (
            "Équipe mobile de gériatrie",
            "Mobiel geriatrisch team",
            "Heure",
            "Uur",
            "exempt",
            "",
        ),
    ],
];

const VARIANTS: [(&str, &str); 10] = [
    ("taille S", "maat S"),
    ("taille M", "maat M"),
    ("taille L", "maat L"),
    ("taille XL", "maat XL"),
    ("bleu", "blauw"),
    ("blanc", "wit"),
    ("noir", "zwart"),
    ("sans latex", "latexvrij"),
    ("sans parfum", "parfumvrij"),
    ("recyclé", "gerecycleerd"),
];

const PLACES: [(&str, &str); 12] = [
    ("1000", "Bruxelles"),
    ("1020", "Laeken"),
    ("1030", "Schaerbeek"),
    ("1040", "Etterbeek"),
    ("1050", "Ixelles"),
    ("1060", "Saint-Gilles"),
    ("1070", "Anderlecht"),
    ("1080", "Molenbeek-Saint-Jean"),
    ("1090", "Jette"),
    ("1140", "Evere"),
    ("1180", "Uccle"),
    ("1200", "Woluwe-Saint-Lambert"),
];

const STREETS: [&str; 8] = [
    "Rue de la Loi",
    "Avenue Louise",
    "Chaussée de Gand",
    "Rue Haute",
    "Boulevard Général Jacques",
    "Rue Royale",
    "Avenue de Tervueren",
    "Chaussée d'Alsemberg",
];

const NAME_WORDS: [&str; 12] = [
    "Les Tilleuls",
    "Sint-Jozef",
    "Le Clos",
    "De Linde",
    "Les Jardins",
    "Zonnebloem",
    "Le Rivage",
    "Ter Kameren",
    "La Source",
    "Het Anker",
    "Bon Accueil",
    "Den Bosch",
];

/// Words people search the catalogue with; the search scenario draws from these.
pub const SEARCH_WORDS: [&str; 16] = [
    "gants",
    "nitrile",
    "masque",
    "ffp2",
    "blouse",
    "gel",
    "savon",
    "compresses",
    "handschoenen",
    "mondmasker",
    "zeep",
    "taille m",
    "sans latex",
    "papier",
    "infirmier",
    "alese",
];

/// A Belgian enterprise number: eight digits starting with 0 or 1, then 97 - (base mod 97).
pub fn enterprise_number(base: u64) -> String {
    let check = 97 - base % 97;
    format!("{base:08}{check:02}")
}

fn url_safe(rng: &mut StdRng, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..n)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

fn hex(rng: &mut StdRng, bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rng.gen::<u8>()))
        .collect()
}

/// What the history generator needs to know about a lot.
pub struct LotPlan {
    pub id: i64,
    pub cascade: Vec<i64>,
    pub products: Vec<ProductPlan>,
    /// How often institutions order from it, relative to the others.
    pub popularity: u32,
}

pub struct ProductPlan {
    pub id: i64,
    pub sku: String,
    pub name_fr: String,
    pub name_nl: String,
    pub unit_code: String,
    pub vat_class: String,
    pub order_multiple: i32,
    /// Price of each cascade supplier, by rank.
    pub prices: Vec<i64>,
}

pub struct InstitutionPlan {
    pub id: i64,
    pub language: &'static str,
    pub user_id: i64,
    pub user_label: String,
    pub client_row_id: i64,
    pub client_label: String,
    pub address_ids: Vec<i64>,
}

/// Everything written before the order history.
pub struct Reference {
    pub categories: Vec<Category>,
    pub suppliers: Vec<Supplier>,
    pub lots: Vec<Lot>,
    pub cascade: Vec<CascadeEntry>,
    pub products: Vec<Product>,
    pub offers: Vec<Offer>,
    pub institutions: Vec<Institution>,
    pub addresses: Vec<DeliveryAddress>,
    /// The admin and the suppliers' users.
    pub users: Vec<User>,
    /// The institutions' buyers, written after the institutions they belong to.
    pub institution_users: Vec<User>,
    pub clients: Vec<ApiClient>,
    pub lot_plans: Vec<LotPlan>,
    pub institution_plans: Vec<InstitutionPlan>,
    /// Label each supplier's answers carry in the order history, by supplier id.
    pub supplier_labels: Vec<String>,
}

pub fn reference(params: &Params, rng: &mut StdRng, password_hash: &str) -> Reference {
    let created: NaiveDateTime = (params.anchor
        - Duration::days(i64::from(params.months) * 31 + 120))
    .and_hms_opt(9, 0, 0)
    .unwrap_or_default();
    let categories: Vec<Category> = CATEGORIES
        .iter()
        .enumerate()
        .map(|(i, (code, fr, nl, _))| Category {
            id: i as i64 + 1,
            code: (*code).into(),
            name_fr: (*fr).into(),
            name_nl: (*nl).into(),
            position: i as i32 + 1,
        })
        .collect();

    let mut users = vec![User {
        id: 1,
        email: ADMIN_EMAIL.into(),
        name: "Bench Admin".into(),
        role: "admin".into(),
        institution_id: None,
        supplier_id: None,
        language: "fr".into(),
        password_hash: Some(password_hash.into()),
        status: "active".into(),
        created_at: created,
        updated_at: created,
    }];
    let mut clients = vec![ApiClient {
        id: 1,
        client_id: format!("cl_{}", url_safe(rng, 24)),
        secret_hash: hex(rng, 32),
        name: "Bench admin scripts".into(),
        role: "admin".into(),
        institution_id: None,
        supplier_id: None,
        created_at: created,
        created_by: Some(1),
        revoked_at: None,
    }];

    let mut suppliers = Vec::new();
    let mut supplier_labels = vec![String::new()];
    for i in 1..=params.suppliers as i64 {
        let language = if i % 3 == 0 { "nl" } else { "fr" };
        let name = if language == "fr" {
            format!("Fournitures Médicales {i:02} SA")
        } else {
            format!("Zorgleveringen {i:02} NV")
        };
        suppliers.push(Supplier {
            id: i,
            enterprise_number: enterprise_number(10_000_000 + i as u64 * 977),
            name: name.clone(),
            email: format!("orders{i:02}@supplier{i:02}.example"),
            language: language.into(),
            status: "active".into(),
            created_at: created,
            updated_at: created,
            webhook_url: None,
            webhook_secret: None,
        });
        let user_id = users.len() as i64 + 1;
        let email = format!("sales{i:02}@supplier{i:02}.example");
        let person = format!("Sales Desk {i:02}");
        supplier_labels.push(format!("{person} <{email}>"));
        users.push(User {
            id: user_id,
            email,
            name: person,
            role: "supplier".into(),
            institution_id: None,
            supplier_id: Some(i),
            language: language.into(),
            password_hash: Some(password_hash.into()),
            status: "active".into(),
            created_at: created,
            updated_at: created,
        });
    }

    // Lots: goods first, then the service lots, spread over their categories.
    let mut lots = Vec::new();
    let mut cascade = Vec::new();
    let mut products = Vec::new();
    let mut offers = Vec::new();
    let mut lot_plans = Vec::new();
    let goods_categories: Vec<usize> = (0..CATEGORIES.len())
        .filter(|c| !CATEGORIES[*c].3)
        .collect();
    let service_categories: Vec<usize> =
        (0..CATEGORIES.len()).filter(|c| CATEGORIES[*c].3).collect();
    let per_lot = params.products / params.lots;
    let supplier_ids: Vec<i64> = (1..=params.suppliers as i64).collect();
    for l in 0..params.lots {
        let id = l as i64 + 1;
        let services = l >= params.lots - params.services_lots;
        let category = if services {
            service_categories[l % service_categories.len()]
        } else {
            goods_categories[l % goods_categories.len()]
        };
        let (code, cat_fr, cat_nl, _) = CATEGORIES[category];
        lots.push(Lot {
            id,
            reference: format!("CA-{code}-2025-{id:02}"),
            category_id: category as i64 + 1,
            kind: if services { "services" } else { "goods" }.into(),
            title_fr: format!("{cat_fr} — lot {id}"),
            title_nl: format!("{cat_nl} — perceel {id}"),
            description_fr: format!(
                "Accord-cadre pour {}, livraison en Région bruxelloise.",
                cat_fr.to_lowercase()
            ),
            description_nl: format!(
                "Raamovereenkomst voor {}, levering in het Brussels Gewest.",
                cat_nl.to_lowercase()
            ),
            valid_from: params.anchor - Duration::days(3 * 365),
            valid_until: params.anchor + Duration::days(3 * 365),
            status: "published".into(),
            created_at: created,
            updated_at: created,
        });
        let chosen: Vec<i64> = supplier_ids
            .choose_multiple(rng, params.cascade_size.min(supplier_ids.len()))
            .copied()
            .collect();
        for (rank, supplier) in chosen.iter().enumerate() {
            cascade.push(CascadeEntry {
                id: cascade.len() as i64 + 1,
                lot_id: id,
                supplier_id: *supplier,
                rank: rank as i32 + 1,
                active: true,
                created_at: created,
            });
        }
        let families = FAMILIES[category];
        let mut plans = Vec::new();
        for p in 0..per_lot {
            let product_id = products.len() as i64 + 1;
            let (fr, nl, pack_fr, pack_nl, vat, standard) = families[p % families.len()];
            let (var_fr, var_nl) = VARIANTS[(p / families.len() + l) % VARIANTS.len()];
            let sku = format!("{code}-{id:02}-{:04}", p + 1);
            let name_fr = format!("{fr} {var_fr}");
            let name_nl = format!("{nl} {var_nl}");
            let (unit, multiple) = if services {
                ("HUR", 1)
            } else {
                (["BX", "PK", "EA"][p % 3], [1, 1, 5, 10][p % 4])
            };
            let search_text = centrale::catalogue::search::product_search_text(&[
                &sku, &name_fr, &name_nl, pack_fr, pack_nl, standard,
            ]);
            products.push(Product {
                id: product_id,
                lot_id: id,
                sku: sku.clone(),
                name_fr: name_fr.clone(),
                name_nl: name_nl.clone(),
                description_fr: format!(
                    "{fr}, {var_fr}. Conforme au cahier des charges du lot {id}."
                ),
                description_nl: format!("{nl}, {var_nl}. Conform het bestek van perceel {id}."),
                packaging_fr: pack_fr.into(),
                packaging_nl: pack_nl.into(),
                unit_code: unit.into(),
                standards: standard.into(),
                vat_class: vat.into(),
                min_quantity: multiple,
                order_multiple: multiple,
                active: true,
                search_text,
                created_at: created,
                updated_at: created,
            });
            let base: i64 = if services {
                rng.gen_range(3_500..6_500)
            } else {
                rng.gen_range(150..6_000)
            };
            let mut prices = Vec::new();
            for (rank, supplier) in chosen.iter().enumerate() {
                let price = base + base * rank as i64 * rng.gen_range(1..6) / 100;
                prices.push(price);
                offers.push(Offer {
                    id: offers.len() as i64 + 1,
                    product_id,
                    supplier_id: *supplier,
                    price_cents: price,
                    available: true,
                    unavailable_until: None,
                    updated_at: created,
                });
            }
            plans.push(ProductPlan {
                id: product_id,
                sku,
                name_fr,
                name_nl,
                unit_code: unit.into(),
                vat_class: vat.into(),
                order_multiple: multiple,
                prices,
            });
        }
        lot_plans.push(LotPlan {
            id,
            cascade: chosen,
            products: plans,
            popularity: if services { 1 } else { rng.gen_range(2..12) },
        });
    }

    let mut institutions = Vec::new();
    let mut institution_users = Vec::new();
    let mut addresses = Vec::new();
    let mut institution_plans = Vec::new();
    for i in 1..=params.institutions as i64 {
        let language = if i % 10 < 7 { "fr" } else { "nl" };
        let sector = SECTORS[(i as usize * 7) % SECTORS.len()];
        let (postcode, city) = PLACES[i as usize % PLACES.len()];
        let street = STREETS[(i as usize / 3) % STREETS.len()];
        let word = NAME_WORDS[i as usize % NAME_WORDS.len()];
        let name = match sector {
            "care_home" if language == "fr" => format!("Maison de repos {word} {i}"),
            "care_home" => format!("Woonzorgcentrum {word} {i}"),
            _ if language == "fr" => format!("Service {word} {i}"),
            _ => format!("Dienst {word} {i}"),
        };
        let contact_email = format!("achats{i}@institution{i}.example");
        institutions.push(Institution {
            id: i,
            enterprise_number: enterprise_number(2_000_000 + i as u64 * 131),
            name,
            competent_authority_id: 1 + (i - 1) % AUTHORITIES,
            sector: sector.into(),
            language: language.into(),
            billing_street: format!("{street} {}", 1 + i % 180),
            billing_postcode: postcode.into(),
            billing_city: city.into(),
            status: "active".into(),
            created_at: created,
            updated_at: created,
            contact_name: format!("Responsable achats {i}"),
            contact_email: contact_email.clone(),
            decided_at: Some(created),
            decided_by: Some(1),
            decision_reason: None,
        });
        let mut address_ids = Vec::new();
        for a in 0..(1 + i % 2) {
            let address_id = addresses.len() as i64 + 1;
            address_ids.push(address_id);
            addresses.push(DeliveryAddress {
                id: address_id,
                institution_id: i,
                label: if a == 0 { "Site principal" } else { "Annexe" }.into(),
                street: format!("{street} {}", 2 + i % 150 + a),
                postcode: postcode.into(),
                city: city.into(),
                active: true,
            });
        }
        let user_id = (users.len() + institution_users.len()) as i64 + 1;
        let person = format!("Acheteur {i}");
        let user_email = format!("buyer{i}@institution{i}.example");
        let user_label = format!("{person} <{user_email}>");
        institution_users.push(User {
            id: user_id,
            email: user_email,
            name: person,
            role: "institution".into(),
            institution_id: Some(i),
            supplier_id: None,
            language: language.into(),
            password_hash: Some(password_hash.into()),
            status: "active".into(),
            created_at: created,
            updated_at: created,
        });
        let client_row_id = clients.len() as i64 + 1;
        let client_id = format!("cl_{}", url_safe(rng, 24));
        clients.push(ApiClient {
            id: client_row_id,
            client_id: client_id.clone(),
            secret_hash: hex(rng, 32),
            name: format!("Purchasing system {i}"),
            role: "institution".into(),
            institution_id: Some(i),
            supplier_id: None,
            created_at: created,
            created_by: Some(1),
            revoked_at: None,
        });
        institution_plans.push(InstitutionPlan {
            id: i,
            language,
            user_id,
            user_label,
            client_row_id,
            client_label: format!("api-client:{client_id}"),
            address_ids,
        });
    }
    for s in &suppliers {
        clients.push(ApiClient {
            id: clients.len() as i64 + 1,
            client_id: format!("cl_{}", url_safe(rng, 24)),
            secret_hash: hex(rng, 32),
            name: format!("ERP of supplier {}", s.id),
            role: "supplier".into(),
            institution_id: None,
            supplier_id: Some(s.id),
            created_at: created,
            created_by: Some(1),
            revoked_at: None,
        });
    }
    Reference {
        categories,
        suppliers,
        lots,
        cascade,
        products,
        offers,
        institutions,
        addresses,
        users,
        institution_users,
        clients,
        lot_plans,
        institution_plans,
        supplier_labels,
    }
}

/// VAT in basis points of a class on a day, as the migrations' dated rates say.
pub fn vat_basis_points(class: &str, day: NaiveDate) -> i32 {
    let reduced_from = NaiveDate::from_ymd_opt(2020, 5, 4).unwrap_or_default();
    let reduced_until = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap_or_default();
    match class {
        "reduced" => 600,
        "exempt" => 0,
        "covid_ppe" if day >= reduced_from && day <= reduced_until => 600,
        _ => 2100,
    }
}
