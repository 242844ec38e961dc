//! The org listing versions (migration 5) and the listings kept with them: every change to
//! what an org's member and pending-invitation listings show raises the version
//! authentication reads, so a listing given that version answers exactly what a fresh read
//! does — after every kind of write, and after an invitation expires with no write at all.
use org_domain::auth::Session;
use org_domain::invitations::{InvitationFilter, InvitationStatus};
use org_domain::members::MemberFilter;
use org_domain::organizations::{OrgDetail, PreloadedOrg};
use org_domain::pagination::PageRequest;
use org_domain::roles::{RoleKey, SystemRole};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::both;
use crate::support::{TestDb, allow, allow_removal};

both!(every_listed_change_raises_the_version_and_is_listed);
both!(a_kept_listing_answers_only_its_own_version);
both!(a_transaction_raises_the_version_once);

const ADMIN: RoleKey = RoleKey::System(SystemRole::Admin);
const MEMBER: RoleKey = RoleKey::System(SystemRole::Member);

fn pending() -> InvitationFilter {
    InvitationFilter {
        status: Some(InvitationStatus::Pending),
    }
}

/// The org's version and member count as authentication reads them with `s`.
async fn authenticated(t: &TestDb, s: &Session, org: Uuid) -> (u64, u64) {
    let (_, _, access) = t
        .ports
        .tokens
        .find_session_in(&s.token_hash, org, OrgDetail::Listed)
        .await
        .unwrap()
        .unwrap();
    let Some(PreloadedOrg::Basics(access)) = access else {
        panic!("the org was not read with the session");
    };
    (access.version.unwrap(), access.org.member_count)
}

/// Lists the org's members and pending invitations as a request authenticated with `s`
/// does (given the version it read), twice — the second time from what the first kept —
/// and checks both against a fresh read. Returns the version and what was listed.
async fn listed(t: &TestDb, s: &Session, org: Uuid, now: OffsetDateTime) -> (u64, Vec<String>) {
    let (version, count) = authenticated(t, s, org).await;
    assert_eq!(version, t.org_version(org).await);
    let page = PageRequest::default();
    let all = MemberFilter::default();
    let members = &t.ports.members;
    let invitations = &t.ports.invitations;
    let fresh_members = members.list(org, &all, page, None, None).await.unwrap();
    let fresh_pending = invitations
        .list(org, &pending(), now, page, None)
        .await
        .unwrap();
    for _ in 0..2 {
        let kept = members
            .list(org, &all, page, Some(count), Some(version))
            .await
            .unwrap();
        assert_eq!(kept, fresh_members, "members at version {version}");
        let kept = invitations
            .list(org, &pending(), now, page, Some(version))
            .await
            .unwrap();
        assert_eq!(
            kept, fresh_pending,
            "pending invitations at version {version}"
        );
    }
    let mut shown: Vec<String> = fresh_members
        .items
        .iter()
        .map(|m| format!("{} {} {:?}", m.user.username, m.role, m.user.name))
        .collect();
    shown.extend(fresh_pending.items.iter().map(|i| {
        let by = i.inviter.as_ref().map(|u| u.username.clone());
        format!("{} by {by:?} to {}", i.email, i.organization.name)
    }));
    (version, shown)
}

