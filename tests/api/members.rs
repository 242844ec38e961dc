//! Members: listing, adding, role changes, removal and leaving, the last-owner rule, no
//! escalation past one's own role, and the `/users` alias and `/members` shorthand.
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn members(org: &str) -> String {
    format!("/api/organizations/{org}/members")
}

fn member(org: &str, user_id: &str) -> String {
    format!("/api/organizations/{org}/members/{user_id}")
}

/// The user ids of a member list page, in order.
fn ids(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["user_id"].as_str().expect("user_id"))
        .collect()
}

async fn owner_of_record(app: &TestApp, token: &str, org: &str) -> String {
    app.get(&format!("/api/organizations/{org}"), token)
        .await
        .expect(200)["owner"]["id"]
        .as_str()
        .expect("owner.id")
        .to_owned()
}

#[tokio::test]
async fn list_members_with_search_role_filter_and_pagination() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;

    let page = app.get(&members(&t.org_id), &t.member).await.expect(200);
    assert_eq!(page["total"], 3);
    assert_eq!(page["limit"], 20);
    assert_eq!(page["offset"], 0);
    // Oldest first: the creator, then the members in the order they were added.
    assert_eq!(ids(&page), [t.owner_id.as_str(), &t.admin_id, &t.member_id]);
    let first = &page["items"][0];
    assert_eq!(first["organization_id"], t.org_id.as_str());
    assert_eq!(first["role"], "owner");
    assert_eq!(first["user"]["id"], t.owner_id.as_str());
    assert_eq!(first["user"]["email"], "owner@acme.test");
    assert!(
        first["user"].get("username").is_some() && first["user"].get("avatar_url").is_some(),
        "{first}"
    );
    assert!(
        first["created"].is_string() && first["updated"].is_string(),
        "{first}"
    );
    let keys: Vec<&String> = first["user"].as_object().unwrap().keys().collect();
    for k in keys {
        assert!(
            ["id", "username", "name", "email", "avatar_url"].contains(&k.as_str()),
            "public user carries {k}: {first}"
        );
    }
    let roles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["owner", "admin", "member"]);

    // Search: case-insensitive, on email / name / username.
    let found = app
        .get(
            &format!("{}?search=ADMIN%40acme", members(&t.org_id)),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(ids(&found), [t.admin_id.as_str()]);
    assert_eq!(found["total"], 1);
    let none = app
        .get(
            &format!("{}?search=nobody-at-all", members(&t.org_id)),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(none["total"], 0);
    assert_eq!(none["items"], json!([]));

    // Role filter.
    let admins = app
        .get(&format!("{}?role=admin", members(&t.org_id)), &t.owner)
        .await
        .expect(200);
    assert_eq!(ids(&admins), [t.admin_id.as_str()]);
    let owners = app
        .get(&format!("{}?role=owner", members(&t.org_id)), &t.owner)
        .await
        .expect(200);
    assert_eq!(ids(&owners), [t.owner_id.as_str()]);
    let both = app
        .get(
            &format!("{}?role=member&search=acme", members(&t.org_id)),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(ids(&both), [t.member_id.as_str()]);
    app.get(&format!("{}?role=overlord", members(&t.org_id)), &t.owner)
        .await
        .problem(422, "unknown_role");

    // limit / offset.
    let p = app
        .get(
            &format!("{}?limit=2&offset=1", members(&t.org_id)),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(ids(&p), [t.admin_id.as_str(), &t.member_id]);
    assert_eq!(
        (
            p["total"].as_i64(),
            p["limit"].as_i64(),
            p["offset"].as_i64()
        ),
        (Some(3), Some(2), Some(1))
    );
    // page / page_size (page starts at 1), and the camelCase alias.
    let p = app
        .get(
            &format!("{}?page=2&page_size=2", members(&t.org_id)),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(ids(&p), [t.member_id.as_str()]);
    assert_eq!(
        (
            p["total"].as_i64(),
            p["limit"].as_i64(),
            p["offset"].as_i64()
        ),
        (Some(3), Some(2), Some(2))
    );
    let p = app
        .get(
            &format!("{}?page=1&pageSize=1", members(&t.org_id)),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(ids(&p), [t.owner_id.as_str()]);
    // Past the end: an empty page, the total still right.
    let p = app
        .get(&format!("{}?offset=10", members(&t.org_id)), &t.owner)
        .await
        .expect(200);
    assert_eq!(
        (p["items"].clone(), p["total"].as_i64()),
        (json!([]), Some(3))
    );
    // Large limits are clamped, bad ones refused.
    let p = app
        .get(&format!("{}?limit=1000", members(&t.org_id)), &t.owner)
        .await
        .expect(200);
    assert_eq!(p["limit"], 100);
    for q in ["limit=0", "offset=-1", "page=0", "limit=abc"] {
        app.get(&format!("{}?{q}", members(&t.org_id)), &t.owner)
            .await
            .problem(400, "bad_request");
    }
}

#[tokio::test]
async fn add_member_by_id_and_by_email_defaults_to_member() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let (_, bob_id) = app.user("bob@x.io").await;
    let (carol, carol_id) = app.user("carol@x.io").await;

    // By id, no role: the default role is `member`.
    let m = app
        .post(&members(&t.org_id), &t.owner, json!({"user_id": bob_id}))
        .await
        .expect(201);
    assert_eq!(m["organization_id"], t.org_id.as_str());
    assert_eq!(m["user_id"], bob_id.as_str());
    assert_eq!(m["role"], "member");
    assert_eq!(m["user"]["email"], "bob@x.io");
    assert!(
        m["user"].get("password").is_none() && m["user"].get("password_hash").is_none(),
        "{m}"
    );

    // By email (case-insensitive), with a role, by an admin.
    let m = app
        .post(
            &members(&t.slug),
            &t.admin,
            json!({"user_email": "Carol@X.io", "role": "admin"}),
        )
        .await
        .expect(201);
    assert_eq!(m["user_id"], carol_id.as_str());
    assert_eq!(m["role"], "admin");

    let page = app.get(&members(&t.org_id), &t.owner).await.expect(200);
    assert_eq!(page["total"], 5);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members WHERE role = 'admin'")
            .await,
        2
    );
    // The new member sees the org now.
    let org = app
        .get(&format!("/api/organizations/{}", t.org_id), &carol)
        .await
        .expect(200);
    assert_eq!(org["member_count"], 5);
}

#[tokio::test]
async fn default_role_setting_is_used_when_no_role_is_named() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let (_, bob_id) = app.user("bob@x.io").await;
    app.patch(
        &format!("/api/organizations/{}", t.org_id),
        &t.owner,
        json!({"settings": {"default_role_id": "admin"}}),
    )
    .await
    .expect(200);
    let m = app
        .post(&members(&t.org_id), &t.owner, json!({"user_id": bob_id}))
        .await
        .expect(201);
    assert_eq!(m["role"], "admin");
}

#[tokio::test]
async fn add_member_rejections_change_nothing() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let (_, _bob_id) = app.user("bob@x.io").await;
    let before = app.snapshot().await;
    let path = members(&t.org_id);

    let r = app
        .post(&path, &t.owner, json!({"user_id": t.member_id}))
        .await
        .problem(409, "already_member");
    assert!(r["detail"].is_string());
    app.post(
        &path,
        &t.owner,
        json!({"user_email": "MEMBER@acme.test", "role": "admin"}),
    )
    .await
    .problem(409, "already_member");
    app.post(&path, &t.owner, json!({"user_email": "ghost@nowhere.io"}))
        .await
        .problem(404, "user_not_found");
    app.post(&path, &t.owner, json!({"user_id": uuid::Uuid::new_v4()}))
        .await
        .problem(404, "user_not_found");
    app.post(
        &path,
        &t.owner,
        json!({"user_email": "bob@x.io", "role": "superhero"}),
    )
    .await
    .problem(422, "unknown_role");
    app.post(
        &path,
        &t.owner,
        json!({"user_email": "bob@x.io", "role": uuid::Uuid::new_v4()}),
    )
    .await
    .problem(422, "unknown_role");
    app.post(&path, &t.owner, json!({}))
        .await
        .problem(422, "validation_failed");
    app.post(&path, &t.owner, json!({"user_email": "not-an-email"}))
        .await
        .problem(422, "validation_failed");
    // Members lack users:update.
    app.post(&path, &t.member, json!({"user_email": "bob@x.io"}))
        .await
        .forbidden("users:update");

    assert_eq!(before, app.snapshot().await);
    assert_eq!(app.member_count(&t.owner, &t.org_id).await, 3);
}

#[tokio::test]
async fn owner_changes_roles_but_never_demotes_the_last_owner() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;

    let m = app
        .patch(
            &member(&t.org_id, &t.member_id),
            &t.owner,
            json!({"role": "admin"}),
        )
        .await
        .expect(200);
    assert_eq!(
        (m["user_id"].as_str(), m["role"].as_str()),
        (Some(t.member_id.as_str()), Some("admin"))
    );
    let m = app
        .patch(
            &member(&t.slug, &t.member_id),
            &t.owner,
            json!({"role": "member"}),
        )
        .await
        .expect(200);
    assert_eq!(m["role"], "member");
    let listed = app
        .get(&format!("{}?role=member", members(&t.org_id)), &t.owner)
        .await
        .expect(200);
    assert_eq!(ids(&listed), [t.member_id.as_str()]);

    let (_, stranger) = app.user("stranger@x.io").await;
    let before = app.snapshot().await;
    // The sole owner cannot step down, whoever asks.
    app.patch(
        &member(&t.org_id, &t.owner_id),
        &t.owner,
        json!({"role": "admin"}),
    )
    .await
    .problem(409, "last_owner");
    app.patch(
        &member(&t.org_id, &t.owner_id),
        &t.owner,
        json!({"role": "member"}),
    )
    .await
    .problem(409, "last_owner");
    app.patch(
        &member(&t.org_id, &t.owner_id),
        &app.admin,
        json!({"role": "admin"}),
    )
    .await
    .problem(409, "last_owner");
    // Unknown roles, and users who are not members.
    app.patch(
        &member(&t.org_id, &t.member_id),
        &t.owner,
        json!({"role": "overlord"}),
    )
    .await
    .problem(422, "unknown_role");
    app.patch(
        &member(&t.org_id, &stranger),
        &t.owner,
        json!({"role": "admin"}),
    )
    .await
    .problem(404, "not_found");
    app.patch(
        &member(&t.org_id, &uuid::Uuid::new_v4().to_string()),
        &t.owner,
        json!({"role": "admin"}),
    )
    .await
    .problem(404, "not_found");
    assert_eq!(before, app.snapshot().await);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members WHERE role = 'owner'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_sole_owner_can_neither_leave_nor_be_removed() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let before = app.snapshot().await;
    app.delete(&member(&t.org_id, &t.owner_id), &t.owner)
        .await
        .problem(409, "last_owner");
    app.delete(
        &format!("/api/organizations/{}/members/{}", t.slug, t.owner_id),
        &t.owner,
    )
    .await
    .problem(409, "last_owner");
    // Not even a superuser may leave an org ownerless.
    app.delete(&member(&t.org_id, &t.owner_id), &app.admin)
        .await
        .problem(409, "last_owner");
    assert_eq!(before, app.snapshot().await);
    assert_eq!(owner_of_record(&app, &t.owner, &t.org_id).await, t.owner_id);
}

