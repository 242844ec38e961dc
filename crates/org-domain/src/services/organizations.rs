//! Organizations: list, create, read, update (incl. settings and ownership), delete,
//! subscription.
use super::auth::user_not_found;
use super::users::check_metadata as metadata_ok;
use super::{OrgCreation, Services};
use crate::auth::Actor;
use crate::error::{DomainError, Result};
use crate::invitations::{Invitation, InvitationFilter, InvitationStatus};
use crate::members::{Member, MemberFilter};
use crate::organizations::{
    NewOrganization, OrgBasics, OrgFilter, OrgListing, OrgPatch, OrgSettings, OrgSettingsPatch,
    Organization, SubscriptionUpdate,
};
use crate::pagination::{Page, PageRequest};
use crate::permissions::{Permission as P, PermissionSet};
use crate::roles::{MemberRole, RoleKey, RoleSummary, SystemRole};
use crate::values::{OrgName, Slug, Timezone, check_len, check_url};
use serde_json::{Value, json};
use uuid::Uuid;

/// What `GET /api/organizations/{org}` should embed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrgExpand {
    /// The first 100 members.
    pub members: bool,
    /// The org's roles.
    pub roles: bool,
    /// The newest 100 pending invitations.
    pub invitations: bool,
    /// Subscription fields.
    pub subscription: bool,
}

/// An organization as one caller sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgView {
    /// The organization.
    pub org: Organization,
    /// The caller's role (`None`: superuser who is not a member).
    pub role: Option<RoleKey>,
    /// Whether to show the registry key (members only).
    pub show_registry_key: bool,
    /// Whether to show subscription fields.
    pub show_subscription: bool,
    /// Embedded members.
    pub members: Option<Page<Member>>,
    /// Embedded roles.
    pub roles: Option<Vec<RoleSummary>>,
    /// Embedded pending invitations.
    pub invitations: Option<Page<Invitation>>,
}

fn summary(o: &Organization) -> Value {
    json!({
        "name": o.name, "slug": o.slug, "description": o.description, "logo_url": o.logo_url,
        "timezone": o.timezone, "owner_id": o.owner.id, "settings": o.settings,
    })
}

impl Services {
    /// Organizations the caller belongs to (superusers: all).
    ///
    /// # Errors
    /// `403` for an API key without `organization:read`.
    pub async fn list_organizations(
        &self,
        actor: &Actor,
        search: Option<String>,
        name: Option<String>,
        page: PageRequest,
    ) -> Result<OrgListing> {
        Self::require_scope(&actor.principal, P::OrganizationRead)?;
        let user = &actor.principal.user;
        let member_of = (!user.is_superuser).then_some(user.id);
        let filter = OrgFilter {
            member_of,
            search,
            name,
            // Read with the credential, for this user.
            read_at: member_of.and(actor.member_orgs.clone()),
        };
        self.ports.organizations.list(&filter, page).await
    }

