//! Each API client has its own request budget; past it, 429 with Retry-After.

mod helpers;

use centrale::db::Backend;
use centrale::parties::Role;
use helpers::{issue_client, spawn_app_with, token};

on_both_backends!(a_client_over_its_budget_gets_429_and_others_do_not);

async fn a_client_over_its_budget_gets_429_and_others_do_not(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.api.rate_per_second = 1;
        s.api.burst = 3;
    })
    .await
    else {
        return;
    };
    let (greedy_id, greedy_secret) = issue_client(&app, Role::Admin, None).await;
    let (calm_id, calm_secret) = issue_client(&app, Role::Admin, None).await;
    let greedy = token(&app, &greedy_id, &greedy_secret).await;
    let calm = token(&app, &calm_id, &calm_secret).await;
    let get = |bearer: String| {
        let request = app
            .client
            .get(app.url("/api/v1/admin/lots"))
            .bearer_auth(bearer);
        async move { request.send().await.unwrap() }
    };
    for _ in 0..3 {
        assert_eq!(get(greedy.clone()).await.status(), 200);
    }
    let limited = get(greedy.clone()).await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    assert_eq!(
        limited.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        get(calm).await.status(),
        200,
        "another client has its own budget"
    );
}
