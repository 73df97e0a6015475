//! Probes for orchestrators: alive (the process answers) and ready (the database answers).

use actix_web::HttpResponse;
use serde_json::json;

use crate::db::DbError;
use crate::startup::State;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(state: State) -> HttpResponse {
    let backend = state.pool.backend().name();
    let result: Result<(), DbError> = state.pool.run(|conn| conn.ping()).await;
    match result {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ready", "database": backend })),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "5"))
                .json(json!({ "status": "unavailable", "database": backend }))
        }
    }
}
