//! Concurrent requests against the multi-row invariants: on PostgreSQL (when configured)
//! and on a SQLite file with a real connection pool.
use org_domain::DomainError;
use org_domain::organizations::OrgRef;
use org_domain::permissions::Permission;
use org_domain::roles::{RoleKey, SystemRole};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use crate::support::{TestDb, allow, allow_removal, as_admin, as_member_with, removal};

const OWNER: RoleKey = RoleKey::System(SystemRole::Owner);
const ADMIN: RoleKey = RoleKey::System(SystemRole::Admin);
const MEMBER: RoleKey = RoleKey::System(SystemRole::Member);

macro_rules! races {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(t) = $crate::support::TestDb::postgres().await else {
                    eprintln!("ORGD_TEST_DATABASE_URL not set: skipped");
                    return;
                };
                super::$name(&t).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_file() {
                super::$name(&$crate::support::TestDb::sqlite_file().await).await;
            }
        }
    )*};
}

races!(
    demoting_both_owners,
    removing_and_demoting_owners,
    promoting_while_an_admin_changes_the_role,
    promoting_while_an_admin_removes,
    promoting_one_member_twice,
    narrowing_while_an_owner_promotes,
    removing_while_an_owner_promotes,
    creating_past_the_limit,
    accepting_one_invitation_twice,
    changing_many_members_of_one_org,
);

/// Two owners demote each other at once: exactly one wins, one owner remains.
async fn demoting_both_owners(t: &TestDb) {
    let m = &t.ports.members;
    for round in 0..5 {
        let a = t.user(&format!("a{round}@x.io")).await;
        let b = t.user(&format!("b{round}@x.io")).await;
        let o = t.org(&a, "Race", &format!("race-{round}")).await;
        let ev = t.event(Some(o.id), "member.added", b.id);
        m.add(o.id, b.id, OWNER, t.at(), &ev).await.unwrap();
        let (ea, eb) = (
            t.event(Some(o.id), "x", a.id),
            t.event(Some(o.id), "x", b.id),
        );
        let (rules_a, rules_b) = (allow(&ea), allow(&eb));
        let (ra, rb) = tokio::join!(
            m.change_role(o.id, a.id, ADMIN, t.at(), &rules_a),
            m.change_role(o.id, b.id, ADMIN, t.at(), &rules_b),
        );
        assert_one_won(ra.map(drop), rb.map(drop));
        assert_one_owner(t, o.id, a.id).await;
    }
}

/// A new org (owner `a{round}`) with `x{round}` as a plain member: (org, member).
async fn org_with_member(t: &TestDb, round: usize) -> (Uuid, Uuid) {
    let a = t.user(&format!("a{round}@x.io")).await;
    let x = t.user(&format!("x{round}@x.io")).await;
    let o = t.org(&a, "Race", &format!("race-{round}")).await;
    let ev = t.event(Some(o.id), "member.added", x.id);
    t.ports
        .members
        .add(o.id, x.id, MEMBER, t.at(), &ev)
        .await
        .unwrap();
    (o.id, x.id)
}

/// Eight members of one org change roles at once, each in its own transaction: every
/// transaction raises the org's listing version once — while the counter exists (the
/// triggers' `UPDATE`, waiting for each other's row lock, migration 7) and when none of
/// them finds it (each falls back to the upsert, and all but the first insert raise what
/// a concurrent one inserted).
async fn changing_many_members_of_one_org(t: &TestDb) {
    let m = &t.ports.members;
    let owner = t.user("owner@x.io").await;
    let o = t.org(&owner, "Busy", "busy").await;
    let mut users = Vec::new();
    for i in 0..8 {
        let u = t.user(&format!("m{i}@x.io")).await;
        t.member(o.id, u.id, MEMBER).await;
        users.push(u.id);
    }
    let db = t.db.connection();
    let backend = db.get_database_backend();
    let forget = match backend {
        DbBackend::Postgres => "DELETE FROM org_versions WHERE organization_id = $1",
        _ => "DELETE FROM org_versions WHERE organization_id = ?",
    };
    for (role, forgotten) in [(ADMIN, false), (MEMBER, false), (ADMIN, true)] {
        if forgotten {
            let forget = Statement::from_sql_and_values(backend, forget, [o.id.into()]);
            assert_eq!(db.execute_raw(forget).await.unwrap().rows_affected(), 1);
        }
        let before = t.org_version(o.id).await;
        let rules: Vec<_> = users
            .iter()
            .map(|u| allow(&t.event(Some(o.id), "member.role_changed", *u)))
            .collect();
        let changes = users
            .iter()
            .zip(&rules)
            .map(|(u, r)| m.change_role(o.id, *u, role, t.at(), r));
        for changed in futures::future::join_all(changes).await {
            assert_eq!(changed.unwrap().role, role);
        }
        assert_eq!(
            t.org_version(o.id).await,
            before + 8,
            "eight transactions, counter deleted first: {forgotten}"
        );
    }
}

