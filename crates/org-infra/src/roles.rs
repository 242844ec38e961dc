//! [`RoleRepository`] on sea-orm.
use async_trait::async_trait;
use org_domain::audit::AuditEvent;
use org_domain::ports::RoleRepository;
use org_domain::roles::{CustomRole, RoleKey};
use org_domain::{DomainError, Result};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

/// [`RoleRepository`] on sea-orm.
#[derive(Clone, Debug)]
pub struct SeaRoles {
    db: DatabaseConnection,
}

impl SeaRoles {
    /// The custom roles of `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn pending() -> DomainError {
    DomainError::Unknown(anyhow::anyhow!("SeaRoles is being written"))
}

#[async_trait]
impl RoleRepository for SeaRoles {
    async fn list(&self, _org_id: Uuid) -> Result<Vec<CustomRole>> {
        let _ = &self.db;
        Err(pending())
    }
    async fn holders(&self, _org_id: Uuid) -> Result<Vec<(RoleKey, u64)>> {
        Err(pending())
    }
    async fn get(&self, _org_id: Uuid, _id: Uuid) -> Result<Option<CustomRole>> {
        Err(pending())
    }
    async fn find(&self, _org_id: Uuid, _key: RoleKey) -> Result<Option<CustomRole>> {
        Err(pending())
    }
    async fn find_by_name(&self, _org_id: Uuid, _name: &str) -> Result<Option<CustomRole>> {
        Err(pending())
    }
    async fn insert(&self, _role: &CustomRole, _audit: &AuditEvent) -> Result<()> {
        Err(pending())
    }
    async fn update(&self, _role: &CustomRole, _audit: &AuditEvent) -> Result<()> {
        Err(pending())
    }
    async fn delete(
        &self,
        _role: &CustomRole,
        _reassign_to: Option<RoleKey>,
        _audit: &AuditEvent,
    ) -> Result<u64> {
        Err(pending())
    }
}
