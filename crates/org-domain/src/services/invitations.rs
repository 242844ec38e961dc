//! Invitations: the organization's side (list, create, resend, revoke), the recipient's
//! side (list mine, accept by id or by emailed token, decline), and the outbox.
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::Services;
use crate::auth::{Actor, TokenHash};
use crate::error::{DomainError, Result};
use crate::invitations::{Invitation, InvitationFilter, NewInvitation, OutboxMail};
use crate::members::Member;
use crate::organizations::{OrgAccess, OrgBasics};
use crate::pagination::{Page, PageRequest};
use crate::permissions::{Permission as P, PermissionSet};
use crate::policy::require_manage_role;
use crate::ports::Mail;
use crate::roles::{RoleKey, SystemRole};
use crate::values::Email;

/// The prefix of invitation tokens, so a leaked one is recognisable.
pub const INVITATION_PREFIX: &str = "orgd_i_";

fn invitation_not_found() -> DomainError {
    DomainError::not_found("invitation")
}

fn not_for_you() -> DomainError {
    DomainError::forbidden(
        "invitation_not_for_you",
        "this invitation is addressed to another email address",
    )
}

impl Services {
    /// An org's invitations, newest first, optionally by status.
    ///
    /// # Errors
    /// `404`; `403` without `users:read`.
    pub async fn list_invitations(
        &self,
        actor: &Actor,
        org: &str,
        filter: InvitationFilter,
        page: PageRequest,
    ) -> Result<Page<Invitation>> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::UsersRead]))?;
        let now = self.ports.clock.now();
        self.ports
            .invitations
            .list(access.org.id, &filter, now, page, access.version)
            .await
    }

    /// Invites an address with a role (default: the org's default role) and sends the
    /// accept token through the mailer.
    ///
    /// # Errors
    /// `404`; `403` without `users:invite` (held by any member when `members_can_invite`)
    /// or for a role beyond the caller's own permissions; `422`; `409 invitation_pending`,
    /// `409 already_member`.
    pub async fn create_invitation(
        &self,
        actor: &Actor,
        org: &str,
        email: &str,
        role: Option<String>,
    ) -> Result<Invitation> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::UsersInvite]))?;
        let email = Email::parse(email)?;
        let role = match role {
            Some(r) => self.resolve_role(access.org.id, &r).await?,
            None => self.default_role(&access.org).await?,
        };
        require_manage_role(&grant, access.role.as_ref(), &role)?;
        let now = self.ports.clock.now();
        let token = format!("{INVITATION_PREFIX}{}", self.ports.ids.new_secret());
        let new = NewInvitation {
            id: self.ports.ids.new_id(),
            organization_id: access.org.id,
            email: email.as_str().to_owned(),
            role: role.key,
            token_hash: TokenHash::of(&token).to_hex(),
            inviter_id: actor.principal.user.id,
            expires_at: now + self.config.invitation_ttl,
            created: now,
        };
        let event = self.event(
            Some(actor),
            Some(access.org.id),
            "invitation.created",
            "invitation",
            new.id,
            None,
            Some(json!({"email": new.email, "role": role.key.to_string()})),
        );
        let invitation = self.ports.invitations.insert(&new, now, &event).await?;
        self.deliver(actor, &invitation, &token).await;
        Ok(invitation)
    }

    /// Sends an invitation again with a new token and expiry; the old token stops working.
    ///
    /// # Errors
    /// `404`; `403` without `users:invite` or for a role beyond the caller's permissions;
    /// `409 invitation_already_used` / `invitation_declined`, `410 invitation_revoked`.
    pub async fn resend_invitation(
        &self,
        actor: &Actor,
        org: &str,
        id: Uuid,
    ) -> Result<Invitation> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::UsersInvite]))?;
        let before = self.org_invitation(&access, id).await?;
        let role = self.role_of(access.org.id, before.role).await?;
        require_manage_role(&grant, access.role.as_ref(), &role)?;
        let now = self.ports.clock.now();
        let token = format!("{INVITATION_PREFIX}{}", self.ports.ids.new_secret());
        let expires_at = now + self.config.invitation_ttl;
        let event = self.event(
            Some(actor),
            Some(access.org.id),
            "invitation.resent",
            "invitation",
            id,
            Some(json!({"expires_at": before.expires_at.format(&Rfc3339).ok()})),
            Some(json!({"expires_at": expires_at.format(&Rfc3339).ok()})),
        );
        let invitation = self
            .ports
            .invitations
            .renew(id, &TokenHash::of(&token).to_hex(), expires_at, now, &event)
            .await?;
        self.deliver(actor, &invitation, &token).await;
        Ok(invitation)
    }

    /// Revokes a pending invitation (again: no change).
    ///
    /// # Errors
    /// `404`; `403` without `users:invite` or for a role beyond the caller's permissions;
    /// `409 invitation_already_used` / `invitation_declined`.
    pub async fn revoke_invitation(&self, actor: &Actor, org: &str, id: Uuid) -> Result<()> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::UsersInvite]))?;
        let inv = self.org_invitation(&access, id).await?;
        // Withdrawing an invitation is managing its role, like sending it.
        let role = self.role_of(access.org.id, inv.role).await?;
        require_manage_role(&grant, access.role.as_ref(), &role)?;
        let event = self.event(
            Some(actor),
            Some(access.org.id),
            "invitation.revoked",
            "invitation",
            id,
            Some(json!({"email": inv.email, "status": inv.status.as_str()})),
            Some(json!({"status": "revoked"})),
        );
        let now = self.ports.clock.now();
        self.ports.invitations.revoke(id, now, &event).await
    }

    /// Invitations addressed to the caller's email, newest first.
    ///
    /// # Errors
    /// Storage failure only.
    pub async fn my_invitations(
        &self,
        actor: &Actor,
        filter: InvitationFilter,
        page: PageRequest,
    ) -> Result<Page<Invitation>> {
        let now = self.ports.clock.now();
        let email = actor.principal.user.email.as_str();
        self.ports
            .invitations
            .list_for_email(email, &filter, now, page)
            .await
    }

    /// Accepts an invitation addressed to the caller: exactly one membership, with the
    /// invited role, even under concurrent accepts.
    ///
    /// # Errors
    /// `404`; `403 invitation_not_for_you`; `410 invitation_expired` / `invitation_revoked`;
    /// `409 invitation_already_used` / `invitation_declined` / `already_member`.
    pub async fn accept_invitation(&self, actor: &Actor, id: Uuid) -> Result<Member> {
        let inv = self.recipient_invitation(actor, id).await?;
        self.accept(actor, inv).await
    }

    /// Accepts the invitation an emailed token belongs to (the token proves the link was
    /// received; the caller's email must still match).
    ///
    /// # Errors
    /// As [`Services::accept_invitation`]; `404` for an unknown token.
    pub async fn accept_invitation_by_token(&self, actor: &Actor, token: &str) -> Result<Member> {
        let token = token.trim();
        if !token.starts_with(INVITATION_PREFIX) {
            return Err(invitation_not_found());
        }
        let inv = self
            .ports
            .invitations
            .find_by_token(&TokenHash::of(token))
            .await?
            .ok_or_else(invitation_not_found)?;
        let inv = self.check_recipient(actor, inv)?;
        self.accept(actor, inv).await
    }

    /// Declines an invitation addressed to the caller.
    ///
    /// # Errors
    /// As [`Services::accept_invitation`].
    pub async fn decline_invitation(&self, actor: &Actor, id: Uuid) -> Result<()> {
        let inv = self.recipient_invitation(actor, id).await?;
        let event = self.event(
            Some(actor),
            Some(inv.organization.id),
            "invitation.declined",
            "invitation",
            inv.id,
            None,
            Some(json!({"status": "declined"})),
        );
        let now = self.ports.clock.now();
        self.ports.invitations.decline(inv.id, now, &event).await
    }

    /// Superusers: the messages the default mailer queued, newest first.
    ///
    /// # Errors
    /// `403` for everyone else.
    pub async fn list_outbox(&self, actor: &Actor, page: PageRequest) -> Result<Page<OutboxMail>> {
        if !actor.principal.user.is_superuser {
            return Err(DomainError::missing_permission("superuser required"));
        }
        self.ports.outbox.list(page).await
    }

    /// An invitation of the org in the path; another org's is `404`.
    async fn org_invitation(&self, access: &OrgAccess<OrgBasics>, id: Uuid) -> Result<Invitation> {
        let mut inv = self
            .ports
            .invitations
            .get(id)
            .await?
            .filter(|i| i.organization.id == access.org.id)
            .ok_or_else(invitation_not_found)?;
        inv.status = inv.status_at(self.ports.clock.now());
        Ok(inv)
    }

    async fn recipient_invitation(&self, actor: &Actor, id: Uuid) -> Result<Invitation> {
        let inv = self
            .ports
            .invitations
            .get(id)
            .await?
            .ok_or_else(invitation_not_found)?;
        self.check_recipient(actor, inv)
    }

    /// Someone else's invitation is refused before its state is revealed; then only a
    /// pending, unexpired one can be answered.
    fn check_recipient(&self, actor: &Actor, inv: Invitation) -> Result<Invitation> {
        if inv.email != actor.principal.user.email.as_str() {
            return Err(not_for_you());
        }
        if let Some(e) = inv.unanswerable(self.ports.clock.now()) {
            return Err(e);
        }
        Ok(inv)
    }

    async fn accept(&self, actor: &Actor, inv: Invitation) -> Result<Member> {
        let user = &actor.principal.user;
        let org_id = inv.organization.id;
        let role = inv.role.to_string();
        let events = [
            self.event(
                Some(actor),
                Some(org_id),
                "invitation.accepted",
                "invitation",
                inv.id,
                None,
                Some(json!({"status": "accepted", "user_id": user.id})),
            ),
            self.event(
                Some(actor),
                Some(org_id),
                "member.added",
                "member",
                user.id,
                None,
                Some(json!({"role": role, "email": user.email.as_str(), "invitation_id": inv.id})),
            ),
        ];
        let now = self.ports.clock.now();
        self.ports
            .invitations
            .accept(
                inv.id,
                user.id,
                RoleKey::System(SystemRole::Member),
                now,
                &events,
            )
            .await
    }

    /// Sends the invitation message. The invitation is already stored, so a failed
    /// delivery is logged rather than undoing it: resending retries with a new token.
    async fn deliver(&self, actor: &Actor, inv: &Invitation, token: &str) {
        let inviter = actor
            .principal
            .user
            .name
            .clone()
            .unwrap_or_else(|| actor.principal.user.email.as_str().to_owned());
        let base = &self.config.public_url;
        let expires = inv.expires_at.format(&Rfc3339).unwrap_or_default();
        let mail = Mail {
            to: inv.email.clone(),
            subject: format!("You are invited to join {}", inv.organization.name),
            body: format!(
                "{inviter} invited you to join {org} as {role}.\n\n\
                 To accept, sign in (or sign up with this address first) and send the\n\
                 token to the accept link:\n\n\
                 POST {base}/api/invitations/accept\n\
                 {{\"token\": \"{token}\"}}\n\n\
                 The invitation expires at {expires}.\n",
                org = inv.organization.name,
                role = inv.role,
            ),
        };
        if let Err(e) = self.ports.mailer.send(&mail).await {
            tracing::error!(invitation_id = %inv.id, error = %e, "invitation mail not delivered");
        }
    }
}

#[cfg(test)]
#[path = "invitations_tests.rs"]
mod tests;
