//! Invitations: inviting (permissions, roles, defaults, conflicts), delivery through the
//! outbox with the token stored only as its SHA-256, listing on both sides, resending,
//! revoking, declining, accepting by id or token (exactly one membership, also when two
//! accepts race), expiry, the current-organization shorthand and tenant isolation.
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::helpers::{TestApp, id, spawn_app, spawn_with};

fn invitations(org: &str) -> String {
    format!("/api/organizations/{org}/invitations")
}

fn invitation(org: &str, inv: &str) -> String {
    format!("/api/organizations/{org}/invitations/{inv}")
}

pub(crate) fn accept(inv: &str) -> String {
    format!("/api/invitations/{inv}/accept")
}

fn decline(inv: &str) -> String {
    format!("/api/invitations/{inv}/decline")
}

pub(crate) const ACCEPT_TOKEN: &str = "/api/invitations/accept";

/// Invites `email` (with `role` when given) as `token`; returns the invitation.
pub(crate) async fn invite(
    app: &TestApp,
    token: &str,
    org: &str,
    email: &str,
    role: Option<&str>,
) -> Value {
    let body = match role {
        Some(r) => json!({"email": email, "role": r}),
        None => json!({"email": email}),
    };
    let inv = app.post(&invitations(org), token, body).await.expect(201);
    assert_no_token(&inv);
    inv
}

pub(crate) fn sid(v: &Value) -> &str {
    v["id"].as_str().expect("an id")
}

/// The `orgd_i_…` token in a message: the run of `[A-Za-z0-9_-]` from the prefix on.
fn token_in(text: &str) -> String {
    let start = text.find("orgd_i_").expect("a token in the message");
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// The token of the newest message to `email` in the outbox (read as the superuser).
pub(crate) async fn token_for(app: &TestApp, email: &str) -> String {
    let page = app
        .get("/api/outbox?limit=100", &app.admin)
        .await
        .expect(200);
    let mail = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["to"] == email)
        .unwrap_or_else(|| panic!("a message to {email}: {page}"));
    let token = token_in(mail["body"].as_str().expect("body"));
    assert!(token.len() > "orgd_i_".len() + 20, "a real token: {token}");
    token
}

/// No answer ever carries an invitation token or its hash.
#[track_caller]
fn assert_no_token(v: &Value) {
    let text = v.to_string();
    assert!(
        !text.contains("orgd_i_") && !text.contains("\"token\"") && !text.contains("token_hash"),
        "an answer carries a token: {text}"
    );
}

fn ts(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().expect("a timestamp"), &Rfc3339).expect("RFC 3339")
}

/// The ids of a page, in order.
fn ids(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(sid)
        .collect()
}

/// The org's invitation `inv` as listed to `token`.
async fn listed(app: &TestApp, token: &str, org: &str, inv: &str) -> Value {
    let page = app
        .get(&format!("{}?limit=100", invitations(org)), token)
        .await
        .expect(200);
    assert_no_token(&page);
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == inv)
        .unwrap_or_else(|| panic!("invitation {inv} listed in {page}"))
        .clone()
}

pub(crate) async fn memberships(app: &TestApp, org: &str, user: &str) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM members WHERE organization_id = $1 AND user_id = $2",
        vec![id(org), id(user)],
    )
    .await
}

