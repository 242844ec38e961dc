//! The audit log of an organization.
use actix_web::{HttpResponse, get, web};
use org_domain::audit::{AuditEvent, AuditFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::docs::{BadRequest, OrgErrors};
use crate::error::ApiResult;
use crate::extract::OrgParam;
use crate::json::{Rfc3339, ts};
use crate::pagination::{PageBody, PageParams};

/// Registers `/audit-events` in the `/api/organizations/{org}` scope.
pub(crate) fn org_routes(cfg: &mut ServiceConfig) {
    cfg.service(list_audit_events);
}

/// A recorded state change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEventBody {
    /// Id.
    pub id: Uuid,
    /// The organization concerned.
    pub organization_id: Option<Uuid>,
    /// Who did it (`null` for the system).
    pub actor_id: Option<Uuid>,
    /// What happened, `noun.verb` (`organization.created`, `member.role_changed`, …).
    #[schema(example = "member.added")]
    pub action: String,
    /// The kind of thing changed (`organization`, `member`, `api_key`, …).
    pub target_type: String,
    /// Its id.
    pub target_id: String,
    /// A summary of the state before.
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// A summary of the state after.
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    /// The `x-request-id` of the request that caused it.
    pub request_id: Option<String>,
    /// When (RFC 3339, UTC).
    #[serde(serialize_with = "ts")]
    pub created: OffsetDateTime,
}

impl From<AuditEvent> for AuditEventBody {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            organization_id: e.organization_id,
            actor_id: e.actor_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            before: e.before,
            after: e.after,
            request_id: e.request_id,
            created: e.created,
        }
    }
}

/// Filters of the audit log.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Exact action.
    #[param(example = "member.added")]
    pub action: Option<String>,
    /// Exact actor (user id).
    pub actor_id: Option<Uuid>,
    /// Exact target id.
    pub target_id: Option<String>,
    /// Only events at or after this time (RFC 3339; encode `+` as `%2B`).
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<Rfc3339>,
    /// Only events before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<Rfc3339>,
}

/// List audit events.
///
/// Requires `audit:read`. Newest first.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(OrgParam, AuditQuery, PageParams),
    responses(
        (status = 200, description = "A page of events.", body = PageBody<AuditEventBody>),
        (status = 400, response = BadRequest),
        OrgErrors,
    )
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    auth: Auth,
    org: OrgParam,
    query: web::Query<AuditQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let req = page.request()?;
    let q = query.into_inner();
    let filter = AuditFilter {
        action: q.action,
        actor_id: q.actor_id,
        target_id: q.target_id,
        since: q.since.map(|t| t.0),
        until: q.until.map(|t| t.0),
    };
    let events = state
        .services
        .list_audit_events(&auth.0, &org.org, filter, req)
        .await?;
    Ok(crate::json::large(
        HttpResponse::Ok(),
        &PageBody::from_page(events, AuditEventBody::from),
    ))
}
