//! A fresh, migrated database per test: SQLite in memory always; PostgreSQL (a new
//! database, dropped afterwards) when `ORGD_TEST_DATABASE_URL` is set; a SQLite file with a
//! real pool for the race tests.
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use org_domain::audit::AuditEvent;
use org_domain::auth::{Session, TokenHash};
use org_domain::invitations::{Invitation, NewInvitation};
use org_domain::members::{RemovalRules, RoleChangeRules};
use org_domain::organizations::{OrgSettings, Organization};
use org_domain::permissions::{Permission, PermissionSet};
use org_domain::policy::Grant;
use org_domain::roles::{CustomRole, MemberRole, RoleKey, RoleName, SystemRole};
use org_domain::services::Ports;
use org_domain::users::User;
use org_domain::values::Email;
use org_infra::Database;
use org_infra::entities::audit_events;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

/// The rules of a caller holding `role` with `permissions` in the org.
fn rules_of(role: SystemRole, permissions: PermissionSet, event: &AuditEvent) -> RoleChangeRules {
    RoleChangeRules {
        grant: Grant {
            permissions,
            superuser: false,
            role_permissions: permissions,
            from_settings: PermissionSet::EMPTY,
            scopes: None,
        },
        caller_role: Some(MemberRole::system(role)),
        event: event.clone(),
    }
}

/// Role change rules that allow everything (an owner's): the repository tests exercise the
/// store, the rules have their own tests in org-domain.
pub fn allow(event: &AuditEvent) -> RoleChangeRules {
    rules_of(SystemRole::Owner, PermissionSet::ALL, event)
}

/// An admin's role change rules: no owner may be made or unmade.
pub fn as_admin(event: &AuditEvent) -> RoleChangeRules {
    rules_of(SystemRole::Admin, SystemRole::Admin.permissions(), event)
}

/// A `member`'s role change rules with `extra` on top of a member's permissions.
pub fn as_member_with(event: &AuditEvent, extra: Permission) -> RoleChangeRules {
    let permissions = SystemRole::Member
        .permissions()
        .union(PermissionSet::of(&[extra]));
    rules_of(SystemRole::Member, permissions, event)
}

/// The removal rules of the same caller, removing someone else.
pub fn removal(rules: RoleChangeRules) -> RemovalRules {
    RemovalRules {
        grant: rules.grant,
        caller_role: rules.caller_role,
        leaving: false,
        event: rules.event,
    }
}

/// Removal rules that allow everything (an owner removing someone else).
pub fn allow_removal(event: &AuditEvent) -> RemovalRules {
    removal(allow(event))
}

const PG_ENV: &str = "ORGD_TEST_DATABASE_URL";

enum Cleanup {
    None,
    Postgres { admin_url: String, name: String },
    File(std::path::PathBuf),
}

/// A test database with every port wired to it, and a deterministic clock.
pub struct TestDb {
    pub db: Database,
    pub ports: Ports,
    ticks: AtomicI64,
    cleanup: Cleanup,
}

impl TestDb {
    async fn new(url: &str, pool: u32, cleanup: Cleanup) -> Self {
        let db = Database::connect(url, pool, Duration::from_secs(10))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        Self {
            ports: db.ports(),
            db,
            ticks: AtomicI64::new(0),
            cleanup,
        }
    }

    pub async fn sqlite() -> Self {
        Self::new("sqlite::memory:", 1, Cleanup::None).await
    }

    /// A SQLite file with a pool of several connections (WAL, busy timeout).
    pub async fn sqlite_file() -> Self {
        let path = std::env::temp_dir().join(format!("orgd-test-{}.db", Uuid::new_v4().simple()));
        let url = format!("sqlite://{}", path.display());
        Self::new(&url, 4, Cleanup::File(path)).await
    }

    /// `None` (the test is skipped) unless `ORGD_TEST_DATABASE_URL` is set.
    pub async fn postgres() -> Option<Self> {
        let admin_url = std::env::var(PG_ENV).ok()?;
        let name = format!("orgd_test_{}", Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url, 1, Duration::from_secs(10))
            .await
            .unwrap();
        admin
            .connection()
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        let url = with_database(&admin_url, &name);
        Some(Self::new(&url, 5, Cleanup::Postgres { admin_url, name }).await)
    }

