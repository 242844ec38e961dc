//! Whole-application tests with mocked ports: the route table against the OpenAPI
//! document, and the error contract of malformed requests.
use std::sync::Arc;

use actix_web::dev::ServiceResponse;
use actix_web::test;
use org_domain::auth::{Session, TokenHash};
use org_domain::organizations::MemberOrgVersions;
use org_domain::ports::{
    MockAuditRepository, MockClock, MockIdGenerator, MockInvitationRepository, MockMailOutbox,
    MockMailer, MockMemberRepository, MockOrganizationRepository, MockPasswordHasher,
    MockRoleRepository, MockTokenRepository, MockUserRepository,
};
use org_domain::services::{Config, Ports, Services};
use org_domain::users::User;
use org_domain::values::Email;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{AppState, HttpConfig};

mod limits;
mod routes;
mod smoke;

/// The session token every mocked session answers to.
const TOKEN: &str = "orgd_s_valid-session-token";

/// Mocks of every port; tests set expectations on the ones their request reaches.
#[derive(Default)]
struct Mocks {
    users: MockUserRepository,
    tokens: MockTokenRepository,
    organizations: MockOrganizationRepository,
    members: MockMemberRepository,
    audit: MockAuditRepository,
    ids: MockIdGenerator,
    hasher: MockPasswordHasher,
    mailer: MockMailer,
}

impl Mocks {
    /// `TOKEN` authenticates as `user`, in a session without a current organization; with
    /// the versions of the user's orgs (none: the organizations mock answers the listing)
    /// for the listing of them.
    fn session(mut self, user: User) -> Self {
        let session = move |h: &TokenHash| {
            h.ct_eq(&TokenHash::of(TOKEN)).then(|| {
                let session = Session {
                    id: Uuid::from_u128(99),
                    user_id: user.id,
                    token_hash: TokenHash::of(TOKEN),
                    active_organization_id: None,
                    created: OffsetDateTime::UNIX_EPOCH,
                    expires_at: OffsetDateTime::now_utc() + time::Duration::days(1),
                };
                (session, user.clone())
            })
        };
        let found = session.clone();
        self.tokens
            .expect_find_session()
            .returning(move |h| Ok(found(h)));
        self.tokens
            .expect_find_session_with_orgs()
            .returning(move |h| Ok(session(h).map(|(s, u)| (s, u, MemberOrgVersions::default()))));
        self
    }

    fn state(self, config: HttpConfig) -> AppState {
        let mut clock = MockClock::new();
        clock.expect_now().returning(OffsetDateTime::now_utc);
        let ports = Ports {
            users: Arc::new(self.users),
            tokens: Arc::new(self.tokens),
            organizations: Arc::new(self.organizations),
            members: Arc::new(self.members),
            roles: Arc::new(MockRoleRepository::new()),
            invitations: Arc::new(MockInvitationRepository::new()),
            audit: Arc::new(self.audit),
            clock: Arc::new(clock),
            ids: Arc::new(self.ids),
            hasher: Arc::new(self.hasher),
            mailer: Arc::new(self.mailer),
            outbox: Arc::new(MockMailOutbox::new()),
        };
        AppState {
            services: Services::new(ports, Config::default()),
            config,
        }
    }
}

fn user(superuser: bool) -> User {
    User {
        id: Uuid::from_u128(1),
        email: Email::parse("ann@example.com").unwrap(),
        username: "ann".into(),
        name: Some("Ann".into()),
        avatar_url: None,
        company: None,
        job_title: None,
        metadata: json!({}),
        is_active: true,
        is_superuser: superuser,
        is_service_account: false,
        is_onboarded: false,
        two_factor_enabled: false,
        created: OffsetDateTime::UNIX_EPOCH,
        updated: OffsetDateTime::UNIX_EPOCH,
    }
}

/// Builds the real application over `mocks` (a macro: the service type is unnameable).
macro_rules! app {
    ($mocks:expr) => {
        app!($mocks, crate::HttpConfig::default())
    };
    ($mocks:expr, $config:expr) => {
        actix_web::test::init_service(crate::app($mocks.state($config))).await
    };
}
use app;

/// Status, headers and JSON body (or `Null`) of an answer.
async fn read<B: actix_web::body::MessageBody>(
    res: ServiceResponse<B>,
) -> (u16, actix_web::http::header::HeaderMap, Value) {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = test::read_body(res).await;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, body)
}

/// Asserts a problem+json answer with this status and code.
#[track_caller]
fn assert_problem(
    (status, headers, body): &(u16, actix_web::http::header::HeaderMap, Value),
    want: u16,
    code: &str,
) {
    assert_eq!(*status, want, "{body}");
    let ct = headers.get("content-type").unwrap().to_str().unwrap();
    assert_eq!(ct, crate::error::PROBLEM_JSON, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], want, "{body}");
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
}
