//! [`InvitationRepository`] on sea-orm.
use async_trait::async_trait;
use org_domain::audit::AuditEvent;
use org_domain::auth::TokenHash;
use org_domain::invitations::{Invitation, InvitationFilter, NewInvitation};
use org_domain::members::Member;
use org_domain::pagination::{Page, PageRequest};
use org_domain::ports::InvitationRepository;
use org_domain::roles::RoleKey;
use org_domain::{DomainError, Result};
use sea_orm::DatabaseConnection;
use time::OffsetDateTime;
use uuid::Uuid;

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

fn pending() -> DomainError {
    DomainError::Unknown(anyhow::anyhow!("SeaInvitations is being written"))
}

#[async_trait]
impl InvitationRepository for SeaInvitations {
    async fn list(
        &self,
        _org_id: Uuid,
        _filter: &InvitationFilter,
        _now: OffsetDateTime,
        _page: PageRequest,
    ) -> Result<Page<Invitation>> {
        let _ = &self.db;
        Err(pending())
    }
    async fn list_for_email(
        &self,
        _email: &str,
        _filter: &InvitationFilter,
        _now: OffsetDateTime,
        _page: PageRequest,
    ) -> Result<Page<Invitation>> {
        Err(pending())
    }
    async fn get(&self, _id: Uuid) -> Result<Option<Invitation>> {
        Err(pending())
    }
    async fn find_by_token(&self, _hash: &TokenHash) -> Result<Option<Invitation>> {
        Err(pending())
    }
    async fn insert(
        &self,
        _invitation: &NewInvitation,
        _now: OffsetDateTime,
        _audit: &AuditEvent,
    ) -> Result<Invitation> {
        Err(pending())
    }
    async fn renew(
        &self,
        _id: Uuid,
        _token_hash: &str,
        _expires_at: OffsetDateTime,
        _now: OffsetDateTime,
        _audit: &AuditEvent,
    ) -> Result<Invitation> {
        Err(pending())
    }
    async fn revoke(&self, _id: Uuid, _now: OffsetDateTime, _audit: &AuditEvent) -> Result<()> {
        Err(pending())
    }
    async fn accept(
        &self,
        _id: Uuid,
        _user_id: Uuid,
        _fallback_role: RoleKey,
        _now: OffsetDateTime,
        _audit: &[AuditEvent],
    ) -> Result<Member> {
        Err(pending())
    }
    async fn decline(&self, _id: Uuid, _now: OffsetDateTime, _audit: &AuditEvent) -> Result<()> {
        Err(pending())
    }
}