/// The org's audit events with this action (read as `token`).
async fn events(app: &TestApp, token: &str, org: &str, action: &str) -> Vec<Value> {
    let page = app
        .get(
            &format!("/api/organizations/{org}/audit-events?limit=100&action={action}"),
            token,
        )
        .await
        .expect(200);
    page["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn invite_a_colleague_and_they_accept() {
    // The README walkthrough: the superuser creates Acme Corp, invites Carol as an admin,
    // reads the token from the outbox; Carol signs up, sees and accepts the invitation.
    let app = spawn_app().await;
    let me = app.get("/api/users/me", &app.admin).await.expect(200);
    let admin_id = sid(&me).to_owned();
    let org = app
        .post(
            "/api/organizations",
            &app.admin,
            json!({"name": "Acme Corp", "timezone": "Europe/Berlin"}),
        )
        .await
        .expect(201);
    let org_id = sid(&org).to_owned();
    assert_eq!(org["slug"], "acme-corp");
    let count_before = app.member_count(&app.admin, &org_id).await;

    let inv = invite(
        &app,
        &app.admin,
        "acme-corp",
        "carol@example.com",
        Some("admin"),
    )
    .await;
    let inv_id = sid(&inv).to_owned();
    assert_eq!(inv["organization_id"], org_id.as_str());
    assert_eq!(
        inv["organization"],
        json!({"id": org_id, "name": "Acme Corp", "slug": "acme-corp"})
    );
    assert_eq!(inv["email"], "carol@example.com");
    assert_eq!(inv["role"], "admin");
    assert_eq!(inv["status"], "pending");
    assert!(inv["responded_at"].is_null(), "{inv}");
    assert_eq!(inv["inviter"]["id"], admin_id.as_str());
    assert_eq!(inv["inviter"]["email"], "admin@orgd.test");
    let mut keys: Vec<&str> = inv["inviter"]
        .as_object()
        .expect("inviter")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["avatar_url", "email", "id", "name", "username"]);
    // The default lifetime is seven days.
    let lifetime = ts(&inv["expires_at"]) - ts(&inv["created"]);
    assert!(
        (lifetime - time::Duration::days(7)).abs() < time::Duration::seconds(1),
        "expires after 7 days: {inv}"
    );
    assert!(inv["updated"].is_string(), "{inv}");

    // The message went to the outbox with the token.
    let token = token_for(&app, "carol@example.com").await;
    assert!(token.starts_with("orgd_i_"));

    let (carol, carol_id) = app.user("carol@example.com").await;
    let mine = app
        .get("/api/users/me/invitations", &carol)
        .await
        .expect(200);
    assert_no_token(&mine);
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["id"], inv_id.as_str());
    assert_eq!(mine["items"][0]["status"], "pending");
    assert_eq!(mine["items"][0]["organization"]["name"], "Acme Corp");

    let member = app
        .post(ACCEPT_TOKEN, &carol, json!({"token": token}))
        .await
        .expect(200);
    assert_no_token(&member);
    assert_eq!(member["organization_id"], org_id.as_str());
    assert_eq!(member["user_id"], carol_id.as_str());
    assert_eq!(member["role"], "admin");
    assert_eq!(member["user"]["email"], "carol@example.com");
    assert!(
        member["created"].is_string() && member["updated"].is_string(),
        "{member}"
    );
    assert_eq!(memberships(&app, &org_id, &carol_id).await, 1);
    assert_eq!(
        app.member_count(&app.admin, &org_id).await,
        count_before + 1
    );
    let perms = app
        .get("/api/organizations/acme-corp/permissions", &carol)
        .await
        .expect(200);
    assert_eq!(perms["role"], "admin");
    assert_eq!(perms["permissions"]["users:invite"], true);
    assert_eq!(perms["permissions"]["organization:delete"], false);

    // The invitation is answered, on both sides.
    let answered = listed(&app, &app.admin, &org_id, &inv_id).await;
    assert_eq!(answered["status"], "accepted");
    assert!(answered["responded_at"].is_string(), "{answered}");
    let mine = app
        .get("/api/users/me/invitations?status=accepted", &carol)
        .await
        .expect(200);
    assert_eq!(ids(&mine), [inv_id.as_str()]);

    // Audited: created by the inviter, accepted and joined by Carol.
    let created = events(&app, &app.admin, &org_id, "invitation.created").await;
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["target_id"], inv_id.as_str());
    assert_eq!(created[0]["actor_id"], admin_id.as_str());
    let accepted = events(&app, &app.admin, &org_id, "invitation.accepted").await;
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert_eq!(accepted[0]["target_id"], inv_id.as_str());
    assert_eq!(accepted[0]["actor_id"], carol_id.as_str());
    let added: Vec<Value> = events(&app, &app.admin, &org_id, "member.added")
        .await
        .into_iter()
        .filter(|e| e["target_id"] == carol_id.as_str())
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["actor_id"], carol_id.as_str());

    // Accepting again, either way, is a conflict and changes nothing.
    let before = app.snapshot().await;
    app.post(ACCEPT_TOKEN, &carol, json!({"token": token}))
        .await
        .problem(409, "invitation_already_used");
    app.post(&accept(&inv_id), &carol, json!({}))
        .await
        .problem(409, "invitation_already_used");
    app.post(&decline(&inv_id), &carol, json!({}))
        .await
        .problem(409, "invitation_already_used");
    assert_eq!(app.snapshot().await, before);
    assert_eq!(memberships(&app, &org_id, &carol_id).await, 1);
}

#[tokio::test]
async fn the_token_is_only_in_the_message_and_stored_as_its_sha256() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let queued = app.get("/api/outbox", &app.admin).await.expect(200)["total"]
        .as_i64()
        .expect("total");
    let first = invite(&app, &t.owner, &t.org_id, "ann@example.test", None).await;
    let second = invite(&app, &t.owner, &t.org_id, "ben@example.test", None).await;

    // The outbox: superusers only, newest first, one message per invitation.
    let page = app.get("/api/outbox?limit=2", &app.admin).await.expect(200);
    assert_eq!(page["total"], queued + 2);
    assert_eq!(
        (page["limit"].as_i64(), page["offset"].as_i64()),
        (Some(2), Some(0))
    );
    let tos: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["to"])
        .collect();
    assert_eq!(
        tos,
        [&json!("ben@example.test"), &json!("ann@example.test")]
    );
    let mail = &page["items"][1];
    let mut keys: Vec<&str> = mail
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["body", "created", "id", "subject", "to"]);
    assert!(mail["subject"].as_str().unwrap().contains("Acme"), "{mail}");
    let paged = app
        .get("/api/outbox?limit=1&offset=1", &app.admin)
        .await
        .expect(200);
    assert_eq!(paged["items"][0]["to"], "ann@example.test");
    assert_eq!(
        (paged["total"].as_i64(), paged["limit"].as_i64()),
        (Some(queued + 2), Some(1))
    );
    for token in [&t.owner, &t.admin, &t.member] {
        app.get("/api/outbox", token).await.forbidden("superuser");
    }
    app.call(reqwest::Method::GET, "/api/outbox", None, None)
        .await
        .problem(401, "unauthenticated");

    // Only the SHA-256 of the token is stored.
    let ann = token_for(&app, "ann@example.test").await;
    let ben = token_for(&app, "ben@example.test").await;
    assert_ne!(ann, ben);
    for (inv, token) in [(&first, &ann), (&second, &ben)] {
        let hash = org_domain::auth::TokenHash::of(token).to_hex();
        assert_eq!(hash.len(), 64);
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM invitations WHERE id = $1 AND token_hash = $2",
                vec![id(sid(inv)), hash.into()]
            )
            .await,
            1,
            "token_hash is the SHA-256 hex of the token"
        );
        let secret = &token["orgd_i_".len()..];
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM invitations WHERE token_hash LIKE $1 OR email LIKE $1 OR role LIKE $1",
                vec![format!("%{secret}%").into()]
            )
            .await,
            0,
            "the token itself is stored nowhere"
        );
        if app.is_postgres() {
            // Independently of orgd's own hashing.
            assert_eq!(
                app.count(
                    "SELECT COUNT(*) FROM invitations WHERE id = $1 AND token_hash = encode(sha256(convert_to($2, 'UTF8')), 'hex')",
                    vec![id(sid(inv)), token.clone().into()]
                )
                .await,
                1
            );
        }
    }

    // No listing carries it either.
    let page = app.get(&invitations(&t.org_id), &t.owner).await.expect(200);
    assert_no_token(&page);
    assert_eq!(page["total"], 2);
    let expanded = app
        .get(
            &format!("/api/organizations/{}?expand=invitations", t.org_id),
            &t.owner,
        )
        .await
        .expect(200);
    assert_no_token(&expanded);
    assert_eq!(expanded["invitations"]["total"], 2, "{expanded}");
    // Embedded with the members: the same invitations, and the members listing.
    let both = app
        .get(
            &format!("/api/organizations/{}?expand=members,invitations", t.org_id),
            &t.owner,
        )
        .await
        .expect(200);
    assert_no_token(&both);
    assert_eq!(both["invitations"], expanded["invitations"]);
    let members = app
        .get(
            &format!("/api/organizations/{}/members?limit=100", t.org_id),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(both["members"], members, "{both}");
    let resent = app
        .post(&invitation(&t.org_id, sid(&first)), &t.owner, json!({}))
        .await
        .expect(200);
    assert_no_token(&resent);
}

