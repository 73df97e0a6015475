//! PEPPOL BIS Ordering 3: the UBL Order we send validates against the official UBL 2.1 XSD,
//! and the official example Order Responses are accepted with the effect their codes say.

mod helpers;

use std::path::PathBuf;
use std::process::Command;

use centrale::clock::Clock;
use centrale::db::Backend;
use centrale::ordering::{LineInput, PlaceOrder};
use centrale::parties::Role;
use chrono::{TimeZone, Utc};
use helpers::{buyer_fixture, issue_client, spawn_app, token, Buyer, TestApp};
use serde_json::Value;

on_both_backends!(
    orders_as_ubl_validate_against_the_official_schema,
    official_example_order_responses_take_effect
);

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(path)
}

fn xmllint_available() -> bool {
    let ok = Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
            panic!("xmllint must be installed under CI (Debian package libxml2-utils)");
        }
        eprintln!("skipped: install xmllint (libxml2-utils) to validate UBL documents");
    }
    ok && shared("schemas/ubl-2.1/maindoc/UBL-Order-2.1.xsd").exists()
}

struct World {
    app: TestApp,
    suppliers: Vec<i64>,
    buyers: Vec<Buyer>,
}

/// A lot valid in 2013 with three suppliers, products at 21 % and at 6 %, and a French and
/// a Dutch institution.
async fn world(app: TestApp) -> World {
    let now = app.clock.now_naive();
    let (suppliers, _) = app
        .with_conn(move |conn| {
            use centrale::catalogue::{self, Bilingual, LotInput, ProductInput};
            let category = centrale::db::reference::insert_category(
                conn,
                &centrale::db::reference::NewCategory {
                    code: "ppe",
                    name_fr: "EPI",
                    name_nl: "PBM",
                    position: 1,
                },
            )
            .unwrap();
            let _ = category;
            let lot = catalogue::create_lot(
                conn,
                now,
                &LotInput {
                    reference: "UBL-2013",
                    category_code: "ppe",
                    kind: "goods",
                    title: Bilingual::new("Équipements de protection", "Beschermingsmiddelen"),
                    description: Bilingual::new("", ""),
                    valid_from: chrono::NaiveDate::from_ymd_opt(2013, 1, 1).unwrap(),
                    valid_until: chrono::NaiveDate::from_ymd_opt(2014, 12, 31).unwrap(),
                    status: "published",
                },
            )
            .unwrap();
            let mut suppliers = Vec::new();
            for rank in 1..=3u8 {
                let id = centrale::parties::register_supplier(
                    conn,
                    now,
                    &centrale::parties::SupplierInput {
                        enterprise_number: &helpers::enterprise_number(1700 + u32::from(rank)),
                        name: &format!("Fournisseur & Cie n°{rank}"),
                        email: &format!("orders{rank}@supplier.example"),
                        language: "fr",
                    },
                )
                .unwrap();
                catalogue::add_to_cascade(
                    conn,
                    now,
                    lot,
                    id,
                    centrale::domain::Rank::new(rank).unwrap(),
                )
                .unwrap();
                suppliers.push(id);
            }
            for (index, (sku, fr, nl, vat)) in [
                (
                    "UBL-MASK",
                    "Masque FFP2 « pliable »",
                    "FFP2-masker \"plooibaar\"",
                    "standard",
                ),
                (
                    "UBL-GLOVE",
                    "Gants nitrile, taille M",
                    "Nitrilhandschoenen, maat M",
                    "standard",
                ),
                (
                    "UBL-BOOK",
                    "Guide d'hygiène (livre)",
                    "Hygiënegids (boek)",
                    "reduced",
                ),
            ]
            .into_iter()
            .enumerate()
            {
                let product = catalogue::create_product(
                    conn,
                    now,
                    &ProductInput {
                        lot_id: lot,
                        sku,
                        name: Bilingual::new(fr, nl),
                        description: Bilingual::new("", ""),
                        packaging: Bilingual::new("Boîte", "Doos"),
                        unit_code: "BX",
                        standards: vec![],
                        vat_class: vat,
                        min_quantity: 1,
                        order_multiple: 1,
                    },
                )
                .unwrap();
                for (rank, supplier) in suppliers.iter().enumerate() {
                    let price = format!("{}.{:02}", 5 + index + rank, 25 + index * 10);
                    catalogue::set_offer(conn, now, product, *supplier, &price, true).unwrap();
                }
            }
            (suppliers, lot)
        })
        .await;
    let buyers = vec![
        buyer_fixture(&app, 1600, "fr").await,
        buyer_fixture(&app, 1601, "nl").await,
    ];
    World {
        app,
        suppliers,
        buyers,
    }
}