#[tokio::test]
async fn members_may_leave_without_users_delete() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    app.delete(&member(&t.org_id, &t.member_id), &t.member)
        .await
        .expect(204);
    let page = app.get(&members(&t.org_id), &t.owner).await.expect(200);
    assert_eq!(ids(&page), [t.owner_id.as_str(), &t.admin_id]);
    assert_eq!(app.member_count(&t.owner, &t.org_id).await, 2);
    // Gone means gone: the org is now a foreign tenant to them.
    app.get(&format!("/api/organizations/{}", t.org_id), &t.member)
        .await
        .problem(404, "not_found");
    app.delete(&member(&t.org_id, &t.member_id), &t.member)
        .await
        .problem(404, "not_found");
    // An admin may leave too.
    app.delete(&member(&t.slug, &t.admin_id), &t.admin)
        .await
        .expect(204);
    assert_eq!(app.member_count(&t.owner, &t.org_id).await, 1);
}

#[tokio::test]
async fn members_cannot_manage_others() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let (_, bob_id) = app.user("bob@x.io").await;
    let before = app.snapshot().await;
    app.delete(&member(&t.org_id, &t.admin_id), &t.member)
        .await
        .forbidden("users:delete");
    app.delete(&member(&t.org_id, &t.owner_id), &t.member)
        .await
        .forbidden("users:delete");
    app.patch(
        &member(&t.org_id, &t.admin_id),
        &t.member,
        json!({"role": "member"}),
    )
    .await
    .forbidden("users:update");
    app.patch(
        &member(&t.org_id, &t.member_id),
        &t.member,
        json!({"role": "admin"}),
    )
    .await
    .forbidden("users:update");
    app.post(&members(&t.org_id), &t.member, json!({"user_id": bob_id}))
        .await
        .forbidden("users:update");
    assert_eq!(before, app.snapshot().await);
}

