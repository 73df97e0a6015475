//! Webhooks reach a real HTTP receiver, signed; an outage delays them, nothing is lost, and
//! after 24 hours of failure a delivery is marked failed. Supplier and authority see them.

mod helpers;

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use centrale::clock::Clock;
use centrale::db::Backend;
use centrale::ordering::{LineInput, PlaceOrder};
use centrale::parties::Role;
use chrono::Duration;
use helpers::{
    buyer_fixture, issue_client, lot_fixture, product_fixture, spawn_app, spawn_app_with, token,
};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};

on_both_backends!(
    signed_webhooks_survive_a_receiver_outage,
    webhook_endpoints_must_be_https_outside_development
);

#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<(String, String, String)>>>,
    status: Arc<AtomicU16>,
}

async fn hook(
    request: HttpRequest,
    body: web::Bytes,
    receiver: web::Data<Receiver>,
) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    receiver.received.lock().unwrap().push((
        header("Centrale-Signature"),
        header("Centrale-Event"),
        String::from_utf8_lossy(&body).into_owned(),
    ));
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(receiver.status.load(Ordering::SeqCst)).unwrap(),
    )
    .finish()
}

/// A webhook receiver on loopback answering with whatever status the test sets.
fn start_receiver() -> (Receiver, u16) {
    let receiver = Receiver::default();
    receiver.status.store(503, Ordering::SeqCst);
    let data = web::Data::new(receiver.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/hook", web::post().to(hook))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    actix_web::rt::spawn(server.run());
    (receiver, port)
}

fn expected_signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn signed_webhooks_survive_a_receiver_outage(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "LOT-HOOK", 2);
            product_fixture(
                conn,
                now,
                &lot,
                "HOOK-1",
                "standard",
                &[Some("3.00"), Some("3.10")],
                &[],
            );
            lot
        })
        .await;
    let buyer = buyer_fixture(&app, 900, "fr").await;
    let (receiver, port) = start_receiver();
    let (id, secret) = issue_client(&app, Role::Supplier, Some(lot.suppliers[0])).await;
    let bearer = token(&app, &id, &secret).await;
    let registered: Value = app
        .client
        .put(app.url("/api/v1/supplier/webhook"))
        .bearer_auth(&bearer)
        .json(&json!({ "url": format!("http://127.0.0.1:{port}/hook") }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hook_secret = registered["secret"]
        .as_str()
        .expect("secret shown once")
        .to_owned();

    let state = app.state.clone();
    let order_id = app
        .with_conn(move |conn| {
            let input = PlaceOrder {
                institution_id: buyer.institution_id,
                delivery_address_id: buyer.address_id,
                buyer_reference: None,
                lines: vec![LineInput {
                    sku: "HOOK-1".into(),
                    quantity: 1,
                }],
            };
            centrale::ordering::place(
                conn,
                &state.ordering(),
                &centrale::auth::Principal::system("t"),
                &input,
            )
            .unwrap()[0]
        })
        .await;

    // Receiver down: attempted, kept for later.
    let report = centrale::worker::send_webhooks(&app.state).await.unwrap();
    assert_eq!((report.delivered, report.retrying), (0, 1));
    assert_eq!(receiver.received.lock().unwrap().len(), 1);

    // Back up: delivered on the next due attempt, signed.
    receiver.status.store(204, Ordering::SeqCst);
    assert_eq!(
        centrale::worker::send_webhooks(&app.state)
            .await
            .unwrap()
            .delivered,
        0,
        "backoff respected"
    );
    app.clock.advance(Duration::seconds(31));
    assert_eq!(
        centrale::worker::send_webhooks(&app.state)
            .await
            .unwrap()
            .delivered,
        1
    );
    let (signature, event, body) = receiver.received.lock().unwrap().last().cloned().unwrap();
    assert_eq!(event, "order.assigned");
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["data"]["order_id"], order_id);
    let (t, v1) = signature
        .trim_start_matches("t=")
        .split_once(",v1=")
        .expect("t=...,v1=...");
    assert_eq!(
        v1,
        expected_signature(&hook_secret, t, &body),
        "signature verifies"
    );
    assert_ne!(v1, expected_signature("wrong secret", t, &body));

    // Silence past the deadline: the supplier is told the order was withdrawn.
    app.clock.advance(Duration::hours(4));
    centrale::worker::run_once(&app.state).await.unwrap();
    let (_, event, body) = receiver.received.lock().unwrap().last().cloned().unwrap();
    assert_eq!(event, "order.withdrawn");
    assert!(body.contains("deadline_passed"));

    // A receiver down for more than 24 hours: the delivery ends as failed, and stays visible.
    receiver.status.store(500, Ordering::SeqCst);
    let state = app.state.clone();
    app.with_conn(move |conn| {
        centrale::webhooks::enqueue(
            conn,
            state.clock.now_naive(),
            lot.suppliers[0],
            "order.withdrawn",
            None,
            json!({ "probe": true }),
        )
        .unwrap()
    })
    .await;
    for _ in 0..30 {
        app.clock.advance(Duration::hours(1));
        centrale::worker::send_webhooks(&app.state).await.unwrap();
    }
    let bearer = token(&app, &id, &secret).await;
    let mine = app
        .get_json_as("/api/v1/supplier/webhook/deliveries", &bearer)
        .await;
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(
        items[0]["failed_at"].is_string(),
        "given up after 24 hours: {}",
        items[0]
    );
    assert!(items[0]["attempts"].as_i64().unwrap() > 3);
    assert!(items.iter().skip(1).all(|d| d["delivered_at"].is_string()));
    let (admin_id, admin_secret) = issue_client(&app, Role::Admin, None).await;
    let admin = token(&app, &admin_id, &admin_secret).await;
    let all: Value = app
        .client
        .get(app.url("/api/v1/admin/webhook-deliveries"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 3);
}

async fn webhook_endpoints_must_be_https_outside_development(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.profile = "staging".into()).await else {
        return;
    };
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| lot_fixture(conn, now, "LOT-HTTPS", 1))
        .await;
    let (id, secret) = issue_client(&app, Role::Supplier, Some(lot.suppliers[0])).await;
    let bearer = token(&app, &id, &secret).await;
    for (url, status) in [
        ("http://127.0.0.1:9/hook", 422),
        ("http://erp.example/hook", 422),
        ("https://erp.example/hook", 200),
    ] {
        let response = app
            .client
            .put(app.url("/api/v1/supplier/webhook"))
            .bearer_auth(&bearer)
            .json(&json!({ "url": url }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{url}");
    }
}