/// An owner promotes a member to owner while an admin changes the same member's role: the
/// admin's rules are judged on the role found under the lock, so an admin never unmakes
/// the new owner — the member ends an owner whichever request ran first.
async fn promoting_while_an_admin_changes_the_role(t: &TestDb) {
    let m = &t.ports.members;
    for round in 0..5 {
        let (o, x) = org_with_member(t, round).await;
        let promote = allow(&t.event(Some(o), "x", x));
        let by_admin = as_admin(&t.event(Some(o), "x", x));
        let (rp, ra) = tokio::join!(
            m.change_role(o, x, OWNER, t.at(), &promote),
            m.change_role(o, x, ADMIN, t.at(), &by_admin),
        );
        rp.unwrap();
        if let Err(e) = ra {
            assert_eq!(e.code(), "forbidden", "the admin lost the race: {e}");
        }
        assert_eq!(m.get(o, x).await.unwrap().unwrap().role, OWNER);
    }
}

/// An owner promotes a member to owner while an admin removes that member: never both —
/// either the removal came first (the promotion finds no member) or the admin is refused.
async fn promoting_while_an_admin_removes(t: &TestDb) {
    let m = &t.ports.members;
    for round in 0..5 {
        let (o, x) = org_with_member(t, round).await;
        let promote = allow(&t.event(Some(o), "x", x));
        let by_admin = removal(as_admin(&t.event(Some(o), "x", x)));
        let (rp, rr) = tokio::join!(
            m.change_role(o, x, OWNER, t.at(), &promote),
            m.remove(o, x, &by_admin),
        );
        match (rp, rr) {
            (Ok(_), Err(e)) => assert_eq!(e.code(), "forbidden"),
            (Err(e), Ok(())) => assert_eq!(e.code(), "not_found"),
            (p, r) => panic!("promotion {p:?}, removal {r:?}: exactly one must win"),
        }
    }
}

/// Two owners make the same member an admin at once (the change PostgreSQL makes without
/// the org's lock, a compare-and-set): one changes the role, the other finds it done —
/// one audit row, never two claiming the same `member → admin`.
async fn promoting_one_member_twice(t: &TestDb) {
    let m = &t.ports.members;
    for round in 0..10 {
        let (o, x) = org_with_member(t, round).await;
        let rows = t.audit_rows().await;
        let (e1, e2) = (t.event(Some(o), "x", x), t.event(Some(o), "x", x));
        let (r1, r2) = (allow(&e1), allow(&e2));
        let (a, b) = tokio::join!(
            m.change_role(o, x, ADMIN, t.at(), &r1),
            m.change_role(o, x, ADMIN, t.at(), &r2),
        );
        assert_eq!((a.unwrap().role, b.unwrap().role), (ADMIN, ADMIN));
        assert_eq!(t.audit_rows().await, rows + 1);
        assert_eq!(m.get(o, x).await.unwrap().unwrap().role, ADMIN);
    }
}

/// A caller who may manage `member`s but not `admin`s moves a member to a custom role (a
/// change judged under the org's lock) while an owner makes the member an admin (without
/// it, on PostgreSQL): whichever runs first, the member ends an admin — the narrower
/// caller never replaces the `admin` role it may not take away.
async fn narrowing_while_an_owner_promotes(t: &TestDb) {
    let m = &t.ports.members;
    for round in 0..10 {
        let (o, x) = org_with_member(t, round).await;
        let r = t.role(o, "Reader", &[Permission::OrganizationRead]).await;
        let narrow_to = RoleKey::Custom(r.id);
        let promote = allow(&t.event(Some(o), "x", x));
        let by_member = as_member_with(&t.event(Some(o), "x", x), Permission::UsersUpdate);
        let (rp, rn) = tokio::join!(
            m.change_role(o, x, ADMIN, t.at(), &promote),
            m.change_role(o, x, narrow_to, t.at(), &by_member),
        );
        rp.unwrap();
        if let Err(e) = rn {
            assert_eq!(
                e.code(),
                "forbidden",
                "the narrower caller lost the race: {e}"
            );
        }
        assert_eq!(m.get(o, x).await.unwrap().unwrap().role, ADMIN);
    }
}

/// A caller who may remove `member`s but not `admin`s removes a member while an owner makes
/// them an admin: either the removal came first (the promotion finds no member) or it is
/// refused — never an admin removed by a caller who may not.
async fn removing_while_an_owner_promotes(t: &TestDb) {
    let m = &t.ports.members;
    for round in 0..10 {
        let (o, x) = org_with_member(t, round).await;
        let promote = allow(&t.event(Some(o), "x", x));
        let by_member = removal(as_member_with(
            &t.event(Some(o), "x", x),
            Permission::UsersDelete,
        ));
        let (rp, rr) = tokio::join!(
            m.change_role(o, x, ADMIN, t.at(), &promote),
            m.remove(o, x, &by_member),
        );
        match (rp, rr) {
            (Ok(_), Err(e)) => assert_eq!(e.code(), "forbidden"),
            (Err(e), Ok(())) => assert_eq!(e.code(), "not_found"),
            (p, r) => panic!("promotion {p:?}, removal {r:?}: exactly one must win"),
        }
    }
}