#[tokio::test]
async fn admins_cannot_make_unmake_or_touch_owners() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let (_, bob_id) = app.user("bob@x.io").await;
    let before = app.snapshot().await;
    let no_escalation = |r: crate::helpers::Resp| {
        let body = r.problem(403, "forbidden");
        assert!(body["detail"].as_str().unwrap().contains("owner"), "{body}");
    };
    no_escalation(
        app.patch(
            &member(&t.org_id, &t.member_id),
            &t.admin,
            json!({"role": "owner"}),
        )
        .await,
    );
    no_escalation(
        app.patch(
            &member(&t.org_id, &t.admin_id),
            &t.admin,
            json!({"role": "owner"}),
        )
        .await,
    );
    no_escalation(
        app.patch(
            &member(&t.org_id, &t.owner_id),
            &t.admin,
            json!({"role": "admin"}),
        )
        .await,
    );
    no_escalation(
        app.patch(
            &member(&t.org_id, &t.owner_id),
            &t.admin,
            json!({"role": "member"}),
        )
        .await,
    );
    no_escalation(app.delete(&member(&t.org_id, &t.owner_id), &t.admin).await);
    no_escalation(
        app.post(
            &members(&t.org_id),
            &t.admin,
            json!({"user_id": bob_id, "role": "owner"}),
        )
        .await,
    );
    assert_eq!(before, app.snapshot().await);

    // What admins may do: promote a member to admin, demote an admin, remove a member.
    app.patch(
        &member(&t.org_id, &t.member_id),
        &t.admin,
        json!({"role": "admin"}),
    )
    .await
    .expect(200);
    app.patch(
        &member(&t.org_id, &t.member_id),
        &t.admin,
        json!({"role": "member"}),
    )
    .await
    .expect(200);
    app.post(
        &members(&t.org_id),
        &t.admin,
        json!({"user_id": bob_id, "role": "admin"}),
    )
    .await
    .expect(201);
    app.delete(&member(&t.org_id, &bob_id), &t.admin)
        .await
        .expect(204);
    app.delete(&member(&t.org_id, &t.member_id), &t.admin)
        .await
        .expect(204);
    assert_eq!(app.member_count(&t.owner, &t.org_id).await, 2);
}

