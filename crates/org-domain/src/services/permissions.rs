//! The caller's permission map and the permission check other services call.
use uuid::Uuid;

use super::Services;
use crate::auth::{Actor, Credential, Principal};
use crate::error::{DomainError, Result};
use crate::organizations::OrgRef;
use crate::permissions::{Permission, PermissionSet};
use crate::policy::{self, Grant, Source};
use crate::roles::RoleKey;

/// The caller's role and permissions in an org.
#[derive(Debug, Clone, PartialEq)]
pub struct MyPermissions {
    /// The organization.
    pub organization_id: Uuid,
    /// The caller's role key (`None`: superuser who is not a member).
    pub role: Option<RoleKey>,
    /// Whether the caller is a superuser.
    pub superuser: bool,
    /// The effective permissions.
    pub permissions: PermissionSet,
}

/// Why one permission was granted or refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The permission.
    pub permission: Permission,
    /// Granted?
    pub allowed: bool,
    /// Where the answer came from; `None` when the subject is not a member or is refused by
    /// an org rule (see `refusal`).
    pub source: Option<Source>,
}

/// The answer of a permission check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// Whether every requested permission is held.
    pub allowed: bool,
    /// The requested permissions that are not held.
    pub missing: PermissionSet,
    /// The subject's role key.
    pub role: Option<RoleKey>,
    /// Per-permission explanations (`?explain=true`).
    pub explanations: Option<Vec<Explanation>>,
    /// Why the subject holds nothing at all in the org, if so (`not_a_member`,
    /// `two_factor_required`, `api_keys_disabled`, …).
    pub refusal: Option<&'static str>,
}

impl Services {
    /// The caller's permission map in an org.
    ///
    /// # Errors
    /// `404`; the policy's `403`s.
    pub async fn my_permissions(&self, actor: &Actor, org: &str) -> Result<MyPermissions> {
        let (access, grant) = self.access(actor, org).await?;
        Ok(MyPermissions {
            organization_id: access.org.id,
            role: access.role.map(|r| r.key),
            superuser: grant.superuser,
            permissions: grant.permissions,
        })
    }

    /// Checks permissions for the caller, or for another user (`users:read` needed).
    ///
    /// # Errors
    /// `404` when the caller cannot see the org; `403` without `users:read` for another
    /// user; `422` for unknown permission names; `404 user_not_found`.
    pub async fn check_permissions(
        &self,
        actor: &Actor,
        org: &str,
        names: &[String],
        user_id: Option<Uuid>,
        explain: bool,
    ) -> Result<CheckResult> {
        if names.is_empty() {
            return Err(DomainError::invalid(
                "permissions",
                "name at least one permission",
            ));
        }
        let wanted = PermissionSet::parse_list("permissions", names)?;
        let (access, grant) = self.access(actor, org).await?;
        let subject = user_id.filter(|id| *id != actor.principal.user.id);
        let Some(subject_id) = subject else {
            return Ok(Self::answer(
                wanted,
                &grant,
                access.role.as_ref(),
                explain,
                None,
            ));
        };
        grant.require(PermissionSet::of(&[Permission::UsersRead]))?;
        let user = self
            .ports
            .users
            .find_by_id(subject_id)
            .await?
            .ok_or_else(super::auth::user_not_found)?;
        let theirs = self
            .ports
            .organizations
            .access(&OrgRef::Id(access.org.id), subject_id)
            .await?;
        let role = theirs.as_ref().and_then(|a| a.role.clone());
        // The subject is judged as if calling with a session: their keys are not involved.
        let principal = Principal {
            user,
            credential: Credential::Session {
                id: Uuid::nil(),
                active_organization_id: None,
            },
        };
        match policy::evaluate(
            &principal,
            access.org.id,
            &access.org.settings,
            role.as_ref(),
        ) {
            Ok(g) => Ok(Self::answer(wanted, &g, role.as_ref(), explain, None)),
            Err(e) => {
                let refusal = match e.code() {
                    "not_found" => "not_a_member",
                    other => other,
                };
                let denied = Grant::NONE;
                Ok(Self::answer(
                    wanted,
                    &denied,
                    role.as_ref(),
                    explain,
                    Some(refusal),
                ))
            }
        }
    }

    fn answer(
        wanted: PermissionSet,
        grant: &Grant,
        role: Option<&crate::roles::MemberRole>,
        explain: bool,
        refusal: Option<&'static str>,
    ) -> CheckResult {
        let missing = wanted.minus(grant.permissions);
        let explanations = explain.then(|| {
            wanted
                .iter()
                .map(|p| Explanation {
                    permission: p,
                    allowed: grant.permissions.contains(p),
                    source: refusal.is_none().then(|| grant.explain(p, role)),
                })
                .collect()
        });
        CheckResult {
            allowed: missing.is_empty(),
            missing,
            role: role.map(|r| r.key),
            explanations,
            refusal,
        }
    }
}
