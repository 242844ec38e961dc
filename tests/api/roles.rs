//! Custom roles: CRUD under both prefixes, permission spelling, shadowing, no escalation,
//! deletion with and without `reassign_to`, `default_role_id`, and tenant isolation.
use serde_json::{Value, json};

use crate::helpers::{Team, TestApp, id, spawn_app};

fn roles(org: &str) -> String {
    format!("/api/organizations/{org}/roles")
}

fn role(org: &str, id: &str) -> String {
    format!("/api/organizations/{org}/roles/{id}")
}

/// Creates a role as `token` and returns its JSON.
async fn create(app: &TestApp, token: &str, org: &str, name: &str, perms: &[&str]) -> Value {
    app.post(
        &roles(org),
        token,
        json!({"name": name, "permissions": perms}),
    )
    .await
    .expect(201)
}

/// The listed role whose `id` is `id`.
fn find<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .expect("a role list")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("role {id} listed in {list}"))
}

async fn set_role(app: &TestApp, token: &str, t: &Team, user_id: &str, role: &str) -> Value {
    app.patch(
        &format!("/api/organizations/{}/members/{user_id}", t.org_id),
        token,
        json!({"role": role}),
    )
    .await
    .expect(200)
}

#[tokio::test]
async fn the_system_roles_are_listed_with_their_holders() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let list = app.get(&roles(&t.org_id), &t.member).await.expect(200);
    assert_eq!(list.as_array().unwrap().len(), 3);
    for key in ["owner", "admin", "member"] {
        let r = find(&list, key);
        assert_eq!(r["key"], key);
        assert_eq!(r["is_system"], true);
        assert_eq!(r["member_count"], 1);
        assert!(r["shadowed_by"].is_null());
    }
    assert_eq!(
        find(&list, "member")["permissions"],
        json!([
            "organization:read",
            "users:read",
            "roles:read",
            "entities:read",
            "organization_integration:read",
            "spaces:read"
        ])
    );
    let admin = app
        .get(&role(&t.org_id, "admin"), &t.member)
        .await
        .expect(200);
    assert_eq!(admin["permissions"].as_array().unwrap().len(), 19);
}

#[tokio::test]
async fn permissions_accept_both_spellings_and_are_stored_and_returned_with_colons() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let created = app
        .post(
            &roles(&t.org_id),
            &t.admin,
            json!({"name": "Billing", "description": "Pays the bills",
                   "permissions": ["audit.read", "users:read", "users.read"]}),
        )
        .await
        .expect(201);
    assert_eq!(created["permissions"], json!(["users:read", "audit:read"]));
    assert_eq!(created["is_system"], false);
    assert_eq!(created["key"], created["id"]);
    assert_eq!(created["member_count"], 0);
    assert!(created["shadows"].is_null());
    assert_eq!(created["description"], "Pays the bills");
    let rid = created["id"].as_str().unwrap();
    let stored = app
        .count(
            "SELECT COUNT(*) FROM custom_roles WHERE id = $1 AND CAST(permissions AS TEXT) LIKE '%users:read%' AND CAST(permissions AS TEXT) NOT LIKE '%users.read%'",
            vec![id(rid)],
        )
        .await;
    assert_eq!(stored, 1, "stored in `:` form");
    let list = app.get(&roles(&t.org_id), &t.member).await.expect(200);
    assert_eq!(find(&list, rid)["name"], "Billing");
    let one = app.get(&role(&t.org_id, rid), &t.member).await.expect(200);
    assert_eq!(one, created);
    // The audit trail records it.
    let events = app
        .get(
            &format!(
                "/api/organizations/{}/audit-events?action=role.created",
                t.org_id
            ),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(events["total"], 1);
}