#[tokio::test]
async fn a_second_owner_lets_the_first_step_down() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let (bob, bob_id) = app.user("bob@x.io").await;
    let m = app
        .post(
            &members(&t.org_id),
            &t.owner,
            json!({"user_email": "bob@x.io", "role": "owner"}),
        )
        .await
        .expect(201);
    assert_eq!(m["role"], "owner");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members WHERE role = 'owner'")
            .await,
        2
    );
    assert_eq!(owner_of_record(&app, &bob, &t.org_id).await, t.owner_id);

    // With another owner, the first may step down; the owner of record is handed on.
    let m = app
        .patch(
            &member(&t.org_id, &t.owner_id),
            &t.owner,
            json!({"role": "admin"}),
        )
        .await
        .expect(200);
    assert_eq!(m["role"], "admin");
    assert_eq!(owner_of_record(&app, &bob, &t.org_id).await, bob_id);
    let perms = app
        .get(
            &format!("/api/organizations/{}/permissions", t.org_id),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(perms["role"], "admin");
    assert_eq!(perms["permissions"]["organization:delete"], false);

    // Now bob is the last owner; and the former owner, an admin now, cannot climb back.
    let before = app.snapshot().await;
    app.patch(&member(&t.org_id, &bob_id), &bob, json!({"role": "admin"}))
        .await
        .problem(409, "last_owner");
    app.delete(&member(&t.org_id, &bob_id), &bob)
        .await
        .problem(409, "last_owner");
    app.patch(
        &member(&t.org_id, &t.owner_id),
        &t.owner,
        json!({"role": "owner"}),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(before, app.snapshot().await);
}

#[tokio::test]
async fn an_owner_may_leave_when_another_owner_remains() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    app.patch(
        &member(&t.org_id, &t.admin_id),
        &t.owner,
        json!({"role": "owner"}),
    )
    .await
    .expect(200);
    app.delete(&member(&t.org_id, &t.owner_id), &t.owner)
        .await
        .expect(204);
    assert_eq!(owner_of_record(&app, &t.admin, &t.org_id).await, t.admin_id);
    assert_eq!(app.member_count(&t.admin, &t.org_id).await, 2);
    app.get(&format!("/api/organizations/{}", t.org_id), &t.owner)
        .await
        .problem(404, "not_found");
    // An owner may remove another owner (not the last).
    let (_, bob_id) = app.user("bob@x.io").await;
    app.post(
        &members(&t.org_id),
        &t.admin,
        json!({"user_id": bob_id, "role": "owner"}),
    )
    .await
    .expect(201);
    app.delete(&member(&t.org_id, &bob_id), &t.admin)
        .await
        .expect(204);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM members WHERE role = 'owner'")
            .await,
        1
    );
}

