//! Organizations (tenants) and their settings.
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::pagination::Page;
use crate::roles::{MemberRole, RoleKey};
use crate::users::PublicUser;

/// How experiment statistics are computed by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StatsMethod {
    /// Bayesian (default).
    #[default]
    Bayesian,
    /// Frequentist.
    Frequentist,
}

/// Per-organization settings; stored as one document and merged key by key on PATCH.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgSettings {
    /// Members without two-factor authentication are refused on the org's endpoints.
    pub enforce_2fa: bool,
    /// Every member may invite (`users:invite` added to whatever role they hold).
    pub members_can_invite: bool,
    /// Personal API keys are accepted for this org.
    pub members_can_use_personal_api_keys: bool,
    /// Resources may be shared publicly.
    pub allow_publicly_shared_resources: bool,
    /// AI data processing was approved.
    pub is_ai_data_processing_approved: bool,
    /// Default experiment statistics method.
    pub default_experiment_stats_method: StatsMethod,
    /// Anonymize IPs by default.
    pub default_anonymize_ips: bool,
    /// Role key given to new members and invitations that name none (`admin`, `member` or
    /// a custom role id of the org, never `owner`); `None` means `member`.
    pub default_role_id: Option<String>,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            enforce_2fa: false,
            members_can_invite: false,
            members_can_use_personal_api_keys: true,
            allow_publicly_shared_resources: false,
            is_ai_data_processing_approved: false,
            default_experiment_stats_method: StatsMethod::Bayesian,
            default_anonymize_ips: false,
            default_role_id: None,
        }
    }
}

/// A partial settings change; each `Some` replaces one key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgSettingsPatch {
    /// See [`OrgSettings::enforce_2fa`].
    pub enforce_2fa: Option<bool>,
    /// See [`OrgSettings::members_can_invite`].
    pub members_can_invite: Option<bool>,
    /// See [`OrgSettings::members_can_use_personal_api_keys`].
    pub members_can_use_personal_api_keys: Option<bool>,
    /// See [`OrgSettings::allow_publicly_shared_resources`].
    pub allow_publicly_shared_resources: Option<bool>,
    /// See [`OrgSettings::is_ai_data_processing_approved`].
    pub is_ai_data_processing_approved: Option<bool>,
    /// See [`OrgSettings::default_experiment_stats_method`].
    pub default_experiment_stats_method: Option<StatsMethod>,
    /// See [`OrgSettings::default_anonymize_ips`].
    pub default_anonymize_ips: Option<bool>,
    /// See [`OrgSettings::default_role_id`]; `Some(None)` clears it.
    pub default_role_id: Option<Option<String>>,
}

impl OrgSettingsPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Applies the patch key by key.
    pub fn apply(&self, s: &mut OrgSettings) {
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = self.$f.clone() { s.$f = v; })* };
        }
        set!(
            enforce_2fa,
            members_can_invite,
            members_can_use_personal_api_keys,
            allow_publicly_shared_resources,
            is_ai_data_processing_approved,
            default_experiment_stats_method,
            default_anonymize_ips,
            default_role_id
        );
    }
}

/// An organization.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    /// Id.
    pub id: Uuid,
    /// Display name, 1–200 characters.
    pub name: String,
    /// Unique slug.
    pub slug: String,
    /// Description.
    pub description: Option<String>,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// IANA time zone.
    pub timezone: String,
    /// The owner of record (seed 004); also holds the `owner` role.
    pub owner: PublicUser,
    /// Free JSON object.
    pub metadata: Value,
    /// Settings.
    pub settings: OrgSettings,
    /// Org-scoped registry key; shown to members only.
    pub registry_key: String,
    /// Subscription flag, set by superusers.
    pub has_active_subscription: bool,
    /// Trial expiry, set by superusers.
    pub trial_expiry: Option<OffsetDateTime>,
    /// Number of members.
    pub member_count: u64,
    /// Created.
    pub created: OffsetDateTime,
    /// Last changed.
    pub updated: OffsetDateTime,
}

/// How a path names an organization (`{org}`), after `me` has been resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgRef {
    /// By id.
    Id(Uuid),
    /// By slug, or else by exact name.
    Key(String),
}

impl OrgRef {
    /// Interprets a path segment that is not `me`: a UUID, else a slug or name.
    pub fn parse(s: &str) -> Self {
        Uuid::parse_str(s).map_or_else(|_| Self::Key(s.to_owned()), Self::Id)
    }
}

/// What every org-scoped use case needs of its organization — to evaluate the policy and
/// to act on the org — without what only showing the org needs (its display fields and its
/// owner's public profile). Authentication preloads no more than this for requests that do
/// not show the org ([`OrgDetail::Basics`]): a narrower row and one join fewer.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgBasics {
    /// Id.
    pub id: Uuid,
    /// The owner of record.
    pub owner_id: Uuid,
    /// Settings (the policy reads them).
    pub settings: OrgSettings,
    /// Number of members.
    pub member_count: u64,
}

impl From<Organization> for OrgBasics {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id,
            owner_id: o.owner.id,
            settings: o.settings,
            member_count: o.member_count,
        }
    }
}

