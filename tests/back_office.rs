//! The authority's back office for lots, cascades, products, offers and categories: pages
//! (with CSRF) and the JSON API, on both backends.

mod helpers;

use centrale::clock::Clock;
use centrale::db::Backend;
use centrale::parties::Role;
use helpers::{
    buyer_fixture, csrf_of, enterprise_number, issue_client, lot_fixture, product_fixture,
    spawn_app, token, Buyer, TestApp,
};
use serde_json::{json, Value};

on_both_backends!(
    admin_creates_and_publishes_a_lot_through_the_pages_then_it_takes_orders,
    publishing_needs_a_cascade_and_a_product,
    invalid_fields_are_named_in_the_users_language,
    a_closed_lot_refuses_checkout_and_says_why,
    cascade_changes_decide_who_gets_the_next_order,
    a_services_lot_is_ordered_in_hours,
    categories_are_created_and_edited,
    only_admins_reach_the_back_office,
);

const ADMIN_EMAIL: &str = "admin@authority.example";
const ADMIN_PASSWORD: &str = "admin long password";

async fn signed_in_admin(app: &TestApp) -> TestApp {
    app.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let web = app.as_new_visitor();
    let response = web.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 303, "admin signs in");
    web
}

async fn admin_token(app: &TestApp) -> String {
    let (id, secret) = issue_client(app, Role::Admin, None).await;
    token(app, &id, &secret).await
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, app.url(path))
        .bearer_auth(bearer);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn supplier(app: &TestApp, seed: u32, name: &str) -> i64 {
    let now = app.clock.now_naive();
    let name = name.to_owned();
    app.with_conn(move |conn| {
        centrale::parties::register_supplier(
            conn,
            now,
            &centrale::parties::SupplierInput {
                enterprise_number: &enterprise_number(seed),
                name: &name,
                email: &format!("orders{seed}@supplier.example"),
                language: "fr",
            },
        )
        .expect("supplier")
    })
    .await
}

async fn lot_id(app: &TestApp, reference: &str) -> i64 {
    let reference = reference.to_owned();
    app.with_conn(move |conn| {
        centrale::db::catalogue::lot_by_reference(conn, &reference)
            .unwrap()
            .expect("lot")
            .id
    })
    .await
}

async fn product_id(app: &TestApp, sku: &str) -> i64 {
    let sku = sku.to_owned();
    app.with_conn(move |conn| {
        centrale::db::catalogue::product_by_sku(conn, &sku)
            .unwrap()
            .expect("product")
            .id
    })
    .await
}

async fn audit_of(app: &TestApp, subject: &'static str, id: i64) -> Vec<(String, Value)> {
    app.with_conn(move |conn| {
        centrale::audit::for_subject(conn, subject, id)
            .unwrap()
            .into_iter()
            .map(|e| (e.action, serde_json::from_str(&e.details).unwrap()))
            .collect()
    })
    .await
}

/// Places an order through the API and returns the supplier it went to.
async fn order_goes_to(app: &TestApp, buyer: &Buyer, sku: &str, quantity: i64) -> i64 {
    let bearer = token(app, &buyer.client_id, &buyer.client_secret).await;
    let (status, body) = call(
        app,
        reqwest::Method::POST,
        "/api/v1/orders",
        &bearer,
        Some(json!({
            "delivery_address_id": buyer.address_id,
            "lines": [{ "sku": sku, "quantity": quantity }],
        })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["orders"][0]["id"].as_i64().unwrap();
    let (status, order) = call(
        app,
        reqwest::Method::GET,
        &format!("/api/v1/orders/{id}"),
        &bearer,
        None,
    )
    .await;
    assert_eq!(status, 200);
    order["current_supplier"]["id"].as_i64().expect("routed")
}

async fn post(web: &TestApp, page: &str, action: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let response = web.post_form(page, action, fields).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn lot_form<'a>(reference: &'a str, kind: &'a str, category: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("reference", reference),
        ("category", category),
        ("kind", kind),
        ("title_fr", "Gants nitrile"),
        ("title_nl", "Nitrilhandschoenen"),
        ("description_fr", "Gants d'examen"),
        ("description_nl", "Onderzoekshandschoenen"),
        ("valid_from", "2026-01-01"),
        ("valid_until", "2027-12-31"),
    ]
}

fn product_form<'a>(sku: &'a str, unit: &'a str, min: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("sku", sku),
        ("name_fr", "Gants nitrile M"),
        ("name_nl", "Nitrilhandschoenen M"),
        ("description_fr", ""),
        ("description_nl", ""),
        ("packaging_fr", "Boîte de 100"),
        ("packaging_nl", "Doos van 100"),
        ("unit_code", unit),
        ("standards", "EN 455\nEN ISO 374-5"),
        ("vat_class", "standard"),
        ("min_quantity", min),
        ("order_multiple", "1"),
        ("active", "on"),
    ]
}

