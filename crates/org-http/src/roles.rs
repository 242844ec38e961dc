//! Roles of an organization: the system roles and the org's custom roles. The routes live
//! under `/api/organizations/{org}/roles` and, for the current organization, the seed-003
//! shorthand `/api/organizations/roles`; handlers are in `roles/handlers.rs`.
use org_domain::roles::RoleSummary;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::json::{nullable, opt_ts};

pub mod handlers;

/// What the current-organization shorthand scope `/api/organizations/roles` serves: the
/// methods of [`current_routes`] on the collection and on an item.
pub(crate) const CURRENT: crate::shorthand::Shorthand = crate::shorthand::Shorthand {
    collection: &["GET", "POST"],
    item: &["GET", "PATCH", "DELETE"],
};

/// Registers the routes of the `/api/organizations/roles` shorthand scope (guarded by
/// [`CURRENT`], before the `{org}` scope).
pub(crate) fn current_routes(cfg: &mut ServiceConfig) {
    use handlers::current;
    cfg.service(current::list_current_roles)
        .service(current::create_current_role)
        .service(current::get_current_role)
        .service(current::update_current_role)
        .service(current::delete_current_role);
}

/// Registers the routes of the `/api/organizations/{org}/roles` scope.
pub(crate) fn org_routes(cfg: &mut ServiceConfig) {
    use handlers::org;
    cfg.service(org::list_roles)
        .service(org::create_role)
        .service(org::get_role)
        .service(org::update_role)
        .service(org::delete_role);
}

/// A role of an organization: a system role (`owner`, `admin`, `member`) or a custom role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RoleBody {
    /// The role's id: a custom role's UUID, or the system role's key.
    #[schema(example = "member")]
    pub id: String,
    /// What memberships and invitations hold to get this role: the system key, or the
    /// custom role's id. A custom role that shadows a system role has that system key.
    #[schema(example = "member")]
    pub key: String,
    /// Display name.
    pub name: String,
    /// What the role is for.
    pub description: Option<String>,
    /// Its permissions, canonical `resource:action` names. For a shadowed system role these
    /// are its built-in permissions; its holders get the shadowing role's instead.
    pub permissions: Vec<String>,
    /// Whether this is a built-in role.
    pub is_system: bool,
    /// For a custom role: the system role it shadows in this organization.
    pub shadows: Option<String>,
    /// For a system role: the custom role shadowing it in this organization.
    pub shadowed_by: Option<Uuid>,
    /// How many members hold the role's key.
    pub member_count: u64,
    /// Created (custom roles).
    #[serde(serialize_with = "opt_ts")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created: Option<OffsetDateTime>,
    /// Last changed (custom roles).
    #[serde(serialize_with = "opt_ts")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated: Option<OffsetDateTime>,
}

impl From<RoleSummary> for RoleBody {
    fn from(r: RoleSummary) -> Self {
        let id = match (&r.custom, r.key) {
            (Some(c), _) => c.id.to_string(),
            (None, k) => k.to_string(),
        };
        Self {
            id,
            key: r.key.to_string(),
            name: r.name,
            description: r.description,
            permissions: r.permissions.names(),
            is_system: r.custom.is_none(),
            shadows: r
                .custom
                .as_ref()
                .and_then(|c| c.shadows)
                .map(|s| s.key().to_owned()),
            shadowed_by: r.shadowed_by,
            member_count: r.member_count,
            created: r.custom.as_ref().map(|c| c.created),
            updated: r.custom.as_ref().map(|c| c.updated),
        }
    }
}

/// Creates a custom role. A name equal to a system role's key (`admin`, `member`, `owner`,
/// any case) shadows that system role in this organization.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleRequest {
    /// Name, 1–64 characters, unique in the organization regardless of case.
    #[schema(example = "billing-admin")]
    pub name: String,
    /// What the role is for (≤ 500 characters).
    #[serde(default)]
    pub description: Option<String>,
    /// Permission names; `users:read` and `users.read` are both accepted.
    #[schema(example = json!(["organization:read", "users.read"]))]
    pub permissions: Vec<String>,
}

/// Changes a custom role; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoleRequest {
    /// New name (a rename cannot start or stop shadowing a system role).
    #[serde(default)]
    pub name: Option<String>,
    /// New description; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// The new permission list (replaces the old one).
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
}

/// `{id}` in a role path: a custom role's UUID (or a system key, which cannot be changed).
#[derive(Debug, Clone, PartialEq, Eq, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RoleParam {
    /// The custom role's id, or a system role's key (read-only).
    pub id: String,
}

impl actix_web::FromRequest for RoleParam {
    type Error = crate::error::ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let id = req.match_info().get("id").unwrap_or_default().to_owned();
        std::future::ready(Ok(Self { id }))
    }
}

/// Options of a role deletion.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteRoleQuery {
    /// Role to move the deleted role's members, pending invitations and default-role
    /// setting to (a system key, custom role id or name). Without it the deletion is
    /// refused (`409 role_in_use`) while anything holds the role.
    pub reassign_to: Option<String>,
}
