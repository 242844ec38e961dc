//! Custom roles: storage, shadowing, holders, deletion with reassignment, and the guards
//! that keep memberships and settings from naming a role the org does not have.
use org_domain::DomainError;
use org_domain::invitations::Invitation;
use org_domain::members::Member;
use org_domain::organizations::{OrgRef, Organization};
use org_domain::permissions::Permission as P;
use org_domain::roles::{CustomRole, MemberRole, RoleKey, SystemRole};
use uuid::Uuid;

use crate::both;
use crate::code;
use crate::support::{TestDb, allow};

both!(
    insert_find_and_list,
    update_and_name_clash,
    holders_by_key,
    delete_refused_while_in_use,
    delete_reassigns_everything,
    delete_reassign_to_unknown_role,
    delete_shadowing_role,
    access_loads_custom_grants,
    members_and_settings_need_existing_roles,
);

const OWNER: RoleKey = RoleKey::System(SystemRole::Owner);
const ADMIN: RoleKey = RoleKey::System(SystemRole::Admin);
const MEMBER: RoleKey = RoleKey::System(SystemRole::Member);

async fn insert_find_and_list(t: &TestDb) {
    let roles = &t.ports.roles;
    let u = t.user("u@x.io").await;
    let o = t.org(&u, "Acme", "acme").await;
    let rows = t.audit_rows().await;
    let reviewer = t
        .role(o.id, "Reviewer", &[P::UsersRead, P::AuditRead])
        .await;
    let shadow = t.role(o.id, "Admin", &[P::OrganizationRead]).await;
    let billing = t.role(o.id, "billing", &[]).await;
    assert_eq!(t.audit_rows().await, rows + 3);
    assert_eq!(shadow.shadows, Some(SystemRole::Admin));
    assert_eq!(reviewer.shadows, None);

    // By name_key: "admin" < "billing" < "reviewer".
    assert_eq!(
        roles.list(o.id).await.unwrap(),
        vec![shadow.clone(), billing.clone(), reviewer.clone()]
    );
    assert_eq!(
        roles.get(o.id, reviewer.id).await.unwrap(),
        Some(reviewer.clone())
    );
    let other = t.org(&u, "Other", "other").await;
    assert_eq!(roles.get(other.id, reviewer.id).await.unwrap(), None);
    assert!(roles.list(other.id).await.unwrap().is_empty());

    // A custom role is held by its id, a shadowing one by the system key it shadows.
    let find = |key| roles.find(o.id, key);
    assert_eq!(
        find(RoleKey::Custom(reviewer.id)).await.unwrap(),
        Some(reviewer.clone())
    );
    assert_eq!(find(ADMIN).await.unwrap(), Some(shadow.clone()));
    assert_eq!(find(RoleKey::Custom(shadow.id)).await.unwrap(), None);
    assert_eq!(find(MEMBER).await.unwrap(), None);
    assert_eq!(roles.find(other.id, ADMIN).await.unwrap(), None);

    let by_name = |name: &'static str| roles.find_by_name(o.id, name);
    assert_eq!(by_name(" rEVIEWER ").await.unwrap(), Some(reviewer));
    assert_eq!(by_name("ADMIN").await.unwrap(), Some(shadow));
    assert_eq!(by_name("nobody").await.unwrap(), None);

    // Names are unique per org regardless of case; another org may reuse them.
    let rows = t.audit_rows().await;
    for name in ["REVIEWER", "admin"] {
        let clash = t.new_role(o.id, name, &[]);
        let ev = t.event(Some(o.id), "role.created", clash.id);
        let err = roles.insert(&clash, &ev).await.unwrap_err();
        assert_eq!(err.code(), "role_name_taken");
        assert!(err.to_string().contains(name), "{err}");
    }
    assert_eq!(roles.list(o.id).await.unwrap().len(), 3);
    assert_eq!(t.audit_rows().await, rows);
    t.role(other.id, "Reviewer", &[]).await;
    t.role(other.id, "admin", &[]).await;

    let orphan = t.new_role(Uuid::now_v7(), "Lost", &[]);
    let ev = t.event(None, "role.created", orphan.id);
    assert_eq!(code(roles.insert(&orphan, &ev).await), "not_found");
    let _ = billing;
}

