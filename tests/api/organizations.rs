//! Organizations: create rules, lookup by id/slug/name/me, expand, update, settings,
//! ownership transfer, subscription, delete.
use serde_json::json;

use crate::helpers::{id, spawn_app, spawn_with};

#[tokio::test]
async fn create_defaults_and_get_by_every_key() {
    let app = spawn_app().await;
    let (token, uid) = app.user("ann@x.io").await;
    let org = app.org(&token, "Acme Corp").await;
    assert_eq!(org["slug"], "acme-corp");
    assert_eq!(org["timezone"], "UTC");
    assert_eq!(org["owner"]["id"], uid.as_str());
    assert_eq!(org["member_count"], 1);
    assert_eq!(
        org["settings"],
        json!({
            "enforce_2fa": false, "members_can_invite": false, "members_can_use_personal_api_keys": true,
            "allow_publicly_shared_resources": false, "is_ai_data_processing_approved": false,
            "default_experiment_stats_method": "bayesian", "default_anonymize_ips": false, "default_role_id": null
        })
    );
    assert!(org["registry_key"].is_string());
    assert!(org.get("has_active_subscription").is_none() && org.get("trial_expiry").is_none());
    assert!(org["owner"].get("password").is_none());
    let id = org["id"].as_str().unwrap();
    for key in [id, "acme-corp", "Acme%20Corp"] {
        assert_eq!(
            app.get(&format!("/api/organizations/{key}"), &token)
                .await
                .expect(200)["id"],
            id,
            "{key}"
        );
    }
    app.get("/api/organizations/me", &token)
        .await
        .problem(409, "no_current_organization");
    app.post(
        "/api/auth/session/organization",
        &token,
        json!({"organization_id": "acme-corp"}),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get("/api/organizations/me", &token).await.expect(200)["id"],
        id
    );
    // A derived slug that is taken gets a suffix.
    let again = app.org(&token, "Acme Corp").await;
    assert!(
        again["slug"].as_str().unwrap().starts_with("acme-corp-"),
        "{again}"
    );
}