#[tokio::test]
async fn inviting_needs_users_invite_unless_members_can_invite() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let (stranger, _) = app.user("stranger@example.test").await;

    let before = app.snapshot().await;
    app.post(
        &invitations(&t.org_id),
        &t.member,
        json!({"email": "x@example.test"}),
    )
    .await
    .forbidden("users:invite");
    app.post(
        &invitations(&t.org_id),
        &stranger,
        json!({"email": "x@example.test"}),
    )
    .await
    .problem(404, "not_found");
    // Nobody invites beyond their own role: admins do not invite owners.
    app.post(
        &invitations(&t.org_id),
        &t.admin,
        json!({"email": "x@example.test", "role": "owner"}),
    )
    .await
    .forbidden("owner");
    assert_eq!(app.snapshot().await, before);

    let by_admin = invite(&app, &t.admin, &t.org_id, "a@example.test", Some("admin")).await;
    assert_eq!(by_admin["inviter"]["id"], t.admin_id.as_str());
    let by_owner = invite(&app, &t.owner, &t.org_id, "o@example.test", Some("owner")).await;
    assert_eq!(by_owner["role"], "owner");

    // With members_can_invite, any member invites, though not with a bigger role.
    app.patch(
        &format!("/api/organizations/{}", t.org_id),
        &t.owner,
        json!({"settings": {"members_can_invite": true}}),
    )
    .await
    .expect(200);
    let by_member = invite(&app, &t.member, &t.org_id, "m@example.test", None).await;
    assert_eq!(by_member["role"], "member");
    assert_eq!(by_member["inviter"]["id"], t.member_id.as_str());
    let before = app.snapshot().await;
    for role in ["admin", "owner"] {
        app.post(
            &invitations(&t.org_id),
            &t.member,
            json!({"email": "y@example.test", "role": role}),
        )
        .await
        .forbidden(role);
    }
    // Nor resend an invitation carrying a role beyond their own.
    app.post(&invitation(&t.org_id, sid(&by_admin)), &t.member, json!({}))
        .await
        .forbidden("admin");
    assert_eq!(app.snapshot().await, before);
    app.post(
        &invitation(&t.org_id, sid(&by_member)),
        &t.member,
        json!({}),
    )
    .await
    .expect(200);
    app.delete(&invitation(&t.org_id, sid(&by_member)), &t.member)
        .await
        .expect(204);
}

#[tokio::test]
async fn the_role_defaults_to_the_org_default_and_may_be_custom() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let other = app.team("Other").await;
    let roles = format!("/api/organizations/{}/roles", t.org_id);
    let ops = app
        .post(
            &roles,
            &t.owner,
            json!({"name": "ops", "permissions": ["organization:read", "users:read"]}),
        )
        .await
        .expect(201);
    let ops_id = sid(&ops).to_owned();
    assert_eq!(ops["key"], ops_id.as_str());
    let foreign = app
        .post(
            &format!("/api/organizations/{}/roles", other.org_id),
            &other.owner,
            json!({"name": "foreign", "permissions": []}),
        )
        .await
        .expect(201);

    let plain = invite(&app, &t.owner, &t.org_id, "plain@example.test", None).await;
    assert_eq!(plain["role"], "member");
    let by_name = invite(&app, &t.owner, &t.org_id, "name@example.test", Some("ops")).await;
    assert_eq!(by_name["role"], ops_id.as_str());
    let by_id = invite(
        &app,
        &t.owner,
        &t.org_id,
        "id@example.test",
        Some(ops_id.as_str()),
    )
    .await;
    assert_eq!(by_id["role"], ops_id.as_str());

    let before = app.snapshot().await;
    for bad in ["wizard", sid(&foreign)] {
        app.post(
            &invitations(&t.org_id),
            &t.owner,
            json!({"email": "bad@example.test", "role": bad}),
        )
        .await
        .problem(422, "unknown_role");
    }
    assert_eq!(app.snapshot().await, before);

    // The org's default role applies when none is named.
    app.patch(
        &format!("/api/organizations/{}", t.org_id),
        &t.owner,
        json!({"settings": {"default_role_id": ops_id}}),
    )
    .await
    .expect(200);
    let defaulted = invite(&app, &t.owner, &t.org_id, "dflt@example.test", None).await;
    assert_eq!(defaulted["role"], ops_id.as_str());
    let explicit = invite(
        &app,
        &t.owner,
        &t.org_id,
        "explicit@example.test",
        Some("member"),
    )
    .await;
    assert_eq!(explicit["role"], "member");

    // Accepting gives exactly the invited custom role.
    let (user, user_id) = app.user("name@example.test").await;
    let member = app
        .post(&accept(sid(&by_name)), &user, json!({}))
        .await
        .expect(200);
    assert_eq!(member["role"], ops_id.as_str());
    let perms = app
        .get(
            &format!("/api/organizations/{}/permissions", t.org_id),
            &user,
        )
        .await
        .expect(200);
    assert_eq!(perms["permissions"]["users:read"], true);
    assert_eq!(perms["permissions"]["roles:read"], false);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM members WHERE organization_id = $1 AND user_id = $2 AND role = $3",
            vec![id(&t.org_id), id(&user_id), ops_id.clone().into()]
        )
        .await,
        1
    );
}

