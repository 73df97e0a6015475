//! Ordering and the routing engine against a real database, with a moved clock.

mod helpers;

use centrale::clock::Clock;
use centrale::db::orders::EscalationShare;
use centrale::db::Backend;
use centrale::domain::order_state::OrderStatus;
use centrale::ordering::routing;
use chrono::Duration;
use helpers::smtp::{aiosmtpd_available, free_port, SmtpServer};
use helpers::{
    buyer_fixture, lot_fixture, product_fixture, spawn_app, spawn_app_with, token, Buyer,
    LotFixture, TestApp,
};
use serde_json::{json, Value};

on_both_backends!(
    an_order_goes_to_rank_one_and_is_confirmed_by_email,
    a_decline_moves_the_order_to_the_next_supplier,
    silence_past_the_window_moves_the_order_on,
    when_every_supplier_fails_the_order_is_unfulfilled_and_everyone_is_told,
    unavailable_and_inactive_suppliers_are_skipped,
    a_cart_across_lots_becomes_one_order_per_lot,
    quantities_must_respect_minimum_and_multiple,
    twenty_concurrent_retries_with_one_key_make_one_order,
    the_24_hour_rule_flags_a_breach_and_routing_goes_on,
    a_restart_mid_cascade_resumes_at_the_right_supplier,
    two_sweeps_never_move_an_order_twice,
    shares_of_a_sweep_move_each_order_once,
    a_share_moves_only_its_own_orders,
    the_database_refuses_a_second_open_assignment,
    answers_out_of_turn_are_refused,
    cancellation_before_and_after_confirmation,
    an_institution_never_sees_another_institutions_orders,
    confirmation_reaches_a_real_smtp_server_within_24_hours,
    the_answer_to_a_new_order_is_the_order_as_stored,
    one_worker_pass_handles_more_orders_than_one_batch,
);

const PRICES: [Option<&str>; 5] = [
    Some("10.00"),
    Some("9.00"),
    Some("11.50"),
    Some("12.00"),
    Some("8.75"),
];

struct World {
    app: TestApp,
    lot: LotFixture,
    buyer: Buyer,
}

async fn world_with(app: TestApp, unavailable: &[usize]) -> World {
    let now = app.clock.now_naive();
    let unavailable = unavailable.to_vec();
    let lot = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "LOT-ORDER", 5);
            product_fixture(conn, now, &lot, "MASK-A", "standard", &PRICES, &unavailable);
            product_fixture(conn, now, &lot, "MASK-B", "covid_ppe", &PRICES, &[]);
            lot
        })
        .await;
    let buyer = buyer_fixture(&app, 500, "fr").await;
    World { app, lot, buyer }
}

async fn world(backend: Backend) -> Option<World> {
    let app = spawn_app(backend).await?;
    Some(world_with(app, &[]).await)
}

async fn post_order(w: &World, lines: Value, key: Option<&str>) -> reqwest::Response {
    let fresh = token(&w.app, &w.buyer.client_id, &w.buyer.client_secret).await;
    let mut request = w
        .app
        .client
        .post(w.app.url("/api/v1/orders"))
        .bearer_auth(&fresh)
        .json(&json!({ "delivery_address_id": w.buyer.address_id, "buyer_reference": "PO-2026-17", "lines": lines }));
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.expect("sent")
}

async fn place(w: &World) -> i64 {
    let response = post_order(w, json!([{ "sku": "MASK-A", "quantity": 3 }]), None).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["orders"][0]["id"].as_i64().unwrap()
}

