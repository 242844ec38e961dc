//! The use cases. One [`Services`] value holds the ports and the configuration; its
//! methods are grouped by feature in the submodules.
use std::sync::Arc;

use serde_json::Value;
use time::Duration;
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::auth::{Actor, Principal};
use crate::error::{DomainError, Result};
use crate::organizations::{OrgAccess, OrgBasics, OrgRef, OrgSettings, PreloadedOrg};
use crate::policy::{self, Grant};
use crate::ports::{
    AuditRepository, Clock, IdGenerator, InvitationRepository, MailOutbox, Mailer,
    MemberRepository, OrganizationRepository, PasswordHasher, RoleRepository, TokenRepository,
    UserRepository,
};

mod audit;
mod auth;
#[cfg(test)]
mod fixtures;
mod invitations;
mod members;
mod organizations;
mod permissions;
mod roles;
mod two_factor;
mod users;

pub use invitations::INVITATION_PREFIX;
pub use organizations::{OrgExpand, OrgView};
pub use permissions::{CheckResult, Explanation, MyPermissions};

/// Who may create organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrgCreation {
    /// Every user but service accounts.
    #[default]
    Anyone,
    /// Superusers only.
    Superusers,
}

/// Behaviour knobs of the services.
#[derive(Debug, Clone)]
pub struct Config {
    /// Whether `POST /api/auth/signup` is open.
    pub allow_signup: bool,
    /// Who may create organizations.
    pub org_creation: OrgCreation,
    /// Most organizations one user may own (`None`: unlimited).
    pub max_orgs_per_owner: Option<u32>,
    /// How long a session lasts.
    pub session_ttl: Duration,
    /// How long an invitation stays valid.
    pub invitation_ttl: Duration,
    /// The server's public base URL (no trailing slash), for links in messages.
    pub public_url: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            allow_signup: true,
            org_creation: OrgCreation::Anyone,
            max_orgs_per_owner: None,
            session_ttl: Duration::days(7),
            invitation_ttl: Duration::days(7),
            public_url: "http://127.0.0.1:8080".to_owned(),
        }
    }
}

/// The adapters the services drive.
#[derive(Clone)]
pub struct Ports {
    /// Users.
    pub users: Arc<dyn UserRepository>,
    /// Sessions and API keys.
    pub tokens: Arc<dyn TokenRepository>,
    /// Organizations.
    pub organizations: Arc<dyn OrganizationRepository>,
    /// Memberships.
    pub members: Arc<dyn MemberRepository>,
    /// Custom roles.
    pub roles: Arc<dyn RoleRepository>,
    /// Invitations.
    pub invitations: Arc<dyn InvitationRepository>,
    /// Audit log.
    pub audit: Arc<dyn AuditRepository>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Ids and secrets.
    pub ids: Arc<dyn IdGenerator>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Mail delivery.
    pub mailer: Arc<dyn Mailer>,
    /// The default mailer's outbox (`GET /api/outbox`).
    pub outbox: Arc<dyn MailOutbox>,
}

/// The use cases of orgd.
#[derive(Clone)]
pub struct Services {
    ports: Ports,
    config: Config,
}

