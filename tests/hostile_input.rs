//! Hostile input through the real HTTP server: over-size bodies, slow clients, random JSON
//! and query strings, and markup, SQL and Unicode oddities that must be stored as typed and
//! shown escaped everywhere they appear.

mod helpers;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use centrale::clock::Clock;
use centrale::db::Backend;
use helpers::soak::{self, Outcome};
use helpers::{buyer_fixture, issue_client, spawn_app, spawn_app_with, token, TestApp};

fn backend_name(backend: Backend) -> String {
    backend.name().to_owned()
}

/// A 413 problem document, not actix's plain text.
async fn assert_too_large_problem(label: &str, response: reqwest::Response) {
    assert_eq!(response.status(), 413, "{label}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json", "{label}");
    let body: serde_json::Value = response.json().await.expect("problem body");
    assert_eq!(body["status"], 413, "{label}: {body}");
    assert_eq!(body["type"], "/problems/too-large", "{label}: {body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

fn order_response_xml(reference: &str, padding: usize) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<OrderResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2">
  <cbc:CustomizationID>urn:fdc:peppol.eu:poacc:trns:order_response:3</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:poacc:bis:ordering:3</cbc:ProfileID>
  <cbc:ID>R-1</cbc:ID>
  <cbc:IssueDate>2026-03-10</cbc:IssueDate>
  <cbc:OrderResponseCode>AB</cbc:OrderResponseCode>
  <cbc:Note>{}</cbc:Note>
  <cac:OrderReference><cbc:ID>{reference}</cbc:ID></cac:OrderReference>
</OrderResponse>"#,
        "x".repeat(padding)
    )
}

