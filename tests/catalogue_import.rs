//! Catalogue import from CSV and XLSX: preview, apply all or nothing, on both backends.

mod helpers;

use centrale::clock::Clock;
use centrale::db::Backend;
use centrale::parties::Role;
use helpers::{csrf_of, issue_client, lot_fixture, product_fixture, spawn_app, token, TestApp};

on_both_backends!(
    csv_upload_previews_then_applies_to_the_cent,
    xlsx_through_the_api_previews_then_applies,
    one_bad_row_changes_nothing_and_is_named,
    stale_preview_is_refused,
    expired_preview_is_refused,
    semicolon_csv_with_bom_works,
    only_admins_may_import,
);

const ADMIN_EMAIL: &str = "admin@centrale.example";
const ADMIN_PASSWORD: &str = "correct horse battery staple";

struct Setup {
    supplier_ids: Vec<i64>,
    enterprise_numbers: Vec<String>,
    existing_product: i64,
}

/// A lot `LOT-IMP` with two cascade suppliers and product `EXIST-1` priced 10,00 € by the
/// first supplier only.
async fn setup(app: &TestApp) -> Setup {
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let lot = lot_fixture(conn, now, "LOT-IMP", 2);
        let existing_product = product_fixture(
            conn,
            now,
            &lot,
            "EXIST-1",
            "standard",
            &[Some("10.00"), None],
            &[],
        );
        let enterprise_numbers = lot
            .suppliers
            .iter()
            .map(|id| {
                centrale::db::parties::supplier(conn, *id)
                    .unwrap()
                    .unwrap()
                    .enterprise_number
            })
            .collect();
        Setup {
            supplier_ids: lot.suppliers.clone(),
            enterprise_numbers,
            existing_product,
        }
    })
    .await
}

const HEADER: &str = "lot_reference,sku,name_fr,name_nl,description_fr,description_nl,packaging_fr,packaging_nl,unit_code,standards,vat_class,min_quantity,order_multiple,active,supplier_enterprise_number,price,available";

fn existing_row(supplier: &str, price: &str) -> String {
    format!(
        "LOT-IMP,EXIST-1,Produit EXIST-1,Product EXIST-1,Description du produit,Productbeschrijving,Boîte de 10,Doos van 10,BX,EN 14683 Type IIR,standard,1,1,true,{supplier},\"{price}\",true"
    )
}

fn new_row(supplier: &str, price: &str) -> String {
    format!(
        "LOT-IMP,NEW-1,\"=Gants, nitrile\",Nitril handschoenen,,,Boîte de 100,Doos van 100,bx,EN 455,standard,2,2,true,{supplier},\"{price}\",false"
    )
}

/// The valid file: a price change (10,00 → 11,50), a new offer for an existing product and
/// a new product with its offer.
fn valid_csv(setup: &Setup) -> String {
    let [first, second] = [&setup.enterprise_numbers[0], &setup.enterprise_numbers[1]];
    format!(
        "{HEADER}\r\n{}\r\n{}\r\n{}\r\n\r\n",
        existing_row(first, "11,50"),
        existing_row(second, "12.00"),
        new_row(first, "5,25"),
    )
}

async fn login_admin(app: &TestApp) {
    app.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let response = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 303);
}

/// Uploads through the back-office form, as a browser would (CSRF token first).
async fn upload(app: &TestApp, lang: &str, filename: &str, bytes: &[u8]) -> reqwest::Response {
    let (status, html) = app.get_text(&format!("/admin/import?lang={lang}")).await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&html);
    let boundary = "----centrale-import-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.client
        .post(app.url("/admin/import"))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("upload sent")
}

async fn admin_token(app: &TestApp) -> String {
    let (client_id, secret) = issue_client(app, Role::Admin, None).await;
    token(app, &client_id, &secret).await
}

