//! The catalogue as visitors and API clients see it, on both backends.

mod helpers;

use centrale::clock::Clock;
use centrale::db::Backend;
use helpers::{lot_fixture, product_fixture, spawn_app, spawn_demo_app};

on_both_backends!(
    probes_report_alive_and_ready,
    catalogue_speaks_french_and_dutch,
    language_choice_is_remembered_and_negotiated,
    drafts_and_closed_lots_stay_hidden,
    search_finds_by_name_sku_and_standard,
    price_shown_is_the_first_available_supplier_in_the_cascade,
    product_page_shows_price_supplier_and_vat,
    vat_rate_follows_the_order_date,
    json_catalogue_lists_and_filters,
    api_errors_are_problem_documents,
    pages_carry_security_headers_and_assets_are_cached,
    unknown_pages_get_a_translated_404,
    catalogue_pages_hold_fifty_products,
    a_change_shows_on_the_very_next_view,
    pages_shared_between_visitors_are_never_personal,
);

async fn probes_report_alive_and_ready(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(body["database"], backend.name());
}

async fn catalogue_speaks_french_and_dutch(backend: Backend) {
    let Some(app) = spawn_demo_app(backend).await else {
        return;
    };
    let (status, fr) = app.get_text("/?lang=fr").await;
    assert_eq!(status, 200);
    assert!(fr.contains(r#"<html lang="fr">"#));
    assert!(
        fr.contains("Masques FFP2") || fr.contains("FFP2"),
        "French catalogue lists FFP2 masks"
    );
    assert!(fr.contains("Rechercher un produit"));
    assert!(fr.contains(r#"hreflang="nl""#), "language switch to Dutch");

    let (status, nl) = app.get_text("/catalogue?lang=nl").await;
    assert_eq!(status, 200);
    assert!(nl.contains(r#"<html lang="nl">"#));
    assert!(nl.contains("Een product zoeken"));
    assert!(nl.contains("Catalogus"));
    // Both pages list the same lots, each under its own title.
    let lots = [
        "CA-EPI-2025-01",
        "CA-EPI-2025-03",
        "CA-HYG-2025-05",
        "CA-TST-2025-06",
        "CA-SRV-2025-07",
    ];
    for reference in lots {
        assert!(fr.contains(reference), "{reference} in French page");
        assert!(nl.contains(reference), "{reference} in Dutch page");
    }
    // Accessible structure: landmarks, skip link, labelled search.
    for needle in [
        r#"<main id="main""#,
        r##"class="skip-link" href="#main""##,
        r#"<label for="q">"#,
        "<nav",
    ] {
        assert!(fr.contains(needle), "page has {needle}");
    }
}

async fn language_choice_is_remembered_and_negotiated(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Browser preference when nothing was chosen.
    let response = app
        .client
        .get(app.url("/catalogue"))
        .header("Accept-Language", "en-GB,en;q=0.9,nl;q=0.8,fr;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-language"], "nl");
    // An explicit choice wins and is remembered in a cookie.
    let (_, page) = app.get_text("/catalogue?lang=nl").await;
    assert!(page.contains(r#"<html lang="nl">"#));
    let response = app
        .client
        .get(app.url("/catalogue"))
        .header("Accept-Language", "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-language"],
        "nl",
        "cookie beats Accept-Language"
    );
    let (_, page) = app.get_text("/catalogue?lang=fr").await;
    assert!(page.contains(r#"<html lang="fr">"#));
    // Unknown language codes fall back to the cookie, never to an error.
    let (status, page) = app.get_text("/catalogue?lang=xx").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<html lang="fr">"#));
}

async fn drafts_and_closed_lots_stay_hidden(backend: Backend) {
    let Some(app) = spawn_demo_app(backend).await else {
        return;
    };
    let (_, page) = app.get_text("/catalogue").await;
    assert!(!page.contains("CA-EPI-2026-08"), "draft lot hidden");
    assert!(!page.contains("CA-EPI-2021-01"), "closed lot hidden");
    let (status, _) = app.get_text("/lots/CA-EPI-2026-08").await;
    assert_eq!(status, 404);
    let (_, lots) = app.get_json("/api/v1/catalogue/lots").await;
    let references: Vec<&str> = lots["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["reference"].as_str().unwrap())
        .collect();
    assert_eq!(references.len(), 7, "seven published lots: {references:?}");
    assert!(!references.contains(&"CA-EPI-2026-08"));
}

async fn search_finds_by_name_sku_and_standard(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let masks = lot_fixture(conn, now, "LOT-MASKS", 2);
        product_fixture(
            conn,
            now,
            &masks,
            "MASK-IIR-50",
            "covid_ppe",
            &[Some("4.20"), Some("4.50")],
            &[],
        );
        let gloves = lot_fixture(conn, now, "LOT-GLOVES", 2);
        let id = centrale::catalogue::create_product(
            conn,
            now,
            &centrale::catalogue::ProductInput {
                lot_id: gloves.lot_id,
                sku: "GLV-NIT-M",
                name: centrale::catalogue::Bilingual::new(
                    "Gants d'examen en nitrile, taille M",
                    "Nitril onderzoekshandschoenen, maat M",
                ),
                description: centrale::catalogue::Bilingual::new("Non poudrés.", "Poedervrij."),
                packaging: centrale::catalogue::Bilingual::new("Boîte de 100", "Doos van 100"),
                unit_code: "BX",
                standards: vec!["EN 455-1/2/3/4".into(), "EN ISO 374-5".into()],
                vat_class: "standard",
                min_quantity: 10,
                order_multiple: 10,
            },
        )
        .unwrap();
        centrale::catalogue::set_offer(conn, now, id, gloves.suppliers[0], "6.10", true).unwrap();
    })
    .await;

    let (_, body) = app.get_json("/api/v1/catalogue/products?q=nitrile").await;
    assert_eq!(skus(&body), vec!["GLV-NIT-M"]);
    // Accents and case do not matter; Dutch names are searched too.
    let (_, body) = app
        .get_json("/api/v1/catalogue/products?q=GANTS%20NITRILE")
        .await;
    assert_eq!(skus(&body), vec!["GLV-NIT-M"]);
    let (_, body) = app
        .get_json("/api/v1/catalogue/products?q=handschoenen")
        .await;
    assert_eq!(skus(&body), vec!["GLV-NIT-M"]);
    let (_, body) = app.get_json("/api/v1/catalogue/products?q=en%20455").await;
    assert_eq!(skus(&body), vec!["GLV-NIT-M"], "search by standard");
    let (_, body) = app.get_json("/api/v1/catalogue/products?q=mask-iir").await;
    assert_eq!(skus(&body), vec!["MASK-IIR-50"], "search by SKU");
    let (_, body) = app.get_json("/api/v1/catalogue/products?q=%25").await;
    assert!(skus(&body).is_empty(), "a typed % is not a wildcard");

    let (status, page) = app.get_text("/catalogue?q=nitrile").await;
    assert_eq!(status, 200);
    assert!(page.contains("GLV-NIT-M"));
    assert!(!page.contains("MASK-IIR-50"));
    assert!(
        page.contains(r#"value="nitrile""#),
        "the query stays in the search box"
    );
    let (_, page) = app.get_text("/catalogue?q=zzzz-nothing").await;
    assert!(page.contains("Aucun produit ne correspond"));
}

fn skus(body: &serde_json::Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["sku"].as_str().unwrap().to_owned())
        .collect()
}

async fn price_shown_is_the_first_available_supplier_in_the_cascade(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "LOT-CASCADE", 5);
            let all = [
                Some("10.00"),
                Some("9.00"),
                Some("11.50"),
                Some("12.00"),
                Some("8.75"),
            ];
            product_fixture(conn, now, &lot, "P-ALL", "standard", &all, &[]);
            product_fixture(conn, now, &lot, "P-R1-OUT", "standard", &all, &[1]);
            product_fixture(conn, now, &lot, "P-R12-OUT", "standard", &all, &[1, 2]);
            product_fixture(
                conn,
                now,
                &lot,
                "P-NONE",
                "standard",
                &all,
                &[1, 2, 3, 4, 5],
            );
            // Rank 1 has no offer at all for this product: it cannot receive the order.
            product_fixture(
                conn,
                now,
                &lot,
                "P-NO-OFFER-R1",
                "standard",
                &[None, Some("9.50"), Some("9.90"), None, None],
                &[],
            );
            lot
        })
        .await;
    let (_, body) = app
        .get_json(&format!("/api/v1/catalogue/products?lot={}", lot.reference))
        .await;
    let by_sku = |sku: &str| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["sku"] == sku)
            .cloned()
            .unwrap()
    };
    let price = |sku: &str| {
        let p = by_sku(sku);
        (
            p["current_price"]["cascade_rank"].as_u64(),
            p["current_price"]["unit_price_cents"].as_i64(),
        )
    };
    assert_eq!(price("P-ALL"), (Some(1), Some(1000)));
    assert_eq!(price("P-R1-OUT"), (Some(2), Some(900)));
    assert_eq!(price("P-R12-OUT"), (Some(3), Some(1150)));
    assert_eq!(price("P-NO-OFFER-R1"), (Some(2), Some(950)));
    assert_eq!(by_sku("P-NONE")["available"], false);
    assert!(by_sku("P-NONE")["current_price"].is_null());
    assert_eq!(by_sku("P-ALL")["current_price"]["unit_price"], "10.00");
    assert_eq!(
        by_sku("P-ALL")["current_price"]["supplier_id"],
        lot.suppliers[0]
    );

    // A suspended rank-1 supplier is skipped too.
    let first = lot.suppliers[0];
    app.with_conn(move |conn| {
        use diesel::prelude::*;
        centrale::with_conn!(conn, |c| diesel::update(
            centrale::db::schema::suppliers::table.find(first)
        )
        .set(centrale::db::schema::suppliers::status.eq("suspended"))
        .execute(c))
        .unwrap();
    })
    .await;
    let (_, body) = app
        .get_json(&format!("/api/v1/catalogue/products?lot={}", lot.reference))
        .await;
    let p = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["sku"] == "P-ALL")
        .unwrap();
    assert_eq!(p["current_price"]["cascade_rank"], 2);
}

async fn product_page_shows_price_supplier_and_vat(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let lot = lot_fixture(conn, now, "LOT-PAGE", 3);
        product_fixture(
            conn,
            now,
            &lot,
            "FFP2-TEST",
            "standard",
            &[Some("12.34"), Some("1234.50"), None],
            &[1],
        );
    })
    .await;
    let (status, fr) = app.get_text("/products/FFP2-TEST?lang=fr").await;
    assert_eq!(status, 200);
    assert!(
        fr.contains("1\u{202f}234,50\u{a0}€"),
        "French amount format"
    );
    assert!(
        fr.contains("Supplier LOT-PAGE-2"),
        "names the supplier that would receive the order"
    );
    assert!(fr.contains("rang 2"));
    assert!(fr.contains("21\u{a0}%"));
    // 1234.50 + 21 % = 1493.745 -> 1493.75 incl. VAT
    assert!(fr.contains("1\u{202f}493,75\u{a0}€"), "price incl. VAT");
    let (_, nl) = app.get_text("/products/FFP2-TEST?lang=nl").await;
    assert!(nl.contains("€\u{a0}1.234,50"), "Dutch amount format");
    assert!(nl.contains("Huidige prijs"));
    let (status, _) = app.get_text("/products/NO-SUCH-SKU").await;
    assert_eq!(status, 404);
}