/// One owner leaves while the other is demoted.
async fn removing_and_demoting_owners(t: &TestDb) {
    let m = &t.ports.members;
    for round in 0..5 {
        let a = t.user(&format!("a{round}@x.io")).await;
        let b = t.user(&format!("b{round}@x.io")).await;
        let o = t.org(&a, "Race", &format!("race-{round}")).await;
        let ev = t.event(Some(o.id), "member.added", b.id);
        m.add(o.id, b.id, OWNER, t.at(), &ev).await.unwrap();
        let (ea, eb) = (
            t.event(Some(o.id), "x", a.id),
            t.event(Some(o.id), "x", b.id),
        );
        let (rules_a, rules_b) = (allow_removal(&ea), allow(&eb));
        let (ra, rb) = tokio::join!(
            m.remove(o.id, a.id, &rules_a),
            m.change_role(o.id, b.id, ADMIN, t.at(), &rules_b),
        );
        assert_one_won(ra, rb.map(drop));
        assert_one_owner(t, o.id, b.id).await;
    }
}

/// Two creations for an owner limited to one organization: one is refused.
async fn creating_past_the_limit(t: &TestDb) {
    let orgs = &t.ports.organizations;
    for round in 0..5 {
        let u = t.user(&format!("u{round}@x.io")).await;
        let (o1, o2) = (
            t.new_org(&u, "One", &format!("one-{round}")),
            t.new_org(&u, "Two", &format!("two-{round}")),
        );
        let (e1, e2) = (
            t.event(Some(o1.id), "x", o1.id),
            t.event(Some(o2.id), "x", o2.id),
        );
        let (r1, r2) = tokio::join!(
            orgs.insert(&o1, Some(1), &e1),
            orgs.insert(&o2, Some(1), &e2)
        );
        let codes = [&r1, &r2].map(|r| r.as_ref().err().map(DomainError::code));
        assert!(
            codes == [None, Some("organization_limit_exceeded")]
                || codes == [Some("organization_limit_exceeded"), None],
            "{codes:?}"
        );
    }
}

/// Two users accept the same invitation at once: one joins, the other is told it was used.
async fn accepting_one_invitation_twice(t: &TestDb) {
    let inv = &t.ports.invitations;
    for round in 0..5 {
        let a = t.user(&format!("a{round}@x.io")).await;
        let b = t.user(&format!("b{round}@x.io")).await;
        let c = t.user(&format!("c{round}@x.io")).await;
        let o = t.org(&a, "Race", &format!("race-{round}")).await;
        let invitation = t.invite(o.id, a.id, b.email.as_str(), ADMIN, None).await;
        let rows = t.audit_rows().await;
        let (eb, ec) = (
            [t.event(Some(o.id), "invitation.accepted", b.id)],
            [t.event(Some(o.id), "invitation.accepted", c.id)],
        );
        let now = t.at();
        let (rb, rc) = tokio::join!(
            inv.accept(invitation.id, b.id, ADMIN, now, &eb),
            inv.accept(invitation.id, c.id, ADMIN, now, &ec),
        );
        let codes = [&rb, &rc].map(|r| r.as_ref().err().map(DomainError::code));
        assert!(
            codes == [None, Some("invitation_already_used")]
                || codes == [Some("invitation_already_used"), None],
            "{codes:?}"
        );
        let joined = t
            .ports
            .members
            .list(o.id, &Default::default(), Default::default(), None, None)
            .await
            .unwrap();
        assert_eq!(joined.total, 2);
        let access = t.ports.organizations.access(&OrgRef::Id(o.id), a.id).await;
        assert_eq!(access.unwrap().unwrap().org.member_count, 2);
        assert_eq!(t.audit_rows().await, rows + 1);
    }
}

fn assert_one_won(a: Result<(), DomainError>, b: Result<(), DomainError>) {
    let codes = [&a, &b].map(|r| r.as_ref().err().map(DomainError::code));
    assert!(
        codes == [None, Some("last_owner")] || codes == [Some("last_owner"), None],
        "{codes:?}"
    );
}

async fn assert_one_owner(t: &TestDb, org: uuid::Uuid, member: uuid::Uuid) {
    let filter = org_domain::members::MemberFilter {
        search: None,
        role: Some(OWNER),
    };
    let owners = t
        .ports
        .members
        .list(org, &filter, Default::default(), None, None)
        .await
        .unwrap();
    assert_eq!(owners.total, 1);
    // The owner of record is that remaining owner.
    let access = t
        .ports
        .organizations
        .access(&OrgRef::Id(org), member)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(access.org.owner.id, owners.items[0].user.id);
}
