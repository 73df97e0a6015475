//! The authority's operations refuse what the rules forbid, with a clear message and nothing
//! written; the database refuses it too when the code is bypassed.

mod helpers;

use centrale::catalogue;
use centrale::clock::Clock;
use centrale::db::catalogue::{cascade_of, insert_cascade_entry, NewCascadeEntry};
use centrale::db::Backend;
use centrale::domain::Rank;
use centrale::error::ServiceError;
use centrale::parties::{self, SupplierInput};
use helpers::{enterprise_number, lot_fixture, product_fixture, spawn_app};

on_both_backends!(
    a_sixth_supplier_is_refused_and_nothing_is_written,
    a_taken_rank_or_a_repeated_supplier_is_refused,
    the_database_itself_refuses_rank_six_and_duplicate_ranks,
    invalid_enterprise_number_email_and_price_are_refused_clearly,
    duplicate_enterprise_numbers_are_refused,
    offers_come_back_on_their_announced_date,
);

fn invalid_field(result: Result<i64, ServiceError>) -> (String, String, String) {
    match result {
        Err(ServiceError::Invalid(errors)) => {
            let e = &errors.errors[0];
            (e.field.clone(), e.code.clone(), e.message.clone())
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn new_supplier(conn: &mut centrale::db::Conn, now: chrono::NaiveDateTime, seed: u32) -> i64 {
    parties::register_supplier(
        conn,
        now,
        &SupplierInput {
            enterprise_number: &enterprise_number(seed),
            name: "Extra supplier",
            email: &format!("extra{seed}@supplier.example"),
            language: "nl",
        },
    )
    .expect("supplier")
}

async fn a_sixth_supplier_is_refused_and_nothing_is_written(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let lot = lot_fixture(conn, now, "LOT-FULL", 5);
        let sixth = new_supplier(conn, now, 1_900);
        // Every rank is taken; whichever rank is asked, a sixth supplier is refused.
        for rank in 1..=5 {
            let result =
                catalogue::add_to_cascade(conn, now, lot.lot_id, sixth, Rank::new(rank).unwrap());
            let (field, code, message) = invalid_field(result);
            assert_eq!(field, "cascade");
            assert_eq!(code, "cascade-full");
            assert!(message.contains('5'), "{message}");
        }
        assert_eq!(
            cascade_of(conn, lot.lot_id).unwrap().len(),
            5,
            "nothing written"
        );
        // Rank 6 cannot even be expressed.
        assert!(Rank::new(6).is_err());
    })
    .await;
}

async fn a_taken_rank_or_a_repeated_supplier_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let lot = lot_fixture(conn, now, "LOT-THREE", 3);
        let newcomer = new_supplier(conn, now, 1_901);
        let (_, code, _) = invalid_field(catalogue::add_to_cascade(
            conn,
            now,
            lot.lot_id,
            newcomer,
            Rank::new(2).unwrap(),
        ));
        assert_eq!(code, "cascade-duplicate-rank");
        let (_, code, _) = invalid_field(catalogue::add_to_cascade(
            conn,
            now,
            lot.lot_id,
            lot.suppliers[0],
            Rank::new(4).unwrap(),
        ));
        assert_eq!(code, "cascade-duplicate-supplier");
        assert_eq!(
            cascade_of(conn, lot.lot_id).unwrap().len(),
            3,
            "nothing written"
        );
        catalogue::add_to_cascade(conn, now, lot.lot_id, newcomer, Rank::new(4).unwrap())
            .expect("free rank accepted");
        let ranks: Vec<i32> = cascade_of(conn, lot.lot_id)
            .unwrap()
            .iter()
            .map(|e| e.rank)
            .collect();
        assert_eq!(ranks, vec![1, 2, 3, 4]);
    })
    .await;
}

async fn the_database_itself_refuses_rank_six_and_duplicate_ranks(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let lot = lot_fixture(conn, now, "LOT-DB", 2);
        let other = new_supplier(conn, now, 1_902);
        let raw = |rank: i32, supplier_id: i64| NewCascadeEntry {
            lot_id: lot.lot_id,
            supplier_id,
            rank,
            active: true,
            created_at: now,
        };
        assert!(
            insert_cascade_entry(conn, &raw(6, other)).is_err(),
            "rank 6 violates the CHECK"
        );
        assert!(
            insert_cascade_entry(conn, &raw(0, other)).is_err(),
            "rank 0 violates the CHECK"
        );
        let duplicate = insert_cascade_entry(conn, &raw(1, other)).expect_err("rank 1 is taken");
        assert!(duplicate.is_unique_violation());
        let twice =
            insert_cascade_entry(conn, &raw(3, lot.suppliers[0])).expect_err("supplier already in");
        assert!(twice.is_unique_violation());
        assert_eq!(cascade_of(conn, lot.lot_id).unwrap().len(), 2);
    })
    .await;
}

