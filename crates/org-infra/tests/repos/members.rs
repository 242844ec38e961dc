use org_domain::members::MemberFilter;
use org_domain::organizations::OrgRef;
use org_domain::pagination::PageRequest;
use org_domain::permissions::Permission;
use org_domain::roles::{RoleKey, SystemRole};
use uuid::Uuid;

use crate::both;
use crate::code;
use crate::support::{TestDb, allow, allow_removal, as_admin, as_member_with};

both!(
    add_change_remove,
    plain_role_changes,
    a_shadowed_key_is_judged_by_its_custom_role,
    last_owner,
    owner_of_record_hand_off,
    a_failed_audit_write_undoes_the_change,
    list_filters
);

const OWNER: RoleKey = RoleKey::System(SystemRole::Owner);
const ADMIN: RoleKey = RoleKey::System(SystemRole::Admin);
const MEMBER: RoleKey = RoleKey::System(SystemRole::Member);

async fn member_count(t: &TestDb, org: Uuid, user: Uuid) -> u64 {
    let access = t
        .ports
        .organizations
        .access(&OrgRef::Id(org), user)
        .await
        .unwrap();
    access.unwrap().org.member_count
}

async fn add_change_remove(t: &TestDb) {
    let m = &t.ports.members;
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let rows = t.audit_rows().await;

    let at = t.at();
    let ev = t.event(Some(o.id), "member.added", b.id);
    let added = m.add(o.id, b.id, MEMBER, at, &ev).await.unwrap();
    assert_eq!(
        (added.user.clone(), added.role, added.created),
        (b.public(), MEMBER, at)
    );
    assert_eq!(m.get(o.id, b.id).await.unwrap(), Some(added));
    assert_eq!(member_count(t, o.id, a.id).await, 2);
    assert_eq!(t.audit_rows().await, rows + 1);

    assert_eq!(
        code(m.add(o.id, b.id, ADMIN, t.at(), &ev).await),
        "already_member"
    );
    assert_eq!(
        code(m.add(Uuid::now_v7(), b.id, ADMIN, t.at(), &ev).await),
        "not_found"
    );
    assert_eq!(member_count(t, o.id, a.id).await, 2);
    assert_eq!(t.audit_rows().await, rows + 1);

    // A custom role key round-trips (creating the role is one more audit row).
    let custom = RoleKey::Custom(t.role(o.id, "Custom", &[]).await.id);
    let rows = rows + 1;
    let at = t.at();
    let ev = t.event(Some(o.id), "member.role_changed", b.id);
    let changed = m
        .change_role(o.id, b.id, custom, at, &allow(&ev))
        .await
        .unwrap();
    assert_eq!((changed.role, changed.updated), (custom, at));
    assert_eq!(m.get(o.id, b.id).await.unwrap().unwrap().role, custom);
    let nobody = Uuid::now_v7();
    assert_eq!(
        code(
            m.change_role(o.id, nobody, ADMIN, t.at(), &allow(&ev))
                .await
        ),
        "not_found"
    );
    assert_eq!(t.audit_rows().await, rows + 2);

    let ev = t.event(Some(o.id), "member.removed", b.id);
    m.remove(o.id, b.id, &allow_removal(&ev)).await.unwrap();
    assert!(m.get(o.id, b.id).await.unwrap().is_none());
    assert_eq!(member_count(t, o.id, a.id).await, 1);
    assert_eq!(
        code(m.remove(o.id, b.id, &allow_removal(&ev)).await),
        "not_found"
    );
    assert_eq!(t.audit_rows().await, rows + 3);
}

/// Changes between `admin` and `member` (on PostgreSQL without the org's lock): the member
/// answered is the member stored, the same role writes nothing, and a refusal is judged
/// on the role held.
async fn plain_role_changes(t: &TestDb) {
    let m = &t.ports.members;
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let ev = t.event(Some(o.id), "member.added", b.id);
    m.add(o.id, b.id, MEMBER, t.at(), &ev).await.unwrap();
    let rows = t.audit_rows().await;

    let at = t.at();
    let ev = t.event(Some(o.id), "member.role_changed", b.id);
    let changed = m
        .change_role(o.id, b.id, ADMIN, at, &allow(&ev))
        .await
        .unwrap();
    assert_eq!((changed.role, changed.updated), (ADMIN, at));
    assert_eq!(m.get(o.id, b.id).await.unwrap(), Some(changed.clone()));
    assert_eq!(t.audit_rows().await, rows + 1);

    // The same role again: nothing written, the member as it is.
    let ev = t.event(Some(o.id), "member.role_changed", b.id);
    let same = m.change_role(o.id, b.id, ADMIN, t.at(), &allow(&ev)).await;
    assert_eq!(same.unwrap(), changed);
    assert_eq!(t.audit_rows().await, rows + 1);

    // A caller who may manage members but not admins cannot take `admin` away.
    let ev = t.event(Some(o.id), "member.role_changed", b.id);
    let narrow = as_member_with(&ev, Permission::UsersUpdate);
    assert_eq!(
        code(m.change_role(o.id, b.id, MEMBER, t.at(), &narrow).await),
        "forbidden"
    );
    assert_eq!(m.get(o.id, b.id).await.unwrap(), Some(changed));
    assert_eq!(t.audit_rows().await, rows + 1);
}

