//! The custom-role port.
use async_trait::async_trait;
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::error::Result;
use crate::roles::{CustomRole, RoleKey};

/// Custom roles of organizations.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RoleRepository: Send + Sync {
    /// An org's custom roles, by name.
    ///
    /// # Errors
    /// Storage failure only.
    async fn list(&self, org_id: Uuid) -> Result<Vec<CustomRole>>;
    /// How many members hold each role key in the org (keys nobody holds are left out).
    ///
    /// # Errors
    /// Storage failure only.
    async fn holders(&self, org_id: Uuid) -> Result<Vec<(RoleKey, u64)>>;
    /// A custom role of the org by id.
    ///
    /// # Errors
    /// Storage failure only.
    async fn get(&self, org_id: Uuid, id: Uuid) -> Result<Option<CustomRole>>;
    /// The custom role behind a role key: the role itself for a custom key, the role that
    /// shadows it for a system key.
    ///
    /// # Errors
    /// Storage failure only.
    async fn find(&self, org_id: Uuid, key: RoleKey) -> Result<Option<CustomRole>>;
    /// A custom role of the org by name, case-insensitively.
    ///
    /// # Errors
    /// Storage failure only.
    async fn find_by_name(&self, org_id: Uuid, name: &str) -> Result<Option<CustomRole>>;
    /// Stores a new role.
    ///
    /// # Errors
    /// `Conflict { code: "role_name_taken" }`; `NotFound` when the org vanished.
    async fn insert(&self, role: &CustomRole, audit: &AuditEvent) -> Result<()>;
    /// Replaces a role's name, description and permissions.
    ///
    /// # Errors
    /// `Conflict { code: "role_name_taken" }`; `NotFound` when the role vanished.
    async fn update(&self, role: &CustomRole, audit: &AuditEvent) -> Result<()>;
    /// Deletes a role in one transaction holding the org's lock. When the role does not
    /// shadow a system role, the memberships and pending invitations holding it, and the
    /// org's `default_role_id` when it names it, move to `reassign_to`; the number of
    /// memberships moved is returned. A shadowing role's holders keep their system key.
    ///
    /// # Errors
    /// `Conflict { code: "role_in_use" }` when something holds the role and `reassign_to`
    /// is `None`; `Unprocessable { code: "unknown_role" }` when `reassign_to` names a custom
    /// role that is gone; `NotFound` when the role vanished.
    async fn delete(
        &self,
        role: &CustomRole,
        reassign_to: Option<RoleKey>,
        audit: &AuditEvent,
    ) -> Result<u64>;
}
