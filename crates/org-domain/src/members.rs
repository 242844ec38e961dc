//! Memberships of users in organizations.
use time::OffsetDateTime;
use uuid::Uuid;

use serde_json::json;

use crate::audit::AuditEvent;
use crate::error::Result;
use crate::policy::{Grant, require_manage_role};
use crate::roles::{MemberRole, RoleKey};
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
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

/// How a role change is judged on the role it replaces (see
/// [`MemberRepository::change_role`]): the caller may neither take away nor give a role
/// that carries permissions they lack (nor make or unmake an owner without being one).
///
/// [`MemberRepository::change_role`]: crate::ports::MemberRepository::change_role
#[derive(Debug, Clone)]
pub struct RoleChangeRules {
    /// What the caller holds in the org.
    pub grant: Grant,
    /// The caller's own role there.
    pub caller_role: Option<MemberRole>,
    /// The event to record; [`RoleChangeRules::decide`] fills in `before` and `after`.
    pub event: AuditEvent,
}

impl RoleChangeRules {
    /// The change from `current` to `new` (each with the custom role behind its key):
    /// `Ok(None)` when they are the same role, else the event to record. The store writes
    /// on this decision only where the member holds `current` — read under the org's lock,
    /// or checked by a compare-and-set (see [`MemberRepository::change_role`]).
    ///
    /// [`MemberRepository::change_role`]: crate::ports::MemberRepository::change_role
    ///
    /// # Errors
    /// `403 forbidden` on escalation.
    pub fn decide(&self, current: &MemberRole, new: &MemberRole) -> Result<Option<AuditEvent>> {
        // Both what is taken away and what is given.
        require_manage_role(&self.grant, self.caller_role.as_ref(), current)?;
        require_manage_role(&self.grant, self.caller_role.as_ref(), new)?;
        if current.key == new.key {
            return Ok(None);
        }
        let mut event = self.event.clone();
        event.before = Some(json!({"role": current.key.to_string()}));
        event.after = Some(json!({"role": new.key.to_string()}));
        Ok(Some(event))
    }
}

/// How removing a membership is judged once it is read under the org's lock: members may
/// always leave (the last owner aside, which the store refuses); removing someone else takes
/// every permission of the role they hold (and being an owner, to remove an owner).
#[derive(Debug, Clone)]
pub struct RemovalRules {
    /// What the caller holds in the org.
    pub grant: Grant,
    /// The caller's own role there.
    pub caller_role: Option<MemberRole>,
    /// The caller removes themselves.
    pub leaving: bool,
    /// The event to record; [`RemovalRules::decide`] fills in `before`.
    pub event: AuditEvent,
}

impl RemovalRules {
    /// The event to record for removing `member`, who holds `role`.
    ///
    /// # Errors
    /// `403 forbidden` on escalation.
    pub fn decide(&self, member: &Member, role: &MemberRole) -> Result<AuditEvent> {
        if !self.leaving {
            require_manage_role(&self.grant, self.caller_role.as_ref(), role)?;
        }
        let mut event = self.event.clone();
        event.before = Some(json!({"role": member.role.to_string(), "email": member.user.email}));
        Ok(event)
    }
}
