//! The permission catalog, the caller's permission map, and the permission check other
//! services call to use orgd as their authorization backend.
use actix_web::{HttpResponse, get, post, web};
use org_domain::permissions::{Permission, PermissionSet};
use org_domain::policy::Source;
use org_domain::services::{CheckResult, Explanation, MyPermissions};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::AppState;
use crate::auth::Auth;
use crate::docs::{JsonBodyErrors, OrgErrors, Unauthenticated};
use crate::error::ApiResult;
use crate::extract::{Json, OrgParam};

/// Registers the catalog, `/api/permissions`.
pub(crate) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_permissions);
}

/// Registers the caller's permission map and the check in the
/// `/api/organizations/{org}/permissions` scope.
pub(crate) fn org_routes(cfg: &mut ServiceConfig) {
    cfg.service(my_permissions).service(check_permissions);
}

/// One permission of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PermissionBody {
    /// Canonical `resource:action` name.
    #[schema(example = "organization:read")]
    pub name: &'static str,
    /// What it allows.
    pub description: &'static str,
}

/// Every catalog permission mapped to whether it is held, in catalog order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionMap(pub PermissionSet);

impl Serialize for PermissionMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(Permission::ALL.len()))?;
        for p in Permission::ALL {
            map.serialize_entry(p.name(), &self.0.contains(*p))?;
        }
        map.end()
    }
}

/// The caller's role and permissions in an organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyPermissionsBody {
    /// The organization.
    pub organization_id: Uuid,
    /// The caller's role key; `null` for a superuser who is not a member.
    pub role: Option<String>,
    /// Whether the caller is a superuser.
    pub superuser: bool,
    /// Every catalog permission → held or not.
    #[schema(value_type = std::collections::BTreeMap<String, bool>, example = json!({"organization:read": true, "organization:delete": false}))]
    pub permissions: PermissionMap,
}

impl From<MyPermissions> for MyPermissionsBody {
    fn from(m: MyPermissions) -> Self {
        Self {
            organization_id: m.organization_id,
            role: m.role.map(|r| r.to_string()),
            superuser: m.superuser,
            permissions: PermissionMap(m.permissions),
        }
    }
}

/// `POST /api/organizations/{org}/permissions/check`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Permissions to check (`users:read`; seed 003's `users.read` is accepted).
    #[validate(length(max = 100))]
    #[schema(example = json!(["organization:read", "users.read"]))]
    pub permissions: Vec<String>,
    /// Check for this user instead of the caller (needs `users:read`).
    #[serde(default)]
    pub user_id: Option<Uuid>,
}

/// Options of the permission check.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// Add an `explanation` of where each answer came from.
    pub explain: Option<bool>,
}

/// Where one permission's answer came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExplanationBody {
    /// The permission (canonical name).
    pub permission: String,
    /// Whether it is held.
    pub allowed: bool,
    /// `superuser`, `role:<key>`, `custom_role:<name>`, `org_setting:<name>`,
    /// `api_key_scope` (refused by the key's scopes) or `not_in_role`; `null` when the
    /// subject holds nothing in the organization (see `refusal`).
    #[schema(example = "role:member")]
    pub source: Option<String>,
}

fn source_name(s: &Source) -> String {
    match s {
        Source::Superuser => "superuser".to_owned(),
        Source::Role(r) => format!("role:{}", r.key()),
        Source::CustomRole { name, .. } => format!("custom_role:{name}"),
        Source::OrgSetting(setting) => format!("org_setting:{setting}"),
        Source::ApiKeyScope => "api_key_scope".to_owned(),
        Source::NotInRole => "not_in_role".to_owned(),
    }
}

impl From<Explanation> for ExplanationBody {
    fn from(e: Explanation) -> Self {
        Self {
            permission: e.permission.name().to_owned(),
            allowed: e.allowed,
            source: e.source.as_ref().map(source_name),
        }
    }
}

/// The answer of a permission check.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckBody {
    /// Whether every requested permission is held.
    pub allowed: bool,
    /// The requested permissions that are not held (canonical names).
    pub missing: Vec<String>,
    /// The subject's role key; `null` when not a member.
    pub role: Option<String>,
    /// Why the subject holds nothing at all (`not_a_member`, `two_factor_required`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Per-permission explanations, with `?explain=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Vec<ExplanationBody>>,
}

impl From<CheckResult> for CheckBody {
    fn from(c: CheckResult) -> Self {
        Self {
            allowed: c.allowed,
            missing: c.missing.names(),
            role: c.role.map(|r| r.to_string()),
            refusal: c.refusal.map(ToOwned::to_owned),
            explanation: c
                .explanations
                .map(|list| list.into_iter().map(Into::into).collect()),
        }
    }
}

/// The permission catalog.
///
/// Any authenticated caller.
#[utoipa::path(
    tag = "permissions",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every permission, in catalog order.", body = Vec<PermissionBody>),
        (status = 401, response = Unauthenticated),
    )
)]
#[get("/api/permissions")]
pub async fn list_permissions(_auth: Auth) -> HttpResponse {
    let list: Vec<PermissionBody> = Permission::ALL
        .iter()
        .map(|p| PermissionBody {
            name: p.name(),
            description: p.description(),
        })
        .collect();
    HttpResponse::Ok().json(list)
}

/// Your permissions in an organization.
///
/// Any member (or superuser); `me` names the current organization.
#[utoipa::path(
    tag = "permissions",
    security(("bearer" = [])),
    params(OrgParam),
    responses(
        (status = 200, description = "Your role and permission map.", body = MyPermissionsBody),
        OrgErrors,
    )
)]
#[get("")]
pub async fn my_permissions(
    state: web::Data<AppState>,
    auth: Auth,
    org: OrgParam,
) -> ApiResult<HttpResponse> {
    let perms = state.services.my_permissions(&auth.0, &org.org).await?;
    Ok(HttpResponse::Ok().json(MyPermissionsBody::from(perms)))
}

/// Check permissions.
///
/// For the caller, or for another user with `user_id` (needs `users:read`). Read-only;
/// unknown permission names answer `422 validation_failed`.
#[utoipa::path(
    tag = "permissions",
    security(("bearer" = [])),
    params(OrgParam, CheckQuery),
    responses(
        (status = 200, description = "The answer.", body = CheckBody),
        OrgErrors,
        JsonBodyErrors,
    )
)]
#[post("/check")]
pub async fn check_permissions(
    state: web::Data<AppState>,
    auth: Auth,
    org: OrgParam,
    query: web::Query<CheckQuery>,
    body: Json<CheckRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let explain = query.explain.unwrap_or(false);
    let result = state
        .services
        .check_permissions(&auth.0, &org.org, &b.permissions, b.user_id, explain)
        .await?;
    Ok(HttpResponse::Ok().json(CheckBody::from(result)))
}
