//! Invitations: the organization's side under `/api/organizations/{org}/invitations` (and
//! the shorthand `/api/organizations/invitations`), the recipient's side under
//! `/api/users/me/invitations` and `/api/invitations/…`, and the default mailer's outbox at
//! `/api/outbox`. Handlers are in `invitations/handlers.rs` and `invitations/recipient.rs`.
use org_domain::invitations::{Invitation, InvitationFilter, InvitationStatus, OutboxMail};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::error::ApiError;
use crate::json::{opt_ts, ts};
use crate::users::PublicUserBody;

pub mod handlers;
pub mod recipient;

/// Registers the recipient's routes and the outbox.
pub(crate) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(recipient::list_my_invitations)
        .service(recipient::accept_invitation_by_token)
        .service(recipient::accept_invitation)
        .service(recipient::decline_invitation)
        .service(recipient::list_outbox);
}

/// What the current-organization shorthand scope `/api/organizations/invitations` serves: the
/// methods of [`current_routes`] on the collection and on an item.
pub(crate) const CURRENT: crate::shorthand::Shorthand = crate::shorthand::Shorthand {
    collection: &["GET", "POST"],
    item: &["POST", "DELETE"],
};

/// Registers the routes of the `/api/organizations/invitations` shorthand scope (guarded by
/// [`CURRENT`], before the `{org}` scope).
pub(crate) fn current_routes(cfg: &mut ServiceConfig) {
    use handlers::current;
    cfg.service(current::list_current_invitations)
        .service(current::create_current_invitation)
        .service(current::resend_current_invitation)
        .service(current::revoke_current_invitation);
}

/// Registers the routes of the `/api/organizations/{org}/invitations` scope.
pub(crate) fn org_routes(cfg: &mut ServiceConfig) {
    use handlers::org;
    cfg.service(org::list_invitations)
        .service(org::create_invitation)
        .service(org::resend_invitation)
        .service(org::revoke_invitation);
}

/// The organization an invitation is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InvitedToBody {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
}

/// An invitation. Its token is never part of an answer: it travels only in the delivered
/// message.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct InvitationBody {
    /// Id.
    pub id: Uuid,
    /// The organization's id.
    pub organization_id: Uuid,
    /// The organization.
    pub organization: InvitedToBody,
    /// The invited address (lower-cased).
    #[schema(example = "ann@example.com")]
    pub email: String,
    /// The role key the recipient gets: `admin`, `member`, … or a custom role id.
    #[schema(example = "member")]
    pub role: String,
    /// `pending`, `accepted`, `declined`, `revoked` or `expired`.
    #[schema(example = "pending")]
    pub status: String,
    /// Who invited (`null` once that account is gone).
    pub inviter: Option<PublicUserBody>,
    /// When the emailed token stops working.
    #[serde(serialize_with = "ts")]
    pub expires_at: OffsetDateTime,
    /// When it was accepted, declined or revoked.
    #[serde(serialize_with = "opt_ts")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub responded_at: Option<OffsetDateTime>,
    /// Created.
    #[serde(serialize_with = "ts")]
    pub created: OffsetDateTime,
    /// Last changed (resent or answered).
    #[serde(serialize_with = "ts")]
    pub updated: OffsetDateTime,
}

impl From<Invitation> for InvitationBody {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id,
            organization_id: i.organization.id,
            organization: InvitedToBody {
                id: i.organization.id,
                name: i.organization.name,
                slug: i.organization.slug,
            },
            email: i.email,
            role: i.role.to_string(),
            status: i.status.as_str().to_owned(),
            inviter: i.inviter.map(Into::into),
            expires_at: i.expires_at,
            responded_at: i.responded_at,
            created: i.created,
            updated: i.updated,
        }
    }
}

/// Invites an address.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitationRequest {
    /// The address to invite.
    #[schema(example = "ann@example.com")]
    pub email: String,
    /// The role on acceptance: a system key, custom role id or name (default: the
    /// organization's `default_role_id`, else `member`).
    #[serde(default)]
    #[validate(length(max = 64))]
    #[schema(example = "member")]
    pub role: Option<String>,
}

/// Accepts the invitation an emailed token belongs to.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptTokenRequest {
    /// The token from the invitation message (`orgd_i_…`).
    #[validate(length(max = 256))]
    pub token: String,
}

/// Filters of an invitation list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvitationQuery {
    /// Only invitations in this status: `pending`, `accepted`, `declined`, `revoked` or
    /// `expired`.
    #[param(example = "pending")]
    pub status: Option<String>,
}

impl InvitationQuery {
    /// The domain filter; an unknown status is `422` naming `status`.
    pub fn filter(&self) -> Result<InvitationFilter, ApiError> {
        let status = self
            .status
            .as_deref()
            .map(|s| InvitationStatus::parse("status", s))
            .transpose()?;
        Ok(InvitationFilter { status })
    }
}

/// `{id}` in an invitation path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InvitationParam {
    /// The invitation's id.
    pub id: Uuid,
}

impl actix_web::FromRequest for InvitationParam {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(crate::extract::path_uuid(req, "id", "invitation").map(|id| Self { id }))
    }
}

/// A message the default mailer queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OutboxMailBody {
    /// Id.
    pub id: Uuid,
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body (carries invitation tokens: superusers only).
    pub body: String,
    /// Queued at.
    #[serde(serialize_with = "ts")]
    pub created: OffsetDateTime,
}

impl From<OutboxMail> for OutboxMailBody {
    fn from(m: OutboxMail) -> Self {
        Self {
            id: m.id,
            to: m.to,
            subject: m.subject,
            body: m.body,
            created: m.created,
        }
    }
}