async fn every_listed_change_raises_the_version_and_is_listed(t: &TestDb) {
    let owner = t.user("owner@x.io").await;
    let o = t.org(&owner, "Acme", "acme").await;
    let s = t.session(owner.id, "orgd_s_versions").await;
    let now = t.at();
    let (mut last, mut shown) = listed(t, &s, o.id, now).await;
    assert!(
        last > 0,
        "creating the org and its owner's membership raised it"
    );
    // Reading changes nothing.
    assert_eq!(listed(t, &s, o.id, now).await.0, last);

    // Each step changes what the listings show; the version grows and the listing shows it.
    let mut step = async |what: &str, t: &TestDb| {
        let (v, now_shown) = listed(t, &s, o.id, t.at()).await;
        assert!(v > last, "{what}: version {last} -> {v}");
        assert_ne!(now_shown, shown, "{what}: the listings changed");
        (last, shown) = (v, now_shown);
    };

    let mut ann = t.user("ann@x.io").await;
    t.member(o.id, ann.id, ADMIN).await;
    step("member added", t).await;

    let ev = t.event(Some(o.id), "member.role_changed", ann.id);
    t.ports
        .members
        .change_role(o.id, ann.id, MEMBER, t.at(), &allow(&ev))
        .await
        .unwrap();
    step("role changed (admin -> member, the compare-and-set)", t).await;

    let ev = t.event(Some(o.id), "member.role_changed", ann.id);
    t.ports
        .members
        .change_role(
            o.id,
            ann.id,
            RoleKey::System(SystemRole::Owner),
            t.at(),
            &allow(&ev),
        )
        .await
        .unwrap();
    step("role changed (to owner, under the org's lock)", t).await;

    ann.name = Some("Ann B.".into());
    let ev = t.event(None, "user.updated", ann.id);
    t.ports.users.update(&ann, None, &ev).await.unwrap();
    step("a member's profile", t).await;

    let inv = t.invite(o.id, owner.id, "bob@x.io", MEMBER, None).await;
    step("invitation created", t).await;

    let mut owner2 = owner.clone();
    owner2.username = "the-owner".into();
    let ev = t.event(None, "user.updated", owner.id);
    t.ports.users.update(&owner2, None, &ev).await.unwrap();
    step("the inviter's (and owner's) profile", t).await;

    let mut renamed = o.clone();
    renamed.name = "Acme Two".into();
    t.update_org(&renamed, owner.id).await;
    step("the org's name (shown on its invitations)", t).await;

    let ev = t.event(Some(o.id), "invitation.revoked", inv.id);
    t.ports
        .invitations
        .revoke(inv.id, t.at(), &ev)
        .await
        .unwrap();
    step("invitation revoked", t).await;

    let bob = t.user("bob@x.io").await;
    let inv = t.invite(o.id, owner.id, "bob@x.io", MEMBER, None).await;
    step("invitation created again", t).await;
    let ev = t.event(Some(o.id), "invitation.accepted", inv.id);
    t.ports
        .invitations
        .accept(inv.id, bob.id, MEMBER, t.at(), &[ev])
        .await
        .unwrap();
    step("invitation accepted (membership added)", t).await;

    let ev = t.event(Some(o.id), "member.removed", bob.id);
    t.ports
        .members
        .remove(o.id, bob.id, &allow_removal(&ev))
        .await
        .unwrap();
    step("member removed", t).await;

    let inv = t.invite(o.id, owner.id, "cy@x.io", MEMBER, None).await;
    step("invitation created for cy", t).await;
    let ev = t.event(Some(o.id), "invitation.declined", inv.id);
    t.ports
        .invitations
        .decline(inv.id, t.at(), &ev)
        .await
        .unwrap();
    step("invitation declined", t).await;

    // With no write: a kept pending listing is not given once one of its rows expired.
    let soon = t.at() + time::Duration::seconds(30);
    t.invite(o.id, owner.id, "dee@x.io", MEMBER, Some(soon))
        .await;
    let (v, before) = listed(t, &s, o.id, soon - time::Duration::seconds(1)).await;
    assert!(
        before.iter().any(|l| l.starts_with("dee@x.io")),
        "{before:?}"
    );
    let (after_v, after) = listed(t, &s, o.id, soon).await;
    assert_eq!(after_v, v, "time passing writes nothing");
    assert!(
        !after.iter().any(|l| l.starts_with("dee@x.io")),
        "{after:?}"
    );
}

