//! Members: list, add, change role, remove / leave.
use serde_json::json;
use uuid::Uuid;

use super::Services;
use super::auth::user_not_found;
use crate::auth::Actor;
use crate::error::Result;
use crate::members::{Member, MemberFilter, MemberTarget, RemovalRules, RoleChangeRules};
use crate::pagination::{Page, PageRequest};
use crate::permissions::{Permission as P, PermissionSet};
use crate::policy::require_manage_role;
use crate::values::Email;

impl Services {
    /// An org's members.
    ///
    /// # Errors
    /// `404`; `403` without `users:read`.
    pub async fn list_members(
        &self,
        actor: &Actor,
        org: &str,
        filter: MemberFilter,
        page: PageRequest,
    ) -> Result<Page<Member>> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::UsersRead]))?;
        let known = filter.is_empty().then_some(access.org.member_count);
        self.ports
            .members
            .list(access.org.id, &filter, page, known, access.version)
            .await
    }

    /// Adds an existing user with a role (default: the org's `default_role_id`, else `member`).
    ///
    /// # Errors
    /// `404`; `403` without `users:update` or when the role exceeds the caller's own
    /// permissions; `404 user_not_found`; `409 already_member`; `422 unknown_role`.
    pub async fn add_member(
        &self,
        actor: &Actor,
        org: &str,
        target: MemberTarget,
        role: Option<String>,
    ) -> Result<Member> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::UsersUpdate]))?;
        let role = match role {
            Some(r) => self.resolve_role(access.org.id, &r).await?,
            None => self.default_role(&access.org).await?,
        };
        require_manage_role(&grant, access.role.as_ref(), &role)?;
        let user = match target {
            MemberTarget::UserId(id) => self.ports.users.find_by_id(id).await?,
            MemberTarget::Email(e) => self.ports.users.find_by_email(&Email::parse(&e)?).await?,
        }
        .ok_or_else(user_not_found)?;
        let org_id = access.org.id;
        let event = self.event(
            Some(actor),
            Some(org_id),
            "member.added",
            "member",
            user.id,
            None,
            Some(json!({"role": role.key.to_string(), "email": user.email.as_str()})),
        );
        self.ports
            .members
            .add(org_id, user.id, role.key, self.ports.clock.now(), &event)
            .await
    }

    /// Changes a member's role. The escalation checks ([`RoleChangeRules`]) run on the role
    /// the change replaces (see [`MemberRepository::change_role`]), not on an earlier read.
    ///
    /// # Errors
    /// `404` (also for non-members); `403` without `users:update` or on escalation;
    /// `409 last_owner`; `422 unknown_role`.
    ///
    /// [`MemberRepository::change_role`]: crate::ports::MemberRepository::change_role
    pub async fn change_member_role(
        &self,
        actor: &Actor,
        org: &str,
        user_id: Uuid,
        role: &str,
    ) -> Result<Member> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::UsersUpdate]))?;
        let org_id = access.org.id;
        let new_key = self.role_key(org_id, role).await?;
        let rules = RoleChangeRules {
            grant,
            caller_role: access.role,
            event: self.event(
                Some(actor),
                Some(org_id),
                "member.role_changed",
                "member",
                user_id,
                None,
                None,
            ),
        };
        self.ports
            .members
            .change_role(org_id, user_id, new_key, self.ports.clock.now(), &rules)
            .await
    }

    /// Removes a member; members may always leave themselves (but the last owner may not).
    /// The escalation check ([`RemovalRules`]) runs on the role the member holds under the
    /// org's lock.
    ///
    /// # Errors
    /// `404`; `403` without `users:delete` or on escalation; `409 last_owner`.
    pub async fn remove_member(&self, actor: &Actor, org: &str, user_id: Uuid) -> Result<()> {
        let (access, grant) = self.access(actor, org).await?;
        let org_id = access.org.id;
        let leaving = user_id == actor.principal.user.id;
        if !leaving {
            grant.require(PermissionSet::of(&[P::UsersDelete]))?;
        }
        let action = if leaving {
            "member.left"
        } else {
            "member.removed"
        };
        let rules = RemovalRules {
            grant,
            caller_role: access.role,
            leaving,
            event: self.event(
                Some(actor),
                Some(org_id),
                action,
                "member",
                user_id,
                None,
                None,
            ),
        };
        self.ports.members.remove(org_id, user_id, &rules).await
    }
}

#[cfg(test)]
#[path = "members_tests.rs"]
mod tests;