async fn vat_rate_follows_the_order_date(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let lot = lot_fixture(conn, now, "LOT-VAT", 1);
        product_fixture(
            conn,
            now,
            &lot,
            "GEL-500",
            "covid_ppe",
            &[Some("3.00")],
            &[],
        );
    })
    .await;
    let rate = |body: serde_json::Value| {
        body["items"][0]["vat_rate_percent"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (_, body) = app.get_json("/api/v1/catalogue/products?q=gel-500").await;
    assert_eq!(rate(body), "21");
    // Masks and hand gels were taxed at 6 % from 4 May 2020 to 30 June 2022. The lot is
    // not valid then, but the catalogue still states the rate of the day.
    use chrono::TimeZone;
    app.clock
        .set(chrono::Utc.with_ymd_and_hms(2022, 6, 30, 10, 0, 0).unwrap());
    let (_, body) = app.get_json("/api/v1/catalogue/products?q=gel-500").await;
    assert_eq!(rate(body), "6");
    app.clock
        .set(chrono::Utc.with_ymd_and_hms(2022, 7, 1, 10, 0, 0).unwrap());
    let (_, body) = app.get_json("/api/v1/catalogue/products?q=gel-500").await;
    assert_eq!(rate(body), "21");
}

async fn json_catalogue_lists_and_filters(backend: Backend) {
    let Some(app) = spawn_demo_app(backend).await else {
        return;
    };
    let (status, lots) = app.get_json("/api/v1/catalogue/lots").await;
    assert_eq!(status, 200);
    let first = &lots["items"][0];
    assert!(first["title"]["fr"].is_string() && first["title"]["nl"].is_string());
    assert_eq!(first["orderability"], "open");
    let (_, all) = app.get_json("/api/v1/catalogue/products?limit=500").await;
    let total = all["total"].as_u64().unwrap();
    assert!(total >= 30, "demo has many products: {total}");
    let (_, page) = app
        .get_json("/api/v1/catalogue/products?limit=5&offset=5")
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert_eq!(page["items"][0]["sku"], all["items"][5]["sku"]);
    let (_, lot) = app
        .get_json("/api/v1/catalogue/products?lot=CA-EPI-2025-03")
        .await;
    assert!(lot["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["lot_reference"] == "CA-EPI-2025-03"));
    assert!(lot["total"].as_u64().unwrap() >= 4);
    // Prices are exact strings and integer cents, never floats.
    let price = &all["items"][0]["current_price"];
    assert!(price["unit_price_cents"].is_i64());
    assert!(price["unit_price"].as_str().unwrap().contains('.'));
    assert_eq!(price["currency"], "EUR");
}

async fn api_errors_are_problem_documents(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for (path, status) in [
        ("/api/v1/catalogue/products?lot=NOPE", 404),
        ("/api/v1/catalogue/products?limit=0", 400),
        ("/api/v1/catalogue/products?limit=abc", 400),
        ("/api/v1/no-such-route", 404),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], status);
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{path}: {body}"
        );
    }
}

