//! Role handlers. One macro stamps the five routes onto both prefixes, so the shorthand can
//! never drift from the canonical routes; each copy is a documented operation of its own.
use actix_web::HttpResponse;
use org_domain::roles::{NewRole, RolePatch};

use super::{CreateRoleRequest, DeleteRoleQuery, RoleBody, RoleParam, UpdateRoleRequest};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::extract::OrgParam;

async fn list(state: &AppState, auth: Auth, org: &OrgParam) -> ApiResult<HttpResponse> {
    let roles = state.services.list_roles(&auth.0, &org.org).await?;
    let body: Vec<RoleBody> = roles.into_iter().map(RoleBody::from).collect();
    Ok(HttpResponse::Ok().json(body))
}

async fn create(
    state: &AppState,
    auth: Auth,
    org: &OrgParam,
    body: CreateRoleRequest,
) -> ApiResult<HttpResponse> {
    let req = NewRole {
        name: body.name,
        description: body.description,
        permissions: body.permissions,
    };
    let role = state.services.create_role(&auth.0, &org.org, req).await?;
    Ok(HttpResponse::Created().json(RoleBody::from(role)))
}

async fn get(
    state: &AppState,
    auth: Auth,
    org: &OrgParam,
    id: &RoleParam,
) -> ApiResult<HttpResponse> {
    let role = state.services.get_role(&auth.0, &org.org, &id.id).await?;
    Ok(HttpResponse::Ok().json(RoleBody::from(role)))
}

async fn update(
    state: &AppState,
    auth: Auth,
    org: &OrgParam,
    id: &RoleParam,
    body: UpdateRoleRequest,
) -> ApiResult<HttpResponse> {
    let patch = RolePatch {
        name: body.name,
        description: body.description,
        permissions: body.permissions,
    };
    let role = state
        .services
        .update_role(&auth.0, &org.org, &id.id, patch)
        .await?;
    Ok(HttpResponse::Ok().json(RoleBody::from(role)))
}

async fn delete(
    state: &AppState,
    auth: Auth,
    org: &OrgParam,
    id: &RoleParam,
    query: DeleteRoleQuery,
) -> ApiResult<HttpResponse> {
    state
        .services
        .delete_role(&auth.0, &org.org, &id.id, query.reassign_to)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

macro_rules! role_routes {
    (
        $module:ident, $what:literal,
        collection = $collection:literal, item = $item:literal,
        params = [$($org:ty)?],
        ops = [$list:ident, $create:ident, $get:ident, $update:ident, $delete:ident]
    ) => {
        #[doc = concat!("Role routes ", $what, ".")]
        pub mod $module {
            use actix_web::{HttpResponse, delete, get, patch, post, web};

            use super::super::{
                CreateRoleRequest, DeleteRoleQuery, RoleBody, RoleParam, UpdateRoleRequest,
            };
            use crate::AppState;
            use crate::auth::Auth;
            use crate::docs::{BadRequest, JsonBodyErrors, OrgErrors, Unprocessable};
            use crate::error::ApiResult;
            use crate::extract::{Json, OrgParam};

            #[utoipa::path(
                summary = concat!("List roles ", $what, "."),
                description = "Requires `roles:read`. The system roles first (each naming the custom role that shadows it, if any), then the custom roles by name, each with the number of members holding it.",
                tag = "roles",
                security(("bearer" = [])),
                params($($org)?),
                responses(
                    (status = 200, description = "The roles.", body = Vec<RoleBody>),
                    OrgErrors,
                )
            )]
            #[get($collection)]
            pub async fn $list(
                state: web::Data<AppState>,
                auth: Auth,
                org: OrgParam,
            ) -> ApiResult<HttpResponse> {
                super::list(&state, auth, &org).await
            }

            #[utoipa::path(
                summary = concat!("Create a custom role ", $what, "."),
                description = "Requires `roles:create` and every permission the role carries (no escalation). A name equal to a system key shadows that system role for its holders; shadowing also needs every permission of the system role (only owners shadow `owner`). Unknown permission: `422 validation_failed` naming it; name taken: `409 role_name_taken`.",
                tag = "roles",
                security(("bearer" = [])),
                params($($org)?),
                responses(
                    (status = 201, description = "The new role.", body = RoleBody),
                    OrgErrors,
                    JsonBodyErrors,
                )
            )]
            #[post($collection)]
            pub async fn $create(
                state: web::Data<AppState>,
                auth: Auth,
                org: OrgParam,
                body: Json<CreateRoleRequest>,
            ) -> ApiResult<HttpResponse> {
                super::create(&state, auth, &org, body.0).await
            }

            #[utoipa::path(
                summary = concat!("Read a role ", $what, "."),
                description = "Requires `roles:read`. `{id}` is a custom role's id or a system key.",
                tag = "roles",
                security(("bearer" = [])),
                params($($org,)? RoleParam),
                responses(
                    (status = 200, description = "The role.", body = RoleBody),
                    OrgErrors,
                )
            )]
            #[get($item)]
            pub async fn $get(
                state: web::Data<AppState>,
                auth: Auth,
                org: OrgParam,
                id: RoleParam,
            ) -> ApiResult<HttpResponse> {
                super::get(&state, auth, &org, &id).await
            }

            #[utoipa::path(
                summary = concat!("Change a custom role ", $what, "."),
                description = "Requires `roles:update` and every permission of the role before and after the change. System roles cannot be changed (`403 illegal_operation`); a rename cannot start or stop shadowing.",
                tag = "roles",
                security(("bearer" = [])),
                params($($org,)? RoleParam),
                responses(
                    (status = 200, description = "The role.", body = RoleBody),
                    OrgErrors,
                    JsonBodyErrors,
                )
            )]
            #[patch($item)]
            pub async fn $update(
                state: web::Data<AppState>,
                auth: Auth,
                org: OrgParam,
                id: RoleParam,
                body: Json<UpdateRoleRequest>,
            ) -> ApiResult<HttpResponse> {
                super::update(&state, auth, &org, &id, body.0).await
            }

            #[utoipa::path(
                summary = concat!("Delete a custom role ", $what, "."),
                description = "Requires `roles:delete` and every permission of the role. While members or pending invitations hold it (or it is the default role): `409 role_in_use`, unless `reassign_to` names a role to move them to, in one transaction. A shadowing role can always be deleted: its holders fall back to the system role.",
                tag = "roles",
                security(("bearer" = [])),
                params($($org,)? RoleParam, DeleteRoleQuery),
                responses(
                    (status = 204, description = "The role is gone."),
                    (status = 400, response = BadRequest),
                    (status = 422, response = Unprocessable),
                    OrgErrors,
                )
            )]
            #[delete($item)]
            pub async fn $delete(
                state: web::Data<AppState>,
                auth: Auth,
                org: OrgParam,
                id: RoleParam,
                query: web::Query<DeleteRoleQuery>,
            ) -> ApiResult<HttpResponse> {
                super::delete(&state, auth, &org, &id, query.into_inner()).await
            }
        }
    };
}

role_routes!(
    org,
    "of an organization",
    collection = "",
    item = "/{id}",
    params = [OrgParam],
    ops = [list_roles, create_role, get_role, update_role, delete_role]
);

role_routes!(
    current,
    "of the current organization",
    collection = "",
    item = "/{id}",
    params = [],
    ops = [
        list_current_roles,
        create_current_role,
        get_current_role,
        update_current_role,
        delete_current_role
    ]
);
