//! The supplier API: a supplier sees and answers only what was routed to it, polls a feed
//! that never misses or repeats a change, and drives the routing engine with its answers.

mod helpers;

use std::collections::{BTreeMap, BTreeSet};

use centrale::clock::Clock;
use centrale::db::Backend;
use centrale::ordering::{LineInput, PlaceOrder};
use centrale::parties::Role;
use chrono::Duration;
use helpers::{
    buyer_fixture, issue_client, lot_fixture, product_fixture, spawn_app, token, Buyer, LotFixture,
    TestApp,
};
use serde_json::{json, Value};

on_both_backends!(
    a_supplier_sees_and_answers_only_its_own_orders,
    accept_and_decline_drive_the_cascade,
    answers_after_the_deadline_are_refused_with_409,
    shipping_delivery_and_cancellation_answers,
    availability_updates_apply_to_routing_at_once,
    the_feed_misses_nothing_and_repeats_nothing_under_concurrent_changes,
);

struct World {
    app: TestApp,
    lot: LotFixture,
    buyer: Buyer,
    supplier_credentials: Vec<(String, String)>,
}

async fn world(backend: Backend) -> Option<World> {
    let app = spawn_app(backend).await?;
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "LOT-SUP", 3);
            product_fixture(
                conn,
                now,
                &lot,
                "SUP-1",
                "standard",
                &[Some("10.00"), Some("11.00"), Some("12.00")],
                &[],
            );
            lot
        })
        .await;
    let buyer = buyer_fixture(&app, 800, "fr").await;
    let mut supplier_credentials = Vec::new();
    for supplier in &lot.suppliers {
        supplier_credentials.push(issue_client(&app, Role::Supplier, Some(*supplier)).await);
    }
    Some(World {
        app,
        lot,
        buyer,
        supplier_credentials,
    })
}

impl World {
    async fn bearer(&self, rank: usize) -> String {
        let (id, secret) = &self.supplier_credentials[rank - 1];
        token(&self.app, id, secret).await
    }

