//! Two-factor use cases against mocked ports. The secret is RFC 6238's test key and the
//! clock stands at its vector T = 1111111109, where the 6-digit code is `081804`.
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

use crate::DomainError;
use crate::auth::Actor;
use crate::permissions::PermissionSet;
use crate::services::fixtures::{self, Mocks, session};
use crate::users::User;

const NOW: OffsetDateTime = datetime!(2005-03-18 01:58:29 UTC);
const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const GOOD: &str = "081804";
const BAD: &str = "081805";

/// Mocks whose clock stands at the RFC 6238 vector time.
fn mocks() -> Mocks {
    Mocks {
        now: NOW,
        ..Mocks::default()
    }
}

/// The user's stored secret is `SECRET`.
fn stored_secret(mut m: Mocks) -> Mocks {
    m.users
        .expect_find_totp_secret()
        .returning(|_| Ok(Some(SECRET.to_owned())));
    m
}

fn user(two_factor: bool) -> User {
    let mut u = fixtures::user(1);
    u.two_factor_enabled = two_factor;
    u
}

fn api_key(user: User) -> Actor {
    fixtures::key(user, PermissionSet::ALL)
}

fn code<T: std::fmt::Debug>(r: crate::Result<T>) -> &'static str {
    r.unwrap_err().code()
}

#[tokio::test]
async fn start_stores_a_pending_secret_and_answers_it_once() {
    let mut m = mocks();
    m.ids
        .expect_new_totp_secret()
        .times(1)
        .returning(|| b"12345678901234567890".to_vec());
    m.users
        .expect_set_pending_totp_secret()
        .withf(|id, secret, at, ev| {
            *id == Uuid::from_u128(1)
                && secret == SECRET
                && *at == NOW
                && ev.action == "user.two_factor_started"
                && !ev.after.as_ref().unwrap().to_string().contains(SECRET)
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let s = m.services();
    let e = s.start_two_factor(&session(user(false))).await.unwrap();
    assert_eq!(e.secret, SECRET);
    assert!(
        e.otpauth_url
            .starts_with("otpauth://totp/orgd:user1%40example.com?")
    );
    assert!(e.otpauth_url.contains(SECRET));
}

#[tokio::test]
async fn start_refuses_api_keys_and_enabled_users_before_any_write() {
    let s = mocks().services();
    assert_eq!(
        code(s.start_two_factor(&api_key(user(false))).await),
        "illegal_operation"
    );
    assert_eq!(
        code(s.start_two_factor(&session(user(true))).await),
        "two_factor_already_enabled"
    );
    let mut bot = user(false);
    bot.is_service_account = true;
    assert_eq!(
        code(s.start_two_factor(&session(bot)).await),
        "illegal_operation"
    );
}

#[tokio::test]
async fn enable_checks_the_code_against_the_pending_secret() {
    let mut m = stored_secret(mocks());
    m.users
        .expect_set_two_factor()
        .withf(|id, secret, enabled, at, ev| {
            *id == Uuid::from_u128(1)
                && secret == SECRET
                && *enabled
                && *at == NOW
                && ev.action == "user.two_factor_enabled"
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(()));
    let s = m.services();
    let actor = session(user(false));
    // A wrong code writes nothing (the mock allows one write only).
    assert_eq!(
        code(s.enable_two_factor(&actor, BAD).await),
        "invalid_totp_code"
    );
    let u = s.enable_two_factor(&actor, GOOD).await.unwrap();
    assert!(u.two_factor_enabled);
    assert_eq!(u.updated, NOW);
}

#[tokio::test]
async fn enable_without_enrollment_or_twice_or_by_key_is_refused() {
    let mut m = mocks();
    m.users.expect_find_totp_secret().returning(|_| Ok(None));
    let s = m.services();
    assert_eq!(
        code(s.enable_two_factor(&session(user(false)), GOOD).await),
        "two_factor_not_started"
    );
    assert_eq!(
        code(s.enable_two_factor(&session(user(true)), GOOD).await),
        "two_factor_already_enabled"
    );
    assert_eq!(
        code(s.enable_two_factor(&api_key(user(false)), GOOD).await),
        "illegal_operation"
    );
}

#[tokio::test]
async fn disable_needs_a_valid_code_a_session_and_2fa_on() {
    let mut m = stored_secret(mocks());
    m.users
        .expect_set_two_factor()
        .withf(|_, secret, enabled, _, ev| {
            secret == SECRET && !*enabled && ev.action == "user.two_factor_disabled"
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(()));
    let s = m.services();
    assert_eq!(
        code(s.disable_two_factor(&session(user(false)), GOOD).await),
        "two_factor_not_enabled"
    );
    assert_eq!(
        code(s.disable_two_factor(&api_key(user(true)), GOOD).await),
        "illegal_operation"
    );
    let actor = session(user(true));
    assert_eq!(
        code(s.disable_two_factor(&actor, BAD).await),
        "invalid_totp_code"
    );
    let u = s.disable_two_factor(&actor, GOOD).await.unwrap();
    assert!(!u.two_factor_enabled);
}

#[tokio::test]
async fn login_asks_for_and_checks_the_code() {
    let mut m = stored_secret(mocks());
    m.users
        .expect_find_for_login()
        .returning(|_| Ok(Some((user(true), Some("hash".to_owned())))));
    m.hasher
        .expect_verify()
        .returning(|password, _| password == "right");
    m.ids.expect_new_secret().returning(|| "s".repeat(43));
    m.tokens
        .expect_insert_session()
        .times(1)
        .returning(|_| Ok(()));
    let s = m.services();
    let login = |p: &'static str, c: Option<&'static str>| s.login("ann@example.com", p, c);
    // A wrong password says nothing about the second factor.
    assert_eq!(code(login("wrong", None).await), "unauthenticated");
    assert_eq!(code(login("wrong", Some(GOOD)).await), "unauthenticated");
    assert!(matches!(
        login("right", None).await,
        Err(DomainError::TotpRequired)
    ));
    assert_eq!(code(login("right", Some(" ")).await), "totp_required");
    assert_eq!(code(login("right", Some(BAD)).await), "unauthenticated");
    let issued = login("right", Some(GOOD)).await.unwrap();
    assert!(issued.user.two_factor_enabled);
}

#[tokio::test]
async fn login_without_2fa_ignores_the_code() {
    let mut m = mocks();
    m.users
        .expect_find_for_login()
        .returning(|_| Ok(Some((user(false), Some("hash".to_owned())))));
    m.hasher.expect_verify().returning(|_, _| true);
    m.ids.expect_new_secret().returning(|| "s".repeat(43));
    m.tokens.expect_insert_session().returning(|_| Ok(()));
    let s = m.services();
    s.login("ann@example.com", "pw", Some("000000"))
        .await
        .unwrap();
    s.login("ann@example.com", "pw", None).await.unwrap();
}