    /// A timestamp later than every earlier one of this test (steps of 250 ms, so
    /// fractional seconds are exercised).
    pub fn at(&self) -> OffsetDateTime {
        let n = self.ticks.fetch_add(1, Ordering::SeqCst);
        time::macros::datetime!(2024-03-01 09:00 UTC) + time::Duration::milliseconds(250 * n)
    }

    pub fn event(&self, org: Option<Uuid>, action: &str, target: impl ToString) -> AuditEvent {
        AuditEvent {
            id: Uuid::now_v7(),
            organization_id: org,
            actor_id: None,
            action: action.to_owned(),
            target_type: action.split('.').next().unwrap_or_default().to_owned(),
            target_id: target.to_string(),
            before: None,
            after: Some(json!({"test": true})),
            request_id: Some("req-1".to_owned()),
            created: self.at(),
        }
    }

    /// A stored session of `user`'s, with the token `secret`, for a week.
    pub async fn session(&self, user: Uuid, secret: &str) -> Session {
        let s = Session {
            id: Uuid::now_v7(),
            user_id: user,
            token_hash: TokenHash::of(secret),
            active_organization_id: None,
            created: self.at(),
            expires_at: self.at() + time::Duration::days(7),
        };
        self.ports.tokens.insert_session(&s).await.unwrap();
        s
    }

    /// The org's listing version as stored (`org_versions`, migration 5): 0 before its
    /// first change.
    pub async fn org_version(&self, org: Uuid) -> u64 {
        let db = self.db.connection();
        let backend = db.get_database_backend();
        let sql = match backend {
            sea_orm::DbBackend::Postgres => {
                "SELECT version FROM org_versions WHERE organization_id = $1"
            }
            _ => "SELECT version FROM org_versions WHERE organization_id = ?",
        };
        let row = db
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                sql,
                [org.into()],
            ))
            .await
            .unwrap();
        row.map_or(0, |r| {
            u64::try_from(r.try_get::<i64>("", "version").unwrap()).unwrap()
        })
    }

    /// Rows in `audit_events`, all orgs.
    pub async fn audit_rows(&self) -> u64 {
        audit_events::Entity::find()
            .count(self.db.connection())
            .await
            .unwrap()
    }

    pub fn new_user(&self, email: &str) -> User {
        let email = Email::parse(email).unwrap();
        let at = self.at();
        User {
            id: Uuid::now_v7(),
            username: email.local_part().to_owned(),
            name: Some(format!("User {}", email.local_part())),
            email,
            avatar_url: None,
            company: Some("Acme".to_owned()),
            job_title: None,
            metadata: json!({"k": [1, 2]}),
            is_active: true,
            is_superuser: false,
            is_service_account: false,
            is_onboarded: false,
            two_factor_enabled: false,
            created: at,
            updated: at,
        }
    }

    /// Inserts a user.
    pub async fn user(&self, email: &str) -> User {
        let u = self.new_user(email);
        let ev = self.event(None, "user.created", u.id);
        self.ports
            .users
            .insert(&u, Some("$argon2id$fake".to_owned()), &ev)
            .await
            .unwrap();
        u
    }

    pub fn new_org(&self, owner: &User, name: &str, slug: &str) -> Organization {
        let at = self.at();
        Organization {
            id: Uuid::now_v7(),
            name: name.to_owned(),
            slug: slug.to_owned(),
            description: Some("desc".to_owned()),
            logo_url: None,
            timezone: "Europe/Paris".to_owned(),
            owner: owner.public(),
            metadata: json!({"tier": "gold"}),
            settings: OrgSettings::default(),
            registry_key: "orgd_r_secret".to_owned(),
            has_active_subscription: false,
            trial_expiry: None,
            member_count: 1,
            created: at,
            updated: at,
        }
    }

    /// Adds `user` to `org` with `role`, with its audit row.
    pub async fn member(&self, org: Uuid, user: Uuid, role: RoleKey) {
        let ev = self.event(Some(org), "member.added", user);
        self.ports
            .members
            .add(org, user, role, self.at(), &ev)
            .await
            .unwrap();
    }

    /// Stores `org`'s fields (and a hand-off when its owner is not `previous_owner`), with
    /// its audit row.
    pub async fn update_org(&self, org: &Organization, previous_owner: Uuid) {
        let ev = self.event(Some(org.id), "organization.updated", org.id);
        self.ports
            .organizations
            .update(org, previous_owner, &ev)
            .await
            .unwrap();
    }

    /// Inserts an organization owned by `owner`.
    pub async fn org(&self, owner: &User, name: &str, slug: &str) -> Organization {
        let o = self.new_org(owner, name, slug);
        let ev = self.event(Some(o.id), "organization.created", o.id);
        self.ports
            .organizations
            .insert(&o, None, &ev)
            .await
            .unwrap();
        o
    }
}

