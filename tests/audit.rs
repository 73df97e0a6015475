//! The audit trail page, its downloads and its JSON twin, on both backends.

mod helpers;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use centrale::clock::Clock;
use centrale::db::Backend;
use centrale::parties::Role;
use chrono::Duration;
use helpers::{
    enterprise_number, get_with_token, issue_client, lot_fixture, product_fixture, spawn_app,
    token, TestApp,
};
use serde_json::{json, Value};

on_both_backends!(
    filters_return_exactly_the_expected_rows,
    downloads_have_the_same_rows_as_the_page,
    supplier_api_changes_appear_with_the_client_as_actor,
    the_trail_is_paginated_newest_first,
);

const ADMIN_EMAIL: &str = "auditor@authority.example";
const ADMIN_PASSWORD: &str = "auditor long password";

async fn admin_app(backend: Backend) -> Option<TestApp> {
    let app = spawn_app(backend).await?;
    app.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 303);
    Some(app)
}

async fn create_supplier(app: &TestApp, seed: u32, name: &str) -> i64 {
    let number = enterprise_number(seed);
    let response = app
        .post_form(
            "/admin/suppliers",
            "/admin/suppliers",
            &[
                ("enterprise_number", &number),
                ("name", name),
                ("email", "orders@example.be"),
                ("language", "fr"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    location.rsplit('/').next().unwrap().parse().unwrap()
}

/// The rows of the audit page: (action, actor) in page order.
async fn page_rows(app: &TestApp, query: &str) -> Vec<String> {
    let (status, html) = app.get_text(&format!("/admin/audit?{query}")).await;
    assert_eq!(status, 200, "{html}");
    html.split(r#"<tr class="audit-row">"#)
        .skip(1)
        .map(|row| {
            let start = row.find("<code>").unwrap() + 6;
            let end = row[start..].find("</code>").unwrap();
            row[start..start + end].to_owned()
        })
        .collect()
}

/// Attribute values as a browser reads them (handlebars escapes `=` and `&`).
fn unescape(html: &str) -> String {
    html.replace("&#x3D;", "=").replace("&amp;", "&")
}

/// Three days of changes: day 1 (10 March, Brussels) the web admin creates A and B; at
/// 00:30 Brussels on 11 March (still 10 March in UTC) an admin API client creates C; on
/// 12 March the web admin suspends A.
async fn three_days(app: &TestApp) -> (i64, String) {
    let a = create_supplier(app, 1, "Alpha").await;
    create_supplier(app, 2, "Beta").await;
    // 2026-03-10 23:30 UTC = 2026-03-11 00:30 in Brussels (UTC+1).
    app.clock.advance(Duration::minutes(15 * 60 + 30));
    let (client_id, secret) = issue_client(app, Role::Admin, None).await;
    let admin_token = token(app, &client_id, &secret).await;
    let response = app
        .client
        .post(app.url("/api/v1/admin/suppliers"))
        .bearer_auth(&admin_token)
        .json(&json!({"enterprise_number": enterprise_number(3), "name": "Gamma", "email": "g@example.be", "language": "nl"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    app.clock.advance(Duration::hours(24));
    let page = format!("/admin/suppliers/{a}");
    let response = app.post_form(&page, &format!("{page}/suspend"), &[]).await;
    assert_eq!(response.status(), 303);
    (a, client_id)
}

async fn filters_return_exactly_the_expected_rows(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let (a, client_id) = three_days(&app).await;
    // Everything, newest first (the helper issued the API client as "test").
    assert_eq!(
        page_rows(&app, "").await,
        vec![
            "supplier.suspended",
            "supplier.created",
            "api_client.issued",
            "supplier.created",
            "supplier.created"
        ]
    );
    assert_eq!(
        page_rows(&app, "actor=AUDITOR%40authority").await,
        vec!["supplier.suspended", "supplier.created", "supplier.created"]
    );
    assert_eq!(
        page_rows(&app, &format!("actor={client_id}")).await,
        vec!["supplier.created"]
    );
    assert_eq!(
        page_rows(&app, "action=supplier.created").await,
        vec!["supplier.created"; 3]
    );
    assert_eq!(
        page_rows(&app, "subject_type=api_client").await,
        vec!["api_client.issued"]
    );
    // Brussels days: the API client's changes at 00:30 belong to 11 March.
    assert_eq!(
        page_rows(&app, "from=2026-03-10&until=2026-03-10").await,
        vec!["supplier.created", "supplier.created"]
    );
    assert_eq!(
        page_rows(&app, "from=2026-03-11&until=2026-03-11").await,
        vec!["supplier.created", "api_client.issued"]
    );
    assert_eq!(
        page_rows(&app, "from=2026-03-11").await,
        vec![
            "supplier.suspended",
            "supplier.created",
            "api_client.issued"
        ]
    );
    assert_eq!(
        page_rows(
            &app,
            "until=2026-03-11&action=supplier.created&actor=auditor"
        )
        .await,
        vec!["supplier.created", "supplier.created"]
    );
    let (_, html) = app.get_text("/admin/audit?until=11/03/2026").await;
    assert!(
        html.contains(r#"id="until-error""#),
        "a bad date is shown next to its field"
    );

    // The suspension row links to the supplier and shows the details readably.
    let (_, html) = app.get_text("/admin/audit?action=supplier.suspended").await;
    assert!(html.contains(&format!(
        r#"<a href="/admin/suppliers/{a}">supplier {a}</a>"#
    )));
    assert!(
        html.contains("<pre class=\"audit-details\">{\n  &quot;after&quot;"),
        "{html}"
    );

    // The JSON API answers the same filters.
    let (admin_id, admin_secret) = issue_client(&app, Role::Admin, None).await;
    let admin_token = token(&app, &admin_id, &admin_secret).await;
    let response = get_with_token(
        &app,
        "/api/v1/admin/audit?from=2026-03-11&until=2026-03-11&action=supplier.created",
        &admin_token,
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["total"], 1);
    assert_eq!(
        body["items"][0]["actor_label"],
        format!("api-client:{client_id}")
    );
    assert_eq!(body["items"][0]["details"]["after"]["name"], "Gamma");
    assert_eq!(body["items"][0]["occurred_at"], "2026-03-10T23:30:00");
    let response = get_with_token(&app, "/api/v1/admin/audit?from=yesterday", &admin_token).await;
    assert_eq!(response.status(), 400);
    let response = get_with_token(&app, "/api/v1/admin/audit?page=0", &admin_token).await;
    assert_eq!(response.status(), 400);
}

async fn downloads_have_the_same_rows_as_the_page(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    three_days(&app).await;
    let query = "from=2026-03-10&until=2026-03-11&subject_type=supplier";
    let expected = page_rows(&app, query).await;
    assert_eq!(expected, vec!["supplier.created"; 3]);
    let (_, html) = app.get_text(&format!("/admin/audit?{query}")).await;
    let html = unescape(&html);
    assert!(
        html.contains(
            r#"href="/admin/audit.csv?subject_type=supplier&from=2026-03-10&until=2026-03-11""#
        ),
        "{html}"
    );

    let response = app.get(&format!("/admin/audit.csv?{query}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let body = response.bytes().await.unwrap();
    let text = String::from_utf8(body.to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(headers.get(0), Some("Date (UTC)"));
    let csv_rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(csv_rows.len(), 3);
    let names: Vec<String> = csv_rows
        .iter()
        .map(|r| {
            let details: Value = serde_json::from_str(&r[5]).unwrap();
            details["after"]["name"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(names, vec!["Gamma", "Beta", "Alpha"]);
    assert_eq!(csv_rows[0][0], "2026-03-10T23:30:00Z");
    assert!(csv_rows[0][1].starts_with("api-client:cl_"));
    assert_eq!(csv_rows[1][1], format!("Admin Test <{ADMIN_EMAIL}>"));

    let response = app.get(&format!("/admin/audit.xlsx?{query}")).await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap().to_vec();
    let mut workbook = Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&sheet).unwrap();
    let rows: Vec<_> = range.rows().collect();
    assert_eq!(rows.len(), 4, "header and three events");
    for (xlsx, csv) in rows[1..].iter().zip(&csv_rows) {
        for column in 1..=3 {
            assert_eq!(xlsx[column], Data::String(csv[column].clone()));
        }
        assert_eq!(xlsx[4], Data::Float(csv[4].parse::<f64>().unwrap()));
        assert_eq!(xlsx[5], Data::String(csv[5].clone()));
    }
}

async fn supplier_api_changes_appear_with_the_client_as_actor(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "LOT-AUDIT", 1);
            product_fixture(conn, now, &lot, "SOAP-1", "standard", &[Some("2.00")], &[]);
            lot
        })
        .await;
    let supplier = lot.suppliers[0];
    let (client_id, secret) = issue_client(&app, Role::Supplier, Some(supplier)).await;
    let supplier_token = token(&app, &client_id, &secret).await;
    let response = app
        .client
        .put(app.url("/api/v1/supplier/availability"))
        .bearer_auth(&supplier_token)
        .json(&json!({"items": [{"sku": "soap-1", "available": false, "unavailable_until": "2026-04-01"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app
        .client
        .put(app.url("/api/v1/supplier/webhook"))
        .bearer_auth(&supplier_token)
        .json(&json!({"url": "https://erp.supplier.example/hook"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let secret_of_webhook = response.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .client
        .delete(app.url("/api/v1/supplier/webhook"))
        .bearer_auth(&supplier_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let actor = format!("api-client:{client_id}");
    assert_eq!(
        page_rows(&app, &format!("actor={client_id}")).await,
        vec![
            "supplier.webhook_removed",
            "supplier.webhook_registered",
            "supplier.availability_changed"
        ]
    );
    let (_, html) = app
        .get_text("/admin/audit?action=supplier.availability_changed")
        .await;
    assert!(html.contains(&format!("<td>{actor}</td>")));
    assert!(html.contains("SOAP-1"));
    assert!(html.contains(&format!(r#"<a href="/admin/suppliers/{supplier}">"#)));
    let (_, all) = app.get_text("/admin/audit").await;
    assert!(
        !all.contains(&secret_of_webhook),
        "the webhook secret stays out of the trail"
    );
    let events = app
        .with_conn(move |conn| centrale::audit::for_subject(conn, "supplier", supplier).unwrap())
        .await;
    let details: Value = serde_json::from_str(&events[0].details).unwrap();
    assert_eq!(
        details,
        json!({"after": [{"sku": "SOAP-1", "available": false, "unavailable_until": "2026-04-01"}]})
    );
    assert!(events[0].actor_client_id.is_some());
    let registered: Value = serde_json::from_str(&events[1].details).unwrap();
    assert_eq!(
        registered,
        json!({"before": {"url": null}, "after": {"url": "https://erp.supplier.example/hook"}})
    );
}

async fn the_trail_is_paginated_newest_first(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let actor = centrale::auth::Principal::system("loader");
        for n in 0..60i64 {
            centrale::audit::record(
                conn,
                now + Duration::seconds(n),
                &actor,
                "test.event",
                "thing",
                Some(n),
                json!({ "n": n }),
            )
            .unwrap();
        }
    })
    .await;
    let first = unescape(&app.get_text("/admin/audit").await.1);
    assert_eq!(first.matches(r#"<tr class="audit-row">"#).count(), 50);
    assert!(first.contains("thing 59"));
    assert!(!first.contains("thing 9<"));
    assert!(first.contains(r#"<a href="/admin/audit?page=2" rel="next">"#));
    assert!(!first.contains(r#"rel="prev""#));
    let second = unescape(&app.get_text("/admin/audit?page=2").await.1);
    assert_eq!(second.matches(r#"<tr class="audit-row">"#).count(), 10);
    assert!(second.contains("thing 9<") && second.contains("thing 0<"));
    assert!(second.contains(r#"<a href="/admin/audit?page=1" rel="prev">"#));
    assert!(!second.contains(r#"rel="next""#));

    let (admin_id, admin_secret) = issue_client(&app, Role::Admin, None).await;
    let admin_token = token(&app, &admin_id, &admin_secret).await;
    let body: Value = get_with_token(
        &app,
        "/api/v1/admin/audit?action=test.event&page=2",
        &admin_token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["total"], 60);
    assert_eq!(body["pages"], 2);
    assert_eq!(body["items"].as_array().unwrap().len(), 10);
    assert_eq!(body["items"][0]["subject_id"], 9);
}