    /// Creates an organization; the creator (or, for superusers, `owner_id`) becomes owner.
    ///
    /// # Errors
    /// `403 illegal_operation` for service accounts and `owner_id` from non-superusers;
    /// `403 forbidden` when creation is limited to superusers; `422`; `409 slug_taken`,
    /// `409 organization_limit_exceeded`.
    pub async fn create_organization(
        &self,
        actor: &Actor,
        req: NewOrganization,
    ) -> Result<OrgView> {
        let principal = &actor.principal;
        Self::require_scope(principal, P::OrganizationWrite)?;
        if principal.user.is_service_account {
            return Err(DomainError::forbidden(
                "illegal_operation",
                "service accounts cannot create organizations",
            ));
        }
        if self.config.org_creation == OrgCreation::Superusers && !principal.user.is_superuser {
            return Err(DomainError::missing_permission(
                "only superusers may create organizations",
            ));
        }
        let owner = match req.owner_id {
            Some(id) if id != principal.user.id => {
                if !principal.user.is_superuser {
                    return Err(DomainError::forbidden(
                        "illegal_operation",
                        "only superusers may create an organization for another user",
                    ));
                }
                let owner = self
                    .ports
                    .users
                    .find_by_id(id)
                    .await?
                    .ok_or_else(user_not_found)?;
                if owner.is_service_account {
                    return Err(DomainError::forbidden(
                        "illegal_operation",
                        "service accounts cannot own organizations",
                    ));
                }
                owner
            }
            _ => principal.user.clone(),
        };
        let name = OrgName::parse(&req.name)?;
        let explicit_slug = req.slug.as_deref().map(Slug::parse).transpose()?;
        let timezone = req
            .timezone
            .as_deref()
            .map(Timezone::parse)
            .transpose()?
            .unwrap_or_else(Timezone::utc);
        validate_text(req.description.as_ref(), req.logo_url.as_ref())?;
        if let Some(m) = &req.metadata {
            metadata_ok(m)?;
        }
        let mut settings = OrgSettings::default();
        validate_new_settings(&req.settings)?;
        req.settings.apply(&mut settings);
        let now = self.ports.clock.now();
        let mut org = Organization {
            id: req.id.unwrap_or_else(|| self.ports.ids.new_id()),
            name: name.as_str().to_owned(),
            slug: explicit_slug
                .clone()
                .unwrap_or_else(|| Slug::derive(name.as_str()))
                .as_str()
                .to_owned(),
            description: req.description,
            logo_url: req.logo_url,
            timezone: timezone.as_str().to_owned(),
            owner: owner.public(),
            metadata: req.metadata.unwrap_or_else(|| json!({})),
            settings,
            registry_key: format!("orgd_r_{}", self.ports.ids.new_secret()),
            has_active_subscription: false,
            trial_expiry: None,
            member_count: 1,
            created: now,
            updated: now,
        };
        // A derived slug that is taken gets a short random suffix; an explicit one is a 409.
        for attempt in 0..3 {
            let event = self.event(
                Some(actor),
                Some(org.id),
                "organization.created",
                "organization",
                org.id,
                None,
                Some(summary(&org)),
            );
            match self
                .ports
                .organizations
                .insert(&org, self.config.max_orgs_per_owner, &event)
                .await
            {
                Err(DomainError::Conflict {
                    code: "slug_taken", ..
                }) if explicit_slug.is_none() && attempt < 2 => {
                    let suffix: String = self
                        .ports
                        .ids
                        .new_id()
                        .simple()
                        .to_string()
                        .chars()
                        .rev()
                        .take(6)
                        .collect();
                    let base: String = org.slug.chars().take(56).collect();
                    org.slug = format!("{}-{suffix}", base.trim_end_matches('-'));
                }
                other => {
                    other?;
                    break;
                }
            }
        }
        Ok(OrgView {
            role: Some(RoleKey::System(SystemRole::Owner)),
            show_registry_key: owner.id == principal.user.id,
            show_subscription: false,
            members: None,
            roles: None,
            invitations: None,
            org,
        })
    }