async fn order(w: &World, id: i64) -> Value {
    // Access tokens live 15 minutes and tests move the clock by hours: ask for a fresh one.
    let fresh = token(&w.app, &w.buyer.client_id, &w.buyer.client_secret).await;
    let response = w
        .app
        .client
        .get(w.app.url(&format!("/api/v1/orders/{id}")))
        .bearer_auth(&fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn rank_of(order: &Value) -> Option<i64> {
    order["current_supplier"]["cascade_rank"].as_i64()
}

async fn decline(
    w: &World,
    id: i64,
    supplier: i64,
) -> Result<OrderStatus, centrale::error::ServiceError> {
    let state = w.app.state.clone();
    w.app
        .with_conn(move |conn| {
            routing::decline(
                conn,
                &state.ordering(),
                id,
                supplier,
                "out of stock",
                "supplier",
            )
        })
        .await
}

async fn accept(w: &World, id: i64, supplier: i64) -> Result<(), centrale::error::ServiceError> {
    let state = w.app.state.clone();
    let date = state.calendar.add_working_days(w.app.clock.today(), 3);
    w.app
        .with_conn(move |conn| {
            routing::accept(conn, &state.ordering(), id, supplier, date, "supplier")
        })
        .await
}

async fn sweep(app: &TestApp) {
    centrale::worker::run_once(&app.state)
        .await
        .expect("worker pass");
}

fn templates(outbox: &[centrale::mail::outbox::OutboxEmail]) -> Vec<String> {
    outbox.iter().map(|m| m.template.clone()).collect()
}

async fn an_order_goes_to_rank_one_and_is_confirmed_by_email(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let id = place(&w).await;
    let placed = order(&w, id).await;
    assert_eq!(placed["status"], "routed");
    assert_eq!(rank_of(&placed), Some(1));
    assert_eq!(placed["current_supplier"]["id"], w.lot.suppliers[0]);
    assert_eq!(placed["buyer_reference"], "PO-2026-17");
    // 3 × 10.00 at 21 %.
    assert_eq!(placed["totals"]["net"]["amount"], "30.00");
    assert_eq!(placed["totals"]["gross"]["amount"], "36.30");
    // Deadline: now + 4 hours.
    let deadline: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(placed["current_supplier"]["response_deadline"].clone()).unwrap();
    assert_eq!(deadline, w.app.clock.now() + Duration::hours(4));
    // Seven working days from Tuesday 10 March 2026: Thursday 19 March.
    assert_eq!(placed["delivery_due"], "2026-03-19");
    assert!(templates(&w.app.outbox().await).contains(&"order-received".to_owned()));

    accept(&w, id, w.lot.suppliers[0]).await.expect("accepted");
    let confirmed = order(&w, id).await;
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(confirmed["supplier"]["cascade_rank"], 1);
    let kinds: Vec<&str> = confirmed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["placed", "offered", "accepted"]);
    let mail = w
        .app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.template == "order-confirmed")
        .expect("confirmation");
    assert_eq!(mail.to_address, w.buyer.email);
    assert_eq!(mail.language, "fr");
    assert!(
        mail.body_text.contains("Supplier LOT-ORDER-1"),
        "names the supplier"
    );
    assert!(mail.body_text.contains("MASK-A"), "lists the lines");
    assert!(
        mail.body_text.contains("36,30"),
        "gives the total incl. VAT"
    );
    assert!(
        !mail.body_text.contains("diffère"),
        "no price-change notice when nothing changed"
    );
}

async fn a_decline_moves_the_order_to_the_next_supplier(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let id = place(&w).await;
    assert_eq!(
        decline(&w, id, w.lot.suppliers[0]).await.unwrap(),
        OrderStatus::Routed
    );
    let moved = order(&w, id).await;
    assert_eq!(rank_of(&moved), Some(2));
    // The price shown is now rank 2's: 3 × 9.00.
    assert_eq!(moved["totals"]["net"]["amount"], "27.00");
    accept(&w, id, w.lot.suppliers[1]).await.unwrap();
    let confirmed = order(&w, id).await;
    assert_eq!(confirmed["supplier"]["id"], w.lot.suppliers[1]);
    assert_eq!(confirmed["totals"]["net"]["amount"], "27.00");
    let events: Vec<(String, Option<i64>)> = confirmed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["cascade_rank"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        events,
        vec![
            ("placed".into(), None),
            ("offered".into(), Some(1)),
            ("declined".into(), Some(1)),
            ("offered".into(), Some(2)),
            ("accepted".into(), Some(2)),
        ]
    );
    let mail = w
        .app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.template == "order-confirmed")
        .unwrap();
    assert!(
        mail.body_text.contains("30,00") && mail.body_text.contains("27,00"),
        "tells the total changed: {}",
        mail.body_text
    );
}

