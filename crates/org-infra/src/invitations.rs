//! [`InvitationRepository`] on sea-orm.
use std::sync::Arc;

use async_trait::async_trait;
use org_domain::Result;
use org_domain::audit::AuditEvent;
use org_domain::auth::TokenHash;
use org_domain::invitations::{Invitation, InvitationFilter, InvitationStatus, NewInvitation};
use org_domain::members::Member;
use org_domain::pagination::{Page, PageRequest};
use org_domain::ports::InvitationRepository;
use org_domain::roles::RoleKey;
use sea_orm::{ColumnTrait, DatabaseConnection};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::versions::{Versioned, Weight};
use crate::entities::invitations::Column as I;

mod accept;
mod answer;
mod query;
mod write;

use query::Scope;

/// Rows of pending-invitation listings a process keeps ([`Versioned`]).
const KEPT_ROWS: u64 = 10_000;

/// An org's whole pending listing as read at a version, good until its first expiry: the
/// listing changes with time alone when a pending invitation expires.
#[derive(Clone)]
struct Pending {
    page: Page<Invitation>,
    until: Option<OffsetDateTime>,
}

impl Weight for Pending {
    fn weight(&self) -> u64 {
        self.page.weight()
    }
}

/// [`InvitationRepository`] on sea-orm.
#[derive(Clone, Debug)]
pub struct SeaInvitations {
    db: DatabaseConnection,
    /// Orgs' pending listings (by org and page) with the org version they were read at
    /// (see [`crate::db::versions`]).
    pending: Arc<Versioned<(Uuid, PageRequest), Pending>>,
}

impl SeaInvitations {
    /// The invitations of `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            pending: Arc::new(Versioned::new(KEPT_ROWS)),
        }
    }
}

#[async_trait]
impl InvitationRepository for SeaInvitations {
    async fn list(
        &self,
        org_id: Uuid,
        filter: &InvitationFilter,
        now: OffsetDateTime,
        page: PageRequest,
        version: Option<u64>,
    ) -> Result<Page<Invitation>> {
        // Only the pending listing is kept, and only whole (first page, every row on it):
        // then it changes with time only when one of its rows expires.
        let pending = filter.status == Some(InvitationStatus::Pending);
        let key = (org_id, page);
        if pending
            && let Some(kept) = self.pending.get(&key, version.as_ref())
            && kept.until.is_none_or(|t| now < t)
        {
            return Ok(kept.page);
        }
        let listed = query::list(&self.db, Scope::Org(org_id), filter.status, now, page).await?;
        let whole = page.offset() == 0 && listed.page.total == listed.page.items.len() as u64;
        if pending && whole && !listed.counted {
            let kept = Pending {
                until: listed.page.items.iter().map(|i| i.expires_at).min(),
                page: listed.page,
            };
            self.pending
                .put(key, version.as_ref(), listed.read_at.as_ref(), &kept);
            return Ok(kept.page);
        }
        Ok(listed.page)
    }

    async fn list_for_email(
        &self,
        email: &str,
        filter: &InvitationFilter,
        now: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Invitation>> {
        Ok(
            query::list(&self.db, Scope::Email(email), filter.status, now, page)
                .await?
                .page,
        )
    }

    async fn get(&self, id: Uuid) -> Result<Option<Invitation>> {
        query::get(&self.db, id).await
    }

    async fn find_by_token(&self, hash: &TokenHash) -> Result<Option<Invitation>> {
        query::one(&self.db, I::TokenHash.eq(hash.to_hex())).await
    }

    async fn insert(
        &self,
        invitation: &NewInvitation,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<Invitation> {
        write::insert(&self.db, invitation, now, audit).await
    }

    async fn renew(
        &self,
        id: Uuid,
        token_hash: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<Invitation> {
        write::renew(&self.db, id, token_hash, expires_at, now, audit).await
    }

    async fn revoke(&self, id: Uuid, now: OffsetDateTime, audit: &AuditEvent) -> Result<()> {
        answer::revoke(&self.db, id, now, audit).await
    }

    async fn accept(
        &self,
        id: Uuid,
        user_id: Uuid,
        fallback_role: RoleKey,
        now: OffsetDateTime,
        audit: &[AuditEvent],
    ) -> Result<Member> {
        accept::accept(&self.db, id, user_id, fallback_role, now, audit).await
    }

    async fn decline(&self, id: Uuid, now: OffsetDateTime, audit: &AuditEvent) -> Result<()> {
        answer::decline(&self.db, id, now, audit).await
    }
}