/// A custom role shadowing `admin` with a permission admins lack: an admin cannot give it,
/// although plain `admin` they could — nothing written; an owner can.
async fn a_shadowed_key_is_judged_by_its_custom_role(t: &TestDb) {
    let m = &t.ports.members;
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    t.role(o.id, "Admin", &[Permission::OrganizationDelete])
        .await;
    let ev = t.event(Some(o.id), "member.added", b.id);
    let added = m.add(o.id, b.id, MEMBER, t.at(), &ev).await.unwrap();
    let rows = t.audit_rows().await;

    let ev = t.event(Some(o.id), "member.role_changed", b.id);
    assert_eq!(
        code(
            m.change_role(o.id, b.id, ADMIN, t.at(), &as_admin(&ev))
                .await
        ),
        "forbidden"
    );
    assert_eq!(m.get(o.id, b.id).await.unwrap(), Some(added));
    assert_eq!(t.audit_rows().await, rows);

    let changed = m.change_role(o.id, b.id, ADMIN, t.at(), &allow(&ev)).await;
    assert_eq!(changed.unwrap().role, ADMIN);
    assert_eq!(t.audit_rows().await, rows + 1);
}

async fn last_owner(t: &TestDb) {
    let m = &t.ports.members;
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let rows = t.audit_rows().await;
    let ev = t.event(Some(o.id), "member.role_changed", a.id);
    assert_eq!(
        code(m.change_role(o.id, a.id, ADMIN, t.at(), &allow(&ev)).await),
        "last_owner"
    );
    assert_eq!(
        code(m.remove(o.id, a.id, &allow_removal(&ev)).await),
        "last_owner"
    );
    // Staying owner is not a demotion, and (the same role) writes nothing.
    let same = m
        .change_role(o.id, a.id, OWNER, t.at(), &allow(&ev))
        .await
        .unwrap();
    assert_eq!(same.role, OWNER);
    assert_eq!(t.audit_rows().await, rows);

    let ev = t.event(Some(o.id), "member.added", b.id);
    m.add(o.id, b.id, OWNER, t.at(), &ev).await.unwrap();
    let ev = t.event(Some(o.id), "member.removed", a.id);
    m.remove(o.id, a.id, &allow_removal(&ev)).await.unwrap();
    let ev = t.event(Some(o.id), "member.role_changed", b.id);
    assert_eq!(
        code(m.change_role(o.id, b.id, MEMBER, t.at(), &allow(&ev)).await),
        "last_owner"
    );
    assert_eq!(m.get(o.id, b.id).await.unwrap().unwrap().role, OWNER);
    assert_eq!(member_count(t, o.id, b.id).await, 1);
}