async fn silence_past_the_window_moves_the_order_on(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let id = place(&w).await;
    w.app
        .clock
        .advance(Duration::hours(4) - Duration::seconds(1));
    sweep(&w.app).await;
    assert_eq!(
        rank_of(&order(&w, id).await),
        Some(1),
        "still within the window"
    );
    w.app.clock.advance(Duration::seconds(1));
    sweep(&w.app).await;
    let moved = order(&w, id).await;
    assert_eq!(rank_of(&moved), Some(2));
    let kinds: Vec<&str> = moved["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["placed", "offered", "timed_out", "offered"]);
    // The silent supplier's late answer is refused.
    let late = accept(&w, id, w.lot.suppliers[0]).await;
    assert!(
        matches!(late, Err(centrale::error::ServiceError::Conflict { .. })),
        "{late:?}"
    );
}

async fn when_every_supplier_fails_the_order_is_unfulfilled_and_everyone_is_told(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let id = place(&w).await;
    decline(&w, id, w.lot.suppliers[0]).await.unwrap();
    w.app.clock.advance(Duration::hours(4));
    sweep(&w.app).await;
    decline(&w, id, w.lot.suppliers[2]).await.unwrap();
    decline(&w, id, w.lot.suppliers[3]).await.unwrap();
    assert_eq!(
        decline(&w, id, w.lot.suppliers[4]).await.unwrap(),
        OrderStatus::Unfulfilled
    );
    let done = order(&w, id).await;
    assert_eq!(done["status"], "unfulfilled");
    assert!(done["current_supplier"].is_null());
    let outbox = w.app.outbox().await;
    let unfulfilled: Vec<&str> = outbox
        .iter()
        .filter(|m| m.template == "order-unfulfilled")
        .map(|m| m.to_address.as_str())
        .collect();
    assert!(
        unfulfilled.contains(&w.buyer.email.as_str()),
        "institution told"
    );
    assert!(
        unfulfilled.contains(&w.app.settings.mail.authority_address.as_str()),
        "authority told"
    );
    // Each supplier was offered the order exactly once.
    let assignments = w
        .app
        .with_conn(move |conn| centrale::db::orders::assignments_of(conn, id).unwrap())
        .await;
    let offered: Vec<i32> = assignments.iter().map(|a| a.rank).collect();
    assert_eq!(offered, vec![1, 2, 3, 4, 5]);
}

async fn unavailable_and_inactive_suppliers_are_skipped(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let w = world_with(app, &[1, 2]).await;
    let id = place(&w).await;
    let placed = order(&w, id).await;
    assert_eq!(
        rank_of(&placed),
        Some(3),
        "ranks 1 and 2 are out of stock of MASK-A"
    );
    let offered = placed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "offered")
        .unwrap()
        .clone();
    assert_eq!(offered["cascade_rank"], 3);
    // Suspend rank 3 for the next order: it goes to rank 4.
    let third = w.lot.suppliers[2];
    w.app
        .with_conn(move |conn| {
            use diesel::prelude::*;
            centrale::with_conn!(conn, |c| diesel::update(
                centrale::db::schema::suppliers::table.find(third)
            )
            .set(centrale::db::schema::suppliers::status.eq("suspended"))
            .execute(c))
            .unwrap();
        })
        .await;
    let second = place(&w).await;
    assert_eq!(rank_of(&order(&w, second).await), Some(4));
}

