//! Membership end to end: apply, review, activate, sign in, and the walls around it.

mod helpers;

use centrale::db::Backend;
use helpers::{csrf_of, enterprise_number, link_in, spawn_app, spawn_app_with, TestApp};

on_both_backends!(
    an_application_is_acknowledged_and_notified,
    a_bad_application_shows_every_error_and_keeps_the_input,
    a_duplicate_enterprise_number_is_refused_clearly,
    json_applications_validate_like_the_form,
    approval_activation_and_login,
    rejection_requires_a_reason_and_emails_it,
    activation_links_are_single_use_and_expire,
    forgot_password_reveals_nothing_and_resets,
    suspension_locks_the_institution_out_at_once,
    forms_without_the_csrf_token_are_refused,
    login_attempts_are_rate_limited,
    back_office_pages_are_for_admins_only,
    session_cookie_is_private_http_only_and_lax,
);

const ADMIN: (&str, &str) = ("admin@authority.example", "admin password 1234");

fn application(seed: u32, name: &str, buyers: &[(&str, &str)]) -> Vec<(String, String)> {
    let number = enterprise_number(seed);
    let mut fields: Vec<(String, String)> = vec![
        ("name", name),
        ("enterprise_number", &number),
        ("competent_authority", "COCOF"),
        ("sector", "care_home"),
        ("language", "fr"),
        ("billing_street", "Rue Haute 1"),
        ("billing_postcode", "1000"),
        ("billing_city", "Bruxelles"),
        ("delivery_0_label", "Livraisons"),
        ("delivery_0_street", "Rue Haute 3"),
        ("delivery_0_postcode", "1000"),
        ("delivery_0_city", "Bruxelles"),
        ("contact_name", "Claire Directrice"),
        ("contact_email", "claire@home.example"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (index, (buyer, email)) in buyers.iter().enumerate() {
        fields.push((format!("buyers_{index}_name"), buyer.to_string()));
        fields.push((format!("buyers_{index}_email"), email.to_string()));
    }
    fields
}

async fn submit(app: &TestApp, fields: &[(String, String)]) -> (u16, String) {
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let response = app.post_form("/apply", "/apply", &refs).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn institution_id(app: &TestApp, seed: u32) -> i64 {
    let number = enterprise_number(seed);
    app.with_conn(move |conn| {
        centrale::db::parties::institution_by_enterprise_number(conn, &number)
            .unwrap()
            .expect("institution recorded")
            .id
    })
    .await
}

async fn signed_in_admin(app: &TestApp) {
    app.create_admin(ADMIN.0, ADMIN.1).await;
    let response = app.login(ADMIN.0, ADMIN.1).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin/memberships");
}

async fn an_application_is_acknowledged_and_notified(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_admin("nl-admin@authority.example", "admin password 1234")
        .await;
    let (status, page) = submit(
        &app,
        &application(
            1,
            "Les Tilleuls",
            &[("Karim Acheteur", "karim@home.example")],
        ),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("claire@home.example"),
        "confirmation names the acknowledgement address"
    );
    let outbox = app.outbox().await;
    let ack = outbox
        .iter()
        .find(|m| m.template == "membership-received")
        .expect("acknowledgement");
    assert_eq!(ack.to_address, "claire@home.example");
    assert_eq!(ack.language, "fr");
    assert!(ack.subject.contains("Les Tilleuls"));
    assert!(ack.body_html.contains("Les Tilleuls") && ack.body_text.contains("Les Tilleuls"));
    let notices: Vec<_> = outbox
        .iter()
        .filter(|m| m.template == "membership-submitted")
        .collect();
    let recipients: Vec<&str> = notices.iter().map(|m| m.to_address.as_str()).collect();
    assert!(recipients.contains(&app.settings.mail.authority_address.as_str()));
    assert!(recipients.contains(&"nl-admin@authority.example"));
    assert!(
        notices[0].body_text.contains("/admin/memberships/"),
        "links to the review page"
    );
    // The buyer exists but cannot sign in before approval.
    let id = institution_id(&app, 1).await;
    let users = app
        .with_conn(move |conn| centrale::db::parties::users_of_institution(conn, id).unwrap())
        .await;
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].status, "invited");
    assert!(users[0].password_hash.is_none());
}

async fn a_bad_application_shows_every_error_and_keeps_the_input(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut fields = application(2, "Maison <Les Ormes>", &[("Karim", "not-an-email")]);
    for (key, value) in fields.iter_mut() {
        match key.as_str() {
            "enterprise_number" => *value = "0431.150.351".into(),
            "billing_postcode" => *value = "12".into(),
            "delivery_0_city" => *value = "".into(),
            _ => {}
        }
    }
    let (status, page) = submit(&app, &fields).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("chiffres de contrôle"),
        "enterprise number explained in French"
    );
    assert!(
        page.contains("code postal belge compte 4 chiffres"),
        "postcode explained"
    );
    assert!(
        page.contains("adresse e-mail n&#x27;est pas valide")
            || page.contains("adresse e-mail n'est pas valide")
    );
    assert!(
        page.contains(r#"id="enterprise_number-error""#) && page.contains(r#"aria-invalid="true""#)
    );
    assert!(page.contains(r#"aria-describedby="enterprise_number-hint enterprise_number-error""#));
    // Input is kept, escaped.
    assert!(page.contains(r#"value="Maison &lt;Les Ormes&gt;""#));
    assert!(page.contains(r#"value="0431.150.351""#));
    assert!(app.outbox().await.is_empty(), "nothing sent");
    let count = app
        .with_conn(|conn| centrale::db::parties::institutions(conn).unwrap().len())
        .await;
    assert_eq!(count, 0, "nothing written");
}

async fn a_duplicate_enterprise_number_is_refused_clearly(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (status, _) = submit(
        &app,
        &application(3, "Premier", &[("A", "a@first.example")]),
    )
    .await;
    assert_eq!(status, 200);
    let (status, page) = submit(
        &app,
        &application(3, "Second", &[("B", "b@second.example")]),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("numéro d&#x27;entreprise est déjà enregistré")
            || page.contains("numéro d'entreprise est déjà enregistré"),
        "{page}"
    );
    let count = app
        .with_conn(|conn| centrale::db::parties::institutions(conn).unwrap().len())
        .await;
    assert_eq!(count, 1);
}

async fn json_applications_validate_like_the_form(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let body = serde_json::json!({
        "institution": {
            "name": "Thuiszorg Noord",
            "enterprise_number": enterprise_number(4),
            "competent_authority": "VGC",
            "sector": "home_care",
            "language": "nl",
            "billing": {"street": "Nieuwstraat 1", "postcode": "1000", "city": "Brussel"},
            "delivery": [{"label": "Kantoor", "street": "Nieuwstraat 1", "postcode": "1000", "city": "Brussel"}]
        },
        "contact": {"name": "Lies", "email": "lies@noord.example"},
        "buyers": [{"name": "Jonas", "email": "jonas@noord.example"}]
    });
    let response = app
        .client
        .post(app.url("/api/v1/memberships"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: serde_json::Value = response.json().await.unwrap();
    assert_eq!(created["status"], "pending");
    let ack = app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.template == "membership-received")
        .unwrap();
    assert_eq!(ack.language, "nl");
    assert!(ack.subject.contains("Aanvraag"));

    let again = app
        .client
        .post(app.url("/api/v1/memberships"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 422);
    assert_eq!(again.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = again.json().await.unwrap();
    let codes: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"enterprise-number-taken"), "{problem}");

    let mut bad = body.clone();
    bad["institution"]["enterprise_number"] = "123".into();
    bad["buyers"] = serde_json::json!([]);
    let response = app
        .client
        .post(app.url("/api/v1/memberships"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let problem: serde_json::Value = response.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"enterprise_number") && fields.contains(&"buyers"),
        "{problem}"
    );

    let response = app
        .client
        .post(app.url("/api/v1/memberships"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

async fn approval_activation_and_login(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    submit(
        &app,
        &application(
            5,
            "Les Glycines",
            &[
                ("Karim", "karim@glycines.example"),
                ("Nora", "nora@glycines.example"),
            ],
        ),
    )
    .await;
    let id = institution_id(&app, 5).await;
    signed_in_admin(&app).await;
    let (status, list) = app.get_text("/admin/memberships?status=pending").await;
    assert_eq!(status, 200);
    assert!(list.contains("Les Glycines"));
    let (_, other) = app.get_text("/admin/memberships?authority=VGC").await;
    assert!(!other.contains("Les Glycines"), "authority filter");
    let detail = format!("/admin/memberships/{id}");
    let response = app
        .post_form(&detail, &format!("{detail}/approve"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let (_, page) = app.get_text(&detail).await;
    assert!(
        page.contains("Adhésion approuvée"),
        "flash and history: {page}"
    );
    assert!(page.contains("Admin Test"), "who decided");

    let activations: Vec<_> = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.template == "account-activation")
        .collect();
    assert_eq!(activations.len(), 2, "one link per buyer");
    let karim = activations
        .iter()
        .find(|m| m.to_address == "karim@glycines.example")
        .unwrap();
    let link = link_in(&karim.body_text, "http");
    let path = link.trim_start_matches(&app.settings.server.base_url);
    assert!(path.starts_with("/activate/"));
    // The token is stored hashed, never as sent.
    let token = path.trim_start_matches("/activate/").to_owned();
    let stored = app
        .with_conn(move |conn| {
            use diesel::prelude::*;
            centrale::with_conn!(conn, |c| centrale::db::schema::account_tokens::table
                .select(centrale::db::schema::account_tokens::token_hash)
                .load::<String>(c))
            .unwrap()
        })
        .await;
    assert!(!stored.contains(&token));
    assert!(stored.contains(&centrale::auth::tokens::hash_token(&token)));

    let buyer = app.as_new_visitor();
    let (status, form) = buyer.get_text(path).await;
    assert_eq!(status, 200);
    assert!(form.contains("karim@glycines.example"));
    let short = buyer
        .post_form(
            path,
            path,
            &[("password", "short"), ("password_confirmation", "short")],
        )
        .await;
    assert_eq!(short.status(), 422);
    assert!(short
        .text()
        .await
        .unwrap()
        .contains("au moins 12 caractères"));
    let done = buyer
        .post_form(
            path,
            path,
            &[
                ("password", "karim's long password"),
                ("password_confirmation", "karim's long password"),
            ],
        )
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/login");
    let response = buyer
        .login("KARIM@glycines.example", "karim's long password")
        .await;
    assert_eq!(response.status(), 303, "email is case-insensitive");
    assert_eq!(response.headers()["location"], "/catalogue");
    let (_, catalogue) = buyer.get_text("/catalogue").await;
    assert!(catalogue.contains("Karim") && catalogue.contains("Se déconnecter"));
    // Logging out ends the session.
    let (_, page) = buyer.get_text("/catalogue").await;
    let out = buyer
        .client
        .post(buyer.url("/logout"))
        .form(&[("csrf", csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let (_, page) = buyer.get_text("/catalogue").await;
    assert!(!page.contains("Se déconnecter"));
    // Approving twice is refused.
    let again = app
        .post_form(&detail, &format!("{detail}/approve"), &[])
        .await;
    assert_eq!(again.status(), 409);
}

async fn rejection_requires_a_reason_and_emails_it(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    submit(
        &app,
        &application(6, "Hors zone", &[("Paul", "paul@horszone.example")]),
    )
    .await;
    let id = institution_id(&app, 6).await;
    signed_in_admin(&app).await;
    let detail = format!("/admin/memberships/{id}");
    let response = app
        .post_form(&detail, &format!("{detail}/reject"), &[("reason", "  ")])
        .await;
    assert_eq!(response.status(), 422);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Ce champ est obligatoire"));
    let reason = "Institution située hors de la Région <bruxelloise>";
    let response = app
        .post_form(&detail, &format!("{detail}/reject"), &[("reason", reason)])
        .await;
    assert_eq!(response.status(), 303);
    let mail = app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.template == "membership-rejected")
        .expect("rejection email");
    assert_eq!(mail.to_address, "claire@home.example");
    assert!(
        mail.body_text.contains(reason),
        "reason as typed in the text part"
    );
    assert!(
        mail.body_html.contains("&lt;bruxelloise&gt;"),
        "reason escaped in the HTML part"
    );
    let row = app
        .with_conn(move |conn| {
            centrale::db::parties::institution(conn, id)
                .unwrap()
                .unwrap()
        })
        .await;
    assert_eq!(row.status, "rejected");
    assert_eq!(row.decision_reason.as_deref(), Some(reason));
    assert!(row.decided_by.is_some() && row.decided_at.is_some());
    let history = app
        .with_conn(move |conn| centrale::audit::for_subject(conn, "institution", id).unwrap())
        .await;
    assert_eq!(history.last().unwrap().action, "membership.rejected");
    assert!(history.last().unwrap().actor_label.contains(ADMIN.0));
}

async fn activation_links_are_single_use_and_expire(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    submit(
        &app,
        &application(
            7,
            "Les Pins",
            &[("Un", "un@pins.example"), ("Deux", "deux@pins.example")],
        ),
    )
    .await;
    let id = institution_id(&app, 7).await;
    signed_in_admin(&app).await;
    let detail = format!("/admin/memberships/{id}");
    app.post_form(&detail, &format!("{detail}/approve"), &[])
        .await;
    let mails = app.outbox().await;
    let link_for = |address: &str| {
        let mail = mails
            .iter()
            .find(|m| m.to_address == address && m.template == "account-activation")
            .unwrap();
        link_in(&mail.body_text, "http")
            .trim_start_matches(&app.settings.server.base_url)
            .to_owned()
    };
    let first = link_for("un@pins.example");
    let second = link_for("deux@pins.example");
    let visitor = app.as_new_visitor();
    let fields = [
        ("password", "a fine long password"),
        ("password_confirmation", "a fine long password"),
    ];
    assert_eq!(
        visitor.post_form(&first, &first, &fields).await.status(),
        303
    );
    let (status, page) = visitor.get_text(&first).await;
    assert_eq!(status, 410, "a used link is refused");
    assert!(page.contains("déjà été utilisé"));
    // Seven days later the other link has expired.
    app.clock
        .advance(chrono::Duration::days(7) + chrono::Duration::minutes(1));
    let (status, page) = visitor.get_text(&second).await;
    assert_eq!(status, 410);
    assert!(page.contains("expiré"));
    let (status, _) = visitor.get_text("/activate/not-a-real-token").await;
    assert_eq!(status, 410);
}

async fn forgot_password_reveals_nothing_and_resets(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_admin(ADMIN.0, ADMIN.1).await;
    let unknown = app
        .post_form(
            "/password/forgot",
            "/password/forgot",
            &[("email", "nobody@nowhere.example")],
        )
        .await;
    assert_eq!(unknown.status(), 200);
    let unknown_page = unknown.text().await.unwrap();
    let known = app
        .post_form(
            "/password/forgot",
            "/password/forgot",
            &[("email", ADMIN.0)],
        )
        .await;
    assert_eq!(known.status(), 200);
    let known_page = known.text().await.unwrap();
    let message = "Si un compte existe pour cette adresse";
    assert!(
        unknown_page.contains(message) && known_page.contains(message),
        "same answer either way"
    );
    let resets: Vec<_> = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.template == "password-reset")
        .collect();
    assert_eq!(resets.len(), 1, "only the real account gets mail");
    let path = link_in(&resets[0].body_text, "http")
        .trim_start_matches(&app.settings.server.base_url)
        .to_owned();
    let fields = [
        ("password", "brand new password!"),
        ("password_confirmation", "brand new password!"),
    ];
    assert_eq!(app.post_form(&path, &path, &fields).await.status(), 303);
    assert_eq!(
        app.login(ADMIN.0, ADMIN.1).await.status(),
        401,
        "old password no longer works"
    );
    assert_eq!(
        app.login(ADMIN.0, "brand new password!").await.status(),
        303
    );
}

async fn suspension_locks_the_institution_out_at_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    submit(
        &app,
        &application(8, "Les Saules", &[("Ines", "ines@saules.example")]),
    )
    .await;
    let id = institution_id(&app, 8).await;
    signed_in_admin(&app).await;
    let detail = format!("/admin/memberships/{id}");
    app.post_form(&detail, &format!("{detail}/approve"), &[])
        .await;
    let mail = app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.template == "account-activation")
        .unwrap();
    let path = link_in(&mail.body_text, "http")
        .trim_start_matches(&app.settings.server.base_url)
        .to_owned();
    let buyer = app.as_new_visitor();
    let fields = [
        ("password", "ines long password"),
        ("password_confirmation", "ines long password"),
    ];
    buyer.post_form(&path, &path, &fields).await;
    assert_eq!(
        buyer
            .login("ines@saules.example", "ines long password")
            .await
            .status(),
        303
    );

    let response = app
        .post_form(
            &detail,
            &format!("{detail}/suspend"),
            &[("reason", "unpaid invoices")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let (_, page) = buyer.get_text("/catalogue").await;
    assert!(
        !page.contains("Se déconnecter"),
        "the open session no longer counts"
    );
    let refused = buyer
        .login("ines@saules.example", "ines long password")
        .await;
    assert_eq!(refused.status(), 403);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains("adhésion de votre institution n&#x27;est pas active"),
        "{text}"
    );

    app.post_form(&detail, &format!("{detail}/reactivate"), &[])
        .await;
    assert_eq!(
        buyer
            .login("ines@saules.example", "ines long password")
            .await
            .status(),
        303
    );
    // A buyer added later receives a link at once.
    let added = app
        .post_form(
            &detail,
            &format!("{detail}/users"),
            &[("name", "Omar"), ("email", "omar@saules.example")],
        )
        .await;
    assert_eq!(added.status(), 303);
    assert!(app
        .outbox()
        .await
        .iter()
        .any(|m| m.to_address == "omar@saules.example" && m.template == "account-activation"));
    let history = app
        .with_conn(move |conn| centrale::audit::for_subject(conn, "institution", id).unwrap())
        .await;
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "membership.approved",
            "institution.suspended",
            "institution.reactivated",
            "institution.user_added"
        ]
    );
}

async fn forms_without_the_csrf_token_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.get_text("/login").await;
    for (action, fields) in [
        ("/login", vec![("email", ADMIN.0), ("password", ADMIN.1)]),
        ("/apply", vec![("name", "X")]),
        ("/password/forgot", vec![("email", ADMIN.0)]),
    ] {
        let missing = app
            .client
            .post(app.url(action))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 403, "{action} without token");
        let mut wrong = fields.clone();
        wrong.push(("csrf", "forged-token"));
        let response = app
            .client
            .post(app.url(action))
            .form(&wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{action} with a wrong token");
        assert!(response.text().await.unwrap().contains("Formulaire expiré"));
    }
}

async fn login_attempts_are_rate_limited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.create_admin(ADMIN.0, ADMIN.1).await;
    for _ in 0..5 {
        assert_eq!(app.login(ADMIN.0, "wrong password!!").await.status(), 401);
    }
    let limited = app.login(ADMIN.0, ADMIN.1).await;
    assert_eq!(
        limited.status(),
        429,
        "even the right password waits once limited"
    );
    assert!(limited.text().await.unwrap().contains("Trop de tentatives"));
}

async fn back_office_pages_are_for_admins_only(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    submit(
        &app,
        &application(9, "Le Chêne", &[("Eva", "eva@chene.example")]),
    )
    .await;
    let id = institution_id(&app, 9).await;
    let detail = format!("/admin/memberships/{id}");
    // Anonymous: sent to the login page, coming back afterwards.
    let response = app.get(&detail).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/login?next=%2Fadmin%2Fmemberships%2F{id}")
    );
    // A signed-in buyer is refused.
    signed_in_admin(&app).await;
    app.post_form(&detail, &format!("{detail}/approve"), &[])
        .await;
    let mail = app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.template == "account-activation")
        .unwrap();
    let path = link_in(&mail.body_text, "http")
        .trim_start_matches(&app.settings.server.base_url)
        .to_owned();
    let buyer = app.as_new_visitor();
    let fields = [
        ("password", "eva long password"),
        ("password_confirmation", "eva long password"),
    ];
    buyer.post_form(&path, &path, &fields).await;
    buyer.login("eva@chene.example", "eva long password").await;
    for path in ["/admin/memberships", detail.as_str()] {
        let (status, _) = buyer.get_text(path).await;
        assert_eq!(status, 403, "{path}");
    }
    let (_, page) = buyer.get_text("/catalogue").await;
    let post = buyer
        .client
        .post(buyer.url(&format!("{detail}/suspend")))
        .form(&[("csrf", csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 403);
    let row = app
        .with_conn(move |conn| {
            centrale::db::parties::institution(conn, id)
                .unwrap()
                .unwrap()
        })
        .await;
    assert_eq!(row.status, "active", "nothing changed");
    // After login, the admin is sent back where they wanted to go.
    let admin = app.as_new_visitor();
    let (_, form) = admin
        .get_text(&format!("/login?next=/admin/memberships/{id}"))
        .await;
    let response = admin
        .client
        .post(admin.url("/login"))
        .form(&[
            ("email", ADMIN.0),
            ("password", ADMIN.1),
            ("next", detail.as_str()),
            ("csrf", csrf_of(&form).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], detail.as_str());
    let evil = admin.as_new_visitor();
    let (_, form) = evil.get_text("/login").await;
    let response = evil
        .client
        .post(evil.url("/login"))
        .form(&[
            ("email", ADMIN.0),
            ("password", ADMIN.1),
            ("next", "//evil.example/"),
            ("csrf", csrf_of(&form).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["location"],
        "/admin/memberships",
        "no open redirect"
    );
    // Two tricks only: the account allows five sign-in attempts in a burst.
    for trick in ["/\t/evil.example/", "/ /evil.example"] {
        let visitor = admin.as_new_visitor();
        let (_, form) = visitor.get_text("/login").await;
        let response = visitor
            .client
            .post(visitor.url("/login"))
            .form(&[
                ("email", ADMIN.0),
                ("password", ADMIN.1),
                ("next", trick),
                ("csrf", csrf_of(&form).as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["location"],
            "/admin/memberships",
            "{trick:?} is not followed"
        );
    }
}

async fn session_cookie_is_private_http_only_and_lax(backend: Backend) {
    let cookie_of = |response: &reqwest::Response| {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("centrale_session="))
            .expect("session cookie set")
    };
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let cookie = cookie_of(&app.get("/login").await);
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP in development: {cookie}"
    );
    // The value is encrypted: the CSRF token it holds does not appear in it.
    let (_, page) = app.get_text("/login").await;
    assert!(!cookie.contains(&csrf_of(&page)));
    // Anonymous catalogue visits get no session at all.
    let catalogue = app.as_new_visitor().get("/catalogue").await;
    assert!(catalogue
        .headers()
        .get_all("set-cookie")
        .iter()
        .all(|c| !c.to_str().unwrap().starts_with("centrale_session=")));

    let Some(staging) = spawn_app_with(backend, |s| s.profile = "staging".into()).await else {
        return;
    };
    let response = staging.get("/login").await;
    assert!(
        cookie_of(&response).contains("Secure"),
        "Secure outside development"
    );
    assert!(response.headers().contains_key("strict-transport-security"));
}
