//! Security headers on every kind of response the shop gives (pages of each role, API JSON,
//! problem documents, error pages, assets, redirects, over-size bodies), HSTS and Secure
//! cookies outside development only, and templates free of inline script.

mod helpers;

use std::path::Path;

use centrale::db::Backend;
use helpers::{buyer_fixture, issue_client, spawn_app, spawn_app_with, token, TestApp};

/// The requests checked: (label, method, path, expected status), made by `app` as it is
/// signed in (or not).
async fn check(app: &TestApp, label: &str, request: reqwest::RequestBuilder, status: u16) {
    let response = request.send().await.expect("request sent");
    assert_eq!(response.status().as_u16(), status, "{label}: status");
    assert_secure_headers(label, response.headers(), !app.settings.is_development());
}

fn assert_secure_headers(label: &str, headers: &reqwest::header::HeaderMap, hsts: bool) {
    let csp = headers
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{label}: no Content-Security-Policy"))
        .to_str()
        .unwrap();
    let directive = |name: &str| {
        csp.split(';')
            .map(str::trim)
            .find(|d| d.split_whitespace().next() == Some(name))
            .map(str::to_owned)
    };
    let scripts = directive("script-src")
        .or_else(|| directive("default-src"))
        .unwrap_or_else(|| panic!("{label}: no script policy in {csp}"));
    assert!(
        !scripts.contains("'unsafe-inline'") && !scripts.contains("'unsafe-eval'"),
        "{label}: scripts may run inline: {csp}"
    );
    assert!(
        !scripts.contains('*') && !scripts.contains("data:"),
        "{label}: scripts from anywhere: {csp}"
    );
    assert_eq!(
        directive("frame-ancestors").as_deref(),
        Some("frame-ancestors 'none'"),
        "{label}: {csp}"
    );
    assert_eq!(
        directive("object-src").as_deref(),
        Some("object-src 'none'"),
        "{label}: {csp}"
    );
    assert_eq!(
        headers.get("x-content-type-options").map(|v| v.as_bytes()),
        Some(&b"nosniff"[..]),
        "{label}: X-Content-Type-Options"
    );
    let referrer = headers
        .get("referrer-policy")
        .unwrap_or_else(|| panic!("{label}: no Referrer-Policy"))
        .to_str()
        .unwrap();
    assert!(
        [
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin"
        ]
        .contains(&referrer),
        "{label}: Referrer-Policy {referrer} leaks addresses"
    );
    match headers.get("strict-transport-security") {
        Some(value) if hsts => {
            let value = value.to_str().unwrap();
            let max_age: u64 = value
                .split(';')
                .find_map(|p| p.trim().strip_prefix("max-age="))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{label}: HSTS without max-age: {value}"));
            assert!(
                max_age >= 15_552_000,
                "{label}: HSTS max-age {max_age} < 180 days"
            );
        }
        None if !hsts => {}
        Some(value) => panic!("{label}: HSTS in development would pin http://localhost: {value:?}"),
        None => panic!("{label}: no HSTS outside development"),
    }
}