#[tokio::test]
async fn create_rejections_change_nothing() {
    let app = spawn_app().await;
    let (token, uid) = app.user("ann@x.io").await;
    app.post(
        "/api/organizations",
        &token,
        json!({"name": "Taken", "slug": "taken"}),
    )
    .await
    .expect(201);
    let before = app.snapshot().await;
    let create = |b| app.post("/api/organizations", &token, b);
    create(json!({"name": "X", "slug": "taken"}))
        .await
        .problem(409, "slug_taken");
    create(json!({"name": "X", "slug": "members"}))
        .await
        .problem(422, "reserved_slug");
    create(json!({"name": "X", "slug": "Bad Slug"}))
        .await
        .problem(422, "validation_failed");
    create(json!({"name": "X", "slug": "acme\u{0430}"}))
        .await
        .problem(422, "validation_failed");
    create(json!({"name": ""}))
        .await
        .problem(422, "validation_failed");
    create(json!({"name": "x".repeat(201)}))
        .await
        .problem(422, "validation_failed");
    let r = create(json!({"name": "X", "timezone": "Mars/Olympus"}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(r["errors"][0]["field"], "timezone");
    create(json!({"name": "X", "logo_url": "javascript:alert(1)"}))
        .await
        .problem(422, "validation_failed");
    let r = create(json!({"name": "X", "settings": {"default_experiment_stats_method": "vibes"}}))
        .await;
    assert!(matches!(r.status.as_u16(), 400 | 422), "{r:?}");
    create(json!({"name": "X", "owner_id": uuid::Uuid::new_v4()}))
        .await
        .problem(403, "illegal_operation");
    assert_eq!(before, app.snapshot().await);
    // Naming yourself as owner is fine.
    create(json!({"name": "Mine", "owner_id": uid}))
        .await
        .expect(201);
}

#[tokio::test]
async fn superusers_create_for_others_with_client_ids() {
    let app = spawn_app().await;
    let (token, uid) = app.user("ann@x.io").await;
    let id = uuid::Uuid::new_v4();
    let org = app
        .post(
            "/api/organizations",
            &app.admin,
            json!({"id": id, "name": "For Ann", "owner_id": uid, "logo": "https://x.io/l.png"}),
        )
        .await
        .expect(201);
    assert_eq!(org["id"], id.to_string());
    assert_eq!(org["logo_url"], "https://x.io/l.png");
    assert_eq!(
        app.get(&format!("/api/organizations/{id}"), &token)
            .await
            .expect(200)["role"],
        "owner"
    );
    app.post(
        "/api/organizations",
        &app.admin,
        json!({"id": id, "name": "Dup"}),
    )
    .await
    .problem(409, "id_taken");
    app.post(
        "/api/organizations",
        &app.admin,
        json!({"name": "Ghost", "owner_id": uuid::Uuid::new_v4()}),
    )
    .await
    .problem(404, "user_not_found");
}

#[tokio::test]
async fn creation_policy_and_owner_limit() {
    let app = spawn_with(|c| c.org_creation = orgd::config::OrgCreationArg::Superusers).await;
    let (token, _) = app.user("ann@x.io").await;
    let before = app.snapshot().await;
    app.post("/api/organizations", &token, json!({"name": "Nope"}))
        .await
        .problem(403, "forbidden");
    assert_eq!(before, app.snapshot().await);
    app.post("/api/organizations", &app.admin, json!({"name": "Yes"}))
        .await
        .expect(201);

    let app = spawn_with(|c| c.max_orgs_per_owner = Some(1)).await;
    let (token, _) = app.user("ann@x.io").await;
    app.org(&token, "First").await;
    let before = app.snapshot().await;
    app.post("/api/organizations", &token, json!({"name": "Second"}))
        .await
        .problem(409, "organization_limit_exceeded");
    assert_eq!(before, app.snapshot().await);
}

#[tokio::test]
async fn list_is_scoped_searchable_and_paginated() {
    let app = spawn_app().await;
    let (ann, _) = app.user("ann@x.io").await;
    let (bob, _) = app.user("bob@x.io").await;
    for n in ["Alpha", "Beta", "Gamma"] {
        app.org(&ann, n).await;
    }
    app.org(&bob, "Bobs Shop").await;
    let mine = app.get("/api/organizations", &ann).await.expect(200);
    assert_eq!(mine["total"], 3);
    assert_eq!(mine["items"][0]["name"], "Alpha");
    assert_eq!(mine["items"][0]["role"], "owner");
    assert_eq!(
        app.get("/api/organizations?search=ET", &ann)
            .await
            .expect(200)["total"],
        1
    );
    assert_eq!(
        app.get("/api/organizations?name=Gamma", &ann)
            .await
            .expect(200)["items"][0]["name"],
        "Gamma"
    );
    assert_eq!(
        app.get("/api/organizations?search=%25", &ann)
            .await
            .expect(200)["total"],
        0
    );
    let page = app
        .get("/api/organizations?limit=2&offset=2", &ann)
        .await
        .expect(200);
    assert_eq!(
        (
            page["total"].as_u64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(3), 1)
    );
    assert_eq!(
        app.get("/api/organizations", &app.admin).await.expect(200)["total"],
        4
    );
}

#[tokio::test]
async fn expand_members_and_roles_and_registry_key_visibility() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let org = app
        .get(
            &format!("/api/organizations/{}?expand=members,roles", t.org_id),
            &t.member,
        )
        .await
        .expect(200);
    assert_eq!(org["members"]["total"], 3);
    assert_eq!(org["members"]["items"][0]["role"], "owner");
    assert_eq!(
        org["members"]["items"][0]["user"]["email"],
        "owner@acme.test"
    );
    let roles: Vec<_> = org["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(roles, ["owner", "admin", "member"]);
    assert!(org["registry_key"].is_string());
    // Superusers who are not members do not see the registry key.
    let as_admin = app
        .get(&format!("/api/organizations/{}", t.org_id), &app.admin)
        .await
        .expect(200);
    assert!(as_admin.get("registry_key").is_none());
    assert!(as_admin["role"].is_null());
}

#[tokio::test]
async fn update_fields_and_merge_settings() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let path = format!("/api/organizations/{}", t.org_id);
    let o = app
        .patch(
            &path,
            &t.admin,
            json!({"name": "Acme Two", "timezone": "Europe/Berlin", "description": "d"}),
        )
        .await
        .expect(200);
    assert_eq!(
        (
            o["name"].as_str(),
            o["timezone"].as_str(),
            o["slug"].as_str()
        ),
        (Some("Acme Two"), Some("Europe/Berlin"), Some("acme"))
    );
    app.patch(
        &path,
        &t.admin,
        json!({"settings": {"members_can_invite": true}}),
    )
    .await
    .expect(200);
    let o = app
        .patch(
            &path,
            &t.admin,
            json!({"settings": {"default_anonymize_ips": true}}),
        )
        .await
        .expect(200);
    assert_eq!(
        o["settings"]["members_can_invite"], true,
        "PATCH merges settings key by key"
    );
    assert_eq!(o["settings"]["default_anonymize_ips"], true);
    let before = app.snapshot().await;
    app.patch(&path, &t.member, json!({"name": "Mine now"}))
        .await
        .problem(403, "forbidden");
    app.patch(&path, &t.admin, json!({"timezone": "Nowhere/Land"}))
        .await
        .problem(422, "validation_failed");
    app.patch(&path, &t.admin, json!({"slug": "me"}))
        .await
        .problem(422, "reserved_slug");
    app.patch(
        &path,
        &t.admin,
        json!({"settings": {"default_role_id": "wizard"}}),
    )
    .await
    .problem(422, "validation_failed");
    app.patch(&path, &t.admin, json!({"name": "ok", "slug": "Bad!"}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        before,
        app.snapshot().await,
        "a rejected PATCH writes nothing, not even its valid parts"
    );
}

#[tokio::test]
async fn ownership_transfer_rules() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let (_, outsider) = app.user("out@x.io").await;
    let path = format!("/api/organizations/{}", t.org_id);
    let before = app.snapshot().await;
    app.patch(&path, &t.admin, json!({"owner_id": t.admin_id}))
        .await
        .problem(403, "forbidden");
    app.patch(&path, &t.owner, json!({"owner_id": outsider}))
        .await
        .problem(422, "not_a_member");
    assert_eq!(before, app.snapshot().await);
    let o = app
        .patch(&path, &t.owner, json!({"owner_id": t.member_id}))
        .await
        .expect(200);
    assert_eq!(o["owner"]["id"], t.member_id.as_str());
    let members = app
        .get(&format!("{path}/members"), &t.member)
        .await
        .expect(200);
    let role_of = |id: &str| {
        members["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == id)
            .unwrap()["role"]
            .clone()
    };
    assert_eq!(role_of(&t.member_id), "owner");
    assert_eq!(role_of(&t.owner_id), "admin");
}

#[tokio::test]
async fn subscription_is_superuser_only_and_opt_in() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let path = format!("/api/organizations/{}/subscription", t.org_id);
    let before = app.snapshot().await;
    app.patch(&path, &t.owner, json!({"has_active_subscription": true}))
        .await
        .problem(403, "forbidden");
    assert_eq!(before, app.snapshot().await);
    app.patch(
        &path,
        &app.admin,
        json!({"has_active_subscription": true, "trial_expiry": "2030-01-01T00:00:00Z"}),
    )
    .await
    .expect(200);
    let o = app
        .get(
            &format!(
                "/api/organizations/{}?include_subscription_status=true",
                t.org_id
            ),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(o["has_active_subscription"], true);
    assert!(
        o["trial_expiry"]
            .as_str()
            .unwrap()
            .starts_with("2030-01-01T00:00:00")
    );
    let o = app
        .get(&format!("/api/organizations/{}", t.org_id), &t.owner)
        .await
        .expect(200);
    assert!(o.get("has_active_subscription").is_none());
}

#[tokio::test]
async fn delete_cascades_and_needs_organization_delete() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let path = format!("/api/organizations/{}", t.org_id);
    let before = app.snapshot().await;
    app.delete(&path, &t.admin).await.problem(403, "forbidden");
    assert_eq!(before, app.snapshot().await);
    app.delete(&path, &t.owner).await.expect(204);
    app.get(&path, &t.owner).await.problem(404, "not_found");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM members WHERE organization_id = $1",
            vec![id(&t.org_id)]
        )
        .await,
        0
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM organizations").await, 0);
}

#[tokio::test]
async fn two_factor_enforcement_refuses_members_without_it() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let path = format!("/api/organizations/{}", t.org_id);
    app.patch(&path, &t.owner, json!({"settings": {"enforce_2fa": true}}))
        .await
        .expect(200);
    app.get(&path, &t.member)
        .await
        .problem(403, "two_factor_required");
    app.get(&format!("{path}/members"), &t.owner)
        .await
        .problem(403, "two_factor_required");
    assert_eq!(
        app.exec(
            "UPDATE users SET two_factor_enabled = $1 WHERE id = $2",
            vec![true.into(), id(&t.member_id)]
        )
        .await,
        1
    );
    app.get(&path, &t.member).await.expect(200);
}
