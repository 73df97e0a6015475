//! API credentials and access tokens: the client-credentials grant, bearer authentication,
//! revocation, key rotation, the admin API and the command line, on both backends.

mod helpers;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use reqwest::Response;
use serde_json::{json, Value};

use centrale::auth::jwt::{self, Subject, TokenKeys};
use centrale::clock::Clock;
use centrale::db::Backend;
use centrale::parties::Role;
use helpers::{
    get_with_token, issue_client, spawn_app, spawn_app_with, spawn_demo_app, token, TestApp,
};

on_both_backends!(
    token_by_basic_authentication_or_form_fields,
    token_endpoint_refusals_follow_rfc_6749,
    unknown_client_and_wrong_secret_look_the_same,
    revoked_client_loses_new_and_issued_tokens_at_once,
    expired_token_is_refused,
    forged_tokens_are_refused,
    missing_bearer_is_asked_for,
    wrong_role_is_forbidden,
    tokens_of_the_previous_key_survive_a_rotation,
    admin_lists_every_institution_supplier_and_lot,
    admin_issues_and_revokes_clients,
    issuing_validates_the_binding,
    command_line_issues_working_credentials,
    demo_issues_a_client_per_supplier_and_active_institution,
);

const TOKEN_PATH: &str = "/api/v1/oauth/token";
const FORM: &str = "application/x-www-form-urlencoded";

async fn post_form(app: &TestApp, body: &str, basic: Option<(&str, &str)>) -> Response {
    let mut request = app
        .client
        .post(app.url(TOKEN_PATH))
        .header("Content-Type", FORM)
        .body(body.to_owned());
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    request.send().await.expect("request sent")
}

/// Status, `WWW-Authenticate` and JSON body of a response.
async fn parts(response: Response) -> (u16, Option<String>, Value) {
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.expect("json body");
    (status, challenge, body)
}

async fn assert_invalid_token(response: Response, why: &str) {
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{why}"
    );
    let (status, challenge, body) = parts(response).await;
    assert_eq!(status, 401, "{why}: {body}");
    assert_eq!(
        challenge.as_deref(),
        Some(r#"Bearer realm="centrale", error="invalid_token""#),
        "{why}"
    );
    assert_eq!(body["type"], "/problems/unauthorized", "{why}");
    assert_eq!(body["status"], 401, "{why}");
}