/// A change made behind the triggers' back (here: with the users trigger gone) is not seen
/// through the kept listing — it is kept, and answered only at its version — while a fresh
/// read sees it; the next counted change makes the kept one give way.
async fn a_kept_listing_answers_only_its_own_version(t: &TestDb) {
    let owner = t.user("owner@x.io").await;
    let o = t.org(&owner, "Acme", "acme").await;
    let s = t.session(owner.id, "orgd_s_kept").await;
    let page = PageRequest::default();
    let all = MemberFilter::default();
    let (version, count) = authenticated(t, &s, o.id).await;
    let kept = |v| t.ports.members.list(o.id, &all, page, Some(count), v);
    let first = kept(Some(version)).await.unwrap();
    assert_eq!(first.items[0].user.name, owner.name);

    let db = t.db.connection();
    let drop_trigger = match db.get_database_backend() {
        DbBackend::Postgres => "ALTER TABLE users DISABLE TRIGGER trg_users_org_version",
        _ => "DROP TRIGGER trg_users_org_version",
    };
    db.execute_unprepared(drop_trigger).await.unwrap();
    db.execute_unprepared("UPDATE users SET name = 'Behind the back'")
        .await
        .unwrap();
    assert_eq!(
        authenticated(t, &s, o.id).await.0,
        version,
        "nothing counted it"
    );
    // The request at the same version gets the kept page; one without a version reads.
    assert_eq!(kept(Some(version)).await.unwrap(), first);
    let fresh = kept(None).await.unwrap();
    assert_eq!(fresh.items[0].user.name.as_deref(), Some("Behind the back"));
    // Another version (older or newer) is never answered from it.
    assert_eq!(kept(Some(version + 1)).await.unwrap(), fresh);
    assert_eq!(kept(Some(version - 1)).await.unwrap(), fresh);

    // A counted change: the version moves on, and the listing is read again.
    let ann = t.user("ann@x.io").await;
    t.member(o.id, ann.id, MEMBER).await;
    let (v2, count2) = authenticated(t, &s, o.id).await;
    assert!(v2 > version);
    let after = t
        .ports
        .members
        .list(o.id, &all, page, Some(count2), Some(v2))
        .await
        .unwrap();
    assert_eq!(after.items.len(), 2);
    assert_eq!(after.items[0].user.name.as_deref(), Some("Behind the back"));
}

/// Many rows of one org changed in one transaction raise its version once on PostgreSQL
/// (migration 6: before, every row re-wrote the counter, and the commit took time
/// quadratic in the rows), at least once on SQLite; the next transaction raises it again;
/// a savepoint rolled back takes its changes' raises with it.
async fn a_transaction_raises_the_version_once(t: &TestDb) {
    let owner = t.user("owner@x.io").await;
    let o = t.org(&owner, "Acme", "acme").await;
    for email in ["a@x.io", "b@x.io", "c@x.io"] {
        let u = t.user(email).await;
        t.member(o.id, u.id, MEMBER).await;
    }
    let db = t.db.connection();
    let backend = db.get_database_backend();
    let pg = backend == DbBackend::Postgres;
    let sql = if pg {
        "UPDATE members SET updated_at = updated_at WHERE organization_id = $1"
    } else {
        "UPDATE members SET updated_at = updated_at WHERE organization_id = ?"
    };
    let touch = || Statement::from_sql_and_values(backend, sql, [o.id.into()]);
    let raised = |from: u64, to: u64, what: &str| {
        if pg {
            assert_eq!(to, from + 1, "{what}");
        } else {
            assert!(to > from, "{what}: {from} -> {to}");
        }
    };

    let v0 = t.org_version(o.id).await;
    let txn = db.begin().await.unwrap();
    assert_eq!(txn.execute_raw(touch()).await.unwrap().rows_affected(), 4);
    txn.execute_raw(touch()).await.unwrap();
    txn.commit().await.unwrap();
    let v1 = t.org_version(o.id).await;
    raised(v0, v1, "eight rows changed in one transaction");

    db.execute_raw(touch()).await.unwrap();
    let v2 = t.org_version(o.id).await;
    raised(v1, v2, "the next transaction");

    let txn = db.begin().await.unwrap();
    let savepoint = txn.begin().await.unwrap();
    savepoint.execute_raw(touch()).await.unwrap();
    savepoint.rollback().await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(
        t.org_version(o.id).await,
        v2,
        "nothing committed, nothing raised"
    );
}