async fn api_upload(
    app: &TestApp,
    bearer: &str,
    content_type: &str,
    bytes: Vec<u8>,
    lang: &str,
) -> (u16, serde_json::Value) {
    let response = app
        .client
        .post(app.url("/api/v1/admin/catalogue-imports"))
        .bearer_auth(bearer)
        .header("Content-Type", content_type)
        .header("Accept-Language", lang)
        .body(bytes)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

async fn api_apply(app: &TestApp, bearer: &str, id: i64) -> (u16, serde_json::Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/admin/catalogue-imports/{id}/apply")))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// Every offer of a SKU as (supplier id, cents, available), by supplier.
async fn offers_of(app: &TestApp, sku: &'static str) -> Vec<(i64, i64, bool)> {
    app.with_conn(move |conn| {
        let Some(product) = centrale::db::catalogue::product_by_sku(conn, sku).unwrap() else {
            return Vec::new();
        };
        let mut offers: Vec<_> = centrale::db::catalogue::offers_for(conn, &[product.id])
            .unwrap()
            .into_iter()
            .map(|o| (o.supplier_id, o.price_cents, o.available))
            .collect();
        offers.sort();
        offers
    })
    .await
}

async fn assert_catalogue_untouched(app: &TestApp, setup: &Setup) {
    assert_eq!(
        offers_of(app, "EXIST-1").await,
        vec![(setup.supplier_ids[0], 1000, true)]
    );
    assert!(offers_of(app, "NEW-1").await.is_empty());
    let product = app
        .with_conn(|conn| centrale::db::catalogue::product_by_sku(conn, "NEW-1").unwrap())
        .await;
    assert!(product.is_none());
}

async fn assert_applied(app: &TestApp, setup: &Setup) {
    let (s1, s2) = (setup.supplier_ids[0], setup.supplier_ids[1]);
    assert_eq!(
        offers_of(app, "EXIST-1").await,
        vec![(s1, 1150, true), (s2, 1200, true)]
    );
    assert_eq!(offers_of(app, "NEW-1").await, vec![(s1, 525, false)]);
    let product = app
        .with_conn(|conn| {
            centrale::db::catalogue::product_by_sku(conn, "NEW-1")
                .unwrap()
                .unwrap()
        })
        .await;
    // Formula-looking text is kept as text, the unit code is normalised.
    assert_eq!(product.name_fr, "=Gants, nitrile");
    assert_eq!(product.unit_code, "BX");
    assert_eq!((product.min_quantity, product.order_multiple), (2, 2));
    // The public catalogue shows the new price of the first rank.
    let today = app.clock.now_naive().date();
    let shown = app
        .with_conn(move |conn| {
            centrale::catalogue::product(conn, today, "EXIST-1")
                .unwrap()
                .unwrap()
                .1
        })
        .await;
    assert_eq!(shown.offer.unwrap().unit_price.cents(), 1150);
}

async fn csv_upload_previews_then_applies_to_the_cent(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let setup = setup(&app).await;
    login_admin(&app).await;
    // The templates hold the header and an example row.
    let response = app.get("/admin/import/template.csv").await;
    assert_eq!(response.status(), 200);
    let template = response.text().await.unwrap();
    assert!(
        template.trim_start_matches('\u{feff}').starts_with(HEADER),
        "{template}"
    );
    assert_eq!(template.lines().count(), 2);
    let response = app.get("/admin/import/template.xlsx").await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().starts_with(b"PK"));
    let response = upload(&app, "fr", "catalogue.csv", valid_csv(&setup).as_bytes()).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/admin/import/"), "{location}");
    let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();

    let (status, html) = app.get_text(&format!("{location}?lang=fr")).await;
    assert_eq!(status, 200);
    assert!(html.contains("catalogue.csv"));
    assert!(html.contains("NEW-1"));
    assert!(html.contains("10,00"), "price before");
    assert!(html.contains("11,50"), "price after");
    assert!(html.contains("nouvelle offre"));
    // Nothing changes before "Apply".
    assert_catalogue_untouched(&app, &setup).await;
    let (status, json) = app
        .with_conn(move |conn| {
            let stored = centrale::catalogue::import::find(conn, id)
                .unwrap()
                .unwrap();
            (stored.status.clone(), stored.plan.counts())
        })
        .await;
    assert_eq!(status, "pending");
    assert_eq!(json.products_created, 1);
    assert_eq!(json.products_changed, 0);
    assert_eq!(json.offers_created, 2);
    assert_eq!(json.price_changes, 1);
    assert_eq!(json.availability_changes, 0);
    assert_eq!(json.unchanged, 1);

    let csrf = csrf_of(&html);
    let response = app
        .client
        .post(app.url(&format!("/admin/import/{id}/apply")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_applied(&app, &setup).await;
    let (_, html) = app.get_text(&format!("{location}?lang=fr")).await;
    assert!(
        html.contains("L&#x27;import a été appliqué") || html.contains("L'import a été appliqué")
    );

    // Applying twice is refused and changes nothing more.
    let response = app
        .client
        .post(app.url(&format!("/admin/import/{id}/apply")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    assert_applied(&app, &setup).await;
    let audited = app
        .with_conn(move |conn| centrale::audit::for_subject(conn, "catalogue_import", id).unwrap())
        .await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].action, "catalogue.import_applied");
    let details: serde_json::Value = serde_json::from_str(&audited[0].details).unwrap();
    assert_eq!(details["filename"], "catalogue.csv");
    assert_eq!(details["counts"]["offers_created"], 2);
    assert_eq!(details["file_sha256"].as_str().unwrap().len(), 64);
}

fn valid_xlsx(setup: &Setup) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in HEADER.split(',').enumerate() {
        sheet.write_string(0, column as u16, header).unwrap();
    }
    let rows: [(&str, &str, f64, bool); 3] = [
        ("EXIST-1", &setup.enterprise_numbers[0], 11.5, true),
        ("EXIST-1", &setup.enterprise_numbers[1], 12.0, true),
        ("NEW-1", &setup.enterprise_numbers[0], 5.25, false),
    ];
    for (index, (sku, supplier, price, existing)) in rows.iter().enumerate() {
        let r = index as u32 + 1;
        let texts: [&str; 11] = if *existing {
            [
                "LOT-IMP",
                sku,
                "Produit EXIST-1",
                "Product EXIST-1",
                "Description du produit",
                "Productbeschrijving",
                "Boîte de 10",
                "Doos van 10",
                "BX",
                "EN 14683 Type IIR",
                "standard",
            ]
        } else {
            [
                "LOT-IMP",
                sku,
                "=Gants, nitrile",
                "Nitril handschoenen",
                "",
                "",
                "Boîte de 100",
                "Doos van 100",
                "bx",
                "EN 455",
                "standard",
            ]
        };
        for (c, text) in texts.iter().enumerate() {
            sheet.write_string(r, c as u16, *text).unwrap();
        }
        let quantity = if *existing { 1.0 } else { 2.0 };
        sheet.write_number(r, 11, quantity).unwrap();
        sheet.write_number(r, 12, quantity).unwrap();
        sheet.write_boolean(r, 13, true).unwrap();
        sheet.write_string(r, 14, *supplier).unwrap();
        sheet.write_number(r, 15, *price).unwrap();
        sheet.write_boolean(r, 16, *existing).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn xlsx_through_the_api_previews_then_applies(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let setup = setup(&app).await;
    let bearer = admin_token(&app).await;
    let (status, preview) = api_upload(&app, &bearer, XLSX, valid_xlsx(&setup), "fr").await;
    assert_eq!(status, 201, "{preview}");
    assert_eq!(preview["status"], "pending");
    assert_eq!(preview["filename"], "import.xlsx");
    assert_eq!(preview["counts"]["products_created"], 1);
    assert_eq!(preview["counts"]["offers_created"], 2);
    assert_eq!(preview["counts"]["price_changes"], 1);
    assert_eq!(preview["counts"]["unchanged"], 1);
    assert_eq!(preview["products_created"][0]["sku"], "NEW-1");
    let change = preview["offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["price_before_cents"] == 1000)
        .expect("the price change");
    assert_eq!(change["price_after_cents"], 1150);
    assert_catalogue_untouched(&app, &setup).await;

    let id = preview["id"].as_i64().unwrap();
    let (status, shown) = {
        let response = helpers::get_with_token(
            &app,
            &format!("/api/v1/admin/catalogue-imports/{id}"),
            &bearer,
        )
        .await;
        (
            response.status().as_u16(),
            response.json::<serde_json::Value>().await.unwrap(),
        )
    };
    assert_eq!(status, 200);
    assert_eq!(shown["counts"], preview["counts"]);

    let (status, applied) = api_apply(&app, &bearer, id).await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["status"], "applied");
    assert_eq!(applied["counts"]["offers_created"], 2);
    assert_applied(&app, &setup).await;

    let (status, again) = api_apply(&app, &bearer, id).await;
    assert_eq!(status, 409, "{again}");
    assert_applied(&app, &setup).await;
}

async fn one_bad_row_changes_nothing_and_is_named(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let setup = setup(&app).await;
    let [first, second] = [&setup.enterprise_numbers[0], &setup.enterprise_numbers[1]];
    // Row 3 (header = row 1) has three decimals; rows 2 and 4 are fine.
    let csv = format!(
        "{HEADER}\n{}\n{}\n{}\n",
        existing_row(first, "11,50"),
        existing_row(second, "12,345"),
        new_row(first, "5,25"),
    );
    login_admin(&app).await;
    let response = upload(&app, "fr", "bad.csv", csv.as_bytes()).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("<th scope=\"row\">3</th>"), "{html}");
    assert!(html.contains("<td>price</td>"));
    assert!(html.contains("n&#x27;est pas un prix") || html.contains("n'est pas un prix"));
    assert!(html.contains("12,345"));
    assert!(html.contains("Une erreur a été trouvée"));

    let response = upload(&app, "nl", "bad.csv", csv.as_bytes()).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("<th scope=\"row\">3</th>"));
    assert!(html.contains("is geen prijs"), "{html}");
    assert!(html.contains("Er is één fout gevonden"));

    let bearer = admin_token(&app).await;
    let (status, problem) =
        api_upload(&app, &bearer, "text/csv", csv.clone().into_bytes(), "fr").await;
    assert_eq!(status, 422);
    let errors = problem["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{problem}");
    assert_eq!(errors[0]["row"], 3);
    assert_eq!(errors[0]["column"], "price");
    assert_eq!(errors[0]["code"], "invalid-price");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Ligne 3, colonne « price » : « 12,345 » n'est pas un prix"),
        "{message}"
    );
    let (_, problem) = api_upload(&app, &bearer, "text/csv", csv.into_bytes(), "nl").await;
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Rij 3, kolom „price”: „12,345” is geen prijs"));

    assert_catalogue_untouched(&app, &setup).await;
    let kept = app
        .with_conn(|conn| {
            use centrale::db::schema::catalogue_imports;
            use diesel::prelude::*;
            centrale::with_conn!(conn, |c| catalogue_imports::table
                .count()
                .get_result::<i64>(c))
            .unwrap()
        })
        .await;
    assert_eq!(kept, 0, "a refused file leaves no pending import");
}

async fn stale_preview_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let setup = setup(&app).await;
    let bearer = admin_token(&app).await;
    let (status, preview) = api_upload(
        &app,
        &bearer,
        "text/csv",
        valid_csv(&setup).into_bytes(),
        "fr",
    )
    .await;
    assert_eq!(status, 201);
    // Someone edits the price meanwhile.
    let (product, supplier) = (setup.existing_product, setup.supplier_ids[0]);
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        centrale::db::catalogue::update_offer(conn, product, supplier, 999, true, now).unwrap()
    })
    .await;
    let (status, problem) = api_apply(&app, &bearer, preview["id"].as_i64().unwrap()).await;
    assert_eq!(status, 409);
    assert!(problem["detail"].as_str().unwrap().contains("changed"));
    assert_eq!(
        offers_of(&app, "EXIST-1").await,
        vec![(supplier, 999, true)]
    );
    assert!(offers_of(&app, "NEW-1").await.is_empty());
}

