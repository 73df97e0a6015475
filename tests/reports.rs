//! Reports over a known history: every figure checked to the cent in the JSON API, the page's
//! tables, the CSV and the XLSX, with the authority and month filters; and the stored figures
//! behind them, always equal to a count from scratch.

mod helpers;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use centrale::auth::Principal;
use centrale::clock::Clock;
use centrale::db::Backend;
use centrale::domain::{Cents, Language};
use centrale::ordering::{self, routing, LineInput, PlaceOrder};
use centrale::parties::Role;
use centrale::reports::refresh;
use chrono::{NaiveDate, TimeZone, Utc};
use helpers::{
    institution_fixture, issue_client, lot_fixture, product_fixture, spawn_app_with, token, TestApp,
};
use serde_json::Value;

on_both_backends!(
    reports_add_up_to_the_cent_everywhere,
    report_filters_are_validated,
    stored_figures_always_equal_a_recount,
    refreshes_never_count_twice
);

struct History {
    app: TestApp,
    s: Vec<i64>,
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn set(app: &TestApp, y: i32, m: u32, d: u32, h: u32, min: u32) {
    app.clock
        .set(Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap());
}

async fn institution(
    app: &TestApp,
    seed: u32,
    authority: &'static str,
    status: &'static str,
) -> (i64, i64) {
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        institution_fixture(
            conn,
            now,
            seed,
            &format!("Institution {seed}"),
            authority,
            "fr",
            status,
        )
    })
    .await
}

async fn place(app: &TestApp, who: (i64, i64), lines: &[(&str, i64)]) -> i64 {
    let state = app.state.clone();
    let input = PlaceOrder {
        institution_id: who.0,
        delivery_address_id: who.1,
        buyer_reference: None,
        lines: lines
            .iter()
            .map(|(sku, quantity)| LineInput {
                sku: sku.to_string(),
                quantity: *quantity,
            })
            .collect(),
    };
    app.with_conn(move |conn| {
        ordering::place(conn, &state.ordering(), &Principal::system("test"), &input)
            .expect("placed")[0]
    })
    .await
}

async fn accept(app: &TestApp, id: i64, supplier: i64) {
    let state = app.state.clone();
    let date = state.calendar.add_working_days(app.clock.today(), 3);
    app.with_conn(move |conn| {
        routing::accept(conn, &state.ordering(), id, supplier, date, "supplier").expect("accepted")
    })
    .await
}

async fn decline(app: &TestApp, id: i64, supplier: i64) {
    let state = app.state.clone();
    app.with_conn(move |conn| {
        routing::decline(
            conn,
            &state.ordering(),
            id,
            supplier,
            "out of stock",
            "supplier",
        )
        .expect("declined")
    })
    .await;
}

async fn deliver(app: &TestApp, id: i64, supplier: i64, on: NaiveDate) {
    let state = app.state.clone();
    app.with_conn(move |conn| {
        routing::deliver(conn, &state.ordering(), id, supplier, on, "supplier").expect("delivered")
    })
    .await;
}

async fn sweep(app: &TestApp) {
    centrale::worker::run_once(&app.state)
        .await
        .expect("worker pass");
}

