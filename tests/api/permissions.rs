//! The permission catalog, the caller's permission map, the permission check other services
//! call (with `?explain=true`), org settings and API-key scopes that change the answer.
use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

pub const CATALOG: [&str; 20] = [
    "organization:read",
    "organization:write",
    "organization:delete",
    "org:settings",
    "users:read",
    "users:invite",
    "users:update",
    "users:delete",
    "roles:read",
    "roles:create",
    "roles:update",
    "roles:delete",
    "entities:read",
    "entities:write",
    "entities:share_store",
    "organization_integration:read",
    "organization_integration:write",
    "spaces:read",
    "spaces:write",
    "audit:read",
];

pub const MEMBER: [&str; 6] = [
    "organization:read",
    "users:read",
    "roles:read",
    "entities:read",
    "spaces:read",
    "organization_integration:read",
];

/// Creates a personal API key as `token` (`body` adds scopes / organization_id) and returns
/// the full key.
pub async fn api_key(app: &TestApp, token: &str, body: Value) -> String {
    let mut body = body;
    if body.get("name").is_none() {
        body["name"] = json!("test key");
    }
    let r = app
        .post("/api/users/me/api-keys", token, body)
        .await
        .expect(201);
    r["token"].as_str().expect("token").to_owned()
}

fn perms(org: &str) -> String {
    format!("/api/organizations/{org}/permissions")
}

fn check(org: &str) -> String {
    format!("/api/organizations/{org}/permissions/check")
}

/// The permissions a permission map marks `true`.
fn granted(map: &Value) -> BTreeSet<String> {
    let m = map["permissions"].as_object().expect("permissions map");
    assert_eq!(m.len(), 20, "every catalog permission is in the map: {map}");
    for p in CATALOG {
        assert!(m[p].is_boolean(), "{p} missing or not a boolean: {map}");
    }
    m.iter()
        .filter(|(_, v)| v.as_bool() == Some(true))
        .map(|(k, _)| k.clone())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// `source` of one explanation line (`role:member`, `org_setting:…`, `api_key_scope`, …).
fn source_of(explanation: &Value, permission: &str) -> String {
    let line = explanation
        .as_array()
        .expect("explanation array")
        .iter()
        .find(|e| e["permission"] == permission)
        .unwrap_or_else(|| panic!("{permission} not explained: {explanation}"));
    line["source"]
        .as_str()
        .unwrap_or("<not a string>")
        .to_owned()
}

fn allowed_in(explanation: &Value, permission: &str) -> bool {
    explanation
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["permission"] == permission)
        .expect("explained")["allowed"]
        .as_bool()
        .expect("allowed is a boolean")
}

#[tokio::test]
async fn catalog_lists_the_twenty_permissions() {
    let app = spawn_app().await;
    let (token, _) = app.user("ann@x.io").await;
    let list = app.get("/api/permissions", &token).await.expect(200);
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), 20);
    let names: Vec<&str> = list
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(set(&names), set(&CATALOG));
    for p in list {
        assert!(
            !p["description"]
                .as_str()
                .expect("description")
                .trim()
                .is_empty(),
            "{p}"
        );
    }
}

#[tokio::test]
async fn permission_map_follows_the_system_role() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;

    let owner = app.get(&perms(&t.org_id), &t.owner).await.expect(200);
    assert_eq!(owner["organization_id"], t.org_id.as_str());
    assert_eq!(owner["role"], "owner");
    assert_eq!(owner["superuser"], false);
    assert_eq!(granted(&owner), set(&CATALOG));

    let admin = app.get(&perms(&t.slug), &t.admin).await.expect(200);
    assert_eq!(admin["role"], "admin");
    let mut expected = set(&CATALOG);
    expected.remove("organization:delete");
    assert_eq!(granted(&admin), expected);

    let member = app.get(&perms("Acme"), &t.member).await.expect(200);
    assert_eq!(member["role"], "member");
    assert_eq!(member["organization_id"], t.org_id.as_str());
    assert_eq!(granted(&member), set(&MEMBER));
    assert_eq!(member["permissions"]["users:invite"], false);

    // A superuser who is not a member holds everything, with no role.
    let su = app.get(&perms(&t.org_id), &app.admin).await.expect(200);
    assert_eq!(su["superuser"], true);
    assert!(su["role"].is_null(), "{su}");
    assert_eq!(granted(&su), set(&CATALOG));
}