    /// One organization, with optional embedded members and roles.
    ///
    /// # Errors
    /// `404`; `403` without `organization:read`, or without `users:read` to embed members or
    /// invitations, or without `roles:read` to embed roles.
    pub async fn get_organization(
        &self,
        actor: &Actor,
        org: &str,
        expand: OrgExpand,
    ) -> Result<OrgView> {
        let (access, grant) = self.full_access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::OrganizationRead]))?;
        if expand.members || expand.invitations {
            grant.require(PermissionSet::of(&[P::UsersRead]))?;
        }
        // The embedded roles are what `GET …/roles` lists, behind the same permission.
        if expand.roles {
            grant.require(PermissionSet::of(&[P::RolesRead]))?;
        }
        let invitations = if expand.invitations {
            let filter = InvitationFilter {
                status: Some(InvitationStatus::Pending),
            };
            let now = self.ports.clock.now();
            let page = PageRequest::new(100, 0);
            Some(
                self.ports
                    .invitations
                    .list(access.org.id, &filter, now, page, access.version)
                    .await?,
            )
        } else {
            None
        };
        let members = if expand.members {
            let page = PageRequest::new(100, 0);
            Some(
                self.ports
                    .members
                    .list(
                        access.org.id,
                        &MemberFilter::default(),
                        page,
                        Some(access.org.member_count),
                        access.version,
                    )
                    .await?,
            )
        } else {
            None
        };
        let roles = if expand.roles {
            Some(self.role_summaries(access.org.id).await?)
        } else {
            None
        };
        Ok(OrgView {
            role: access.role.as_ref().map(|r| r.key),
            show_registry_key: access.role.is_some(),
            show_subscription: expand.subscription,
            members,
            roles,
            invitations,
            org: access.org,
        })
    }

    /// Partial update of fields, settings (`org:settings`) and owner (owners only).
    ///
    /// # Errors
    /// `404`; `403`; `422`; `409 slug_taken`; `422 not_a_member` for a new owner who is not
    /// a member.
    pub async fn update_organization(
        &self,
        actor: &Actor,
        org: &str,
        patch: OrgPatch,
    ) -> Result<OrgView> {
        let (access, grant) = self.full_access(actor, org).await?;
        let mut needed = PermissionSet::EMPTY;
        let touches_fields = patch.name.is_some()
            || patch.slug.is_some()
            || patch.description.is_some()
            || patch.logo_url.is_some()
            || patch.timezone.is_some()
            || patch.metadata.is_some();
        if touches_fields || (patch.settings.is_empty() && patch.owner_id.is_none()) {
            needed = needed.with(P::OrganizationWrite);
        }
        if !patch.settings.is_empty() {
            needed = needed.with(P::OrgSettings);
        }
        grant.require(needed)?;
        let before = access.org.clone();
        let mut o = access.org;
        if let Some(new_owner) = patch.owner_id.filter(|id| *id != before.owner.id) {
            let is_owner = access.role.as_ref().is_some_and(|r| r.key.is_owner());
            if !(grant.superuser || is_owner)
                || grant
                    .scopes
                    .is_some_and(|s| !s.contains(P::OrganizationDelete))
            {
                return Err(DomainError::missing_permission(
                    "only an owner can transfer ownership",
                ));
            }
            let member = self
                .ports
                .members
                .get(o.id, new_owner)
                .await?
                .ok_or_else(|| {
                    DomainError::unprocessable(
                        "not_a_member",
                        "the new owner must already be a member",
                    )
                })?;
            o.owner = member.user;
        }
        if let Some(n) = &patch.name {
            o.name = OrgName::parse(n)?.as_str().to_owned();
        }
        if let Some(s) = &patch.slug {
            o.slug = Slug::parse(s)?.as_str().to_owned();
        }
        if let Some(tz) = &patch.timezone {
            o.timezone = Timezone::parse(tz)?.as_str().to_owned();
        }
        validate_text(
            patch.description.as_ref().and_then(Option::as_ref),
            patch.logo_url.as_ref().and_then(Option::as_ref),
        )?;
        if let Some(v) = patch.description {
            o.description = v;
        }
        if let Some(v) = patch.logo_url {
            o.logo_url = v;
        }
        if let Some(m) = patch.metadata {
            metadata_ok(&m)?;
            o.metadata = m;
        }
        let mut settings = patch.settings;
        self.default_role_setting(o.id, &mut settings).await?;
        settings.apply(&mut o.settings);
        o.updated = self.ports.clock.now();
        let action = if o.owner.id == before.owner.id {
            "organization.updated"
        } else {
            "organization.ownership_transferred"
        };
        let event = self.event(
            Some(actor),
            Some(o.id),
            action,
            "organization",
            o.id,
            Some(summary(&before)),
            Some(summary(&o)),
        );
        self.ports
            .organizations
            .update(&o, before.owner.id, &event)
            .await?;
        let mut role = access.role.map(|r| r.key);
        if o.owner.id != before.owner.id
            && role.is_some_and(RoleKey::is_owner)
            && before.owner.id == actor.principal.user.id
        {
            role = Some(RoleKey::System(SystemRole::Admin));
        }
        Ok(OrgView {
            show_registry_key: role.is_some(),
            role,
            show_subscription: false,
            members: None,
            roles: None,
            invitations: None,
            org: o,
        })
    }

    /// Deletes an organization and everything it owns.
    ///
    /// # Errors
    /// `404`; `403` without `organization:delete`.
    pub async fn delete_organization(&self, actor: &Actor, org: &str) -> Result<()> {
        let (access, grant) = self.full_access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::OrganizationDelete]))?;
        let o = &access.org;
        let event = self.event(
            Some(actor),
            Some(o.id),
            "organization.deleted",
            "organization",
            o.id,
            Some(summary(o)),
            None,
        );
        self.ports.organizations.delete(o.id, &event).await
    }

    /// Superuser: sets subscription fields.
    ///
    /// # Errors
    /// `404`; `403` for everyone but superusers.
    pub async fn update_subscription(
        &self,
        actor: &Actor,
        org: &str,
        update: SubscriptionUpdate,
    ) -> Result<OrgView> {
        let (access, grant) = self.full_access(actor, org).await?;
        if !grant.superuser {
            return Err(DomainError::missing_permission("superuser required"));
        }
        let before = access.org.clone();
        let mut o = access.org;
        if let Some(v) = update.has_active_subscription {
            o.has_active_subscription = v;
        }
        if let Some(v) = update.trial_expiry {
            o.trial_expiry = v;
        }
        o.updated = self.ports.clock.now();
        let sub = |o: &Organization| json!({"has_active_subscription": o.has_active_subscription, "trial_expiry": o.trial_expiry.map(|t| t.unix_timestamp())});
        let event = self.event(
            Some(actor),
            Some(o.id),
            "organization.subscription_updated",
            "organization",
            o.id,
            Some(sub(&before)),
            Some(sub(&o)),
        );
        self.ports
            .organizations
            .update(&o, before.owner.id, &event)
            .await?;
        let role = access.role.map(|r| r.key);
        Ok(OrgView {
            show_registry_key: role.is_some(),
            role,
            show_subscription: true,
            members: None,
            roles: None,
            invitations: None,
            org: o,
        })
    }

    /// The role a new member or invitation gets when none is named: the org's
    /// `default_role_id`, else `member` (also when that custom role has vanished).
    pub(super) async fn default_role(&self, org: &OrgBasics) -> Result<MemberRole> {
        let key = org
            .settings
            .default_role_id
            .as_deref()
            .and_then(|k| RoleKey::parse(k).ok())
            .unwrap_or(RoleKey::System(SystemRole::Member));
        let role = self.role_of(org.id, key).await?;
        if matches!(role.key, RoleKey::Custom(_)) && role.custom.is_none() {
            return Ok(MemberRole::system(SystemRole::Member));
        }
        Ok(role)
    }

    /// Checks and normalizes a new `default_role_id`: a role of the org (system key, custom
    /// id or name), never `owner`; stored as the role's key.
    async fn default_role_setting(&self, org_id: Uuid, s: &mut OrgSettingsPatch) -> Result<()> {
        let Some(Some(input)) = &s.default_role_id else {
            return Ok(());
        };
        let field = "settings.default_role_id";
        let role = self
            .resolve_role(org_id, input)
            .await
            .map_err(|e| DomainError::invalid(field, e.to_string()))?;
        if role.key.is_owner() {
            return Err(DomainError::invalid(
                field,
                "the default role cannot be owner",
            ));
        }
        s.default_role_id = Some(Some(role.key.to_string()));
        Ok(())
    }
}

fn validate_text(description: Option<&String>, logo_url: Option<&String>) -> Result<()> {
    if let Some(d) = description {
        check_len("description", d, 0, 2000)?;
    }
    if let Some(u) = logo_url {
        check_url("logo_url", u)?;
    }
    Ok(())
}

/// Settings of a new organization: it has no custom roles yet, so a default role must be
/// `admin` or `member`.
fn validate_new_settings(s: &OrgSettingsPatch) -> Result<()> {
    if let Some(Some(role)) = &s.default_role_id {
        match SystemRole::from_key(role) {
            Some(SystemRole::Owner) => {
                return Err(DomainError::invalid(
                    "settings.default_role_id",
                    "the default role cannot be owner",
                ));
            }
            Some(_) => {}
            None => {
                return Err(DomainError::invalid(
                    "settings.default_role_id",
                    format!("'{role}' is not a role of this organization"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "organizations_tests.rs"]
mod tests;