async fn update_and_name_clash(t: &TestDb) {
    let roles = &t.ports.roles;
    let u = t.user("u@x.io").await;
    let o = t.org(&u, "Acme", "acme").await;
    let reviewer = t.role(o.id, "Reviewer", &[P::UsersRead]).await;
    t.role(o.id, "Billing", &[]).await;
    let other = t.org(&u, "Other", "other").await;
    let rows = t.audit_rows().await;

    let changed = CustomRole {
        name: "Auditor".into(),
        description: None,
        permissions: org_domain::permissions::PermissionSet::of(&[P::AuditRead]),
        updated: t.at(),
        ..reviewer.clone()
    };
    let ev = t.event(Some(o.id), "role.updated", reviewer.id);
    roles.update(&changed, &ev).await.unwrap();
    assert_eq!(t.audit_rows().await, rows + 1);
    assert_eq!(
        roles.get(o.id, reviewer.id).await.unwrap(),
        Some(changed.clone())
    );
    assert_eq!(
        roles.find_by_name(o.id, "auditor").await.unwrap(),
        Some(changed.clone())
    );
    assert_eq!(roles.find_by_name(o.id, "reviewer").await.unwrap(), None);

    let clash = CustomRole {
        name: "BILLING".into(),
        ..changed.clone()
    };
    assert_eq!(code(roles.update(&clash, &ev).await), "role_name_taken");
    let ghost = t.new_role(o.id, "Ghost", &[]);
    assert_eq!(code(roles.update(&ghost, &ev).await), "not_found");
    // Another org's role is not reachable through this one.
    let foreign = CustomRole {
        organization_id: other.id,
        ..changed.clone()
    };
    assert_eq!(code(roles.update(&foreign, &ev).await), "not_found");
    assert_eq!(roles.get(o.id, reviewer.id).await.unwrap(), Some(changed));
    assert_eq!(t.audit_rows().await, rows + 1);
}

