//! Open data: the OCDS 1.1 release package of lots, cascade awards and call-off orders,
//! checked field by field, free of personal data, and valid against the official schemas
//! with the lots and techniques extensions.

mod helpers;

use std::path::PathBuf;
use std::process::Command;

use centrale::clock::Clock;
use centrale::db::Backend;
use centrale::domain::order_state::OrderStatus;
use centrale::ordering::{routing, LineInput, PlaceOrder};
use chrono::Duration;
use diesel::prelude::*;
use helpers::{buyer_fixture, lot_fixture, product_fixture, spawn_app_with, Buyer, TestApp};
use serde_json::Value;

on_both_backends!(
    package_publishes_lots_awards_and_call_offs,
    package_pages_and_filters_by_date,
    bad_query_parameters_are_problems,
    explanation_page_speaks_french_and_dutch,
);

const PREFIX: &str = "ocds-t3st01";
const PATH: &str = "/api/v1/open-data/ocds";
const BUYER_REFERENCE: &str = "PO/OPEN-77 Mme Dupont";

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The validator needs Python's jsonschema and the shared OCDS schemas: under CI both must
/// be there; locally the check is skipped with a notice.
fn validator_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
            panic!("python3 with jsonschema must be installed under CI (pip install jsonschema)");
        }
        eprintln!("skipped: install the Python package jsonschema to validate the OCDS package");
        return false;
    }
    let schemas = repo_file("../shared/schemas/ocds-1.1/release-schema.json");
    if !schemas.exists() {
        eprintln!("skipped: ../shared/schemas/ocds-1.1 not found");
    }
    schemas.exists()
}

/// Runs `.ci/validate-ocds.py` on `document`; returns whether it passed and what it said.
fn validate(document: &[u8]) -> (bool, String) {
    let file = tempfile::NamedTempFile::new().expect("temporary file");
    std::fs::write(file.path(), document).expect("write package");
    let output = Command::new("python3")
        .arg(repo_file(".ci/validate-ocds.py"))
        .arg(file.path())
        .output()
        .expect("run the validator");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

struct World {
    app: TestApp,
    lot_reference: String,
    suppliers: Vec<i64>,
    supplier_numbers: Vec<String>,
    buyers: Vec<Buyer>,
    orders: Orders,
}

/// Orders in every state the package distinguishes.
struct Orders {
    confirmed: i64,
    delivered: i64,
    rank_two: i64,
    unfulfilled: i64,
    cancelled: i64,
    pending: i64,
}

async fn app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |settings| {
        settings.open_data.ocid_prefix = PREFIX.into();
        settings.open_data.authority_name = "Autorité test".into();
        settings.open_data.authority_enterprise_number = helpers::enterprise_number(1999);
    })
    .await
}

async fn place(app: &TestApp, buyer: &Buyer, lines: &[(&str, i64)]) -> i64 {
    let state = app.state.clone();
    let (institution, address) = (buyer.institution_id, buyer.address_id);
    let lines: Vec<LineInput> = lines
        .iter()
        .map(|(sku, quantity)| LineInput {
            sku: sku.to_string(),
            quantity: *quantity,
        })
        .collect();
    app.with_conn(move |conn| {
        centrale::ordering::place(
            conn,
            &state.ordering(),
            &centrale::auth::Principal::system("test"),
            &PlaceOrder {
                institution_id: institution,
                delivery_address_id: address,
                buyer_reference: Some(BUYER_REFERENCE.into()),
                lines,
            },
        )
        .expect("order placed")[0]
    })
    .await
}

async fn accept(app: &TestApp, order: i64, supplier: i64) {
    let state = app.state.clone();
    let date = app.clock.today() + Duration::days(2);
    app.with_conn(move |conn| {
        routing::accept(conn, &state.ordering(), order, supplier, date, "supplier")
    })
    .await
    .expect("accepted");
}