#[tokio::test]
async fn me_permissions_use_the_current_organization() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let before = app.snapshot().await;
    app.get(&perms("me"), &t.member)
        .await
        .problem(409, "no_current_organization");
    app.post(
        &check("me"),
        &t.member,
        json!({"permissions": ["users:read"]}),
    )
    .await
    .problem(409, "no_current_organization");
    assert_eq!(before, app.snapshot().await);

    let r = app
        .post(
            "/api/auth/session/organization",
            &t.member,
            json!({"organization_id": t.org_id}),
        )
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let me = app.get(&perms("me"), &t.member).await.expect(200);
    assert_eq!(me, app.get(&perms(&t.org_id), &t.member).await.expect(200));
    assert_eq!(me["organization_id"], t.org_id.as_str());
    assert_eq!(granted(&me), set(&MEMBER));
    let r = app
        .post(
            &check("me"),
            &t.member,
            json!({"permissions": ["users:read"]}),
        )
        .await
        .expect(200);
    assert_eq!(r["allowed"], true);

    // A key bound to the org makes that org its `me`.
    let key = api_key(&app, &t.admin, json!({"organization_id": t.org_id})).await;
    let me = app.get(&perms("me"), &key).await.expect(200);
    assert_eq!(
        (me["organization_id"].as_str(), me["role"].as_str()),
        (Some(t.org_id.as_str()), Some("admin"))
    );
}

#[tokio::test]
async fn check_answers_allowed_and_missing() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let before = app.snapshot().await;

    let r = app
        .post(
            &check(&t.org_id),
            &t.member,
            json!({"permissions": ["organization:read", "users:read"]}),
        )
        .await
        .expect(200);
    assert_eq!(r["allowed"], true);
    assert_eq!(r["missing"], json!([]));
    assert_eq!(r["role"], "member");
    assert!(
        r.get("explanation").is_none_or(Value::is_null),
        "no explanation unless asked: {r}"
    );

    // Seed 003's dotted spelling is accepted; answers use the canonical one.
    let r = app
        .post(
            &check(&t.slug),
            &t.member,
            json!({"permissions": ["users.read", "audit.read", "users:delete"]}),
        )
        .await
        .expect(200);
    assert_eq!(r["allowed"], false);
    let missing: Vec<&str> = r["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(set(&missing), set(&["audit:read", "users:delete"]));

    let r = app
        .post(
            &check(&t.org_id),
            &t.admin,
            json!({"permissions": ["organization:delete", "org:settings"]}),
        )
        .await
        .expect(200);
    assert_eq!(
        (r["allowed"].as_bool(), r["missing"].clone()),
        (Some(false), json!(["organization:delete"]))
    );
    let r = app
        .post(&check(&t.org_id), &t.owner, json!({"permissions": CATALOG}))
        .await
        .expect(200);
    assert_eq!(
        (r["allowed"].as_bool(), r["missing"].clone()),
        (Some(true), json!([]))
    );

    // Unknown names are a validation error naming the offender; an empty list too.
    let e = app
        .post(
            &check(&t.org_id),
            &t.member,
            json!({"permissions": ["users:read", "users:fly"]}),
        )
        .await
        .problem(422, "validation_failed");
    let errors = e["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|x| x["field"] == "permissions[1]"
            && x["message"].as_str().unwrap().contains("users:fly")),
        "{e}"
    );
    app.post(&check(&t.org_id), &t.member, json!({"permissions": []}))
        .await
        .problem(422, "validation_failed");
    // Checking is read-only.
    assert_eq!(before, app.snapshot().await);
}

#[tokio::test]
async fn explain_names_where_each_answer_came_from() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let q = |org: &str| format!("{}?explain=true", check(org));

    let r = app
        .post(
            &q(&t.org_id),
            &t.member,
            json!({"permissions": ["users:read", "users:delete"]}),
        )
        .await
        .expect(200);
    let ex = &r["explanation"];
    assert_eq!(ex.as_array().expect("explanation").len(), 2, "{r}");
    assert!(allowed_in(ex, "users:read") && !allowed_in(ex, "users:delete"));
    assert_eq!(source_of(ex, "users:read"), "role:member");
    assert_eq!(source_of(ex, "users:delete"), "not_in_role");

    // An org setting that grants a permission says so.
    app.patch(
        &format!("/api/organizations/{}", t.org_id),
        &t.owner,
        json!({"settings": {"members_can_invite": true}}),
    )
    .await
    .expect(200);
    let r = app
        .post(
            &q(&t.org_id),
            &t.member,
            json!({"permissions": ["users.invite"]}),
        )
        .await
        .expect(200);
    assert_eq!(r["allowed"], true);
    assert_eq!(
        source_of(&r["explanation"], "users:invite"),
        "org_setting:members_can_invite"
    );

    // A key scope that refuses a permission says so.
    let key = api_key(&app, &t.owner, json!({"scopes": ["organization:read"]})).await;
    let r = app
        .post(
            &q(&t.org_id),
            &key,
            json!({"permissions": ["organization:read", "audit:read"]}),
        )
        .await
        .expect(200);
    assert_eq!(
        (r["allowed"].as_bool(), r["missing"].clone()),
        (Some(false), json!(["audit:read"]))
    );
    assert_eq!(source_of(&r["explanation"], "audit:read"), "api_key_scope");
    assert_eq!(
        source_of(&r["explanation"], "organization:read"),
        "role:owner"
    );

    // Superusers.
    let r = app
        .post(
            &q(&t.org_id),
            &app.admin,
            json!({"permissions": ["organization:delete"]}),
        )
        .await
        .expect(200);
    assert_eq!(r["allowed"], true);
    assert_eq!(
        source_of(&r["explanation"], "organization:delete"),
        "superuser"
    );
    // Checking someone who is not a member explains nothing, and says why.
    let (_, outsider) = app.user("outsider@x.io").await;
    let r = app
        .post(
            &q(&t.org_id),
            &t.owner,
            json!({"permissions": ["organization:read"], "user_id": outsider}),
        )
        .await
        .expect(200);
    assert_eq!(r["refusal"], "not_a_member");
    assert_eq!(r["explanation"][0]["allowed"], false);
    assert!(r["explanation"][0]["source"].is_null(), "{r}");
}

