//! Request routing and bearer authentication through the whole actix application (every
//! middleware: request id, tracing span, security headers, NUL refusal, authentication),
//! without a database: the ports are in-memory mocks answering at once.
//!
//! `cargo bench -p org-http` (results: `docs/performance.md`). What is left of a request's
//! cost once the database round trips are taken away: routing, header parsing, the token's
//! SHA-256 and checks, the JSON body, the policy and the JSON answer. The mocks' own cost
//! (a mutex and an expectation match per call) is included.
use std::hint::black_box;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use criterion::{Criterion, criterion_group, criterion_main};
use org_domain::auth::{Session, TokenHash};
use org_domain::organizations::{OrgAccess, OrgDetail, OrgSettings, Organization, PreloadedOrg};
use org_domain::ports::{
    MockAuditRepository, MockClock, MockIdGenerator, MockInvitationRepository, MockMailOutbox,
    MockMailer, MockMemberRepository, MockOrganizationRepository, MockPasswordHasher,
    MockRoleRepository, MockTokenRepository, MockUserRepository,
};
use org_domain::roles::{MemberRole, SystemRole};
use org_domain::services::{Config, Ports, Services};
use org_domain::users::{PublicUser, User};
use org_domain::values::Email;
use org_http::{AppState, HttpConfig};
use time::OffsetDateTime;
use uuid::Uuid;

const TOKEN: &str = "orgd_s_Jm1pX0c3bGZ2Q2R6a1N0dUx3b0hxYWJjZGVmZ2hpamts";
const ORG: Uuid = Uuid::from_u128(0x0000_0000_0000_0000_0000_0000_0000_0042);

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
        two_factor_enabled: false,
        created: OffsetDateTime::UNIX_EPOCH,
        updated: OffsetDateTime::UNIX_EPOCH,
    }
}

fn org() -> Organization {
    Organization {
        id: ORG,
        name: "Bench Org 0001".into(),
        slug: "bench-org-0001".into(),
        description: None,
        logo_url: None,
        timezone: "UTC".into(),
        owner: PublicUser {
            id: Uuid::from_u128(2),
            username: "owner".into(),
            name: Some("Owner".into()),
            email: "owner@bench.invalid".into(),
            avatar_url: None,
        },
        metadata: serde_json::json!({}),
        settings: OrgSettings::default(),
        registry_key: "rk".into(),
        has_active_subscription: false,
        trial_expiry: None,
        member_count: 50,
        created: OffsetDateTime::UNIX_EPOCH,
        updated: OffsetDateTime::UNIX_EPOCH,
    }
}

/// Services over mocks: the session token resolves to the hot user, who is an admin of ORG.
fn state() -> AppState {
    let session = || Session {
        id: Uuid::from_u128(99),
        user_id: Uuid::from_u128(1),
        token_hash: TokenHash::of(TOKEN),
        active_organization_id: None,
        created: OffsetDateTime::UNIX_EPOCH,
        expires_at: OffsetDateTime::now_utc() + time::Duration::days(1),
    };
    let mut tokens = MockTokenRepository::new();
    let hash = TokenHash::of(TOKEN);
    tokens
        .expect_find_session()
        .returning(move |h| Ok(h.ct_eq(&hash).then(|| (session(), user()))));
    // Org-scoped paths: the org comes with the token, in the same (here: no) round trip.
    let hash = TokenHash::of(TOKEN);
    tokens
        .expect_find_session_in()
        .returning(move |h, org_id, detail| {
            let access = (org_id == ORG).then(|| {
                let access = OrgAccess {
                    org: org(),
                    role: Some(MemberRole::system(SystemRole::Admin)),
                    version: None,
                };
                match detail {
                    OrgDetail::Full => PreloadedOrg::Full(Box::new(access)),
                    OrgDetail::Listed | OrgDetail::Basics => {
                        PreloadedOrg::Basics(access.into_basics())
                    }
                }
            });
            Ok(h.ct_eq(&hash).then(|| (session(), user(), access)))
        });
    let mut organizations = MockOrganizationRepository::new();
    organizations.expect_access().never();
    let mut clock = MockClock::new();
    clock.expect_now().returning(OffsetDateTime::now_utc);
    let ports = Ports {
        users: Arc::new(MockUserRepository::new()),
        tokens: Arc::new(tokens),
        organizations: Arc::new(organizations),
        members: Arc::new(MockMemberRepository::new()),
        roles: Arc::new(MockRoleRepository::new()),
        invitations: Arc::new(MockInvitationRepository::new()),
        audit: Arc::new(MockAuditRepository::new()),
        clock: Arc::new(clock),
        ids: Arc::new(MockIdGenerator::new()),
        hasher: Arc::new(MockPasswordHasher::new()),
        mailer: Arc::new(MockMailer::new()),
        outbox: Arc::new(MockMailOutbox::new()),
    };
    AppState {
        services: Services::new(ports, Config::default()),
        config: HttpConfig::default(),
    }
}

fn requests(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let app = system.block_on(test::init_service(org_http::app(state())));
    let bearer = format!("Bearer {TOKEN}");
    let check_uri = format!("/api/organizations/{ORG}/permissions/check");
    let mut group = c.benchmark_group("http_no_db");
    let mut run = |name: &str, make: &dyn Fn() -> TestRequest, want: StatusCode| {
        // Once outside the measurement: the request must be answered as expected.
        let res = system.block_on(test::call_service(&app, make().to_request()));
        assert_eq!(res.status(), want, "{name}");
        group.bench_function(name, |b| {
            b.iter(|| {
                let res = system.block_on(test::call_service(&app, make().to_request()));
                black_box(res.status())
            });
        });
    };
    run(
        "healthz (routing + middlewares, no auth)",
        &|| TestRequest::get().uri("/healthz"),
        StatusCode::OK,
    );
    run(
        "unauthenticated (no token: 401 problem)",
        &|| TestRequest::get().uri("/api/users/me"),
        StatusCode::UNAUTHORIZED,
    );
    run(
        "users_me (routing + bearer auth + JSON)",
        &|| {
            TestRequest::get()
                .uri("/api/users/me")
                .insert_header(("authorization", bearer.as_str()))
        },
        StatusCode::OK,
    );
    run(
        "permission_check (S3 without the store)",
        &|| {
            TestRequest::post()
                .uri(&check_uri)
                .insert_header(("authorization", bearer.as_str()))
                .insert_header(("content-type", "application/json"))
                .set_payload(r#"{"permissions":["users:update"]}"#)
        },
        StatusCode::OK,
    );
    group.finish();
}

criterion_group!(benches, requests);
criterion_main!(benches);