#[tokio::test]
async fn racing_owners_cannot_leave_the_org_ownerless() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    app.patch(
        &member(&t.org_id, &t.admin_id),
        &t.owner,
        json!({"role": "owner"}),
    )
    .await
    .expect(200);
    for _ in 0..2 {
        let (leave, demote) = (
            member(&t.org_id, &t.owner_id),
            member(&t.org_id, &t.admin_id),
        );
        let (a, b) = tokio::join!(
            app.delete(&leave, &t.owner),
            app.patch(&demote, &t.admin, json!({"role": "member"}))
        );
        let statuses = [a.status.as_u16(), b.status.as_u16()];
        assert!(
            statuses == [204, 409] || statuses == [409, 200],
            "{statuses:?}: {} / {}",
            a.body,
            b.body
        );
        let loser = if a.status.as_u16() == 409 { a } else { b };
        loser.problem(409, "last_owner");
        assert_eq!(
            app.scalar("SELECT COUNT(*) FROM members WHERE role = 'owner'")
                .await,
            1
        );
        // Reset: whoever is still owner makes the other one owner again.
        if statuses[0] == 204 {
            app.post(
                &members(&t.org_id),
                &t.admin,
                json!({"user_id": t.owner_id, "role": "owner"}),
            )
            .await
            .expect(201);
        } else {
            app.patch(
                &member(&t.org_id, &t.admin_id),
                &t.owner,
                json!({"role": "owner"}),
            )
            .await
            .expect(200);
        }
    }
}