async fn a_cart_across_lots_becomes_one_order_per_lot(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let now = w.app.clock.now_naive();
    w.app
        .with_conn(move |conn| {
            let gloves = lot_fixture(conn, now, "LOT-GLOVES", 2);
            product_fixture(
                conn,
                now,
                &gloves,
                "GLOVE-M",
                "standard",
                &[Some("6.00"), Some("6.50")],
                &[],
            );
        })
        .await;
    // Through the web: cart, then checkout.
    let web = w.app.as_new_visitor();
    assert_eq!(
        web.login(&w.buyer.email, &w.buyer.password).await.status(),
        303
    );
    for (sku, quantity) in [("MASK-A", "2"), ("MASK-B", "1"), ("GLOVE-M", "5")] {
        let response = web
            .post_form(
                &format!("/products/{sku}"),
                "/cart",
                &[("sku", sku), ("quantity", quantity)],
            )
            .await;
        assert_eq!(response.status(), 303, "{sku} added");
    }
    let (_, cart) = web.get_text("/cart").await;
    assert!(
        cart.contains("2 lots") && cart.contains("2 commandes"),
        "{cart}"
    );
    let address = w.buyer.address_id.to_string();
    let response = web
        .post_form(
            "/cart",
            "/cart/checkout",
            &[("delivery_address", &address), ("buyer_reference", "BC-42")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/orders?checkout="));
    let (_, list) = web.get_text(&location).await;
    assert_eq!(
        list.matches("badge").count(),
        2,
        "both orders shown together as new"
    );
    let orders = w
        .app
        .with_conn(move |conn| {
            centrale::db::orders::orders_of_institution(conn, w.buyer.institution_id, 10).unwrap()
        })
        .await;
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].checkout_id, orders[1].checkout_id);
    assert_ne!(orders[0].lot_id, orders[1].lot_id);
    let (_, cart) = web.get_text("/cart").await;
    assert!(cart.contains("Votre panier est vide"), "cart emptied");
    // The order page shows totals with VAT per rate and the history.
    let (status, page) = web.get_text(&format!("/orders/{}", orders[1].id)).await;
    assert_eq!(status, 200);
    assert!(page.contains("TVA 21") && page.contains("Total TVA comprise"));
    assert!(page.contains("Transmise au fournisseur"));
}

async fn quantities_must_respect_minimum_and_multiple(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let now = w.app.clock.now_naive();
    w.app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "LOT-BOX", 1);
            let id = centrale::catalogue::create_product(
                conn,
                now,
                &centrale::catalogue::ProductInput {
                    lot_id: lot.lot_id,
                    sku: "GLV-CARTON",
                    name: centrale::catalogue::Bilingual::new("Gants", "Handschoenen"),
                    description: centrale::catalogue::Bilingual::new("", ""),
                    packaging: centrale::catalogue::Bilingual::new("Boîte", "Doos"),
                    unit_code: "BX",
                    standards: vec![],
                    vat_class: "standard",
                    min_quantity: 10,
                    order_multiple: 5,
                },
            )
            .unwrap();
            centrale::catalogue::set_offer(conn, now, id, lot.suppliers[0], "5.00", true).unwrap();
        })
        .await;
    for (quantity, code) in [
        (0, "quantity-zero"),
        (5, "quantity-below-minimum"),
        (12, "quantity-not-multiple"),
        (-3, "quantity-zero"),
    ] {
        let response = post_order(
            &w,
            json!([{ "sku": "GLV-CARTON", "quantity": quantity }]),
            None,
        )
        .await;
        assert_eq!(response.status(), 422, "quantity {quantity}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "lines[0].quantity");
    }
    let response = post_order(&w, json!([{ "sku": "GLV-CARTON", "quantity": 15 }]), None).await;
    assert_eq!(response.status(), 201);
    let response = post_order(&w, json!([{ "sku": "NOPE", "quantity": 1 }]), None).await;
    assert_eq!(response.status(), 422);
    // On the web, the message is in the buyer's language next to the product.
    let web = w.app.as_new_visitor();
    web.login(&w.buyer.email, &w.buyer.password).await;
    let response = web
        .post_form(
            "/products/GLV-CARTON",
            "/cart",
            &[("sku", "GLV-CARTON"), ("quantity", "12")],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("multiple du conditionnement"));
}