#[tokio::test]
async fn pending_duplicates_and_members_are_conflicts() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let other = app.team("Other").await;
    let first = invite(&app, &t.owner, &t.org_id, "Bob@Example.TEST", None).await;
    assert_eq!(first["email"], "bob@example.test", "stored lower-cased");
    let first_id = sid(&first).to_owned();

    let before = app.snapshot().await;
    for email in ["bob@example.test", "BOB@example.test"] {
        let body = app
            .post(
                &invitations(&t.org_id),
                &t.admin,
                json!({"email": email, "role": "admin"}),
            )
            .await
            .problem(409, "invitation_pending");
        assert!(
            body["detail"].as_str().unwrap().contains(&first_id),
            "the detail names the pending invitation: {body}"
        );
    }
    for email in ["member@acme.test", "Admin@Acme.Test", "owner@acme.test"] {
        app.post(&invitations(&t.org_id), &t.owner, json!({"email": email}))
            .await
            .problem(409, "already_member");
    }
    for email in ["not-an-email", "", "a@b"] {
        let body = app
            .post(&invitations(&t.org_id), &t.owner, json!({"email": email}))
            .await
            .problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "email", "{body}");
    }
    assert_eq!(app.snapshot().await, before);

    // Another organization may invite the same address; so may this one once it is revoked.
    invite(&app, &other.owner, &other.org_id, "bob@example.test", None).await;
    app.delete(&invitation(&t.org_id, &first_id), &t.owner)
        .await
        .expect(204);
    let again = invite(&app, &t.owner, &t.org_id, "bob@example.test", None).await;
    assert_ne!(sid(&again), first_id);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM invitations WHERE organization_id = $1",
            vec![id(&t.org_id)]
        )
        .await,
        2
    );
}

#[tokio::test]
async fn org_listing_is_newest_first_filtered_and_paged() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let mut invs = Vec::new();
    for name in ["a", "b", "c", "d"] {
        let inv = invite(&app, &t.owner, &t.org_id, &format!("{name}@x.test"), None).await;
        invs.push(sid(&inv).to_owned());
    }
    let [a, b, c, d] = [&invs[0], &invs[1], &invs[2], &invs[3]];
    let (ua, _) = app.user("a@x.test").await;
    let (ub, _) = app.user("b@x.test").await;
    app.post(&accept(a), &ua, json!({})).await.expect(200);
    app.post(&decline(b), &ub, json!({})).await.expect(204);
    app.delete(&invitation(&t.org_id, c), &t.owner)
        .await
        .expect(204);

    // Members hold users:read and may list.
    let page = app
        .get(&invitations(&t.org_id), &t.member)
        .await
        .expect(200);
    assert_no_token(&page);
    assert_eq!(ids(&page), [d.as_str(), c, b, a]);
    assert_eq!(
        (page["total"].as_i64(), page["offset"].as_i64()),
        (Some(4), Some(0))
    );
    assert!(page["limit"].as_i64().is_some_and(|l| l >= 4), "{page}");
    let p = app
        .get(
            &format!("{}?limit=2&offset=1", invitations(&t.slug)),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(ids(&p), [c.as_str(), b]);
    assert_eq!(
        (
            p["total"].as_i64(),
            p["limit"].as_i64(),
            p["offset"].as_i64()
        ),
        (Some(4), Some(2), Some(1))
    );
    for (status, expected) in [
        ("pending", vec![d.as_str()]),
        ("accepted", vec![a.as_str()]),
        ("declined", vec![b.as_str()]),
        ("revoked", vec![c.as_str()]),
        ("expired", vec![]),
    ] {
        let page = app
            .get(
                &format!("{}?status={status}", invitations(&t.org_id)),
                &t.owner,
            )
            .await
            .expect(200);
        assert_eq!(ids(&page), expected, "status={status}");
        assert_eq!(page["total"], expected.len(), "status={status}");
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["status"], status);
            // Answered ones carry when; the pending one does not.
            assert_eq!(
                item["responded_at"].is_null(),
                status == "pending",
                "{item}"
            );
        }
    }
    let body = app
        .get(
            &format!("{}?status=bogus", invitations(&t.org_id)),
            &t.owner,
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "status", "{body}");

    // Without users:read (a custom role that lacks it), no listing.
    let roles = format!("/api/organizations/{}/roles", t.org_id);
    app.post(
        &roles,
        &t.owner,
        json!({"name": "reader", "permissions": ["organization:read"]}),
    )
    .await
    .expect(201);
    app.patch(
        &format!("/api/organizations/{}/members/{}", t.org_id, t.member_id),
        &t.owner,
        json!({"role": "reader"}),
    )
    .await
    .expect(200);
    app.get(&invitations(&t.org_id), &t.member)
        .await
        .forbidden("users:read");
}

