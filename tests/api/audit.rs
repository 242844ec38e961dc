//! The audit log: one event per state change, with the right action, actor and target;
//! `audit:read` to read it; filters; refused requests write nothing.
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::permissions::api_key;

fn events(org: &str) -> String {
    format!("/api/organizations/{org}/audit-events")
}

/// The org's audit events (newest first), read as `token`.
async fn log(app: &TestApp, token: &str, org: &str, query: &str) -> Value {
    app.get(&format!("{}?limit=100{query}", events(org)), token)
        .await
        .expect(200)
}

fn actions(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect()
}

/// Asserts that exactly one event was written since `before_total` and returns it.
async fn one_new_event(app: &TestApp, token: &str, org: &str, before_total: u64) -> Value {
    let page = log(app, token, org, "").await;
    assert_eq!(
        page["total"].as_u64(),
        Some(before_total + 1),
        "exactly one new event: {}",
        page["items"]
    );
    page["items"][0].clone()
}

#[track_caller]
fn assert_event(e: &Value, action: &str, org: &str, actor: &str, target_type: &str, target: &str) {
    assert_eq!(e["action"], action, "{e}");
    assert_eq!(e["organization_id"], org, "{e}");
    assert_eq!(e["actor_id"], actor, "{e}");
    assert_eq!(e["target_type"], target_type, "{e}");
    assert_eq!(e["target_id"], target, "{e}");
    assert!(e["id"].is_string() && e["created"].is_string(), "{e}");
    assert!(
        e["request_id"].as_str().is_some_and(|r| !r.is_empty()),
        "events carry the request id: {e}"
    );
}

#[tokio::test]
async fn creating_an_org_and_adding_members_is_audited() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let page = log(&app, &t.owner, &t.org_id, "").await;
    assert_eq!(page["total"], 3);
    assert_eq!(
        actions(&page),
        ["member.added", "member.added", "organization.created"]
    );
    let items = page["items"].as_array().unwrap();
    assert_event(
        &items[2],
        "organization.created",
        &t.org_id,
        &t.owner_id,
        "organization",
        &t.org_id,
    );
    assert!(items[2]["before"].is_null(), "{}", items[2]);
    assert_eq!(items[2]["after"]["name"], "Acme");
    assert_event(
        &items[1],
        "member.added",
        &t.org_id,
        &t.owner_id,
        "member",
        &t.admin_id,
    );
    assert_eq!(items[1]["after"]["role"], "admin");
    assert_event(
        &items[0],
        "member.added",
        &t.org_id,
        &t.owner_id,
        "member",
        &t.member_id,
    );
    assert_eq!(items[0]["after"]["role"], "member");
    // Written with the change: the table holds exactly these rows for the org.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'organization.created'")
            .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'member.added'")
            .await,
        2
    );
}

