//! The walls between the three kinds of user: for every route, each principal gets exactly
//! what it should, on the web (session) and on the API (bearer token), guessed ids included.

mod helpers;

use centrale::clock::Clock;
use centrale::db::Backend;
use centrale::parties::{Credential, Role, UserInput};
use helpers::{
    buyer_fixture, csrf_of, issue_client, lot_fixture, product_fixture, spawn_app, token, TestApp,
};
use serde_json::json;

on_both_backends!(every_route_answers_each_role_as_it_should);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    InstitutionA,
    InstitutionB,
    Supplier,
    Admin,
}

const EVERYONE: [Who; 5] = [
    Who::Anonymous,
    Who::InstitutionA,
    Who::InstitutionB,
    Who::Supplier,
    Who::Admin,
];

struct Actors {
    web: Vec<(Who, TestApp)>,
    api: Vec<(Who, Option<String>)>,
}

async fn make_user(app: &TestApp, email: &str, role: Role, supplier_id: Option<i64>) {
    let now = app.clock.now_naive();
    let email = email.to_owned();
    app.with_conn(move |conn| {
        centrale::parties::create_user(
            conn,
            now,
            &UserInput {
                email: &email,
                name: "Person",
                role,
                institution_id: None,
                supplier_id,
                language: "fr",
                password: Some(Credential::Password("a long enough password")),
            },
        )
        .unwrap()
    })
    .await;
}

