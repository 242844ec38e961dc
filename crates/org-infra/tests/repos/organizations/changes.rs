//! Changes to existing organizations: fields, ownership, deletion.
use org_domain::auth::{ApiKey, Session, TokenHash};
use org_domain::organizations::{OrgRef, StatsMethod};
use org_domain::pagination::PageRequest;
use org_domain::permissions::PermissionSet;
use org_domain::roles::{RoleKey, SystemRole};
use uuid::Uuid;

use crate::both;
use crate::code;
use crate::support::{TestDb, allow};

both!(update_fields, transfer_ownership, delete_cascades);

const OWNER: RoleKey = RoleKey::System(SystemRole::Owner);
const ADMIN: RoleKey = RoleKey::System(SystemRole::Admin);
const MEMBER: RoleKey = RoleKey::System(SystemRole::Member);

async fn update_fields(t: &TestDb) {
    let orgs = &t.ports.organizations;
    let u = t.user("u@x.io").await;
    let mut o = t.org(&u, "Acme", "acme").await;
    t.org(&u, "Taken", "taken").await;
    o.name = "Acme Corp".into();
    o.slug = "acme-corp".into();
    o.description = None;
    o.metadata = serde_json::json!({"a": {"b": [true]}});
    o.settings.enforce_2fa = true;
    o.settings.default_experiment_stats_method = StatsMethod::Frequentist;
    o.settings.default_role_id = Some("admin".into());
    o.has_active_subscription = true;
    o.trial_expiry = Some(t.at());
    o.updated = t.at();
    let rows = t.audit_rows().await;
    let ev = t.event(Some(o.id), "organization.updated", o.id);
    orgs.update(&o, u.id, &ev).await.unwrap();
    assert_eq!(t.audit_rows().await, rows + 1);
    let got = orgs
        .access(&OrgRef::Key("acme-corp".into()), u.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.org, o);

    let mut clash = o.clone();
    clash.slug = "taken".into();
    assert_eq!(code(orgs.update(&clash, u.id, &ev).await), "slug_taken");
    let ghost = t.new_org(&u, "Ghost", "ghost");
    assert_eq!(code(orgs.update(&ghost, u.id, &ev).await), "not_found");
    assert_eq!(t.audit_rows().await, rows + 1);
}

async fn transfer_ownership(t: &TestDb) {
    let (orgs, members) = (&t.ports.organizations, &t.ports.members);
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let c = t.user("c@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let ev = t.event(Some(o.id), "member.added", b.id);
    members.add(o.id, b.id, MEMBER, t.at(), &ev).await.unwrap();

    // To a non-member: refused, nothing changes.
    let mut to_c = o.clone();
    to_c.owner = c.public();
    let rows = t.audit_rows().await;
    let ev = t.event(Some(o.id), "organization.ownership_transferred", o.id);
    assert_eq!(code(orgs.update(&to_c, a.id, &ev).await), "not_a_member");
    assert_eq!(t.audit_rows().await, rows);
    let got = orgs.access(&OrgRef::Id(o.id), a.id).await.unwrap().unwrap();
    assert_eq!(
        (got.org.owner.id, got.role.map(|r| r.key)),
        (a.id, Some(OWNER))
    );

    let mut to_b = o.clone();
    to_b.owner = b.public();
    to_b.updated = t.at();
    orgs.update(&to_b, a.id, &ev).await.unwrap();
    assert_eq!(t.audit_rows().await, rows + 1);
    let got = orgs.access(&OrgRef::Id(o.id), a.id).await.unwrap().unwrap();
    assert_eq!(got.org.owner, b.public());
    assert_eq!(got.role.map(|r| r.key), Some(ADMIN));
    assert_eq!(members.get(o.id, b.id).await.unwrap().unwrap().role, OWNER);
    // The old owner is no longer an owner, so the new one is the last.
    let ev = t.event(Some(o.id), "member.role_changed", b.id);
    assert_eq!(
        code(
            members
                .change_role(o.id, b.id, ADMIN, t.at(), &allow(&ev))
                .await
        ),
        "last_owner"
    );
}

async fn delete_cascades(t: &TestDb) {
    let (orgs, members, tokens) = (&t.ports.organizations, &t.ports.members, &t.ports.tokens);
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let keep = t.org(&a, "Keep", "keep").await;
    let ev = t.event(Some(o.id), "member.added", b.id);
    members.add(o.id, b.id, MEMBER, t.at(), &ev).await.unwrap();
    let session = Session {
        id: Uuid::now_v7(),
        user_id: b.id,
        token_hash: TokenHash::of("orgd_s_b"),
        active_organization_id: Some(o.id),
        created: t.at(),
        expires_at: t.at() + time::Duration::days(1),
    };
    tokens.insert_session(&session).await.unwrap();
    let key = ApiKey {
        id: Uuid::now_v7(),
        user_id: b.id,
        name: "bound".into(),
        prefix: "orgd_k_b".into(),
        token_hash: TokenHash::of("orgd_k_bound"),
        scopes: PermissionSet::ALL,
        organization_id: Some(o.id),
        expires_at: None,
        last_used_at: None,
        created: t.at(),
    };
    tokens
        .insert_api_key(&key, &t.event(None, "api_key.created", key.id))
        .await
        .unwrap();

    let rows = t.audit_rows().await;
    let ev = t.event(Some(o.id), "organization.deleted", o.id);
    orgs.delete(o.id, &ev).await.unwrap();
    assert_eq!(t.audit_rows().await, rows + 1);
    assert!(
        orgs.access(&OrgRef::Id(o.id), a.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(members.get(o.id, b.id).await.unwrap().is_none());
    assert!(members.get(o.id, a.id).await.unwrap().is_none());
    assert!(
        tokens
            .find_api_key(&key.token_hash)
            .await
            .unwrap()
            .is_none()
    );
    let (s, _) = tokens
        .find_session(&session.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.active_organization_id, None);
    // The users and the other org stay; the org's audit trail survives it.
    assert!(t.ports.users.find_by_id(b.id).await.unwrap().is_some());
    assert!(members.get(keep.id, a.id).await.unwrap().is_some());
    let trail = t
        .ports
        .audit
        .list(o.id, &Default::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(trail.items[0].action, "organization.deleted");
    assert_eq!(trail.total, 3);

    assert_eq!(code(orgs.delete(o.id, &ev).await), "not_found");
}