/// Six orders over January to March 2026 (all times UTC, Brussels is UTC+1):
/// O1 12 Jan COCOF, rank 1 accepts after 1 h, delivered on time;
/// O2 20 Jan IRISCARE, rank 1 declines, rank 2 accepts after 2 h, delivered 2 working days late;
/// O3 10 Feb COCOF, rank 1 times out, 24-hour breach, rank 2 accepts after 30 h, on time;
/// O4 16 Feb IRISCARE, cancelled before confirmation;
/// O5 2 Mar COCOF, every rank declines: unfulfilled;
/// O6 3 Mar COCOF, rank 1 accepts after 3 h, never delivered (overdue on 20 March).
async fn history(backend: Backend) -> Option<History> {
    let app = spawn_app_with(backend, |s| s.ordering.supplier_response_minutes = 20 * 60).await?;
    set(&app, 2026, 1, 5, 8, 0);
    let now = app.clock.now_naive();
    let lot = app
        .with_conn(move |conn| {
            let lot = lot_fixture(conn, now, "LOT-REP", 3);
            product_fixture(
                conn,
                now,
                &lot,
                "GLOVE",
                "standard",
                &[Some("10.00"), Some("9.00"), Some("11.50")],
                &[],
            );
            product_fixture(
                conn,
                now,
                &lot,
                "GEL",
                "reduced",
                &[Some("3.35"), Some("3.15"), Some("3.05")],
                &[],
            );
            lot
        })
        .await;
    let s = lot.suppliers.clone();
    let a = institution(&app, 801, "COCOF", "active").await;
    let b = institution(&app, 802, "IRISCARE", "active").await;
    institution(&app, 803, "VGC", "active").await;
    institution(&app, 804, "COCOF", "pending").await;
    institution(&app, 805, "IRISCARE", "suspended").await;

    set(&app, 2026, 1, 12, 9, 0);
    let o1 = place(&app, a, &[("GLOVE", 3), ("GEL", 2)]).await;
    set(&app, 2026, 1, 12, 10, 0);
    accept(&app, o1, s[0]).await;
    set(&app, 2026, 1, 14, 10, 0);
    deliver(&app, o1, s[0], day(2026, 1, 14)).await;

    set(&app, 2026, 1, 20, 9, 0);
    let o2 = place(&app, b, &[("GLOVE", 5)]).await;
    decline(&app, o2, s[0]).await;
    set(&app, 2026, 1, 20, 11, 0);
    accept(&app, o2, s[1]).await;
    set(&app, 2026, 2, 2, 10, 0);
    deliver(&app, o2, s[1], day(2026, 2, 2)).await;

    set(&app, 2026, 2, 10, 9, 0);
    let o3 = place(&app, a, &[("GEL", 4)]).await;
    set(&app, 2026, 2, 11, 5, 1);
    sweep(&app).await;
    set(&app, 2026, 2, 11, 9, 1);
    sweep(&app).await;
    set(&app, 2026, 2, 11, 15, 0);
    accept(&app, o3, s[1]).await;
    set(&app, 2026, 2, 18, 10, 0);
    deliver(&app, o3, s[1], day(2026, 2, 18)).await;

    set(&app, 2026, 2, 16, 9, 0);
    let o4 = place(&app, b, &[("GLOVE", 1)]).await;
    let state = app.state.clone();
    app.with_conn(move |conn| {
        ordering::cancel(conn, &state.ordering(), &Principal::system("test"), o4)
            .expect("cancelled")
    })
    .await;

    set(&app, 2026, 3, 2, 9, 0);
    let o5 = place(&app, a, &[("GLOVE", 2)]).await;
    for supplier in &s {
        decline(&app, o5, *supplier).await;
    }

    set(&app, 2026, 3, 3, 9, 0);
    let o6 = place(&app, a, &[("GLOVE", 10)]).await;
    set(&app, 2026, 3, 3, 12, 0);
    accept(&app, o6, s[0]).await;

    set(&app, 2026, 3, 20, 10, 0);
    let statuses: Vec<String> = app
        .with_conn(move |conn| {
            [o1, o2, o3, o4, o5, o6]
                .iter()
                .map(|id| {
                    centrale::db::orders::order(conn, *id)
                        .unwrap()
                        .unwrap()
                        .status
                })
                .collect()
        })
        .await;
    assert_eq!(
        statuses,
        [
            "delivered",
            "delivered",
            "delivered",
            "cancelled",
            "unfulfilled",
            "confirmed"
        ]
    );
    Some(History { app, s })
}

async fn api(app: &TestApp, path: &str) -> (u16, Value) {
    let (id, secret) = issue_client(app, Role::Admin, None).await;
    let bearer = token(app, &id, &secret).await;
    let response = helpers::get_with_token(app, path, &bearer).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn eur(cents: i64) -> String {
    Cents::new(cents).format(Language::Fr)
}

/// The rows of a table of the page (`<th>` and `<td>` texts), body only.
/// The text of a cell, without the markup of a link inside it.
fn strip_tags(cell: &str) -> String {
    let mut text = String::with_capacity(cell.len());
    let mut in_tag = false;
    for c in cell.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

fn table_rows(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no table {id}"));
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            let mut cells = Vec::new();
            let mut rest = row;
            while let Some(open) = rest.find("<t") {
                let after = &rest[open + 2..];
                if !(after.starts_with('h') || after.starts_with('d')) {
                    rest = after;
                    continue;
                }
                let content_start = open + rest[open..].find('>').unwrap() + 1;
                let close = rest[content_start..].find("</t").unwrap() + content_start;
                cells.push(strip_tags(rest[content_start..close].trim()).replace("&#x27;", "'"));
                rest = &rest[close + 3..];
            }
            cells
        })
        .collect()
}