async fn assert_invalid_client(response: Response, why: &str) -> Value {
    let (status, challenge, body) = parts(response).await;
    assert_eq!(status, 401, "{why}: {body}");
    assert_eq!(
        challenge.as_deref(),
        Some(r#"Basic realm="centrale""#),
        "{why}"
    );
    assert_eq!(body["error"], "invalid_client", "{why}");
    body
}

async fn token_by_basic_authentication_or_form_fields(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = issue_client(&app, Role::Admin, None).await;

    let response = post_form(&app, "grant_type=client_credentials", Some((&id, &secret))).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let access = body["access_token"].as_str().unwrap();
    let claims = jwt::verify(
        &TokenKeys::from_settings(&app.settings),
        app.clock.now(),
        access,
    )
    .expect("the shop's own key verifies it");
    assert_eq!(claims.sub, id);
    assert_eq!(claims.role, "admin");
    assert_eq!(claims.iss, "centrale");
    let response = get_with_token(&app, "/api/v1/admin/suppliers", access).await;
    assert_eq!(response.status(), 200);

    // Form fields instead of Basic.
    let response = post_form(
        &app,
        &format!("grant_type=client_credentials&client_id={id}&client_secret={secret}"),
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["access_token"].is_string());

    // Basic credentials are form-urlencoded before base64 (RFC 6749 §2.3.1).
    let encoded_id = id.replace('_', "%5F");
    let response = post_form(
        &app,
        "grant_type=client_credentials",
        Some((&encoded_id, &secret)),
    )
    .await;
    assert_eq!(response.status(), 200, "percent-encoded client id");
}

async fn token_endpoint_refusals_follow_rfc_6749(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = issue_client(&app, Role::Admin, None).await;
    let basic = Some((id.as_str(), secret.as_str()));

    let (status, _, body) = parts(post_form(&app, "grant_type=password", basic).await).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unsupported_grant_type");
    assert!(body["error_description"].is_string());

    let (status, _, body) = parts(post_form(&app, "", basic).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    let twice = "grant_type=client_credentials&grant_type=client_credentials";
    let (status, _, body) = parts(post_form(&app, twice, basic).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    let both = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
    let (status, _, body) = parts(post_form(&app, &both, basic).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "two authentication methods"
    );

    let response = app
        .client
        .post(app.url(TOKEN_PATH))
        .basic_auth(&id, Some(&secret))
        .json(&json!({ "grant_type": "client_credentials" }))
        .send()
        .await
        .unwrap();
    let (status, _, body) = parts(response).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    let response = post_form(&app, "grant_type=client_credentials", None).await;
    assert_invalid_client(response, "no client authentication").await;

    let response = app
        .client
        .post(app.url(TOKEN_PATH))
        .header("Content-Type", FORM)
        .header("Authorization", "Basic !!!not-base64")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_invalid_client(response, "malformed Basic header").await;

    let response = app.get(TOKEN_PATH).await;
    assert_eq!(response.status(), 405, "tokens are only issued by POST");
}

async fn unknown_client_and_wrong_secret_look_the_same(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = issue_client(&app, Role::Supplier, Some(supplier(&app).await)).await;
    let wrong_secret = post_form(
        &app,
        "grant_type=client_credentials",
        Some((&id, "cs_wrong")),
    )
    .await;
    let wrong_secret = assert_invalid_client(wrong_secret, "wrong secret").await;
    let unknown = post_form(
        &app,
        "grant_type=client_credentials",
        Some(("cl_nobody", &secret)),
    )
    .await;
    let unknown = assert_invalid_client(unknown, "unknown client").await;
    assert_eq!(
        wrong_secret, unknown,
        "the answer does not tell which is wrong"
    );
    let form = post_form(
        &app,
        &format!("grant_type=client_credentials&client_id={id}&client_secret=nope"),
        None,
    )
    .await;
    assert_invalid_client(form, "wrong secret in form fields").await;
}

async fn revoked_client_loses_new_and_issued_tokens_at_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = issue_client(&app, Role::Admin, None).await;
    let (other_id, other_secret) = issue_client(&app, Role::Admin, None).await;
    let issued = token(&app, &id, &secret).await;
    let other = token(&app, &other_id, &other_secret).await;
    let response = get_with_token(&app, "/api/v1/admin/institutions", &issued).await;
    assert_eq!(response.status(), 200);

    let response = app
        .client
        .delete(app.url(&format!("/api/v1/admin/api-clients/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let response = post_form(&app, "grant_type=client_credentials", Some((&id, &secret))).await;
    assert_invalid_client(response, "revoked client asks for a token").await;
    let response = get_with_token(&app, "/api/v1/admin/institutions", &issued).await;
    assert_invalid_token(response, "token issued before the revocation").await;
    // Its colleague is unaffected.
    let response = get_with_token(&app, "/api/v1/admin/institutions", &other).await;
    assert_eq!(response.status(), 200);

    // The audit trail names both events and who did them.
    let (client_pk, other_pk) = app
        .with_conn({
            let (id, other_id) = (id.clone(), other_id.clone());
            move |conn| {
                let find = |conn: &mut centrale::db::Conn, client_id: &str| {
                    centrale::db::api_clients::by_client_id(conn, client_id)
                        .unwrap()
                        .unwrap()
                        .id
                };
                (find(conn, &id), find(conn, &other_id))
            }
        })
        .await;
    let events = app
        .with_conn(move |conn| centrale::audit::for_subject(conn, "api_client", client_pk).unwrap())
        .await;
    let actions: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.actor_label.as_str()))
        .collect();
    let by_other = format!("api-client:{other_id}");
    assert_eq!(
        actions,
        vec![
            ("api_client.issued", "test"),
            ("api_client.revoked", by_other.as_str())
        ]
    );
    assert_eq!(events[1].actor_client_id, Some(other_pk));
    assert!(
        !events[0].details.contains(&secret),
        "the secret is never logged"
    );

    // Revoking again changes nothing; an unknown client is a 404.
    let again = app
        .client
        .delete(app.url(&format!("/api/v1/admin/api-clients/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 204);
    let unknown = app
        .client
        .delete(app.url("/api/v1/admin/api-clients/cl_nobody"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

async fn expired_token_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (id, secret) = issue_client(&app, Role::Admin, None).await;
    let issued = token(&app, &id, &secret).await;
    app.clock.advance(Duration::minutes(14));
    let response = get_with_token(&app, "/api/v1/admin/lots", &issued).await;
    assert_eq!(response.status(), 200, "still valid after 14 minutes");
    app.clock.advance(Duration::minutes(2));
    let response = get_with_token(&app, "/api/v1/admin/lots", &issued).await;
    assert_invalid_token(response, "expired token").await;
    // A new token works again.
    let fresh = token(&app, &id, &secret).await;
    let response = get_with_token(&app, "/api/v1/admin/lots", &fresh).await;
    assert_eq!(response.status(), 200);
}

/// Signs `claims` with `alg` and `key`, as someone forging a token would.
fn forge(alg: jsonwebtoken::Algorithm, key: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

async fn forged_tokens_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let supplier_id = supplier(&app).await;
    let (id, secret) = issue_client(&app, Role::Supplier, Some(supplier_id)).await;
    let genuine = token(&app, &id, &secret).await;
    let now = app.clock.now().timestamp();
    let admin_claims = json!({
        "sub": id, "role": "admin", "exp": now + 900, "iat": now, "jti": "forged",
        "iss": "centrale",
    });

    // Payload changed to claim the admin role, signature kept.
    let segments: Vec<&str> = genuine.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        segments[0],
        URL_SAFE_NO_PAD.encode(admin_claims.to_string()),
        segments[2]
    );
    let response = get_with_token(&app, "/api/v1/admin/institutions", &tampered).await;
    assert_invalid_token(response, "tampered payload").await;

    let other_key = forge(
        jsonwebtoken::Algorithm::HS256,
        "a-key-the-shop-never-had-0123456789abcdef",
        &admin_claims,
    );
    let response = get_with_token(&app, "/api/v1/admin/institutions", &other_key).await;
    assert_invalid_token(response, "signed with another key").await;

    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(admin_claims.to_string())
    );
    let response = get_with_token(&app, "/api/v1/admin/institutions", &unsigned).await;
    assert_invalid_token(response, "alg none").await;

    let key = app.settings.jwt_key();
    for alg in [
        jsonwebtoken::Algorithm::HS384,
        jsonwebtoken::Algorithm::HS512,
    ] {
        let token = forge(alg, &key, &admin_claims);
        let response = get_with_token(&app, "/api/v1/admin/institutions", &token).await;
        assert_invalid_token(response, &format!("{alg:?} with the right key")).await;
    }

    // The right key and algorithm, but claims that do not match the stored client.
    let role_lie = forge(jsonwebtoken::Algorithm::HS256, &key, &admin_claims);
    let response = get_with_token(&app, "/api/v1/admin/institutions", &role_lie).await;
    assert_invalid_token(response, "role differs from the client's").await;

    let mut wrong_issuer = admin_claims.clone();
    wrong_issuer["iss"] = json!("elsewhere");
    let response = get_with_token(
        &app,
        "/api/v1/admin/institutions",
        &forge(jsonwebtoken::Algorithm::HS256, &key, &wrong_issuer),
    )
    .await;
    assert_invalid_token(response, "another issuer").await;

    let mut without_jti = admin_claims.clone();
    without_jti.as_object_mut().unwrap().remove("jti");
    let response = get_with_token(
        &app,
        "/api/v1/admin/institutions",
        &forge(jsonwebtoken::Algorithm::HS256, &key, &without_jti),
    )
    .await;
    assert_invalid_token(response, "missing claim").await;

    let response = get_with_token(&app, "/api/v1/admin/institutions", "not.a.token").await;
    assert_invalid_token(response, "garbage").await;
}

async fn missing_bearer_is_asked_for(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for request in [
        app.client.get(app.url("/api/v1/admin/institutions")),
        app.client
            .get(app.url("/api/v1/admin/institutions"))
            .basic_auth("someone", Some("password")),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let (status, challenge, body) = parts(response).await;
        assert_eq!(status, 401);
        // No error code when no token was presented (RFC 6750 §3.1).
        assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="centrale""#));
        assert_eq!(body["type"], "/problems/unauthorized");
        assert!(body["detail"].as_str().unwrap().contains("/oauth/token"));
    }
    // The public catalogue needs no token.
    let (status, _) = app.get_json("/api/v1/catalogue/lots").await;
    assert_eq!(status, 200);
}

async fn wrong_role_is_forbidden(backend: Backend) {
    let Some(app) = spawn_demo_app(backend).await else {
        return;
    };
    let supplier_id = supplier(&app).await;
    let institution_id = app
        .with_conn(|conn| {
            centrale::db::parties::institutions(conn)
                .unwrap()
                .into_iter()
                .find(|i| i.status == "active")
                .unwrap()
                .id
        })
        .await;
    for (role, for_id) in [
        (Role::Supplier, supplier_id),
        (Role::Institution, institution_id),
    ] {
        let (id, secret) = issue_client(&app, role, Some(for_id)).await;
        let access = token(&app, &id, &secret).await;
        for path in [
            "/api/v1/admin/institutions",
            "/api/v1/admin/suppliers",
            "/api/v1/admin/lots",
            "/api/v1/admin/api-clients",
        ] {
            let response = get_with_token(&app, path, &access).await;
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
            let (status, _, body) = parts(response).await;
            assert_eq!(status, 403, "{role:?} on {path}");
            assert_eq!(body["type"], "/problems/forbidden");
        }
        let response = app
            .client
            .post(app.url("/api/v1/admin/api-clients"))
            .bearer_auth(&access)
            .json(&json!({ "role": "admin", "name": "escalation" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{role:?} cannot issue clients");
    }
}

const OLD_KEY: &str = "the-key-before-rotation-0123456789abcdef";
const NEW_KEY: &str = "the-key-after-rotation-0123456789abcdefgh";

async fn tokens_of_the_previous_key_survive_a_rotation(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |settings| {
        settings.secrets.jwt_key = Some(centrale::config::Secret::new(NEW_KEY));
        settings.secrets.jwt_previous_keys = vec![centrale::config::Secret::new(OLD_KEY)];
    })
    .await
    else {
        return;
    };
    let (id, secret) = issue_client(&app, Role::Admin, None).await;
    let subject = Subject {
        client_id: &id,
        role: Role::Admin,
        institution_id: None,
        supplier_id: None,
    };
    // Issued by the shop just before the rotation.
    let before = jwt::issue(&TokenKeys::new(OLD_KEY, &[]), app.clock.now(), &subject)
        .unwrap()
        .token;
    let response = get_with_token(&app, "/api/v1/admin/suppliers", &before).await;
    assert_eq!(response.status(), 200, "previous key still accepted");

    // New tokens are signed with the new key only.
    let after = token(&app, &id, &secret).await;
    let now = app.clock.now();
    assert!(jwt::verify(&TokenKeys::new(NEW_KEY, &[]), now, &after).is_ok());
    assert!(jwt::verify(&TokenKeys::new(OLD_KEY, &[]), now, &after).is_err());

    let stranger = jwt::issue(
        &TokenKeys::new("never-configured-key-0123456789abcdef", &[]),
        now,
        &subject,
    )
    .unwrap()
    .token;
    let response = get_with_token(&app, "/api/v1/admin/suppliers", &stranger).await;
    assert_invalid_token(response, "key that was never configured").await;

    // A previous-key token expires like any other.
    app.clock.advance(Duration::minutes(16));
    let response = get_with_token(&app, "/api/v1/admin/suppliers", &before).await;
    assert_invalid_token(response, "expired previous-key token").await;
}

async fn admin_token(app: &TestApp) -> String {
    let (id, secret) = issue_client(app, Role::Admin, None).await;
    token(app, &id, &secret).await
}

async fn admin_get(app: &TestApp, access: &str, path: &str) -> Value {
    let response = get_with_token(app, path, access).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn admin_lists_every_institution_supplier_and_lot(backend: Backend) {
    let Some(app) = spawn_demo_app(backend).await else {
        return;
    };
    let access = admin_token(&app).await;

    let body = admin_get(&app, &access, "/api/v1/admin/institutions").await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(body["total"], 4);
    assert_eq!(items.len(), 4);
    let statuses: Vec<&str> = items
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"pending"),
        "pending ones too: {statuses:?}"
    );
    for item in items {
        assert!(item["id"].is_i64());
        assert!(item["enterprise_number"].as_str().unwrap().len() >= 10);
        assert!(!item["competent_authority"].as_str().unwrap().is_empty());
        assert!(item["name"].is_string() && item["sector"].is_string());
    }

    let body = admin_get(&app, &access, "/api/v1/admin/suppliers").await;
    let suppliers = body["items"].as_array().unwrap();
    assert_eq!(suppliers.len(), 8);
    assert!(suppliers
        .iter()
        .any(|s| s["name"] == "MediSupply Belgium SA" && s["status"] == "active"));
    let supplier_ids: Vec<i64> = suppliers
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();

    let body = admin_get(&app, &access, "/api/v1/admin/lots").await;
    let lots = body["items"].as_array().unwrap();
    assert_eq!(lots.len(), 9, "drafts and closed lots included");
    let lot = |reference: &str| {
        lots.iter()
            .find(|l| l["reference"] == reference)
            .unwrap_or_else(|| panic!("{reference} listed"))
    };
    assert_eq!(lot("CA-EPI-2026-08")["status"], "draft");
    assert_eq!(lot("CA-EPI-2021-01")["status"], "closed");
    let masks = lot("CA-EPI-2025-01");
    assert_eq!(masks["status"], "published");
    assert!(masks["title"]["fr"].is_string() && masks["title"]["nl"].is_string());
    let cascade = masks["cascade"].as_array().unwrap();
    assert!(!cascade.is_empty());
    for (index, member) in cascade.iter().enumerate() {
        assert_eq!(member["rank"], index as i64 + 1, "ordered by rank");
        assert!(supplier_ids.contains(&member["supplier_id"].as_i64().unwrap()));
    }

    let body = admin_get(&app, &access, "/api/v1/admin/api-clients").await;
    let clients = body["items"].as_array().unwrap();
    assert_eq!(clients.len(), 8 + 3 + 1, "demo clients and ours");
    for client in clients {
        assert!(client["client_id"].as_str().unwrap().starts_with("cl_"));
        assert!(client.get("secret_hash").is_none() && client.get("client_secret").is_none());
    }
}

async fn admin_issues_and_revokes_clients(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let supplier_id = supplier(&app).await;
    let access = admin_token(&app).await;
    let response = app
        .client
        .post(app.url("/api/v1/admin/api-clients"))
        .bearer_auth(&access)
        .json(&json!({ "role": "supplier", "for_id": supplier_id, "name": "ERP link" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["role"], "supplier");
    assert_eq!(body["supplier_id"], supplier_id);
    assert_eq!(body["name"], "ERP link");
    let id = body["client_id"].as_str().unwrap().to_owned();
    let secret = body["client_secret"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cl_") && id.len() == 27, "{id}");
    assert!(secret.starts_with("cs_") && secret.len() == 46, "{secret}");

    let supplier_token = token(&app, &id, &secret).await;
    let claims = jwt::verify(
        &TokenKeys::from_settings(&app.settings),
        app.clock.now(),
        &supplier_token,
    )
    .unwrap();
    assert_eq!(claims.role, "supplier");
    assert_eq!(claims.supplier_id, Some(supplier_id));
    assert_eq!(claims.institution_id, None);

    let response = app
        .client
        .delete(app.url(&format!("/api/v1/admin/api-clients/{id}")))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let listed = admin_get(&app, &access, "/api/v1/admin/api-clients").await;
    let revoked = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == id.as_str())
        .unwrap();
    assert!(revoked["revoked_at"].is_string());
    assert_invalid_client(
        post_form(&app, "grant_type=client_credentials", Some((&id, &secret))).await,
        "revoked by the admin API",
    )
    .await;
}

async fn issuing_validates_the_binding(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let supplier_id = supplier(&app).await;
    let access = admin_token(&app).await;
    for (request, field) in [
        (json!({ "role": "king", "name": "x" }), "role"),
        (json!({ "role": "supplier", "name": "x" }), "for_id"),
        (
            json!({ "role": "supplier", "for_id": 999_999, "name": "x" }),
            "for_id",
        ),
        (
            json!({ "role": "institution", "for_id": supplier_id, "name": "x" }),
            "for_id",
        ),
        (
            json!({ "role": "admin", "for_id": supplier_id, "name": "x" }),
            "for_id",
        ),
        (
            json!({ "role": "supplier", "for_id": supplier_id, "name": " " }),
            "name",
        ),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/admin/api-clients"))
            .bearer_auth(&access)
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{request}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["type"], "/problems/validation");
        assert!(
            body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{request}: {body}"
        );
    }
}

/// The binary, with this test's database and no other CENTRALE setting from outside.
fn centrale_binary(app: &TestApp) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_centrale"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    for (key, _) in std::env::vars() {
        if key.starts_with("CENTRALE") {
            command.env_remove(key);
        }
    }
    command.env("CENTRALE__DATABASE__URL", &app.settings.database.url);
    command
}

async fn run(mut command: std::process::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || command.output().expect("binary runs"))
        .await
        .unwrap()
}

async fn command_line_issues_working_credentials(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let supplier_id = supplier(&app).await;
    let mut issue = centrale_binary(&app);
    issue.args([
        "api-client",
        "issue",
        "--role",
        "supplier",
        "--for",
        &supplier_id.to_string(),
        "--name",
        "ERP",
    ]);
    let output = run(issue).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one line of JSON: {stdout}");
    let printed: Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    let object = printed.as_object().unwrap();
    assert_eq!(object.len(), 2, "{printed}");
    let id = printed["client_id"].as_str().unwrap().to_owned();
    let secret = printed["client_secret"].as_str().unwrap();

    // The running shop accepts them.
    let access = token(&app, &id, secret).await;
    let response = get_with_token(&app, "/api/v1/admin/suppliers", &access).await;
    assert_eq!(
        response.status(),
        403,
        "a supplier client, not an admin one"
    );
    let events = app
        .with_conn({
            let id = id.clone();
            move |conn| {
                let client = centrale::db::api_clients::by_client_id(conn, &id)
                    .unwrap()
                    .unwrap();
                assert_eq!(client.supplier_id, Some(supplier_id));
                assert_eq!(client.name, "ERP");
                centrale::audit::for_subject(conn, "api_client", client.id).unwrap()
            }
        })
        .await;
    assert_eq!(events[0].actor_label, "cli");

    let mut revoke = centrale_binary(&app);
    revoke.args(["api-client", "revoke", &id]);
    let output = run(revoke).await;
    assert!(output.status.success());
    let response = get_with_token(&app, "/api/v1/admin/suppliers", &access).await;
    assert_invalid_token(response, "revoked on the command line").await;

    // A refused binding prints nothing on standard output and explains on standard error.
    let mut refused = centrale_binary(&app);
    refused.args(["api-client", "issue", "--role", "institution"]);
    let output = run(refused).await;
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("for_id"));
}

async fn demo_issues_a_client_per_supplier_and_active_institution(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = app.clock.now_naive();
    let report = app
        .with_conn(move |conn| centrale::demo::load(conn, now).expect("demo loads"))
        .await;
    let by_role = |role: Role| report.api_clients.iter().filter(|c| c.role == role).count();
    assert_eq!(by_role(Role::Supplier), 8);
    assert_eq!(by_role(Role::Institution), 3, "active institutions only");
    assert_eq!(by_role(Role::Admin), 0);
    let printed = report.to_string();
    let logins = printed.find("Web logins").unwrap();
    let clients = printed.find("API clients").expect("credentials printed");
    assert!(logins < clients, "after the web logins");
    for client in &report.api_clients {
        assert!(printed.contains(&client.client_id) && printed.contains(&client.client_secret));
        assert!(printed.contains(&client.organisation));
    }
    let first = &report.api_clients[0];
    let access = token(&app, &first.client_id, &first.client_secret).await;
    let response = get_with_token(&app, "/api/v1/admin/lots", &access).await;
    assert_eq!(response.status(), 403);
    let events = app
        .with_conn(|conn| {
            use centrale::db::schema::audit_events::dsl::*;
            use diesel::prelude::*;
            centrale::with_conn!(conn, |c| audit_events
                .filter(action.eq("api_client.issued"))
                .select(actor_label)
                .load::<String>(c))
            .unwrap()
        })
        .await;
    assert_eq!(events.len(), 11);
    assert!(events.iter().all(|label| label == "demo"));
}

/// Some supplier id: a fresh one from a lot fixture, or the first demo supplier.
async fn supplier(app: &TestApp) -> i64 {
    let now = app.clock.now_naive();
    app.with_conn(move |conn| {
        let existing = centrale::db::parties::suppliers(conn).unwrap();
        match existing.first() {
            Some(supplier) => supplier.id,
            None => helpers::lot_fixture(conn, now, "LOT-API", 1).suppliers[0],
        }
    })
    .await
}