#[tokio::test]
async fn each_change_writes_exactly_one_event() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let (_, bob_id) = app.user("bob@x.io").await;
    let org = t.org_id.as_str();
    let mut total = 3;

    // Organization update, with before/after summaries.
    app.patch(
        &format!("/api/organizations/{org}"),
        &t.admin,
        json!({"description": "Rockets"}),
    )
    .await
    .expect(200);
    let e = one_new_event(&app, &t.owner, org, total).await;
    assert_event(
        &e,
        "organization.updated",
        org,
        &t.admin_id,
        "organization",
        org,
    );
    assert!(e["before"]["description"].is_null(), "{e}");
    assert_eq!(e["after"]["description"], "Rockets");
    total += 1;

    // Member added by an admin.
    app.post(
        &format!("/api/organizations/{org}/members"),
        &t.admin,
        json!({"user_id": bob_id}),
    )
    .await
    .expect(201);
    let e = one_new_event(&app, &t.owner, org, total).await;
    assert_event(&e, "member.added", org, &t.admin_id, "member", &bob_id);
    assert_eq!(e["after"]["role"], "member");
    total += 1;

    // Role change.
    app.patch(
        &format!("/api/organizations/{org}/members/{bob_id}"),
        &t.owner,
        json!({"role": "admin"}),
    )
    .await
    .expect(200);
    let e = one_new_event(&app, &t.owner, org, total).await;
    assert_event(
        &e,
        "member.role_changed",
        org,
        &t.owner_id,
        "member",
        &bob_id,
    );
    assert_eq!(
        (e["before"]["role"].as_str(), e["after"]["role"].as_str()),
        (Some("member"), Some("admin"))
    );
    total += 1;

    // Setting the role a member already holds changes nothing and records nothing.
    app.patch(
        &format!("/api/organizations/{org}/members/{bob_id}"),
        &t.owner,
        json!({"role": "admin"}),
    )
    .await
    .expect(200);
    assert_eq!(
        log(&app, &t.owner, org, "").await["total"].as_u64(),
        Some(total)
    );

    // Removal by someone else.
    app.delete(
        &format!("/api/organizations/{org}/members/{bob_id}"),
        &t.admin,
    )
    .await
    .expect(204);
    let e = one_new_event(&app, &t.owner, org, total).await;
    assert_event(&e, "member.removed", org, &t.admin_id, "member", &bob_id);
    assert_eq!(e["before"]["role"], "admin");
    assert!(e["after"].is_null(), "{e}");
    total += 1;

    // Leaving.
    app.delete(
        &format!("/api/organizations/{org}/members/{}", t.member_id),
        &t.member,
    )
    .await
    .expect(204);
    let e = one_new_event(&app, &t.owner, org, total).await;
    assert_event(&e, "member.left", org, &t.member_id, "member", &t.member_id);
    assert_eq!(e["before"]["role"], "member");
    total += 1;

    // Ownership transfer.
    app.patch(
        &format!("/api/organizations/{org}"),
        &t.owner,
        json!({"owner_id": t.admin_id}),
    )
    .await
    .expect(200);
    let e = one_new_event(&app, &t.admin, org, total).await;
    assert_event(
        &e,
        "organization.ownership_transferred",
        org,
        &t.owner_id,
        "organization",
        org,
    );
    assert_eq!(
        (
            e["before"]["owner_id"].as_str(),
            e["after"]["owner_id"].as_str()
        ),
        (Some(t.owner_id.as_str()), Some(t.admin_id.as_str()))
    );
    total += 1;

    // An API key bound to the org.
    let created = app
        .post(
            "/api/users/me/api-keys",
            &t.admin,
            json!({"name": "ci", "organization_id": org}),
        )
        .await
        .expect(201);
    let e = one_new_event(&app, &t.admin, org, total).await;
    assert_event(
        &e,
        "api_key.created",
        org,
        &t.admin_id,
        "api_key",
        created["id"].as_str().unwrap(),
    );
    assert!(
        !e.to_string().contains(created["token"].as_str().unwrap()),
        "the key never reaches the log: {e}"
    );
    total += 1;
    // A key bound to no org is not this org's business.
    api_key(&app, &t.admin, json!({})).await;
    assert_eq!(
        log(&app, &t.admin, org, "").await["total"].as_u64(),
        Some(total)
    );
}

#[tokio::test]
async fn events_carry_the_request_id_of_their_request() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let r = app
        .patch(
            &format!("/api/organizations/{}", t.org_id),
            &t.owner,
            json!({"description": "x"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let header = r
        .headers
        .get("x-request-id")
        .expect("x-request-id header")
        .to_str()
        .unwrap()
        .to_owned();
    let e = &log(&app, &t.owner, &t.org_id, "&action=organization.updated").await["items"][0];
    assert_eq!(e["request_id"], header.as_str());
}

#[tokio::test]
async fn reading_the_log_needs_audit_read() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let key = api_key(
        &app,
        &t.owner,
        json!({"scopes": ["organization:read", "users:read"]}),
    )
    .await;
    let before = app.snapshot().await;
    let e = app
        .get(&events(&t.org_id), &t.member)
        .await
        .problem(403, "forbidden");
    assert!(e["detail"].as_str().unwrap().contains("audit:read"), "{e}");
    let e = app
        .get(&events(&t.slug), &key)
        .await
        .problem(403, "forbidden");
    assert!(e["detail"].as_str().unwrap().contains("audit:read"), "{e}");
    assert_eq!(before, app.snapshot().await);

    for token in [&t.owner, &t.admin, &app.admin] {
        let page = app.get(&events(&t.org_id), token).await.expect(200);
        // The key creation above is user-level, not an org event.
        assert_eq!(page["total"], 3);
        assert_eq!(
            (page["limit"].as_u64(), page["offset"].as_u64()),
            (Some(20), Some(0))
        );
    }
    let scoped = api_key(&app, &t.admin, json!({"scopes": ["audit:read"]})).await;
    app.get(&events(&t.org_id), &scoped).await.expect(200);
}

#[tokio::test]
async fn filters_and_pagination() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    app.patch(
        &format!("/api/organizations/{}/members/{}", t.org_id, t.member_id),
        &t.admin,
        json!({"role": "admin"}),
    )
    .await
    .expect(200);
    let org = t.org_id.as_str();

    let p = log(&app, &t.owner, org, "&action=member.added").await;
    assert_eq!(
        (p["total"].as_u64(), actions(&p)),
        (Some(2), vec!["member.added", "member.added"])
    );
    let p = log(&app, &t.owner, org, &format!("&actor_id={}", t.admin_id)).await;
    assert_eq!(
        (p["total"].as_u64(), actions(&p)),
        (Some(1), vec!["member.role_changed"])
    );
    let p = log(&app, &t.owner, org, &format!("&actor_id={}", t.owner_id)).await;
    assert_eq!(p["total"], 3);
    let p = log(&app, &t.owner, org, &format!("&target_id={}", t.member_id)).await;
    assert_eq!(actions(&p), ["member.role_changed", "member.added"]);
    let p = log(
        &app,
        &t.owner,
        org,
        &format!("&target_id={}&action=member.added", t.member_id),
    )
    .await;
    assert_eq!(p["total"], 1);
    let p = log(&app, &t.owner, org, "&action=organization.deleted").await;
    assert_eq!(
        (p["total"].as_u64(), p["items"].clone()),
        (Some(0), json!([]))
    );

    // Pagination: newest first, stable pages.
    let all = log(&app, &t.owner, org, "").await;
    let p = app
        .get(&format!("{}?limit=2&offset=1", events(org)), &t.owner)
        .await
        .expect(200);
    assert_eq!(
        (
            p["total"].as_u64(),
            p["limit"].as_u64(),
            p["offset"].as_u64()
        ),
        (Some(4), Some(2), Some(1))
    );
    assert_eq!(p["items"][0], all["items"][1]);
    assert_eq!(p["items"][1], all["items"][2]);
    let p = app
        .get(&format!("{}?page=2&page_size=3", events(org)), &t.owner)
        .await
        .expect(200);
    assert_eq!(p["items"].as_array().unwrap().len(), 1);
    assert_eq!(p["items"][0]["action"], "organization.created");
    app.get(&format!("{}?limit=0", events(org)), &t.owner)
        .await
        .problem(400, "bad_request");
    app.get(&format!("{}?actor_id=not-a-uuid", events(org)), &t.owner)
        .await
        .problem(400, "bad_request");
}

