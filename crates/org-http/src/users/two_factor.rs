//! Two-factor authentication (TOTP) of your own account: enroll, enable, disable.
use actix_web::{HttpResponse, post, web};
use org_domain::two_factor::TwoFactorEnrollment;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::UserBody;
use crate::AppState;
use crate::auth::Auth;
use crate::docs::{Conflict, Forbidden, JsonBodyErrors, TooManyRequests, Unauthenticated};
use crate::error::ApiResult;
use crate::extract::Json;
use crate::rate_limit::{Account, ClientIp};

/// A new, pending TOTP secret. Shown only in this answer.
#[derive(Serialize, ToSchema)]
pub struct TwoFactorEnrollmentBody {
    /// The shared secret, RFC 4648 base32 without padding, for manual entry.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: String,
    /// The same secret as an `otpauth://totp/…` URL (SHA1, 6 digits, 30 s), for a QR code.
    #[schema(
        example = "otpauth://totp/orgd:ann%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=orgd"
    )]
    pub otpauth_url: String,
}

impl From<TwoFactorEnrollment> for TwoFactorEnrollmentBody {
    fn from(e: TwoFactorEnrollment) -> Self {
        Self {
            secret: e.secret,
            otpauth_url: e.otpauth_url,
        }
    }
}

/// `POST /api/users/me/two-factor/enable` and `/disable`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCodeRequest {
    /// The current 6-digit code of the authenticator app.
    #[validate(length(min = 1, max = 32))]
    #[schema(example = "123456")]
    pub code: String,
}

/// Start two-factor enrollment.
///
/// Creates a new TOTP secret (replacing a pending one) and answers it once, with its
/// `otpauth://` URL. Nothing changes at login until the secret is confirmed with
/// `POST /api/users/me/two-factor/enable`. Sessions only (`403 illegal_operation` for API
/// keys); `409 two_factor_already_enabled` when it is on.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The pending secret.", body = TwoFactorEnrollmentBody),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
    )
)]
#[post("/api/users/me/two-factor")]
pub async fn start_two_factor(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let enrollment = state.services.start_two_factor(&auth.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TwoFactorEnrollmentBody::from(enrollment)))
}

/// Enable two-factor authentication.
///
/// Confirms the pending secret with a current code; from then on login needs a
/// `totp_code`. Sessions only (`403 illegal_operation`); `409 two_factor_not_started`
/// without a pending secret, `409 two_factor_already_enabled`; `422 invalid_totp_code`
/// for a wrong code (nothing changes). Throttled per client address and per user (`429
/// rate_limited`).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your account, with `two_factor_enabled: true`.", body = UserBody),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 429, response = TooManyRequests),
        JsonBodyErrors,
    )
)]
#[post("/api/users/me/two-factor/enable")]
pub async fn enable_two_factor(
    state: web::Data<AppState>,
    auth: Auth,
    ip: ClientIp,
    body: Json<TotpCodeRequest>,
) -> ApiResult<HttpResponse> {
    let user = Account::User(auth.0.principal.user.id);
    state.config.auth_limits.check(ip, Some(&user))?;
    let user = state
        .services
        .enable_two_factor(&auth.0, &body.0.code)
        .await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}

/// Disable two-factor authentication.
///
/// Needs a current code; erases the secret. Sessions only (`403 illegal_operation`);
/// `409 two_factor_not_enabled`; `422 invalid_totp_code` for a wrong code (nothing
/// changes). Throttled per client address and per user (`429 rate_limited`).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your account, with `two_factor_enabled: false`.", body = UserBody),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 429, response = TooManyRequests),
        JsonBodyErrors,
    )
)]
#[post("/api/users/me/two-factor/disable")]
pub async fn disable_two_factor(
    state: web::Data<AppState>,
    auth: Auth,
    ip: ClientIp,
    body: Json<TotpCodeRequest>,
) -> ApiResult<HttpResponse> {
    let user = Account::User(auth.0.principal.user.id);
    state.config.auth_limits.check(ip, Some(&user))?;
    let user = state
        .services
        .disable_two_factor(&auth.0, &body.0.code)
        .await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}
