//! The permission catalog and permission sets as bitsets.
use std::fmt;

use crate::error::{DomainError, FieldError, Result};

macro_rules! catalog {
    ($($variant:ident = $bit:literal, $name:literal, $desc:literal;)*) => {
        /// One permission of the catalog. The discriminant is its bit in a [`PermissionSet`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Permission {
            $(#[doc = $desc] $variant = $bit,)*
        }

        impl Permission {
            /// Every permission, in catalog order.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            /// The canonical `resource:action` name.
            pub const fn name(self) -> &'static str {
                match self { $(Permission::$variant => $name,)* }
            }

            /// What the permission allows, for the catalog endpoint.
            pub const fn description(self) -> &'static str {
                match self { $(Permission::$variant => $desc,)* }
            }

            fn from_canonical(s: &str) -> Option<Self> {
                match s { $($name => Some(Permission::$variant),)* _ => None }
            }
        }
    };
}

catalog! {
    OrganizationRead = 0, "organization:read", "Read the organization's details.";
    OrganizationWrite = 1, "organization:write", "Change the organization's name, description, logo, time zone and metadata.";
    OrganizationDelete = 2, "organization:delete", "Delete the organization and everything it owns.";
    OrgSettings = 3, "org:settings", "Change the organization's settings and rotate its registry key.";
    UsersRead = 4, "users:read", "List members and read their roles; check another member's permissions.";
    UsersInvite = 5, "users:invite", "Invite people to the organization.";
    UsersUpdate = 6, "users:update", "Add members and change their roles.";
    UsersDelete = 7, "users:delete", "Remove members.";
    RolesRead = 8, "roles:read", "List the organization's roles.";
    RolesCreate = 9, "roles:create", "Create custom roles.";
    RolesUpdate = 10, "roles:update", "Edit custom roles.";
    RolesDelete = 11, "roles:delete", "Delete custom roles.";
    EntitiesRead = 12, "entities:read", "Read the organization's entities and store.";
    EntitiesWrite = 13, "entities:write", "Create, change and delete entities.";
    EntitiesShareStore = 14, "entities:share_store", "Publish entities to the organization's store.";
    IntegrationRead = 15, "organization_integration:read", "Read the organization's integrations.";
    IntegrationWrite = 16, "organization_integration:write", "Install, configure and remove integrations.";
    SpacesRead = 17, "spaces:read", "Read the organization's spaces and their aggregates.";
    SpacesWrite = 18, "spaces:write", "Attach and detach spaces.";
    AuditRead = 19, "audit:read", "Read the organization's audit log.";
}

impl Permission {
    /// Parses `resource:action`, also accepting seed 003's `resource.action` spelling.
    pub fn parse(s: &str) -> Result<Self> {
        let canonical = s.replacen('.', ":", 1);
        Self::from_canonical(&canonical)
            .ok_or_else(|| DomainError::invalid("permissions", format!("unknown permission '{s}'")))
    }

    const fn bit(self) -> u32 {
        1 << (self as u8)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of permissions as a bitset: membership, union and intersection are single
/// machine instructions, which is what makes the policy check cheap.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PermissionSet(u32);

impl PermissionSet {
    /// No permission.
    pub const EMPTY: Self = Self(0);
    /// Every permission of the catalog.
    pub const ALL: Self = Self((1 << 20) - 1);

    /// A set of the given permissions.
    pub const fn of(perms: &[Permission]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < perms.len() {
            bits |= perms[i].bit();
            i += 1;
        }
        Self(bits)
    }

    /// Parses a list of permission names, reporting every unknown one (field `permissions[i]`).
    pub fn parse_list<S: AsRef<str>>(field: &str, names: &[S]) -> Result<Self> {
        let mut set = Self::EMPTY;
        let mut errors = Vec::new();
        for (i, n) in names.iter().enumerate() {
            match Permission::parse(n.as_ref()) {
                Ok(p) => set = set.with(p),
                Err(_) => errors.push(FieldError::new(
                    format!("{field}[{i}]"),
                    format!("unknown permission '{}'", n.as_ref()),
                )),
            }
        }
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(DomainError::Validation(errors))
        }
    }

    /// Whether `p` is in the set.
    #[inline]
    pub const fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    /// Whether every permission of `other` is in the set.
    #[inline]
    pub const fn contains_all(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The set with `p` added.
    #[inline]
    pub const fn with(self, p: Permission) -> Self {
        Self(self.0 | p.bit())
    }

    /// The set without `p`.
    #[inline]
    pub const fn without(self, p: Permission) -> Self {
        Self(self.0 & !p.bit())
    }

    /// Union.
    #[inline]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Intersection.
    #[inline]
    pub const fn intersect(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// The permissions of `self` that `other` lacks.
    #[inline]
    pub const fn minus(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The permissions in catalog order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(move |p| self.contains(*p))
    }

    /// The canonical names in catalog order.
    pub fn names(self) -> Vec<String> {
        self.iter().map(|p| p.name().to_owned()).collect()
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Permission::name))
            .finish()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        iter.into_iter().fold(Self::EMPTY, Self::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_complete_and_round_trips() {
        assert_eq!(Permission::ALL.len(), 20);
        assert_eq!(PermissionSet::ALL.iter().count(), 20);
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.name()).unwrap(), *p);
            assert_eq!(
                Permission::parse(&p.name().replacen(':', ".", 1)).unwrap(),
                *p
            );
        }
    }

    #[test]
    fn unknown_permissions_are_named() {
        let err =
            PermissionSet::parse_list("permissions", &["users:read", "users:fly"]).unwrap_err();
        match err {
            DomainError::Validation(e) => {
                assert_eq!(e[0].field, "permissions[1]");
                assert!(e[0].message.contains("users:fly"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn set_algebra() {
        let a = PermissionSet::of(&[Permission::UsersRead, Permission::UsersInvite]);
        let b = PermissionSet::of(&[Permission::UsersRead]);
        assert!(a.contains_all(b));
        assert!(!b.contains_all(a));
        assert_eq!(a.intersect(b), b);
        assert_eq!(a.minus(b).names(), vec!["users:invite"]);
        assert_eq!(b.union(a), a);
        assert!(
            a.without(Permission::UsersRead)
                .without(Permission::UsersInvite)
                .is_empty()
        );
    }
}