impl Services {
    /// Wires the services to their adapters.
    pub fn new(ports: Ports, config: Config) -> Self {
        Self { ports, config }
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the store is reachable (`/readyz`).
    ///
    /// # Errors
    /// `Unavailable` when it is not.
    pub async fn ready(&self) -> Result<()> {
        self.ports.audit.ping().await
    }

    /// Builds an audit event for a change made by `actor` (or the system).
    #[allow(clippy::too_many_arguments)]
    fn event(
        &self,
        actor: Option<&Actor>,
        organization_id: Option<Uuid>,
        action: &str,
        target_type: &str,
        target_id: impl ToString,
        before: Option<Value>,
        after: Option<Value>,
    ) -> AuditEvent {
        AuditEvent {
            id: self.ports.ids.new_id(),
            organization_id,
            actor_id: actor.map(|a| a.principal.user.id),
            action: action.to_owned(),
            target_type: target_type.to_owned(),
            target_id: target_id.to_string(),
            before,
            after,
            request_id: actor.and_then(|a| a.request_id.clone()),
            created: self.ports.clock.now(),
        }
    }

    /// Resolves a path's `{org}` (`me`, UUID, slug or name) for a principal.
    ///
    /// # Errors
    /// `409 no_current_organization` for `me` without one.
    fn org_ref(principal: &Principal, org: &str) -> Result<OrgRef> {
        if org == "me" {
            principal
                .current_organization()
                .map(OrgRef::Id)
                .ok_or_else(|| {
                    DomainError::conflict(
                        "no_current_organization",
                        "no current organization: set one with POST /api/auth/session/organization",
                    )
                })
        } else {
            Ok(OrgRef::parse(org))
        }
    }

    /// The org authentication preloaded, when it is the one `org_ref` names:
    /// `Some(None)` when it found no org with that id.
    fn preloaded<'a>(actor: &'a Actor, org_ref: &OrgRef) -> Option<Option<&'a PreloadedOrg>> {
        actor
            .preloaded
            .as_ref()
            .filter(|p| *org_ref == OrgRef::Id(p.organization_id))
            .map(|p| p.access.as_ref())
    }

    /// `404` without an org; otherwise the org with the policy's grant there, from the id and
    /// settings `policy_input` reads of it.
    ///
    /// # Errors
    /// `404 not_found`; the policy's `403`s.
    fn granted<O>(
        principal: &Principal,
        access: Option<OrgAccess<O>>,
        policy_input: impl Fn(&O) -> (Uuid, &OrgSettings),
    ) -> Result<(OrgAccess<O>, Grant)> {
        let access = access.ok_or_else(|| DomainError::not_found("organization"))?;
        let (id, settings) = policy_input(&access.org);
        let grant = policy::evaluate(principal, id, settings, access.role.as_ref())?;
        Ok((access, grant))
    }

    /// Loads an org's [`OrgBasics`] with the caller's role and evaluates the policy: the
    /// first step of every org-scoped use case that does not show the org. Costs one store
    /// round trip, or none when authentication preloaded that org ([`Actor::preloaded`]),
    /// at either detail.
    ///
    /// # Errors
    /// `404` for unknown orgs and foreign tenants; the policy's `403`s.
    async fn access(&self, actor: &Actor, org: &str) -> Result<(OrgAccess<OrgBasics>, Grant)> {
        let principal = &actor.principal;
        let org_ref = Self::org_ref(principal, org)?;
        let access = match Self::preloaded(actor, &org_ref) {
            Some(Some(PreloadedOrg::Basics(a))) => Some(a.clone()),
            Some(Some(PreloadedOrg::Full(a))) => Some(OrgAccess::clone(a).into_basics()),
            Some(None) => None,
            None => self
                .ports
                .organizations
                .access(&org_ref, principal.user.id)
                .await?
                .map(OrgAccess::into_basics),
        };
        Self::granted(principal, access, |o| (o.id, &o.settings))
    }

    /// [`access`](Self::access) with the whole [`Organization`](crate::organizations::Organization),
    /// for the use cases that show or change it. Preloaded basics do not stand in for it: they
    /// cost the use case its own read.
    ///
    /// # Errors
    /// As [`access`](Self::access).
    async fn full_access(&self, actor: &Actor, org: &str) -> Result<(OrgAccess, Grant)> {
        let principal = &actor.principal;
        let org_ref = Self::org_ref(principal, org)?;
        let access = match Self::preloaded(actor, &org_ref) {
            Some(Some(PreloadedOrg::Full(a))) => Some(OrgAccess::clone(a)),
            Some(None) => None,
            Some(Some(PreloadedOrg::Basics(_))) | None => {
                self.ports
                    .organizations
                    .access(&org_ref, principal.user.id)
                    .await?
            }
        };
        Self::granted(principal, access, |o| (o.id, &o.settings))
    }
}