    async fn call(
        &self,
        rank: usize,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let bearer = self.bearer(rank).await;
        let url = self.app.url(&format!("/api/v1{path}"));
        let request = match method {
            "GET" => self.app.client.get(url),
            "PUT" => self.app.client.put(url),
            _ => self.app.client.post(url),
        }
        .bearer_auth(bearer);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Places an order directly (as checkout would) and returns its id.
    async fn place(&self) -> i64 {
        let state = self.app.state.clone();
        let (institution_id, address) = (self.buyer.institution_id, self.buyer.address_id);
        self.app
            .with_conn(move |conn| {
                let principal = centrale::auth::Principal::system("test buyer");
                let input = PlaceOrder {
                    institution_id,
                    delivery_address_id: address,
                    buyer_reference: None,
                    lines: vec![LineInput {
                        sku: "SUP-1".into(),
                        quantity: 2,
                    }],
                };
                centrale::ordering::place(conn, &state.ordering(), &principal, &input).unwrap()[0]
            })
            .await
    }

    fn delivery_date(&self) -> String {
        self.app
            .state
            .calendar
            .add_working_days(self.app.clock.today(), 2)
            .to_string()
    }
}

async fn a_supplier_sees_and_answers_only_its_own_orders(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let id = w.place().await;
    let (status, feed) = w.call(1, "GET", "/supplier/orders", None).await;
    assert_eq!(status, 200);
    assert_eq!(feed["items"].as_array().unwrap().len(), 1);
    let item = &feed["items"][0];
    assert_eq!(item["id"], id);
    assert_eq!(item["supplier_status"], "awaiting_answer");
    assert_eq!(
        item["buyer"]["enterprise_number"].as_str().unwrap().len(),
        10
    );
    assert_eq!(item["lines"][0]["unit_price"]["amount"], "10.00");
    // Rank 2 was not offered the order: it sees nothing and cannot touch it.
    let (_, other_feed) = w.call(2, "GET", "/supplier/orders", None).await;
    assert!(other_feed["items"].as_array().unwrap().is_empty());
    let (status, problem) = w
        .call(2, "GET", &format!("/supplier/orders/{id}"), None)
        .await;
    assert_eq!(status, 404, "{problem}");
    let accept = json!({ "expected_delivery": w.delivery_date() });
    let (status, _) = w
        .call(
            2,
            "POST",
            &format!("/supplier/orders/{id}/accept"),
            Some(accept.clone()),
        )
        .await;
    assert_eq!(status, 404, "no leak: the order does not exist for rank 2");
    let (status, _) = w.call(1, "GET", "/supplier/orders/999999", None).await;
    assert_eq!(status, 404);
    // Institution and admin tokens are not supplier tokens.
    let buyer_token = token(&w.app, &w.buyer.client_id, &w.buyer.client_secret).await;
    let response = w
        .app
        .client
        .get(w.app.url("/api/v1/supplier/orders"))
        .bearer_auth(buyer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        w.app
            .client
            .get(w.app.url("/api/v1/supplier/orders"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // A suspended supplier's clients stop at once, valid token or not.
    let bearer = w.bearer(1).await;
    let first = w.lot.suppliers[0];
    w.app
        .with_conn(move |conn| {
            use diesel::prelude::*;
            centrale::with_conn!(conn, |c| diesel::update(
                centrale::db::schema::suppliers::table.find(first)
            )
            .set(centrale::db::schema::suppliers::status.eq("suspended"))
            .execute(c))
            .unwrap();
        })
        .await;
    let response = w
        .app
        .client
        .get(w.app.url("/api/v1/supplier/orders"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

async fn accept_and_decline_drive_the_cascade(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let id = w.place().await;
    let decline = json!({ "reason_code": "out_of_stock", "reason": "back in 3 weeks" });
    let (status, body) = w
        .call(
            1,
            "POST",
            &format!("/supplier/orders/{id}/decline"),
            Some(decline.clone()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["supplier_status"], "declined");
    assert!(
        body["lines"][0]["unit_price"].is_null() && body["totals"].is_null(),
        "no rival prices: {body}"
    );
    // Declining again is harmless.
    let (status, body) = w
        .call(
            1,
            "POST",
            &format!("/supplier/orders/{id}/decline"),
            Some(decline),
        )
        .await;
    assert_eq!(
        (status, body["supplier_status"].as_str()),
        (200, Some("declined"))
    );
    let (_, feed) = w.call(2, "GET", "/supplier/orders", None).await;
    assert_eq!(feed["items"][0]["id"], id, "now offered to rank 2");
    assert_eq!(
        feed["items"][0]["lines"][0]["unit_price"]["amount"], "11.00",
        "at rank 2's price"
    );
    let accept = json!({ "expected_delivery": w.delivery_date(), "supplier_reference": "SO-77" });
    let (status, body) = w
        .call(
            2,
            "POST",
            &format!("/supplier/orders/{id}/accept"),
            Some(accept.clone()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["supplier_status"], "confirmed");
    let (status, again) = w
        .call(
            2,
            "POST",
            &format!("/supplier/orders/{id}/accept"),
            Some(accept),
        )
        .await;
    assert_eq!(status, 200, "the same answer again is harmless: {again}");
    let orders = w
        .app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.template == "order-confirmed")
        .count();
    assert_eq!(
        orders, 1,
        "one confirmation, however often the supplier repeats itself"
    );
    // Bad input is explained.
    let (status, problem) = w
        .call(
            2,
            "POST",
            &format!("/supplier/orders/{id}/decline"),
            Some(json!({ "reason_code": "bored" })),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "reason_code");
}

async fn answers_after_the_deadline_are_refused_with_409(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let id = w.place().await;
    w.app.clock.advance(Duration::hours(4));
    let accept = json!({ "expected_delivery": w.delivery_date() });
    let (status, problem) = w
        .call(
            1,
            "POST",
            &format!("/supplier/orders/{id}/accept"),
            Some(accept.clone()),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("deadline"),
        "{problem}"
    );
    centrale::worker::run_once(&w.app.state).await.unwrap();
    let (status, problem) = w
        .call(
            1,
            "POST",
            &format!("/supplier/orders/{id}/accept"),
            Some(accept),
        )
        .await;
    assert_eq!(status, 409);
    assert!(
        problem["detail"].as_str().unwrap().contains("no longer"),
        "{problem}"
    );
    let (_, item) = w
        .call(1, "GET", &format!("/supplier/orders/{id}"), None)
        .await;
    assert_eq!(item["supplier_status"], "timed_out");
    // A delivery date past the 7-working-day promise is refused.
    let late = w
        .app
        .state
        .calendar
        .add_working_days(w.app.clock.today(), 9)
        .to_string();
    let (status, problem) = w
        .call(
            2,
            "POST",
            &format!("/supplier/orders/{id}/accept"),
            Some(json!({ "expected_delivery": late })),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
}

async fn shipping_delivery_and_cancellation_answers(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let id = w.place().await;
    w.call(
        1,
        "POST",
        &format!("/supplier/orders/{id}/accept"),
        Some(json!({ "expected_delivery": w.delivery_date() })),
    )
    .await;
    let today = w.app.clock.today().to_string();
    let (status, body) = w
        .call(
            1,
            "POST",
            &format!("/supplier/orders/{id}/ship"),
            Some(json!({ "date": today, "carrier": "bpost", "tracking": "CD123" })),
        )
        .await;
    assert_eq!(
        (status, body["supplier_status"].as_str()),
        (200, Some("shipped")),
        "{body}"
    );
    let (status, _) = w
        .call(
            1,
            "POST",
            &format!("/supplier/orders/{id}/ship"),
            Some(json!({ "date": today })),
        )
        .await;
    assert_eq!(status, 200, "repeat is harmless");
    let (status, body) = w
        .call(
            1,
            "POST",
            &format!("/supplier/orders/{id}/deliver"),
            Some(json!({ "date": today })),
        )
        .await;
    assert_eq!(
        (status, body["supplier_status"].as_str()),
        (200, Some("delivered"))
    );
    let future = (w.app.clock.today() + chrono::Days::new(2)).to_string();
    let second = w.place().await;
    w.call(
        1,
        "POST",
        &format!("/supplier/orders/{second}/accept"),
        Some(json!({ "expected_delivery": w.delivery_date() })),
    )
    .await;
    let (status, _) = w
        .call(
            1,
            "POST",
            &format!("/supplier/orders/{second}/ship"),
            Some(json!({ "date": future })),
        )
        .await;
    assert_eq!(status, 422, "no shipment in the future");
    let (_, feed) = w.call(1, "GET", "/supplier/orders", None).await;
    let item_cursor_before = feed["next_cursor"].as_str().unwrap().to_owned();
    // The institution asks to cancel; the supplier sees it in its feed and refuses.
    let state = w.app.state.clone();
    let principal = centrale::auth::Principal::system("institution");
    w.app
        .with_conn(move |conn| {
            centrale::ordering::cancel(conn, &state.ordering(), &principal, second).unwrap()
        })
        .await;
    let (_, item) = w
        .call(1, "GET", &format!("/supplier/orders/{second}"), None)
        .await;
    assert_eq!(item["supplier_status"], "cancellation_requested");
    let (_, feed) = w
        .call(
            1,
            "GET",
            &format!("/supplier/orders?cursor={}", item_cursor_before),
            None,
        )
        .await;
    assert!(
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == second && i["supplier_status"] == "cancellation_requested"),
        "the request appears in the feed after the cursor the supplier had: {feed}"
    );
    let (status, body) = w
        .call(
            1,
            "POST",
            &format!("/supplier/orders/{second}/cancellation"),
            Some(json!({ "accept": false })),
        )
        .await;
    assert_eq!(
        (status, body["supplier_status"].as_str()),
        (200, Some("confirmed"))
    );
    assert!(w
        .app
        .outbox()
        .await
        .iter()
        .any(|m| m.template == "order-cancellation-refused"));
    let (status, _) = w
        .call(
            1,
            "POST",
            &format!("/supplier/orders/{second}/cancellation"),
            Some(json!({ "accept": true })),
        )
        .await;
    assert_eq!(status, 409, "no cancellation pending any more");
}

async fn availability_updates_apply_to_routing_at_once(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    // The catalogue in memory is current before the change, stale right after it: the
    // checkout must not route from it then.
    let (_, catalogue) = w.app.get_json("/api/v1/catalogue/products?q=sup-1").await;
    assert_eq!(catalogue["items"][0]["current_price"]["cascade_rank"], 1);
    let until = (w.app.clock.today() + chrono::Days::new(10)).to_string();
    let (status, body) = w
        .call(1, "PUT", "/supplier/availability", Some(json!({ "items": [{ "sku": "sup-1", "available": false, "unavailable_until": until }] })))
        .await;
    assert_eq!((status, body["updated"].as_i64()), (200, Some(1)), "{body}");
    let id = w.place().await;
    let (_, item) = w
        .call(2, "GET", &format!("/supplier/orders/{id}"), None)
        .await;
    assert_eq!(
        item["cascade_rank"], 2,
        "rank 1 is skipped while out of stock"
    );
    // Rebuilt (a catalogue page does it, as the worker does), the snapshot routes the same way.
    let (_, catalogue) = w.app.get_json("/api/v1/catalogue/products?q=sup-1").await;
    assert_eq!(catalogue["items"][0]["current_price"]["cascade_rank"], 2);
    let id = w.place().await;
    let (_, item) = w
        .call(2, "GET", &format!("/supplier/orders/{id}"), None)
        .await;
    assert_eq!(item["cascade_rank"], 2, "routed from the rebuilt snapshot");
    let (status, problem) = w
        .call(1, "PUT", "/supplier/availability", Some(json!({ "items": [{ "sku": "SUP-1", "available": true }, { "sku": "NOT-MINE", "available": true }] })))
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "items[1].sku");
    let (_, catalogue) = w.app.get_json("/api/v1/catalogue/products?q=sup-1").await;
    assert_eq!(
        catalogue["items"][0]["current_price"]["cascade_rank"], 2,
        "all or nothing: still unavailable"
    );
    let (status, _) = w
        .call(
            1,
            "PUT",
            "/supplier/availability",
            Some(json!({ "items": [{ "sku": "SUP-1", "available": true }] })),
        )
        .await;
    assert_eq!(status, 200);
    let (_, catalogue) = w.app.get_json("/api/v1/catalogue/products?q=sup-1").await;
    assert_eq!(catalogue["items"][0]["current_price"]["cascade_rank"], 1);
    let id = w.place().await;
    let (_, item) = w
        .call(1, "GET", &format!("/supplier/orders/{id}"), None)
        .await;
    assert_eq!(
        item["cascade_rank"], 1,
        "back in stock, rank 1 gets orders again"
    );
}

/// A poller that stores `next_cursor` sees every change exactly once, even while orders are
/// placed and answered between its polls.
async fn the_feed_misses_nothing_and_repeats_nothing_under_concurrent_changes(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let state = w.app.state.clone();
    let (institution_id, address) = (w.buyer.institution_id, w.buyer.address_id);
    let place_many = move |count: usize| {
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = state.pool.get().unwrap();
            let principal = centrale::auth::Principal::system("bulk");
            for _ in 0..count {
                let input = PlaceOrder {
                    institution_id,
                    delivery_address_id: address,
                    buyer_reference: None,
                    lines: vec![LineInput {
                        sku: "SUP-1".into(),
                        quantity: 1,
                    }],
                };
                centrale::ordering::place(&mut conn, &state.ordering(), &principal, &input)
                    .unwrap();
            }
        })
    };
    place_many(600).await.unwrap();
    let writer = place_many(400);
    let bearer = w.bearer(1).await;
    let mut cursor = String::new();
    let mut seen: Vec<(i64, i64)> = Vec::new();
    let mut latest: BTreeMap<i64, String> = BTreeMap::new();
    let mut declined = BTreeSet::new();
    let mut writer = Some(writer);
    let started = std::time::Instant::now();
    loop {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(180),
            "the feed kept going"
        );
        let url = w.app.url(&format!(
            "/api/v1/supplier/orders?limit=100&cursor={cursor}"
        ));
        let page: Value = w
            .app
            .client
            .get(url)
            .bearer_auth(&bearer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            let id = item["id"].as_i64().unwrap();
            seen.push((item["cursor"].as_str().unwrap().parse().unwrap(), id));
            latest.insert(id, item["supplier_status"].as_str().unwrap().to_owned());
            // Answer some orders while polling: each answer is a change the feed must show.
            if id % 7 == 0 && item["supplier_status"] == "awaiting_answer" && declined.insert(id) {
                let state = w.app.state.clone();
                let supplier = w.lot.suppliers[0];
                tokio::task::spawn_blocking(move || {
                    let mut conn = state.pool.get().unwrap();
                    centrale::ordering::routing::decline(
                        &mut conn,
                        &state.ordering(),
                        id,
                        supplier,
                        "no stock",
                        "supplier",
                    )
                    .unwrap();
                })
                .await
                .unwrap();
            }
        }
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
        let writer_done = writer.as_ref().is_none_or(|w| w.is_finished());
        let caught_up = page["items"].as_array().unwrap().is_empty();
        if !page["has_more"].as_bool().unwrap() {
            // Stop only on an empty page: the declines just made are changes to read too.
            if writer_done && caught_up {
                if let Some(handle) = writer.take() {
                    handle.await.unwrap();
                    continue;
                }
                break;
            }
            // Caught up with a writer still at work: poll again shortly, as a client would.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    let cursors: Vec<i64> = seen.iter().map(|(c, _)| *c).collect();
    assert!(
        cursors.windows(2).all(|p| p[0] < p[1]),
        "strictly increasing: nothing repeated"
    );
    // Nothing missed: the last state seen of each order is its state now.
    let supplier = w.lot.suppliers[0];
    let truth = w
        .app
        .with_conn(move |conn| {
            use centrale::db::schema::order_assignments as a;
            use diesel::prelude::*;
            centrale::with_conn!(conn, |c| a::table
                .filter(a::supplier_id.eq(supplier))
                .select((a::order_id, a::outcome))
                .load::<(i64, Option<String>)>(c))
            .unwrap()
        })
        .await;
    assert_eq!(truth.len(), 1000);
    assert_eq!(
        latest.len(),
        1000,
        "every order offered to the supplier was seen"
    );
    for (order_id, outcome) in truth {
        let expected = match outcome.as_deref() {
            None => "awaiting_answer",
            Some(other) => other,
        };
        assert_eq!(latest[&order_id], expected, "order {order_id}");
    }
    assert!(!declined.is_empty());
}

/// On PostgreSQL a change is numbered by its transaction, and nobody waits on anybody to
/// write: a change in progress does not hold up another writer (with a shared counter locked
/// until commit the second would have waited for the first). A page holds back what a
/// transaction still running may yet commit below the numbers it returns, so the change that
/// committed second is not shown before the first one and a poller misses neither; the API
/// waits a moment for such a transaction rather than answer with an empty page.
#[actix_web::test]
async fn postgres_feed_holds_back_changes_of_transactions_in_flight() {
    let Some(w) = world(Backend::Postgres).await else {
        return;
    };
    let supplier = w.lot.suppliers[0];
    let ids = [w.place().await, w.place().await];
    let bearer = w.bearer(1).await;
    let before = w
        .app
        .get_json_as("/api/v1/supplier/orders?limit=100", &bearer)
        .await;
    let cursor: i64 = before["next_cursor"].as_str().unwrap().parse().unwrap();
    let state = w.app.state.clone();
    let (in_flight, committer) = tokio::task::spawn_blocking(move || {
        use centrale::db::orders as q;
        use diesel::connection::SimpleConnection;
        let mut conn = state.pool.get().unwrap();
        let mut early = state.pool.get().unwrap();
        let mut late = state.pool.get().unwrap();
        let raw = |conn: &mut centrale::db::Conn, sql: &str| {
            centrale::with_conn!(conn, |c| c.batch_execute(sql)).unwrap()
        };
        raw(&mut early, "BEGIN");
        q::touch_assignment(&mut early, ids[0], supplier).unwrap();
        // Would wait for `early` to commit if writers shared a locked row: fail, not hang.
        raw(&mut late, "BEGIN; SET LOCAL statement_timeout = 5000");
        q::touch_assignment(&mut late, ids[1], supplier).unwrap();
        raw(&mut late, "COMMIT");
        let page = q::feed(&mut conn, supplier, cursor, 100).unwrap();
        let in_flight: (Vec<i64>, bool) = (
            page.rows.iter().map(|row| row.order_id).collect(),
            page.held_back.is_some(),
        );
        // The first change commits while the API poll below is waiting for it.
        let committer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(150));
            raw(&mut early, "COMMIT");
        });
        (in_flight, committer)
    })
    .await
    .unwrap();
    assert_eq!(
        in_flight,
        (Vec::new(), true),
        "nothing after a change still in flight is shown, and the page says it held some back"
    );
    let page = w
        .app
        .get_json_as(
            &format!("/api/v1/supplier/orders?limit=100&cursor={cursor}"),
            &bearer,
        )
        .await;
    committer.join().unwrap();
    let order: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        order,
        vec![ids[0], ids[1]],
        "the poll waited for the first change: both, in number order"
    );
    let cursors: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["cursor"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        cursors.iter().all(|c| *c > cursor),
        "numbered after the cursor: {cursors:?}"
    );
}
