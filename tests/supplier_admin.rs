//! Suppliers and their API clients in the back office and the admin API, on both backends.

mod helpers;

use centrale::clock::Clock;
use centrale::db::Backend;
use centrale::parties::Role;
use helpers::{
    buyer_fixture, enterprise_number, get_with_token, issue_client, lot_fixture, product_fixture,
    spawn_app, token, TestApp,
};
use serde_json::{json, Value};

on_both_backends!(
    creating_a_supplier_checks_the_enterprise_number_in_french_and_dutch,
    editing_a_supplier_is_audited_with_before_and_after,
    a_suspended_supplier_gets_no_orders_and_its_token_is_refused,
    api_clients_issued_and_revoked_from_the_web_behave_like_the_api,
    the_admin_api_manages_suppliers,
    non_admins_are_refused_everywhere,
);

const ADMIN_EMAIL: &str = "admin@authority.example";
const ADMIN_PASSWORD: &str = "admin long password";

async fn admin_app(backend: Backend) -> Option<TestApp> {
    let app = spawn_app(backend).await?;
    app.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let response = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 303, "admin signs in");
    Some(app)
}

/// `0403.019.261` is valid; changing the last digit breaks the mod-97 check.
const GOOD_NUMBER: &str = "0403.019.261";
const BAD_NUMBER: &str = "0403.019.262";

async fn create_via_form(app: &TestApp, number: &str, name: &str) -> reqwest::Response {
    app.post_form(
        "/admin/suppliers",
        "/admin/suppliers",
        &[
            ("enterprise_number", number),
            ("name", name),
            ("email", "orders@medisupply.example"),
            ("language", "nl"),
        ],
    )
    .await
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_owned()
}

async fn audit_of(app: &TestApp, subject_id: i64) -> Vec<centrale::audit::AuditEvent> {
    app.with_conn(move |conn| centrale::audit::for_subject(conn, "supplier", subject_id).unwrap())
        .await
}

