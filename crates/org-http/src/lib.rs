//! # org-http
//!
//! The HTTP adapter of orgd: actix-web handlers over [`org_domain::services::Services`],
//! bearer authentication, RFC 9457 problem+json errors, and the OpenAPI document with
//! Swagger UI served offline.
//!
//! One call builds the whole application:
//!
//! ```no_run
//! # async fn run(state: org_http::AppState) -> std::io::Result<()> {
//! actix_web::HttpServer::new(move || org_http::app(state.clone()))
//!     .bind("127.0.0.1:8080")?
//!     .run()
//!     .await
//! # }
//! ```
//!
//! [`openapi()`] is the document the server serves at `/api/openapi.json`, built from the
//! same route registration, so the two cannot drift apart.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, Error, web};
use org_domain::services::Services;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

pub mod audit;
pub mod auth;
pub mod docs;
pub mod error;
pub mod extract;
pub mod health;
pub mod invitations;
pub mod json;
pub mod members;
pub mod middleware;
pub mod organizations;
pub mod pagination;
pub mod permissions;
pub mod roles;
pub mod users;

/// The default request body limit: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Settings of the HTTP layer.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Largest accepted request body; larger ones answer `413 payload_too_large`.
    pub max_body_bytes: usize,
    /// Origins allowed by CORS (`*` for any); empty turns CORS off.
    pub cors_origins: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            cors_origins: Vec::new(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub services: Services,
    /// HTTP settings.
    pub config: HttpConfig,
}

/// Registers every API route. The order matters where templates overlap: fixed segments
/// (`/api/organizations/members`) come before `{org}`.
fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz);
    invitations::routes(cfg);
    users::routes(cfg);
    permissions::routes(cfg);
    members::routes(cfg);
    roles::routes(cfg);
    organizations::routes(cfg);
    audit::routes(cfg);
}

/// The routes on a bare app, with the document collected from them.
fn documented() -> (
    App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = Error,
            InitError = (),
        >,
    >,
    utoipa::openapi::OpenApi,
) {
    App::new()
        .into_utoipa_app()
        .openapi(docs::base())
        .configure(routes)
        .split_for_parts()
}

/// The OpenAPI document: exactly what the server serves at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().1
}

/// The complete application: routes, Swagger UI, the OpenAPI document, extractor configs,
/// request ids, request logging, security headers, bearer authentication, and problem
/// answers for unknown routes. Middlewares, outermost first: request id, tracing span,
/// security headers, authentication.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let (app, api) = documented();
    let table = middleware::RouteTable::from_spec(&api);
    let cors_enabled = !state.config.cors_origins.is_empty();
    let cors = middleware::cors(&state.config.cors_origins);
    app.app_data(web::Data::new(state))
        .app_data(web::Data::new(table))
        .app_data(extract::query_config())
        .app_data(extract::path_config())
        .service(web::resource("/docs").route(web::get().to(docs::docs_redirect)))
        .service(docs::swagger(api))
        .default_service(web::to(middleware::fallback))
        .wrap(from_fn(extract::reject_nul))
        .wrap(from_fn(auth::authenticate))
        .wrap(from_fn(middleware::security_headers))
        .wrap(TracingLogger::<middleware::RequestSpan>::new())
        .wrap(from_fn(middleware::request_id))
        // Outermost, so preflights are answered before authentication and routing.
        .wrap(Condition::new(cors_enabled, cors))
}

#[cfg(test)]
mod tests;