async fn place(w: &World, buyer: usize, lines: &[(&str, i64)]) -> (i64, String) {
    let state = w.app.state.clone();
    let buyer = &w.buyers[buyer];
    let (institution, address) = (buyer.institution_id, buyer.address_id);
    let lines: Vec<LineInput> = lines
        .iter()
        .map(|(sku, q)| LineInput {
            sku: sku.to_string(),
            quantity: *q,
        })
        .collect();
    w.app
        .with_conn(move |conn| {
            let input = PlaceOrder {
                institution_id: institution,
                delivery_address_id: address,
                buyer_reference: Some("PO/2013-07 <urgent>".into()),
                lines,
            };
            let id = centrale::ordering::place(
                conn,
                &state.ordering(),
                &centrale::auth::Principal::system("t"),
                &input,
            )
            .unwrap()[0];
            (
                id,
                centrale::db::orders::order(conn, id)
                    .unwrap()
                    .unwrap()
                    .reference,
            )
        })
        .await
}

async fn supplier_token(w: &World, rank: usize) -> String {
    let (id, secret) = issue_client(&w.app, Role::Supplier, Some(w.suppliers[rank - 1])).await;
    token(&w.app, &id, &secret).await
}

/// A Monday in July 2013, when the official examples' promised delivery (16 July) fits the
/// 7-working-day promise.
async fn app_in_july_2013(backend: Backend) -> Option<TestApp> {
    let app = spawn_app(backend).await?;
    app.clock
        .set(Utc.with_ymd_and_hms(2013, 7, 8, 8, 0, 0).unwrap());
    Some(app)
}

