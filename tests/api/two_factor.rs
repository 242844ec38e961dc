//! Two-factor authentication: enrollment, enabling, login with a one-time code, org
//! enforcement, disabling. Codes are computed from the returned secret, like an app would.
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde_json::{Value, json};
use totp_rs::{Builder, Secret, Totp};

use crate::helpers::{PASSWORD, TestApp, id, spawn_app};

const ENROLL: &str = "/api/users/me/two-factor";
const ENABLE: &str = "/api/users/me/two-factor/enable";
const DISABLE: &str = "/api/users/me/two-factor/disable";

fn totp(secret: &str) -> Totp {
    Builder::new()
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The current code of `secret`.
fn code(secret: &str) -> String {
    totp(secret).generate(now()).to_string()
}

/// A well-formed code that is valid in none of the steps the server accepts now.
fn wrong_code(secret: &str) -> String {
    let t = totp(secret);
    let valid: Vec<String> = [now() - 30, now(), now() + 30, now() + 60]
        .iter()
        .map(|s| t.generate(*s).to_string())
        .collect();
    (0..10)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !valid.contains(c))
        .unwrap()
}

async fn login(
    app: &TestApp,
    email: &str,
    password: &str,
    totp_code: Option<&str>,
) -> crate::helpers::Resp {
    let mut body = json!({"email": email, "password": password});
    if let Some(c) = totp_code {
        body["totp_code"] = json!(c);
    }
    app.call(Method::POST, "/api/auth/login", None, Some(body))
        .await
}

async fn post_empty(app: &TestApp, path: &str, token: &str) -> crate::helpers::Resp {
    app.call(Method::POST, path, Some(token), None).await
}

/// The secret must not leak into any stored row but `users.totp_secret`.
fn assert_secret_only_in_users(
    snapshot: &std::collections::BTreeMap<&str, Vec<Value>>,
    secret: &str,
) {
    for (table, rows) in snapshot {
        if *table != "users" {
            assert!(
                !json!(rows).to_string().contains(secret),
                "secret in {table}"
            );
        }
    }
}

