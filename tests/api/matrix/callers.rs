//! The callers of the matrix and the target org they are refused by, built once per app.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::routes::{Fixture, Gate, matrix};
use crate::helpers::{PASSWORD, Team, TestApp, id};
use crate::permissions::{CATALOG, api_key};

/// The kinds of caller every org-scoped route must refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Caller {
    /// The owner of another org, whose current org is that one.
    Outsider,
    /// An admin removed from the target org; their session still names it as current.
    FormerMember,
    /// A member whose custom role holds every catalog permission but the gate's (for
    /// membership-gated routes: none at all; for superuser-only ones: the owner), current
    /// org = target.
    Lacking,
    /// The owner's key bound to the target org, scoped to every permission but the gate's
    /// (membership-gated: no scope at all; superuser-only: every scope).
    LackingKey,
    /// A key bound to another org, of a user who owns both.
    OtherOrgKey,
    /// The owner's key, past its expiry.
    ExpiredKey,
    /// The owner's key, deleted.
    RevokedKey,
    /// The owner's session after logout.
    LoggedOut,
    /// An admin's session, past its expiry.
    ExpiredSession,
    NoToken,
    Garbage,
    UnknownSession,
    UnknownKey,
    /// The owner's session token with a character appended.
    Tampered,
    Oversized,
}

impl Caller {
    pub(super) const ALL: [Self; 15] = [
        Self::Outsider,
        Self::FormerMember,
        Self::Lacking,
        Self::LackingKey,
        Self::OtherOrgKey,
        Self::ExpiredKey,
        Self::RevokedKey,
        Self::LoggedOut,
        Self::ExpiredSession,
        Self::NoToken,
        Self::Garbage,
        Self::UnknownSession,
        Self::UnknownKey,
        Self::Tampered,
        Self::Oversized,
    ];

    pub(super) fn unauthenticated(self) -> bool {
        !matches!(
            self,
            Self::Outsider
                | Self::FormerMember
                | Self::Lacking
                | Self::LackingKey
                | Self::OtherOrgKey
        )
    }
}

/// The callers' tokens, built once per app.
pub(super) struct Callers {
    outsider: String,
    former: String,
    other_org_key: String,
    expired_key: String,
    revoked_key: String,
    logged_out: String,
    expired_session: String,
    tampered: String,
    /// Gate key → (member session, owner's key).
    lacking: BTreeMap<&'static str, (String, String)>,
}

impl Callers {
    pub(super) fn token(&self, who: Caller, gate: Gate) -> Option<String> {
        let lacking = || &self.lacking[gate.key()];
        Some(match who {
            Caller::Outsider => self.outsider.clone(),
            Caller::FormerMember => self.former.clone(),
            Caller::Lacking => lacking().0.clone(),
            Caller::LackingKey => lacking().1.clone(),
            Caller::OtherOrgKey => self.other_org_key.clone(),
            Caller::ExpiredKey => self.expired_key.clone(),
            Caller::RevokedKey => self.revoked_key.clone(),
            Caller::LoggedOut => self.logged_out.clone(),
            Caller::ExpiredSession => self.expired_session.clone(),
            Caller::NoToken => return None,
            Caller::Garbage => "garbage".to_owned(),
            Caller::UnknownSession => format!("orgd_s_{}", "0".repeat(43)),
            Caller::UnknownKey => format!("orgd_k_{}", "0".repeat(43)),
            Caller::Tampered => self.tampered.clone(),
            Caller::Oversized => format!("orgd_s_{}", "a".repeat(400)),
        })
    }
}

const TARGET: &str = "Acme Corp";
/// [`TARGET`] as a path segment: its exact name.
pub(super) const TARGET_NAME: &str = "Acme%20Corp";
const PAST: time::OffsetDateTime = time::macros::datetime!(2001-01-01 00:00 UTC);