#[tokio::test]
async fn users_alias_and_current_org_shorthand() {
    let app = spawn_app().await;
    let t = app.team("Acme Corp").await;
    let (_, bob_id) = app.user("bob@x.io").await;

    // `/users` is the same collection, whichever way the org is named.
    for org in [t.org_id.as_str(), &t.slug, "Acme%20Corp"] {
        let page = app
            .get(&format!("/api/organizations/{org}/users"), &t.member)
            .await
            .expect(200);
        assert_eq!(ids(&page), [t.owner_id.as_str(), &t.admin_id, &t.member_id]);
    }
    let users = format!("/api/organizations/{}/users", t.slug);
    app.post(&users, &t.owner, json!({"user_id": bob_id}))
        .await
        .expect(201);
    let m = app
        .patch(
            &format!("{users}/{bob_id}"),
            &t.owner,
            json!({"role": "admin"}),
        )
        .await
        .expect(200);
    assert_eq!(m["role"], "admin");
    app.delete(&format!("{users}/{bob_id}"), &t.owner)
        .await
        .expect(204);
    assert_eq!(
        app.get(&members(&t.org_id), &t.owner).await.expect(200)["total"],
        3
    );

    // The shorthand needs a current organization.
    let before = app.snapshot().await;
    app.get("/api/organizations/members", &t.owner)
        .await
        .problem(409, "no_current_organization");
    app.get(&members("me"), &t.owner)
        .await
        .problem(409, "no_current_organization");
    app.post(
        "/api/organizations/members",
        &t.owner,
        json!({"user_id": bob_id}),
    )
    .await
    .problem(409, "no_current_organization");
    app.patch(
        &format!("/api/organizations/members/{}", t.member_id),
        &t.owner,
        json!({"role": "admin"}),
    )
    .await
    .problem(409, "no_current_organization");
    app.delete(
        &format!("/api/organizations/members/{}", t.member_id),
        &t.owner,
    )
    .await
    .problem(409, "no_current_organization");
    assert_eq!(before, app.snapshot().await);

    app.set_active_org(&t.owner, &t.org_id).await;
    let page = app
        .get("/api/organizations/members", &t.owner)
        .await
        .expect(200);
    assert_eq!(ids(&page), [t.owner_id.as_str(), &t.admin_id, &t.member_id]);
    assert_eq!(
        app.get(&members("me"), &t.owner).await.expect(200)["total"],
        3
    );
    let m = app
        .post(
            "/api/organizations/members",
            &t.owner,
            json!({"user_email": "bob@x.io"}),
        )
        .await
        .expect(201);
    assert_eq!(
        (m["organization_id"].as_str(), m["role"].as_str()),
        (Some(t.org_id.as_str()), Some("member"))
    );
    app.patch(
        &format!("/api/organizations/members/{bob_id}"),
        &t.owner,
        json!({"role": "admin"}),
    )
    .await
    .expect(200);
    app.delete(&format!("/api/organizations/members/{bob_id}"), &t.owner)
        .await
        .expect(204);
    // The current organization belongs to that session only.
    app.get("/api/organizations/members", &t.admin)
        .await
        .problem(409, "no_current_organization");
    // Set by slug works as well.
    app.set_active_org(&t.member, &t.slug).await;
    let page = app
        .get("/api/organizations/members?role=owner", &t.member)
        .await
        .expect(200);
    assert_eq!(ids(&page), [t.owner_id.as_str()]);
}

