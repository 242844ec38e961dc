//! Tenant isolation: outsiders get 404 on every org-scoped route however the org is named,
//! missing or bad credentials get 401, keys bound to another org get 403, and superusers
//! see everything.
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Resp, Team, spawn_app, spawn_with};
use crate::permissions::api_key;

/// Every org-scoped route, for the org named `org`, about the member `user_id`, with a body
/// that would be accepted from an owner.
fn routes(org: &str, user_id: &str, newcomer_id: &str) -> Vec<(Method, String, Option<Value>)> {
    let o = format!("/api/organizations/{org}");
    let mut r = vec![
        (Method::GET, o.clone(), None),
        (Method::GET, format!("{o}?expand=members"), None),
        (
            Method::PATCH,
            o.clone(),
            Some(json!({"description": "mine now"})),
        ),
        (
            Method::PATCH,
            o.clone(),
            Some(json!({"settings": {"members_can_invite": true}})),
        ),
        (Method::DELETE, o.clone(), None),
        (
            Method::PATCH,
            format!("{o}/subscription"),
            Some(json!({"has_active_subscription": true})),
        ),
        (Method::GET, format!("{o}/permissions"), None),
        (
            Method::POST,
            format!("{o}/permissions/check"),
            Some(json!({"permissions": ["organization:read"]})),
        ),
        (
            Method::POST,
            format!("{o}/permissions/check?explain=true"),
            Some(json!({"permissions": ["users:read"], "user_id": user_id})),
        ),
        (Method::GET, format!("{o}/audit-events"), None),
    ];
    for coll in ["members", "users"] {
        r.extend([
            (Method::GET, format!("{o}/{coll}"), None),
            (
                Method::GET,
                format!("{o}/{coll}?search=acme&role=member"),
                None,
            ),
            (
                Method::POST,
                format!("{o}/{coll}"),
                Some(json!({"user_id": newcomer_id, "role": "member"})),
            ),
            (
                Method::PATCH,
                format!("{o}/{coll}/{user_id}"),
                Some(json!({"role": "admin"})),
            ),
            (Method::DELETE, format!("{o}/{coll}/{user_id}"), None),
        ]);
    }
    r
}

/// The ways to name the team's org in a path.
fn names(t: &Team) -> [String; 3] {
    [t.org_id.clone(), t.slug.clone(), "Acme%20Corp".to_owned()]
}

#[track_caller]
fn assert_not_found(r: Resp, what: &str) -> Value {
    assert_eq!(r.status.as_u16(), 404, "{what}: {}", r.body);
    r.problem(404, "not_found")
}

#[tokio::test]
async fn outsiders_get_404_on_every_org_route_however_the_org_is_named() {
    let app = spawn_app().await;
    let t = app.team("Acme Corp").await;
    let (outsider, _) = app.user("outsider@globex.test").await;
    app.org(&outsider, "Globex").await;
    let (_, newcomer) = app.user("newcomer@x.io").await;
    let before = app.snapshot().await;

    // What a route answers for an org that does not exist at all.
    let nowhere = assert_not_found(
        app.get("/api/organizations/no-such-org", &outsider).await,
        "unknown org",
    );
    for org in names(&t) {
        for (method, path, body) in routes(&org, &t.member_id, &newcomer) {
            let what = format!("{method} {path}");
            let r = app.call(method, &path, Some(&outsider), body).await;
            let problem = assert_not_found(r, &what);
            // Indistinguishable from an org that does not exist.
            assert_eq!(problem["detail"], nowhere["detail"], "{what}");
        }
    }
    // Nor may they make it their current org, or bind a key to it.
    app.post(
        "/api/auth/session/organization",
        &outsider,
        json!({"organization_id": t.org_id}),
    )
    .await
    .problem(404, "not_found");
    app.post(
        "/api/auth/session/organization",
        &outsider,
        json!({"organization_id": t.slug}),
    )
    .await
    .problem(404, "not_found");
    app.post(
        "/api/users/me/api-keys",
        &outsider,
        json!({"name": "k", "organization_id": t.org_id}),
    )
    .await
    .problem(404, "not_found");
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
}