/// An organization together with the caller's role in it (`None`: not a member): the whole
/// [`Organization`], or its [`OrgBasics`].
#[derive(Debug, Clone, PartialEq)]
pub struct OrgAccess<O = Organization> {
    /// The organization.
    pub org: O,
    /// The caller's membership role, with custom-role data when any applies.
    pub role: Option<MemberRole>,
    /// The version of what the org's listings show (members, invitations) as of the read
    /// that produced this access, when the adapter tracks one: it grows with every
    /// committed change to them. Listings given it may answer from what they read at the
    /// same version ([`crate::ports::MemberRepository::list`]); `None` never matches.
    pub version: Option<u64>,
}

impl OrgAccess {
    /// The org's basics, with the same role and version.
    pub fn into_basics(self) -> OrgAccess<OrgBasics> {
        OrgAccess {
            org: self.org.into(),
            role: self.role,
            version: self.version,
        }
    }
}

/// How much of the organization an org-scoped request names authentication reads with the
/// credential ([`crate::auth::Preloaded`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgDetail {
    /// The whole [`Organization`] with the listing version ([`OrgAccess::version`]), for
    /// the requests that show it (and its members and invitations).
    Full,
    /// Its [`OrgBasics`] with the listing version, for the org's listings.
    Listed,
    /// Its [`OrgBasics`], for all others.
    Basics,
}

impl OrgDetail {
    /// Whether authentication reads the org's listing version ([`OrgAccess::version`]) at
    /// this detail: for the requests that list (all but [`OrgDetail::Basics`]).
    pub fn with_version(self) -> bool {
        self != Self::Basics
    }
}

/// An organization read with the credential, at the [`OrgDetail`] asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum PreloadedOrg {
    /// [`OrgDetail::Full`] (boxed: three times the size of the basics).
    Full(Box<OrgAccess>),
    /// [`OrgDetail::Listed`] (with a version) and [`OrgDetail::Basics`] (without).
    Basics(OrgAccess<OrgBasics>),
}

/// A page of the organization listing: each organization with the caller's role, when
/// filtered by membership. Shared and never changed once made, so an adapter that keeps
/// a listing hands it out without a copy, and a caller that renders it may keep what it
/// rendered for as long as it holds the same page (the same allocation: [`Arc::ptr_eq`]).
pub type OrgListing = Arc<OrgListingPage>;

/// What an [`OrgListing`] shares: the page of organizations, each with the caller's role.
pub type OrgListingPage = Page<(Organization, Option<RoleKey>)>;

/// Filters of the organization listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgFilter {
    /// Only organizations this user is a member of (`None`: all, for superusers).
    pub member_of: Option<Uuid>,
    /// Name or slug contains (case-insensitive).
    pub search: Option<String>,
    /// Exact name.
    pub name: Option<String>,
    /// The listing versions of `member_of`'s orgs as authentication read them with the
    /// credential ([`crate::auth::Actor::member_orgs`]): a listing an adapter kept at
    /// exactly these versions is what a read now would return. `None`: the adapter reads
    /// them itself when it needs them.
    pub read_at: Option<Arc<MemberOrgVersions>>,
}

/// The listing version ([`OrgAccess::version`]) of every organization a user is a member
/// of, by org id: what a listing of the user's orgs was read at. Each org's version covers
/// its own row (the member count included), its owner's public fields (the owner is a
/// member) and the user's membership there, and the ids pin the set of memberships, so two
/// reads with equal versions saw the same orgs with the same rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberOrgVersions(Box<[(Uuid, u64)]>);

impl MemberOrgVersions {
    /// The versions of these orgs, given in any order.
    pub fn new(orgs: impl IntoIterator<Item = (Uuid, u64)>) -> Self {
        let mut orgs: Box<[_]> = orgs.into_iter().collect();
        orgs.sort_unstable_by_key(|(id, _)| *id);
        Self(orgs)
    }

    /// The orgs and their versions, by org id.
    pub fn as_slice(&self) -> &[(Uuid, u64)] {
        &self.0
    }
}

/// A change of an organization's own fields (`PATCH`); settings, ownership and
/// subscription go through their own paths.
#[derive(Debug, Clone, Default)]
pub struct OrgPatch {
    /// New name.
    pub name: Option<String>,
    /// New slug.
    pub slug: Option<String>,
    /// New description (`Some(None)` clears).
    pub description: Option<Option<String>>,
    /// New logo URL (`Some(None)` clears).
    pub logo_url: Option<Option<String>>,
    /// New time zone.
    pub timezone: Option<String>,
    /// New metadata object.
    pub metadata: Option<Value>,
    /// Settings changes.
    pub settings: OrgSettingsPatch,
    /// Transfer ownership to this member.
    pub owner_id: Option<Uuid>,
}

/// A request to create an organization.
#[derive(Debug, Clone, Default)]
pub struct NewOrganization {
    /// Client-chosen id.
    pub id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Slug; derived from the name when absent.
    pub slug: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// Time zone (default `UTC`).
    pub timezone: Option<String>,
    /// Metadata object.
    pub metadata: Option<Value>,
    /// Initial settings.
    pub settings: OrgSettingsPatch,
    /// Owner other than the caller (superusers only).
    pub owner_id: Option<Uuid>,
}

/// Subscription fields, set by superusers.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionUpdate {
    /// Active subscription flag.
    pub has_active_subscription: Option<bool>,
    /// Trial expiry; `Some(None)` clears.
    pub trial_expiry: Option<Option<OffsetDateTime>>,
}
