//! Tenant isolation beyond the route matrix (`matrix.rs`, which calls every org-scoped
//! route as an outsider, a former member, a member or key lacking the permission, a key
//! bound to another org and with every kind of bad credentials): an outsider's org list,
//! selecting or binding a foreign org, a session made already expired by configuration,
//! what a bound key may still do, superusers, members of two orgs, and exact names.
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Team, spawn_app, spawn_with};
use crate::permissions::api_key;

/// The ways to name the team's org in a path.
fn names(t: &Team) -> [String; 3] {
    [t.org_id.clone(), t.slug.clone(), "Acme%20Corp".to_owned()]
}

/// The org-scoped routes are the matrix's; these name the org in a body or list orgs.
#[tokio::test]
async fn outsiders_cannot_list_select_or_bind_a_foreign_org() {
    let app = spawn_app().await;
    let t = app.team("Acme Corp").await;
    let (outsider, _) = app.user("outsider@globex.test").await;
    app.org(&outsider, "Globex").await;
    let before = app.snapshot().await;
    // They may not make it their current org, or bind a key to it.
    for org in [&t.org_id, &t.slug] {
        app.post(
            "/api/auth/session/organization",
            &outsider,
            json!({"organization_id": org}),
        )
        .await
        .problem(404, "not_found");
        app.post(
            "/api/users/me/api-keys",
            &outsider,
            json!({"name": "k", "organization_id": org}),
        )
        .await
        .problem(404, "not_found");
    }
    assert_eq!(before, app.snapshot().await);

    // And the org is not in their list.
    let list = app.get("/api/organizations", &outsider).await.expect(200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "Globex");
    let list = app
        .get("/api/organizations?search=acme", &outsider)
        .await
        .expect(200);
    assert_eq!(list["total"], 0);
    let list = app
        .get("/api/organizations?name=Acme%20Corp", &outsider)
        .await
        .expect(200);
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn expired_sessions_are_401() {
    let app = spawn_with(|c| c.session_ttl = Duration::ZERO).await;
    let body = app
        .call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"email": "ann@x.io", "password": crate::helpers::PASSWORD})),
        )
        .await
        .expect(201);
    let token = body["token"].as_str().unwrap();
    app.get("/api/users/me", token)
        .await
        .problem(401, "unauthenticated");
    app.get("/api/organizations", token)
        .await
        .problem(401, "unauthenticated");
    app.post("/api/organizations", token, json!({"name": "Late"}))
        .await
        .problem(401, "unauthenticated");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM organizations").await, 0);
}

#[tokio::test]
async fn a_key_bound_to_one_org_is_refused_by_another() {
    let app = spawn_app().await;
    let t = app.team("Acme Corp").await;
    // The owner of Acme is a member of Globex too.
    let (g, _) = app.user("owner@globex.test").await;
    let globex = app.org(&g, "Globex").await;
    let globex_id = globex["id"].as_str().unwrap().to_owned();
    app.add_member(&g, &globex_id, "owner@acme-corp.test", "admin")
        .await;

    let bound = api_key(&app, &t.owner, json!({"organization_id": t.org_id})).await;
    app.get(&format!("/api/organizations/{}", t.org_id), &bound)
        .await
        .expect(200);
    // `me` is the bound org.
    assert_eq!(
        app.get("/api/organizations/me", &bound).await.expect(200)["id"],
        t.org_id.as_str()
    );
    assert_eq!(
        app.get("/api/organizations/members", &bound)
            .await
            .expect(200)["total"],
        3
    );

    // Every org-scoped route refuses it on another org (the matrix checks them all).
    let before = app.snapshot().await;
    app.get(&format!("/api/organizations/{globex_id}"), &bound)
        .await
        .problem(403, "key_not_valid_for_organization");
    // Nor can it mint a key for the other org.
    app.post(
        "/api/users/me/api-keys",
        &bound,
        json!({"name": "k", "organization_id": globex_id}),
    )
    .await
    .problem(403, "key_not_valid_for_organization");
    assert_eq!(before, app.snapshot().await);

    // An org the key's user does not belong to stays a plain 404.
    let (h, _) = app.user("owner@hooli.test").await;
    let hooli = app.org(&h, "Hooli").await;
    app.get(
        &format!("/api/organizations/{}", hooli["id"].as_str().unwrap()),
        &bound,
    )
    .await
    .problem(404, "not_found");

    // The user's session and an unbound key work on both.
    let unbound = api_key(&app, &t.owner, json!({})).await;
    for token in [&t.owner, &unbound] {
        app.get(&format!("/api/organizations/{globex_id}"), token)
            .await
            .expect(200);
        app.get(&format!("/api/organizations/{}", t.org_id), token)
            .await
            .expect(200);
    }
    let list = app.get("/api/organizations", &unbound).await.expect(200);
    assert_eq!(list["total"], 2);
}

