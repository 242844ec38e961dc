//! Personal API keys: shown once, stored hashed, scoped, bound, expiring, revocable.
use serde_json::json;

use crate::helpers::{id, spawn_app};

#[tokio::test]
async fn keys_are_shown_once_stored_hashed_and_revocable() {
    let app = spawn_app().await;
    let (token, _) = app.user("ann@x.io").await;
    let created = app
        .post(
            "/api/users/me/api-keys",
            &token,
            json!({"name": "ci", "scopes": ["organization.read"]}),
        )
        .await
        .expect(201);
    let key = created["token"].as_str().unwrap().to_owned();
    assert!(key.starts_with("orgd_k_"));
    assert_eq!(created["scopes"], json!(["organization:read"]));
    assert_eq!(created["prefix"], key[..12]);
    let list = app.get("/api/users/me/api-keys", &token).await.expect(200);
    let listed = &list
        .as_array()
        .map_or_else(|| list["items"].clone(), |a| json!(a))[0];
    assert!(
        listed.get("token").is_none(),
        "the token is shown once: {listed}"
    );
    // Only the SHA-256 is stored: no column holds the key itself.
    let hash = org_domain::auth::TokenHash::of(&key).to_hex();
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM api_keys WHERE token_hash = $1",
            vec![hash.into()]
        )
        .await,
        1
    );
    let leaked = "SELECT COUNT(*) FROM api_keys WHERE token_hash = $1 OR prefix = $1 OR name = $1 OR scopes LIKE $2";
    assert_eq!(
        app.count(
            leaked,
            vec![key.clone().into(), format!("%{}%", &key[12..]).into()]
        )
        .await,
        0
    );
    // The key authenticates, and records its use.
    app.get("/api/users/me", &key).await.expect(200);
    let used = app.get("/api/users/me/api-keys", &token).await.expect(200);
    let used = used
        .as_array()
        .map_or_else(|| used["items"][0].clone(), |a| a[0].clone());
    assert!(used["last_used_at"].is_string(), "{used}");
    // Revocation.
    let id = created["id"].as_str().unwrap();
    app.delete(&format!("/api/users/me/api-keys/{id}"), &token)
        .await
        .expect(204);
    app.get("/api/users/me", &key)
        .await
        .problem(401, "unauthenticated");
    app.delete(&format!("/api/users/me/api-keys/{id}"), &token)
        .await
        .problem(404, "not_found");
}

