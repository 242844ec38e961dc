//! Attempt limits at login, signup, invitation tokens and two-factor codes: `429
//! rate_limited` with `Retry-After`, per client address and per account, nothing written
//! by a refused attempt, and attempts pass again once `Retry-After` has passed.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde_json::{Value, json};
use totp_rs::{Builder, Secret};

use crate::helpers::{PASSWORD, Resp, TestApp, id, spawn_with};

/// A server with these limits (`N/period` or `off`).
async fn limited(per_ip: &str, per_account: &str) -> TestApp {
    let per_ip = per_ip.parse().unwrap();
    let per_account = per_account.parse().unwrap();
    spawn_with(move |c| {
        c.auth_rate_per_ip = per_ip;
        c.auth_rate_per_account = per_account;
    })
    .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> Resp {
    app.call(
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
}

/// A user made by the superuser (not a throttled operation).
async fn create_user(app: &TestApp, email: &str) {
    app.post(
        "/api/users",
        &app.admin,
        json!({"email": email, "password": PASSWORD}),
    )
    .await
    .expect(201);
}

/// Asserts `429 rate_limited` with a `Retry-After` of 1..=`max` seconds, which it returns.
#[track_caller]
fn too_many(r: Resp, max: u64) -> u64 {
    let retry: u64 = r
        .headers
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .expect("whole seconds");
    assert!((1..=max).contains(&retry), "Retry-After {retry}");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    r.problem(429, "rate_limited");
    retry
}

async fn users_named(app: &TestApp, email: &str) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM users WHERE email = $1",
        vec![email.into()],
    )
    .await
}

#[tokio::test]
async fn logins_are_limited_per_account_then_per_address() {
    // 6 attempts an hour per address, 2 per account; the admin's login at start used one.
    let app = limited("6/1h", "2/1h").await;
    for who in ["ann", "bob", "cat"] {
        create_user(&app, &format!("{who}@example.test")).await;
    }
    // Failed and successful attempts count alike.
    login(&app, "ann@example.test", "wrong password")
        .await
        .problem(401, "unauthenticated");
    login(&app, "ann@example.test", PASSWORD).await.expect(200);

    // Ann's budget is spent, with the right password and however the email is spelled.
    let before = app.snapshot().await;
    too_many(login(&app, "ann@example.test", PASSWORD).await, 1800);
    too_many(login(&app, " ANN@Example.test ", PASSWORD).await, 1800);
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused login wrote something"
    );

    // Another account from the same address still works, until the address is spent
    // (refused attempts counted against it too): then even a new account is refused.
    login(&app, "bob@example.test", PASSWORD).await.expect(200);
    let before = app.snapshot().await;
    too_many(login(&app, "cat@example.test", PASSWORD).await, 600);
    too_many(
        app.call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"email": "dan@example.test", "password": PASSWORD})),
        )
        .await,
        600,
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused attempt wrote something"
    );
    assert_eq!(users_named(&app, "dan@example.test").await, 0);
    // Routes that check no secret are not limited.
    app.get("/api/users/me", &app.admin).await.expect(200);
}

#[tokio::test]
async fn attempts_pass_again_once_retry_after_has_passed() {
    let app = limited("off", "1/2s").await;
    create_user(&app, "ann@example.test").await;
    login(&app, "ann@example.test", PASSWORD).await.expect(200);
    let retry = too_many(login(&app, "ann@example.test", PASSWORD).await, 2);
    tokio::time::sleep(Duration::from_secs(retry)).await;
    login(&app, "ann@example.test", PASSWORD).await.expect(200);
}

#[tokio::test]
async fn signup_is_limited_per_address() {
    // The admin's login at start used one of the two.
    let app = limited("2/1h", "off").await;
    app.user("ann@example.test").await;
    let before = app.snapshot().await;
    too_many(
        app.call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"email": "bob@example.test", "password": PASSWORD})),
        )
        .await,
        1800,
    );
    assert_eq!(app.snapshot().await, before);
    assert_eq!(users_named(&app, "bob@example.test").await, 0);
}

async fn accept(app: &TestApp, who: &str, token: &str) -> Resp {
    app.post("/api/invitations/accept", who, json!({ "token": token }))
        .await
}

#[tokio::test]
async fn invitation_tokens_are_limited_per_user() {
    let app = limited("off", "2/1h").await;
    let (ann, _) = app.user("ann@example.test").await;
    let org = app.org(&ann, "Acme").await;
    let org_id = org["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/organizations/{org_id}/invitations"),
        &ann,
        json!({"email": "bob@example.test"}),
    )
    .await
    .expect(201);
    let token = crate::invitations::token_for(&app, "bob@example.test").await;
    let (bob, bob_id) = app.user("bob@example.test").await;
    let (cat, _) = app.user("cat@example.test").await;

    // Guessing: two wrong tokens, then even the right one is refused.
    for guess in ["orgd_i_guess-one", "orgd_i_guess-two"] {
        accept(&app, &bob, guess).await.problem(404, "not_found");
    }
    let before = app.snapshot().await;
    too_many(accept(&app, &bob, &token).await, 1800);
    assert_eq!(app.snapshot().await, before);
    let members = app
        .count(
            "SELECT COUNT(*) FROM members WHERE organization_id = $1 AND user_id = $2",
            vec![id(&org_id), id(&bob_id)],
        )
        .await;
    assert_eq!(members, 0);
    // Another user has a budget of their own.
    accept(&app, &cat, "orgd_i_guess-one")
        .await
        .problem(404, "not_found");
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The current code of a base32 secret, and one that is valid at no accepted step.
fn codes(secret: &str) -> (String, String) {
    let totp = Builder::new()
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    let valid: Vec<String> = [now() - 30, now(), now() + 30, now() + 60]
        .iter()
        .map(|t| totp.generate(*t).to_string())
        .collect();
    let wrong = (0..10)
        .map(|d| d.to_string().repeat(6))
        .find(|c| !valid.contains(c))
        .unwrap();
    (totp.generate(now()).to_string(), wrong)
}

#[tokio::test]
async fn two_factor_codes_are_limited_per_user() {
    let app = limited("off", "2/1h").await;
    let (ann, ann_id) = app.user("ann@example.test").await;
    // Enrolling checks no code and is not limited.
    let mut secret = String::new();
    for _ in 0..3 {
        let enrollment: Value = app
            .call(Method::POST, "/api/users/me/two-factor", Some(&ann), None)
            .await
            .expect(200);
        secret = enrollment["secret"].as_str().unwrap().to_owned();
    }
    let enable = |code: String| {
        app.post(
            "/api/users/me/two-factor/enable",
            &ann,
            json!({ "code": code }),
        )
    };
    let (_, wrong) = codes(&secret);
    for _ in 0..2 {
        enable(wrong.clone())
            .await
            .problem(422, "invalid_totp_code");
    }
    let before = app.snapshot().await;
    let (right, _) = codes(&secret);
    too_many(enable(right).await, 1800);
    assert_eq!(app.snapshot().await, before);
    let enabled = app
        .count(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND two_factor_enabled",
            vec![id(&ann_id)],
        )
        .await;
    assert_eq!(enabled, 0);
}
