//! The authorization policy: a pure function of (principal, membership role, key scopes,
//! org settings) to the set of permissions the caller holds in an organization.
//! Every use case calls it before any write, so every adapter gets the same answer.
use uuid::Uuid;

use crate::auth::{Credential, Principal};
use crate::error::{DomainError, Result};
use crate::organizations::OrgSettings;
use crate::permissions::{Permission, PermissionSet};
use crate::roles::{MemberRole, RoleKey, SystemRole};

/// The permissions a caller holds in one organization, with what they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// The effective permissions.
    pub permissions: PermissionSet,
    /// Granted because the caller is a superuser.
    pub superuser: bool,
    /// The role's own permissions (custom or system), before settings and scopes.
    pub role_permissions: PermissionSet,
    /// Added by org settings (`members_can_invite`).
    pub from_settings: PermissionSet,
    /// The key's scopes, when an API key was used.
    pub scopes: Option<PermissionSet>,
}

/// Where one permission's answer came from (`?explain=true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Superusers hold everything.
    Superuser,
    /// The member's system role.
    Role(SystemRole),
    /// A custom role (shadowing a system role when `shadows` is set).
    CustomRole {
        /// Its id.
        id: Uuid,
        /// Its name.
        name: String,
        /// The system role it shadows.
        shadows: Option<SystemRole>,
    },
    /// An org setting added it.
    OrgSetting(&'static str),
    /// Refused: the API key's scopes do not include it.
    ApiKeyScope,
    /// Refused: the role does not include it.
    NotInRole,
}

impl Grant {
    /// No permission at all (a subject refused by the org's rules).
    pub const NONE: Self = Self {
        permissions: PermissionSet::EMPTY,
        superuser: false,
        role_permissions: PermissionSet::EMPTY,
        from_settings: PermissionSet::EMPTY,
        scopes: None,
    };

    /// Whether every permission of `needed` is held.
    #[inline]
    pub fn allows(&self, needed: PermissionSet) -> bool {
        self.permissions.contains_all(needed)
    }

    /// `Ok` when every permission of `needed` is held, else `403 forbidden` naming them.
    pub fn require(&self, needed: PermissionSet) -> Result<()> {
        let missing = needed.minus(self.permissions);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(DomainError::missing_permission(format!(
                "missing permission: {}",
                missing.names().join(", ")
            )))
        }
    }

    /// Explains one permission's answer.
    pub fn explain(&self, p: Permission, role: Option<&MemberRole>) -> Source {
        if self.superuser && self.scopes.is_none_or(|s| s.contains(p)) {
            return Source::Superuser;
        }
        if self.scopes.is_some_and(|s| !s.contains(p)) {
            return Source::ApiKeyScope;
        }
        if self.role_permissions.contains(p) {
            return match role {
                Some(MemberRole {
                    key,
                    custom: Some(c),
                }) => Source::CustomRole {
                    id: c.id,
                    name: c.name.clone(),
                    shadows: match key {
                        RoleKey::System(r) => Some(*r),
                        RoleKey::Custom(_) => None,
                    },
                },
                Some(MemberRole {
                    key: RoleKey::System(r),
                    custom: None,
                }) => Source::Role(*r),
                _ => Source::NotInRole,
            };
        }
        if self.from_settings.contains(p) {
            return Source::OrgSetting("members_can_invite");
        }
        Source::NotInRole
    }
}

/// Computes the caller's permissions in an organization.
///
/// # Errors
/// - `404 not_found` when the caller is neither a member nor a superuser (a foreign
///   tenant must not learn that the org exists);
/// - `403 key_not_valid_for_organization` for an API key bound to another org;
/// - `403 api_keys_disabled` for a personal key when the org refuses them;
/// - `403 two_factor_required` when the org enforces 2FA and the member has none.
pub fn evaluate(
    principal: &Principal,
    org_id: Uuid,
    settings: &OrgSettings,
    role: Option<&MemberRole>,
) -> Result<Grant> {
    let user = &principal.user;
    let scopes = principal.key_scopes();
    if user.is_superuser {
        let permissions = scopes.unwrap_or(PermissionSet::ALL);
        return Ok(Grant {
            permissions,
            superuser: true,
            role_permissions: role.map_or(PermissionSet::EMPTY, MemberRole::base_permissions),
            from_settings: PermissionSet::EMPTY,
            scopes,
        });
    }
    let Some(role) = role else {
        return Err(DomainError::not_found("organization"));
    };
    if let Credential::ApiKey {
        organization_id: Some(bound),
        ..
    } = &principal.credential
        && *bound != org_id
    {
        return Err(DomainError::forbidden(
            "key_not_valid_for_organization",
            "this API key is bound to another organization",
        ));
    }
    if scopes.is_some() && !user.is_service_account && !settings.members_can_use_personal_api_keys {
        return Err(DomainError::forbidden(
            "api_keys_disabled",
            "this organization does not accept personal API keys",
        ));
    }
    if settings.enforce_2fa && !user.two_factor_enabled && !user.is_service_account {
        return Err(DomainError::forbidden(
            "two_factor_required",
            "this organization requires two-factor authentication",
        ));
    }
    let role_permissions = role.base_permissions();
    // "Any member may invite": whatever role they hold.
    let from_settings =
        if settings.members_can_invite && !role_permissions.contains(Permission::UsersInvite) {
            PermissionSet::of(&[Permission::UsersInvite])
        } else {
            PermissionSet::EMPTY
        };
    let held = role_permissions.union(from_settings);
    Ok(Grant {
        permissions: scopes.map_or(held, |s| held.intersect(s)),
        superuser: false,
        role_permissions,
        from_settings,
        scopes,
    })
}

/// Whether a caller holding `grant` may give or take away `role` (no escalation): they must
/// hold every permission the role carries. Only owners (and superusers) can make owners.
pub fn may_manage_role(grant: &Grant, caller_role: Option<&MemberRole>, role: &MemberRole) -> bool {
    if grant.superuser {
        return true;
    }
    if role.key.is_owner() && !caller_role.is_some_and(|r| r.key.is_owner()) {
        return false;
    }
    grant.permissions.contains_all(role.base_permissions())
}

/// [`may_manage_role`] as a result: `403 forbidden` naming the role when it is refused.
///
/// # Errors
/// `403 forbidden`.
pub fn require_manage_role(
    grant: &Grant,
    caller_role: Option<&MemberRole>,
    role: &MemberRole,
) -> Result<()> {
    if may_manage_role(grant, caller_role, role) {
        Ok(())
    } else {
        Err(DomainError::missing_permission(format!(
            "you cannot grant or take away the role '{}': it carries permissions you do not hold",
            role.key
        )))
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