#[tokio::test]
async fn unknown_permissions_and_bad_names_are_422_and_change_nothing() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let before = app.snapshot().await;
    let body = app
        .post(
            &roles(&t.org_id),
            &t.owner,
            json!({"name": "ops", "permissions": ["users:read", "users:fly"]}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "permissions[1]");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("users:fly")
    );
    for bad in [
        json!({"name": "", "permissions": []}),
        json!({"name": "x".repeat(65), "permissions": []}),
        json!({"name": "ops"}),
        json!({"name": "ops", "permissions": [], "color": "red"}),
        json!({"name": "ops", "permissions": "users:read"}),
    ] {
        app.post(&roles(&t.org_id), &t.owner, bad)
            .await
            .problem(422, "validation_failed");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn role_names_are_unique_per_org_regardless_of_case() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let other = app.team("Other").await;
    create(&app, &t.owner, &t.org_id, "Billing", &[]).await;
    let before = app.snapshot().await;
    app.post(
        &roles(&t.org_id),
        &t.owner,
        json!({"name": " billing ", "permissions": []}),
    )
    .await
    .problem(409, "role_name_taken");
    assert_eq!(app.snapshot().await, before);
    // Another org may use the name.
    create(&app, &other.owner, &other.org_id, "billing", &[]).await;
    // A rename onto a taken name is refused too.
    let ops = create(&app, &t.owner, &t.org_id, "ops", &[]).await;
    let before = app.snapshot().await;
    app.patch(
        &role(&t.org_id, ops["id"].as_str().unwrap()),
        &t.owner,
        json!({"name": "BILLING"}),
    )
    .await
    .problem(409, "role_name_taken");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn managing_roles_needs_the_roles_permissions() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let r = create(&app, &t.owner, &t.org_id, "ops", &["users:read"]).await;
    let rid = r["id"].as_str().unwrap();
    let before = app.snapshot().await;
    app.post(
        &roles(&t.org_id),
        &t.member,
        json!({"name": "x", "permissions": []}),
    )
    .await
    .forbidden("roles:create");
    app.patch(&role(&t.org_id, rid), &t.member, json!({"name": "y"}))
        .await
        .forbidden("roles:update");
    app.delete(&role(&t.org_id, rid), &t.member)
        .await
        .forbidden("roles:delete");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn nobody_creates_edits_or_assigns_a_permission_they_do_not_hold() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    // A role manager who may manage roles and members but not read the audit log.
    let manager = create(
        &app,
        &t.owner,
        &t.org_id,
        "role-manager",
        &[
            "organization:read",
            "users:read",
            "users:update",
            "roles:read",
            "roles:create",
            "roles:update",
            "roles:delete",
            "entities:read",
            "spaces:read",
            "organization_integration:read",
        ],
    )
    .await;
    set_role(
        &app,
        &t.owner,
        &t,
        &t.member_id,
        manager["id"].as_str().unwrap(),
    )
    .await;
    let before = app.snapshot().await;
    app.post(
        &roles(&t.org_id),
        &t.member,
        json!({"name": "spy", "permissions": ["audit:read"]}),
    )
    .await
    .forbidden("audit:read");
    // Admins lack organization:delete, so cannot hand it out either.
    app.post(
        &roles(&t.org_id),
        &t.admin,
        json!({"name": "nuke", "permissions": ["organization:delete"]}),
    )
    .await
    .forbidden("organization:delete");
    assert_eq!(app.snapshot().await, before);

    // Within their own permissions they may create and edit…
    let viewer = create(&app, &t.member, &t.org_id, "viewer", &["users:read"]).await;
    let vid = viewer["id"].as_str().unwrap();
    app.user("plain@acme.test").await;
    let plain = app
        .add_member(&t.owner, &t.org_id, "plain@acme.test", "member")
        .await;
    let plain_id = plain["user_id"].as_str().unwrap();
    // …but not widen a role past them,
    app.patch(
        &role(&t.org_id, vid),
        &t.member,
        json!({"permissions": ["users:read", "audit:read"]}),
    )
    .await
    .forbidden("audit:read");
    // nor edit or delete a role carrying more than they hold,
    let auditor = create(&app, &t.owner, &t.org_id, "auditor", &["audit:read"]).await;
    let aid = auditor["id"].as_str().unwrap();
    let before_auditor = app.snapshot().await;
    app.patch(&role(&t.org_id, aid), &t.member, json!({"permissions": []}))
        .await
        .forbidden("audit:read");
    app.delete(&role(&t.org_id, aid), &t.member)
        .await
        .forbidden("audit:read");
    // nor assign it.
    app.patch(
        &format!("/api/organizations/{}/members/{plain_id}", t.org_id),
        &t.member,
        json!({"role": aid}),
    )
    .await
    .forbidden(aid);
    assert_eq!(app.snapshot().await, before_auditor);
    // Assigning a role within their permissions works.
    set_role(&app, &t.member, &t, plain_id, vid).await;
    // Superusers are exempt.
    create(
        &app,
        &app.admin,
        &t.org_id,
        "everything",
        &["organization:delete", "audit:read"],
    )
    .await;
}

