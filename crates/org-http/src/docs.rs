//! The OpenAPI document's frame (info, tags, bearer scheme, shared problem responses) and
//! Swagger UI, served from vendored assets at `/docs`.
//!
//! Paths and their schemas are not listed here: `utoipa-actix-web` collects them from the
//! very `service(...)` calls that register the handlers, so a route cannot be served
//! without being documented.
use actix_web::HttpResponse;
use actix_web::http::header;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{PROBLEM_JSON, Problem, ProblemField};

/// Where the OpenAPI document is served.
pub const SPEC_PATH: &str = "/api/openapi.json";

/// The name of the bearer security scheme in the document.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "orgd",
        description = "Multi-tenant organization management: organizations, members, roles and \
permissions, custom roles, invitations, API keys, audit log.\n\nAuthenticate with `Authorization: Bearer <token>`, where \
the token is a session token (`orgd_s_…`, from signup or login) or a personal API key \
(`orgd_k_…`). Errors are RFC 9457 `application/problem+json` documents with a stable `code`.\n\n\
`{org}` in a path accepts the organization's UUID, slug, exact name, or `me` (the caller's \
current organization).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&BearerScheme),
    components(
        schemas(Problem, ProblemField),
        responses(
            BadRequest,
            Unauthenticated,
            Forbidden,
            NotFound,
            Conflict,
            Gone,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unprocessable,
            Unavailable,
            TooManyRequests
        )
    ),
    tags(
        (name = "health", description = "Liveness and readiness."),
        (name = "auth", description = "Signup, login, logout, the session's current organization."),
        (name = "users", description = "Your profile; user administration for superusers."),
        (name = "api-keys", description = "Personal API keys, shown once and stored hashed."),
        (name = "organizations", description = "Organizations (tenants), their settings, ownership and subscription."),
        (name = "members", description = "Memberships and their roles. Also under `/users` and, for the current organization, `/api/organizations/members`."),
        (name = "roles", description = "System roles and the organization's custom roles; a custom role named like a system role shadows it. Also under `/api/organizations/roles` for the current organization."),
        (name = "invitations", description = "Invitations: the organization's side (also under `/api/organizations/invitations` for the current organization), the recipient's side, and the default mailer's outbox."),
        (name = "permissions", description = "The permission catalog, your permission map, and the permission check other services call."),
        (name = "audit", description = "The audit log of an organization."),
    )
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.description =
            Some("A session token (`orgd_s_…`) or a personal API key (`orgd_k_…`).".to_owned());
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(BEARER, SecurityScheme::Http(http));
    }
}

/// The document before paths are collected.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Shared problem responses, referenced from paths as `(status = 404, response = NotFound)`
/// or through the groups [`OrgErrors`] and [`JsonBodyErrors`].
macro_rules! problem_responses {
    ($($name:ident => $desc:literal;)*) => {$(
        #[doc = $desc]
        pub struct $name;

        impl<'r> utoipa::ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
                let content = ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build();
                let response = ResponseBuilder::new()
                    .description($desc)
                    .content(PROBLEM_JSON, content)
                    .build();
                (stringify!($name), response.into())
            }
        }
    )*};
}

problem_responses! {
    BadRequest => "Malformed JSON, query string or parameters (`bad_request`).";
    Unauthenticated => "No valid bearer token (`unauthenticated`); sent with `WWW-Authenticate: Bearer`. Login also answers `totp_required` when the account has two-factor authentication and no `totp_code` came.";
    Forbidden => "The caller lacks a permission (`forbidden`, naming it in `detail`) or is refused by a rule (`illegal_operation`, `invitation_not_for_you`, `two_factor_required`, `api_keys_disabled`, `key_not_valid_for_organization`, `signup_disabled`).";
    NotFound => "No such resource, or one of another tenant (`not_found`, `user_not_found`).";
    Conflict => "The request conflicts with the current state (`last_owner`, `slug_taken`, `email_taken`, `already_member`, `organization_limit_exceeded`, `no_current_organization`, `id_taken`, `role_name_taken`, `role_in_use`, `invitation_pending`, `invitation_already_used`, `invitation_declined`, `two_factor_already_enabled`, `two_factor_not_started`, `two_factor_not_enabled`).";
    Gone => "The invitation can no longer be used (`invitation_expired`, `invitation_revoked`).";
    PayloadTooLarge => "The body is over the configured size (`payload_too_large`).";
    UnsupportedMediaType => "The body is not `application/json` (`unsupported_media_type`).";
    Unprocessable => "Well-formed but invalid input (`validation_failed` with per-field `errors`, or `reserved_slug`, `not_a_member`, `unknown_role`, `invalid_totp_code`).";
    Unavailable => "The database is unreachable (`service_unavailable`); retry later.";
}

/// `429 rate_limited`, with `Retry-After`: the operations that check a secret are
/// throttled per client address and per account (`ORGD_AUTH_RATE_PER_IP`,
/// `ORGD_AUTH_RATE_PER_ACCOUNT`).
pub struct TooManyRequests;

impl<'r> utoipa::ToResponse<'r> for TooManyRequests {
    fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
        let content = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build();
        let retry_after = utoipa::openapi::HeaderBuilder::new()
            .schema(Some(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::Integer)
                    .minimum(Some(1)),
            ))
            .description(Some("Whole seconds until an attempt may pass."))
            .build();
        let response = ResponseBuilder::new()
            .description(
                "Too many attempts from this client address or on this account \
                 (`rate_limited`); every attempt counts, successful or not. Retry after \
                 `Retry-After` seconds.",
            )
            .header("Retry-After", retry_after)
            .content(PROBLEM_JSON, content)
            .build();
        ("TooManyRequests", response.into())
    }
}

/// The failures of a request with a JSON body, referencing the shared responses above:
/// `400`, `413`, `415`, `422`. Use as `responses((status = 200, ...), JsonBodyErrors)`.
#[derive(utoipa::IntoResponses)]
pub enum JsonBodyErrors {
    #[response(status = 400)]
    BadRequest(#[ref_response] BadRequest),
    #[response(status = 413)]
    PayloadTooLarge(#[ref_response] PayloadTooLarge),
    #[response(status = 415)]
    UnsupportedMediaType(#[ref_response] UnsupportedMediaType),
    #[response(status = 422)]
    Unprocessable(#[ref_response] Unprocessable),
}

/// The failures of an operation on an organization or its members, referencing the shared
/// responses above: `401`, `403`, `404`, `409`.
#[derive(utoipa::IntoResponses)]
pub enum OrgErrors {
    #[response(status = 401)]
    Unauthenticated(#[ref_response] Unauthenticated),
    #[response(status = 403)]
    Forbidden(#[ref_response] Forbidden),
    #[response(status = 404)]
    NotFound(#[ref_response] NotFound),
    #[response(status = 409)]
    Conflict(#[ref_response] Conflict),
}

/// Swagger UI at `/docs/`, reading the document from [`SPEC_PATH`].
pub fn swagger(api: utoipa::openapi::OpenApi) -> SwaggerUi {
    SwaggerUi::new("/docs/{_:.*}").url(SPEC_PATH, api)
}

/// `/docs` without the slash: Swagger UI's relative asset paths need it.
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}
