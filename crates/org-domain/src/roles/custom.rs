//! Organization-scoped custom roles.
use time::OffsetDateTime;
use uuid::Uuid;

use super::{CustomRoleGrant, RoleKey, SystemRole};
use crate::error::{DomainError, Result};
use crate::permissions::PermissionSet;

/// A custom role's name: trimmed, 1–64 characters, no control characters. Names are
/// unique per organization regardless of case; a name equal to a system key (`admin`,
/// `Member`, …) makes the role shadow that system role.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleName(String);

impl RoleName {
    /// Parses a role name; `422 validation_failed` (field `name`) when it breaks a rule.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        let len = s.chars().count();
        if !(1..=64).contains(&len) {
            return Err(DomainError::invalid("name", "must be 1-64 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "name",
                "must not contain control characters",
            ));
        }
        if uuid::Uuid::parse_str(s).is_ok() {
            return Err(DomainError::invalid(
                "name",
                "must not be a UUID (UUIDs name roles by id)",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive form names are unique by.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }

    /// The system role this name shadows, if any.
    pub fn shadows(&self) -> Option<SystemRole> {
        SystemRole::from_key(&self.key())
    }
}

/// A role defined by one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomRole {
    /// Id.
    pub id: Uuid,
    /// The organization it belongs to.
    pub organization_id: Uuid,
    /// Name, unique in the org (case-insensitively).
    pub name: String,
    /// What the role is for.
    pub description: Option<String>,
    /// Its permissions.
    pub permissions: PermissionSet,
    /// The system role it shadows (its name is that role's key), if any.
    pub shadows: Option<SystemRole>,
    /// Created.
    pub created: OffsetDateTime,
    /// Last changed.
    pub updated: OffsetDateTime,
}

impl CustomRole {
    /// What memberships hold to get this role: the shadowed system role's key, or the id.
    pub fn key(&self) -> RoleKey {
        self.shadows
            .map_or(RoleKey::Custom(self.id), RoleKey::System)
    }

    /// The permissions it lends to a membership.
    pub fn grant(&self) -> CustomRoleGrant {
        CustomRoleGrant {
            id: self.id,
            name: self.name.clone(),
            permissions: self.permissions,
        }
    }
}

/// A role as listed: a system role (possibly shadowed) or a custom role, with the number
/// of members holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSummary {
    /// The key memberships hold: `owner`, `admin`, `member`, or the custom role's id.
    pub key: RoleKey,
    /// The custom role, for custom roles (`None`: a system role).
    pub custom: Option<CustomRole>,
    /// Display name.
    pub name: String,
    /// What the role is for.
    pub description: Option<String>,
    /// The role's own permissions (for a shadowed system role: the built-in ones).
    pub permissions: PermissionSet,
    /// For a system role: the custom role that shadows it in this org.
    pub shadowed_by: Option<Uuid>,
    /// Members holding the key.
    pub member_count: u64,
}

/// A request to create a custom role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRole {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Permission names, `users:read` or `users.read`.
    pub permissions: Vec<String>,
}

/// A partial change of a custom role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolePatch {
    /// New name.
    pub name: Option<String>,
    /// New description (`Some(None)` clears).
    pub description: Option<Option<String>>,
    /// New permission list (replaces the old one).
    pub permissions: Option<Vec<String>>,
}

impl RolePatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
