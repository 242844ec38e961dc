//! Organization handlers: list, create, read, update, delete, subscription.
use std::sync::LazyLock;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use org_domain::organizations::OrgListingPage;

use super::OrgBody;
use super::requests::{
    NewOrgRequest, OrgGetQuery, OrgListQuery, OrgPatchRequest, SubscriptionRequest,
};
use crate::AppState;
use crate::auth::Auth;
use crate::docs::{BadRequest, Forbidden, JsonBodyErrors, OrgErrors, Unauthenticated};
use crate::error::ApiResult;
use crate::extract::{Json, OrgParam};
use crate::pagination::{PageBody, PageParams};
use crate::rendered::Rendered;

/// List organizations.
///
/// The caller's organizations (superusers: all), oldest first. API keys need the
/// `organization:read` scope. Items carry the caller's `role` but no registry key.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(OrgListQuery, PageParams),
    responses(
        (status = 200, description = "A page of organizations.", body = PageBody<OrgBody>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
    )
)]
#[get("")]
pub async fn list_organizations(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<OrgListQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let req = page.request()?;
    let f = filter.into_inner();
    let orgs = state
        .services
        .list_organizations(&auth.0, f.search, f.name, req)
        .await?;
    Ok(LISTINGS.answer(HttpResponse::Ok(), orgs, |orgs| {
        PageBody::from_page(orgs, |(org, role)| OrgBody::listed(org, role))
    }))
}

/// Org listings' answers, rendered once per listing the adapter keeps and hands out again
/// (a user's whole first page: ~70 KB for 100 orgs). Keyed by the listing's identity, which
/// is the same in every app of the process, so one for all.
static LISTINGS: LazyLock<Rendered<OrgListingPage>> =
    LazyLock::new(|| Rendered::new(LISTINGS_BYTES));

/// Room for the texts of [`LISTINGS`]: a hundred users' 100-org pages.
const LISTINGS_BYTES: u64 = 8 * 1024 * 1024;

/// Create an organization.
///
/// The caller becomes its owner. Service accounts cannot create organizations, `owner_id`
/// is for superusers (`403 illegal_operation`); the server may restrict creation to
/// superusers (`403 forbidden`) or cap organizations per owner
/// (`409 organization_limit_exceeded`). API keys need the `organization:write` scope.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new organization.", body = OrgBody),
        OrgErrors,
        JsonBodyErrors,
    )
)]
#[post("")]
pub async fn create_organization(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<NewOrgRequest>,
) -> ApiResult<HttpResponse> {
    let view = state
        .services
        .create_organization(&auth.0, body.0.into())
        .await?;
    Ok(crate::json::large(
        HttpResponse::Created(),
        &OrgBody::from(view),
    ))
}

/// Get an organization.
///
/// Requires `organization:read`. The registry key is shown to members only; `expand`
/// embeds members, pending invitations (both need `users:read`) and roles (needs
/// `roles:read`); subscription fields only with `include_subscription_status=true`.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(OrgParam, OrgGetQuery),
    responses(
        (status = 200, description = "The organization.", body = OrgBody),
        (status = 400, response = BadRequest),
        OrgErrors,
    )
)]
#[get("")]
pub async fn get_organization(
    state: web::Data<AppState>,
    auth: Auth,
    org: OrgParam,
    query: web::Query<OrgGetQuery>,
) -> ApiResult<HttpResponse> {
    let expand = query.expand()?;
    let view = state
        .services
        .get_organization(&auth.0, &org.org, expand)
        .await?;
    Ok(crate::json::large(HttpResponse::Ok(), &OrgBody::from(view)))
}

/// Update an organization.
///
/// Partial. Fields need `organization:write`, `settings` (merged key by key) need
/// `org:settings`, and `owner_id` transfers ownership (the owner or a superuser only;
/// the new owner must be a member, `422 not_a_member`). Nothing is written if any part
/// is refused.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(OrgParam),
    responses(
        (status = 200, description = "The updated organization.", body = OrgBody),
        OrgErrors,
        JsonBodyErrors,
    )
)]
#[patch("")]
pub async fn update_organization(
    state: web::Data<AppState>,
    auth: Auth,
    org: OrgParam,
    body: Json<OrgPatchRequest>,
) -> ApiResult<HttpResponse> {
    let view = state
        .services
        .update_organization(&auth.0, &org.org, body.0.into())
        .await?;
    Ok(crate::json::large(HttpResponse::Ok(), &OrgBody::from(view)))
}

/// Delete an organization.
///
/// Requires `organization:delete`. Removes everything the organization owns.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(OrgParam),
    responses(
        (status = 204, description = "The organization is gone."),
        OrgErrors,
    )
)]
#[delete("")]
pub async fn delete_organization(
    state: web::Data<AppState>,
    auth: Auth,
    org: OrgParam,
) -> ApiResult<HttpResponse> {
    state
        .services
        .delete_organization(&auth.0, &org.org)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set subscription status.
///
/// Requires a superuser. The answer includes the subscription fields.
#[utoipa::path(
    tag = "organizations",
    security(("bearer" = [])),
    params(OrgParam),
    responses(
        (status = 200, description = "The organization with its subscription fields.", body = OrgBody),
        OrgErrors,
        JsonBodyErrors,
    )
)]
#[patch("/subscription")]
pub async fn update_subscription(
    state: web::Data<AppState>,
    auth: Auth,
    org: OrgParam,
    body: Json<SubscriptionRequest>,
) -> ApiResult<HttpResponse> {
    let view = state
        .services
        .update_subscription(&auth.0, &org.org, body.0.into())
        .await?;
    Ok(crate::json::large(HttpResponse::Ok(), &OrgBody::from(view)))
}