#[tokio::test]
async fn a_custom_role_grants_exactly_its_permissions() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let auditor = create(
        &app,
        &t.owner,
        &t.org_id,
        "Auditor",
        &["organization:read", "audit:read"],
    )
    .await;
    let aid = auditor["id"].as_str().unwrap();
    let audit = format!("/api/organizations/{}/audit-events", t.org_id);
    let members = format!("/api/organizations/{}/members", t.org_id);
    app.get(&audit, &t.member).await.problem(403, "forbidden");
    // Assign by name: the membership holds the role's id.
    let m = set_role(&app, &t.owner, &t, &t.member_id, "auditor").await;
    assert_eq!(m["role"], aid);
    app.get(&audit, &t.member).await.expect(200);
    app.get(&members, &t.member).await.problem(403, "forbidden");
    let perms = app
        .get(
            &format!("/api/organizations/{}/permissions", t.org_id),
            &t.member,
        )
        .await
        .expect(200);
    assert_eq!(perms["role"], aid);
    assert_eq!(perms["permissions"]["audit:read"], true);
    assert_eq!(perms["permissions"]["users:read"], false);
    let list = app.get(&roles(&t.org_id), &t.owner).await.expect(200);
    assert_eq!(find(&list, aid)["member_count"], 1);
    assert_eq!(find(&list, "member")["member_count"], 0);
    // Members can be filtered by it, and added with it by id.
    let (_, newcomer) = app.user("new@acme.test").await;
    let added = app
        .add_member(&t.owner, &t.org_id, "new@acme.test", aid)
        .await;
    assert_eq!(added["user_id"], newcomer.as_str());
    let page = app
        .get(&format!("{members}?role={aid}"), &t.owner)
        .await
        .expect(200);
    assert_eq!(page["total"], 2);
    // An unknown role is a 422 and changes nothing.
    let before = app.snapshot().await;
    for unknown in ["wizard", "00000000-0000-0000-0000-000000000001"] {
        app.patch(
            &format!("{members}/{}", t.member_id),
            &t.owner,
            json!({"role": unknown}),
        )
        .await
        .problem(422, "unknown_role");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_role_named_like_a_system_role_shadows_it_until_deleted() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let audit = format!("/api/organizations/{}/audit-events", t.org_id);
    let members = format!("/api/organizations/{}/members", t.org_id);
    app.get(&audit, &t.member).await.problem(403, "forbidden");
    app.get(&members, &t.member).await.expect(200);

    let shadow = create(
        &app,
        &t.owner,
        &t.org_id,
        "Member",
        &["organization:read", "audit:read"],
    )
    .await;
    let sid = shadow["id"].as_str().unwrap();
    assert_eq!(shadow["shadows"], "member");
    assert_eq!(shadow["key"], "member");
    assert_eq!(shadow["member_count"], 1);
    let list = app.get(&roles(&t.org_id), &t.owner).await.expect(200);
    assert_eq!(find(&list, "member")["shadowed_by"], sid);
    // Holders of `member` get the custom permissions from now on, and only those.
    app.get(&audit, &t.member).await.expect(200);
    app.get(&members, &t.member).await.problem(403, "forbidden");
    let check = app
        .post(
            &format!(
                "/api/organizations/{}/permissions/check?explain=true",
                t.org_id
            ),
            &t.owner,
            json!({"permissions": ["audit:read"], "user_id": t.member_id}),
        )
        .await
        .expect(200);
    assert_eq!(check["allowed"], true);
    assert!(check.to_string().contains("custom_role"), "{check}");
    // Their membership still says `member`.
    let m = app
        .get(&format!("{members}?role=member"), &t.owner)
        .await
        .expect(200);
    assert_eq!(m["total"], 1);

    // A rename cannot stop (or start) shadowing.
    let before = app.snapshot().await;
    app.patch(&role(&t.org_id, sid), &t.owner, json!({"name": "auditors"}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(app.snapshot().await, before);
    let ops = create(&app, &t.owner, &t.org_id, "ops", &[]).await;
    let after_ops = app.snapshot().await;
    app.patch(
        &role(&t.org_id, ops["id"].as_str().unwrap()),
        &t.owner,
        json!({"name": "admin"}),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(app.snapshot().await, after_ops);

    // Deleting a shadowing role is allowed while members hold the key: they fall back.
    app.delete(&role(&t.org_id, sid), &t.owner)
        .await
        .expect(204);
    app.get(&audit, &t.member).await.problem(403, "forbidden");
    app.get(&members, &t.member).await.expect(200);
    let list = app.get(&roles(&t.org_id), &t.owner).await.expect(200);
    assert!(find(&list, "member")["shadowed_by"].is_null());
}

#[tokio::test]
async fn shadowing_a_role_needs_its_permissions_and_only_owners_shadow_owner() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let before = app.snapshot().await;
    // An admin may not redefine what owners hold.
    app.post(
        &roles(&t.org_id),
        &t.admin,
        json!({"name": "owner", "permissions": ["users:read"]}),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(app.snapshot().await, before);
    // A narrow role manager cannot reduce admins.
    let manager = create(
        &app,
        &t.owner,
        &t.org_id,
        "mgr",
        &["organization:read", "roles:create", "roles:read"],
    )
    .await;
    set_role(
        &app,
        &t.owner,
        &t,
        &t.member_id,
        manager["id"].as_str().unwrap(),
    )
    .await;
    let before = app.snapshot().await;
    app.post(
        &roles(&t.org_id),
        &t.member,
        json!({"name": "admin", "permissions": ["roles:read"]}),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(app.snapshot().await, before);
    // The owner may.
    let shadow = create(
        &app,
        &t.owner,
        &t.org_id,
        "admin",
        &["organization:read", "users:read"],
    )
    .await;
    assert_eq!(shadow["shadows"], "admin");
    app.get(
        &format!("/api/organizations/{}/audit-events", t.org_id),
        &t.admin,
    )
    .await
    .problem(403, "forbidden");
}

#[tokio::test]
async fn a_role_in_use_is_deleted_only_with_reassign_to() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let ops = create(
        &app,
        &t.owner,
        &t.org_id,
        "ops",
        &["organization:read", "users:read"],
    )
    .await;
    let oid = ops["id"].as_str().unwrap();
    set_role(&app, &t.owner, &t, &t.member_id, oid).await;
    let nuke = create(&app, &t.owner, &t.org_id, "nuke", &["organization:delete"]).await;
    let before = app.snapshot().await;
    let body = app
        .delete(&role(&t.org_id, oid), &t.owner)
        .await
        .problem(409, "role_in_use");
    assert!(body["detail"].as_str().unwrap().contains("reassign_to"));
    app.delete(
        &format!("{}?reassign_to=wizard", role(&t.org_id, oid)),
        &t.owner,
    )
    .await
    .problem(422, "unknown_role");
    app.delete(
        &format!("{}?reassign_to={oid}", role(&t.org_id, oid)),
        &t.owner,
    )
    .await
    .problem(422, "validation_failed");
    // Nobody is made owner in bulk; reassigning beyond the caller is escalation.
    app.delete(
        &format!("{}?reassign_to=owner", role(&t.org_id, oid)),
        &t.owner,
    )
    .await
    .problem(422, "validation_failed");
    app.delete(
        &format!(
            "{}?reassign_to={}",
            role(&t.org_id, oid),
            nuke["id"].as_str().unwrap()
        ),
        &t.admin,
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(app.snapshot().await, before);

    app.delete(
        &format!("{}?reassign_to=admin", role(&t.org_id, oid)),
        &t.owner,
    )
    .await
    .expect(204);
    let page = app
        .get(
            &format!("/api/organizations/{}/members?role=admin", t.org_id),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(page["total"], 2);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM custom_roles WHERE id = $1",
            vec![id(oid)]
        )
        .await,
        0
    );
    app.get(&role(&t.org_id, oid), &t.owner)
        .await
        .problem(404, "not_found");
    // An unused role goes without ceremony.
    let idle = create(&app, &t.owner, &t.org_id, "idle", &[]).await;
    app.delete(&role(&t.org_id, idle["id"].as_str().unwrap()), &t.owner)
        .await
        .expect(204);
}

#[tokio::test]
async fn system_roles_cannot_be_changed_and_unknown_roles_are_404() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let before = app.snapshot().await;
    app.patch(
        &role(&t.org_id, "admin"),
        &t.owner,
        json!({"permissions": []}),
    )
    .await
    .problem(403, "illegal_operation");
    app.delete(&role(&t.org_id, "member"), &t.owner)
        .await
        .problem(403, "illegal_operation");
    for missing in ["00000000-0000-0000-0000-000000000009", "nope"] {
        app.get(&role(&t.org_id, missing), &t.owner)
            .await
            .problem(404, "not_found");
        app.patch(&role(&t.org_id, missing), &t.owner, json!({"name": "x"}))
            .await
            .problem(404, "not_found");
        app.delete(&role(&t.org_id, missing), &t.owner)
            .await
            .problem(404, "not_found");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn default_role_id_must_name_a_role_of_the_org() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let other = app.team("Other").await;
    let foreign = create(&app, &other.owner, &other.org_id, "foreign", &[]).await;
    let org = format!("/api/organizations/{}", t.org_id);
    let before = app.snapshot().await;
    for bad in [json!("owner"), json!("wizard"), foreign["id"].clone()] {
        let body = app
            .patch(
                &org,
                &t.owner,
                json!({"settings": {"default_role_id": bad}}),
            )
            .await
            .problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "settings.default_role_id");
    }
    assert_eq!(app.snapshot().await, before);

    let ops = create(&app, &t.owner, &t.org_id, "ops", &["organization:read"]).await;
    let oid = ops["id"].as_str().unwrap();
    // Named by name, stored as the role's key.
    let patched = app
        .patch(
            &org,
            &t.owner,
            json!({"settings": {"default_role_id": "ops"}}),
        )
        .await
        .expect(200);
    assert_eq!(patched["settings"]["default_role_id"], oid);
    app.user("new@acme.test").await;
    let added = app
        .post(
            &format!("{org}/members"),
            &t.owner,
            json!({"user_email": "new@acme.test"}),
        )
        .await
        .expect(201);
    assert_eq!(added["role"], oid);
    // While it is the default (and held), deleting needs reassign_to; the default moves too.
    app.delete(&role(&t.org_id, oid), &t.owner)
        .await
        .problem(409, "role_in_use");
    app.delete(
        &format!("{}?reassign_to=member", role(&t.org_id, oid)),
        &t.owner,
    )
    .await
    .expect(204);
    let o = app.get(&org, &t.owner).await.expect(200);
    assert_eq!(o["settings"]["default_role_id"], "member");
}

#[tokio::test]
async fn the_shorthand_manages_the_current_organization() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    app.get("/api/organizations/roles", &t.owner)
        .await
        .problem(409, "no_current_organization");
    app.set_active_org(&t.owner, &t.org_id).await;
    let created = app
        .post(
            "/api/organizations/roles",
            &t.owner,
            json!({"name": "ops", "permissions": ["users.read"]}),
        )
        .await
        .expect(201);
    let rid = created["id"].as_str().unwrap();
    let list = app
        .get("/api/organizations/roles", &t.owner)
        .await
        .expect(200);
    assert_eq!(find(&list, rid)["permissions"], json!(["users:read"]));
    let listed = app.get(&roles(&t.slug), &t.owner).await.expect(200);
    assert_eq!(list, listed);
    app.patch(
        &format!("/api/organizations/roles/{rid}"),
        &t.owner,
        json!({"description": "Ops"}),
    )
    .await
    .expect(200);
    app.get(&format!("/api/organizations/roles/{rid}"), &t.owner)
        .await
        .expect(200);
    app.delete(&format!("/api/organizations/roles/{rid}"), &t.owner)
        .await
        .expect(204);
}

#[tokio::test]
async fn another_tenants_roles_are_not_found() {
    let app = spawn_app().await;
    let a = app.team("Alpha").await;
    let b = app.team("Beta").await;
    let ra = create(&app, &a.owner, &a.org_id, "ops", &[]).await;
    let rid = ra["id"].as_str().unwrap();
    let before = app.snapshot().await;
    app.get(&roles(&a.org_id), &b.owner)
        .await
        .problem(404, "not_found");
    app.post(
        &roles(&a.org_id),
        &b.owner,
        json!({"name": "x", "permissions": []}),
    )
    .await
    .problem(404, "not_found");
    // A's role through B's own org: B owns the path, but the role is not B's.
    app.get(&role(&b.org_id, rid), &b.owner)
        .await
        .problem(404, "not_found");
    app.patch(&role(&b.org_id, rid), &b.owner, json!({"name": "mine"}))
        .await
        .problem(404, "not_found");
    app.delete(&role(&b.org_id, rid), &b.owner)
        .await
        .problem(404, "not_found");
    // Nor can B's members be given A's role.
    app.patch(
        &format!("/api/organizations/{}/members/{}", b.org_id, b.member_id),
        &b.owner,
        json!({"role": rid}),
    )
    .await
    .problem(422, "unknown_role");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn expand_roles_lists_custom_roles_too() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let ops = create(&app, &t.owner, &t.org_id, "ops", &["users:read"]).await;
    let org = app
        .get(
            &format!("/api/organizations/{}?expand=roles", t.org_id),
            &t.member,
        )
        .await
        .expect(200);
    let list = &org["roles"];
    assert_eq!(list.as_array().unwrap().len(), 4);
    assert_eq!(
        find(list, ops["id"].as_str().unwrap())["permissions"],
        json!(["users:read"])
    );
}

#[tokio::test]
async fn assigning_a_role_while_it_is_deleted_never_leaves_a_dangling_role() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    for round in 0..5 {
        let r = create(
            &app,
            &t.owner,
            &t.org_id,
            &format!("r{round}"),
            &["users:read"],
        )
        .await;
        let rid = r["id"].as_str().unwrap();
        let member = format!("/api/organizations/{}/members/{}", t.org_id, t.member_id);
        let path = role(&t.org_id, rid);
        let (assign, delete) = tokio::join!(
            app.patch(&member, &app.admin, json!({"role": rid})),
            app.delete(&path, &app.admin),
        );
        match (assign.status.as_u16(), delete.status.as_u16()) {
            // The assignment went first: the role is held, so it stays.
            (200, 409) => {
                delete.problem(409, "role_in_use");
                set_role(&app, &t.owner, &t, &t.member_id, "member").await;
                app.delete(&role(&t.org_id, rid), &t.owner)
                    .await
                    .expect(204);
            }
            // The deletion went first: the role no longer exists.
            (422, 204) => {
                assign.problem(422, "unknown_role");
            }
            other => panic!("round {round}: unexpected outcome {other:?}: {assign:?} {delete:?}"),
        }
        let dangling = app
            .scalar(
                "SELECT COUNT(*) FROM members m WHERE m.role NOT IN ('owner', 'admin', 'member') \
                 AND NOT EXISTS (SELECT 1 FROM custom_roles c WHERE c.role_key = m.role)",
            )
            .await;
        assert_eq!(dangling, 0, "round {round}");
    }
}
