//! In-process hot paths of the domain: the permission check and token verification.
//!
//! `cargo bench -p org-domain` (results: `docs/performance.md`). The permission check is what
//! every org-scoped request runs after its one access query: `policy::evaluate` (role +
//! custom role + API key scopes + org settings) and `Grant::allows`. It is measured over data
//! sets of 10, 10,000 and 100,000 organizations, each with its own settings and its own
//! custom role for the caller, visited in turn, to show that its cost does not depend on how
//! many organizations exist (the store resolves the one membership by index; nothing in
//! the check scans organizations).
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use org_domain::auth::{Credential, Principal, TokenHash, TokenKind};
use org_domain::organizations::OrgSettings;
use org_domain::permissions::{Permission as P, PermissionSet};
use org_domain::policy;
use org_domain::roles::{CustomRoleGrant, MemberRole, RoleKey, SystemRole};
use org_domain::users::User;
use org_domain::values::Email;
use time::OffsetDateTime;
use uuid::Uuid;

/// One organization as the check sees it: its id, settings and the caller's role there.
struct OrgCase {
    id: Uuid,
    settings: OrgSettings,
    role: MemberRole,
}

fn user() -> User {
    User {
        id: Uuid::from_u128(1),
        email: Email::parse("hot-user@bench.invalid").unwrap(),
        username: "hot".into(),
        name: Some("Hot User".into()),
        avatar_url: None,
        company: None,
        job_title: None,
        metadata: serde_json::json!({}),
        is_active: true,
        is_superuser: false,
        is_service_account: false,
        is_onboarded: true,
        two_factor_enabled: true,
        created: OffsetDateTime::UNIX_EPOCH,
        updated: OffsetDateTime::UNIX_EPOCH,
    }
}

/// `n` organizations. Each has settings of its own (every third lets members invite and
/// enforces 2FA) and gives the caller a custom role: a custom key every other org, a custom
/// role shadowing `admin` in the rest.
fn orgs(n: usize) -> Vec<OrgCase> {
    (0..n)
        .map(|i| {
            let id = Uuid::from_u128(0x1000_0000 + i as u128);
            let settings = OrgSettings {
                members_can_invite: i % 3 == 0,
                enforce_2fa: i % 3 == 0,
                ..OrgSettings::default()
            };
            let custom_id = Uuid::from_u128(0x2000_0000 + i as u128);
            let key = if i % 2 == 0 {
                RoleKey::Custom(custom_id)
            } else {
                RoleKey::System(SystemRole::Admin)
            };
            let role = MemberRole {
                key,
                custom: Some(CustomRoleGrant {
                    id: custom_id,
                    name: format!("role-{i}"),
                    permissions: PermissionSet::of(&[
                        P::OrganizationRead,
                        P::UsersRead,
                        P::UsersUpdate,
                        P::RolesRead,
                    ]),
                }),
            };
            OrgCase { id, settings, role }
        })
        .collect()
}

fn permission_check(c: &mut Criterion) {
    let needed = PermissionSet::of(&[P::UsersUpdate]);
    let session = Principal {
        user: user(),
        credential: Credential::Session {
            id: Uuid::from_u128(7),
            active_organization_id: None,
        },
    };
    let key = Principal {
        user: user(),
        credential: Credential::ApiKey {
            id: Uuid::from_u128(8),
            scopes: PermissionSet::of(&[P::OrganizationRead, P::UsersRead, P::UsersUpdate]),
            organization_id: None,
        },
    };
    let mut group = c.benchmark_group("permission_check");
    group.throughput(Throughput::Elements(1));
    for n in [10usize, 10_000, 100_000] {
        let data = orgs(n);
        for (credential, principal) in [("session", &session), ("api_key", &key)] {
            group.bench_with_input(BenchmarkId::new(credential, n), &data, |b, data| {
                let mut i = 0;
                b.iter(|| {
                    let org = &data[i];
                    i = if i + 1 == data.len() { 0 } else { i + 1 };
                    let grant = policy::evaluate(principal, org.id, &org.settings, Some(&org.role));
                    black_box(grant.is_ok_and(|g| g.allows(black_box(needed))))
                });
            });
        }
    }
    group.finish();
}

fn token_verification(c: &mut Criterion) {
    // What `Services::authenticate` does in process with a presented token and the row the
    // store returned for its hash: prefix, length, SHA-256, constant-time compare, expiry.
    let token = "orgd_s_Jm1pX0c3bGZ2Q2R6a1N0dUx3b0hxYWJjZGVmZ2hpamts";
    let stored = TokenHash::of(token);
    let expires_at = OffsetDateTime::now_utc() + time::Duration::days(7);
    let now = OffsetDateTime::now_utc();
    c.bench_function("token_verification/session", |b| {
        b.iter(|| {
            let token = black_box(token);
            let ok = TokenKind::of(token).is_some() && token.len() <= 256 && {
                let hash = TokenHash::of(token);
                hash.ct_eq(black_box(&stored)) && black_box(expires_at) > now
            };
            black_box(ok)
        });
    });
    c.bench_function("token_verification/sha256_only", |b| {
        b.iter(|| black_box(TokenHash::of(black_box(token))));
    });
}

criterion_group!(benches, permission_check, token_verification);
criterion_main!(benches);