#[tokio::test]
async fn invalid_key_requests_change_nothing() {
    let app = spawn_app().await;
    let (token, _) = app.user("ann@x.io").await;
    let (other, _) = app.user("bob@x.io").await;
    let foreign = app.org(&other, "Foreign").await;
    let before = app.snapshot().await;
    let r = app
        .post(
            "/api/users/me/api-keys",
            &token,
            json!({"name": "k", "scopes": ["users:fly"]}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("users:fly")
    );
    app.post(
        "/api/users/me/api-keys",
        &token,
        json!({"name": "", "scopes": []}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        "/api/users/me/api-keys",
        &token,
        json!({"name": "k", "expires_at": "2001-01-01T00:00:00Z"}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        "/api/users/me/api-keys",
        &token,
        json!({"name": "k", "organization_id": foreign["id"]}),
    )
    .await
    .problem(404, "not_found");
    assert_eq!(before, app.snapshot().await);
}

#[tokio::test]
async fn a_key_cannot_mint_a_wider_key() {
    let app = spawn_app().await;
    let (token, _) = app.user("ann@x.io").await;
    let narrow = app
        .post(
            "/api/users/me/api-keys",
            &token,
            json!({"name": "n", "scopes": ["organization:read"]}),
        )
        .await
        .expect(201);
    let narrow = narrow["token"].as_str().unwrap();
    let before = app.snapshot().await;
    app.post("/api/users/me/api-keys", narrow, json!({"name": "wide"}))
        .await
        .problem(403, "forbidden");
    assert_eq!(before, app.snapshot().await);
    app.post(
        "/api/users/me/api-keys",
        narrow,
        json!({"name": "same", "scopes": ["organization:read"]}),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn scopes_intersect_with_the_role_and_gate_org_creation() {
    let app = spawn_app().await;
    let (token, _) = app.user("ann@x.io").await;
    let org = app.org(&token, "Acme").await;
    let id = org["id"].as_str().unwrap();
    let read = app
        .post(
            "/api/users/me/api-keys",
            &token,
            json!({"name": "r", "scopes": ["organization:read"]}),
        )
        .await
        .expect(201);
    let read = read["token"].as_str().unwrap();
    app.get(&format!("/api/organizations/{id}"), read)
        .await
        .expect(200);
    let before = app.snapshot().await;
    app.patch(
        &format!("/api/organizations/{id}"),
        read,
        json!({"name": "Hacked"}),
    )
    .await
    .problem(403, "forbidden");
    app.post("/api/organizations", read, json!({"name": "New"}))
        .await
        .problem(403, "forbidden");
    assert_eq!(before, app.snapshot().await);
    let perms = app
        .get(&format!("/api/organizations/{id}/permissions"), read)
        .await
        .expect(200);
    assert_eq!(perms["permissions"]["organization:read"], true);
    assert_eq!(perms["permissions"]["organization:write"], false);
}

#[tokio::test]
async fn expired_keys_are_refused() {
    let app = spawn_app().await;
    let (token, _) = app.user("ann@x.io").await;
    let k = app
        .post(
            "/api/users/me/api-keys",
            &token,
            json!({"name": "soon", "expires_at": "2999-01-01T00:00:00Z"}),
        )
        .await
        .expect(201);
    let key = k["token"].as_str().unwrap();
    app.get("/api/users/me", key).await.expect(200);
    let past = time::macros::datetime!(2001-01-01 00:00 UTC);
    assert_eq!(
        app.exec(
            "UPDATE api_keys SET expires_at = $1 WHERE id = $2",
            vec![past.into(), id(k["id"].as_str().unwrap())]
        )
        .await,
        1
    );
    app.get("/api/users/me", key)
        .await
        .problem(401, "unauthenticated");
}

#[tokio::test]
async fn bound_keys_and_disabled_personal_keys() {
    let app = spawn_app().await;
    let t = app.team("Alpha").await;
    let other = app.org(&t.admin, "Beta").await;
    let bound = app
        .post(
            "/api/users/me/api-keys",
            &t.admin,
            json!({"name": "b", "organization_id": t.org_id}),
        )
        .await
        .expect(201);
    let bound = bound["token"].as_str().unwrap();
    // `me` is the bound org.
    assert_eq!(
        app.get("/api/organizations/me", bound).await.expect(200)["id"],
        t.org_id.as_str()
    );
    app.get(
        &format!("/api/organizations/{}", other["id"].as_str().unwrap()),
        bound,
    )
    .await
    .problem(403, "key_not_valid_for_organization");
    app.patch(
        &format!("/api/organizations/{}", t.org_id),
        &t.owner,
        json!({"settings": {"members_can_use_personal_api_keys": false}}),
    )
    .await
    .expect(200);
    let before = app.snapshot().await;
    app.get(&format!("/api/organizations/{}", t.org_id), bound)
        .await
        .problem(403, "api_keys_disabled");
    app.delete(
        &format!("/api/organizations/{}/members/{}", t.org_id, t.member_id),
        bound,
    )
    .await
    .problem(403, "api_keys_disabled");
    assert_eq!(before, app.snapshot().await);
}

#[tokio::test]
async fn superusers_issue_keys_for_service_accounts_only() {
    let app = spawn_app().await;
    let svc = app
        .post(
            "/api/users",
            &app.admin,
            json!({"email": "bot@x.io", "is_service_account": true}),
        )
        .await
        .expect(201);
    let (_, person) = app.user("ann@x.io").await;
    let k = app
        .post(
            &format!("/api/users/{}/api-keys", svc["id"].as_str().unwrap()),
            &app.admin,
            json!({"name": "bot"}),
        )
        .await
        .expect(201);
    let bot = k["token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/users/me", bot).await.expect(200)["is_service_account"],
        true
    );
    let before = app.snapshot().await;
    app.post(
        &format!("/api/users/{person}/api-keys"),
        &app.admin,
        json!({"name": "x"}),
    )
    .await
    .problem(403, "illegal_operation");
    // Service accounts cannot create organizations.
    app.post("/api/organizations", bot, json!({"name": "Bot Org"}))
        .await
        .problem(403, "illegal_operation");
    assert_eq!(before, app.snapshot().await);
}
