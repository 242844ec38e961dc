//! [`InvitationRepository`] on sea-orm.
use async_trait::async_trait;
use org_domain::Result;
use org_domain::audit::AuditEvent;
use org_domain::auth::TokenHash;
use org_domain::invitations::{Invitation, InvitationFilter, NewInvitation};
use org_domain::members::Member;
use org_domain::pagination::{Page, PageRequest};
use org_domain::ports::InvitationRepository;
use org_domain::roles::RoleKey;
use sea_orm::{ColumnTrait, DatabaseConnection};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::entities::invitations::Column as I;

mod accept;
mod answer;
mod query;
mod write;

use query::Scope;

/// [`InvitationRepository`] on sea-orm.
#[derive(Clone, Debug)]
pub struct SeaInvitations {
    db: DatabaseConnection,
}

impl SeaInvitations {
    /// The invitations of `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
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
    ) -> Result<Page<Invitation>> {
        query::list(&self.db, Scope::Org(org_id), filter.status, now, page).await
    }

    async fn list_for_email(
        &self,
        email: &str,
        filter: &InvitationFilter,
        now: OffsetDateTime,
        page: PageRequest,
    ) -> Result<Page<Invitation>> {
        query::list(&self.db, Scope::Email(email), filter.status, now, page).await
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