async fn creating_a_supplier_checks_the_enterprise_number_in_french_and_dutch(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let response = create_via_form(&app, BAD_NUMBER, "Medisupply").await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("chiffres de contrôle incorrects"), "{html}");
    assert!(html.contains(r#"value="0403.019.262""#), "number kept");
    assert!(html.contains(r#"value="Medisupply""#), "name kept");
    assert!(
        html.contains(r#"<option value="nl" selected>"#),
        "language kept"
    );

    // The same mistake in Dutch.
    let (status, _) = app.get_text("/admin/suppliers?lang=nl").await;
    assert_eq!(status, 200);
    let response = create_via_form(&app, BAD_NUMBER, "Medisupply").await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("controlecijfers kloppen niet"), "{html}");
    assert!(html.contains(r#"value="0403.019.262""#));

    let response = create_via_form(&app, GOOD_NUMBER, "Medisupply").await;
    assert_eq!(response.status(), 303);
    let detail = location(&response);
    let id: i64 = detail.rsplit('/').next().unwrap().parse().unwrap();
    let (status, list) = app.get_text("/admin/suppliers").await;
    assert_eq!(status, 200);
    assert!(list.contains(&format!(
        r#"<a href="/admin/suppliers/{id}">Medisupply</a>"#
    )));
    assert!(list.contains("0403.019.261"));
    assert!(list.contains("1 leverancier"), "{list}");

    // The same number again is refused with a clear message, in Dutch here.
    let response = create_via_form(&app, "0403019261", "Other").await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("Er is al een leverancier geregistreerd met dit ondernemingsnummer."));
    let count = app
        .with_conn(|conn| centrale::db::parties::suppliers(conn).unwrap().len())
        .await;
    assert_eq!(count, 1);

    let events = audit_of(&app, id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "supplier.created");
    assert_eq!(events[0].actor_label, format!("Admin Test <{ADMIN_EMAIL}>"));
    let details: Value = serde_json::from_str(&events[0].details).unwrap();
    assert_eq!(
        details,
        json!({"after": {"enterprise_number": "0403019261", "name": "Medisupply", "email": "orders@medisupply.example", "language": "nl", "status": "active"}})
    );
}

async fn editing_a_supplier_is_audited_with_before_and_after(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let response = create_via_form(&app, GOOD_NUMBER, "Medisupply").await;
    let detail = location(&response);
    let id: i64 = detail.rsplit('/').next().unwrap().parse().unwrap();
    let response = app
        .post_form(
            &detail,
            &detail,
            &[
                ("name", "Medisupply SA"),
                ("email", "bad"),
                ("language", "fr"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"value="Medisupply SA""#), "input kept");
    assert!(html.contains(r#"value="bad""#));
    assert!(html.contains(r#"id="email-error""#));
    let response = app
        .post_form(
            &detail,
            &detail,
            &[
                ("name", "Medisupply SA"),
                ("email", "cmd@medisupply.example"),
                ("language", "fr"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let (_, html) = app.get_text(&detail).await;
    assert!(html.contains("<h1>Medisupply SA</h1>"));
    assert!(html.contains("Fournisseur modifié."));
    let events = audit_of(&app, id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].action, "supplier.updated");
    let details: Value = serde_json::from_str(&events[1].details).unwrap();
    assert_eq!(
        details,
        json!({
            "before": {"name": "Medisupply", "email": "orders@medisupply.example", "language": "nl"},
            "after": {"name": "Medisupply SA", "email": "cmd@medisupply.example", "language": "fr"},
        })
    );
}

async fn place_order(app: &TestApp, buyer: &helpers::Buyer) -> Value {
    let fresh = token(app, &buyer.client_id, &buyer.client_secret).await;
    let response = app
        .client
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&fresh)
        .json(&json!({ "delivery_address_id": buyer.address_id, "lines": [{"sku": "GLOVE-1", "quantity": 2}] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let id = body["orders"][0]["id"].as_i64().unwrap();
    let response = get_with_token(app, &format!("/api/v1/orders/{id}"), &fresh).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn a_suspended_supplier_gets_no_orders_and_its_token_is_refused(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "LOT-SUSP", 2);
            product_fixture(
                conn,
                now,
                &lot,
                "GLOVE-1",
                "standard",
                &[Some("5.00"), Some("6.00")],
                &[],
            );
            lot
        })
        .await;
    let first = lot.suppliers[0];
    let buyer = buyer_fixture(&app, 700, "fr").await;
    let (client_id, secret) = issue_client(&app, Role::Supplier, Some(first)).await;
    let supplier_token = token(&app, &client_id, &secret).await;
    let feed = "/api/v1/supplier/orders";
    assert_eq!(
        get_with_token(&app, feed, &supplier_token).await.status(),
        200
    );

    let page = format!("/admin/suppliers/{first}");
    let response = app
        .post_form(
            &page,
            &format!("{page}/suspend"),
            &[("reason", "contract breach")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let (_, html) = app.get_text(&page).await;
    assert!(html.contains("Suspendu"));
    // The token issued before the suspension is refused at once.
    let refused = get_with_token(&app, feed, &supplier_token).await;
    assert_eq!(refused.status(), 403);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["status"], 403);
    // A new order skips the suspended rank 1.
    let order = place_order(&app, &buyer).await;
    assert_eq!(order["current_supplier"]["cascade_rank"], 2, "{order}");

    let response = app
        .post_form(&page, &format!("{page}/reactivate"), &[])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        get_with_token(&app, feed, &supplier_token).await.status(),
        200
    );
    let order = place_order(&app, &buyer).await;
    assert_eq!(order["current_supplier"]["cascade_rank"], 1);

    // Reactivating an active supplier is a conflict, shown on the page.
    let response = app
        .post_form(&page, &format!("{page}/reactivate"), &[])
        .await;
    assert_eq!(response.status(), 409);

    let events = audit_of(&app, first).await;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["supplier.suspended", "supplier.reactivated"]);
    let details: Value = serde_json::from_str(&events[0].details).unwrap();
    assert_eq!(
        details,
        json!({"before": {"status": "active"}, "after": {"status": "suspended"}, "reason": "contract breach"})
    );
}

fn code_of(html: &str, id: &str) -> String {
    let marker = format!(r#"<code id="{id}">"#);
    let start = html.find(&marker).expect("code element") + marker.len();
    let end = html[start..].find("</code>").unwrap();
    html[start..start + end].to_owned()
}

async fn api_clients_issued_and_revoked_from_the_web_behave_like_the_api(backend: Backend) {
    let Some(app) = admin_app(backend).await else {
        return;
    };
    let response = create_via_form(&app, GOOD_NUMBER, "Medisupply").await;
    let page = location(&response);
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();

    let response = app
        .post_form(&page, &format!("{page}/clients"), &[("client_name", " ")])
        .await;
    assert_eq!(response.status(), 422);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains(r#"id="client_name-error""#));

    let response = app
        .post_form(&page, &format!("{page}/clients"), &[("client_name", "ERP")])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    let client_id = code_of(&html, "client-id");
    let secret = code_of(&html, "client-secret");
    assert!(client_id.starts_with("cl_") && secret.starts_with("cs_"));
    let fresh = token(&app, &client_id, &secret).await;
    assert_eq!(
        get_with_token(&app, "/api/v1/supplier/orders", &fresh)
            .await
            .status(),
        200
    );
    // The supplier's page lists the client, never the secret again.
    let (_, detail) = app.get_text(&page).await;
    assert!(detail.contains(&client_id));
    assert!(!detail.contains(&secret));
    let (_, list) = app.get_text("/admin/suppliers").await;
    assert!(list.contains("<td>1</td>"), "one active client");

    let revoke = format!("{page}/clients/{client_id}/revoke");
    let (status, confirm) = app.get_text(&revoke).await;
    assert_eq!(status, 200);
    assert!(confirm.contains(&format!(r#"action="{revoke}""#)));
    let response = app.post_form(&revoke, &revoke, &[]).await;
    assert_eq!(response.status(), 303);
    let refused = get_with_token(&app, "/api/v1/supplier/orders", &fresh).await;
    assert_eq!(refused.status(), 401);
    let response = app
        .client
        .post(app.url("/api/v1/oauth/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // A client of another supplier cannot be revoked through this supplier's page.
    let (other_client, _) = issue_client(&app, Role::Supplier, Some(id)).await;
    let (status, _) = app
        .get_text(&format!(
            "/admin/suppliers/{}/clients/{other_client}/revoke",
            id + 1
        ))
        .await;
    assert_eq!(status, 404);

    let events = app
        .with_conn(|conn| {
            centrale::audit::search(
                conn,
                &centrale::audit::AuditFilter {
                    subject_type: Some("api_client".into()),
                    actor: Some("admin test".into()),
                    ..Default::default()
                },
                0,
                50,
            )
            .unwrap()
            .0
        })
        .await;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["api_client.revoked", "api_client.issued"]);
}

async fn the_admin_api_manages_suppliers(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (admin_id, admin_secret) = issue_client(&app, Role::Admin, None).await;
    let admin = token(&app, &admin_id, &admin_secret).await;
    let post = |path: &str, body: Value| {
        app.client
            .post(app.url(path))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let bad = post(
        "/api/v1/admin/suppliers",
        json!({"enterprise_number": BAD_NUMBER, "name": "X", "email": "x@x.example", "language": "fr"}),
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "enterprise_number");
    assert_eq!(problem["errors"][0]["code"], "enterprise-number-checksum");

    let created = post(
        "/api/v1/admin/suppliers",
        json!({"enterprise_number": enterprise_number(42), "name": "Hygiena", "email": "orders@hygiena.example", "language": "fr"}),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    let supplier: Value = created.json().await.unwrap();
    let id = supplier["id"].as_i64().unwrap();
    assert_eq!(supplier["status"], "active");
    assert_eq!(supplier["webhook_set"], false);
    assert_eq!(supplier["api_clients"], json!([]));

    let again = post(
        "/api/v1/admin/suppliers",
        json!({"enterprise_number": enterprise_number(42), "name": "Copy", "email": "c@c.example", "language": "nl"}),
    )
    .await
    .unwrap();
    assert_eq!(again.status(), 422);
    let problem: Value = again.json().await.unwrap();
    assert_eq!(
        problem["errors"][0]["code"],
        "supplier-enterprise-number-taken"
    );

    let patched = app
        .client
        .patch(app.url(&format!("/api/v1/admin/suppliers/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"name": "Hygiena SRL"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let supplier: Value = patched.json().await.unwrap();
    assert_eq!(supplier["name"], "Hygiena SRL");
    assert_eq!(supplier["email"], "orders@hygiena.example");

    let suspend = format!("/api/v1/admin/suppliers/{id}/suspend");
    assert_eq!(
        post(&suspend, json!({"reason": "audit"}))
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(post(&suspend, json!({})).await.unwrap().status(), 409);
    let shown = get_with_token(&app, &format!("/api/v1/admin/suppliers/{id}"), &admin).await;
    let supplier: Value = shown.json().await.unwrap();
    assert_eq!(supplier["status"], "suspended");
    let reactivate = format!("/api/v1/admin/suppliers/{id}/reactivate");
    assert_eq!(post(&reactivate, json!({})).await.unwrap().status(), 204);
    assert_eq!(
        get_with_token(&app, "/api/v1/admin/suppliers/999999", &admin)
            .await
            .status(),
        404
    );

    let audit = get_with_token(
        &app,
        &format!("/api/v1/admin/audit?subject_type=supplier&actor={admin_id}"),
        &admin,
    )
    .await;
    assert_eq!(audit.status(), 200);
    let page: Value = audit.json().await.unwrap();
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "supplier.reactivated",
            "supplier.suspended",
            "supplier.updated",
            "supplier.created"
        ]
    );
    assert_eq!(page["total"], 4);
    assert_eq!(page["items"][2]["details"]["before"]["name"], "Hygiena");
    assert_eq!(
        page["items"][0]["actor_label"],
        format!("api-client:{admin_id}")
    );
}

async fn non_admins_are_refused_everywhere(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| lot_fixture(conn, now, "LOT-403", 1))
        .await;
    let supplier = lot.suppliers[0];
    let buyer = buyer_fixture(&app, 800, "fr").await;
    let (client_id, secret) = issue_client(&app, Role::Supplier, Some(supplier)).await;
    let supplier_token = token(&app, &client_id, &secret).await;
    let buyer_token = token(&app, &buyer.client_id, &buyer.client_secret).await;
    let api = [
        ("POST", "/api/v1/admin/suppliers".to_owned()),
        ("GET", format!("/api/v1/admin/suppliers/{supplier}")),
        ("PATCH", format!("/api/v1/admin/suppliers/{supplier}")),
        (
            "POST",
            format!("/api/v1/admin/suppliers/{supplier}/suspend"),
        ),
        (
            "POST",
            format!("/api/v1/admin/suppliers/{supplier}/reactivate"),
        ),
        ("GET", "/api/v1/admin/audit".to_owned()),
        ("GET", "/api/v1/admin/suppliers".to_owned()),
    ];
    for (method, path) in &api {
        let method: reqwest::Method = method.parse().unwrap();
        for bearer in [&supplier_token, &buyer_token] {
            let response = app
                .client
                .request(method.clone(), app.url(path))
                .bearer_auth(bearer)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{method} {path}");
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
        }
        let anonymous = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401, "{method} {path}");
    }

    // A buyer signed in on the web.
    let response = app.login(&buyer.email, &buyer.password).await;
    assert_eq!(response.status(), 303);
    for path in [
        "/admin/suppliers".to_owned(),
        format!("/admin/suppliers/{supplier}"),
        format!("/admin/suppliers/{supplier}/clients/{client_id}/revoke"),
        "/admin/audit".to_owned(),
        "/admin/audit.csv".to_owned(),
        "/admin/audit.xlsx".to_owned(),
    ] {
        let (status, _) = app.get_text(&path).await;
        assert_eq!(status, 403, "{path}");
    }
    for action in [
        "/admin/suppliers".to_owned(),
        format!("/admin/suppliers/{supplier}"),
        format!("/admin/suppliers/{supplier}/suspend"),
        format!("/admin/suppliers/{supplier}/reactivate"),
        format!("/admin/suppliers/{supplier}/clients"),
        format!("/admin/suppliers/{supplier}/clients/{client_id}/revoke"),
    ] {
        let response = app
            .post_form(
                "/orders",
                &action,
                &[
                    ("name", "X"),
                    ("client_name", "X"),
                    ("enterprise_number", GOOD_NUMBER),
                ],
            )
            .await;
        assert_eq!(response.status(), 403, "{action}");
    }
    let status = app
        .with_conn(move |conn| {
            centrale::db::parties::supplier(conn, supplier)
                .unwrap()
                .unwrap()
                .status
        })
        .await;
    assert_eq!(status, "active");
    let count = app
        .with_conn(|conn| centrale::db::parties::suppliers(conn).unwrap().len())
        .await;
    assert_eq!(count, 1);
}