async fn reports_add_up_to_the_cent_everywhere(backend: Backend) {
    let Some(History { app, s }) = history(backend).await else {
        return;
    };
    let q = "from=2026-01&until=2026-03";

    // JSON
    let (status, members) = api(&app, &format!("/api/v1/admin/reports/members?{q}")).await;
    assert_eq!(status, 200, "{members}");
    let count_of = |code: &str| {
        members["data"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["authority"] == code)
            .map(|r| r["members"].as_i64().unwrap())
    };
    assert_eq!(
        count_of("COCOF"),
        Some(1),
        "the pending institution is no member"
    );
    assert_eq!(count_of("IRISCARE"), Some(1), "nor the suspended one");
    assert_eq!(count_of("VGC"), Some(1));
    assert_eq!(count_of("RBC"), Some(0));
    assert_eq!(members["data"]["total"], 3);

    let (_, months) = api(&app, &format!("/api/v1/admin/reports/months?{q}")).await;
    let rows = months["data"]["rows"].as_array().unwrap();
    let figures: Vec<(String, i64, i64, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["month"].as_str().unwrap().to_owned(),
                r["orders"].as_i64().unwrap(),
                r["net_cents"].as_i64().unwrap(),
                r["vat_cents"].as_i64().unwrap(),
                r["gross_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    // O1: 3 × 10.00 at 21 % + 2 × 3.35 at 6 % (0.402 → 0.40); O2: 5 × 9.00 (rank 2's price);
    // O3: 4 × 3.15 at 6 % (0.756 → 0.76); O6: 10 × 10.00. O4 (cancelled), O5 (unfulfilled) do not count.
    assert_eq!(
        figures,
        [
            ("2026-01".to_owned(), 2, 8170, 1615, 9785),
            ("2026-02".to_owned(), 1, 1260, 76, 1336),
            ("2026-03".to_owned(), 1, 10000, 2100, 12100),
        ]
    );
    let total = &months["data"]["total"];
    assert_eq!(
        (
            total["orders"].as_i64(),
            total["net_cents"].as_i64(),
            total["vat_cents"].as_i64(),
            total["gross_cents"].as_i64()
        ),
        (Some(4), Some(19430), Some(3791), Some(23221))
    );

    let (_, products) = api(&app, &format!("/api/v1/admin/reports/products?{q}")).await;
    let p: Vec<(String, i64, i64, i64)> = products["data"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["sku"].as_str().unwrap().to_owned(),
                r["quantity"].as_i64().unwrap(),
                r["net_cents"].as_i64().unwrap(),
                r["gross_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        p,
        [
            ("GLOVE".to_owned(), 18, 17500, 21175),
            ("GEL".to_owned(), 6, 1930, 2046)
        ]
    );

    let (_, lots) = api(&app, &format!("/api/v1/admin/reports/lots?{q}")).await;
    let lot = &lots["data"]["rows"][0];
    assert_eq!(lot["reference"], "LOT-REP");
    assert_eq!(
        (
            lot["orders"].as_i64(),
            lot["quantity"].as_i64(),
            lot["net_cents"].as_i64(),
            lot["vat_cents"].as_i64(),
            lot["gross_cents"].as_i64()
        ),
        (Some(4), Some(24), Some(19430), Some(3791), Some(23221))
    );

    let (_, ranks) = api(&app, &format!("/api/v1/admin/reports/ranks?{q}")).await;
    let r: Vec<(i64, i64, i64, i64, i64, Value)> = ranks["data"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rank"].as_i64().unwrap(),
                r["offered"].as_i64().unwrap(),
                r["accepted"].as_i64().unwrap(),
                r["declined"].as_i64().unwrap(),
                r["timed_out"].as_i64().unwrap(),
                r["failed_share"].clone(),
            )
        })
        .collect();
    assert_eq!(r[0], (1, 6, 2, 2, 1, Value::from("0.5")));
    assert_eq!((r[1].1, r[1].2, r[1].3, r[1].4), (3, 2, 1, 0));
    assert_eq!(
        (r[2].1, r[2].2, r[2].3, r[2].4, r[2].5.clone()),
        (1, 0, 1, 0, Value::from("1"))
    );
    assert_eq!(r[3].5, Value::Null);
    assert_eq!(ranks["data"]["rank1_failed_share"], "0.5");

    let (_, suppliers) = api(&app, &format!("/api/v1/admin/reports/suppliers?{q}")).await;
    let sup = |id: i64| {
        suppliers["data"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["supplier_id"] == id)
            .unwrap()
            .clone()
    };
    let (s1, s2, s3) = (sup(s[0]), sup(s[1]), sup(s[2]));
    assert_eq!(
        (
            s1["offered"].as_i64(),
            s1["accepted"].as_i64(),
            s1["declined"].as_i64(),
            s1["timed_out"].as_i64()
        ),
        (Some(6), Some(2), Some(2), Some(1))
    );
    assert_eq!(
        (
            s1["orders"].as_i64(),
            s1["net_cents"].as_i64(),
            s1["gross_cents"].as_i64()
        ),
        (Some(2), Some(13670), Some(16440))
    );
    assert_eq!(
        (
            s2["orders"].as_i64(),
            s2["net_cents"].as_i64(),
            s2["gross_cents"].as_i64()
        ),
        (Some(2), Some(5760), Some(6781))
    );
    assert_eq!(
        (
            s3["offered"].as_i64(),
            s3["declined"].as_i64(),
            s3["orders"].as_i64(),
            s3["gross_cents"].as_i64()
        ),
        (Some(1), Some(1), Some(0), Some(0))
    );

    let (_, service) = api(&app, &format!("/api/v1/admin/reports/service?{q}")).await;
    let sl = &service["data"];
    assert_eq!(sl["orders_considered"], 5);
    assert_eq!(sl["confirmed_within_24h"], 3);
    assert_eq!(sl["confirmed_within_24h_share"], "0.6");
    assert_eq!(
        sl["median_minutes_to_confirmation"], 150,
        "1 h, 2 h, 3 h, 30 h"
    );
    assert_eq!(sl["median_hours_to_confirmation"], "2.5");
    assert_eq!(
        (sl["delivered"].as_i64(), sl["delivered_on_time"].as_i64()),
        (Some(3), Some(2))
    );

    let (_, breaches) = api(&app, &format!("/api/v1/admin/reports/breaches?{q}")).await;
    let b: Vec<(String, String, Value)> = breaches["data"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["reference"].as_str().unwrap().to_owned(),
                r["kind"].as_str().unwrap().to_owned(),
                r["working_days_late"].clone(),
            )
        })
        .collect();
    let reference = |n: usize| format!("CMD-{:06}", n);
    assert_eq!(
        b,
        [
            (reference(6), "overdue".to_owned(), Value::from(6)),
            (reference(3), "confirmation".to_owned(), Value::Null),
            (reference(2), "delivery".to_owned(), Value::from(2)),
        ],
        "newest first"
    );
    assert_eq!(breaches["data"]["total"], 3);
    assert_eq!(breaches["from"], "2026-01");
    assert_eq!(breaches["until"], "2026-03");

    // Filters: one authority, one month.
    let (_, cocof) = api(
        &app,
        &format!("/api/v1/admin/reports/months?{q}&authority=COCOF"),
    )
    .await;
    let t = &cocof["data"]["total"];
    assert_eq!(
        (
            t["orders"].as_i64(),
            t["net_cents"].as_i64(),
            t["vat_cents"].as_i64(),
            t["gross_cents"].as_i64()
        ),
        (Some(3), Some(14930), Some(2846), Some(17776))
    );
    // Each order counts under its institution's authority and under all of them.
    let (_, iris) = api(
        &app,
        &format!("/api/v1/admin/reports/months?{q}&authority=IRISCARE"),
    )
    .await;
    let t = &iris["data"]["total"];
    assert_eq!(
        (
            t["orders"].as_i64(),
            t["net_cents"].as_i64(),
            t["vat_cents"].as_i64(),
            t["gross_cents"].as_i64()
        ),
        (Some(1), Some(4500), Some(945), Some(5445)),
        "O2 alone; with COCOF's three, the total of all"
    );
    let (_, vgc) = api(
        &app,
        &format!("/api/v1/admin/reports/suppliers?{q}&authority=VGC"),
    )
    .await;
    assert_eq!(vgc["data"]["rows"].as_array().unwrap().len(), 0);
    let (_, cocof_service) = api(
        &app,
        &format!("/api/v1/admin/reports/service?{q}&authority=COCOF"),
    )
    .await;
    assert_eq!(
        cocof_service["data"]["median_minutes_to_confirmation"], 180,
        "O1 1 h, O3 30 h, O6 3 h"
    );
    let (_, cocof_breaches) = api(
        &app,
        &format!("/api/v1/admin/reports/breaches?{q}&authority=COCOF"),
    )
    .await;
    assert_eq!(cocof_breaches["data"]["total"], 2, "O6 and O3");
    let (_, cocof_members) = api(
        &app,
        &format!("/api/v1/admin/reports/members?{q}&authority=COCOF"),
    )
    .await;
    assert_eq!(cocof_members["data"]["rows"].as_array().unwrap().len(), 1);
    assert_eq!(cocof_members["data"]["total"], 1);
    let (_, iris_ranks) = api(
        &app,
        &format!("/api/v1/admin/reports/ranks?{q}&authority=IRISCARE"),
    )
    .await;
    assert_eq!(iris_ranks["data"]["rows"][0]["offered"], 2, "O2 and O4");
    let (_, february) = api(
        &app,
        "/api/v1/admin/reports/months?from=2026-02&until=2026-02",
    )
    .await;
    let rows = february["data"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["orders"].as_i64(), rows[0]["gross_cents"].as_i64()),
        (Some(1), Some(1336))
    );
    // Reports cover whole months: a date stands for the month it falls in.
    let (_, january) = api(
        &app,
        "/api/v1/admin/reports/months?from=2026-01-12&until=2026-01-12",
    )
    .await;
    assert_eq!(january["from"], "2026-01");
    assert_eq!(january["data"]["total"]["orders"], 2, "O1 and O2");
    let (_, december) = api(
        &app,
        "/api/v1/admin/reports/months?from=2025-12&until=2025-12",
    )
    .await;
    assert_eq!(december["data"]["total"]["orders"], 0);

    // The page: every figure in the tables.
    app.create_admin("admin@centrale.example", "admin long password")
        .await;
    let login = app
        .login("admin@centrale.example", "admin long password")
        .await;
    assert_eq!(login.status(), 303);
    let (status, html) = app.get_text(&format!("/admin/reports?{q}&lang=fr")).await;
    assert_eq!(status, 200);
    assert_eq!(
        html.matches(r#"role="img""#).count(),
        7,
        "one chart per report but the list of breaches"
    );
    assert!(html.contains("<title id=\"chart-months-title\">Commandes et ventes par mois</title>"));
    let months_table = table_rows(&html, "table-months");
    assert_eq!(
        months_table,
        vec![
            vec![
                "2026-01".to_owned(),
                "2".into(),
                eur(8170),
                eur(1615),
                eur(9785)
            ],
            vec![
                "2026-02".to_owned(),
                "1".into(),
                eur(1260),
                eur(76),
                eur(1336)
            ],
            vec![
                "2026-03".to_owned(),
                "1".into(),
                eur(10000),
                eur(2100),
                eur(12100)
            ],
            vec![
                "Total".to_owned(),
                "4".into(),
                eur(19430),
                eur(3791),
                eur(23221)
            ],
        ]
    );
    let members_table = table_rows(&html, "table-members");
    assert!(members_table.contains(&vec![
        "Commission communautaire française (COCOF)".to_owned(),
        "1".into()
    ]));
    assert_eq!(
        members_table.last().unwrap(),
        &vec!["Total".to_owned(), "3".into()]
    );
    assert_eq!(
        table_rows(&html, "table-products"),
        vec![
            vec![
                "GLOVE".to_owned(),
                "Produit GLOVE".into(),
                "LOT-REP".into(),
                "18".into(),
                eur(17500),
                eur(21175)
            ],
            vec![
                "GEL".to_owned(),
                "Produit GEL".into(),
                "LOT-REP".into(),
                "6".into(),
                eur(1930),
                eur(2046)
            ],
        ]
    );
    assert_eq!(
        table_rows(&html, "table-lots")[0][2..],
        [
            String::from("4"),
            "24".into(),
            eur(19430),
            eur(3791),
            eur(23221)
        ]
    );
    assert_eq!(
        table_rows(&html, "table-ranks")[0],
        ["1", "6", "2", "2", "1", "50,0\u{a0}%"]
    );
    let service_table = table_rows(&html, "table-service");
    assert_eq!(service_table[2][1], "60,0\u{a0}%");
    assert_eq!(service_table[3][1], "2,50");
    assert_eq!(service_table[6][1], "66,7\u{a0}%");
    let breach_table = table_rows(&html, "table-breaches");
    assert_eq!(breach_table.len(), 3);
    assert_eq!(breach_table[2][0], reference(2));
    assert_eq!(breach_table[2][2], "Livraison tardive");
    assert_eq!(breach_table[2][8], "2");
    assert_eq!(breach_table[1][5], "30,00");
    assert!(html.contains(r#"type="month""#));
    assert!(html.contains(r#"value="2026-01""#));
    assert!(html.contains("Les rapports couvrent des mois entiers"));
    // Each breach links to the order's page in the back office, read-only there.
    let breached = breaches["data"]["rows"][2]["order_id"].as_i64().unwrap();
    let href = format!("/admin/orders/{breached}");
    assert!(html.contains(&format!(r#"<a href="{href}">{}</a>"#, reference(2))));
    let (status, order_page) = app.get_text(&format!("{href}?lang=fr")).await;
    assert_eq!(status, 200);
    assert!(order_page.contains(&reference(2)));
    assert!(order_page.contains("<dt>Institution</dt>"));
    assert!(
        !order_page.contains("/cancel\""),
        "the authority does not cancel for the institution"
    );
    // Dutch headings and amounts.
    let (_, html_nl) = app.get_text(&format!("/admin/reports?{q}&lang=nl")).await;
    assert!(html_nl.contains("Bestellingen en verkoop per maand"));
    assert_eq!(
        table_rows(&html_nl, "table-months")[3][4],
        Cents::new(23221).format(Language::Nl)
    );

    // CSV
    let response = app
        .get(&format!("/admin/reports/months.csv?{q}&lang=fr"))
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = response.text().await.unwrap();
    assert_eq!(
        csv.trim_start_matches('\u{feff}'),
        "Mois,Commandes,Hors TVA,TVA,TVA comprise\r\n2026-01,2,81.70,16.15,97.85\r\n2026-02,1,12.60,0.76,13.36\r\n2026-03,1,100.00,21.00,121.00\r\nTotal,4,194.30,37.91,232.21\r\n"
    );
    let csv = app
        .get(&format!("/admin/reports/suppliers.csv?{q}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains(",6,2,2,1,2,136.70,164.40\r\n"), "{csv}");
    let csv = app
        .get(&format!("/admin/reports/ranks.csv?{q}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("\r\n1,6,2,2,1,0.5\r\n2,3,2,1,0,0.3333\r\n"),
        "{csv}"
    );

    let csv = app
        .get(&format!("/admin/reports/breaches.csv?{q}&lang=fr"))
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].starts_with(&format!("{},", reference(6))), "{csv}");
    assert!(lines[2].contains(",Confirmation après 24 heures,"), "{csv}");
    assert!(lines[3].ends_with(",2026-02-02,2"), "{csv}");

    // XLSX: one workbook, a sheet per report.
    let response = app
        .get(&format!("/admin/reports/all.xlsx?{q}&lang=fr"))
        .await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap().to_vec();
    let mut workbook = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(workbook.sheet_names().len(), 8);
    let months = workbook.worksheet_range("Ventes par mois").unwrap();
    let rows: Vec<_> = months.rows().collect();
    assert_eq!(rows[1][0], Data::String("2026-01".into()));
    assert_eq!(rows[1][1], Data::Float(2.0));
    assert_eq!(rows[1][2], Data::Float(81.70));
    assert_eq!(rows[1][3], Data::Float(16.15));
    assert_eq!(rows[4][4], Data::Float(232.21));
    let breaches = workbook.worksheet_range("Dépassements").unwrap();
    let rows: Vec<_> = breaches.rows().collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[3][0], Data::String(reference(2)));
    assert_eq!(rows[3][8], Data::Float(2.0));
    let products = workbook.worksheet_range("Ventes par produit").unwrap();
    assert_eq!(products.rows().nth(2).unwrap()[5], Data::Float(20.46));
    let response = app
        .get(&format!(
            "/admin/reports/lots.xlsx?{q}&authority=COCOF&lang=fr"
        ))
        .await;
    let mut one = Xlsx::new(Cursor::new(response.bytes().await.unwrap().to_vec())).unwrap();
    let lots = one.worksheet_range("Ventes par lot").unwrap();
    assert_eq!(lots.rows().nth(1).unwrap()[6], Data::Float(177.76));
}

async fn report_filters_are_validated(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let (status, body) = api(&app, "/api/v1/admin/reports/months?from=2026-02-30").await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "from");
    let (status, body) = api(
        &app,
        "/api/v1/admin/reports/months?from=2026-03-01&until=2026-02-01",
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["code"], "report-range-reversed");
    let (status, body) = api(&app, "/api/v1/admin/reports/months?authority=NOPE").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "authority");
    let (status, _) = api(&app, "/api/v1/admin/reports/nothing").await;
    assert_eq!(status, 404);
    let (status, body) = api(&app, "/api/v1/admin/reports/months?until=2026-3").await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["code"], "report-month-invalid");
    // Default period: the last twelve months, the current one included.
    let (status, body) = api(&app, "/api/v1/admin/reports/months").await;
    assert_eq!(status, 200);
    assert_eq!(body["from"], "2025-04");
    assert_eq!(body["until"], "2026-03");
    assert_eq!(body["data"]["rows"].as_array().unwrap().len(), 12);

    // Not for other roles.
    let response = app
        .client
        .get(app.url("/api/v1/admin/reports/months"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let (status, _) = app.get_text("/admin/reports").await;
    assert_eq!(status, 303, "anonymous visitors are sent to log in");
    let (status, _) = app.get_text("/admin/orders/1").await;
    assert_eq!(status, 303, "anonymous visitors are sent to log in");

    app.create_admin("admin@centrale.example", "admin long password")
        .await;
    app.login("admin@centrale.example", "admin long password")
        .await;
    let (status, html) = app.get_text("/admin/reports?from=2026-13-01&lang=nl").await;
    assert_eq!(status, 422);
    assert!(html.contains("Geef een maand in de vorm JJJJ-MM."));
    assert!(html.contains(r#"value="2026-13-01""#), "the input is kept");
    let (status, _) = app.get_text("/admin/reports/months.pdf").await;
    assert_eq!(status, 404);
    let (status, text) = app
        .get_text("/admin/reports/months.csv?authority=NOPE&lang=fr")
        .await;
    assert_eq!(status, 422);
    assert!(text.contains("Cette autorité compétente n'existe pas."));
}

/// Folds in what is pending, then checks the stored figures against a count from scratch.
async fn consistent(app: &TestApp, step: &'static str) {
    app.with_conn(move |conn| {
        refresh::catch_up(conn).expect("refresh");
        assert!(!refresh::pending(conn).unwrap(), "{step}: nothing pending");
        let stored = refresh::stored(conn).unwrap();
        let recount = refresh::recount(conn).unwrap();
        assert_eq!(stored, recount, "{step}: stored figures equal a recount");
        assert!(!stored.is_empty(), "{step}");
    })
    .await
}

/// The supplier the order is offered to now.
async fn holder(app: &TestApp, id: i64) -> i64 {
    app.with_conn(move |conn| centrale::db::orders::order(conn, id).unwrap().unwrap())
        .await
        .current_supplier_id
        .expect("offered to a supplier")
}

async fn lot_of_two(app: &TestApp) -> Vec<i64> {
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let lot = lot_fixture(conn, now, "LOT-LIFE", 3);
        product_fixture(
            conn,
            now,
            &lot,
            "MASK",
            "standard",
            &[Some("1.03"), Some("0.99"), Some("1.07")],
            &[],
        );
        product_fixture(
            conn,
            now,
            &lot,
            "WIPE",
            "reduced",
            &[Some("2.35"), Some("2.15"), Some("2.05")],
            &[],
        );
        lot.suppliers
    })
    .await
}

/// Every step of an order's life moves the stored figures exactly as a recount would.
async fn stored_figures_always_equal_a_recount(backend: Backend) {
    // Suppliers get 30 hours to answer, so an answer can come after the 24-hour promise.
    let Some(app) =
        spawn_app_with(backend, |s| s.ordering.supplier_response_minutes = 30 * 60).await
    else {
        return;
    };
    let s = lot_of_two(&app).await;
    let a = institution(&app, 811, "COCOF", "active").await;
    let b = institution(&app, 812, "IRISCARE", "active").await;

    set(&app, 2026, 3, 10, 9, 0);
    let o1 = place(&app, a, &[("MASK", 7), ("WIPE", 3)]).await;
    consistent(&app, "placed").await;
    set(&app, 2026, 3, 10, 9, 30);
    accept(&app, o1, s[0]).await;
    consistent(&app, "confirmed").await;

    let o2 = place(&app, b, &[("MASK", 11), ("WIPE", 5)]).await;
    decline(&app, o2, s[0]).await;
    let state = app.state.clone();
    let due = state.calendar.add_working_days(app.clock.today(), 3);
    let s1 = s[1];
    let remainder = app
        .with_conn(move |conn| {
            routing::accept_partially(
                conn,
                &state.ordering(),
                o2,
                s1,
                due,
                &["WIPE".to_owned()],
                "supplier",
            )
            .expect("partly accepted")
            .expect("a remainder")
        })
        .await;
    consistent(&app, "partly accepted").await;
    accept(&app, remainder, holder(&app, remainder).await).await;
    consistent(&app, "remainder confirmed").await;

    set(&app, 2026, 3, 12, 10, 0);
    let state = app.state.clone();
    let s0 = s[0];
    app.with_conn(move |conn| {
        routing::ship(
            conn,
            &state.ordering(),
            o1,
            s0,
            day(2026, 3, 12),
            Some("bpost"),
            None,
            "supplier",
        )
        .expect("shipped")
    })
    .await;
    consistent(&app, "shipped").await;
    set(&app, 2026, 3, 25, 10, 0);
    deliver(&app, o1, s[0], day(2026, 3, 25)).await;
    consistent(&app, "delivered late").await;

    let state = app.state.clone();
    app.with_conn(move |conn| {
        let ctx = state.ordering();
        ordering::cancel(conn, &ctx, &Principal::system("test"), o2).expect("requested");
        routing::answer_cancellation(conn, &ctx, o2, s1, true, "supplier").expect("cancelled")
    })
    .await;
    consistent(&app, "cancelled after confirmation").await;

    let o3 = place(&app, a, &[("MASK", 2)]).await;
    set(&app, 2026, 3, 26, 11, 0);
    sweep(&app).await;
    consistent(&app, "flagged").await;
    set(&app, 2026, 3, 26, 12, 0);
    accept(&app, o3, holder(&app, o3).await).await;

    let o4 = place(&app, b, &[("WIPE", 1)]).await;
    let state = app.state.clone();
    app.with_conn(move |conn| {
        ordering::cancel(conn, &state.ordering(), &Principal::system("test"), o4)
            .expect("cancelled")
    })
    .await;
    consistent(&app, "late confirmation, cancelled before confirmation").await;

    // Confirmed after 25 hours with no sweep in between: late, never flagged.
    let o5 = place(&app, b, &[("MASK", 4)]).await;
    set(&app, 2026, 3, 27, 13, 0);
    accept(&app, o5, holder(&app, o5).await).await;
    consistent(&app, "late confirmation nobody flagged").await;

    // The API shows what was stored: O1 delivered late, O2's kept lines cancelled with it,
    // its remainder confirmed and overdue, O3 confirmed after the 24-hour flag, O5 late.
    let (_, months) = api(
        &app,
        "/api/v1/admin/reports/months?from=2026-03&until=2026-03",
    )
    .await;
    assert_eq!(months["data"]["total"]["orders"], 4, "{months}");
    let (_, service) = api(
        &app,
        "/api/v1/admin/reports/service?from=2026-03&until=2026-03",
    )
    .await;
    assert_eq!(service["data"]["delivered"], 1);
    assert_eq!(service["data"]["delivered_on_time"], 0);
    let (_, breaches) = api(
        &app,
        "/api/v1/admin/reports/breaches?from=2026-03&until=2026-03",
    )
    .await;
    let kinds: Vec<(i64, String)> = breaches["data"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["order_id"].as_i64().unwrap(),
                r["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (o5, "confirmation".to_owned()),
            (o3, "confirmation".to_owned()),
            (remainder, "overdue".to_owned()),
            (o1, "delivery".to_owned())
        ],
        "{breaches}"
    );
    assert_eq!(breaches["data"]["total"], 4);
    let (_, iris) = api(
        &app,
        "/api/v1/admin/reports/breaches?from=2026-03&until=2026-03&authority=IRISCARE",
    )
    .await;
    assert_eq!(
        iris["data"]["total"], 2,
        "O5 and the remainder of O2: {iris}"
    );

    // The downloads walk every breach a page at a time; the page shows the newest.
    let state = app.state.clone();
    let (walked, first) = app
        .with_conn(move |conn| {
            let today = state.clock.today();
            let filters =
                centrale::reports::Filters::parse(Some("2026-03"), Some("2026-03"), None, today)
                    .unwrap();
            let limit = chrono::Duration::hours(24);
            let mut walked = Vec::new();
            centrale::reports::queries::for_each_breach(
                conn,
                &filters,
                today,
                &state.calendar,
                limit,
                1,
                &mut |chunk| {
                    walked.push(
                        chunk
                            .iter()
                            .map(|b| (b.order_id, b.kind.clone()))
                            .collect::<Vec<_>>(),
                    );
                    Ok(())
                },
            )
            .unwrap();
            let first = centrale::reports::queries::load(
                conn,
                &filters,
                today,
                &state.calendar,
                limit,
                Some(1),
            )
            .unwrap();
            (walked, first.service)
        })
        .await;
    assert_eq!(
        walked,
        [
            vec![(o5, "confirmation".to_owned())],
            vec![(o3, "confirmation".to_owned())],
            vec![(remainder, "overdue".to_owned())],
            vec![(o1, "delivery".to_owned())]
        ]
    );
    assert_eq!(first.breaches.len(), 1);
    assert_eq!(first.breaches[0].order_id, o5);
    assert_eq!(first.breaches_total, 4);
}

/// Refreshing twice, at once from several connections, or after every order was logged
/// again, never counts anything twice.
async fn refreshes_never_count_twice(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let s = lot_of_two(&app).await;
    let a = institution(&app, 821, "COCOF", "active").await;
    let b = institution(&app, 822, "VGC", "active").await;
    set(&app, 2026, 3, 10, 9, 0);
    for n in 0..12 {
        let who = if n % 2 == 0 { a } else { b };
        let id = place(&app, who, &[("MASK", n + 1), ("WIPE", 2)]).await;
        match n % 4 {
            0 => accept(&app, id, s[0]).await,
            1 => decline(&app, id, s[0]).await,
            2 => {
                decline(&app, id, s[0]).await;
                accept(&app, id, s[1]).await;
            }
            _ => {}
        }
    }
    let pool = app.pool.clone();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().expect("connection");
                let mut refreshed = 0;
                loop {
                    match refresh::refresh(&mut conn, 3).expect("refresh") {
                        0 => break refreshed,
                        n => refreshed += n,
                    }
                }
            })
        })
        .collect();
    let refreshed: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(refreshed >= 12, "every order refreshed at least once");
    consistent(&app, "concurrent refreshes").await;
    let before = app.with_conn(|conn| refresh::stored(conn).unwrap()).await;
    let (_, months) = api(
        &app,
        "/api/v1/admin/reports/months?from=2026-03&until=2026-03",
    )
    .await;
    assert_eq!(months["data"]["total"]["orders"], 6, "{months}");

    // Nothing pending: a refresh does nothing. Every order logged again (twice): the figures
    // stay put.
    let again = app
        .with_conn(|conn| {
            let nothing = refresh::refresh(conn, 100).unwrap();
            use diesel::RunQueryDsl;
            let sql = "INSERT INTO report_changes (order_id) SELECT id FROM orders";
            centrale::with_conn!(conn, |c| {
                diesel::sql_query(sql).execute(c).unwrap();
                diesel::sql_query(sql).execute(c).unwrap()
            });
            (nothing, refresh::catch_up(conn).unwrap())
        })
        .await;
    assert_eq!(again.0, 0);
    assert_eq!(again.1, 12, "each order once, however often it was logged");
    let after = app.with_conn(|conn| refresh::stored(conn).unwrap()).await;
    assert_eq!(before, after);
    consistent(&app, "every order logged again").await;

    // The worker's share of a pass: one batch when the time is already up, the rest after.
    let shares = app
        .with_conn(|conn| {
            use diesel::RunQueryDsl;
            centrale::with_conn!(conn, |c| diesel::sql_query(
                "INSERT INTO report_changes (order_id) SELECT id FROM orders"
            )
            .execute(c)
            .unwrap());
            let cut_short = refresh::catch_up_for(conn, 5, std::time::Duration::ZERO).unwrap();
            let rest = refresh::catch_up_for(conn, 5, std::time::Duration::from_secs(60)).unwrap();
            (cut_short, rest)
        })
        .await;
    assert_eq!(
        shares.0,
        refresh::CatchUp {
            refreshed: 5,
            pending: true
        }
    );
    assert_eq!(
        shares.1,
        refresh::CatchUp {
            refreshed: 7,
            pending: false
        }
    );
    consistent(&app, "refreshed in two shares").await;
}
