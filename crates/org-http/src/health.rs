//! Liveness and readiness probes.
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiResult;

/// A probe's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness.
///
/// Answers 200 while the process runs. No authentication.
#[utoipa::path(tag = "health", responses((status = 200, description = "The process is up.", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness.
///
/// Answers 200 when the database is reachable, else `503 service_unavailable`. No
/// authentication.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve.", body = Health),
        (status = 503, response = crate::docs::Unavailable),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.services.ready().await?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