async fn orders_as_ubl_validate_against_the_official_schema(backend: Backend) {
    if !xmllint_available() {
        return;
    }
    let Some(app) = app_in_july_2013(backend).await else {
        return;
    };
    let w = world(app).await;
    let many: Vec<(&str, i64)> = vec![("UBL-MASK", 120), ("UBL-GLOVE", 7), ("UBL-BOOK", 3)];
    let shapes: Vec<(usize, Vec<(&str, i64)>)> = vec![
        (0, vec![("UBL-MASK", 1)]),
        (0, many.clone()),
        (1, vec![("UBL-GLOVE", 2), ("UBL-BOOK", 1)]),
        (1, many),
    ];
    let bearer = supplier_token(&w, 1).await;
    let dir = tempfile::tempdir().unwrap();
    for (index, (buyer, lines)) in shapes.iter().enumerate() {
        let (id, reference) = place(&w, *buyer, lines).await;
        let response = w
            .app
            .client
            .get(w.app.url(&format!("/api/v1/supplier/orders/{id}")))
            .bearer_auth(&bearer)
            .header("Accept", "application/xml")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml"));
        let xml = response.text().await.unwrap();
        assert!(xml.contains(&format!("<cbc:ID>{reference}</cbc:ID>")));
        assert!(xml.contains("urn:fdc:peppol.eu:poacc:bis:ordering:3"));
        assert!(
            xml.contains(r#"schemeID="0208""#),
            "parties identified by enterprise number"
        );
        assert!(
            xml.contains("PO/2013-07 &lt;urgent&gt;"),
            "buyer reference escaped"
        );
        if *buyer == 1 {
            assert!(
                xml.contains("Hygiënegids"),
                "line names in the institution's language"
            );
        }
        let file = dir.path().join(format!("order-{index}.xml"));
        std::fs::write(&file, &xml).unwrap();
        let output = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(shared("schemas/ubl-2.1/maindoc/UBL-Order-2.1.xsd"))
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "shape {index} validates: {}\n{xml}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // Another supplier cannot fetch the document.
    let other = supplier_token(&w, 2).await;
    let response = w
        .app
        .client
        .get(w.app.url("/api/v1/supplier/orders/1"))
        .bearer_auth(&other)
        .header("Accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

async fn respond(w: &World, bearer: &str, example: &str, reference: &str) -> (u16, Value) {
    let original = std::fs::read_to_string(shared(&format!("peppol/examples/{example}")))
        .expect("official example");
    let start = original
        .find("<cac:OrderReference>")
        .expect("order reference");
    let id_start = start + original[start..].find("<cbc:ID>").unwrap() + "<cbc:ID>".len();
    let id_end = id_start + original[id_start..].find("</cbc:ID>").unwrap();
    let document = format!(
        "{}{}{}",
        &original[..id_start],
        reference,
        &original[id_end..]
    );
    let response = w
        .app
        .client
        .post(w.app.url("/api/v1/supplier/order-responses"))
        .bearer_auth(bearer)
        .header("Content-Type", "application/xml")
        .body(document)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn official_example_order_responses_take_effect(backend: Backend) {
    if !shared("peppol/examples/UC1_Order_response.xml").exists() {
        eprintln!("skipped: ../shared/peppol/examples not found");
        return;
    }
    let Some(app) = app_in_july_2013(backend).await else {
        return;
    };
    let w = world(app).await;
    let first = supplier_token(&w, 1).await;
    let three = [("UBL-MASK", 10), ("UBL-GLOVE", 5), ("UBL-BOOK", 2)];
    let status_of = |id: i64| {
        let pool = w.app.pool.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut conn = pool.get().unwrap();
                centrale::db::orders::order(&mut conn, id).unwrap().unwrap()
            })
            .await
            .unwrap()
        }
    };

    // CA with every line accepted (5) or changed (3): a plain acceptance.
    for example in ["OrderResponse_Example.xml", "UC2_Order_response.xml"] {
        let (id, reference) = place(&w, 0, &three).await;
        let (status, body) = respond(&w, &first, example, &reference).await;
        assert_eq!(status, 200, "{example}: {body}");
        assert_eq!(
            body["result"]["remainder_order_id"],
            Value::Null,
            "{example}"
        );
        let order = status_of(id).await;
        assert_eq!(order.status, "confirmed", "{example}");
        assert_eq!(
            order.expected_delivery,
            chrono::NaiveDate::from_ymd_opt(2013, 7, 16)
        );
    }

    // UC1: CA with line 2 not accepted (7): lines 1 and 3 confirmed, line 2 goes on to rank 2.
    let (id, reference) = place(&w, 0, &three).await;
    let (status, body) = respond(&w, &first, "UC1_Order_response.xml", &reference).await;
    assert_eq!(status, 200, "{body}");
    let remainder = body["result"]["remainder_order_id"]
        .as_i64()
        .expect("a remainder order");
    assert_eq!(status_of(id).await.status, "confirmed");
    let rest = status_of(remainder).await;
    assert_eq!(rest.status, "routed");
    assert_eq!(
        rest.current_supplier_id,
        Some(w.suppliers[1]),
        "the remainder went to rank 2"
    );
    assert_eq!(rest.parent_order_id, Some(id));
    let (kept, moved) = w
        .app
        .with_conn(move |conn| {
            let mut skus = |o| {
                centrale::db::orders::lines_of(conn, o)
                    .unwrap()
                    .into_iter()
                    .map(|l| l.sku)
                    .collect::<Vec<_>>()
            };
            (skus(id), skus(remainder))
        })
        .await;
    assert_eq!(kept, vec!["UBL-MASK", "UBL-BOOK"]);
    assert_eq!(moved, vec!["UBL-GLOVE"]);

    // UC3: RE, the order is declined and moves to rank 2.
    let (id, reference) = place(&w, 0, &three).await;
    let (status, body) = respond(&w, &first, "UC3_Order_response.xml", &reference).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        status_of(id).await.current_supplier_id,
        Some(w.suppliers[1])
    );

    // Hostile documents are refused with an explanation.
    for (document, code) in [
        (
            r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>"#,
            "ubl-doctype-refused",
        ),
        ("<Order/>", ""),
    ] {
        let response = w
            .app
            .client
            .post(w.app.url("/api/v1/supplier/order-responses"))
            .bearer_auth(&first)
            .body(document)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        let problem: Value = response.json().await.unwrap();
        if !code.is_empty() {
            assert_eq!(problem["errors"][0]["code"], code);
        }
    }
}