#[tokio::test]
async fn recipients_list_the_invitations_to_their_address() {
    let app = spawn_app().await;
    let a = app.team("Alpha").await;
    let b = app.team("Beta").await;
    let to_a = invite(&app, &a.owner, &a.org_id, "Carol@Example.test", None).await;
    invite(&app, &a.owner, &a.org_id, "dave@example.test", None).await;
    let to_b = invite(
        &app,
        &b.owner,
        &b.org_id,
        "carol@example.test",
        Some("admin"),
    )
    .await;
    let (carol, _) = app.user("carol@example.test").await;
    let (dave, _) = app.user("dave@example.test").await;
    let (nobody, _) = app.user("nobody@example.test").await;

    let mine = app
        .get("/api/users/me/invitations", &carol)
        .await
        .expect(200);
    assert_no_token(&mine);
    assert_eq!(ids(&mine), [sid(&to_b), sid(&to_a)]);
    assert_eq!(mine["total"], 2);
    assert_eq!(mine["items"][0]["organization"]["slug"], b.slug.as_str());
    assert_eq!(mine["items"][0]["role"], "admin");
    assert_eq!(mine["items"][1]["organization_id"], a.org_id.as_str());
    let paged = app
        .get("/api/users/me/invitations?limit=1&offset=1", &carol)
        .await
        .expect(200);
    assert_eq!(ids(&paged), [sid(&to_a)]);
    assert_eq!(
        (paged["total"].as_i64(), paged["limit"].as_i64()),
        (Some(2), Some(1))
    );
    let page = app
        .get("/api/users/me/invitations", &dave)
        .await
        .expect(200);
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["email"], "dave@example.test");
    let page = app
        .get("/api/users/me/invitations", &nobody)
        .await
        .expect(200);
    assert_eq!(
        (page["total"].as_i64(), &page["items"]),
        (Some(0), &json!([]))
    );

    app.post(&decline(sid(&to_a)), &carol, json!({}))
        .await
        .expect(204);
    let pending = app
        .get("/api/users/me/invitations?status=pending", &carol)
        .await
        .expect(200);
    assert_eq!(ids(&pending), [sid(&to_b)]);
    let declined = app
        .get("/api/users/me/invitations?status=declined", &carol)
        .await
        .expect(200);
    assert_eq!(ids(&declined), [sid(&to_a)]);
    let body = app
        .get("/api/users/me/invitations?status=nope", &carol)
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "status", "{body}");
    app.call(
        reqwest::Method::GET,
        "/api/users/me/invitations",
        None,
        None,
    )
    .await
    .problem(401, "unauthenticated");
}

#[tokio::test]
async fn someone_elses_invitation_is_not_for_you() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let inv = invite(&app, &t.owner, &t.org_id, "carol@example.test", None).await;
    let inv_id = sid(&inv).to_owned();
    let token = token_for(&app, "carol@example.test").await;
    let (eve, _) = app.user("eve@example.test").await;
    let (carol, carol_id) = app.user("carol@example.test").await;

    let before = app.snapshot().await;
    for who in [&eve, &t.owner, &t.member] {
        app.post(&accept(&inv_id), who, json!({}))
            .await
            .problem(403, "invitation_not_for_you");
        app.post(ACCEPT_TOKEN, who, json!({"token": token}))
            .await
            .problem(403, "invitation_not_for_you");
        app.post(&decline(&inv_id), who, json!({}))
            .await
            .problem(403, "invitation_not_for_you");
    }
    // Unknown ids and tokens are not found.
    let unknown = uuid::Uuid::new_v4().to_string();
    app.post(&accept(&unknown), &carol, json!({}))
        .await
        .problem(404, "not_found");
    app.post(&decline(&unknown), &carol, json!({}))
        .await
        .problem(404, "not_found");
    app.post(&accept("not-a-uuid"), &carol, json!({}))
        .await
        .problem(404, "not_found");
    for bad in ["orgd_i_doesnotexist", "hello", ""] {
        app.post(ACCEPT_TOKEN, &carol, json!({"token": bad}))
            .await
            .problem(404, "not_found");
    }
    app.call(
        reqwest::Method::POST,
        &accept(&inv_id),
        None,
        Some(json!({})),
    )
    .await
    .problem(401, "unauthenticated");
    assert_eq!(app.snapshot().await, before);

    // "Not for you" comes before the invitation's state is revealed.
    app.delete(&invitation(&t.org_id, &inv_id), &t.owner)
        .await
        .expect(204);
    let before = app.snapshot().await;
    app.post(&accept(&inv_id), &eve, json!({}))
        .await
        .problem(403, "invitation_not_for_you");
    app.post(ACCEPT_TOKEN, &eve, json!({"token": token}))
        .await
        .problem(403, "invitation_not_for_you");
    app.post(&accept(&inv_id), &carol, json!({}))
        .await
        .problem(410, "invitation_revoked");
    assert_eq!(app.snapshot().await, before);
    assert_eq!(memberships(&app, &t.org_id, &carol_id).await, 0);
}