#[tokio::test]
async fn checking_another_user_needs_users_read() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let (_, outsider_id) = app.user("outsider@x.io").await;
    let before = app.snapshot().await;

    // Members hold users:read, so they may ask about others.
    let r = app
        .post(
            &check(&t.org_id),
            &t.member,
            json!({"permissions": ["organization:delete"], "user_id": t.owner_id}),
        )
        .await
        .expect(200);
    assert_eq!(
        (r["allowed"].as_bool(), r["role"].as_str()),
        (Some(true), Some("owner"))
    );
    let r = app
        .post(
            &check(&t.org_id),
            &t.owner,
            json!({"permissions": ["users:delete", "users:read"], "user_id": t.member_id}),
        )
        .await
        .expect(200);
    assert_eq!(
        (
            r["allowed"].as_bool(),
            r["missing"].clone(),
            r["role"].as_str()
        ),
        (Some(false), json!(["users:delete"]), Some("member"))
    );
    // A user who is not a member holds nothing there, and the answer says why.
    let r = app
        .post(
            &check(&t.org_id),
            &t.owner,
            json!({"permissions": ["organization:read"], "user_id": outsider_id}),
        )
        .await
        .expect(200);
    assert_eq!(
        (r["allowed"].as_bool(), r["missing"].clone()),
        (Some(false), json!(["organization:read"]))
    );
    assert_eq!(r["refusal"], "not_a_member");
    assert!(r["role"].is_null(), "{r}");
    app.post(
        &check(&t.org_id),
        &t.owner,
        json!({"permissions": ["organization:read"], "user_id": uuid::Uuid::new_v4()}),
    )
    .await
    .problem(404, "user_not_found");

    // A key without users:read may check its own user, but nobody else.
    let key = api_key(&app, &t.member, json!({"scopes": ["organization:read"]})).await;
    let before_key = app.snapshot().await;
    let e = app
        .post(
            &check(&t.org_id),
            &key,
            json!({"permissions": ["organization:read"], "user_id": t.owner_id}),
        )
        .await
        .problem(403, "forbidden");
    assert!(e["detail"].as_str().unwrap().contains("users:read"), "{e}");
    let r = app
        .post(
            &check(&t.org_id),
            &key,
            json!({"permissions": ["organization:read", "users:read"], "user_id": t.member_id}),
        )
        .await
        .expect(200);
    assert_eq!(
        (r["allowed"].as_bool(), r["missing"].clone()),
        (Some(false), json!(["users:read"]))
    );
    assert_eq!(before_key, app.snapshot().await);
    assert_ne!(before, before_key, "the key was created in between");
}