#[tokio::test]
async fn member_count_follows_adds_and_removes() {
    let app = spawn_app().await;
    let (owner, _) = app.user("owner@x.io").await;
    let org = app.org(&owner, "Solo").await;
    assert_eq!(org["member_count"], 1);
    let id = org["id"].as_str().unwrap();
    let (_, a) = app.user("a@x.io").await;
    let (_, b) = app.user("b@x.io").await;
    app.post(&members(id), &owner, json!({"user_id": a}))
        .await
        .expect(201);
    assert_eq!(app.member_count(&owner, id).await, 2);
    app.post(&members(id), &owner, json!({"user_id": b}))
        .await
        .expect(201);
    assert_eq!(app.member_count(&owner, id).await, 3);
    // A refused add does not count.
    app.post(&members(id), &owner, json!({"user_id": b}))
        .await
        .problem(409, "already_member");
    assert_eq!(app.member_count(&owner, id).await, 3);
    app.delete(&member(id, &a), &owner).await.expect(204);
    assert_eq!(app.member_count(&owner, id).await, 2);
    app.delete(&member(id, &b), &owner).await.expect(204);
    assert_eq!(app.member_count(&owner, id).await, 1);
    let listed = app.get("/api/organizations", &owner).await.expect(200);
    assert_eq!(listed["items"][0]["member_count"], 1);
}

/// The current-organization shorthands (`/api/organizations/members`, `/roles`,
/// `/invitations` and their items) are matched on the path as the router reads it —
/// percent-encoded letters decoded — and only in their own shapes and methods: any other
/// request under `/api/organizations/<word>/…` reaches `{org}`, which finds organizations
/// by name too. What a faster routing of the shorthands must keep.
#[tokio::test]
async fn shorthand_paths_route_as_the_router_reads_them() {
    let app = spawn_app().await;
    let t = app.team("Acme Corp").await;
    app.set_active_org(&t.owner, &t.org_id).await;
    // An organization *named* like a shorthand (its slug cannot be: reserved).
    let named = app.org(&t.owner, "members").await;
    assert_ne!(named["slug"], "members");

    // Encoded letters are the shorthand, as the plain path is.
    for path in ["/api/organizations/members", "/api/organizations/%6Dembers"] {
        let page = app.get(path, &t.owner).await.expect(200);
        assert_eq!(ids(&page), [t.owner_id.as_str(), &t.admin_id, &t.member_id]);
    }
    let roles = app
        .get("/api/organizations/%72oles", &t.owner)
        .await
        .expect(200);
    let theirs = app
        .get(&format!("/api/organizations/{}/roles", t.org_id), &t.owner)
        .await
        .expect(200);
    assert_eq!(roles, theirs);
    let member = format!("/api/organizations/%6Dembers/{}", t.member_id);
    let m = app
        .patch(&member, &t.owner, json!({"role": "admin"}))
        .await
        .expect(200);
    assert_eq!(m["role"], "admin");
    // A method the shorthand's item does not serve is not the shorthand: GET on
    // `/members/{x}` is the members of the organization named `members`.
    let theirs = app
        .get("/api/organizations/members/members", &t.owner)
        .await
        .expect(200);
    assert_eq!(ids(&theirs), [t.owner_id.as_str()]);

    // Deeper paths are the organization named `members`, encoded or not.
    for path in [
        "/api/organizations/members/roles/owner",
        "/api/organizations/%6Dembers/roles/owner",
    ] {
        let role = app.get(path, &t.owner).await.expect(200);
        assert_eq!(role["id"], "owner");
    }
    let check = app
        .post(
            "/api/organizations/members/permissions/check",
            &t.owner,
            json!({"permissions": ["users:update"]}),
        )
        .await
        .expect(200);
    assert_eq!(check["allowed"], true);

    // A trailing slash is neither.
    for path in [
        "/api/organizations/members/",
        "/api/organizations/roles/",
        "/api/organizations/invitations/",
    ] {
        app.get(path, &t.owner).await.expect(404);
    }
}