async fn invalid_enterprise_number_email_and_price_are_refused_clearly(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let result = parties::register_supplier(
            conn,
            now,
            &SupplierInput {
                enterprise_number: "0431.150.351",
                name: "Checksum Wrong SA",
                email: "not-an-email",
                language: "fr",
            },
        );
        let Err(ServiceError::Invalid(errors)) = result else {
            panic!("expected validation errors, got {result:?}")
        };
        let number = errors
            .for_field("enterprise_number")
            .expect("enterprise number named");
        assert_eq!(number.code, "enterprise-number-checksum");
        assert!(!number.message.is_empty());
        let email = errors.for_field("email").expect("email named");
        assert_eq!(email.code, "email-invalid");
        assert_eq!(
            centrale::db::parties::suppliers(conn).unwrap().len(),
            0,
            "nothing written"
        );

        let lot = lot_fixture(conn, now, "LOT-PRICE", 1);
        let product = product_fixture(conn, now, &lot, "P-PRICE", "standard", &[None], &[]);
        for (typed, code) in [
            ("-3.00", "money-negative"),
            ("abc", "money-invalid"),
            ("1.2345", "money-too-many-decimals"),
            ("1.005", "money-ambiguous"),
        ] {
            let (field, got, message) = invalid_field(catalogue::set_offer(
                conn,
                now,
                product,
                lot.suppliers[0],
                typed,
                true,
            ));
            assert_eq!(
                (field.as_str(), got.as_str()),
                ("price", code),
                "{typed}: {message}"
            );
        }
        assert!(
            centrale::db::catalogue::offers_for(conn, &[product])
                .unwrap()
                .is_empty(),
            "nothing written"
        );
        catalogue::set_offer(conn, now, product, lot.suppliers[0], "12,50", true)
            .expect("a Belgian-typed price is fine");
        let offers = centrale::db::catalogue::offers_for(conn, &[product]).unwrap();
        assert_eq!(offers[0].price_cents, 1250);
    })
    .await;
}

async fn duplicate_enterprise_numbers_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let input = SupplierInput {
            enterprise_number: "0403.019.261",
            name: "First SA",
            email: "first@supplier.example",
            language: "fr",
        };
        parties::register_supplier(conn, now, &input).expect("first registration");
        let again = SupplierInput {
            enterprise_number: "BE 0403019261",
            name: "Second SA",
            email: "second@supplier.example",
            language: "fr",
        };
        let (field, code, _) = invalid_field(parties::register_supplier(conn, now, &again));
        assert_eq!(
            (field.as_str(), code.as_str()),
            ("enterprise_number", "enterprise-number-taken")
        );
        assert_eq!(centrale::db::parties::suppliers(conn).unwrap().len(), 1);
    })
    .await;
}

async fn offers_come_back_on_their_announced_date(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let today = app.clock.today();
    let product = app
        .with_conn(move |conn| {
            use diesel::prelude::*;
            let lot = lot_fixture(conn, now, "LOT-BACK", 1);
            let product =
                product_fixture(conn, now, &lot, "P-BACK", "standard", &[Some("5.00")], &[1]);
            let back_on = today + chrono::Days::new(3);
            centrale::with_conn!(conn, |c| diesel::update(
                centrale::db::schema::supplier_offers::table
            )
            .set(centrale::db::schema::supplier_offers::unavailable_until.eq(Some(back_on)))
            .execute(c))
            .unwrap();
            product
        })
        .await;
    let (_, body) = app.get_json("/api/v1/catalogue/products?q=p-back").await;
    assert_eq!(body["items"][0]["available"], false);
    app.with_conn(move |conn| {
        assert_eq!(centrale::worker::restore_offers(conn, today).unwrap(), 0)
    })
    .await;
    app.clock.advance(chrono::Duration::days(3));
    let (_, body) = app.get_json("/api/v1/catalogue/products?q=p-back").await;
    assert_eq!(
        body["items"][0]["available"], true,
        "available from the announced date"
    );
    let later = app.clock.today();
    app.with_conn(move |conn| {
        assert_eq!(centrale::worker::restore_offers(conn, later).unwrap(), 1);
        let offers = centrale::db::catalogue::offers_for(conn, &[product]).unwrap();
        assert!(offers[0].available && offers[0].unavailable_until.is_none());
    })
    .await;
}
