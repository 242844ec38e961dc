//! Request bodies and query parameters of the organization routes.
use org_domain::organizations::{NewOrganization, OrgPatch, OrgSettingsPatch, SubscriptionUpdate};
use org_domain::services::OrgExpand;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::StatsMethodBody;
use crate::error::ApiError;
use crate::json::{Rfc3339, nullable, object};

/// Settings to set; absent keys stay as they are (PATCH merges key by key).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatchRequest {
    /// Refuse members without two-factor authentication.
    #[serde(default)]
    pub enforce_2fa: Option<bool>,
    /// Let every member invite, whatever their role.
    #[serde(default)]
    pub members_can_invite: Option<bool>,
    /// Accept personal API keys.
    #[serde(default)]
    pub members_can_use_personal_api_keys: Option<bool>,
    /// Allow publicly shared resources.
    #[serde(default)]
    pub allow_publicly_shared_resources: Option<bool>,
    /// AI data processing approved.
    #[serde(default)]
    pub is_ai_data_processing_approved: Option<bool>,
    /// Default experiment statistics method.
    #[serde(default)]
    pub default_experiment_stats_method: Option<StatsMethodBody>,
    /// Anonymize IPs by default.
    #[serde(default)]
    pub default_anonymize_ips: Option<bool>,
    /// Role of new members and invitations that name none: `admin`, `member`, or a custom
    /// role of this organization by id or name (stored as its key); never `owner`; `null`
    /// resets it to `member`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub default_role_id: Option<Option<String>>,
}

impl From<SettingsPatchRequest> for OrgSettingsPatch {
    fn from(s: SettingsPatchRequest) -> Self {
        Self {
            enforce_2fa: s.enforce_2fa,
            members_can_invite: s.members_can_invite,
            members_can_use_personal_api_keys: s.members_can_use_personal_api_keys,
            allow_publicly_shared_resources: s.allow_publicly_shared_resources,
            is_ai_data_processing_approved: s.is_ai_data_processing_approved,
            default_experiment_stats_method: s.default_experiment_stats_method.map(Into::into),
            default_anonymize_ips: s.default_anonymize_ips,
            default_role_id: s.default_role_id,
        }
    }
}

/// `POST /api/organizations`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrgRequest {
    /// Client-chosen id (`409 id_taken` if in use).
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Display name, 1–200 characters.
    #[schema(example = "Acme Corp")]
    pub name: String,
    /// Unique slug (default: derived from the name).
    #[serde(default)]
    pub slug: Option<String>,
    /// Description, up to 2000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Logo URL (`http(s)://…`); `logo` is accepted as an alias.
    #[serde(default, alias = "logo")]
    pub logo_url: Option<String>,
    /// IANA time zone (default `UTC`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Free JSON object.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// Initial settings (defaults for absent keys).
    #[serde(default, deserialize_with = "object")]
    pub settings: Option<SettingsPatchRequest>,
    /// Owner other than the caller (superusers only, else `403 illegal_operation`).
    #[serde(default)]
    pub owner_id: Option<Uuid>,
}

impl From<NewOrgRequest> for NewOrganization {
    fn from(r: NewOrgRequest) -> Self {
        Self {
            id: r.id,
            name: r.name,
            slug: r.slug,
            description: r.description,
            logo_url: r.logo_url,
            timezone: r.timezone,
            metadata: r.metadata,
            settings: r.settings.map(Into::into).unwrap_or_default(),
            owner_id: r.owner_id,
        }
    }
}

/// `PATCH /api/organizations/{org}`: absent fields stay, `null` clears nullable ones.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgPatchRequest {
    /// New name (`organization:write`).
    #[serde(default)]
    pub name: Option<String>,
    /// New slug (`organization:write`).
    #[serde(default)]
    pub slug: Option<String>,
    /// New description; `null` clears it (`organization:write`).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// New logo URL (alias `logo`); `null` clears it (`organization:write`).
    #[serde(default, alias = "logo", deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub logo_url: Option<Option<String>>,
    /// New IANA time zone (`organization:write`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// New metadata object; `null` resets it to `{}` (`organization:write`).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Option<Value>>,
    /// Settings to merge (`org:settings`).
    #[serde(default, deserialize_with = "object")]
    pub settings: Option<SettingsPatchRequest>,
    /// Transfer ownership to this member (owner or superuser only); the old owner
    /// becomes `admin`.
    #[serde(default)]
    pub owner_id: Option<Uuid>,
}

impl From<OrgPatchRequest> for OrgPatch {
    fn from(r: OrgPatchRequest) -> Self {
        Self {
            name: r.name,
            slug: r.slug,
            description: r.description,
            logo_url: r.logo_url,
            timezone: r.timezone,
            metadata: r.metadata.map(|m| m.unwrap_or_else(|| json!({}))),
            settings: r.settings.map(Into::into).unwrap_or_default(),
            owner_id: r.owner_id,
        }
    }
}

/// `PATCH /api/organizations/{org}/subscription`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    /// Whether the organization has an active subscription.
    #[serde(default)]
    pub has_active_subscription: Option<bool>,
    /// Trial expiry (RFC 3339); `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub trial_expiry: Option<Option<Rfc3339>>,
}

impl From<SubscriptionRequest> for SubscriptionUpdate {
    fn from(r: SubscriptionRequest) -> Self {
        Self {
            has_active_subscription: r.has_active_subscription,
            trial_expiry: r.trial_expiry.map(|t| t.map(|t| t.0)),
        }
    }
}

/// Filters of `GET /api/organizations`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgListQuery {
    /// Name or slug contains (case-insensitive).
    pub search: Option<String>,
    /// Exact name.
    pub name: Option<String>,
}

/// Options of `GET /api/organizations/{org}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgGetQuery {
    /// Comma-separated embeds: `members` (first 100) and `invitations` (pending, newest
    /// 100), both needing `users:read`; `roles`, needing `roles:read`. `storage_config` is
    /// accepted and not embedded yet; other values answer 400.
    #[param(example = "members,roles")]
    pub expand: Option<String>,
    /// Include `has_active_subscription` and `trial_expiry`.
    pub include_subscription_status: Option<bool>,
}

impl OrgGetQuery {
    /// What to embed.
    ///
    /// # Errors
    /// `400 bad_request` for an unknown `expand` value.
    pub fn expand(&self) -> Result<OrgExpand, ApiError> {
        let mut out = OrgExpand {
            subscription: self.include_subscription_status.unwrap_or(false),
            ..OrgExpand::default()
        };
        for item in self.expand.as_deref().unwrap_or_default().split(',') {
            match item.trim() {
                "members" => out.members = true,
                "roles" => out.roles = true,
                "invitations" => out.invitations = true,
                "" | "storage_config" => {}
                other => {
                    return Err(ApiError::bad_request(format!(
                        "unknown expand value '{other}': expected members, roles, invitations or storage_config"
                    )));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(expand: &str, sub: Option<bool>) -> Result<OrgExpand, ApiError> {
        OrgGetQuery {
            expand: Some(expand.to_owned()),
            include_subscription_status: sub,
        }
        .expand()
    }

    #[test]
    fn expand_values() {
        let e = q("members, roles", Some(true)).unwrap();
        assert!(e.members && e.roles && e.subscription);
        let e = q("invitations,storage_config,", None).unwrap();
        assert_eq!(
            e,
            OrgExpand {
                invitations: true,
                ..OrgExpand::default()
            }
        );
        assert_eq!(q("members,owners", None).unwrap_err().code(), "bad_request");
    }
}