async fn pages_carry_security_headers_and_assets_are_cached(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let response = app.get("/catalogue").await;
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("referrer-policy"));
    let response = app.get("/assets/css/site.css").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert!(response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    let etag = response.headers()["etag"].clone();
    let again = app
        .client
        .get(app.url("/assets/css/site.css"))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(app.get("/assets/nothing.css").await.status(), 404);
}

async fn unknown_pages_get_a_translated_404(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (status, page) = app.get_text("/no/such/page?lang=nl").await;
    assert_eq!(status, 404);
    assert!(page.contains("Pagina niet gevonden"));
    let (status, page) = app.get_text("/lots/UNKNOWN?lang=fr").await;
    assert_eq!(status, 404);
    assert!(page.contains("Page introuvable"));
}

/// The page with the entities templates use in attribute values turned back into characters.
fn unescape(html: &str) -> String {
    html.replace("&#x3D;", "=").replace("&amp;", "&")
}

/// How many product rows a catalogue page lists.
fn product_rows(html: &str) -> usize {
    html.matches(r#"<span class="sku">"#).count()
}

async fn catalogue_pages_hold_fifty_products(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let first = lot_fixture(conn, now, "LOT-PAGE-A", 1);
        for n in 0..60 {
            product_fixture(
                conn,
                now,
                &first,
                &format!("A-{n:03}"),
                "standard",
                &[Some("1.00")],
                &[],
            );
        }
        let second = lot_fixture(conn, now, "LOT-PAGE-B", 1);
        for n in 0..45 {
            product_fixture(
                conn,
                now,
                &second,
                &format!("B-{n:03}"),
                "standard",
                &[Some("2.00")],
                &[],
            );
        }
    })
    .await;

    let (status, one) = app.get_text("/catalogue?lang=fr").await;
    assert_eq!(status, 200);
    let one = unescape(&one);
    assert_eq!(product_rows(&one), 50);
    assert!(
        one.contains("105 produits dans 2 lots"),
        "totals cover every page"
    );
    assert!(one.contains("Page 1 sur 3."));
    assert!(one.contains(r#"<span aria-current="page">1</span>"#));
    assert!(one.contains(r#"href="/catalogue?page=2" rel="next""#));
    assert!(one.contains("A-049") && !one.contains("A-050"));

    let (_, two) = app.get_text("/catalogue?page=2").await;
    let two = unescape(&two);
    assert_eq!(product_rows(&two), 50);
    assert!(two.contains("A-050") && two.contains("A-059") && two.contains("B-039"));
    assert!(
        two.contains("(suite)"),
        "a lot cut by the page says it continues"
    );
    assert!(two.contains(r#"href="/catalogue" rel="prev""#));
    let (_, three) = app.get_text("/catalogue?page=3").await;
    assert_eq!(product_rows(&three), 5);
    assert!(three.contains("B-044"));
    // A page past the end shows the last one; nonsense shows the first.
    let (status, past) = app.get_text("/catalogue?page=99").await;
    assert_eq!(status, 200);
    assert_eq!(product_rows(&past), 5);
    let (status, nonsense) = app.get_text("/catalogue?page=deux").await;
    assert_eq!(status, 200);
    assert!(nonsense.contains("A-000"));

    // Search results are paged too, and page links keep the search.
    let (_, found) = app.get_text("/catalogue?q=produit&lang=nl").await;
    let found = unescape(&found);
    assert_eq!(product_rows(&found), 50);
    assert!(found.contains("Pagina 1 van 3."));
    assert!(found.contains(r#"href="/catalogue?q=produit&page=2""#));
    let (_, found) = app.get_text("/catalogue?q=B-04").await;
    assert_eq!(product_rows(&found), 5);
    assert!(!found.contains("Pagina"), "one page needs no page links");
    assert!(!found.contains("pagination"));
}

async fn a_change_shows_on_the_very_next_view(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let product = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "LOT-FRESH", 2);
            product_fixture(
                conn,
                now,
                &lot,
                "FRESH-1",
                "standard",
                &[Some("10.00"), Some("11.00")],
                &[],
            )
        })
        .await;
    let price_of = |body: &serde_json::Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["sku"] == "FRESH-1")
            .map(|p| p["current_price"]["unit_price_cents"].clone())
    };
    // Seen once, so every view below would come from memory if nothing told it otherwise.
    let (_, page) = app.get_text("/catalogue?lang=fr").await;
    assert!(page.contains("10,00"));
    let (_, body) = app.get_json("/api/v1/catalogue/products").await;
    assert_eq!(price_of(&body), Some(serde_json::json!(1000)));

    // A change written straight to the database, as another process would: the triggers
    // bump the revision and the next view has it.
    app.with_conn(move |conn| {
        centrale::with_conn!(conn, |c| diesel::RunQueryDsl::execute(
            diesel::sql_query(format!(
                "UPDATE supplier_offers SET price_cents = 1234 WHERE product_id = {product} \
                 AND price_cents = 1000"
            )),
            c
        ))
        .unwrap();
    })
    .await;
    let (_, page) = app.get_text("/catalogue?lang=fr").await;
    assert!(
        page.contains("12,34"),
        "the page shows the new price at once"
    );
    let (_, body) = app.get_json("/api/v1/catalogue/products").await;
    assert_eq!(price_of(&body), Some(serde_json::json!(1234)));
    let (_, page) = app.get_text("/products/FRESH-1?lang=fr").await;
    assert!(page.contains("12,34"));

    // The first supplier runs out: the price shown is the second one's.
    app.with_conn(move |conn| {
        centrale::with_conn!(conn, |c| diesel::RunQueryDsl::execute(
            diesel::sql_query(format!(
                "UPDATE supplier_offers SET available = false WHERE product_id = {product} \
                 AND price_cents = 1234"
            )),
            c
        ))
        .unwrap();
    })
    .await;
    let (_, body) = app.get_json("/api/v1/catalogue/products").await;
    assert_eq!(price_of(&body), Some(serde_json::json!(1100)));

    // A lot closed through the back office disappears from the next page.
    app.with_conn(move |conn| {
        centrale::with_conn!(conn, |c| diesel::RunQueryDsl::execute(
            diesel::sql_query("UPDATE lots SET status = 'closed' WHERE reference = 'LOT-FRESH'"),
            c
        ))
        .unwrap();
    })
    .await;
    let (_, page) = app.get_text("/catalogue?lang=fr").await;
    assert!(!page.contains("FRESH-1"));
    let (status, _) = app.get_text("/products/FRESH-1").await;
    assert_eq!(status, 404);
}

async fn pages_shared_between_visitors_are_never_personal(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let lot = lot_fixture(conn, now, "LOT-SHARED", 1);
        product_fixture(
            conn,
            now,
            &lot,
            "SHARED-1",
            "standard",
            &[Some("3.00")],
            &[],
        );
    })
    .await;
    let buyer = helpers::buyer_fixture(&app, 71, "fr").await;
    let visitor = app.as_new_visitor();
    for path in ["/catalogue", "/lots/LOT-SHARED", "/products/SHARED-1"] {
        // A visitor's view is stored for sharing first …
        let (status, shared) = visitor.get_text(path).await;
        assert_eq!(status, 200);
        assert!(!shared.contains(r#"action="/logout""#));
    }
    let response = app.login(&buyer.email, &buyer.password).await;
    assert!(response.status().is_success() || response.status().is_redirection());
    for path in ["/catalogue", "/lots/LOT-SHARED", "/products/SHARED-1"] {
        // … yet the signed-in buyer gets a page of their own, never kept by shared caches …
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["cache-control"].to_str().unwrap(),
            "no-store"
        );
        let personal = response.text().await.unwrap();
        assert!(personal.contains(r#"action="/logout""#), "{path}");
        assert!(personal.contains("Buyer 71"), "{path}");
        // … and what the buyer saw never reaches the next visitor.
        let (_, shared) = visitor.get_text(path).await;
        assert!(!shared.contains("Buyer 71"), "{path}");
        assert!(!shared.contains(r#"name="csrf""#), "{path}");
    }
}