async fn twenty_concurrent_retries_with_one_key_make_one_order(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let w = std::sync::Arc::new(w);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let w = w.clone();
        tasks.push(actix_web::rt::spawn(async move {
            let response = post_order(
                &w,
                json!([{ "sku": "MASK-A", "quantity": 3 }]),
                Some("order-2026-03-10-001"),
            )
            .await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 201, "{body}");
        ids.insert(body["orders"][0]["id"].as_i64().unwrap());
    }
    assert_eq!(ids.len(), 1, "every retry got the same order");
    let institution = w.buyer.institution_id;
    let count = w
        .app
        .with_conn(move |conn| {
            centrale::db::orders::orders_of_institution(conn, institution, 100)
                .unwrap()
                .len()
        })
        .await;
    assert_eq!(count, 1, "exactly one order exists");
    // The same key with another request is refused.
    let response = post_order(
        &w,
        json!([{ "sku": "MASK-B", "quantity": 1 }]),
        Some("order-2026-03-10-001"),
    )
    .await;
    assert_eq!(response.status(), 409);
}

async fn the_24_hour_rule_flags_a_breach_and_routing_goes_on(backend: Backend) {
    let Some(app) =
        spawn_app_with(backend, |s| s.ordering.supplier_response_minutes = 7 * 60).await
    else {
        return;
    };
    let w = world_with(app, &[]).await;
    let id = place(&w).await;
    for _ in 0..3 {
        w.app.clock.advance(Duration::hours(7));
        sweep(&w.app).await;
    }
    // 21 hours: rank 4 holds the order, no breach yet.
    let before = order(&w, id).await;
    assert_eq!(rank_of(&before), Some(4));
    assert_eq!(before["breach"], false);
    w.app.clock.advance(Duration::hours(3));
    sweep(&w.app).await;
    let after = order(&w, id).await;
    assert_eq!(after["breach"], true);
    assert_eq!(after["status"], "routed", "routing goes on");
    let breaches: Vec<_> = w
        .app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.template == "order-breach")
        .collect();
    assert_eq!(breaches.len(), 1);
    assert_eq!(
        breaches[0].to_address,
        w.app.settings.mail.authority_address
    );
    sweep(&w.app).await;
    let again = w
        .app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.template == "order-breach")
        .count();
    assert_eq!(again, 1, "flagged once");
    accept(&w, id, w.lot.suppliers[3]).await.unwrap();
    assert_eq!(order(&w, id).await["status"], "confirmed");
}

async fn a_restart_mid_cascade_resumes_at_the_right_supplier(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let id = place(&w).await;
    decline(&w, id, w.lot.suppliers[0]).await.unwrap();
    let deadline_before = order(&w, id).await["current_supplier"]["response_deadline"].clone();
    // A second process on the same database, with its own clock, as after a restart.
    let restarted =
        centrale::startup::Application::build(w.app.settings.clone(), w.app.clock.clone())
            .expect("restarts");
    let state = restarted.state();
    actix_web::rt::spawn(restarted.run_until_stopped());
    let reloaded = order(&w, id).await;
    assert_eq!(rank_of(&reloaded), Some(2), "still with rank 2");
    assert_eq!(
        reloaded["current_supplier"]["response_deadline"], deadline_before,
        "same deadline"
    );
    w.app.clock.advance(Duration::hours(4));
    centrale::worker::run_once(&state).await.unwrap();
    assert_eq!(
        rank_of(&order(&w, id).await),
        Some(3),
        "the restarted worker moves it on"
    );
}

/// A sweep of `share` on a blocking thread with its own connection, as the worker runs it.
fn start_sweep(w: &World, share: EscalationShare) -> tokio::task::JoinHandle<usize> {
    let state = w.app.state.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = state.pool.get().unwrap();
        routing::escalate_overdue(&mut conn, &state.ordering(), 100, share).unwrap()
    })
}

