//! Liveness and readiness for load balancers and orchestrators.
use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::app::AppContext;

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Up", body = Object)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers and every migration is applied.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Ready", body = Object), (status = 503, description = "Not ready", body = Object)))]
#[get("/ready")]
pub async fn ready(ctx: web::Data<AppContext>) -> HttpResponse {
    if ctx.db.is_ready().await {
        HttpResponse::Ok().json(json!({"status": "ready"}))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({"status": "not ready"}))
    }
}