#[tokio::test]
async fn expired_invitations_are_gone_and_do_not_block_new_ones() {
    let app = spawn_with(|c| c.invitation_ttl = Duration::from_millis(1)).await;
    let t = app.team("Acme").await;
    let inv = invite(&app, &t.owner, &t.org_id, "carol@example.test", None).await;
    let inv_id = sid(&inv).to_owned();
    let lifetime = ts(&inv["expires_at"]) - ts(&inv["created"]);
    assert!(
        lifetime < time::Duration::seconds(1),
        "ORGD_INVITATION_TTL applies: {inv}"
    );
    let token = token_for(&app, "carol@example.test").await;
    let (carol, carol_id) = app.user("carol@example.test").await;
    tokio::time::sleep(Duration::from_millis(30)).await;

    let before = app.snapshot().await;
    app.post(&accept(&inv_id), &carol, json!({}))
        .await
        .problem(410, "invitation_expired");
    app.post(ACCEPT_TOKEN, &carol, json!({"token": token}))
        .await
        .problem(410, "invitation_expired");
    app.post(&decline(&inv_id), &carol, json!({}))
        .await
        .problem(410, "invitation_expired");
    assert_eq!(
        listed(&app, &t.owner, &t.org_id, &inv_id).await["status"],
        "expired"
    );
    let expired = app
        .get(
            &format!("{}?status=expired", invitations(&t.org_id)),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(ids(&expired), [inv_id.as_str()]);
    let pending = app
        .get(
            &format!("{}?status=pending", invitations(&t.org_id)),
            &t.owner,
        )
        .await
        .expect(200);
    assert_eq!(pending["total"], 0);
    let mine = app
        .get("/api/users/me/invitations?status=expired", &carol)
        .await
        .expect(200);
    assert_eq!(ids(&mine), [inv_id.as_str()]);
    assert_eq!(app.snapshot().await, before);
    assert_eq!(memberships(&app, &t.org_id, &carol_id).await, 0);

    // An expired invitation does not block a new one for the address.
    let again = invite(&app, &t.owner, &t.org_id, "carol@example.test", None).await;
    assert_ne!(sid(&again), inv_id);
}

#[tokio::test]
async fn resending_gives_a_new_token_and_expiry() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let inv = invite(&app, &t.owner, &t.org_id, "carol@example.test", None).await;
    let inv_id = sid(&inv).to_owned();
    let old = token_for(&app, "carol@example.test").await;
    let (carol, carol_id) = app.user("carol@example.test").await;

    // Expire it (as if a week went by): it cannot be accepted, but it can be resent.
    let past = time::macros::datetime!(2001-01-01 00:00 UTC);
    assert_eq!(
        app.exec(
            "UPDATE invitations SET expires_at = $1 WHERE id = $2",
            vec![past.into(), id(&inv_id)]
        )
        .await,
        1
    );
    app.post(&accept(&inv_id), &carol, json!({}))
        .await
        .problem(410, "invitation_expired");

    let resent = app
        .post(&invitation(&t.org_id, &inv_id), &t.admin, json!({}))
        .await
        .expect(200);
    assert_no_token(&resent);
    assert_eq!(resent["id"], inv_id.as_str());
    assert_eq!(resent["status"], "pending");
    assert_eq!(resent["email"], "carol@example.test");
    assert_eq!(resent["role"], "member");
    let expiry = ts(&resent["expires_at"]);
    let week = OffsetDateTime::now_utc() + time::Duration::days(7);
    assert!(
        (expiry - week).abs() < time::Duration::minutes(1),
        "a fresh 7-day expiry: {resent}"
    );
    assert!(ts(&resent["updated"]) > ts(&inv["updated"]), "{resent}");
    let new = token_for(&app, "carol@example.test").await;
    assert_ne!(new, old);
    let mails = app
        .count(
            "SELECT COUNT(*) FROM outbox WHERE recipient = $1",
            vec!["carol@example.test".into()],
        )
        .await;
    assert_eq!(mails, 2, "a second message went out");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM invitations WHERE id = $1 AND token_hash = $2",
            vec![
                id(&inv_id),
                org_domain::auth::TokenHash::of(&new).to_hex().into()
            ]
        )
        .await,
        1
    );
    assert_eq!(
        events(&app, &t.owner, &t.org_id, "invitation.resent")
            .await
            .len(),
        1
    );

    // The old token stopped working; the new one works.
    let before = app.snapshot().await;
    app.post(ACCEPT_TOKEN, &carol, json!({"token": old}))
        .await
        .problem(404, "not_found");
    assert_eq!(app.snapshot().await, before);
    let member = app
        .post(ACCEPT_TOKEN, &carol, json!({"token": new}))
        .await
        .expect(200);
    assert_eq!(member["user_id"], carol_id.as_str());

    // Answered invitations cannot be resent.
    let declined = invite(&app, &t.owner, &t.org_id, "dan@example.test", None).await;
    let revoked = invite(&app, &t.owner, &t.org_id, "erin@example.test", None).await;
    let (dan, _) = app.user("dan@example.test").await;
    app.post(&decline(sid(&declined)), &dan, json!({}))
        .await
        .expect(204);
    app.delete(&invitation(&t.org_id, sid(&revoked)), &t.owner)
        .await
        .expect(204);
    let before = app.snapshot().await;
    app.post(&invitation(&t.org_id, &inv_id), &t.owner, json!({}))
        .await
        .problem(409, "invitation_already_used");
    app.post(&invitation(&t.org_id, sid(&declined)), &t.owner, json!({}))
        .await
        .problem(409, "invitation_declined");
    app.post(&invitation(&t.org_id, sid(&revoked)), &t.owner, json!({}))
        .await
        .problem(410, "invitation_revoked");
    assert_eq!(app.snapshot().await, before);

    // Nor is an expired one revived while a newer invitation for the address is pending.
    let stale = invite(&app, &t.owner, &t.org_id, "fay@example.test", None).await;
    app.exec(
        "UPDATE invitations SET expires_at = $1 WHERE id = $2",
        vec![past.into(), id(sid(&stale))],
    )
    .await;
    let fresh = invite(&app, &t.owner, &t.org_id, "fay@example.test", None).await;
    let before = app.snapshot().await;
    let body = app
        .post(&invitation(&t.org_id, sid(&stale)), &t.owner, json!({}))
        .await
        .problem(409, "invitation_pending");
    assert!(
        body["detail"].as_str().unwrap().contains(sid(&fresh)),
        "the detail names the pending invitation: {body}"
    );
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn revoking_is_idempotent_and_final() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let inv = invite(&app, &t.owner, &t.org_id, "carol@example.test", None).await;
    let inv_id = sid(&inv).to_owned();
    let token = token_for(&app, "carol@example.test").await;
    let (carol, carol_id) = app.user("carol@example.test").await;

    app.delete(&invitation(&t.org_id, &inv_id), &t.admin)
        .await
        .expect(204);
    let revoked = listed(&app, &t.owner, &t.org_id, &inv_id).await;
    assert_eq!(revoked["status"], "revoked");
    assert!(revoked["responded_at"].is_string(), "{revoked}");
    assert_eq!(
        events(&app, &t.owner, &t.org_id, "invitation.revoked")
            .await
            .len(),
        1
    );

    let before = app.snapshot().await;
    app.delete(&invitation(&t.org_id, &inv_id), &t.owner)
        .await
        .expect(204);
    assert_eq!(
        app.snapshot().await,
        before,
        "revoking again changes nothing"
    );
    app.post(&accept(&inv_id), &carol, json!({}))
        .await
        .problem(410, "invitation_revoked");
    app.post(ACCEPT_TOKEN, &carol, json!({"token": token}))
        .await
        .problem(410, "invitation_revoked");
    app.post(&decline(&inv_id), &carol, json!({}))
        .await
        .problem(410, "invitation_revoked");
    // Revoking needs users:invite.
    app.delete(&invitation(&t.org_id, &inv_id), &t.member)
        .await
        .forbidden("users:invite");
    assert_eq!(app.snapshot().await, before);
    assert_eq!(memberships(&app, &t.org_id, &carol_id).await, 0);

    // Accepted and declined invitations cannot be revoked.
    let accepted = invite(&app, &t.owner, &t.org_id, "carol@example.test", None).await;
    app.post(&accept(sid(&accepted)), &carol, json!({}))
        .await
        .expect(200);
    let declined = invite(&app, &t.owner, &t.org_id, "dan@example.test", None).await;
    let (dan, _) = app.user("dan@example.test").await;
    app.post(&decline(sid(&declined)), &dan, json!({}))
        .await
        .expect(204);
    let before = app.snapshot().await;
    app.delete(&invitation(&t.org_id, sid(&accepted)), &t.owner)
        .await
        .problem(409, "invitation_already_used");
    app.delete(&invitation(&t.org_id, sid(&declined)), &t.owner)
        .await
        .problem(409, "invitation_declined");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn declining_changes_only_the_invitation() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let inv = invite(&app, &t.owner, &t.org_id, "carol@example.test", None).await;
    let inv_id = sid(&inv).to_owned();
    let token = token_for(&app, "carol@example.test").await;
    let (carol, carol_id) = app.user("carol@example.test").await;
    let count = app.member_count(&t.owner, &t.org_id).await;

    app.post(&decline(&inv_id), &carol, json!({}))
        .await
        .expect(204);
    let declined = listed(&app, &t.owner, &t.org_id, &inv_id).await;
    assert_eq!(declined["status"], "declined");
    assert!(declined["responded_at"].is_string(), "{declined}");
    assert_eq!(memberships(&app, &t.org_id, &carol_id).await, 0);
    assert_eq!(app.member_count(&t.owner, &t.org_id).await, count);
    let ev = events(&app, &t.owner, &t.org_id, "invitation.declined").await;
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["actor_id"], carol_id.as_str());

    let before = app.snapshot().await;
    app.post(&decline(&inv_id), &carol, json!({}))
        .await
        .problem(409, "invitation_declined");
    app.post(&accept(&inv_id), &carol, json!({}))
        .await
        .problem(409, "invitation_declined");
    app.post(ACCEPT_TOKEN, &carol, json!({"token": token}))
        .await
        .problem(409, "invitation_declined");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn accepting_when_already_a_member_is_a_conflict() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let inv = invite(
        &app,
        &t.owner,
        &t.org_id,
        "carol@example.test",
        Some("admin"),
    )
    .await;
    let inv_id = sid(&inv).to_owned();
    let token = token_for(&app, "carol@example.test").await;
    let (carol, carol_id) = app.user("carol@example.test").await;
    // Added directly while the invitation was pending.
    app.add_member(&t.owner, &t.org_id, "carol@example.test", "member")
        .await;

    let before = app.snapshot().await;
    app.post(&accept(&inv_id), &carol, json!({}))
        .await
        .problem(409, "already_member");
    app.post(ACCEPT_TOKEN, &carol, json!({"token": token}))
        .await
        .problem(409, "already_member");
    assert_eq!(app.snapshot().await, before);
    assert_eq!(memberships(&app, &t.org_id, &carol_id).await, 1);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM members WHERE organization_id = $1 AND user_id = $2 AND role = 'member'",
            vec![id(&t.org_id), id(&carol_id)]
        )
        .await,
        1,
        "the role is unchanged"
    );
    assert_eq!(
        listed(&app, &t.owner, &t.org_id, &inv_id).await["status"],
        "pending"
    );
}

