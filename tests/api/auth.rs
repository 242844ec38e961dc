//! Signup, login, logout, profile, superuser user administration.
use reqwest::Method;
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, PASSWORD, spawn_app, spawn_with};

#[tokio::test]
async fn signup_login_me_logout() {
    let app = spawn_app().await;
    let r = app
        .call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"email": "Ann@Example.io", "password": PASSWORD, "name": "Ann"})),
        )
        .await
        .expect(201);
    assert!(r["token"].as_str().unwrap().starts_with("orgd_s_"));
    assert_eq!(r["user"]["email"], "ann@example.io");
    assert!(r["user"].get("password").is_none() && r["user"].get("password_hash").is_none());
    // Sessions are stored as SHA-256 hashes only; passwords as argon2id PHC strings.
    let first = r["token"].as_str().unwrap();
    let hash = org_domain::auth::TokenHash::of(first).to_hex();
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM sessions WHERE token_hash = $1",
            vec![hash.into()]
        )
        .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM sessions WHERE token_hash = $1",
            vec![first.into()]
        )
        .await,
        0
    );
    let stored = app
        .count(
            "SELECT COUNT(*) FROM users WHERE email = $1 AND password_hash LIKE $2",
            vec!["ann@example.io".into(), "$argon2id$%".into()],
        )
        .await;
    assert_eq!(stored, 1);
    let token = app.login("ANN@example.io", PASSWORD).await;
    let me = app.get("/api/users/me", &token).await.expect(200);
    assert_eq!(me["name"], "Ann");
    assert_eq!(me["is_superuser"], false);
    assert!(me.get("password_hash").is_none());
    app.call(Method::POST, "/api/auth/logout", Some(&token), None)
        .await
        .expect(204);
    app.get("/api/users/me", &token)
        .await
        .problem(401, "unauthenticated");
    // The other session is untouched.
    app.get("/api/users/me", r["token"].as_str().unwrap())
        .await
        .expect(200);
}

#[tokio::test]
async fn signup_rejections_change_nothing() {
    let app = spawn_app().await;
    app.user("taken@x.io").await;
    let before = app.snapshot().await;
    let signup = |b| app.call(Method::POST, "/api/auth/signup", None, Some(b));
    signup(json!({"email": "TAKEN@x.io", "password": PASSWORD}))
        .await
        .problem(409, "email_taken");
    let r = signup(json!({"email": "nope", "password": PASSWORD}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(r["errors"][0]["field"], "email");
    signup(json!({"email": "a@b.io", "password": "short"}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(before, app.snapshot().await);
}

#[tokio::test]
async fn signup_can_be_disabled() {
    let app = spawn_with(|c| c.allow_signup = false).await;
    let before = app.snapshot().await;
    app.call(
        Method::POST,
        "/api/auth/signup",
        None,
        Some(json!({"email": "a@b.io", "password": PASSWORD})),
    )
    .await
    .problem(403, "signup_disabled");
    assert_eq!(before, app.snapshot().await);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_are_401() {
    let app = spawn_app().await;
    app.user("ann@x.io").await;
    let login = |e: &str, p: &str| {
        app.call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": e, "password": p})),
        )
    };
    login("ann@x.io", "wrong password")
        .await
        .problem(401, "unauthenticated");
    login("nobody@x.io", PASSWORD)
        .await
        .problem(401, "unauthenticated");
    login("", "").await.problem(401, "unauthenticated");
}

#[tokio::test]
async fn profile_updates_and_password_change() {
    let app = spawn_app().await;
    let (token, _) = app.user("ann@x.io").await;
    let me = app
        .patch(
            "/api/users/me",
            &token,
            json!({"job_title": "CTO", "metadata": {"k": 1}, "password": "a brand new password"}),
        )
        .await
        .expect(200);
    assert_eq!(me["job_title"], "CTO");
    assert_eq!(me["metadata"]["k"], 1);
    app.login("ann@x.io", "a brand new password").await;
    let before = app.snapshot().await;
    app.patch("/api/users/me", &token, json!({"avatar_url": "not a url"}))
        .await
        .problem(422, "validation_failed");
    app.patch("/api/users/me", &token, json!({"metadata": [1, 2]}))
        .await
        .problem(422, "validation_failed");
    let r = app
        .patch("/api/users/me", &token, json!({"is_superuser": true}))
        .await;
    assert!(
        matches!(r.status.as_u16(), 400 | 422),
        "unknown fields are refused: {r:?}"
    );
    assert_eq!(before, app.snapshot().await);
    let me = app
        .patch("/api/users/me", &token, json!({"job_title": null}))
        .await
        .expect(200);
    assert!(me["job_title"].is_null());
}

#[tokio::test]
async fn superusers_administer_users_and_service_accounts() {
    let app = spawn_app().await;
    let (token, _) = app.user("ann@x.io").await;
    let before = app.snapshot().await;
    app.get("/api/users", &token)
        .await
        .problem(403, "forbidden");
    app.post(
        "/api/users",
        &token,
        json!({"email": "x@y.io", "password": PASSWORD}),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(before, app.snapshot().await);
    let list = app
        .get("/api/users?search=ann", &app.admin)
        .await
        .expect(200);
    assert_eq!(list["total"], 1);
    let all = app.get("/api/users", &app.admin).await.expect(200);
    assert_eq!(all["total"], 2);
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == ADMIN_EMAIL)
    );
    let svc = app
        .post(
            "/api/users",
            &app.admin,
            json!({"email": "bot@x.io", "is_service_account": true}),
        )
        .await
        .expect(201);
    assert_eq!(svc["is_service_account"], true);
    // Service accounts have no password, so they cannot log in.
    app.call(
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"email": "bot@x.io", "password": ""})),
    )
    .await
    .problem(401, "unauthenticated");
    app.post(
        "/api/users",
        &app.admin,
        json!({"email": "bot2@x.io", "is_service_account": true, "password": PASSWORD}),
    )
    .await
    .problem(422, "validation_failed");
}
