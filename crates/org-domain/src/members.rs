//! Memberships of users in organizations.
use time::OffsetDateTime;
use uuid::Uuid;

use crate::roles::RoleKey;
use crate::users::PublicUser;

/// A user's membership in an organization, with the user's public fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The organization.
    pub organization_id: Uuid,
    /// The member.
    pub user: PublicUser,
    /// The role key held.
    pub role: RoleKey,
    /// Joined.
    pub created: OffsetDateTime,
    /// Last role change.
    pub updated: OffsetDateTime,
}

/// Filters of the member listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberFilter {
    /// Name, username or email contains (case-insensitive).
    pub search: Option<String>,
    /// Only members holding this role key.
    pub role: Option<RoleKey>,
}

impl MemberFilter {
    /// Whether the filter matches every member.
    pub fn is_empty(&self) -> bool {
        self.search.as_deref().is_none_or(str::is_empty) && self.role.is_none()
    }
}

/// How a member to add is named.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberTarget {
    /// By user id.
    UserId(Uuid),
    /// By email.
    Email(String),
}
