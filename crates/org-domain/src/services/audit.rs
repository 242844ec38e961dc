//! Reading the audit log.
use super::Services;
use crate::audit::{AuditEvent, AuditFilter};
use crate::auth::Actor;
use crate::error::Result;
use crate::pagination::{Page, PageRequest};
use crate::permissions::{Permission as P, PermissionSet};

impl Services {
    /// An org's audit events, newest first.
    ///
    /// # Errors
    /// `404`; `403` without `audit:read`.
    pub async fn list_audit_events(
        &self,
        actor: &Actor,
        org: &str,
        filter: AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::AuditRead]))?;
        self.ports.audit.list(access.org.id, &filter, page).await
    }
}