#[tokio::test]
async fn refused_requests_write_no_audit_rows() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let (outsider, _) = app.user("outsider@x.io").await;
    let (_, bob_id) = app.user("bob@x.io").await;
    let rows = app.scalar("SELECT COUNT(*) FROM audit_events").await;
    let before = app.snapshot().await;
    let org = t.org_id.as_str();

    app.patch(
        &format!("/api/organizations/{org}"),
        &t.member,
        json!({"description": "x"}),
    )
    .await
    .problem(403, "forbidden");
    app.delete(&format!("/api/organizations/{org}"), &t.admin)
        .await
        .problem(403, "forbidden");
    app.patch(
        &format!("/api/organizations/{org}"),
        &outsider,
        json!({"description": "x"}),
    )
    .await
    .problem(404, "not_found");
    app.patch(
        &format!("/api/organizations/{org}"),
        &t.owner,
        json!({"timezone": "Mars/Olympus"}),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &format!("/api/organizations/{org}/members"),
        &t.member,
        json!({"user_id": bob_id}),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        &format!("/api/organizations/{org}/members"),
        &t.owner,
        json!({"user_id": t.member_id}),
    )
    .await
    .problem(409, "already_member");
    app.post(
        &format!("/api/organizations/{org}/members"),
        &t.owner,
        json!({"user_id": bob_id, "role": "boss"}),
    )
    .await
    .problem(422, "unknown_role");
    app.patch(
        &format!("/api/organizations/{org}/members/{}", t.owner_id),
        &t.owner,
        json!({"role": "member"}),
    )
    .await
    .problem(409, "last_owner");
    app.patch(
        &format!("/api/organizations/{org}/members/{}", t.owner_id),
        &t.admin,
        json!({"role": "member"}),
    )
    .await
    .problem(403, "forbidden");
    app.delete(
        &format!("/api/organizations/{org}/members/{}", t.owner_id),
        &t.owner,
    )
    .await
    .problem(409, "last_owner");
    app.delete(
        &format!("/api/organizations/{org}/members/{}", t.admin_id),
        &t.member,
    )
    .await
    .problem(403, "forbidden");
    app.delete(
        &format!("/api/organizations/{org}/members/{}", t.member_id),
        &outsider,
    )
    .await
    .problem(404, "not_found");
    app.patch(
        &format!("/api/organizations/{org}/subscription"),
        &t.owner,
        json!({"has_active_subscription": true}),
    )
    .await
    .problem(403, "forbidden");

    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events").await, rows);
    assert_eq!(before, app.snapshot().await);
}