async fn fixture_category(app: &TestApp) {
    app.with_conn(|conn| {
        centrale::db::reference::insert_category(
            conn,
            &centrale::db::reference::NewCategory {
                code: "gloves",
                name_fr: "Gants",
                name_nl: "Handschoenen",
                position: 1,
            },
        )
        .unwrap()
    })
    .await;
}

async fn admin_creates_and_publishes_a_lot_through_the_pages_then_it_takes_orders(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    fixture_category(&app).await;
    let web = signed_in_admin(&app).await;
    let first = supplier(&app, 11, "Medi Supplies").await;
    let second = supplier(&app, 12, "Brabo Care").await;

    let (status, _) = post(
        &web,
        "/admin/lots/new",
        "/admin/lots",
        &lot_form("CA-GLV-2026-01", "goods", "gloves"),
    )
    .await;
    assert_eq!(status, 303);
    let lot = lot_id(&app, "CA-GLV-2026-01").await;
    let page = format!("/admin/lots/{lot}");
    let (_, html) = web.get_text("/admin/lots").await;
    assert!(
        html.contains("CA-GLV-2026-01") && html.contains("Brouillon"),
        "{html}"
    );

    // Publishing a lot without products is refused with the reason.
    for supplier in [first, second] {
        let (status, _) = post(
            &web,
            &page,
            &format!("/admin/lots/{lot}/cascade"),
            &[("supplier_id", &supplier.to_string())],
        )
        .await;
        assert_eq!(status, 303);
    }
    let (status, html) = post(&web, &page, &format!("/admin/lots/{lot}/publish"), &[]).await;
    assert_eq!(status, 409);
    assert!(
        html.contains("le lot ne compte aucun produit actif"),
        "{html}"
    );

    let (status, _) = post(
        &web,
        &format!("/admin/lots/{lot}/products/new"),
        &format!("/admin/lots/{lot}/products"),
        &product_form("GLV-NIT-M", "BX", "2"),
    )
    .await;
    assert_eq!(status, 303);
    let product = product_id(&app, "GLV-NIT-M").await;
    let product_page = format!("/admin/products/{product}");
    for (supplier, price) in [(first, "7,90"), (second, "7.20")] {
        let (status, body) = post(
            &web,
            &product_page,
            &format!("/admin/products/{product}/offers/{supplier}"),
            &[
                ("price", price),
                ("available", "on"),
                ("unavailable_until", ""),
            ],
        )
        .await;
        assert_eq!(status, 303, "{body}");
    }
    let (status, _) = post(&web, &page, &format!("/admin/lots/{lot}/publish"), &[]).await;
    assert_eq!(status, 303);
    let (_, html) = web.get_text(&page).await;
    assert!(html.contains("Publié"), "{html}");

    // The catalogue shows it with its unit, at rank 1's price, and an order goes to rank 1.
    let (_, json) = app
        .get_json("/api/v1/catalogue/products?lot=CA-GLV-2026-01")
        .await;
    assert_eq!(
        json["items"][0]["current_price"]["unit_price_cents"], 790,
        "{json}"
    );
    let buyer = buyer_fixture(&app, 301, "fr").await;
    assert_eq!(order_goes_to(&app, &buyer, "GLV-NIT-M", 4).await, first);

    let trail = audit_of(&app, "lot", lot).await;
    let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "lot.created",
            "cascade.supplier_added",
            "cascade.supplier_added",
            "lot.published"
        ]
    );
    assert_eq!(trail[2].1["before"][0]["supplier_id"], first);
    assert_eq!(trail[2].1["after"][1]["supplier_id"], second);
    assert_eq!(trail[2].1["after"][1]["rank"], 2);
    assert_eq!(trail[3].1["before"]["status"], "draft");
    assert_eq!(trail[3].1["after"]["status"], "published");
    let offers = audit_of(&app, "product", product).await;
    assert_eq!(offers[1].0, "offer.set");
    assert_eq!(offers[1].1["before"], Value::Null);
    assert_eq!(offers[1].1["after"]["price_cents"], 790);
}