fn sid(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// Signs `email` up and adds them to `org` with `role`; returns (session, user id).
async fn join(app: &TestApp, owner: &str, org: &str, email: &str, role: &str) -> (String, String) {
    let (token, user) = app.user(email).await;
    app.add_member(owner, org, email, role).await;
    (token, user)
}

/// The permissions `token` holds in `org`, from its permission map.
async fn held(app: &TestApp, token: &str, org: &str) -> BTreeSet<String> {
    let map = app
        .get(&format!("/api/organizations/{org}/permissions"), token)
        .await
        .expect(200);
    map["permissions"]
        .as_object()
        .expect("a permission map")
        .iter()
        .filter(|(_, v)| v.as_bool() == Some(true))
        .map(|(k, _)| k.clone())
        .collect()
}

/// The target org with one of everything the matrix names, the callers, and the strings
/// that must never show in another org's lists.
pub(super) async fn setup(app: &TestApp) -> (Fixture, Callers, Team, Vec<String>) {
    let t = app.team(TARGET).await;
    let o = t.org_id.clone();
    app.set_active_org(&t.owner, &o).await;
    let mut f = Fixture {
        org_id: o.clone(),
        slug: t.slug.clone(),
        member_id: t.member_id.clone(),
        ..Fixture::default()
    };
    for i in 0..3 {
        let email = format!("victim-{i}@acme-corp.test");
        f.victims[i] = join(app, &t.owner, &o, &email, "member").await.1;
        f.newcomers[i] = app.user(&format!("newcomer-{i}@example.test")).await.1;
    }
    let roles = format!("/api/organizations/{o}/roles");
    let role = |name: String, perms: Vec<&str>| {
        let body = json!({"name": name, "permissions": perms});
        let roles = roles.clone();
        let owner = t.owner.clone();
        async move { sid(&app.post(&roles, &owner, body).await.expect(201)) }
    };
    f.role_id = role("matrix target".into(), vec!["audit:read"]).await;
    for i in 0..2 {
        f.doomed[i] = role(format!("doomed {i}"), vec![]).await;
    }
    let invitations = format!("/api/organizations/{o}/invitations");
    let invite = |email: String| {
        let invitations = invitations.clone();
        let owner = t.owner.clone();
        async move {
            let body = json!({"email": email});
            sid(&app.post(&invitations, &owner, body).await.expect(201))
        }
    };
    f.pending = invite("pending@example.test".into()).await;
    for i in 0..2 {
        f.revocable[i] = invite(format!("revocable-{i}@example.test")).await;
    }
    let accepting = app.user("invitee-0@example.test").await.0;
    f.to_accept = (invite("invitee-0@example.test".into()).await, accepting);
    let declining = app.user("invitee-1@example.test").await.0;
    f.to_decline = (invite("invitee-1@example.test".into()).await, declining);

    // The outsider owns Globex and works in it.
    let (outsider, _) = app.user("owner@globex.test").await;
    let globex = sid(&app.org(&outsider, "Globex").await);
    app.set_active_org(&outsider, &globex).await;
    // Dual owns Hooli and is an owner of the target too; their key is bound to Hooli.
    let (dual, dual_id) = app.user("dual@hooli.test").await;
    let hooli = sid(&app.org(&dual, "Hooli").await);
    app.add_member(&t.owner, &o, "dual@hooli.test", "owner")
        .await;
    let other_org_key = api_key(app, &dual, json!({"organization_id": hooli})).await;
    let me = app.get("/api/organizations/me", &other_org_key).await;
    assert_eq!(me.expect(200)["id"], hooli.as_str());
    // A former admin whose session still names the target as current.
    let (former, former_id) = join(app, &t.owner, &o, "former@acme-corp.test", "admin").await;
    app.set_active_org(&former, &o).await;
    app.delete(
        &format!("/api/organizations/{o}/members/{former_id}"),
        &t.owner,
    )
    .await
    .expect(204);

    // Credentials that would be allowed, had they not lapsed.
    let keys = "/api/users/me/api-keys";
    let expiring = app
        .post(
            keys,
            &t.owner,
            json!({"name": "expiring", "expires_at": "2999-01-01T00:00:00Z"}),
        )
        .await
        .expect(201);
    let sql = "UPDATE api_keys SET expires_at = $1 WHERE id = $2";
    assert_eq!(
        app.exec(sql, vec![PAST.into(), id(&sid(&expiring))]).await,
        1
    );
    let revoked = app
        .post(keys, &t.owner, json!({"name": "revoked"}))
        .await
        .expect(201);
    app.delete(&format!("{keys}/{}", sid(&revoked)), &t.owner)
        .await
        .expect(204);
    let logged_out = app.login(&format!("owner@{}.test", t.slug), PASSWORD).await;
    app.post("/api/auth/logout", &logged_out, json!({}))
        .await
        .expect(204);
    let sql = "UPDATE sessions SET expires_at = $1 WHERE user_id = $2";
    assert!(app.exec(sql, vec![PAST.into(), id(&t.admin_id)]).await >= 1);

    // For each gate, a member and a key lacking exactly it.
    let gates: BTreeSet<Gate> = matrix(&f)
        .iter()
        .flat_map(|e| e.cases.iter().map(|c| c.gate))
        .collect();
    let mut lacking = BTreeMap::new();
    for (i, gate) in gates.into_iter().enumerate() {
        if lacking.contains_key(gate.key()) {
            continue;
        }
        let (session, key) = match gate {
            Gate::Superuser => {
                let key = api_key(app, &t.owner, json!({"organization_id": o})).await;
                (t.owner.clone(), key)
            }
            Gate::Perm(_) | Gate::Member | Gate::Addressee => {
                let perms: Vec<&str> = match gate {
                    Gate::Perm(p) => CATALOG.into_iter().filter(|q| *q != p).collect(),
                    _ => vec![],
                };
                let role = role(format!("lacks {}", gate.key()), perms.clone()).await;
                let email = format!("lacks-{i}@acme-corp.test");
                let (session, _) = join(app, &t.owner, &o, &email, &role).await;
                app.set_active_org(&session, &o).await;
                let body = json!({"scopes": perms, "organization_id": o});
                let key = api_key(app, &t.owner, body).await;
                // Exactly the gate is missing.
                let expected: BTreeSet<String> = perms.iter().map(|p| (*p).to_owned()).collect();
                assert_eq!(held(app, &session, &o).await, expected, "{gate:?}");
                assert_eq!(held(app, &key, &o).await, expected, "{gate:?} key");
                (session, key)
            }
        };
        lacking.insert(gate.key(), (session, key));
    }
    let callers = Callers {
        outsider,
        former,
        other_org_key,
        expired_key: expiring["token"].as_str().unwrap().to_owned(),
        revoked_key: revoked["token"].as_str().unwrap().to_owned(),
        logged_out,
        expired_session: t.admin.clone(),
        tampered: format!("{}x", t.owner),
        lacking,
    };

    // What another org's lists must never show: the target's id, slug (in its members'
    // emails too), members, custom roles and invitations.
    let mut secret = vec![o.clone(), t.slug.clone()];
    let page = app
        .get(
            &format!("/api/organizations/{o}/members?limit=100"),
            &t.owner,
        )
        .await
        .expect(200);
    let ids = page["items"].as_array().unwrap().iter();
    secret.extend(ids.map(|m| m["user_id"].as_str().unwrap().to_owned()));
    secret.retain(|s| *s != dual_id);
    let list = app.get(&roles, &t.owner).await.expect(200);
    let custom = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["is_system"] == false);
    secret.extend(custom.map(sid));
    let page = app
        .get(&format!("{invitations}?limit=100"), &t.owner)
        .await
        .expect(200);
    secret.extend(page["items"].as_array().unwrap().iter().map(sid));
    assert!(secret.len() > 20, "{secret:?}");
    (f, callers, t, secret)
}