/// Every kind of response, as an anonymous visitor, a signed-in buyer and admin, and API
/// clients of both roles.
async fn every_response_kind(app: &TestApp) {
    let c = &app.client;
    let anonymous = [
        ("catalogue page", "/catalogue", 200),
        ("home page", "/", 200),
        ("login page", "/login", 200),
        ("open data page", "/open-data", 200),
        ("API reference", "/api/v1/docs", 200),
        ("404 page", "/no/such/page", 404),
        ("unknown lot page", "/lots/NO-SUCH-LOT", 404),
        ("stylesheet", "/assets/css/site.css", 200),
        ("image", "/assets/img/logo.svg", 200),
        ("missing asset", "/assets/none.css", 404),
        ("health", "/healthz", 200),
        ("readiness", "/readyz", 200),
        ("API JSON", "/api/v1/catalogue/lots", 200),
        ("OpenAPI document", "/api/v1/openapi.json", 200),
        ("API 404 problem", "/api/v1/no-such-thing", 404),
        ("API 401 problem", "/api/v1/orders", 401),
        (
            "API 400 problem",
            "/api/v1/catalogue/products?limit=abc",
            400,
        ),
        ("redirect to login", "/orders", 303),
        ("admin redirect to login", "/admin/memberships", 303),
        ("trailing slash", "/catalogue/", 200),
    ];
    for (label, path, status) in anonymous {
        check(app, label, c.get(app.url(path)), status).await;
    }
    check(
        app,
        "method not allowed",
        c.delete(app.url("/api/v1/catalogue/lots")),
        404,
    )
    .await;
    check(
        app,
        "form without CSRF",
        c.post(app.url("/login"))
            .form(&[("email", "a@b.example"), ("password", "x")]),
        403,
    )
    .await;

    // API clients of each role.
    let buyer = buyer_fixture(app, 7, "fr").await;
    let institution = token(app, &buyer.client_id, &buyer.client_secret).await;
    check(
        app,
        "413 problem",
        c.post(app.url("/api/v1/orders"))
            .bearer_auth(&institution)
            .header("Content-Type", "application/json")
            .body(vec![b' '; 300 * 1024]),
        413,
    )
    .await;
    check(
        app,
        "institution API JSON",
        c.get(app.url("/api/v1/orders")).bearer_auth(&institution),
        200,
    )
    .await;
    check(
        app,
        "institution API 403 problem",
        c.get(app.url("/api/v1/admin/memberships"))
            .bearer_auth(&institution),
        403,
    )
    .await;
    let (admin_id, admin_secret) = issue_client(app, centrale::parties::Role::Admin, None).await;
    let admin = token(app, &admin_id, &admin_secret).await;
    check(
        app,
        "admin API JSON",
        c.get(app.url("/api/v1/admin/memberships"))
            .bearer_auth(&admin),
        200,
    )
    .await;
    let response = c
        .post(app.url("/api/v1/oauth/token"))
        .basic_auth(&admin_id, Some("wrong secret"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_secure_headers(
        "token endpoint error",
        response.headers(),
        !app.settings.is_development(),
    );

    // Pages of a signed-in buyer.
    let signed_in = app.as_new_visitor();
    let response = signed_in.login(&buyer.email, &buyer.password).await;
    assert_eq!(response.status(), 303, "buyer logs in");
    assert_secure_headers(
        "login redirect",
        response.headers(),
        !app.settings.is_development(),
    );
    for (label, path) in [
        ("buyer orders page", "/orders"),
        ("buyer cart page", "/cart"),
        ("buyer catalogue page", "/catalogue"),
    ] {
        check(&signed_in, label, signed_in.client.get(app.url(path)), 200).await;
    }
    check(
        &signed_in,
        "buyer forbidden admin page",
        signed_in.client.get(app.url("/admin/memberships")),
        403,
    )
    .await;

    // Pages of a signed-in admin.
    let back_office = app.as_new_visitor();
    back_office
        .create_admin("admin@centrale.example", "admin long password")
        .await;
    let response = back_office
        .login("admin@centrale.example", "admin long password")
        .await;
    assert_eq!(response.status(), 303, "admin logs in");
    check(
        &back_office,
        "admin page",
        back_office.client.get(app.url("/admin/memberships")),
        200,
    )
    .await;
}

async fn every_response_carries_the_security_headers(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    every_response_kind(&app).await;
}

async fn outside_development_every_response_has_hsts(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| s.profile = "staging".into()).await else {
        return;
    };
    assert!(!app.settings.is_development());
    every_response_kind(&app).await;
}

fn cookies(response: &reqwest::Response, name: &str) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .filter(|c| c.starts_with(&format!("{name}=")))
        .collect()
}

