//! Shared fixtures for the use-case tests: every port mocked, a fixed clock, and
//! ready-made users, principals and organizations.
use std::sync::Arc;

use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

use crate::auth::{Actor, Credential, Principal};
use crate::organizations::{OrgAccess, OrgSettings, Organization};
use crate::permissions::PermissionSet;
use crate::ports::{
    MockAuditRepository, MockClock, MockIdGenerator, MockInvitationRepository, MockMailOutbox,
    MockMailer, MockMemberRepository, MockOrganizationRepository, MockPasswordHasher,
    MockRoleRepository, MockTokenRepository, MockUserRepository,
};
use crate::roles::{CustomRole, MemberRole, SystemRole};
use crate::services::{Config, Ports, Services};
use crate::users::User;
use crate::values::Email;

/// The fixed "now" of every test.
pub const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);
/// The organization every test talks about.
pub const ORG: Uuid = Uuid::from_u128(0x0A);

/// One mock per port; set expectations, then call [`Mocks::services`].
pub struct Mocks {
    pub users: MockUserRepository,
    pub tokens: MockTokenRepository,
    pub organizations: MockOrganizationRepository,
    pub members: MockMemberRepository,
    pub roles: MockRoleRepository,
    pub invitations: MockInvitationRepository,
    pub mailer: MockMailer,
    pub hasher: MockPasswordHasher,
    /// Fresh ids and secrets are provided; add expectations for anything else.
    pub ids: MockIdGenerator,
    /// What the clock answers.
    pub now: OffsetDateTime,
    pub config: Config,
}

impl Default for Mocks {
    fn default() -> Self {
        Self {
            users: MockUserRepository::new(),
            tokens: MockTokenRepository::new(),
            organizations: MockOrganizationRepository::new(),
            members: MockMemberRepository::new(),
            roles: MockRoleRepository::new(),
            invitations: MockInvitationRepository::new(),
            mailer: MockMailer::new(),
            hasher: MockPasswordHasher::new(),
            ids: MockIdGenerator::new(),
            now: NOW,
            config: Config::default(),
        }
    }
}

impl Mocks {
    /// The services over these mocks, with a fixed clock and fresh ids.
    pub fn services(self) -> Services {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(self.now);
        let mut ids = self.ids;
        ids.expect_new_id().returning(Uuid::new_v4);
        ids.expect_new_secret().returning(|| "s".repeat(43));
        Services::new(
            Ports {
                users: Arc::new(self.users),
                tokens: Arc::new(self.tokens),
                organizations: Arc::new(self.organizations),
                members: Arc::new(self.members),
                roles: Arc::new(self.roles),
                invitations: Arc::new(self.invitations),
                audit: Arc::new(MockAuditRepository::new()),
                clock: Arc::new(clock),
                ids: Arc::new(ids),
                hasher: Arc::new(self.hasher),
                mailer: Arc::new(self.mailer),
                outbox: Arc::new(MockMailOutbox::new()),
            },
            self.config,
        )
    }

    /// `access` answers [`ORG`] with the caller holding `role` (custom roles too).
    pub fn org_with(mut self, role: MemberRole) -> Self {
        self.organizations.expect_access().returning(move |_, _| {
            Ok(Some(OrgAccess {
                org: organization(),
                role: Some(role.clone()),
                version: None,
            }))
        });
        self
    }

    /// `access` answers [`ORG`] with the given caller role.
    pub fn org_with_role(mut self, role: Option<SystemRole>) -> Self {
        self.organizations.expect_access().returning(move |_, _| {
            Ok(Some(OrgAccess {
                org: organization(),
                role: role.map(MemberRole::system),
                version: None,
            }))
        });
        self
    }
}

impl Mocks {
    /// The org's custom roles are `roles` (none: only system roles); every lookup of the
    /// role port answers from them, and nobody holds any role.
    pub fn with_roles(mut self, roles: Vec<CustomRole>) -> Self {
        let all = roles.clone();
        self.roles.expect_list().returning(move |_| Ok(all.clone()));
        let all = roles.clone();
        self.roles
            .expect_get()
            .returning(move |_, id| Ok(all.iter().find(|r| r.id == id).cloned()));
        let all = roles.clone();
        self.roles
            .expect_find()
            .returning(move |_, key| Ok(all.iter().find(|r| r.key() == key).cloned()));
        let all = roles;
        self.roles.expect_find_by_name().returning(move |_, name| {
            let name = name.to_lowercase();
            Ok(all.iter().find(|r| r.name.to_lowercase() == name).cloned())
        });
        self.roles.expect_holders().returning(|_| Ok(vec![]));
        self
    }
}

/// A custom role of [`ORG`] with these permissions; a system key as `name` shadows it.
pub fn custom_role(n: u128, name: &str, permissions: PermissionSet) -> CustomRole {
    CustomRole {
        id: Uuid::from_u128(n),
        organization_id: ORG,
        name: name.to_owned(),
        description: None,
        permissions,
        shadows: SystemRole::from_key(name),
        created: NOW,
        updated: NOW,
    }
}

/// A user; `n` picks id and email.
pub fn user(n: u128) -> User {
    User {
        id: Uuid::from_u128(n),
        email: Email::parse(&format!("user{n}@example.com")).unwrap(),
        username: format!("user{n}"),
        name: None,
        avatar_url: None,
        company: None,
        job_title: None,
        metadata: json!({}),
        is_active: true,
        is_superuser: false,
        is_service_account: false,
        is_onboarded: false,
        two_factor_enabled: false,
        created: NOW,
        updated: NOW,
    }
}

/// `user` calling with a session.
pub fn session(user: User) -> Actor {
    let principal = Principal {
        user,
        credential: Credential::Session {
            id: Uuid::from_u128(0x5E),
            active_organization_id: None,
        },
    };
    Actor::new(principal, Some("req-1".into()))
}

/// `user` calling with an API key of these scopes.
pub fn key(user: User, scopes: PermissionSet) -> Actor {
    let principal = Principal {
        user,
        credential: Credential::ApiKey {
            id: Uuid::from_u128(0x4B),
            scopes,
            organization_id: None,
        },
    };
    Actor::new(principal, None)
}

/// Organization [`ORG`], owned by user 1.
pub fn organization() -> Organization {
    Organization {
        id: ORG,
        name: "Acme".into(),
        slug: "acme".into(),
        description: None,
        logo_url: None,
        timezone: "UTC".into(),
        owner: user(1).public(),
        metadata: json!({}),
        settings: OrgSettings::default(),
        registry_key: "orgd_r_x".into(),
        has_active_subscription: false,
        trial_expiry: None,
        member_count: 3,
        created: NOW,
        updated: NOW,
    }
}