#[tokio::test]
async fn the_shorthand_uses_the_current_organization() {
    let app = spawn_app().await;
    let t = app.team("Acme").await;
    let other = app.team("Other").await;
    let foreign = invite(&app, &other.owner, &other.org_id, "f@example.test", None).await;
    const SHORT: &str = "/api/organizations/invitations";

    let before = app.snapshot().await;
    app.get(SHORT, &t.owner)
        .await
        .problem(409, "no_current_organization");
    app.post(SHORT, &t.owner, json!({"email": "x@example.test"}))
        .await
        .problem(409, "no_current_organization");
    assert_eq!(app.snapshot().await, before);

    app.set_active_org(&t.owner, &t.org_id).await;
    let inv = app
        .post(SHORT, &t.owner, json!({"email": "carol@example.test"}))
        .await
        .expect(201);
    assert_no_token(&inv);
    assert_eq!(inv["organization_id"], t.org_id.as_str());
    let list = app.get(SHORT, &t.owner).await.expect(200);
    assert_eq!(ids(&list), [sid(&inv)]);
    let canonical = app.get(&invitations(&t.slug), &t.owner).await.expect(200);
    assert_eq!(list, canonical);
    let pending = app
        .get(&format!("{SHORT}?status=pending"), &t.owner)
        .await
        .expect(200);
    assert_eq!(pending["total"], 1);

    let inv_path = format!("{SHORT}/{}", sid(&inv));
    app.post(&inv_path, &t.owner, json!({})).await.expect(200);
    // Another org's invitation is not found through the shorthand.
    let before = app.snapshot().await;
    let foreign_path = format!("{SHORT}/{}", sid(&foreign));
    app.post(&foreign_path, &t.owner, json!({}))
        .await
        .problem(404, "not_found");
    app.delete(&foreign_path, &t.owner)
        .await
        .problem(404, "not_found");
    assert_eq!(app.snapshot().await, before);
    app.delete(&inv_path, &t.owner).await.expect(204);
    assert_eq!(
        listed(&app, &t.owner, &t.org_id, sid(&inv)).await["status"],
        "revoked"
    );
}