async fn decline(app: &TestApp, order: i64, supplier: i64) -> OrderStatus {
    let state = app.state.clone();
    app.with_conn(move |conn| {
        routing::decline(
            conn,
            &state.ordering(),
            order,
            supplier,
            "out of stock",
            "s",
        )
    })
    .await
    .expect("declined")
}

async fn status_of(app: &TestApp, order: i64) -> String {
    app.with_conn(move |conn| {
        centrale::db::orders::order(conn, order)
            .unwrap()
            .unwrap()
            .status
    })
    .await
}

async fn world(backend: Backend) -> Option<World> {
    use centrale::db::schema::{cascade_entries, lots, suppliers};
    let app = app(backend).await?;
    let now = app.clock.now_naive();
    let (lot_reference, lot_suppliers, supplier_numbers) = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "LOT-OPEN", 3);
            product_fixture(
                conn,
                now,
                &lot,
                "OD-MASK",
                "standard",
                &[Some("12.50"), Some("13.10"), Some("14.00")],
                &[],
            );
            product_fixture(
                conn,
                now,
                &lot,
                "OD-GLOVE",
                "covid_ppe",
                &[Some("0.07"), Some("0.09"), Some("0.11")],
                &[],
            );
            // The third supplier left the cascade: still published, as a cancelled award.
            let (lot_id, third) = (lot.lot_id, lot.suppliers[2]);
            centrale::with_conn!(conn, |c| diesel::update(
                cascade_entries::table
                    .filter(cascade_entries::lot_id.eq(lot_id))
                    .filter(cascade_entries::supplier_id.eq(third))
            )
            .set(cascade_entries::active.eq(false))
            .execute(c))
            .unwrap();
            // A draft lot is not public yet.
            let draft = lot_fixture(conn, now, "LOT-DRAFT", 1);
            centrale::with_conn!(conn, |c| diesel::update(
                lots::table.filter(lots::id.eq(draft.lot_id))
            )
            .set(lots::status.eq("draft"))
            .execute(c))
            .unwrap();
            let mut numbers = Vec::new();
            for id in &lot.suppliers {
                let id = *id;
                numbers.push(
                    centrale::with_conn!(conn, |c| suppliers::table
                        .filter(suppliers::id.eq(id))
                        .select(suppliers::enterprise_number)
                        .first::<String>(c))
                    .unwrap(),
                );
            }
            (lot.reference, lot.suppliers, numbers)
        })
        .await;
    let buyers = vec![
        buyer_fixture(&app, 701, "fr").await,
        buyer_fixture(&app, 702, "nl").await,
    ];
    let (s1, s2) = (lot_suppliers[0], lot_suppliers[1]);

    let confirmed = place(&app, &buyers[0], &[("OD-MASK", 3)]).await;
    accept(&app, confirmed, s1).await;

    let delivered = place(&app, &buyers[1], &[("OD-MASK", 2), ("OD-GLOVE", 1000)]).await;
    accept(&app, delivered, s1).await;
    let state = app.state.clone();
    let today = app.clock.today();
    app.with_conn(move |conn| {
        routing::ship(
            conn,
            &state.ordering(),
            delivered,
            s1,
            today,
            Some("bpost"),
            Some("CD-SECRET-1"),
            "s",
        )?;
        routing::deliver(conn, &state.ordering(), delivered, s1, today, "s")
    })
    .await
    .expect("shipped and delivered");

    let rank_two = place(&app, &buyers[0], &[("OD-MASK", 1), ("OD-GLOVE", 3)]).await;
    decline(&app, rank_two, s1).await;
    accept(&app, rank_two, s2).await;

    let unfulfilled = place(&app, &buyers[1], &[("OD-GLOVE", 10)]).await;
    decline(&app, unfulfilled, s1).await;
    let after = decline(&app, unfulfilled, s2).await;
    assert_eq!(
        after,
        OrderStatus::Unfulfilled,
        "rank 3 is out of the cascade"
    );

    let cancelled = place(&app, &buyers[0], &[("OD-MASK", 5)]).await;
    let state = app.state.clone();
    app.with_conn(move |conn| {
        centrale::ordering::cancel(
            conn,
            &state.ordering(),
            &centrale::auth::Principal::system("test"),
            cancelled,
        )
    })
    .await
    .expect("cancelled");

    let pending = place(&app, &buyers[1], &[("OD-MASK", 7)]).await;

    for (order, status) in [
        (confirmed, "confirmed"),
        (delivered, "delivered"),
        (rank_two, "confirmed"),
        (unfulfilled, "unfulfilled"),
        (cancelled, "cancelled"),
        (pending, "routed"),
    ] {
        assert_eq!(status_of(&app, order).await, status);
    }
    Some(World {
        app,
        lot_reference,
        suppliers: lot_suppliers,
        supplier_numbers,
        buyers,
        orders: Orders {
            confirmed,
            delivered,
            rank_two,
            unfulfilled,
            cancelled,
            pending,
        },
    })
}