async fn holders_by_key(t: &TestDb) {
    let m = &t.ports.members;
    let a = t.user("a@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let r = t.role(o.id, "Reviewer", &[]).await;
    let custom = RoleKey::Custom(r.id);
    for (email, role) in [("b@x.io", ADMIN), ("c@x.io", custom), ("d@x.io", custom)] {
        let u = t.user(email).await;
        let ev = t.event(Some(o.id), "member.added", u.id);
        m.add(o.id, u.id, role, t.at(), &ev).await.unwrap();
    }
    let other = t.org(&a, "Other", "other").await;
    let mut got = t.ports.roles.holders(o.id).await.unwrap();
    got.sort_by_key(|(k, _)| k.to_string());
    let mut want = vec![(ADMIN, 1), (OWNER, 1), (custom, 2)];
    want.sort_by_key(|(k, _)| k.to_string());
    assert_eq!(got, want);
    assert_eq!(
        t.ports.roles.holders(other.id).await.unwrap(),
        vec![(OWNER, 1)]
    );
}

/// What the refused writes could have changed: roles, memberships, invitations, the org
/// (settings, member count) and the audit trail.
type Snapshot = (
    Vec<CustomRole>,
    Vec<Option<Member>>,
    Vec<Invitation>,
    Organization,
    u64,
);

async fn snapshot(t: &TestDb, o: Uuid, owner: Uuid, users: &[Uuid]) -> Snapshot {
    let roles = t.ports.roles.list(o).await.unwrap();
    let mut members = Vec::new();
    for u in users {
        members.push(t.ports.members.get(o, *u).await.unwrap());
    }
    let invitations = t
        .ports
        .invitations
        .list(o, &Default::default(), t.at(), Default::default(), None)
        .await
        .unwrap();
    let access = t.ports.organizations.access(&OrgRef::Id(o), owner).await;
    let org = access.unwrap().unwrap().org;
    (roles, members, invitations.items, org, t.audit_rows().await)
}

async fn delete_refused_while_in_use(t: &TestDb) {
    let (roles, orgs) = (&t.ports.roles, &t.ports.organizations);
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let mut o = t.org(&a, "Acme", "acme").await;
    let held = t.role(o.id, "Held", &[]).await;
    let invited = t.role(o.id, "Invited", &[]).await;
    let default = t.role(o.id, "Default", &[]).await;
    let unused = t.role(o.id, "Unused", &[]).await;
    let ev = t.event(Some(o.id), "member.added", b.id);
    t.ports
        .members
        .add(o.id, b.id, RoleKey::Custom(held.id), t.at(), &ev)
        .await
        .unwrap();
    t.invite(o.id, a.id, "new@x.io", RoleKey::Custom(invited.id), None)
        .await;
    o.settings.default_role_id = Some(default.id.to_string());
    o.updated = t.at();
    let ev = t.event(Some(o.id), "organization.updated", o.id);
    orgs.update(&o, a.id, &ev).await.unwrap();

    let before = snapshot(t, o.id, a.id, &[b.id]).await;
    for (role, what) in [
        (&held, "1 member(s)"),
        (&invited, "1 pending invitation(s)"),
        (&default, "default role"),
    ] {
        let ev = t.event(Some(o.id), "role.deleted", role.id);
        let err = roles.delete(role, None, &ev).await.unwrap_err();
        assert_eq!(err.code(), "role_in_use");
        let detail = err.to_string();
        assert!(
            detail.contains(what) && detail.contains("reassign_to"),
            "{detail}"
        );
    }
    assert_eq!(snapshot(t, o.id, a.id, &[b.id]).await, before);

    let rows = t.audit_rows().await;
    let ev = t.event(Some(o.id), "role.deleted", unused.id);
    assert_eq!(roles.delete(&unused, None, &ev).await.unwrap(), 0);
    assert_eq!(roles.get(o.id, unused.id).await.unwrap(), None);
    assert_eq!(t.audit_rows().await, rows + 1);
    assert_eq!(code(roles.delete(&unused, None, &ev).await), "not_found");
    assert_eq!(t.audit_rows().await, rows + 1);
}

async fn delete_reassigns_everything(t: &TestDb) {
    let (roles, members) = (&t.ports.roles, &t.ports.members);
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let c = t.user("c@x.io").await;
    let mut o = t.org(&a, "Acme", "acme").await;
    let old = t.role(o.id, "Old", &[]).await;
    let new = t.role(o.id, "New", &[P::AuditRead]).await;
    let (old_key, new_key) = (RoleKey::Custom(old.id), RoleKey::Custom(new.id));
    for u in [&b, &c] {
        let ev = t.event(Some(o.id), "member.added", u.id);
        members.add(o.id, u.id, old_key, t.at(), &ev).await.unwrap();
    }
    let pending = t.invite(o.id, a.id, "p@x.io", old_key, None).await;
    let other = t.invite(o.id, a.id, "q@x.io", ADMIN, None).await;
    o.settings.default_role_id = Some(old.id.to_string());
    o.updated = t.at();
    let ev = t.event(Some(o.id), "organization.updated", o.id);
    t.ports.organizations.update(&o, a.id, &ev).await.unwrap();
    let rows = t.audit_rows().await;

    let ev = t.event(Some(o.id), "role.deleted", old.id);
    assert_eq!(roles.delete(&old, Some(new_key), &ev).await.unwrap(), 2);
    assert_eq!(t.audit_rows().await, rows + 1);
    assert_eq!(roles.get(o.id, old.id).await.unwrap(), None);
    for u in [&b, &c] {
        let got = members.get(o.id, u.id).await.unwrap().unwrap();
        assert_eq!((got.role, got.updated), (new_key, ev.created));
    }
    assert_eq!(members.get(o.id, a.id).await.unwrap().unwrap().role, OWNER);
    let inv = t.ports.invitations.get(pending.id).await.unwrap().unwrap();
    assert_eq!(
        inv,
        org_domain::invitations::Invitation {
            role: new_key,
            ..pending
        }
    );
    assert_eq!(
        t.ports
            .invitations
            .get(other.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        ADMIN
    );
    let got = t
        .ports
        .organizations
        .access(&OrgRef::Id(o.id), a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.org.settings.default_role_id, Some(new.id.to_string()));

    // To a system role.
    let ev = t.event(Some(o.id), "role.deleted", new.id);
    assert_eq!(roles.delete(&new, Some(MEMBER), &ev).await.unwrap(), 2);
    assert_eq!(members.get(o.id, b.id).await.unwrap().unwrap().role, MEMBER);
    let got = t
        .ports
        .organizations
        .access(&OrgRef::Id(o.id), a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.org.settings.default_role_id, Some("member".to_owned()));
}

async fn delete_reassign_to_unknown_role(t: &TestDb) {
    let roles = &t.ports.roles;
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let old = t.role(o.id, "Old", &[]).await;
    let shadow = t.role(o.id, "Member", &[]).await;
    let foreign = t
        .role(t.org(&a, "Other", "other").await.id, "Elsewhere", &[])
        .await;
    let ev = t.event(Some(o.id), "member.added", b.id);
    t.ports
        .members
        .add(o.id, b.id, RoleKey::Custom(old.id), t.at(), &ev)
        .await
        .unwrap();
    t.invite(o.id, a.id, "p@x.io", RoleKey::Custom(old.id), None)
        .await;
    let before = snapshot(t, o.id, a.id, &[b.id]).await;
    // Gone, the role itself, a shadowing role (held by its system key), another org's.
    for target in [Uuid::now_v7(), old.id, shadow.id, foreign.id] {
        let ev = t.event(Some(o.id), "role.deleted", old.id);
        let r = roles.delete(&old, Some(RoleKey::Custom(target)), &ev).await;
        assert_eq!(code(r), "unknown_role");
    }
    assert_eq!(snapshot(t, o.id, a.id, &[b.id]).await, before);
}

async fn delete_shadowing_role(t: &TestDb) {
    let roles = &t.ports.roles;
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let shadow = t.role(o.id, "Member", &[P::AuditRead]).await;
    let ev = t.event(Some(o.id), "member.added", b.id);
    t.ports
        .members
        .add(o.id, b.id, MEMBER, t.at(), &ev)
        .await
        .unwrap();
    let rows = t.audit_rows().await;
    let ev = t.event(Some(o.id), "role.deleted", shadow.id);
    assert_eq!(roles.delete(&shadow, None, &ev).await.unwrap(), 0);
    assert_eq!(roles.get(o.id, shadow.id).await.unwrap(), None);
    assert_eq!(t.audit_rows().await, rows + 1);
    // The holder keeps the system role, now without the shadow's permissions.
    let got = t
        .ports
        .organizations
        .access(&OrgRef::Id(o.id), b.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.role, Some(MemberRole::system(SystemRole::Member)));
}

async fn access_loads_custom_grants(t: &TestDb) {
    let (orgs, m) = (&t.ports.organizations, &t.ports.members);
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let c = t.user("c@x.io").await;
    let d = t.user("d@x.io").await;
    let stranger = t.user("s@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let shadow = t.role(o.id, "Admin", &[P::AuditRead]).await;
    let custom = t
        .role(o.id, "Reviewer", &[P::UsersRead, P::RolesRead])
        .await;
    // Same keys in another org must not leak into this one.
    let other = t.org(&a, "Other", "other").await;
    t.role(other.id, "member", &[P::OrganizationDelete]).await;
    for (u, role) in [(&b, ADMIN), (&c, RoleKey::Custom(custom.id)), (&d, MEMBER)] {
        let ev = t.event(Some(o.id), "member.added", u.id);
        m.add(o.id, u.id, role, t.at(), &ev).await.unwrap();
    }
    let role_of = |u: Uuid| async move {
        orgs.access(&OrgRef::Id(o.id), u)
            .await
            .unwrap()
            .unwrap()
            .role
    };
    assert_eq!(
        role_of(b.id).await,
        Some(MemberRole {
            key: ADMIN,
            custom: Some(shadow.grant())
        })
    );
    assert_eq!(
        role_of(c.id).await,
        Some(MemberRole {
            key: RoleKey::Custom(custom.id),
            custom: Some(custom.grant())
        })
    );
    assert_eq!(
        role_of(d.id).await,
        Some(MemberRole::system(SystemRole::Member))
    );
    assert_eq!(
        role_of(a.id).await,
        Some(MemberRole::system(SystemRole::Owner))
    );
    assert_eq!(role_of(stranger.id).await, None);
    let by_slug = orgs
        .access(&OrgRef::Key("acme".into()), b.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_slug.role.unwrap().custom, Some(shadow.grant()));
    // Listings still carry the plain key.
    let filter = org_domain::organizations::OrgFilter {
        member_of: Some(c.id),
        ..Default::default()
    };
    let listed = orgs.list(&filter, Default::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].1, Some(RoleKey::Custom(custom.id)));
}

async fn members_and_settings_need_existing_roles(t: &TestDb) {
    let (m, orgs) = (&t.ports.members, &t.ports.organizations);
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let shadow = t.role(o.id, "Admin", &[]).await;
    let foreign = t
        .role(t.org(&a, "Other", "other").await.id, "Elsewhere", &[])
        .await;
    let real = t.role(o.id, "Real", &[]).await;
    let before = snapshot(t, o.id, a.id, &[b.id]).await;
    for id in [Uuid::now_v7(), shadow.id, foreign.id] {
        let ev = t.event(Some(o.id), "member.added", b.id);
        let err = m
            .add(o.id, b.id, RoleKey::Custom(id), t.at(), &ev)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "unknown_role");
        assert!(err.to_string().contains(&id.to_string()));
    }
    assert_eq!(snapshot(t, o.id, a.id, &[b.id]).await, before);

    let ev = t.event(Some(o.id), "member.added", b.id);
    m.add(o.id, b.id, MEMBER, t.at(), &ev).await.unwrap();
    let before = snapshot(t, o.id, a.id, &[b.id]).await;
    let ev = t.event(Some(o.id), "member.role_changed", b.id);
    let missing = RoleKey::Custom(Uuid::now_v7());
    assert_eq!(
        code(
            m.change_role(o.id, b.id, missing, t.at(), &allow(&ev))
                .await
        ),
        "unknown_role"
    );
    assert_eq!(snapshot(t, o.id, a.id, &[b.id]).await, before);
    let at = t.at();
    let got = m
        .change_role(o.id, b.id, RoleKey::Custom(real.id), at, &allow(&ev))
        .await
        .unwrap();
    assert_eq!((got.role, got.updated), (RoleKey::Custom(real.id), at));

    // The default role setting.
    let before = snapshot(t, o.id, a.id, &[b.id]).await;
    let mut changed = o.clone();
    changed.settings.default_role_id = Some(foreign.id.to_string());
    changed.updated = t.at();
    let ev = t.event(Some(o.id), "organization.updated", o.id);
    match orgs.update(&changed, a.id, &ev).await.unwrap_err() {
        DomainError::Validation(errors) => {
            assert_eq!(errors[0].field, "settings.default_role_id");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(snapshot(t, o.id, a.id, &[b.id]).await, before);
    changed.settings.default_role_id = Some(real.id.to_string());
    orgs.update(&changed, a.id, &ev).await.unwrap();
}
