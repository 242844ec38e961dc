//! The organization's side of invitations. One macro stamps the four routes onto both
//! prefixes, so the shorthand can never drift from the canonical routes.
use actix_web::HttpResponse;

use super::{CreateInvitationRequest, InvitationBody, InvitationParam, InvitationQuery};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::extract::OrgParam;
use crate::pagination::{PageBody, PageParams};

async fn list(
    state: &AppState,
    auth: Auth,
    org: &OrgParam,
    query: &InvitationQuery,
    page: &PageParams,
) -> ApiResult<HttpResponse> {
    let req = page.request()?;
    let filter = query.filter()?;
    let invitations = state
        .services
        .list_invitations(&auth.0, &org.org, filter, req)
        .await?;
    Ok(crate::json::large(
        HttpResponse::Ok(),
        &PageBody::from_page(invitations, InvitationBody::from),
    ))
}

async fn create(
    state: &AppState,
    auth: Auth,
    org: &OrgParam,
    body: CreateInvitationRequest,
) -> ApiResult<HttpResponse> {
    let inv = state
        .services
        .create_invitation(&auth.0, &org.org, &body.email, body.role)
        .await?;
    Ok(HttpResponse::Created().json(InvitationBody::from(inv)))
}

async fn resend(
    state: &AppState,
    auth: Auth,
    org: &OrgParam,
    id: InvitationParam,
) -> ApiResult<HttpResponse> {
    let inv = state
        .services
        .resend_invitation(&auth.0, &org.org, id.id)
        .await?;
    Ok(HttpResponse::Ok().json(InvitationBody::from(inv)))
}

async fn revoke(
    state: &AppState,
    auth: Auth,
    org: &OrgParam,
    id: InvitationParam,
) -> ApiResult<HttpResponse> {
    state
        .services
        .revoke_invitation(&auth.0, &org.org, id.id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

macro_rules! invitation_routes {
    (
        $module:ident, $what:literal,
        collection = $collection:literal, item = $item:literal,
        params = [$($org:ty)?],
        ops = [$list:ident, $create:ident, $resend:ident, $revoke:ident]
    ) => {
        #[doc = concat!("Invitation routes ", $what, ".")]
        pub mod $module {
            use actix_web::{HttpResponse, delete, get, post, web};

            use super::super::{
                CreateInvitationRequest, InvitationBody, InvitationParam, InvitationQuery,
            };
            use crate::AppState;
            use crate::auth::Auth;
            use crate::docs::{BadRequest, Gone, JsonBodyErrors, OrgErrors, Unprocessable};
            use crate::error::ApiResult;
            use crate::extract::{Json, OrgParam};
            use crate::pagination::{PageBody, PageParams};

            #[utoipa::path(
                summary = concat!("List invitations ", $what, "."),
                description = "Requires `users:read`. Newest first; filter with `status` (a pending invitation past its expiry is `expired`). Tokens are never listed.",
                tag = "invitations",
                security(("bearer" = [])),
                params($($org,)? InvitationQuery, PageParams),
                responses(
                    (status = 200, description = "A page of invitations.", body = PageBody<InvitationBody>),
                    (status = 400, response = BadRequest),
                    (status = 422, response = Unprocessable),
                    OrgErrors,
                )
            )]
            #[get($collection)]
            pub async fn $list(
                state: web::Data<AppState>,
                auth: Auth,
                org: OrgParam,
                query: web::Query<InvitationQuery>,
                page: web::Query<PageParams>,
            ) -> ApiResult<HttpResponse> {
                super::list(&state, auth, &org, &query, &page).await
            }

            #[utoipa::path(
                summary = concat!("Invite someone ", $what, "."),
                description = "Requires `users:invite` (any member has it when the organization's `members_can_invite` is on) and every permission of the role given (only owners invite owners). Sends a single-use token through the mailer; it expires after `ORGD_INVITATION_TTL` (default 7 days). A pending invitation for the address exists: `409 invitation_pending` naming it; already a member: `409 already_member`; unknown role: `422 unknown_role`.",
                tag = "invitations",
                security(("bearer" = [])),
                params($($org)?),
                responses(
                    (status = 201, description = "The invitation.", body = InvitationBody),
                    OrgErrors,
                    JsonBodyErrors,
                )
            )]
            #[post($collection)]
            pub async fn $create(
                state: web::Data<AppState>,
                auth: Auth,
                org: OrgParam,
                body: Json<CreateInvitationRequest>,
            ) -> ApiResult<HttpResponse> {
                super::create(&state, auth, &org, body.0).await
            }

            #[utoipa::path(
                summary = concat!("Resend an invitation ", $what, "."),
                description = "Requires `users:invite`. Sends a new token with a new expiry; the old token stops working. Works for pending and expired invitations (an expired one while a newer invitation for the address is pending: `409 invitation_pending`); accepted or declined: `409 invitation_already_used` / `invitation_declined`; revoked: `410 invitation_revoked`.",
                tag = "invitations",
                security(("bearer" = [])),
                params($($org,)? InvitationParam),
                responses(
                    (status = 200, description = "The invitation.", body = InvitationBody),
                    (status = 410, response = Gone),
                    OrgErrors,
                )
            )]
            #[post($item)]
            pub async fn $resend(
                state: web::Data<AppState>,
                auth: Auth,
                org: OrgParam,
                id: InvitationParam,
            ) -> ApiResult<HttpResponse> {
                super::resend(&state, auth, &org, id).await
            }

            #[utoipa::path(
                summary = concat!("Revoke an invitation ", $what, "."),
                description = "Requires `users:invite` and every permission of the invitation's role. Its token stops working; revoking again changes nothing. Accepted or declined: `409 invitation_already_used` / `invitation_declined`.",
                tag = "invitations",
                security(("bearer" = [])),
                params($($org,)? InvitationParam),
                responses(
                    (status = 204, description = "Revoked."),
                    OrgErrors,
                )
            )]
            #[delete($item)]
            pub async fn $revoke(
                state: web::Data<AppState>,
                auth: Auth,
                org: OrgParam,
                id: InvitationParam,
            ) -> ApiResult<HttpResponse> {
                super::revoke(&state, auth, &org, id).await
            }
        }
    };
}

invitation_routes!(
    org,
    "of an organization",
    collection = "",
    item = "/{id}",
    params = [OrgParam],
    ops = [
        list_invitations,
        create_invitation,
        resend_invitation,
        revoke_invitation
    ]
);

invitation_routes!(
    current,
    "of the current organization",
    collection = "",
    item = "/{id}",
    params = [],
    ops = [
        list_current_invitations,
        create_current_invitation,
        resend_current_invitation,
        revoke_current_invitation
    ]
);
