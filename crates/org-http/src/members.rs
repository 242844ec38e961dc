//! Members of an organization. The same four routes live under three prefixes:
//! `/api/organizations/{org}/members`, the seed-002 alias `/api/organizations/{org}/users`,
//! and the seed-003 shorthand `/api/organizations/members` for the current organization
//! (`{org}` = `me`). Handlers are in `members/handlers.rs`.
use org_domain::members::Member;
use org_domain::values::Email;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::json::ts;
use crate::users::PublicUserBody;

pub mod handlers;

/// What the current-organization shorthand scope `/api/organizations/members` serves: the
/// methods of [`current_routes`] on the collection and on an item.
pub(crate) const CURRENT: crate::shorthand::Shorthand = crate::shorthand::Shorthand {
    collection: &["GET", "POST"],
    item: &["PATCH", "DELETE"],
};

/// Registers the routes of the `/api/organizations/members` shorthand scope (guarded by
/// [`CURRENT`], before the `{org}` scope).
pub(crate) fn current_routes(cfg: &mut ServiceConfig) {
    use handlers::current;
    cfg.service(current::list_current_members)
        .service(current::add_current_member)
        .service(current::change_current_member_role)
        .service(current::remove_current_member);
}

/// Registers the routes of the `/api/organizations/{org}/members` scope.
pub(crate) fn org_routes(cfg: &mut ServiceConfig) {
    use handlers::members;
    cfg.service(members::list_members)
        .service(members::add_member)
        .service(members::change_member_role)
        .service(members::remove_member);
}

/// Registers the routes of the `/api/organizations/{org}/users` scope (the alias).
pub(crate) fn alias_routes(cfg: &mut ServiceConfig) {
    use handlers::users;
    cfg.service(users::list_org_users)
        .service(users::add_org_user)
        .service(users::change_org_user_role)
        .service(users::remove_org_user);
}

/// A membership.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MemberBody {
    /// The organization.
    pub organization_id: Uuid,
    /// The member's user id (the `{user_id}` of member paths).
    pub user_id: Uuid,
    /// The role key held: `owner`, `admin`, `member`, or a custom role id.
    #[schema(example = "member")]
    pub role: String,
    /// The member's public fields.
    pub user: PublicUserBody,
    /// Joined (RFC 3339, UTC).
    #[serde(serialize_with = "ts")]
    pub created: OffsetDateTime,
    /// Last role change.
    #[serde(serialize_with = "ts")]
    pub updated: OffsetDateTime,
}

impl From<Member> for MemberBody {
    fn from(m: Member) -> Self {
        Self {
            organization_id: m.organization_id,
            user_id: m.user.id,
            role: m.role.to_string(),
            user: m.user.into(),
            created: m.created,
            updated: m.updated,
        }
    }
}

/// Adds an existing user, named by `user_id` or `user_email` (exactly one).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "one_target", skip_on_field_errors = false))]
pub struct AddMemberRequest {
    /// The user's id.
    #[serde(default)]
    pub user_id: Option<Uuid>,
    /// The user's email (alias `email`).
    #[serde(default, alias = "email")]
    #[validate(custom(function = "email"))]
    #[schema(example = "ann@example.com")]
    pub user_email: Option<String>,
    /// Role key (default: the organization's `default_role_id`, else `member`).
    #[serde(default)]
    #[validate(length(max = 64))]
    #[schema(example = "member")]
    pub role: Option<String>,
}

/// Checked here rather than by the domain so that the error names `user_email`.
fn email(s: &str) -> Result<(), ValidationError> {
    Email::parse(s).map(|_| ()).map_err(|_| {
        ValidationError::new("email").with_message("is not a valid email address".into())
    })
}

fn one_target(r: &AddMemberRequest) -> Result<(), ValidationError> {
    if r.user_id.is_some() == r.user_email.is_some() {
        return Err(ValidationError::new("one_of")
            .with_message("name the user with exactly one of user_id and user_email".into()));
    }
    Ok(())
}

/// Changes a member's role.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRoleRequest {
    /// The new role key: `owner`, `admin`, `member`, or a custom role id.
    #[validate(length(max = 64))]
    #[schema(example = "admin")]
    pub role: String,
}

/// Filters of the member list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Name, username or email contains (case-insensitive).
    pub search: Option<String>,
    /// Only members holding this role key.
    pub role: Option<String>,
}