async fn reference_of(app: &TestApp, order: i64) -> String {
    app.with_conn(move |conn| {
        centrale::db::orders::order(conn, order)
            .unwrap()
            .unwrap()
            .reference
    })
    .await
}

/// The order's total excluding VAT, in cents, as the shop itself computes it.
async fn net_of(app: &TestApp, order: i64) -> i64 {
    app.with_conn(move |conn| {
        centrale::ordering::view::load(conn, order)
            .unwrap()
            .unwrap()
            .totals
            .net
            .cents()
    })
    .await
}

fn release<'a>(package: &'a Value, ocid: &str) -> Option<&'a Value> {
    package["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ocid"] == ocid)
}

fn cents(amount: &Value) -> i64 {
    (amount.as_f64().expect("a number") * 100.0).round() as i64
}

async fn package_publishes_lots_awards_and_call_offs(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let response = w.app.get(PATH).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "public, max-age=300");
    let text = response.text().await.unwrap();
    let package: Value = serde_json::from_str(&text).expect("JSON");

    assert_eq!(package["version"], "1.1");
    assert_eq!(
        package["uri"],
        format!("{}{PATH}?page=1&limit=100", w.app.settings.server.base_url)
    );
    assert_eq!(package["publisher"]["name"], "Autorité test");
    let extensions = package["extensions"].as_array().unwrap();
    assert_eq!(extensions.len(), 2);
    assert!(extensions[0]
        .as_str()
        .unwrap()
        .contains("ocds_lots_extension"));
    assert!(extensions[1]
        .as_str()
        .unwrap()
        .contains("ocds_techniques_extension"));
    assert!(package.get("links").is_none(), "one page only");
    // The last change: the latest order update, at the manual clock's time.
    assert_eq!(package["publishedDate"], "2026-03-10T08:00:00Z");

    // One lot release (the draft stays out) and four call-offs.
    let releases = package["releases"].as_array().unwrap();
    let ocids: Vec<&str> = releases
        .iter()
        .map(|r| r["ocid"].as_str().unwrap())
        .collect();
    let lot_ocid = format!("{PREFIX}-lot-{}", w.lot_reference);
    let mut expected = vec![lot_ocid.clone()];
    for order in [
        w.orders.confirmed,
        w.orders.delivered,
        w.orders.rank_two,
        w.orders.unfulfilled,
    ] {
        expected.push(format!(
            "{PREFIX}-order-{}",
            reference_of(&w.app, order).await
        ));
    }
    assert_eq!(ocids, expected);
    for order in [w.orders.cancelled, w.orders.pending] {
        let ocid = format!("{PREFIX}-order-{}", reference_of(&w.app, order).await);
        assert!(
            release(&package, &ocid).is_none(),
            "{ocid} is not published"
        );
    }

    // The lot: a framework agreement with its cascade as awards.
    let authority = format!(
        "BE-BCE_KBO-{}",
        w.app.settings.open_data.authority_enterprise_number
    );
    let party_of = |index: usize| format!("BE-BCE_KBO-{}", w.supplier_numbers[index]);
    let lot = release(&package, &lot_ocid).unwrap();
    assert_eq!(lot["tag"], serde_json::json!(["tender", "award"]));
    assert_eq!(lot["initiationType"], "tender");
    assert_eq!(lot["buyer"]["id"], authority);
    assert_eq!(lot["tender"]["id"], "LOT-OPEN");
    assert_eq!(lot["tender"]["title"], "Lot LOT-OPEN");
    assert_eq!(lot["tender"]["title_nl"], "Perceel LOT-OPEN");
    assert_eq!(lot["tender"]["status"], "active");
    assert_eq!(lot["tender"]["mainProcurementCategory"], "goods");
    assert_eq!(lot["tender"]["procuringEntity"]["id"], authority);
    assert_eq!(lot["tender"]["techniques"]["hasFrameworkAgreement"], true);
    assert_eq!(
        lot["tender"]["techniques"]["frameworkAgreement"]["maximumParticipants"],
        5
    );
    assert_eq!(lot["tender"]["lots"][0]["id"], "LOT-OPEN");
    assert_eq!(
        lot["tender"]["contractPeriod"]["startDate"],
        "2025-01-01T00:00:00Z"
    );
    let awards = lot["awards"].as_array().unwrap();
    assert_eq!(awards.len(), 3);
    for (index, award) in awards.iter().enumerate() {
        assert_eq!(award["suppliers"][0]["id"], party_of(index));
        assert_eq!(award["relatedLots"], serde_json::json!(["LOT-OPEN"]));
        assert!(award["title"]
            .as_str()
            .unwrap()
            .contains(&format!("Rang {}", index + 1)));
        assert_eq!(
            award["status"],
            if index == 2 { "cancelled" } else { "active" }
        );
    }
    let parties = lot["parties"].as_array().unwrap();
    assert_eq!(parties.len(), 4);
    assert_eq!(parties[0]["id"], authority);
    assert_eq!(
        parties[0]["roles"],
        serde_json::json!(["buyer", "procuringEntity"])
    );
    assert_eq!(parties[1]["identifier"]["scheme"], "BE-BCE_KBO");
    assert_eq!(parties[1]["identifier"]["id"], w.supplier_numbers[0]);
    assert_eq!(parties[1]["roles"], serde_json::json!(["supplier"]));

    // The call-offs: framework relation, buyer, supplier, exact amounts.
    let institution_party = |buyer: &Buyer| {
        let number =
            helpers::enterprise_number(if buyer.institution_id == w.buyers[0].institution_id {
                701
            } else {
                702
            });
        format!("BE-BCE_KBO-{number}")
    };
    for (order, buyer, supplier, contract_status) in [
        (w.orders.confirmed, 0, Some(0), Some("active")),
        (w.orders.delivered, 1, Some(0), Some("terminated")),
        (w.orders.rank_two, 0, Some(1), Some("active")),
        (w.orders.unfulfilled, 1, None, None),
    ] {
        let reference = reference_of(&w.app, order).await;
        let ocid = format!("{PREFIX}-order-{reference}");
        let call_off = release(&package, &ocid).unwrap();
        let related = &call_off["relatedProcesses"][0];
        assert_eq!(related["relationship"], serde_json::json!(["framework"]));
        assert_eq!(related["scheme"], "ocid");
        assert_eq!(related["identifier"], lot_ocid);
        assert_eq!(related["title"], "Lot LOT-OPEN");
        assert_eq!(call_off["buyer"]["id"], institution_party(&w.buyers[buyer]));
        assert_eq!(
            call_off["buyer"]["name"],
            format!("Institution {}", 701 + buyer)
        );
        assert_eq!(
            call_off["tender"]["techniques"]["hasFrameworkAgreement"],
            true
        );
        assert_eq!(call_off["tender"]["competitive"], false);
        let net = net_of(&w.app, order).await;
        assert_eq!(cents(&call_off["tender"]["value"]["amount"]), net);
        match supplier {
            Some(index) => {
                assert_eq!(
                    call_off["tag"],
                    serde_json::json!(["tender", "award", "contract"])
                );
                let award = &call_off["awards"][0];
                assert_eq!(award["suppliers"][0]["id"], party_of(index));
                assert_eq!(award["status"], "active");
                assert!(award["description"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("rang {}", index + 1)));
                assert_eq!(cents(&award["value"]["amount"]), net);
                assert_eq!(award["value"]["currency"], "EUR");
                let contract = &call_off["contracts"][0];
                assert_eq!(contract["awardID"], award["id"]);
                assert_eq!(contract["status"], contract_status.unwrap());
                assert_eq!(cents(&contract["value"]["amount"]), net);
                let roles: Vec<&Value> = call_off["parties"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| &p["roles"])
                    .collect();
                assert_eq!(
                    roles,
                    [
                        &serde_json::json!(["buyer"]),
                        &serde_json::json!(["procuringEntity"]),
                        &serde_json::json!(["supplier"])
                    ]
                );
            }
            None => {
                assert_eq!(call_off["tag"], serde_json::json!(["tender"]));
                assert_eq!(call_off["tender"]["status"], "unsuccessful");
                assert!(call_off.get("awards").is_none());
                assert!(call_off.get("contracts").is_none());
            }
        }
    }
    // Exact figures, written with two decimals and no float on the way: 3 × 12.50; 2 × 12.50
    // + 1000 × 0.07; 13.10 + 3 × 0.09 at the second supplier's prices.
    let confirmed = release(
        &package,
        &format!(
            "{PREFIX}-order-{}",
            reference_of(&w.app, w.orders.confirmed).await
        ),
    )
    .unwrap();
    assert_eq!(net_of(&w.app, w.orders.confirmed).await, 3750);
    assert_eq!(net_of(&w.app, w.orders.delivered).await, 9500);
    assert_eq!(net_of(&w.app, w.orders.rank_two).await, 1337);
    assert_eq!(confirmed["tender"]["items"][0]["quantity"], 3);
    assert_eq!(confirmed["tender"]["items"][0]["unit"]["id"], "BX");
    assert_eq!(
        confirmed["tender"]["items"][0]["unit"]["scheme"],
        "UNCEFACT"
    );
    for literal in [
        r#""value":{"amount":37.50,"currency":"EUR"}"#,
        r#""value":{"amount":95.00,"currency":"EUR"}"#,
        r#""value":{"amount":13.37,"currency":"EUR"}"#,
        r#""value":{"amount":0.07,"currency":"EUR"}"#,
        r#""value":{"amount":13.10,"currency":"EUR"}"#,
    ] {
        assert!(text.contains(literal), "{literal} missing");
    }

    // No personal data: people, addresses, contacts, the buyer's own reference, tracking.
    let mut secrets = vec![
        BUYER_REFERENCE.to_owned(),
        "Rue Haute".to_owned(),
        "Livraisons".to_owned(),
        "supplier.example".to_owned(),
        "CD-SECRET-1".to_owned(),
        "bpost".to_owned(),
        "@".to_owned(),
    ];
    for buyer in &w.buyers {
        secrets.push(buyer.email.clone());
    }
    for seed in [701, 702] {
        secrets.push(format!("Buyer {seed}"));
    }
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{secret} must not be published"
        );
    }
    assert!(!w.suppliers.is_empty());

    if !validator_available() {
        return;
    }
    let (valid, output) = validate(text.as_bytes());
    assert!(valid, "the package must validate:\n{output}");
    assert!(
        output.contains("valid OCDS 1.1 release package"),
        "{output}"
    );

    // The validator bites: a release without its ocid, or with an award status off the
    // closed codelist, is refused with the path of the problem.
    let mut broken = package.clone();
    broken["releases"][1]
        .as_object_mut()
        .unwrap()
        .remove("ocid");
    let (valid, output) = validate(&serde_json::to_vec(&broken).unwrap());
    assert!(!valid, "{output}");
    assert!(
        output.contains("$.releases[1]: 'ocid' is a required property"),
        "{output}"
    );
    let mut broken = package.clone();
    broken["releases"][0]["awards"][0]["status"] = "awarded".into();
    broken["releases"][2]["relatedProcesses"][0]["relationship"][0] = "frameWork".into();
    let (valid, output) = validate(&serde_json::to_vec(&broken).unwrap());
    assert!(!valid, "{output}");
    assert!(
        output.contains("$.releases[0].awards[0].status"),
        "{output}"
    );
    assert!(
        output.contains("$.releases[2].relatedProcesses[0].relationship[0]"),
        "{output}"
    );
}

