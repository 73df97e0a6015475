//! Mail reaches a real SMTP server; an outage delays it and loses nothing.

mod helpers;

use centrale::clock::Clock;
use centrale::config::MailTransportKind;
use centrale::db::Backend;
use helpers::smtp::{aiosmtpd_available, free_port, message_id, SmtpServer};
use helpers::soak;
use helpers::{enterprise_number, spawn_app, spawn_app_with, TestApp};

on_both_backends!(
    mail_queued_during_an_smtp_outage_is_delivered_once_the_server_is_back,
    file_transport_writes_one_eml_per_message,
    two_senders_never_send_a_message_twice,
    a_sender_that_died_mid_send_leaves_its_messages_to_the_next_after_the_lease,
);

async fn apply(app: &TestApp, seed: u32) {
    let body = serde_json::json!({
        "institution": {
            "name": "Résidence l'Églantier & Co",
            "enterprise_number": enterprise_number(seed),
            "competent_authority": "IRISCARE",
            "sector": "care_home",
            "language": "fr",
            "billing": {"street": "Rue Neuve 5", "postcode": "1000", "city": "Bruxelles"},
            "delivery": [{"label": "", "street": "Rue Neuve 5", "postcode": "1000", "city": "Bruxelles"}]
        },
        "contact": {"name": "Hélène", "email": format!("helene{seed}@eglantier.example")},
        "buyers": [{"name": "Ali", "email": format!("ali{seed}@eglantier.example")}]
    });
    let response = app
        .client
        .post(app.url("/api/v1/memberships"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

async fn mail_queued_during_an_smtp_outage_is_delivered_once_the_server_is_back(backend: Backend) {
    if !aiosmtpd_available() {
        return;
    }
    let port = free_port();
    let Some(app) = spawn_app_with(backend, |s| {
        s.mail.transport = MailTransportKind::Smtp;
        s.mail.smtp_host = "127.0.0.1".into();
        s.mail.smtp_port = port;
    })
    .await
    else {
        return;
    };
    let applications = soak::scale();
    for seed in 0..applications {
        apply(&app, 100 + seed as u32).await;
    }
    let queued = 2 * applications as usize;
    let state = app_state(&app).await;

    // The server is down: the first attempt fails and the pass ends there; the others wait
    // for the same retry rather than each trying a dead server. Nothing is marked sent.
    let report = centrale::worker::send_mail(&state).await.unwrap();
    assert_eq!(
        (report.sent, report.failed, report.postponed),
        (0, 1, queued - 1)
    );
    let outbox = app.outbox().await;
    assert!(outbox.iter().all(|m| m.sent_at.is_none()));
    assert!(outbox[0].attempts == 1 && outbox[0].last_error.is_some());
    assert!(outbox[1..]
        .iter()
        .all(|m| m.attempts == 0 && m.next_attempt_at == outbox[0].next_attempt_at));

    // Back up, but the retry is not due yet.
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(port, dir.path());
    let report = centrale::worker::send_mail(&state).await.unwrap();
    assert_eq!(report.sent, 0, "backoff respected");

    app.clock.advance(chrono::Duration::seconds(31));
    let mut passes = 3;
    let mut sent = 0;
    while sent < queued {
        let report = centrale::worker::send_mail(&state).await.unwrap();
        assert_eq!(report.failed, 0);
        assert!(report.sent > 0, "every pass sends");
        sent += report.sent;
        passes += 1;
    }
    let received = server.messages();
    assert_eq!(received.len(), queued);
    let outbox = app.outbox().await;
    for mail in &outbox {
        assert!(mail.sent_at.is_some());
        let raw = received
            .iter()
            .find(|raw| message_id(raw).as_deref() == Some(mail.message_id.as_str()))
            .unwrap_or_else(|| panic!("{} delivered with its Message-ID", mail.message_id));
        assert!(raw.contains(&mail.to_address));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
    }
    // Nothing is sent twice.
    app.clock.advance(chrono::Duration::hours(2));
    let report = centrale::worker::send_mail(&state).await.unwrap();
    assert_eq!(report.sent, 0);
    let received = server.messages();
    let ids: std::collections::HashSet<_> = received.iter().filter_map(|r| message_id(r)).collect();
    let lost = outbox
        .iter()
        .filter(|m| !ids.contains(&m.message_id))
        .count() as u64;
    let duplicated = (received.len() - ids.len()) as u64;
    assert_eq!((lost, duplicated), (0, 0));
    soak::record(&soak::Outcome {
        scenario: "SMTP server down while membership mail is queued".into(),
        backend: backend.name().into(),
        faults: 1,
        requests: applications + passes + 1,
        checked: outbox.len() as u64,
        lost,
        duplicated,
    });
}

async fn file_transport_writes_one_eml_per_message(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    apply(&app, 12).await;
    let state = app_state(&app).await;
    let report = centrale::worker::send_mail(&state).await.unwrap();
    assert_eq!(report.sent, 2);
    let files: Vec<String> = std::fs::read_dir(&app.settings.mail.file_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert_eq!(files.len(), 2);
    let ids: Vec<String> = app
        .outbox()
        .await
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    for raw in &files {
        assert!(ids.contains(&message_id(raw).expect("Message-ID header")));
    }
}

/// The running application's state, for driving the worker by hand.
async fn app_state(app: &TestApp) -> centrale::startup::State {
    app.state.clone()
}

/// Two `serve` processes share one database: each message is claimed by exactly one sender.
async fn two_senders_never_send_a_message_twice(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for seed in 20..30 {
        apply(&app, seed).await;
    }
    let queued = app.outbox().await.len();
    assert_eq!(queued, 20);
    let (a, b) = (app.state.clone(), app.state.clone());
    let (first, second) = tokio::join!(
        centrale::worker::send_mail(&a),
        centrale::worker::send_mail(&b)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(
        first.sent + second.sent,
        queued,
        "every message sent once between them"
    );
    let files = std::fs::read_dir(&app.settings.mail.file_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .count();
    assert_eq!(files, queued, "no duplicate files");
}

/// A sender holds the messages it took for the configured lease: while it waits on a
/// server that never answers, and if it dies meanwhile (its process killed), nobody else
/// touches them until the lease has run out; then the next sender sends them, with their
/// Message-IDs.
async fn a_sender_that_died_mid_send_leaves_its_messages_to_the_next_after_the_lease(
    backend: Backend,
) {
    if !aiosmtpd_available() {
        return;
    }
    // Connections to it complete (the kernel accepts them) but no greeting ever comes.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let Some(app) = spawn_app_with(backend, |s| {
        s.mail.transport = MailTransportKind::Smtp;
        s.mail.smtp_host = "127.0.0.1".into();
        s.mail.smtp_port = silent_port;
        s.mail.smtp_timeout_seconds = 2;
        s.mail.lease_seconds = 20;
    })
    .await
    else {
        return;
    };
    apply(&app, 40).await;
    let now = app.clock.now_naive();
    let lease = chrono::Duration::seconds(20);

    // Mid-send: both messages are held for the configured lease, not the default five minutes.
    let state = app.state.clone();
    let pass = tokio::spawn(async move { centrale::worker::send_mail(&state).await });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let held = loop {
        let locks = app
            .with_conn(|conn| {
                use centrale::db::schema::outbox_emails;
                use diesel::prelude::*;
                centrale::with_conn!(conn, |c| outbox_emails::table
                    .select(outbox_emails::locked_until)
                    .load::<Option<chrono::NaiveDateTime>>(c))
                .unwrap()
            })
            .await;
        if locks.len() == 2 && locks.iter().all(Option::is_some) {
            break locks;
        }
        assert!(std::time::Instant::now() < deadline, "the sender took them");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    for until in held.into_iter().flatten() {
        assert!(until >= now + lease && until < now + lease + chrono::Duration::seconds(3));
    }
    let report = pass.await.unwrap().unwrap();
    assert_eq!((report.failed, report.postponed), (1, 1), "timed out once");

    // The server works again; a sender that died holding the messages (killed after taking
    // them) keeps the next one away until its lease is over.
    drop(silent);
    let dir = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(silent_port, dir.path());

    let queued = app.outbox().await;
    let retry_at = queued.iter().map(|m| m.next_attempt_at).max().unwrap();
    app.clock
        .advance(retry_at - now + chrono::Duration::seconds(1));
    let taken_at = app.clock.now_naive();
    let taken = app
        .with_conn(move |conn| {
            conn.transaction(|conn| {
                centrale::mail::outbox::claim_due(conn, taken_at, taken_at + lease, 100)
            })
            .unwrap()
        })
        .await;
    assert_eq!(taken.len(), 2, "the dead sender held both messages");
    let report = centrale::worker::send_mail(&app.state).await.unwrap();
    assert_eq!(report, Default::default(), "held while the lease runs");
    app.clock.advance(lease + chrono::Duration::seconds(1));
    let report = centrale::worker::send_mail(&app.state).await.unwrap();
    assert_eq!(report.sent, 2, "sent once the lease ran out");
    let received: Vec<String> = server
        .messages()
        .iter()
        .filter_map(|raw| message_id(raw))
        .collect();
    for mail in &taken {
        assert!(received.contains(&mail.message_id), "{}", mail.message_id);
    }
}