async fn publishing_needs_a_cascade_and_a_product(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    fixture_category(&app).await;
    let bearer = admin_token(&app).await;
    let (status, lot) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/lots",
        &bearer,
        Some(json!({
            "reference": "CA-GLV-2026-02", "category": "gloves", "kind": "goods",
            "title_fr": "Gants", "title_nl": "Handschoenen",
            "valid_from": "2026-01-01", "valid_until": "2027-12-31",
        })),
    )
    .await;
    assert_eq!(status, 201, "{lot}");
    assert_eq!(lot["status"], "draft");
    let id = lot["id"].as_i64().unwrap();
    let (status, product) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/admin/lots/{id}/products"),
        &bearer,
        Some(json!({
            "sku": "GLV-NIT-S", "name_fr": "Gants S", "name_nl": "Handschoenen S",
            "packaging_fr": "Boîte de 100", "packaging_nl": "Doos van 100",
            "unit_code": "BX", "vat_class": "standard",
        })),
    )
    .await;
    assert_eq!(status, 201, "{product}");
    let publish = format!("/api/v1/admin/lots/{id}/publish");
    let (status, problem) = call(&app, reqwest::Method::POST, &publish, &bearer, None).await;
    assert_eq!(status, 409);
    assert!(
        problem["detail"].as_str().unwrap().contains("cascade"),
        "{problem}"
    );

    // A deactivated or suspended supplier does not count.
    let s = supplier(&app, 21, "Solo").await;
    let cascade = format!("/api/v1/admin/lots/{id}/cascade");
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &cascade,
        &bearer,
        Some(json!({ "suppliers": [{ "rank": 1, "supplier_id": s, "active": false }] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"][0]["active"], false);
    let (status, _) = call(&app, reqwest::Method::POST, &publish, &bearer, None).await;
    assert_eq!(status, 409);
    let (status, _) = call(
        &app,
        reqwest::Method::PUT,
        &cascade,
        &bearer,
        Some(json!({ "suppliers": [{ "rank": 1, "supplier_id": s }] })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(&app, reqwest::Method::POST, &publish, &bearer, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "published");
    // Publishing twice is a conflict, and closing works once.
    let (status, _) = call(&app, reqwest::Method::POST, &publish, &bearer, None).await;
    assert_eq!(status, 409);
    let close = format!("/api/v1/admin/lots/{id}/close");
    let (status, body) = call(&app, reqwest::Method::POST, &close, &bearer, None).await;
    assert_eq!((status, body["status"].clone()), (200, json!("closed")));
    let (status, _) = call(&app, reqwest::Method::POST, &close, &bearer, None).await;
    assert_eq!(status, 409);
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/lots/999999/publish",
        &bearer,
        None,
    )
    .await;
    assert_eq!(status, 404);
}

async fn invalid_fields_are_named_in_the_users_language(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    fixture_category(&app).await;
    let web = signed_in_admin(&app).await;
    let mut fields = lot_form("ca lower", "goods", "gloves");
    fields.retain(|(k, _)| *k != "title_nl");
    fields.push(("title_nl", ""));
    fields.retain(|(k, _)| *k != "valid_until");
    fields.push(("valid_until", "2025-12-31"));
    let (status, html) = post(&web, "/admin/lots/new", "/admin/lots", &fields).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="reference-error""#), "{html}");
    assert!(html.contains("Une référence compte de 1 à 40 lettres majuscules"));
    assert!(html.contains(r#"id="title_nl-error""#));
    assert!(html.contains("La fin de validité précède son début."));
    assert!(html.contains(r#"value="ca lower""#), "input kept");
    assert!(html.contains(r#"value="Gants nitrile""#), "input kept");

    // The same in Dutch.
    let (_, _) = web.get_text("/admin/lots/new?lang=nl").await;
    let (status, html) = post(&web, "/admin/lots/new", "/admin/lots", &fields).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Een referentie telt 1 tot 40 hoofdletters"),
        "{html}"
    );

    let bearer = admin_token(&app).await;
    let (status, problem) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/lots",
        &bearer,
        Some(json!({
            "reference": "CA-1", "category": "nope", "kind": "stuff", "title_fr": "",
            "title_nl": "T", "valid_from": "01/01/2026", "valid_until": "2027-01-01",
        })),
    )
    .await;
    assert_eq!(status, 422);
    let mut named: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    named.sort();
    assert_eq!(named, vec!["category", "kind", "title_fr", "valid_from"]);

    // Product fields: an unknown unit and a minimum of zero.
    let fixture = app
        .with_conn({
            let now = app.clock.now_naive();
            move |conn| lot_fixture(conn, now, "CA-FIX-2026-01", 1)
        })
        .await;
    let mut fields = product_form("GLV-X", "XYZ", "0");
    fields.retain(|(k, _)| *k != "name_fr");
    let (status, html) = post(
        &web,
        &format!("/admin/lots/{}/products/new", fixture.lot_id),
        &format!("/admin/lots/{}/products", fixture.lot_id),
        &fields,
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="unit_code-error""#), "{html}");
    assert!(html.contains(r#"id="min_quantity-error""#));
    assert!(html.contains(r#"id="name_fr-error""#));
    assert!(html.contains(r#"value="GLV-X""#), "input kept");
    // An offer with a malformed price is refused next to that supplier's price.
    let product = app
        .with_conn({
            let now = app.clock.now_naive();
            move |conn| {
                product_fixture(
                    conn,
                    now,
                    &fixture,
                    "GLV-Y",
                    "standard",
                    &[Some("1.00")],
                    &[],
                )
            }
        })
        .await;
    let supplier = app
        .with_conn(move |conn| {
            let lot = product_lot(conn, product);
            centrale::db::catalogue::cascade_of(conn, lot).unwrap()[0].supplier_id
        })
        .await;
    let (status, html) = post(
        &web,
        &format!("/admin/products/{product}"),
        &format!("/admin/products/{product}/offers/{supplier}"),
        &[("price", "-3"), ("available", "on")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains(&format!(r#"id="price-{supplier}-error""#)),
        "{html}"
    );
    assert!(html.contains(r#"value="-3""#), "input kept");
}

fn product_lot(conn: &mut centrale::db::Conn, product: i64) -> i64 {
    centrale::db::catalogue::product_lot_id(conn, product)
        .unwrap()
        .unwrap()
}

async fn a_closed_lot_refuses_checkout_and_says_why(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "CA-CLS-2026-01", 1);
            product_fixture(conn, now, &lot, "CLS-1", "standard", &[Some("3.00")], &[]);
            lot
        })
        .await;
    let buyer = buyer_fixture(&app, 302, "fr").await;
    let shop = app.as_new_visitor();
    shop.login(&buyer.email, &buyer.password).await;
    let (status, _) = post(
        &shop,
        "/cart",
        "/cart",
        &[("sku", "CLS-1"), ("quantity", "5")],
    )
    .await;
    assert_eq!(status, 303);

    let bearer = admin_token(&app).await;
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/admin/lots/{}/close", lot.lot_id),
        &bearer,
        None,
    )
    .await;
    assert_eq!(status, 200);

    let (_, cart) = shop.get_text("/cart").await;
    assert!(cart.contains("CLS-1"), "the line stays visible: {cart}");
    let address = buyer.address_id.to_string();
    let (status, html) = post(
        &shop,
        "/cart",
        "/cart/checkout",
        &[("delivery_address", &address), ("buyer_reference", "")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Ce marché est clôturé"), "{html}");
    let (_, cart) = shop.get_text("/cart").await;
    assert!(cart.contains("CLS-1"), "a refused checkout keeps the cart");

    let api = token(&app, &buyer.client_id, &buyer.client_secret).await;
    let (status, problem) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/orders",
        &api,
        Some(json!({ "delivery_address_id": buyer.address_id, "lines": [{ "sku": "CLS-1", "quantity": 5 }] })),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "lines[0].sku");
    assert_eq!(problem["errors"][0]["code"], "lot-closed");
    let (_, orders) = call(&app, reqwest::Method::GET, "/api/v1/orders", &api, None).await;
    assert_eq!(orders["total"], 0, "{orders}");
}

async fn cascade_changes_decide_who_gets_the_next_order(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "CA-CSC-2026-01", 3);
            product_fixture(
                conn,
                now,
                &lot,
                "CSC-1",
                "standard",
                &[Some("1.00"), Some("2.00"), Some("3.00")],
                &[],
            );
            lot
        })
        .await;
    let [s1, s2, s3] = [lot.suppliers[0], lot.suppliers[1], lot.suppliers[2]];
    let buyer = buyer_fixture(&app, 303, "fr").await;
    assert_eq!(order_goes_to(&app, &buyer, "CSC-1", 1).await, s1);

    let web = signed_in_admin(&app).await;
    let page = format!("/admin/lots/{}", lot.lot_id);
    let (status, _) = post(
        &web,
        &page,
        &format!("/admin/lots/{}/cascade/{s1}/deactivate", lot.lot_id),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(order_goes_to(&app, &buyer, "CSC-1", 1).await, s2);

    // Rank 3 moves up twice; rank 1 is reactivated and is now below it.
    for _ in 0..2 {
        let (status, _) = post(
            &web,
            &page,
            &format!("/admin/lots/{}/cascade/{s3}/up", lot.lot_id),
            &[],
        )
        .await;
        assert_eq!(status, 303);
    }
    let (status, _) = post(
        &web,
        &page,
        &format!("/admin/lots/{}/cascade/{s1}/reactivate", lot.lot_id),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(order_goes_to(&app, &buyer, "CSC-1", 1).await, s3);
    let (status, html) = post(
        &web,
        &page,
        &format!("/admin/lots/{}/cascade/{s3}/up", lot.lot_id),
        &[],
    )
    .await;
    assert_eq!(status, 409, "already first");
    assert!(html.contains("déjà à cette extrémité"), "{html}");

    let trail = audit_of(&app, "lot", lot.lot_id).await;
    let (action, last) = trail.last().unwrap();
    assert_eq!(action, "cascade.supplier_reactivated");
    let ids = |list: &Value| -> Vec<(i64, bool)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["supplier_id"].as_i64().unwrap(),
                    e["active"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        ids(&last["before"]),
        vec![(s3, true), (s1, false), (s2, true)]
    );
    assert_eq!(
        ids(&last["after"]),
        vec![(s3, true), (s1, true), (s2, true)]
    );

    // The whole order through the API; a gap, a repeat or a sixth supplier changes nothing.
    let bearer = admin_token(&app).await;
    let path = format!("/api/v1/admin/lots/{}/cascade", lot.lot_id);
    for bad in [
        json!([{ "rank": 1, "supplier_id": s2 }, { "rank": 3, "supplier_id": s1 }]),
        json!([{ "rank": 1, "supplier_id": s2 }, { "rank": 2, "supplier_id": s2 }]),
        json!([{ "rank": 1, "supplier_id": 999_999 }]),
    ] {
        let (status, problem) = call(
            &app,
            reqwest::Method::PUT,
            &path,
            &bearer,
            Some(json!({ "suppliers": bad })),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "cascade");
    }
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        &bearer,
        Some(json!({ "suppliers": [
            { "rank": 2, "supplier_id": s1 },
            { "rank": 1, "supplier_id": s2 },
        ] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 2);
    assert_eq!(body["items"][0]["supplier_id"], s2);
    assert_eq!(order_goes_to(&app, &buyer, "CSC-1", 1).await, s2);
}

async fn a_services_lot_is_ordered_in_hours(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let bearer = admin_token(&app).await;
    let (status, category) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/categories",
        &bearer,
        Some(json!({ "code": "care-services", "name_fr": "Services de soins", "name_nl": "Zorgdiensten", "position": 6 })),
    )
    .await;
    assert_eq!(status, 201, "{category}");
    let (status, lot) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/lots",
        &bearer,
        Some(json!({
            "reference": "CA-SRV-2026-01", "category": "care-services", "kind": "services",
            "title_fr": "Équipes mobiles de soins infirmiers", "title_nl": "Mobiele verpleegteams",
            "valid_from": "2026-01-01", "valid_until": "2029-12-31",
        })),
    )
    .await;
    assert_eq!(status, 201, "{lot}");
    let id = lot["id"].as_i64().unwrap();
    let a = supplier(&app, 31, "Soins Plus").await;
    let b = supplier(&app, 32, "Zorgflex").await;
    let (status, _) = call(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/admin/lots/{id}/cascade"),
        &bearer,
        Some(json!({ "suppliers": [{ "rank": 1, "supplier_id": a }, { "rank": 2, "supplier_id": b }] })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, problem) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/admin/lots/{id}/products"),
        &bearer,
        Some(json!({
            "sku": "SRV-NURSE-HR", "name_fr": "Infirmier – heure", "name_nl": "Verpleegkundige – uur",
            "packaging_fr": "Heure de prestation", "packaging_nl": "Prestatie-uur",
            "unit_code": "MIN", "vat_class": "exempt", "min_quantity": 4,
        })),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "unit_code");
    let (status, product) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/admin/lots/{id}/products"),
        &bearer,
        Some(json!({
            "sku": "SRV-NURSE-HR", "name_fr": "Infirmier – heure", "name_nl": "Verpleegkundige – uur",
            "packaging_fr": "Heure de prestation", "packaging_nl": "Prestatie-uur",
            "unit_code": "HUR", "vat_class": "exempt", "min_quantity": 4,
        })),
    )
    .await;
    assert_eq!(status, 201, "{product}");
    let pid = product["id"].as_i64().unwrap();
    for (s, price, available) in [(a, "52.40", false), (b, "49.80", true)] {
        let (status, body) = call(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/admin/products/{pid}/offers/{s}"),
            &bearer,
            Some(json!({ "price": price, "available": available })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/admin/lots/{id}/publish"),
        &bearer,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["products"][0]["offers"][1]["price"], "49.80");

    let (_, html) = app.get_text("/products/SRV-NURSE-HR").await;
    assert!(html.contains("heure"), "{html}");
    let buyer = buyer_fixture(&app, 304, "nl").await;
    let bearer_buyer = token(&app, &buyer.client_id, &buyer.client_secret).await;
    let (status, problem) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/orders",
        &bearer_buyer,
        Some(json!({ "delivery_address_id": buyer.address_id, "lines": [{ "sku": "SRV-NURSE-HR", "quantity": 2 }] })),
    )
    .await;
    assert_eq!(status, 422, "below the four-hour minimum: {problem}");
    // Rank 1 has no capacity: six hours go to rank 2 at its hourly price.
    assert_eq!(order_goes_to(&app, &buyer, "SRV-NURSE-HR", 6).await, b);
    let shop = app.as_new_visitor();
    shop.login(&buyer.email, &buyer.password).await;
    post(
        &shop,
        "/cart",
        "/cart",
        &[("sku", "SRV-NURSE-HR"), ("quantity", "8")],
    )
    .await;
    let (_, cart) = shop.get_text("/cart").await;
    assert!(cart.contains("per uur"), "{cart}");
}

async fn categories_are_created_and_edited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let web = signed_in_admin(&app).await;
    let fields = [
        ("code", "eye-protection"),
        ("name_fr", "Protection oculaire"),
        ("name_nl", "Oogbescherming"),
        ("position", "7"),
    ];
    let (status, _) = post(&web, "/admin/categories", "/admin/categories", &fields).await;
    assert_eq!(status, 303);
    let (status, html) = post(&web, "/admin/categories", "/admin/categories", &fields).await;
    assert_eq!(status, 422);
    assert!(html.contains("Une catégorie porte déjà ce code."), "{html}");
    let bearer = admin_token(&app).await;
    let (_, list) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/categories",
        &bearer,
        None,
    )
    .await;
    let category = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "eye-protection")
        .unwrap()
        .clone();
    assert_eq!(category["position"], 7);
    assert_eq!(category["lot_count"], 0);
    let id = category["id"].as_i64().unwrap();
    let (status, html) = post(
        &web,
        &format!("/admin/categories/{id}"),
        &format!("/admin/categories/{id}"),
        &[
            ("code", "eye-protection"),
            ("name_fr", "Lunettes et visières"),
            ("name_nl", "Brillen en gelaatsschermen"),
            ("position", "x"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="position-error""#), "{html}");
    let (status, body) = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/admin/categories/{id}"),
        &bearer,
        Some(json!({ "name_fr": "Lunettes et visières" })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["name_fr"], "Lunettes et visières");
    assert_eq!(body["name_nl"], "Oogbescherming");
    let trail = audit_of(&app, "category", id).await;
    assert_eq!(trail.len(), 2);
    assert_eq!(trail[1].1["before"]["name_fr"], "Protection oculaire");
    assert_eq!(trail[1].1["after"]["name_fr"], "Lunettes et visières");
}

async fn only_admins_reach_the_back_office(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "CA-SEC-2026-01", 1);
            product_fixture(conn, now, &lot, "SEC-1", "standard", &[Some("1.00")], &[]);
            lot
        })
        .await;
    let (l, s) = (lot.lot_id, lot.suppliers[0]);
    let product = product_id(&app, "SEC-1").await;
    let buyer = buyer_fixture(&app, 305, "fr").await;
    let shop = app.as_new_visitor();
    shop.login(&buyer.email, &buyer.password).await;
    let (_, home) = shop.get_text("/cart").await;
    let csrf = csrf_of(&home);
    for path in [
        "/admin/lots".to_owned(),
        "/admin/lots/new".to_owned(),
        format!("/admin/lots/{l}"),
        format!("/admin/lots/{l}/products/new"),
        format!("/admin/products/{product}"),
        "/admin/categories".to_owned(),
        "/admin/categories/1".to_owned(),
    ] {
        assert_eq!(shop.get(&path).await.status(), 403, "GET {path}");
    }
    for path in [
        "/admin/lots".to_owned(),
        format!("/admin/lots/{l}"),
        format!("/admin/lots/{l}/publish"),
        format!("/admin/lots/{l}/close"),
        format!("/admin/lots/{l}/cascade"),
        format!("/admin/lots/{l}/cascade/{s}/deactivate"),
        format!("/admin/lots/{l}/products"),
        format!("/admin/products/{product}"),
        format!("/admin/products/{product}/offers/{s}"),
        "/admin/categories".to_owned(),
        "/admin/categories/1".to_owned(),
    ] {
        let response = shop
            .client
            .post(shop.url(&path))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "POST {path}");
    }
    let (status, _) = app.get_text("/admin/lots").await;
    assert_eq!(status, 303, "anonymous visitors are sent to the login page");

    let (client, secret) = issue_client(&app, Role::Supplier, Some(s)).await;
    let bearer = token(&app, &client, &secret).await;
    use reqwest::Method as M;
    for (method, path) in [
        (M::GET, "/api/v1/admin/lots".to_owned()),
        (M::POST, "/api/v1/admin/lots".to_owned()),
        (M::GET, format!("/api/v1/admin/lots/{l}")),
        (M::PATCH, format!("/api/v1/admin/lots/{l}")),
        (M::POST, format!("/api/v1/admin/lots/{l}/publish")),
        (M::POST, format!("/api/v1/admin/lots/{l}/close")),
        (M::PUT, format!("/api/v1/admin/lots/{l}/cascade")),
        (M::POST, format!("/api/v1/admin/lots/{l}/products")),
        (M::PATCH, format!("/api/v1/admin/products/{product}")),
        (
            M::PUT,
            format!("/api/v1/admin/products/{product}/offers/{s}"),
        ),
        (M::GET, "/api/v1/admin/categories".to_owned()),
        (M::POST, "/api/v1/admin/categories".to_owned()),
        (M::PATCH, "/api/v1/admin/categories/1".to_owned()),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .bearer_auth(&bearer)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method} {path} without a token");
    }
    // Nothing changed.
    let trail = audit_of(&app, "lot", l).await;
    assert!(trail.is_empty());
}