async fn package_pages_and_filters_by_date(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    // Two releases a page: the lot and four call-offs make three pages.
    let mut path = format!("{PATH}?limit=2");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let (status, page) = w.app.get_json(&path).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        let releases = page["releases"].as_array().unwrap();
        assert!(!releases.is_empty() && releases.len() <= 2);
        seen.extend(
            releases
                .iter()
                .map(|r| r["ocid"].as_str().unwrap().to_owned()),
        );
        match page["links"]["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&w.app.settings.server.base_url));
                path = next
                    .strip_prefix(&w.app.settings.server.base_url)
                    .unwrap()
                    .to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[0], format!("{PREFIX}-lot-LOT-OPEN"));
    let (status, _) = w.app.get_json(&format!("{PATH}?limit=2&page=4")).await;
    assert_eq!(status, 404);

    // Two days later the confirmed order is delivered: only its release changed since.
    w.app.clock.advance(chrono::Duration::days(2));
    let state = w.app.state.clone();
    let (order, supplier, today) = (w.orders.confirmed, w.suppliers[0], w.app.clock.today());
    w.app
        .with_conn(move |conn| {
            routing::deliver(conn, &state.ordering(), order, supplier, today, "s")
        })
        .await
        .expect("delivered");
    let (status, page) = w.app.get_json(&format!("{PATH}?since={today}")).await;
    assert_eq!(status, 200);
    let releases = page["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 1, "{page}");
    let reference = reference_of(&w.app, order).await;
    assert_eq!(releases[0]["ocid"], format!("{PREFIX}-order-{reference}"));
    assert_eq!(releases[0]["contracts"][0]["status"], "terminated");
    assert_eq!(page["publishedDate"], "2026-03-12T08:00:00Z");
    // A new release id for the new state of the same process.
    assert!(releases[0]["id"]
        .as_str()
        .unwrap()
        .ends_with("-20260312T080000Z"));
}

async fn bad_query_parameters_are_problems(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    // No data at all: an empty first page rather than an error.
    let (status, empty) = app.get_json(PATH).await;
    assert_eq!(status, 200);
    assert_eq!(empty["releases"], serde_json::json!([]));
    for (query, field) in [
        ("since=31-01-2026", "since"),
        ("since=2026-13-01", "since"),
        ("page=0", "page"),
        ("page=-3", "page"),
        ("page=abc", "page"),
        ("page=99999999999999999999", "page"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
    ] {
        let response = app.get(&format!("{PATH}?{query}")).await;
        assert_eq!(response.status(), 422, "{query}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{query}");
    }
    let response = app.get(&format!("{PATH}?page=1&page=2")).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    // Public: no token needed, and a supplier's token changes nothing.
    let response = app
        .client
        .get(app.url(PATH))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn explanation_page_speaks_french_and_dutch(backend: Backend) {
    let Some(app) = app(backend).await else {
        return;
    };
    let (status, french) = app.get_text("/open-data?lang=fr").await;
    assert_eq!(status, 200);
    assert!(french.contains("<h1>Données ouvertes</h1>"), "{french}");
    assert!(french.contains(&format!(r#"href="{PATH}""#)));
    assert!(french.contains(&format!("{PREFIX}-lot-")));
    let (status, dutch) = app.get_text("/open-data?lang=nl").await;
    assert_eq!(status, 200);
    assert!(dutch.contains("<h1>Open data</h1>"), "{dutch}");
    assert!(dutch.contains("ondernemingsnummer"));
}
