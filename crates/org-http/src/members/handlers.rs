//! Member handlers. One macro stamps the four routes onto each of the three prefixes, so
//! the alias and the shorthand can never drift from the canonical routes; each copy is a
//! documented operation of its own.
use actix_web::HttpResponse;
use org_domain::members::{MemberFilter, MemberTarget};
use org_domain::roles::RoleKey;

use super::{AddMemberRequest, ChangeRoleRequest, MemberBody};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::extract::{MemberParam, OrgParam};
use crate::pagination::{PageBody, PageParams};

/// Lists members (`users:read`).
async fn list(
    state: &AppState,
    auth: Auth,
    org: &OrgParam,
    query: super::MemberQuery,
    page: &PageParams,
) -> ApiResult<HttpResponse> {
    let req = page.request()?;
    let filter = MemberFilter {
        search: query.search,
        role: query.role.as_deref().map(RoleKey::parse).transpose()?,
    };
    let members = state
        .services
        .list_members(&auth.0, &org.org, filter, req)
        .await?;
    Ok(crate::json::large(
        HttpResponse::Ok(),
        &PageBody::from_page(members, MemberBody::from),
    ))
}

/// Adds a member (`users:update`).
async fn add(
    state: &AppState,
    auth: Auth,
    org: &OrgParam,
    body: AddMemberRequest,
) -> ApiResult<HttpResponse> {
    let target = match (body.user_id, body.user_email) {
        (Some(id), _) => MemberTarget::UserId(id),
        (None, email) => MemberTarget::Email(email.unwrap_or_default()),
    };
    let member = state
        .services
        .add_member(&auth.0, &org.org, target, body.role)
        .await?;
    Ok(HttpResponse::Created().json(MemberBody::from(member)))
}

/// Changes a member's role (`users:update`).
async fn change(
    state: &AppState,
    auth: Auth,
    org: &OrgParam,
    member: MemberParam,
    body: ChangeRoleRequest,
) -> ApiResult<HttpResponse> {
    let m = state
        .services
        .change_member_role(&auth.0, &org.org, member.user_id, &body.role)
        .await?;
    Ok(HttpResponse::Ok().json(MemberBody::from(m)))
}

/// Removes a member (`users:delete`) or leaves.
async fn remove(
    state: &AppState,
    auth: Auth,
    org: &OrgParam,
    member: MemberParam,
) -> ApiResult<HttpResponse> {
    state
        .services
        .remove_member(&auth.0, &org.org, member.user_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

macro_rules! member_routes {
    (
        $module:ident, $what:literal,
        collection = $collection:literal, item = $item:literal,
        params = [$($org:ty)?],
        ops = [$list:ident, $add:ident, $change:ident, $remove:ident]
    ) => {
        #[doc = concat!("Member routes ", $what, ".")]
        pub mod $module {
            use actix_web::{HttpResponse, delete, get, patch, post, web};

            use super::super::{AddMemberRequest, ChangeRoleRequest, MemberBody, MemberQuery};
            use crate::AppState;
            use crate::auth::Auth;
            use crate::docs::{BadRequest, JsonBodyErrors, OrgErrors, Unprocessable};
            use crate::error::ApiResult;
            use crate::extract::{Json, MemberParam, OrgParam};
            use crate::pagination::{PageBody, PageParams};

            #[utoipa::path(
                summary = concat!("List members ", $what, "."),
                description = "Requires `users:read`. Oldest first; filter with `search` and `role`.",
                tag = "members",
                security(("bearer" = [])),
                params($($org,)? MemberQuery, PageParams),
                responses(
                    (status = 200, description = "A page of members.", body = PageBody<MemberBody>),
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
                query: web::Query<MemberQuery>,
                page: web::Query<PageParams>,
            ) -> ApiResult<HttpResponse> {
                super::list(&state, auth, &org, query.into_inner(), &page).await
            }

            #[utoipa::path(
                summary = concat!("Add a member ", $what, "."),
                description = "Requires `users:update`, and every permission of the role given (only owners make owners). Already a member: `409 already_member`; unknown user: `404 user_not_found`; unknown role: `422 unknown_role`.",
                tag = "members",
                security(("bearer" = [])),
                params($($org)?),
                responses(
                    (status = 201, description = "The new membership.", body = MemberBody),
                    OrgErrors,
                    JsonBodyErrors,
                )
            )]
            #[post($collection)]
            pub async fn $add(
                state: web::Data<AppState>,
                auth: Auth,
                org: OrgParam,
                body: Json<AddMemberRequest>,
            ) -> ApiResult<HttpResponse> {
                super::add(&state, auth, &org, body.0).await
            }

            #[utoipa::path(
                summary = concat!("Change a member's role ", $what, "."),
                description = "Requires `users:update`, and every permission of both the old and the new role (only owners touch owners). Demoting the last owner: `409 last_owner`.",
                tag = "members",
                security(("bearer" = [])),
                params($($org,)? MemberParam),
                responses(
                    (status = 200, description = "The membership.", body = MemberBody),
                    OrgErrors,
                    JsonBodyErrors,
                )
            )]
            #[patch($item)]
            pub async fn $change(
                state: web::Data<AppState>,
                auth: Auth,
                org: OrgParam,
                member: MemberParam,
                body: Json<ChangeRoleRequest>,
            ) -> ApiResult<HttpResponse> {
                super::change(&state, auth, &org, member, body.0).await
            }

            #[utoipa::path(
                summary = concat!("Remove a member ", $what, "."),
                description = "Requires `users:delete` and every permission of the member's role, except to remove yourself (leaving). Removing the last owner: `409 last_owner`.",
                tag = "members",
                security(("bearer" = [])),
                params($($org,)? MemberParam),
                responses(
                    (status = 204, description = "The membership is gone."),
                    OrgErrors,
                )
            )]
            #[delete($item)]
            pub async fn $remove(
                state: web::Data<AppState>,
                auth: Auth,
                org: OrgParam,
                member: MemberParam,
            ) -> ApiResult<HttpResponse> {
                super::remove(&state, auth, &org, member).await
            }
        }
    };
}

member_routes!(
    members,
    "of an organization",
    collection = "",
    item = "/{user_id}",
    params = [OrgParam],
    ops = [list_members, add_member, change_member_role, remove_member]
);

member_routes!(
    users,
    "(alias `/users`)",
    collection = "",
    item = "/{user_id}",
    params = [OrgParam],
    ops = [
        list_org_users,
        add_org_user,
        change_org_user_role,
        remove_org_user
    ]
);

member_routes!(
    current,
    "of the current organization",
    collection = "",
    item = "/{user_id}",
    params = [],
    ops = [
        list_current_members,
        add_current_member,
        change_current_member_role,
        remove_current_member
    ]
);