/// Bodies over each endpoint's limit are refused with 413 in the shop's formats, bodies just
/// under it are read; the UBL limit is the parser's own.
async fn over_size_bodies_get_413_in_the_shop_format(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let c = &app.client;
    let buyer = buyer_fixture(&app, 3, "fr").await;
    let institution = token(&app, &buyer.client_id, &buyer.client_secret).await;
    let limit = centrale::startup::JSON_BODY_LIMIT;

    // Raw JSON body (orders read web::Bytes): over the limit, with and without a length.
    let response = c
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&institution)
        .header("Content-Type", "application/json")
        .body(vec![b' '; limit + 1])
        .send()
        .await
        .unwrap();
    assert_too_large_problem("oversize order", response).await;
    // The same without a length: chunked transfer, cut off at the limit.
    let port = app.port;
    let bearer = institution.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let mut request = format!(
            "POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {bearer}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        .into_bytes();
        for _ in 0..(limit / 8192 + 2) {
            request.extend_from_slice(b"2000\r\n");
            request.extend_from_slice(&[b' '; 8192]);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"0\r\n\r\n");
        raw_exchange(port, &request)
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    // Just under the limit: read, then refused for what it says.
    let mut near = b"{\"lines\": [], \"x\": \"".to_vec();
    near.resize(limit - 2, b'a');
    near.extend_from_slice(b"\"}");
    let response = c
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&institution)
        .header("Content-Type", "application/json")
        .body(near)
        .send()
        .await
        .unwrap();
    assert!(
        [400, 422].contains(&response.status().as_u16()),
        "a body at the limit is read: {}",
        response.status()
    );

    // web::Json endpoint, anonymous.
    let big = serde_json::json!({ "name": "x".repeat(limit) });
    let response = c
        .post(app.url("/api/v1/memberships"))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_too_large_problem("oversize membership application", response).await;

    // UBL: over 1 MiB is 413; 600 KiB is read by the parser (and refused for its content).
    let (supplier_id, supplier_secret) = issue_client(
        &app,
        centrale::parties::Role::Supplier,
        Some(supplier_of(&app).await),
    )
    .await;
    let supplier = token(&app, &supplier_id, &supplier_secret).await;
    let response = c
        .post(app.url("/api/v1/supplier/order-responses"))
        .bearer_auth(&supplier)
        .header("Content-Type", "application/xml")
        .body(order_response_xml(
            "CMD-NONE",
            centrale::ubl::MAX_INPUT_BYTES,
        ))
        .send()
        .await
        .unwrap();
    assert_too_large_problem("oversize UBL", response).await;
    let response = c
        .post(app.url("/api/v1/supplier/order-responses"))
        .bearer_auth(&supplier)
        .header("Content-Type", "application/xml")
        .body(order_response_xml("CMD-NONE", 600 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        404,
        "a 600 KiB document is parsed: no such order"
    );

    // A web form over its limit: a 413 page in the visitor's language.
    let response = c
        .post(app.url("/login?lang=nl"))
        .header("Cookie", "lang=nl")
        .form(&[("email", "x".repeat(64 * 1024)), ("password", "y".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = response.text().await.unwrap();
    assert!(page.contains("Verzoek te groot"), "{page}");
}

/// Sends raw bytes (ignoring a connection the server closes early) and returns what the
/// server answered.
fn raw_exchange(port: u16, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// The id of a supplier, registered for the purpose.
async fn supplier_of(app: &TestApp) -> i64 {
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        centrale::parties::register_supplier(
            conn,
            now,
            &centrale::parties::SupplierInput {
                enterprise_number: &helpers::enterprise_number(901),
                name: "Fournisseur",
                email: "orders@fournisseur.example",
                language: "fr",
            },
        )
        .expect("supplier")
    })
    .await
}

/// What a slow client got: the first bytes the server sent (if any) and when the connection
/// ended, from the moment it connected.
struct SlowResult {
    answer: String,
    ended_after: Duration,
}

/// Sends a request's headers one line at a time, `pause` apart, never finishing them.
fn slow_client(port: u16, pause: Duration, give_up: Duration) -> SlowResult {
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let lines = ["GET /catalogue HTTP/1.1\r\n", "Host: 127.0.0.1\r\n"];
    let mut answer = Vec::new();
    let mut sent = 0usize;
    let mut last_send = Instant::now() - pause;
    while started.elapsed() < give_up {
        if last_send.elapsed() >= pause {
            let line = match lines.get(sent) {
                Some(line) => line.to_string(),
                None => format!("X-Slow-{sent}: a\r\n"),
            };
            if stream.write_all(line.as_bytes()).is_err() {
                break;
            }
            sent += 1;
            last_send = Instant::now();
        }
        let mut buffer = [0u8; 1024];
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break,
        }
    }
    SlowResult {
        answer: String::from_utf8_lossy(&answer).into_owned(),
        ended_after: started.elapsed(),
    }
}

/// Slow clients that never finish their headers are answered 408 and cut off within the
/// configured timeout, while everyone else is served as usual.
async fn slow_clients_are_cut_off_with_408(backend: Backend) {
    let timeout = Duration::from_millis(1000);
    let Some(app) = spawn_app_with(backend, |s| {
        s.server.client_request_timeout_ms = timeout.as_millis() as u64;
    })
    .await
    else {
        return;
    };
    let clients = 8 * soak::scale() as usize;
    let port = app.port;
    let slow: Vec<_> = (0..clients)
        .map(|_| {
            std::thread::spawn(move || {
                slow_client(port, Duration::from_millis(200), Duration::from_secs(10))
            })
        })
        .collect();
    // Meanwhile the shop answers others promptly.
    let mut requests = clients as u64;
    for _ in 0..10 {
        let started = Instant::now();
        let response = app.get("/healthz").await;
        assert_eq!(response.status(), 200);
        assert!(started.elapsed() < Duration::from_millis(500));
        requests += 1;
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let mut cut_off = 0;
    for handle in slow {
        let result = tokio::task::spawn_blocking(move || handle.join().expect("slow client"))
            .await
            .unwrap();
        assert!(
            result.answer.starts_with("HTTP/1.1 408"),
            "answer to a slow client: {:?}",
            result.answer
        );
        assert!(
            result.ended_after < timeout + Duration::from_millis(1500),
            "slow client held the connection {:?}",
            result.ended_after
        );
        cut_off += 1;
    }
    // A client that connects and sends nothing is dropped too.
    let idle = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buffer = Vec::new();
        let _ = stream.read_to_end(&mut buffer);
        (
            started.elapsed(),
            String::from_utf8_lossy(&buffer).into_owned(),
        )
    })
    .await
    .unwrap();
    assert!(
        idle.0 < timeout + Duration::from_millis(1500),
        "idle connection held {:?} ({:?})",
        idle.0,
        idle.1
    );
    soak::record(&Outcome {
        scenario: "slow clients (slowloris) cut off".into(),
        backend: backend_name(backend),
        faults: clients as u64 + 1,
        requests: requests + 1,
        checked: cut_off + 1,
        lost: 0,
        duplicated: 0,
    });
}

on_both_backends!(
    over_size_bodies_get_413_in_the_shop_format,
    slow_clients_are_cut_off_with_408,
);