#[tokio::test]
async fn former_members_become_outsiders() {
    let app = spawn_app().await;
    let t = app.team("Acme Corp").await;
    let (_, newcomer) = app.user("newcomer@x.io").await;
    app.delete(
        &format!("/api/organizations/{}/members/{}", t.org_id, t.member_id),
        &t.owner,
    )
    .await
    .expect(204);
    let before = app.snapshot().await;
    for (method, path, body) in routes(&t.org_id, &t.admin_id, &newcomer) {
        let what = format!("{method} {path}");
        assert_not_found(app.call(method, &path, Some(&t.member), body).await, &what);
    }
    assert_eq!(before, app.snapshot().await);
}

#[tokio::test]
async fn no_or_bad_credentials_get_401_everywhere() {
    let app = spawn_app().await;
    let t = app.team("Acme Corp").await;
    let (_, newcomer) = app.user("newcomer@x.io").await;
    let before = app.snapshot().await;
    let bad = [
        None,
        Some("garbage".to_owned()),
        Some("orgd_s_0000000000000000000000000000000000000000000".to_owned()),
        Some("orgd_k_0000000000000000000000000000000000000000000".to_owned()),
        Some(format!("{}x", t.owner)),
        Some(format!("orgd_s_{}", "a".repeat(400))),
    ];
    let mut routes = routes(&t.org_id, &t.member_id, &newcomer);
    routes.extend(routes_without_org());
    for token in &bad {
        for (method, path, body) in &routes {
            let r = app
                .call(method.clone(), path, token.as_deref(), body.clone())
                .await;
            assert_eq!(
                r.status.as_u16(),
                401,
                "{method} {path} with {token:?}: {}",
                r.body
            );
            r.problem(401, "unauthenticated");
        }
    }
    assert_eq!(before, app.snapshot().await);
}

/// Routes that name no org but still need a caller.
fn routes_without_org() -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, "/api/organizations".into(), None),
        (
            Method::POST,
            "/api/organizations".into(),
            Some(json!({"name": "Anon"})),
        ),
        (Method::GET, "/api/organizations/members".into(), None),
        (
            Method::GET,
            "/api/organizations/me/permissions".into(),
            None,
        ),
        (
            Method::POST,
            "/api/auth/session/organization".into(),
            Some(json!({"organization_id": "acme-corp"})),
        ),
        (
            Method::POST,
            "/api/users/me/api-keys".into(),
            Some(json!({"name": "k"})),
        ),
    ]
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
async fn expired_keys_are_401() {
    let app = spawn_app().await;
    let t = app.team("Acme Corp").await;
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::seconds(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let key = app
        .post(
            "/api/users/me/api-keys",
            &t.owner,
            json!({"name": "short", "expires_at": soon}),
        )
        .await
        .expect(201);
    let key = key["token"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = app.snapshot().await;
    app.get(&format!("/api/organizations/{}", t.org_id), &key)
        .await
        .problem(401, "unauthenticated");
    app.patch(
        &format!("/api/organizations/{}", t.org_id),
        &key,
        json!({"description": "x"}),
    )
    .await
    .problem(401, "unauthenticated");
    assert_eq!(before, app.snapshot().await);
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
    let (_, newcomer) = app.user("newcomer@x.io").await;

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

    let before = app.snapshot().await;
    for org in [globex_id.as_str(), "globex", "Globex"] {
        for (method, path, body) in routes(org, &t.owner_id, &newcomer) {
            let r = app.call(method.clone(), &path, Some(&bound), body).await;
            assert_eq!(r.status.as_u16(), 403, "{method} {path}: {}", r.body);
            r.problem(403, "key_not_valid_for_organization");
        }
    }
    // It cannot mint a key for the other org either.
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
