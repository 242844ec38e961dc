//! Audit events: one per state change, written by the adapter in the same transaction as
//! the change itself (every mutating port method takes the event to write).
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// A recorded state change.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Id.
    pub id: Uuid,
    /// The organization concerned, if any (user-level changes have none).
    pub organization_id: Option<Uuid>,
    /// Who did it (`None` for the system, e.g. bootstrap).
    pub actor_id: Option<Uuid>,
    /// What happened, `noun.verb` (`organization.created`, `member.role_changed`, …).
    pub action: String,
    /// The kind of thing changed (`organization`, `member`, `user`, `api_key`, …).
    pub target_type: String,
    /// Its id.
    pub target_id: String,
    /// A summary of the state before, where there was one.
    pub before: Option<Value>,
    /// A summary of the state after, where there is one.
    pub after: Option<Value>,
    /// The id of the request that caused it.
    pub request_id: Option<String>,
    /// When.
    pub created: OffsetDateTime,
}

/// Filters of the audit log listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    /// Exact action.
    pub action: Option<String>,
    /// Exact actor.
    pub actor_id: Option<Uuid>,
    /// Exact target id.
    pub target_id: Option<String>,
    /// Only events at or after.
    pub since: Option<OffsetDateTime>,
    /// Only events before.
    pub until: Option<OffsetDateTime>,
}