/// Custom roles and invitations.
impl TestDb {
    pub fn new_role(&self, org: Uuid, name: &str, perms: &[Permission]) -> CustomRole {
        let at = self.at();
        CustomRole {
            id: Uuid::now_v7(),
            organization_id: org,
            name: name.to_owned(),
            description: Some(format!("{name} role")),
            permissions: PermissionSet::of(perms),
            shadows: RoleName::parse(name).unwrap().shadows(),
            created: at,
            updated: at,
        }
    }

    /// Inserts a custom role.
    pub async fn role(&self, org: Uuid, name: &str, perms: &[Permission]) -> CustomRole {
        let r = self.new_role(org, name, perms);
        let ev = self.event(Some(org), "role.created", r.id);
        self.ports.roles.insert(&r, &ev).await.unwrap();
        r
    }

    /// A new invitation (created now, expiring a week later) and its token.
    pub fn new_invitation(
        &self,
        org: Uuid,
        inviter: Uuid,
        email: &str,
        role: RoleKey,
    ) -> (NewInvitation, String) {
        let id = Uuid::now_v7();
        let token = format!("orgd_i_{}", id.simple());
        let created = self.at();
        let new = NewInvitation {
            id,
            organization_id: org,
            email: email.to_owned(),
            role,
            token_hash: TokenHash::of(&token).to_hex(),
            inviter_id: inviter,
            expires_at: created + time::Duration::days(7),
            created,
        };
        (new, token)
    }

    /// Inserts an invitation expiring at `expires_at`, stored at its creation time.
    pub async fn invite(
        &self,
        org: Uuid,
        inviter: Uuid,
        email: &str,
        role: RoleKey,
        expires_at: Option<OffsetDateTime>,
    ) -> Invitation {
        let (mut new, _) = self.new_invitation(org, inviter, email, role);
        if let Some(at) = expires_at {
            new.expires_at = at;
        }
        let ev = self.event(Some(org), "invitation.created", new.id);
        self.ports
            .invitations
            .insert(&new, new.created, &ev)
            .await
            .unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.cleanup, Cleanup::None) {
            Cleanup::None => {}
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                // Async work cannot run in `drop`: use a private runtime on another thread.
                // `WITH (FORCE)` ends the test pool's connections, which are still open.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        let admin = Database::connect(&admin_url, 1, Duration::from_secs(10))
                            .await
                            .unwrap();
                        admin
                            .connection()
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await
                            .unwrap();
                    });
                })
                .join();
            }
        }
    }
}

/// `url` pointing at database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs a test body on SQLite in memory, and on PostgreSQL when configured:
/// `both!(name)` makes `name::sqlite` and `name::postgres` from `async fn name(&TestDb)`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::support::TestDb::sqlite().await;
                super::$name(&t).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(t) = $crate::support::TestDb::postgres().await else {
                    eprintln!("ORGD_TEST_DATABASE_URL not set: skipped");
                    return;
                };
                super::$name(&t).await;
            }
        }
    )*};
}