/// The language cookie is Secure wherever the session cookie is, and never readable by
/// scripts.
async fn language_cookie_is_secure_outside_development(backend: Backend) {
    let Some(dev) = spawn_app(backend).await else {
        return;
    };
    let response = dev.get("/catalogue?lang=nl").await;
    let lang = cookies(&response, "lang");
    assert_eq!(lang.len(), 1, "{lang:?}");
    assert!(lang[0].starts_with("lang=nl"), "{lang:?}");
    assert!(lang[0].contains("HttpOnly") && lang[0].contains("SameSite=Lax"));
    assert!(
        !lang[0].contains("Secure"),
        "development serves over http: {lang:?}"
    );
    for profile in ["staging", "production"] {
        let Some(app) = spawn_app_with(backend, |s| {
            s.profile = profile.into();
            s.secrets.session_key = Some(centrale::config::Secret::new("s".repeat(64)));
            s.secrets.jwt_key = Some(centrale::config::Secret::new("j".repeat(64)));
        })
        .await
        else {
            return;
        };
        let response = app.get("/login?lang=nl").await;
        let lang = cookies(&response, "lang");
        assert_eq!(lang.len(), 1, "{profile}: {lang:?}");
        assert!(
            lang[0].contains("Secure") && lang[0].contains("HttpOnly"),
            "{profile}: {lang:?}"
        );
        let session = cookies(&response, "centrale_session");
        assert!(
            session.iter().all(|c| c.contains("Secure")),
            "{profile}: {session:?}"
        );
        assert_secure_headers(profile, response.headers(), true);
    }
}

on_both_backends!(
    every_response_carries_the_security_headers,
    outside_development_every_response_has_hsts,
    language_cookie_is_secure_outside_development,
);

/// What a template may not contain for the policy to hold without 'unsafe-inline'.
fn inline_script_findings(name: &str, text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut findings = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script") {
        let start = at + start;
        let end = lower[start..]
            .find('>')
            .map(|e| start + e)
            .unwrap_or(lower.len());
        let tag = &lower[start..end];
        if !tag.contains(" src=") {
            findings.push(format!("{name}: inline <script> at byte {start}"));
        }
        at = end;
    }
    // Event handler attributes: ` onclick=`, `\tonload =`, ...
    let bytes = lower.as_bytes();
    for (i, _) in lower.match_indices("on") {
        let before_ok =
            i > 0 && matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'');
        if !before_ok {
            continue;
        }
        let rest = &lower[i + 2..];
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        if word.len() < 3 {
            continue;
        }
        let after = rest[word.len()..].trim_start();
        // Only inside a tag: the last '<' before is after the last '>'.
        let inside_tag = lower[..i].rfind('<') > lower[..i].rfind('>');
        if after.starts_with('=') && inside_tag {
            findings.push(format!("{name}: event handler attribute on{word}="));
        }
    }
    for pattern in ["javascript:", "vbscript:", "data:text/html"] {
        if lower.contains(pattern) {
            findings.push(format!("{name}: {pattern} URL"));
        }
    }
    // Emails are not served under the policy and mail clients need inline styles.
    let page = !name.starts_with("mail");
    if page && (lower.contains("<style") || lower.contains(" style=")) {
        findings.push(format!("{name}: inline style (style-src is 'self')"));
    }
    findings
}

fn templates_under(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("templates folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            templates_under(&path, found);
        } else if path.extension().is_some_and(|e| e == "hbs" || e == "html") {
            found.push(path);
        }
    }
}

#[test]
fn no_template_holds_inline_script() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut files = Vec::new();
    templates_under(&root, &mut files);
    assert!(files.len() > 20, "templates found: {}", files.len());
    let findings: Vec<String> = files
        .iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).expect("template readable");
            let name = path.strip_prefix(&root).unwrap().display().to_string();
            inline_script_findings(&name, &text)
        })
        .collect();
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}

/// The scan itself finds what it must.
#[test]
fn the_template_scan_finds_inline_script() {
    let found = |text: &str| inline_script_findings("t", text);
    assert_eq!(found(r#"<script src="/assets/a.js"></script>"#).len(), 0);
    assert_eq!(found("<p>Ce qui est on=line</p>").len(), 0);
    assert_eq!(found("<script>alert(1)</script>").len(), 1);
    assert_eq!(found(r#"<img src="x" onerror="alert(1)">"#).len(), 1);
    assert_eq!(found("<button\n  onClick = 'go()'>").len(), 1);
    assert_eq!(found(r#"<a href="javascript:alert(1)">"#).len(), 1);
    assert_eq!(found(r#"<p style="color:red">"#).len(), 1);
}