/// Each order went down the cascade exactly once: rank 2, one `timed_out` event.
async fn assert_moved_once(w: &World, ids: &[i64]) {
    for id in ids {
        let o = order(w, *id).await;
        assert_eq!(rank_of(&o), Some(2), "order {id}");
        let timeouts = o["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "timed_out")
            .count();
        assert_eq!(timeouts, 1, "order {id}");
    }
}

async fn two_sweeps_never_move_an_order_twice(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(place(&w).await);
    }
    w.app.clock.advance(Duration::hours(4));
    let first = start_sweep(&w, EscalationShare::WHOLE);
    let second = start_sweep(&w, EscalationShare::WHOLE);
    let moved = first.await.unwrap() + second.await.unwrap();
    assert_eq!(moved, 5, "each overdue order moved exactly once");
    assert_moved_once(&w, &ids).await;
}

async fn shares_of_a_sweep_move_each_order_once(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(place(&w).await);
    }
    w.app.clock.advance(Duration::hours(4));
    // Both halves side by side, as the worker runs them on PostgreSQL.
    let sweeps: Vec<_> = EscalationShare::all(2)
        .map(|share| start_sweep(&w, share))
        .collect();
    let mut moved = 0;
    for sweep in sweeps {
        moved += sweep.await.unwrap();
    }
    assert_eq!(moved, 6, "together the halves move every due order");
    assert_moved_once(&w, &ids).await;
}

async fn a_share_moves_only_its_own_orders(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(place(&w).await);
    }
    w.app.clock.advance(Duration::hours(4));
    assert!(
        ids.iter().any(|id| id % 2 == 0) && ids.iter().any(|id| id % 2 == 1),
        "orders of both shares: {ids:?}"
    );
    let odd = EscalationShare { index: 1, of: 2 };
    let moved = start_sweep(&w, odd).await.unwrap();
    assert_eq!(moved, ids.iter().filter(|id| *id % 2 == 1).count());
    for id in ids {
        let expected = if id % 2 == 1 { 2 } else { 1 };
        assert_eq!(rank_of(&order(&w, id).await), Some(expected), "order {id}");
    }
}

async fn the_database_refuses_a_second_open_assignment(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let id = place(&w).await;
    let other = w.lot.suppliers[1];
    let now = w.app.clock.now_naive();
    let refused = w
        .app
        .with_conn(move |conn| {
            centrale::db::orders::insert_assignment(
                conn,
                &centrale::db::orders::NewAssignment {
                    order_id: id,
                    supplier_id: other,
                    rank: 2,
                    offered_at: now,
                    deadline: now,
                    feed_seq: 0,
                },
            )
        })
        .await;
    assert!(
        refused.is_err_and(|e| e.is_unique_violation()),
        "one open assignment per order"
    );
    let first = w.lot.suppliers[0];
    let again = w
        .app
        .with_conn(move |conn| {
            centrale::db::orders::close_assignment(conn, id, first, "declined", now, None).unwrap();
            centrale::db::orders::insert_assignment(
                conn,
                &centrale::db::orders::NewAssignment {
                    order_id: id,
                    supplier_id: first,
                    rank: 1,
                    offered_at: now,
                    deadline: now,
                    feed_seq: 0,
                },
            )
        })
        .await;
    assert!(
        again.is_err_and(|e| e.is_unique_violation()),
        "never the same supplier twice"
    );
}

async fn answers_out_of_turn_are_refused(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let id = place(&w).await;
    let not_holder = accept(&w, id, w.lot.suppliers[2]).await;
    assert!(matches!(
        not_holder,
        Err(centrale::error::ServiceError::Conflict {
            code: "order-not-yours",
            ..
        })
    ));
    // A delivery date beyond 7 working days is refused.
    let state = w.app.state.clone();
    let late = state.calendar.add_working_days(w.app.clock.today(), 8);
    let supplier = w.lot.suppliers[0];
    let result = w
        .app
        .with_conn(move |conn| routing::accept(conn, &state.ordering(), id, supplier, late, "s"))
        .await;
    assert!(
        matches!(result, Err(centrale::error::ServiceError::Invalid(_))),
        "{result:?}"
    );
    let empty_reason = {
        let state = w.app.state.clone();
        w.app
            .with_conn(move |conn| {
                routing::decline(conn, &state.ordering(), id, supplier, "  ", "s")
            })
            .await
    };
    assert!(matches!(
        empty_reason,
        Err(centrale::error::ServiceError::Invalid(_))
    ));
    assert_eq!(rank_of(&order(&w, id).await), Some(1), "nothing changed");
}