#[tokio::test]
async fn members_can_invite_adds_users_invite_to_members_only() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let r = app
        .post(
            &check(&t.org_id),
            &t.member,
            json!({"permissions": ["users:invite"]}),
        )
        .await
        .expect(200);
    assert_eq!(r["allowed"], false);

    let org = app
        .patch(
            &format!("/api/organizations/{}", t.org_id),
            &t.owner,
            json!({"settings": {"members_can_invite": true}}),
        )
        .await
        .expect(200);
    assert_eq!(org["settings"]["members_can_invite"], true);
    let mut expected = set(&MEMBER);
    expected.insert("users:invite".into());
    assert_eq!(
        granted(&app.get(&perms(&t.org_id), &t.member).await.expect(200)),
        expected
    );
    let r = app
        .post(
            &check(&t.org_id),
            &t.member,
            json!({"permissions": ["users:invite"]}),
        )
        .await
        .expect(200);
    assert_eq!(r["allowed"], true);
    // It does not hand out anything else.
    let r = app
        .post(
            &check(&t.org_id),
            &t.member,
            json!({"permissions": ["users:update"]}),
        )
        .await
        .expect(200);
    assert_eq!(r["allowed"], false);

    app.patch(
        &format!("/api/organizations/{}", t.org_id),
        &t.owner,
        json!({"settings": {"members_can_invite": false}}),
    )
    .await
    .expect(200);
    assert_eq!(
        granted(&app.get(&perms(&t.org_id), &t.member).await.expect(200)),
        set(&MEMBER)
    );
}

#[tokio::test]
async fn api_key_scopes_intersect_the_role() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;

    // A member's key asking for more than the role gives gets only the overlap.
    let key = api_key(
        &app,
        &t.member,
        json!({"scopes": ["organization:read", "organization:write", "users.read"]}),
    )
    .await;
    let map = app.get(&perms(&t.org_id), &key).await.expect(200);
    assert_eq!(map["role"], "member");
    assert_eq!(granted(&map), set(&["organization:read", "users:read"]));
    let r = app
        .post(
            &check(&t.org_id),
            &key,
            json!({"permissions": ["organization:write"]}),
        )
        .await
        .expect(200);
    assert_eq!(r["allowed"], false);

    // An owner's narrow key cannot do what the owner can.
    let narrow = api_key(&app, &t.owner, json!({"scopes": ["organization:read"]})).await;
    assert_eq!(
        granted(&app.get(&perms(&t.org_id), &narrow).await.expect(200)),
        set(&["organization:read"])
    );
    let before = app.snapshot().await;
    let e = app
        .patch(
            &format!("/api/organizations/{}", t.org_id),
            &narrow,
            json!({"description": "nope"}),
        )
        .await
        .problem(403, "forbidden");
    assert!(
        e["detail"].as_str().unwrap().contains("organization:write"),
        "{e}"
    );
    let e = app
        .delete(
            &format!("/api/organizations/{}/members/{}", t.org_id, t.member_id),
            &narrow,
        )
        .await
        .problem(403, "forbidden");
    assert!(
        e["detail"].as_str().unwrap().contains("users:delete"),
        "{e}"
    );
    app.delete(&format!("/api/organizations/{}", t.org_id), &narrow)
        .await
        .problem(403, "forbidden");
    assert_eq!(before, app.snapshot().await);
    app.get(&format!("/api/organizations/{}", t.org_id), &narrow)
        .await
        .expect(200);

    // A key without scopes carries its owner's full role.
    let full = api_key(&app, &t.admin, json!({})).await;
    let map = app.get(&perms(&t.org_id), &full).await.expect(200);
    assert_eq!(granted(&map).len(), 19);
    // Unknown scopes are refused at creation.
    let before = app.snapshot().await;
    app.post(
        "/api/users/me/api-keys",
        &t.owner,
        json!({"name": "k", "scopes": ["users:fly"]}),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(before, app.snapshot().await);
}

#[tokio::test]
async fn orgs_may_refuse_personal_api_keys() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let member_key = api_key(&app, &t.member, json!({})).await;
    let owner_key = api_key(&app, &t.owner, json!({})).await;
    app.get(&perms(&t.org_id), &member_key).await.expect(200);

    let org = app
        .patch(
            &format!("/api/organizations/{}", t.org_id),
            &t.owner,
            json!({"settings": {"members_can_use_personal_api_keys": false}}),
        )
        .await
        .expect(200);
    assert_eq!(org["settings"]["members_can_use_personal_api_keys"], false);
    let before = app.snapshot().await;
    for key in [&member_key, &owner_key] {
        app.get(&perms(&t.org_id), key)
            .await
            .problem(403, "api_keys_disabled");
        app.get(&format!("/api/organizations/{}/members", t.org_id), key)
            .await
            .problem(403, "api_keys_disabled");
        app.patch(
            &format!("/api/organizations/{}", t.org_id),
            key,
            json!({"description": "x"}),
        )
        .await
        .problem(403, "api_keys_disabled");
    }
    assert_eq!(before, app.snapshot().await);
    // Sessions are unaffected.
    app.get(&perms(&t.org_id), &t.member).await.expect(200);
    // The same keys still work in orgs that accept them.
    let other = app.org(&t.owner, "Other").await;
    app.get(&perms(other["id"].as_str().unwrap()), &owner_key)
        .await
        .expect(200);
}
