//! The OpenAPI document of the API and its reference page, on both backends.

mod helpers;

use centrale::db::Backend;
use centrale::parties::Role;
use helpers::{get_with_token, issue_client, spawn_app, token};

on_both_backends!(
    openapi_document_describes_every_route,
    reference_page_speaks_french_and_dutch,
);

/// Every route of `src/api/v1/mod.rs` but the document and the reference page themselves.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/catalogue/lots"),
    ("get", "/api/v1/catalogue/products"),
    ("post", "/api/v1/memberships"),
    ("get", "/api/v1/admin/memberships"),
    ("get", "/api/v1/admin/memberships/{id}"),
    ("post", "/api/v1/admin/memberships/{id}/approve"),
    ("post", "/api/v1/admin/memberships/{id}/reject"),
    ("post", "/api/v1/admin/institutions/{id}/suspend"),
    ("post", "/api/v1/admin/institutions/{id}/reactivate"),
    ("post", "/api/v1/admin/institutions/{id}/users"),
    ("get", "/api/v1/supplier/orders"),
    ("get", "/api/v1/supplier/orders/{id}"),
    ("post", "/api/v1/supplier/orders/{id}/accept"),
    ("post", "/api/v1/supplier/orders/{id}/decline"),
    ("post", "/api/v1/supplier/orders/{id}/ship"),
    ("post", "/api/v1/supplier/orders/{id}/deliver"),
    ("post", "/api/v1/supplier/orders/{id}/cancellation"),
    ("put", "/api/v1/supplier/availability"),
    ("post", "/api/v1/supplier/order-responses"),
    ("put", "/api/v1/supplier/webhook"),
    ("delete", "/api/v1/supplier/webhook"),
    ("get", "/api/v1/supplier/webhook/deliveries"),
    ("get", "/api/v1/admin/webhook-deliveries"),
    ("post", "/api/v1/orders"),
    ("get", "/api/v1/orders"),
    ("get", "/api/v1/orders/{id}"),
    ("post", "/api/v1/oauth/token"),
    ("get", "/api/v1/admin/institutions"),
    ("get", "/api/v1/admin/suppliers"),
    ("get", "/api/v1/admin/lots"),
    ("get", "/api/v1/admin/api-clients"),
    ("post", "/api/v1/admin/api-clients"),
    ("delete", "/api/v1/admin/api-clients/{client_id}"),
    ("post", "/api/v1/admin/suppliers"),
    ("get", "/api/v1/admin/suppliers/{id}"),
    ("patch", "/api/v1/admin/suppliers/{id}"),
    ("post", "/api/v1/admin/suppliers/{id}/suspend"),
    ("post", "/api/v1/admin/suppliers/{id}/reactivate"),
    ("get", "/api/v1/admin/audit"),
    ("get", "/api/v1/admin/reports/{report}"),
    ("post", "/api/v1/admin/lots"),
    ("get", "/api/v1/admin/lots/{id}"),
    ("patch", "/api/v1/admin/lots/{id}"),
    ("post", "/api/v1/admin/lots/{id}/publish"),
    ("post", "/api/v1/admin/lots/{id}/close"),
    ("put", "/api/v1/admin/lots/{id}/cascade"),
    ("post", "/api/v1/admin/lots/{id}/products"),
    ("patch", "/api/v1/admin/products/{id}"),
    ("put", "/api/v1/admin/products/{id}/offers/{supplier_id}"),
    ("get", "/api/v1/admin/categories"),
    ("post", "/api/v1/admin/categories"),
    ("patch", "/api/v1/admin/categories/{id}"),
    ("get", "/api/v1/open-data/ocds"),
    ("post", "/api/v1/admin/catalogue-imports"),
    ("get", "/api/v1/admin/catalogue-imports/{id}"),
    ("post", "/api/v1/admin/catalogue-imports/{id}/apply"),
];

async fn openapi_document_describes_every_route(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await.expect("JSON");
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    assert_eq!(document["info"]["title"], "centrale API");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(document["servers"][0]["url"], "/");
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let paths = document["paths"].as_object().expect("paths");
    let mut documented = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("responses").is_some() {
                documented += 1;
                assert!(
                    ROUTES.contains(&(method.as_str(), path.as_str())),
                    "{method} {path} is documented but not in the list of routes"
                );
            }
        }
    }
    for &(method, path) in ROUTES {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        let responses = operation["responses"].as_object().unwrap();
        assert!(!responses.is_empty(), "{method} {path} has no responses");
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                let content = response["content"].as_object().unwrap();
                assert!(
                    content.contains_key("application/problem+json")
                        || path == "/api/v1/oauth/token",
                    "{method} {path} {status} is not a problem document"
                );
            }
        }
        let public = path.starts_with("/api/v1/catalogue")
            || path == "/api/v1/memberships"
            || path == "/api/v1/oauth/token"
            || path == "/api/v1/open-data/ocds";
        if !public {
            assert_eq!(
                operation["security"][0]["bearer"],
                serde_json::json!([]),
                "{method} {path} needs a bearer token"
            );
        }
    }
    assert_eq!(documented, ROUTES.len());
    let show = &document["paths"]["/api/v1/supplier/orders/{id}"]["get"]["responses"]["200"];
    assert!(show["content"]["application/json"].is_object());
    assert!(show["content"]["application/xml"].is_object());

    // A path segment of the wrong type is a documented 404 problem, not a plain-text page.
    let (client_id, secret) = issue_client(&app, Role::Admin, None).await;
    let bearer = token(&app, &client_id, &secret).await;
    for path in [
        "/api/v1/admin/memberships/abc",
        "/api/v1/admin/memberships/99999999999999999999",
    ] {
        let response = get_with_token(&app, path, &bearer).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["status"], 404);
    }
}

async fn reference_page_speaks_french_and_dutch(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (status, fr) = app.get_text("/api/v1/docs?lang=fr").await;
    assert_eq!(status, 200);
    assert!(fr.contains(r#"<html lang="fr">"#));
    assert!(fr.contains("Référence de l&#x27;API") || fr.contains("Référence de l'API"));
    assert!(fr.contains("GET /api/v1/supplier/orders/{id}"));
    assert!(fr.contains("application/xml"));
    assert!(fr.contains("SupplierFeed"));
    assert!(fr.contains(r#"href="/api/v1/openapi.json""#));
    assert!(!fr.contains("<script"), "no JavaScript");
    assert!(!fr.contains("https://"), "no external resources");
    let (status, nl) = app.get_text("/api/v1/docs?lang=nl").await;
    assert_eq!(status, 200);
    assert!(nl.contains(r#"<html lang="nl">"#));
    assert!(nl.contains("API-referentie"));
    assert!(nl.contains("Antwoorden"));
    assert!(nl.contains("POST /api/v1/supplier/orders/{id}/accept"));
}