async fn cancellation_before_and_after_confirmation(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let web = w.app.as_new_visitor();
    web.login(&w.buyer.email, &w.buyer.password).await;
    let first = place(&w).await;
    let response = web
        .post_form(
            &format!("/orders/{first}"),
            &format!("/orders/{first}/cancel"),
            &[],
        )
        .await;
    assert_eq!(response.status(), 303);
    let cancelled = order(&w, first).await;
    assert_eq!(cancelled["status"], "cancelled");
    let assignments = w
        .app
        .with_conn(move |conn| centrale::db::orders::assignments_of(conn, first).unwrap())
        .await;
    assert_eq!(assignments[0].outcome.as_deref(), Some("withdrawn"));
    let second = place(&w).await;
    accept(&w, second, w.lot.suppliers[0]).await.unwrap();
    web.post_form(
        &format!("/orders/{second}"),
        &format!("/orders/{second}/cancel"),
        &[],
    )
    .await;
    assert_eq!(order(&w, second).await["status"], "cancellation_requested");
    let again = web
        .post_form(
            &format!("/orders/{second}"),
            &format!("/orders/{second}/cancel"),
            &[],
        )
        .await;
    assert_eq!(again.status(), 409);
    let mails = w
        .app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.template == "order-cancelled")
        .count();
    assert_eq!(mails, 2);
}

