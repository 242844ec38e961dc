//! Cross-cutting request handling: request ids, security headers, URLs holding NUL, the
//! tracing span of each request, and the problem answers for unknown routes (404) and wrong
//! methods (405).
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, web};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;
use uuid::Uuid;

use org_domain::DomainError;

use crate::error::ApiError;

/// The request id header, read from clients and always sent back.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of the current request (the client's `x-request-id` if it is sane,
/// else a fresh UUID), stored in the request extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The client's id when it is 1–128 visible characters from a safe set, else a new one.
    fn from_header(value: Option<&HeaderValue>) -> Self {
        let sane = value
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|s| {
                !s.is_empty()
                    && s.len() <= 128
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(&b))
            });
        Self(sane.map_or_else(|| Uuid::new_v4().to_string(), ToOwned::to_owned))
    }
}

/// Assigns the request id and echoes it in `x-request-id`. Outermost middleware, so that
/// the tracing span and every answer (errors too) carry it.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = RequestId::from_header(req.headers().get(&REQUEST_ID));
    let value = HeaderValue::from_str(id.as_str()).ok();
    req.extensions_mut().insert(id);
    // Handler and extractor errors arrive here as responses; only a failing middleware
    // would make this an `Err`, and actix answers those itself.
    let mut res = next.call(req).await?;
    if let Some(v) = value {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}

/// Refuses a URL holding a percent-encoded NUL (`%00`) in its path or query with
/// `400 bad_request`. No stored text can contain NUL (PostgreSQL refuses it in a text
/// parameter, which would surface as a database error), so such a path or filter names
/// nothing a client could mean.
pub async fn reject_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    // `%2500` is a literal "%00", not a NUL: no window of it reads "%00".
    let has_nul = |s: &str| s.contains("%00");
    let refusal = if has_nul(req.path()) {
        // Such a path names nothing; 404 is what every route documents for it.
        Some(ApiError::Domain(DomainError::not_found(&format!(
            "resource {}",
            req.path()
        ))))
    } else if has_nul(req.query_string()) {
        Some(ApiError::bad_request(
            "the query string must not contain a NUL character (%00)",
        ))
    } else {
        None
    };
    if let Some(err) = refusal {
        return Ok(req.error_response(err).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// A strict policy for JSON answers: nothing may load or frame them.
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// CORS for the configured origins (`ORGD_CORS_ORIGINS`; `*` allows any). With none
/// configured the middleware is not installed at all, so browsers get no CORS grant.
pub fn cors(origins: &[String]) -> actix_cors::Cors {
    let base = if origins.iter().any(|o| o == "*") {
        actix_cors::Cors::default().allow_any_origin()
    } else {
        origins
            .iter()
            .fold(actix_cors::Cors::default(), |c, o| c.allowed_origin(o))
    };
    base.allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .allowed_header(REQUEST_ID)
        .expose_headers([REQUEST_ID])
        .max_age(600)
}

/// Adds security headers to every answer; Swagger UI (`/docs`) keeps a default CSP since
/// it runs scripts and styles of its own.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let is_docs = req.path() == "/docs" || req.path().starts_with("/docs/");
    let is_api = req.path().starts_with("/api/");
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !is_docs {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        );
    }
    if is_api && !h.contains_key(header::CACHE_CONTROL) {
        // Answers carry tokens and tenant data: never cache them in shared caches.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// The root span of each request: method, route template, path, request id, status.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(req: &ServiceRequest) -> Span {
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default();
        let span = tracing::info_span!(
            "request",
            method = %req.method(),
            route = tracing::field::Empty,
            path = %req.path(),
            request_id = %request_id,
            status = tracing::field::Empty,
        );
        // Matching the path against the route templates again costs as much as routing
        // itself: only when the span is recorded.
        if !span.is_disabled() {
            let route = req.match_pattern().unwrap_or_else(|| "default".to_owned());
            span.record("route", route.as_str());
        }
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error) = match outcome {
            Ok(res) => (res.status(), res.response().error()),
            Err(e) => (e.as_response_error().status_code(), Some(e)),
        };
        let code = error
            .and_then(|e| e.as_error::<ApiError>())
            .map_or("", ApiError::code);
        span.record("status", status.as_u16());
        let _enter = span.enter();
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), code, "request failed");
        } else {
            tracing::info!(status = status.as_u16(), code, "request handled");
        }
    }
}

/// The documented routes (path template → methods), to tell 404 from 405.
pub struct RouteTable(Vec<(ResourceDef, Vec<String>)>);

impl RouteTable {
    /// The routes of an OpenAPI document, plus the docs routes that are not in it.
    pub fn from_spec(api: &utoipa::openapi::OpenApi) -> Self {
        let mut routes: Vec<(ResourceDef, Vec<String>)> = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| (ResourceDef::new(path.as_str()), methods_of(item)))
            .collect();
        for extra in ["/docs", "/docs/{tail}*", crate::docs::SPEC_PATH] {
            routes.push((ResourceDef::new(extra), vec!["GET".to_owned()]));
        }
        Self(routes)
    }

    /// The methods answered at `path`, if any route matches it.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for (def, methods) in &self.0 {
            if def.is_match(path) {
                for m in methods {
                    if !out.contains(m) {
                        out.push(m.clone());
                    }
                }
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

fn methods_of(item: &utoipa::openapi::PathItem) -> Vec<String> {
    [
        ("GET", item.get.is_some()),
        ("PUT", item.put.is_some()),
        ("POST", item.post.is_some()),
        ("DELETE", item.delete.is_some()),
        ("PATCH", item.patch.is_some()),
    ]
    .into_iter()
    .filter(|(_, present)| *present)
    .map(|(m, _)| m.to_owned())
    .collect()
}

/// The default service: `405 method_not_allowed` (with `Allow`) when the path exists with
/// other methods, else `404 not_found`.
pub async fn fallback(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<actix_web::HttpResponse, ApiError> {
    Err(match table.allowed(req.path()) {
        Some(allow) if !allow.iter().any(|m| m == req.method().as_str()) => {
            ApiError::MethodNotAllowed {
                method: req.method().to_string(),
                allow,
            }
        }
        _ => ApiError::NoRoute(format!("{} {}", req.method(), req.path())),
    })
}