async fn every_route_answers_each_role_as_it_should(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "LOT-AUTHZ", 2);
            product_fixture(
                conn,
                now,
                &lot,
                "AUTHZ-1",
                "standard",
                &[Some("1.00"), Some("2.00")],
                &[],
            );
            lot
        })
        .await;
    let a = buyer_fixture(&app, 700, "fr").await;
    let b = buyer_fixture(&app, 701, "nl").await;
    make_user(
        &app,
        "supplier@authz.example",
        Role::Supplier,
        Some(lot.suppliers[0]),
    )
    .await;
    make_user(&app, "admin@authz.example", Role::Admin, None).await;

    let mut actors = Actors {
        web: Vec::new(),
        api: Vec::new(),
    };
    for who in EVERYONE {
        let visitor = app.as_new_visitor();
        let login = match who {
            Who::Anonymous => None,
            Who::InstitutionA => Some((a.email.clone(), a.password.clone())),
            Who::InstitutionB => Some((b.email.clone(), b.password.clone())),
            Who::Supplier => Some((
                "supplier@authz.example".to_owned(),
                "a long enough password".to_owned(),
            )),
            Who::Admin => Some((
                "admin@authz.example".to_owned(),
                "a long enough password".to_owned(),
            )),
        };
        if let Some((email, password)) = login {
            assert_eq!(
                visitor.login(&email, &password).await.status(),
                303,
                "{who:?} signs in"
            );
        }
        actors.web.push((who, visitor));
        let credentials = match who {
            Who::Anonymous => None,
            Who::InstitutionA => Some((a.client_id.clone(), a.client_secret.clone())),
            Who::InstitutionB => Some((b.client_id.clone(), b.client_secret.clone())),
            Who::Supplier => Some(issue_client(&app, Role::Supplier, Some(lot.suppliers[0])).await),
            Who::Admin => Some(issue_client(&app, Role::Admin, None).await),
        };
        let bearer = match credentials {
            Some((id, secret)) => Some(token(&app, &id, &secret).await),
            None => None,
        };
        actors.api.push((who, bearer));
    }

    // Institution A has an order; B has none.
    let api_a = actors
        .api
        .iter()
        .find(|(w, _)| *w == Who::InstitutionA)
        .unwrap()
        .1
        .clone()
        .unwrap();
    let created: serde_json::Value = app
        .client
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&api_a)
        .json(&json!({ "delivery_address_id": a.address_id, "lines": [{ "sku": "AUTHZ-1", "quantity": 1 }] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let order_a = created["orders"][0]["id"].as_i64().expect("order of A");

    // Web pages: (path, expected status per principal in EVERYONE order).
    let order_page = format!("/orders/{order_a}");
    let membership_page = format!("/admin/memberships/{}", a.institution_id);
    let web_rules: Vec<(String, [u16; 5])> = vec![
        ("/catalogue".into(), [200, 200, 200, 200, 200]),
        ("/products/AUTHZ-1".into(), [200, 200, 200, 200, 200]),
        ("/apply".into(), [200, 200, 200, 200, 200]),
        ("/cart".into(), [303, 200, 200, 403, 403]),
        ("/orders".into(), [303, 200, 200, 403, 403]),
        (order_page.clone(), [303, 200, 404, 403, 403]),
        ("/orders/999999".into(), [303, 404, 404, 403, 403]),
        ("/admin/memberships".into(), [303, 403, 403, 403, 200]),
        (membership_page.clone(), [303, 403, 403, 403, 200]),
    ];
    for (path, expected) in &web_rules {
        for ((who, visitor), want) in actors.web.iter().zip(expected) {
            let (status, _) = visitor.get_text(path).await;
            assert_eq!(status, *want, "GET {path} as {who:?}");
        }
    }
    // State-changing forms, with each principal's own valid CSRF token.
    let web_posts: Vec<(String, [u16; 5])> = vec![
        (format!("/orders/{order_a}/cancel"), [303, 0, 404, 403, 403]),
        (
            format!("{membership_page}/suspend"),
            [303, 403, 403, 403, 0],
        ),
        (format!("{membership_page}/users"), [303, 403, 403, 403, 0]),
    ];
    for (path, expected) in &web_posts {
        for ((who, visitor), want) in actors.web.iter().zip(expected) {
            if *want == 0 {
                continue; // the legitimate action is exercised by its own tests
            }
            let (_, page) = visitor.get_text("/login").await;
            let csrf = if page.contains(r#"name="csrf""#) {
                csrf_of(&page)
            } else {
                String::new()
            };
            let (_, catalogue) = visitor.get_text("/catalogue").await;
            let csrf = if catalogue.contains(r#"name="csrf""#) {
                csrf_of(&catalogue)
            } else {
                csrf
            };
            let response = visitor
                .client
                .post(visitor.url(path))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("name", "X"),
                    ("email", "x@x.example"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), *want, "POST {path} as {who:?}");
        }
    }
    let status = app
        .with_conn(move |conn| {
            centrale::db::orders::order(conn, order_a)
                .unwrap()
                .unwrap()
                .status
        })
        .await;
    assert_eq!(status, "routed", "nobody but A could cancel A's order");

    // API routes.
    let api_rules: Vec<(&str, String, [u16; 5])> = vec![
        (
            "GET",
            "/api/v1/catalogue/lots".into(),
            [200, 200, 200, 200, 200],
        ),
        ("GET", "/api/v1/orders".into(), [401, 200, 200, 403, 403]),
        (
            "GET",
            format!("/api/v1/orders/{order_a}"),
            [401, 200, 404, 403, 403],
        ),
        ("POST", "/api/v1/orders".into(), [401, 422, 422, 403, 403]),
        (
            "GET",
            "/api/v1/admin/institutions".into(),
            [401, 403, 403, 403, 200],
        ),
        (
            "GET",
            "/api/v1/admin/suppliers".into(),
            [401, 403, 403, 403, 200],
        ),
        (
            "GET",
            "/api/v1/admin/lots".into(),
            [401, 403, 403, 403, 200],
        ),
        (
            "GET",
            "/api/v1/admin/memberships".into(),
            [401, 403, 403, 403, 200],
        ),
        (
            "GET",
            format!("/api/v1/admin/memberships/{}", a.institution_id),
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            format!("/api/v1/admin/institutions/{}/suspend", a.institution_id),
            [401, 403, 403, 403, 0],
        ),
        (
            "GET",
            "/api/v1/admin/api-clients".into(),
            [401, 403, 403, 403, 200],
        ),
    ];
    for (method, path, expected) in &api_rules {
        for ((who, bearer), want) in actors.api.iter().zip(expected) {
            if *want == 0 {
                continue;
            }
            let mut request = match *method {
                "GET" => app.client.get(app.url(path)),
                _ => app
                    .client
                    .post(app.url(path))
                    .json(&json!({ "lines": [], "delivery_address_id": 0 })),
            };
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status().as_u16(),
                *want,
                "{method} {path} as {who:?}"
            );
        }
    }
    // B's view of A's orders: every guessed id is simply not found, and B's list is empty.
    let api_b = actors
        .api
        .iter()
        .find(|(w, _)| *w == Who::InstitutionB)
        .unwrap()
        .1
        .clone()
        .unwrap();
    for guess in 1..=order_a + 5 {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/orders/{guess}")))
            .bearer_auth(&api_b)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "guessing order {guess}");
    }
    let list: serde_json::Value = app
        .client
        .get(app.url("/api/v1/orders"))
        .bearer_auth(&api_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    let status = app
        .with_conn(move |conn| {
            centrale::db::parties::institution(conn, a.institution_id)
                .unwrap()
                .unwrap()
                .status
        })
        .await;
    assert_eq!(status, "active", "no refused call changed anything");
}