async fn owner_of_record_hand_off(t: &TestDb) {
    let (m, orgs) = (&t.ports.members, &t.ports.organizations);
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let c = t.user("c@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let ev = || t.event(Some(o.id), "member.changed", o.id);
    m.add(o.id, b.id, MEMBER, t.at(), &ev()).await.unwrap();
    m.add(o.id, c.id, OWNER, t.at(), &ev()).await.unwrap();
    // b joined before c but became owner after: seniority is by membership.
    m.change_role(o.id, b.id, OWNER, t.at(), &allow(&ev()))
        .await
        .unwrap();
    let owner_of_record = |user: Uuid| async move {
        let got = orgs.access(&OrgRef::Id(o.id), user).await.unwrap().unwrap();
        got.org.owner.id
    };

    // A non-owner-of-record owner stepping down changes nothing.
    m.change_role(o.id, c.id, ADMIN, t.at(), &allow(&ev()))
        .await
        .unwrap();
    assert_eq!(owner_of_record(a.id).await, a.id);
    m.change_role(o.id, c.id, OWNER, t.at(), &allow(&ev()))
        .await
        .unwrap();

    m.change_role(o.id, a.id, ADMIN, t.at(), &allow(&ev()))
        .await
        .unwrap();
    assert_eq!(owner_of_record(a.id).await, b.id);
    m.remove(o.id, b.id, &allow_removal(&ev())).await.unwrap();
    assert_eq!(owner_of_record(a.id).await, c.id);
    assert_eq!(member_count(t, o.id, a.id).await, 2);
}

/// The change and its audit row are one write (on PostgreSQL one statement): when the
/// audit row cannot be written (here: its id is taken), the change is not made either.
async fn a_failed_audit_write_undoes_the_change(t: &TestDb) {
    let m = &t.ports.members;
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let ev = t.event(Some(o.id), "member.added", b.id);
    let added = m.add(o.id, b.id, MEMBER, t.at(), &ev).await.unwrap();
    let rows = t.audit_rows().await;

    let mut taken = t.event(Some(o.id), "member.role_changed", b.id);
    taken.id = ev.id;
    assert!(
        m.change_role(o.id, b.id, ADMIN, t.at(), &allow(&taken))
            .await
            .is_err()
    );
    assert_eq!(m.get(o.id, b.id).await.unwrap(), Some(added.clone()));

    taken.action = "member.removed".to_owned();
    assert!(m.remove(o.id, b.id, &allow_removal(&taken)).await.is_err());
    assert_eq!(m.get(o.id, b.id).await.unwrap(), Some(added));
    assert_eq!(member_count(t, o.id, a.id).await, 2);
    assert_eq!(t.audit_rows().await, rows);
}

async fn list_filters(t: &TestDb) {
    let m = &t.ports.members;
    let a = t.user("zed@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let mut users = vec![a.clone()];
    for (email, role) in [
        ("bob@x.io", ADMIN),
        ("carol@y.io", MEMBER),
        ("dan_1@y.io", MEMBER),
    ] {
        let u = t.user(email).await;
        let ev = t.event(Some(o.id), "member.added", u.id);
        m.add(o.id, u.id, role, t.at(), &ev).await.unwrap();
        users.push(u);
    }
    let ids = |p: org_domain::pagination::Page<org_domain::members::Member>| {
        p.items.into_iter().map(|m| m.user.id).collect::<Vec<_>>()
    };
    let all = m
        .list(
            o.id,
            &MemberFilter::default(),
            PageRequest::default(),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(all.total, 4);
    // Oldest first.
    assert_eq!(ids(all), users.iter().map(|u| u.id).collect::<Vec<_>>());
    let page = m
        .list(
            o.id,
            &MemberFilter::default(),
            PageRequest::new(2, 1),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(ids(page), vec![users[1].id, users[2].id]);
    // A total the caller already knows is taken as is (no COUNT query).
    let known = m
        .list(
            o.id,
            &MemberFilter::default(),
            PageRequest::new(2, 0),
            Some(42),
            None,
        )
        .await
        .unwrap();
    assert_eq!((known.total, known.items.len()), (42, 2));

    let by = |search: Option<&str>, role: Option<RoleKey>| MemberFilter {
        search: search.map(str::to_owned),
        role,
    };
    let q = |f: MemberFilter| async move {
        ids(m
            .list(o.id, &f, PageRequest::default(), None, None)
            .await
            .unwrap())
    };
    assert_eq!(
        q(by(Some("@Y.IO"), None)).await,
        vec![users[2].id, users[3].id]
    );
    assert_eq!(q(by(Some("user CAROL"), None)).await, vec![users[2].id]);
    assert_eq!(q(by(Some("n_1"), None)).await, vec![users[3].id]);
    assert!(q(by(Some("o_"), None)).await.is_empty());
    assert_eq!(
        q(by(None, Some(MEMBER))).await,
        vec![users[2].id, users[3].id]
    );
    assert_eq!(q(by(Some("y.io"), Some(ADMIN))).await, Vec::<Uuid>::new());
    assert_eq!(q(by(None, Some(OWNER))).await, vec![a.id]);
    // Another org's members are not listed.
    let other = t.org(&users[1], "Other", "other").await;
    let listed = m
        .list(
            other.id,
            &MemberFilter::default(),
            PageRequest::default(),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(ids(listed), vec![users[1].id]);
}
