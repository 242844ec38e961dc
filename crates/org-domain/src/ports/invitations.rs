//! The invitation and outbox ports.
use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::auth::TokenHash;
use crate::error::Result;
use crate::invitations::{Invitation, InvitationFilter, NewInvitation, OutboxMail};
use crate::members::Member;
use crate::pagination::{Page, PageRequest};
use crate::roles::RoleKey;

/// Invitations. Single reads return the stored status; listings apply expiry at `now`
/// (a pending invitation past `expires_at` is listed, and filtered, as expired).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InvitationRepository: Send + Sync {
    /// An org's invitations, newest first. `version` is the org's
    /// [`OrgAccess::version`] as the caller read it: an adapter may answer with a listing
    /// it read at that same version while none of its pending invitations has expired
    /// since.
    ///
    /// [`OrgAccess::version`]: crate::organizations::OrgAccess::version
    ///
    /// # Errors
    /// Storage failure only.
    async fn list(
        &self,
        org_id: Uuid,
        filter: &InvitationFilter,
        now: OffsetDateTime,
        page: PageRequest,
        version: Option<u64>,
    ) -> Result<Page<Invitation>>;
    /// Invitations addressed to `email` (normalized), newest first, across organizations.
    ///
    /// # Errors
    /// Storage failure only.
    async fn list_for_email(
        &self,
        email: &str,
        filter: &InvitationFilter,
        now: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Invitation>>;
    /// One invitation by id.
    ///
    /// # Errors
    /// Storage failure only.
    async fn get(&self, id: Uuid) -> Result<Option<Invitation>>;
    /// One invitation by the hash of its token.
    ///
    /// # Errors
    /// Storage failure only.
    async fn find_by_token(&self, hash: &TokenHash) -> Result<Option<Invitation>>;
    /// Stores a new pending invitation, atomically refusing a second pending one for the
    /// same (org, email) and an address that already belongs to a member. A pending
    /// invitation that expired by `now` is marked expired first and does not block.
    ///
    /// # Errors
    /// `Conflict { code: "invitation_pending" }` (the detail names the pending one's id);
    /// `Conflict { code: "already_member" }`; `Unprocessable { code: "unknown_role" }` when
    /// the invitation's custom role is gone; `NotFound` when the org vanished.
    async fn insert(
        &self,
        invitation: &NewInvitation,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<Invitation>;
    /// Gives a pending (or expired) invitation a new token and expiry.
    ///
    /// # Errors
    /// The code of its state (see [`Invitation::unanswerable`]) when it was accepted,
    /// declined or revoked meanwhile; `NotFound` when gone.
    async fn renew(
        &self,
        id: Uuid,
        token_hash: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<Invitation>;
    /// Revokes a pending (or expired) invitation.
    ///
    /// # Errors
    /// The code of its state when it was accepted or declined meanwhile; `NotFound`.
    async fn revoke(&self, id: Uuid, now: OffsetDateTime, audit: &AuditEvent) -> Result<()>;
    /// Accepts a pending, unexpired invitation for `user_id` and creates the membership
    /// with the invitation's role (or `fallback_role` when that custom role is gone), in
    /// one transaction: of two concurrent accepts exactly one succeeds. Writes every event
    /// of `audit`.
    ///
    /// # Errors
    /// The code of its state when it is no longer pending (or expired by `now`);
    /// `Conflict { code: "already_member" }`, changing nothing; `NotFound`.
    async fn accept(
        &self,
        id: Uuid,
        user_id: Uuid,
        fallback_role: RoleKey,
        now: OffsetDateTime,
        audit: &[AuditEvent],
    ) -> Result<Member>;
    /// Declines a pending, unexpired invitation.
    ///
    /// # Errors
    /// The code of its state when it is no longer pending; `NotFound`.
    async fn decline(&self, id: Uuid, now: OffsetDateTime, audit: &AuditEvent) -> Result<()>;
}

/// The default mailer's outbox, readable by superusers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MailOutbox: Send + Sync {
    /// Queued messages, newest first.
    ///
    /// # Errors
    /// Storage failure only.
    async fn list(&self, page: PageRequest) -> Result<Page<OutboxMail>>;
}