async fn an_institution_never_sees_another_institutions_orders(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let id = place(&w).await;
    let other = buyer_fixture(&w.app, 501, "nl").await;
    let other_token = token(&w.app, &other.client_id, &other.client_secret).await;
    for path in [
        format!("/api/v1/orders/{id}"),
        format!("/api/v1/orders/{}", id + 1000),
    ] {
        let response = w
            .app
            .client
            .get(w.app.url(&path))
            .bearer_auth(&other_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    let list = w.app.get_json_as("/api/v1/orders", &other_token).await;
    assert_eq!(list["total"], 0);
    let web = w.app.as_new_visitor();
    web.login(&other.email, &other.password).await;
    let (status, _) = web.get_text(&format!("/orders/{id}")).await;
    assert_eq!(status, 404);
    let (_, page) = web.get_text("/orders").await;
    let response = web
        .client
        .post(web.url(&format!("/orders/{id}/cancel")))
        .form(&[("csrf", helpers::csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(order(&w, id).await["status"], "routed", "untouched");
}

async fn confirmation_reaches_a_real_smtp_server_within_24_hours(backend: Backend) {
    if !aiosmtpd_available() {
        return;
    }
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(port, dir.path());
    let Some(app) = spawn_app_with(backend, |s| {
        s.mail.transport = centrale::config::MailTransportKind::Smtp;
        s.mail.smtp_port = port;
    })
    .await
    else {
        return;
    };
    let w = world_with(app, &[]).await;
    let id = place(&w).await;
    w.app.clock.advance(Duration::hours(4));
    sweep(&w.app).await;
    w.app.clock.advance(Duration::hours(3));
    accept(&w, id, w.lot.suppliers[1]).await.unwrap();
    sweep(&w.app).await;
    let placed_at = w.app.clock.now() - Duration::hours(7);
    let confirmation = w
        .app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.template == "order-confirmed")
        .unwrap();
    let sent_at = confirmation.sent_at.expect("sent").and_utc();
    assert!(sent_at - placed_at < Duration::hours(24));
    let received = server.messages();
    assert!(
        received
            .iter()
            .any(|raw| raw.contains(&confirmation.message_id)),
        "the SMTP server has it"
    );
}

/// The answer to `POST /api/v1/orders` is written together with the orders; it must be the
/// orders exactly as stored, whether the order was repriced for its supplier or found no
/// supplier at all.
async fn the_answer_to_a_new_order_is_the_order_as_stored(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // MASK-A is out of stock at rank 1: its catalogue price is rank 2's, and an order with it
    // goes to rank 2, which reprices MASK-B from 10.00 to 9.00.
    let w = world_with(app, &[1]).await;
    let now = w.app.clock.now_naive();
    let lot = LotFixture {
        lot_id: w.lot.lot_id,
        reference: w.lot.reference.clone(),
        suppliers: w.lot.suppliers.clone(),
    };
    w.app
        .with_conn(move |conn| {
            // Two products no single supplier offers together.
            product_fixture(conn, now, &lot, "ONLY-R1", "standard", &[Some("4.00")], &[]);
            product_fixture(
                conn,
                now,
                &lot,
                "ONLY-R2",
                "standard",
                &[None, Some("5.00")],
                &[],
            );
        })
        .await;
    let mut answers = Vec::new();
    for (lines, status) in [
        (
            json!([{ "sku": "MASK-A", "quantity": 2 }, { "sku": "mask-b ", "quantity": 3 }]),
            "routed",
        ),
        (
            json!([{ "sku": "ONLY-R1", "quantity": 1 }, { "sku": "ONLY-R2", "quantity": 1 }]),
            "unfulfilled",
        ),
    ] {
        let response = post_order(&w, lines, Some(&format!("as-stored-{status}"))).await;
        assert_eq!(response.status(), 201);
        let answer: Value = response.json().await.unwrap();
        let placed = answer["orders"][0].clone();
        assert_eq!(placed["status"], status);
        let stored = order(&w, placed["id"].as_i64().unwrap()).await;
        assert_eq!(placed, stored, "the answer is the stored order");
        assert_eq!(answer["checkout_id"], stored["checkout_id"]);
        answers.push(placed);
    }
    let routed = &answers[0];
    assert_eq!(rank_of(routed), Some(2));
    assert_eq!(routed["lines"][1]["unit_price"]["amount"], "9.00");
    assert_eq!(
        routed["net_when_placed"]["amount"], "48.00",
        "2 × 9.00 + 3 × 10.00"
    );
    let outbox = w.app.outbox().await;
    let received: Vec<_> = outbox
        .iter()
        .filter(|m| m.template == "order-received")
        .collect();
    assert_eq!(received.len(), 2);
    assert!(
        received[0].body_text.contains("48,00"),
        "the acknowledgement shows the catalogue prices"
    );
    assert_eq!(
        outbox
            .iter()
            .filter(|m| m.template == "order-unfulfilled")
            .count(),
        2,
        "institution and authority told at once"
    );
}

/// A worker pass moves every overdue order and flags every late one, however many batches
/// that takes.
async fn one_worker_pass_handles_more_orders_than_one_batch(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.worker.sweep_batch = 2).await else {
        return;
    };
    let w = world_with(app, &[]).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(place(&w).await);
    }
    // A day later: every deadline has passed and the 24-hour promise is broken.
    w.app.clock.advance(Duration::hours(24));
    sweep(&w.app).await;
    for id in &ids {
        let o = order(&w, *id).await;
        assert_eq!(rank_of(&o), Some(2), "order {id} moved on");
        assert_eq!(o["breach"], true, "order {id} flagged");
        let kinds: Vec<&str> = o["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["placed", "offered", "timed_out", "offered", "breach"]
        );
        // Repriced for rank 2.
        assert_eq!(o["lines"][0]["unit_price"]["amount"], "9.00");
    }
    let breaches = w
        .app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.template == "order-breach")
        .count();
    assert_eq!(breaches, 5);
    let moved = ids.clone();
    let feed: Vec<i64> = w
        .app
        .with_conn(move |conn| {
            let mut seqs = Vec::new();
            for id in moved {
                for a in centrale::db::orders::assignments_of(conn, id).unwrap() {
                    seqs.push(a.feed_seq);
                }
            }
            seqs
        })
        .await;
    let mut distinct = feed.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        feed.len(),
        "every feed change numbered once"
    );
    sweep(&w.app).await;
    let again = w
        .app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.template == "order-breach")
        .count();
    assert_eq!(again, 5, "flagged once");
}