async fn expired_preview_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let setup = setup(&app).await;
    let bearer = admin_token(&app).await;
    let (status, preview) = api_upload(
        &app,
        &bearer,
        "text/csv",
        valid_csv(&setup).into_bytes(),
        "fr",
    )
    .await;
    assert_eq!(status, 201);
    app.clock.advance(chrono::Duration::minutes(61));
    let bearer = admin_token(&app).await;
    let (status, problem) = api_apply(&app, &bearer, preview["id"].as_i64().unwrap()).await;
    assert_eq!(status, 409);
    assert!(problem["detail"].as_str().unwrap().contains("expired"));
    assert_catalogue_untouched(&app, &setup).await;
}

async fn semicolon_csv_with_bom_works(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let setup = setup(&app).await;
    let first = &setup.enterprise_numbers[0];
    // As Belgian Excel writes it: BOM, `;`, decimal comma unquoted, French headers.
    let header = "Référence du lot;Référence produit;Nom FR;Nom NL;Description FR;Description NL;Conditionnement FR;Conditionnement NL;Code unité;Normes;Classe TVA;Quantité minimale;Multiple de commande;Actif;Numéro d'entreprise du fournisseur;Prix;Disponible";
    let csv = format!(
        "\u{feff}{header}\r\nLOT-IMP;EXIST-1;Produit EXIST-1;Product EXIST-1;Description du produit;Productbeschrijving;Boîte de 10;Doos van 10;BX;EN 14683 Type IIR;standard;1;1;oui;{first};11,50;oui\r\n;;;;;;;;;;;;;;;;\r\n"
    );
    let bearer = admin_token(&app).await;
    let (status, preview) = api_upload(
        &app,
        &bearer,
        "text/csv; charset=utf-8",
        csv.into_bytes(),
        "fr",
    )
    .await;
    assert_eq!(status, 201, "{preview}");
    assert_eq!(preview["counts"]["price_changes"], 1);
    assert_eq!(preview["counts"]["offers_created"], 0);
    assert_eq!(preview["counts"]["unchanged"], 1);
    let (status, _) = api_apply(&app, &bearer, preview["id"].as_i64().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        offers_of(&app, "EXIST-1").await,
        vec![(setup.supplier_ids[0], 1150, true)]
    );
}

