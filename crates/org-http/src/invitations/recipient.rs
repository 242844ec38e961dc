//! The recipient's side of invitations, and the outbox.
use actix_web::{HttpResponse, get, post, web};

use super::{AcceptTokenRequest, InvitationBody, InvitationParam, InvitationQuery, OutboxMailBody};
use crate::AppState;
use crate::auth::Auth;
use crate::docs::{
    BadRequest, Conflict, Forbidden, Gone, JsonBodyErrors, NotFound, TooManyRequests,
    Unauthenticated, Unprocessable,
};
use crate::error::ApiResult;
use crate::extract::Json;
use crate::members::MemberBody;
use crate::pagination::{PageBody, PageParams};
use crate::rate_limit::{Account, ClientIp};

/// List invitations addressed to you.
///
/// Invitations to your (lower-cased) email address across organizations, newest first.
#[utoipa::path(
    tag = "invitations",
    security(("bearer" = [])),
    params(InvitationQuery, PageParams),
    responses(
        (status = 200, description = "A page of invitations.", body = PageBody<InvitationBody>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 422, response = Unprocessable),
    )
)]
#[get("/api/users/me/invitations")]
pub async fn list_my_invitations(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<InvitationQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let req = page.request()?;
    let filter = query.filter()?;
    let invitations = state.services.my_invitations(&auth.0, filter, req).await?;
    Ok(crate::json::large(
        HttpResponse::Ok(),
        &PageBody::from_page(invitations, InvitationBody::from),
    ))
}

/// Accept an invitation with its emailed token.
///
/// For the link in the invitation message: sign in (a new user signs up first, with the
/// invited address), then send the token. Creates exactly one membership with the invited
/// role. Unknown token: `404`; addressed to someone else: `403 invitation_not_for_you`;
/// `410 invitation_expired` / `invitation_revoked`; `409 invitation_already_used` /
/// `invitation_declined` / `already_member`. Throttled per client address and per user
/// (`429 rate_limited`), successful attempts included.
#[utoipa::path(
    tag = "invitations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new membership.", body = MemberBody),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 410, response = Gone),
        (status = 429, response = TooManyRequests),
        JsonBodyErrors,
    )
)]
#[post("/api/invitations/accept")]
pub async fn accept_invitation_by_token(
    state: web::Data<AppState>,
    auth: Auth,
    ip: ClientIp,
    body: Json<AcceptTokenRequest>,
) -> ApiResult<HttpResponse> {
    let user = Account::User(auth.0.principal.user.id);
    state.config.auth_limits.check(ip, Some(&user))?;
    let member = state
        .services
        .accept_invitation_by_token(&auth.0, &body.0.token)
        .await?;
    Ok(HttpResponse::Ok().json(MemberBody::from(member)))
}

/// Accept an invitation addressed to you.
///
/// Your email must be the invited one (`403 invitation_not_for_you`). Creates exactly one
/// membership with the invited role, even when accepts race. `410 invitation_expired` /
/// `invitation_revoked`; `409 invitation_already_used` / `invitation_declined` /
/// `already_member`.
#[utoipa::path(
    tag = "invitations",
    security(("bearer" = [])),
    params(InvitationParam),
    responses(
        (status = 200, description = "The new membership.", body = MemberBody),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 410, response = Gone),
    )
)]
#[post("/api/invitations/{id}/accept")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    auth: Auth,
    id: InvitationParam,
) -> ApiResult<HttpResponse> {
    let member = state.services.accept_invitation(&auth.0, id.id).await?;
    Ok(HttpResponse::Ok().json(MemberBody::from(member)))
}

/// Decline an invitation addressed to you.
///
/// Same rules as accepting; nothing else changes.
#[utoipa::path(
    tag = "invitations",
    security(("bearer" = [])),
    params(InvitationParam),
    responses(
        (status = 204, description = "Declined."),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 410, response = Gone),
    )
)]
#[post("/api/invitations/{id}/decline")]
pub async fn decline_invitation(
    state: web::Data<AppState>,
    auth: Auth,
    id: InvitationParam,
) -> ApiResult<HttpResponse> {
    state.services.decline_invitation(&auth.0, id.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Read the outbox (superusers).
///
/// The messages the default mailer queued (invitations, with their accept tokens), newest
/// first. Empty when mail goes out over SMTP (`ORGD_SMTP_URL`).
#[utoipa::path(
    tag = "invitations",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of messages.", body = PageBody<OutboxMailBody>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
    )
)]
#[get("/api/outbox")]
pub async fn list_outbox(
    state: web::Data<AppState>,
    auth: Auth,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let req = page.request()?;
    let mails = state.services.list_outbox(&auth.0, req).await?;
    Ok(crate::json::large(
        HttpResponse::Ok(),
        &PageBody::from_page(mails, OutboxMailBody::from),
    ))
}