#[tokio::test]
async fn another_tenants_invitations_are_not_found() {
    let app = spawn_app().await;
    let a = app.team("Alpha").await;
    let b = app.team("Beta").await;
    let inv = invite(&app, &a.owner, &a.org_id, "carol@example.test", None).await;
    let inv_id = sid(&inv).to_owned();

    let before = app.snapshot().await;
    // B's owner, on A's paths.
    app.get(&invitations(&a.org_id), &b.owner)
        .await
        .problem(404, "not_found");
    app.post(
        &invitations(&a.slug),
        &b.owner,
        json!({"email": "x@example.test"}),
    )
    .await
    .problem(404, "not_found");
    app.post(&invitation(&a.org_id, &inv_id), &b.owner, json!({}))
        .await
        .problem(404, "not_found");
    app.delete(&invitation(&a.org_id, &inv_id), &b.owner)
        .await
        .problem(404, "not_found");
    // A's invitation through B's own paths.
    app.post(&invitation(&b.org_id, &inv_id), &b.owner, json!({}))
        .await
        .problem(404, "not_found");
    app.delete(&invitation(&b.org_id, &inv_id), &b.owner)
        .await
        .problem(404, "not_found");
    let unknown = uuid::Uuid::new_v4().to_string();
    app.post(&invitation(&a.org_id, &unknown), &a.owner, json!({}))
        .await
        .problem(404, "not_found");
    app.delete(&invitation(&a.org_id, "not-a-uuid"), &a.owner)
        .await
        .problem(404, "not_found");
    assert_eq!(app.snapshot().await, before);
    let page = app.get(&invitations(&b.org_id), &b.owner).await.expect(200);
    assert_eq!(page["total"], 0);
    assert_eq!(
        listed(&app, &a.owner, &a.org_id, &inv_id).await["status"],
        "pending"
    );
}

#[tokio::test]
async fn concurrent_accepts_create_one_membership() {
    let app = spawn_app().await;
    let t = app.team("Race").await;
    for round in 0..5 {
        // Invited with a capitalized address, signed up in lower case.
        let inv = invite(
            &app,
            &t.owner,
            &t.org_id,
            &format!("Guest{round}@Example.test"),
            None,
        )
        .await;
        let email = format!("guest{round}@example.test");
        let token = token_for(&app, &email).await;
        let (guest, guest_id) = app.user(&email).await;
        let by_id = accept(sid(&inv));
        let (x, y) = tokio::join!(
            app.post(&by_id, &guest, json!({})),
            app.post(ACCEPT_TOKEN, &guest, json!({"token": token})),
        );
        let mut statuses = [x.status.as_u16(), y.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}: {x:?} {y:?}");
        let (winner, loser) = if x.status == 200 { (x, y) } else { (y, x) };
        loser.problem(409, "invitation_already_used");
        assert_eq!(winner.body["user_id"], guest_id.as_str());
        assert_eq!(
            memberships(&app, &t.org_id, &guest_id).await,
            1,
            "round {round}"
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'invitation.accepted' AND target_id = $1",
                vec![sid(&inv).to_owned().into()]
            )
            .await,
            1,
            "round {round}"
        );
        let actual = app
            .count(
                "SELECT COUNT(*) FROM members WHERE organization_id = $1",
                vec![id(&t.org_id)],
            )
            .await;
        assert_eq!(
            app.member_count(&t.owner, &t.org_id).await,
            actual,
            "round {round}: member_count stays true"
        );
        assert_eq!(actual, 3 + i64::from(round) + 1, "round {round}");
    }
}