#[tokio::test]
async fn superusers_see_and_manage_every_org() {
    let app = spawn_app().await;
    let a = app.team("Acme Corp").await;
    let (g, _) = app.user("owner@globex.test").await;
    app.org(&g, "Globex").await;
    let su = app.admin.clone();

    let list = app.get("/api/organizations", &su).await.expect(200);
    assert_eq!(list["total"], 2);
    for org in names(&a) {
        let o = app
            .get(&format!("/api/organizations/{org}"), &su)
            .await
            .expect(200);
        assert_eq!(o["id"], a.org_id.as_str());
        assert!(
            o.get("registry_key").is_none_or(Value::is_null),
            "registry key only for members: {o}"
        );
        assert_eq!(
            app.get(&format!("/api/organizations/{org}/members"), &su)
                .await
                .expect(200)["total"],
            3
        );
        assert_eq!(
            app.get(&format!("/api/organizations/{org}/users"), &su)
                .await
                .expect(200)["total"],
            3
        );
        assert_eq!(
            app.get(&format!("/api/organizations/{org}/audit-events"), &su)
                .await
                .expect(200)["total"],
            3
        );
        let p = app
            .get(&format!("/api/organizations/{org}/permissions"), &su)
            .await
            .expect(200);
        assert_eq!(p["superuser"], true);
    }
    // And may change things.
    let (_, bob_id) = app.user("bob@x.io").await;
    app.post(
        &format!("/api/organizations/{}/members", a.slug),
        &su,
        json!({"user_id": bob_id, "role": "owner"}),
    )
    .await
    .expect(201);
    app.patch(
        &format!("/api/organizations/{}/members/{bob_id}", a.slug),
        &su,
        json!({"role": "admin"}),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/organizations/{}/subscription", a.org_id),
        &su,
        json!({"has_active_subscription": true}),
    )
    .await
    .expect(200);
    app.delete(
        &format!("/api/organizations/{}/members/{bob_id}", a.slug),
        &su,
    )
    .await
    .expect(204);
    let e = &app
        .get(
            &format!("/api/organizations/{}/audit-events?limit=1", a.org_id),
            &su,
        )
        .await
        .expect(200)["items"][0];
    assert_eq!(e["action"], "member.removed");
    let me = app.get("/api/users/me", &su).await.expect(200);
    assert_eq!(e["actor_id"], me["id"]);
    app.delete(&format!("/api/organizations/{}", a.org_id), &su)
        .await
        .expect(204);
    assert_eq!(
        app.get("/api/organizations", &su).await.expect(200)["total"],
        1
    );
    app.get(&format!("/api/organizations/{}", a.org_id), &a.owner)
        .await
        .problem(404, "not_found");
}

/// Members may see their own org's data only; the same user in two orgs sees each one's.
#[tokio::test]
async fn members_of_two_orgs_see_each_orgs_own_data() {
    let app = spawn_app().await;
    let a = app.team("Acme Corp").await;
    let b = app.team("Globex").await;
    for t in [&a, &b] {
        let page = app
            .get(
                &format!("/api/organizations/{}/members", t.org_id),
                &t.owner,
            )
            .await
            .expect(200);
        assert_eq!(page["total"], 3);
        assert!(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["organization_id"] == t.org_id.as_str()),
            "{page}"
        );
    }
    // A's owner addressing B's member through A's org finds nobody.
    let before = app.snapshot().await;
    let path = format!("/api/organizations/{}/members/{}", a.org_id, b.member_id);
    app.patch(&path, &a.owner, json!({"role": "admin"}))
        .await
        .problem(404, "not_found");
    app.delete(&path, &a.owner).await.problem(404, "not_found");
    let r = app
        .get(
            &format!("/api/organizations/{}/audit-events", a.org_id),
            &a.owner,
        )
        .await
        .expect(200);
    assert!(
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["organization_id"] == a.org_id.as_str())
    );
    assert_eq!(before, app.snapshot().await);
}

/// `{org}` matches a name exactly: another spelling is another (unknown) org.
#[tokio::test]
async fn org_names_match_exactly() {
    let app = spawn_app().await;
    let t = app.team("Acme Corp").await;
    app.get("/api/organizations/Acme%20Corp", &t.member)
        .await
        .expect(200);
    app.get("/api/organizations/acme%20corp", &t.member)
        .await
        .problem(404, "not_found");
    app.get("/api/organizations/Acme", &t.member)
        .await
        .problem(404, "not_found");
}