#[tokio::test]
async fn enroll_enable_login_enforce_disable() {
    let app = spawn_app().await;
    let (token, ann_id) = app.user("ann@x.io").await;
    let key = app
        .post("/api/users/me/api-keys", &token, json!({"name": "ci"}))
        .await
        .expect(201)["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Refusals before enrollment change nothing.
    let before = app.snapshot().await;
    post_empty(&app, ENROLL, &key)
        .await
        .problem(403, "illegal_operation");
    app.post(ENABLE, &token, json!({"code": "123456"}))
        .await
        .problem(409, "two_factor_not_started");
    app.post(DISABLE, &token, json!({"code": "123456"}))
        .await
        .problem(409, "two_factor_not_enabled");
    app.post(ENABLE, &token, json!({"code": "123456", "extra": 1}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(before, app.snapshot().await);

    // Enrollment answers a secret once; restarting replaces it.
    let first = post_empty(&app, ENROLL, &token).await.expect(200);
    let second = post_empty(&app, ENROLL, &token).await.expect(200);
    let old = first["secret"].as_str().unwrap().to_owned();
    let secret = second["secret"].as_str().unwrap().to_owned();
    assert_ne!(old, secret);
    assert_eq!(second.as_object().unwrap().len(), 2, "{second}");
    let url = second["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/orgd:ann%40x.io?"), "{url}");
    assert!(url.contains(&format!("secret={secret}")), "{url}");
    let me = app.get("/api/users/me", &token).await.expect(200);
    assert_eq!(me["two_factor_enabled"], false);
    assert!(!me.to_string().contains(&secret));
    // Pending only: login still works without a code.
    login(&app, "ann@x.io", PASSWORD, None).await.expect(200);

    // Wrong codes, and the replaced secret's code, enable nothing.
    let before = app.snapshot().await;
    app.post(ENABLE, &token, json!({"code": wrong_code(&secret)}))
        .await
        .problem(422, "invalid_totp_code");
    if code(&old) != code(&secret) {
        app.post(ENABLE, &token, json!({"code": code(&old)}))
            .await
            .problem(422, "invalid_totp_code");
    }
    app.post(ENABLE, &token, json!({"code": ""}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(before, app.snapshot().await);

    let user = app
        .post(ENABLE, &token, json!({"code": code(&secret)}))
        .await
        .expect(200);
    assert_eq!(user["two_factor_enabled"], true);
    assert_eq!(user["id"], ann_id.as_str());
    assert!(!user.to_string().contains(&secret));

    // Enabled: enrollment and enabling again conflict, and change nothing.
    let before = app.snapshot().await;
    post_empty(&app, ENROLL, &token)
        .await
        .problem(409, "two_factor_already_enabled");
    app.post(ENABLE, &token, json!({"code": code(&secret)}))
        .await
        .problem(409, "two_factor_already_enabled");

    // Login now needs the code; a wrong one is a wrong credential like a bad password.
    login(&app, "ann@x.io", PASSWORD, None)
        .await
        .problem(401, "totp_required");
    login(&app, "ann@x.io", PASSWORD, Some(&wrong_code(&secret)))
        .await
        .problem(401, "unauthenticated");
    login(&app, "ann@x.io", "wrong password", Some(&code(&secret)))
        .await
        .problem(401, "unauthenticated");
    login(&app, "ann@x.io", "wrong password", None)
        .await
        .problem(401, "unauthenticated");
    let after = app.snapshot().await;
    assert_eq!(before, after);
    assert_secret_only_in_users(&after, &secret);
    let session = login(&app, "ann@x.io", PASSWORD, Some(&code(&secret)))
        .await
        .expect(200);
    assert_eq!(session["user"]["two_factor_enabled"], true);
    let token = session["token"].as_str().unwrap().to_owned();

    // An org enforcing 2FA admits Ann and refuses Bob, who has none.
    app.user("bob@x.io").await;
    let bob = app.login("bob@x.io", PASSWORD).await;
    let org = app.org(&token, "Secure").await;
    let org_id = org["id"].as_str().unwrap().to_owned();
    app.add_member(&token, &org_id, "bob@x.io", "member").await;
    let path = format!("/api/organizations/{org_id}");
    app.patch(&path, &token, json!({"settings": {"enforce_2fa": true}}))
        .await
        .expect(200);
    app.get(&path, &token).await.expect(200);
    let before = app.snapshot().await;
    app.get(&path, &bob)
        .await
        .problem(403, "two_factor_required");
    assert_eq!(before, app.snapshot().await);

    // Disabling needs a session and a valid code; it erases the secret.
    let before = app.snapshot().await;
    app.post(DISABLE, &key, json!({"code": code(&secret)}))
        .await
        .problem(403, "illegal_operation");
    app.post(DISABLE, &token, json!({"code": wrong_code(&secret)}))
        .await
        .problem(422, "invalid_totp_code");
    assert_eq!(before, app.snapshot().await);
    let user = app
        .post(DISABLE, &token, json!({"code": code(&secret)}))
        .await
        .expect(200);
    assert_eq!(user["two_factor_enabled"], false);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM users WHERE id = $1 AND totp_secret IS NULL",
            vec![id(&ann_id)]
        )
        .await,
        1
    );
    app.post(DISABLE, &token, json!({"code": code(&secret)}))
        .await
        .problem(409, "two_factor_not_enabled");
    login(&app, "ann@x.io", PASSWORD, None).await.expect(200);
    // Without 2FA, Ann is now refused by her own org's rule too.
    app.get(&path, &token)
        .await
        .problem(403, "two_factor_required");

    // Each change left an audit event, none carrying the secret.
    for action in [
        "user.two_factor_started",
        "user.two_factor_enabled",
        "user.two_factor_disabled",
    ] {
        assert!(
            app.count(
                "SELECT COUNT(*) FROM audit_events WHERE action = $1 AND target_id = $2",
                vec![action.into(), ann_id.clone().into()]
            )
            .await
                >= 1,
            "{action}"
        );
    }
    assert_secret_only_in_users(&app.snapshot().await, &secret);
}
