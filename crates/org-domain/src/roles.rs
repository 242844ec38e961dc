//! System roles, role keys held by memberships, and the permissions a role resolves to.
use std::fmt;

use uuid::Uuid;

use crate::error::{DomainError, Result};
use crate::permissions::{Permission as P, PermissionSet};

mod custom;

pub use custom::{CustomRole, NewRole, RoleName, RolePatch, RoleSummary};

/// The built-in roles every organization has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemRole {
    /// Everything, including deleting the organization and transferring ownership.
    Owner,
    /// Everything but deleting the organization and transferring ownership.
    Admin,
    /// Read access (+ `users:invite` when the org lets members invite).
    Member,
}

const MEMBER_PERMISSIONS: PermissionSet = PermissionSet::of(&[
    P::OrganizationRead,
    P::UsersRead,
    P::RolesRead,
    P::EntitiesRead,
    P::SpacesRead,
    P::IntegrationRead,
]);

impl SystemRole {
    /// All system roles, most powerful first.
    pub const ALL: [SystemRole; 3] = [Self::Owner, Self::Admin, Self::Member];

    /// The role's key as stored and sent (`owner`, `admin`, `member`).
    pub const fn key(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    /// Parses a system role key.
    pub fn from_key(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "member" => Some(Self::Member),
            _ => None,
        }
    }

    /// The permissions of the role before org settings are applied.
    pub const fn permissions(self) -> PermissionSet {
        match self {
            Self::Owner => PermissionSet::ALL,
            Self::Admin => PermissionSet::ALL.without(P::OrganizationDelete),
            Self::Member => MEMBER_PERMISSIONS,
        }
    }

    /// A human description for role listings.
    pub const fn description(self) -> &'static str {
        match self {
            Self::Owner => {
                "Full control, including deleting the organization and transferring ownership."
            }
            Self::Admin => {
                "Everything except deleting the organization and transferring ownership."
            }
            Self::Member => "Read access; may invite when the organization allows it.",
        }
    }
}

/// What a membership holds: a system role or a custom role of the same organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleKey {
    /// `owner`, `admin` or `member`.
    System(SystemRole),
    /// A custom role, by id.
    Custom(Uuid),
}

impl RoleKey {
    /// Parses the stored / client form: a system key or a custom role's UUID.
    pub fn parse(s: &str) -> Result<Self> {
        if let Some(r) = SystemRole::from_key(s) {
            return Ok(Self::System(r));
        }
        Uuid::parse_str(s).map(Self::Custom).map_err(|_| {
            DomainError::unprocessable(
                "unknown_role",
                format!("'{s}' is not a role of this organization"),
            )
        })
    }

    /// Whether this is the `owner` system role.
    pub fn is_owner(self) -> bool {
        self == Self::System(SystemRole::Owner)
    }
}

impl fmt::Display for RoleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::System(r) => f.write_str(r.key()),
            Self::Custom(id) => write!(f, "{id}"),
        }
    }
}

/// A custom role's permissions as loaded alongside a membership: either the custom role the
/// member holds, or the custom role that shadows the member's system role in that org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomRoleGrant {
    /// The custom role's id.
    pub id: Uuid,
    /// Its name (equal to a system key when it shadows one).
    pub name: String,
    /// Its permissions.
    pub permissions: PermissionSet,
}

/// A membership's role with everything needed to compute its permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRole {
    /// The key the membership holds.
    pub key: RoleKey,
    /// The custom role behind the key (custom key), or shadowing it (system key), if any.
    pub custom: Option<CustomRoleGrant>,
}

impl MemberRole {
    /// A plain system role with no custom role involved.
    pub fn system(role: SystemRole) -> Self {
        Self {
            key: RoleKey::System(role),
            custom: None,
        }
    }

    /// The role's permissions before org settings: the custom role's when there is one,
    /// else the system role's. A custom key whose role vanished grants nothing.
    pub fn base_permissions(&self) -> PermissionSet {
        match (&self.custom, self.key) {
            (Some(c), _) => c.permissions,
            (None, RoleKey::System(r)) => r.permissions(),
            (None, RoleKey::Custom(_)) => PermissionSet::EMPTY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_roles_match_the_spec() {
        assert_eq!(SystemRole::Owner.permissions(), PermissionSet::ALL);
        let admin = SystemRole::Admin.permissions();
        assert!(!admin.contains(P::OrganizationDelete));
        assert_eq!(admin.iter().count(), 19);
        assert_eq!(
            SystemRole::Member.permissions().names(),
            vec![
                "organization:read",
                "users:read",
                "roles:read",
                "entities:read",
                "organization_integration:read",
                "spaces:read"
            ]
        );
    }

    #[test]
    fn role_keys_parse() {
        assert_eq!(
            RoleKey::parse("admin").unwrap(),
            RoleKey::System(SystemRole::Admin)
        );
        let id = Uuid::nil();
        assert_eq!(
            RoleKey::parse(&id.to_string()).unwrap(),
            RoleKey::Custom(id)
        );
        assert_eq!(
            RoleKey::parse("superhero").unwrap_err().code(),
            "unknown_role"
        );
    }

    #[test]
    fn shadowing_custom_role_wins() {
        let shadow = MemberRole {
            key: RoleKey::System(SystemRole::Member),
            custom: Some(CustomRoleGrant {
                id: Uuid::nil(),
                name: "member".into(),
                permissions: PermissionSet::of(&[P::AuditRead]),
            }),
        };
        assert_eq!(shadow.base_permissions().names(), vec!["audit:read"]);
        assert!(
            MemberRole {
                key: RoleKey::Custom(Uuid::nil()),
                custom: None
            }
            .base_permissions()
            .is_empty()
        );
    }
}