async fn only_admins_may_import(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let setup = setup(&app).await;
    let (client_id, secret) = issue_client(&app, Role::Supplier, Some(setup.supplier_ids[0])).await;
    let bearer = token(&app, &client_id, &secret).await;
    let (status, problem) = api_upload(
        &app,
        &bearer,
        "text/csv",
        valid_csv(&setup).into_bytes(),
        "fr",
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(problem["status"], 403);
    let response =
        helpers::get_with_token(&app, "/api/v1/admin/catalogue-imports/1", &bearer).await;
    assert_eq!(response.status(), 403);
    let (status, _) = api_apply(&app, &bearer, 1).await;
    assert_eq!(status, 403);
    let response = app
        .client
        .post(app.url("/api/v1/admin/catalogue-imports"))
        .header("Content-Type", "text/csv")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // A buyer signed in on the site is refused the pages.
    let buyer = helpers::buyer_fixture(&app, 7, "fr").await;
    let response = app.login(&buyer.email, &buyer.password).await;
    assert_eq!(response.status(), 303);
    let (status, _) = app.get_text("/admin/import").await;
    assert_eq!(status, 403);
    let (status, _) = app.get_text("/admin/import/template.csv").await;
    assert_eq!(status, 403);
    assert_catalogue_untouched(&app, &setup).await;
}
