//! Signup, login, logout and the session's current organization.
use actix_web::{HttpResponse, post, web};
use org_domain::auth::IssuedSession;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::UserBody;
use crate::AppState;
use crate::auth::Auth;
use crate::docs::{
    Conflict, Forbidden, JsonBodyErrors, NotFound, TooManyRequests, Unauthenticated,
};
use crate::error::ApiResult;
use crate::extract::Json;
use crate::json::ts;
use crate::rate_limit::{Account, ClientIp};

/// `POST /api/auth/signup`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// Email; unique, compared case-insensitively.
    #[schema(example = "ann@example.com")]
    pub email: String,
    /// Password, 8–256 characters.
    #[schema(example = "correct horse battery")]
    pub password: String,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
}

/// `POST /api/auth/login`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Email.
    #[validate(length(max = 254))]
    #[schema(example = "ann@example.com")]
    pub email: String,
    /// Password.
    #[validate(length(max = 1024))]
    pub password: String,
    /// The current 6-digit code of the user's authenticator app; required when the account
    /// has two-factor authentication (`401 totp_required` without it), ignored otherwise.
    #[serde(default)]
    #[validate(length(max = 32))]
    #[schema(example = "123456")]
    pub totp_code: Option<String>,
}

/// A new session. The token is shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionBody {
    /// The bearer token (`orgd_s_…`).
    pub token: String,
    /// When the session ends (RFC 3339, UTC).
    #[serde(serialize_with = "ts")]
    pub expires_at: OffsetDateTime,
    /// The signed-in user.
    pub user: UserBody,
}

impl From<IssuedSession> for SessionBody {
    fn from(s: IssuedSession) -> Self {
        Self {
            token: s.token,
            expires_at: s.expires_at,
            user: s.user.into(),
        }
    }
}

/// `POST /api/auth/session/organization`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurrentOrganizationRequest {
    /// The organization's UUID or slug.
    #[validate(length(max = 200))]
    #[schema(example = "acme")]
    pub organization_id: String,
}

/// The session's current organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentOrganizationBody {
    /// Its id.
    pub organization_id: Uuid,
}

/// Sign up.
///
/// Creates an account and a session. Can be disabled by the server's configuration
/// (`403 signup_disabled`). No authentication. Throttled per client address (`429
/// rate_limited`).
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 201, description = "Account and session created.", body = SessionBody),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 429, response = TooManyRequests),
        JsonBodyErrors,
    )
)]
#[post("/api/auth/signup")]
pub async fn signup(
    state: web::Data<AppState>,
    ip: ClientIp,
    body: Json<SignupRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    state.config.auth_limits.check(ip, None)?;
    let session = state.services.signup(&b.email, &b.password, b.name).await?;
    Ok(HttpResponse::Created().json(SessionBody::from(session)))
}

/// Log in.
///
/// Exchanges an email and password for a session token. Unknown emails, wrong passwords,
/// wrong one-time codes, inactive users and service accounts all answer the same `401
/// unauthenticated`; a right password without the `totp_code` of an account with
/// two-factor authentication answers `401 totp_required`. No authentication. Throttled
/// per client address and per email (`429 rate_limited`), successful attempts included.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "Session created.", body = SessionBody),
        (status = 401, response = Unauthenticated),
        (status = 429, response = TooManyRequests),
        JsonBodyErrors,
    )
)]
#[post("/api/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    ip: ClientIp,
    body: Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    state
        .config
        .auth_limits
        .check(ip, Some(&Account::email(&b.email)))?;
    let session = state
        .services
        .login(&b.email, &b.password, b.totp_code.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(SessionBody::from(session)))
}

/// Log out.
///
/// Ends the calling session. API keys are revoked with
/// `DELETE /api/users/me/api-keys/{id}` instead (`403 illegal_operation`).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The session is over."),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
    )
)]
#[post("/api/auth/logout")]
pub async fn logout(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    state.services.logout(&auth.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set the current organization.
///
/// Makes an organization the session's current one, which `me` then names in
/// `/api/organizations/me/…`. Sessions only: an API key's organization is fixed
/// (`403 illegal_operation`). The caller must be a member (or a superuser).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The current organization is set.", body = CurrentOrganizationBody),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        JsonBodyErrors,
    )
)]
#[post("/api/auth/session/organization")]
pub async fn set_current_organization(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<CurrentOrganizationRequest>,
) -> ApiResult<HttpResponse> {
    let organization_id = state
        .services
        .set_active_organization(&auth.0, &body.0.organization_id)
        .await?;
    Ok(HttpResponse::Ok().json(CurrentOrganizationBody { organization_id }))
}
