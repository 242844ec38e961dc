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
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};

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
pub mod rate_limit;
pub mod rendered;
pub mod roles;
mod shorthand;
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
    /// Limits of login, signup, invitation tokens and two-factor codes. Clones share one
    /// state: build it once per process, not once per worker.
    pub auth_limits: rate_limit::AuthLimits,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            cors_origins: Vec::new(),
            auth_limits: rate_limit::AuthLimits::default(),
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

/// Registers every API route. Everything under `/api/organizations` is in one scope,
/// everything under `/api/organizations/{org}` in a scope inside it and its collections in
/// scopes inside that, so a request is matched against fixed prefixes and one `{org}`
/// capture instead of against every route's full template in turn (actix tries resources
/// one by one — each handler is one — every check zeroing a segment table, each dynamic
/// one running a regex).
/// Within the outer scope the current-organization shorthands (`/members`, `/roles`,
/// `/invitations`) come before `{org}`, which would otherwise capture them, in scopes whose
/// guards pass everything they do not serve on to `{org}` (`shorthand`). Unmatched paths
/// fall through to the app's default service (`middleware::fallback`) from any scope, so
/// 404 and 405 answers do not depend on this layout.
fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz);
    cfg.service(scope("/api/organizations").configure(|cfg| {
        organizations::collection_routes(cfg);
        // Each shorthand scope admits only what its routes serve (`shorthand`): anything
        // else goes on to `{org}`.
        cfg.service(
            scope("/members")
                .guard(members::CURRENT)
                .configure(members::current_routes),
        );
        cfg.service(
            scope("/roles")
                .guard(roles::CURRENT)
                .configure(roles::current_routes),
        );
        cfg.service(
            scope("/invitations")
                .guard(invitations::CURRENT)
                .configure(invitations::current_routes),
        );
        cfg.service(scope("/{org}").configure(|cfg| {
            // Every template in here starts with a fixed segment, so no scope can capture
            // another's paths: the busiest come first.
            cfg.service(scope("/permissions").configure(permissions::org_routes));
            cfg.service(scope("/members").configure(members::org_routes));
            organizations::org_routes(cfg);
            cfg.service(scope("/users").configure(members::alias_routes));
            cfg.service(scope("/roles").configure(roles::org_routes));
            cfg.service(scope("/invitations").configure(invitations::org_routes));
            audit::org_routes(cfg);
        }));
    }));
    invitations::routes(cfg);
    users::routes(cfg);
    permissions::routes(cfg);
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
/// security headers, CORS (when configured), NUL rejection, authentication.
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
        .wrap(from_fn(auth::authenticate))
        .wrap(from_fn(middleware::reject_nul))
        // Outside authentication and routing, so preflights are answered before them;
        // inside the rest, so CORS answers carry security headers and request ids too.
        .wrap(Condition::new(cors_enabled, cors))
        .wrap(from_fn(middleware::security_headers))
        .wrap(TracingLogger::<middleware::RequestSpan>::new())
        .wrap(from_fn(middleware::request_id))
}

#[cfg(test)]
mod tests;
