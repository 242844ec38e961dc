//! Organizations: the response shapes here, request bodies in `organizations/requests.rs`,
//! handlers in `organizations/handlers.rs`.
use org_domain::organizations::{OrgSettings, Organization, StatsMethod};
use org_domain::roles::RoleKey;
use org_domain::services::OrgView;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::invitations::InvitationBody;
use crate::json::{opt_opt_ts, ts};
use crate::members::MemberBody;
use crate::pagination::PageBody;
use crate::roles::RoleBody;
use crate::users::PublicUserBody;

pub mod handlers;
pub mod requests;

/// Registers the collection, `/api/organizations` itself, in its scope.
pub(crate) fn collection_routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list_organizations)
        .service(handlers::create_organization);
}

/// Registers the organization itself and its subscription in the
/// `/api/organizations/{org}` scope.
pub(crate) fn org_routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::get_organization)
        .service(handlers::update_organization)
        .service(handlers::delete_organization)
        .service(handlers::update_subscription);
}

/// How experiment statistics are computed by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatsMethodBody {
    /// Bayesian (default).
    Bayesian,
    /// Frequentist.
    Frequentist,
}

impl From<StatsMethod> for StatsMethodBody {
    fn from(m: StatsMethod) -> Self {
        match m {
            StatsMethod::Bayesian => Self::Bayesian,
            StatsMethod::Frequentist => Self::Frequentist,
        }
    }
}

impl From<StatsMethodBody> for StatsMethod {
    fn from(m: StatsMethodBody) -> Self {
        match m {
            StatsMethodBody::Bayesian => Self::Bayesian,
            StatsMethodBody::Frequentist => Self::Frequentist,
        }
    }
}

/// An organization's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SettingsBody {
    /// Members without two-factor authentication are refused (`403 two_factor_required`).
    pub enforce_2fa: bool,
    /// Every member may invite (`users:invite` added to whatever role they hold).
    pub members_can_invite: bool,
    /// Personal API keys are accepted (`403 api_keys_disabled` otherwise).
    pub members_can_use_personal_api_keys: bool,
    /// Resources may be shared publicly.
    pub allow_publicly_shared_resources: bool,
    /// AI data processing was approved.
    pub is_ai_data_processing_approved: bool,
    /// Default experiment statistics method.
    pub default_experiment_stats_method: StatsMethodBody,
    /// Anonymize IPs by default.
    pub default_anonymize_ips: bool,
    /// Role key of new members and invitations that name none (`admin`, `member` or a
    /// custom role id); `null` means `member`.
    pub default_role_id: Option<String>,
}

impl From<OrgSettings> for SettingsBody {
    fn from(s: OrgSettings) -> Self {
        Self {
            enforce_2fa: s.enforce_2fa,
            members_can_invite: s.members_can_invite,
            members_can_use_personal_api_keys: s.members_can_use_personal_api_keys,
            allow_publicly_shared_resources: s.allow_publicly_shared_resources,
            is_ai_data_processing_approved: s.is_ai_data_processing_approved,
            default_experiment_stats_method: s.default_experiment_stats_method.into(),
            default_anonymize_ips: s.default_anonymize_ips,
            default_role_id: s.default_role_id,
        }
    }
}

/// An organization as the caller sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrgBody {
    /// Id.
    pub id: Uuid,
    /// Display name, 1–200 characters.
    #[schema(example = "Acme Corp")]
    pub name: String,
    /// Unique slug.
    #[schema(example = "acme-corp")]
    pub slug: String,
    /// Description.
    pub description: Option<String>,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// IANA time zone.
    #[schema(example = "UTC")]
    pub timezone: String,
    /// The owner of record.
    pub owner: PublicUserBody,
    /// Free JSON object.
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// Settings.
    pub settings: SettingsBody,
    /// The caller's role key; `null` for a superuser who is not a member.
    pub role: Option<String>,
    /// Number of members.
    pub member_count: u64,
    /// Created (RFC 3339, UTC).
    #[serde(serialize_with = "ts")]
    pub created: OffsetDateTime,
    /// Last changed.
    #[serde(serialize_with = "ts")]
    pub updated: OffsetDateTime,
    /// The org-scoped registry key; present for members of the organization only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_key: Option<String>,
    /// Present only with `include_subscription_status=true` (and after a subscription
    /// change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_active_subscription: Option<bool>,
    /// Trial expiry (RFC 3339 or `null`); present only with `has_active_subscription`.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_opt_ts")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub trial_expiry: Option<Option<OffsetDateTime>>,
    /// The first 100 members; present with `expand=members`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<PageBody<MemberBody>>,
    /// The organization's roles; present with `expand=roles`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<RoleBody>>,
    /// The newest 100 pending invitations; present with `expand=invitations`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitations: Option<PageBody<InvitationBody>>,
}

impl OrgBody {
    /// The plain organization with the caller's role: no secrets, nothing embedded.
    pub fn listed(org: Organization, role: Option<RoleKey>) -> Self {
        Self {
            id: org.id,
            name: org.name,
            slug: org.slug,
            description: org.description,
            logo_url: org.logo_url,
            timezone: org.timezone,
            owner: org.owner.into(),
            metadata: org.metadata,
            settings: org.settings.into(),
            role: role.map(|r| r.to_string()),
            member_count: org.member_count,
            created: org.created,
            updated: org.updated,
            registry_key: None,
            has_active_subscription: None,
            trial_expiry: None,
            members: None,
            roles: None,
            invitations: None,
        }
    }
}

impl From<OrgView> for OrgBody {
    fn from(v: OrgView) -> Self {
        let registry_key = v.show_registry_key.then(|| v.org.registry_key.clone());
        let subscription = v
            .show_subscription
            .then_some((v.org.has_active_subscription, v.org.trial_expiry));
        let mut body = Self::listed(v.org, v.role);
        body.registry_key = registry_key;
        body.has_active_subscription = subscription.map(|s| s.0);
        body.trial_expiry = subscription.map(|s| s.1);
        body.members = v.members.map(|p| PageBody::from_page(p, MemberBody::from));
        body.invitations = v
            .invitations
            .map(|p| PageBody::from_page(p, InvitationBody::from));
        body.roles = v
            .roles
            .map(|roles| roles.into_iter().map(RoleBody::from).collect());
        body
    }
}
