//! A user's org listing kept with the versions of their orgs (`MemberOrgVersions`): every
//! change to what the listing shows — an org's own fields and member count, its owner's
//! profile, the user's role there, the set of the user's memberships — changes those
//! versions, so a kept listing answers exactly what a fresh read does, whether the versions
//! are read by the listing or with the credential (`find_session_with_orgs`).
use std::sync::Arc;

use org_domain::auth::{ApiKey, TokenHash};
use org_domain::organizations::{MemberOrgVersions, OrgFilter, OrgListing};
use org_domain::pagination::PageRequest;
use org_domain::permissions::PermissionSet;
use org_domain::roles::{RoleKey, SystemRole};
use org_domain::users::User;
use sea_orm::{ConnectionTrait, DbBackend};
use uuid::Uuid;

use crate::both;
use crate::support::{TestDb, allow, allow_removal};

both!(every_change_to_a_users_orgs_is_listed);
both!(a_kept_org_listing_answers_only_its_own_versions);
both!(the_versions_read_with_a_credential_are_those_of_the_users_orgs);

const ADMIN: RoleKey = RoleKey::System(SystemRole::Admin);
const MEMBER: RoleKey = RoleKey::System(SystemRole::Member);

type Listed = OrgListing;

fn mine(user: Uuid) -> OrgFilter {
    OrgFilter {
        member_of: Some(user),
        ..OrgFilter::default()
    }
}

/// The orgs `filter` lists on `page`, through the test's ports (which keep listings).
async fn list(t: &TestDb, filter: &OrgFilter, page: PageRequest) -> Listed {
    t.ports.organizations.list(filter, page).await.unwrap()
}

/// The versions of `user`'s orgs as authentication reads them with a new session and a
/// new API key of theirs (the two must agree).
async fn read_with_credential(t: &TestDb, user: Uuid) -> Arc<MemberOrgVersions> {
    let s = t.session(user, &format!("orgd_s_{}", Uuid::now_v7())).await;
    let tokens = &t.ports.tokens;
    let (found, u, by_session) = tokens
        .find_session_with_orgs(&s.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, u.id), (s.id, user));
    let secret = format!("orgd_k_{}", Uuid::now_v7());
    let k = ApiKey {
        id: Uuid::now_v7(),
        user_id: user,
        name: "k".into(),
        prefix: secret[..12].to_owned(),
        token_hash: TokenHash::of(&secret),
        scopes: PermissionSet::ALL,
        organization_id: None,
        expires_at: None,
        last_used_at: None,
        created: t.at(),
    };
    let ev = t.event(None, "api_key.created", k.id);
    tokens.insert_api_key(&k, &ev).await.unwrap();
    let (found, u, by_key) = tokens
        .find_api_key_with_orgs(&k.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, u.id), (k.id, user));
    assert_eq!(by_session, by_key);
    Arc::new(by_session)
}

/// `user`'s orgs as the ports list them (the second time from what the first kept), checked
/// against a read by ports that kept nothing — once reading the versions in the listing,
/// once given them as authentication read them; returns what the listing shows.
async fn listed(t: &TestDb, user: Uuid) -> Vec<String> {
    let page = PageRequest::default();
    let fresh =
        t.db.ports()
            .organizations
            .list(&mine(user), page)
            .await
            .unwrap();
    let with_credential = OrgFilter {
        read_at: Some(read_with_credential(t, user).await),
        ..mine(user)
    };
    for filter in [mine(user), with_credential] {
        let mut first: Option<Listed> = None;
        for _ in 0..2 {
            let kept = list(t, &filter, page).await;
            assert_eq!(kept, fresh, "the kept listing is a fresh read");
            if let Some(first) = &first {
                assert!(
                    Arc::ptr_eq(first, &kept),
                    "a kept listing is handed out, not copied"
                );
            }
            first = Some(kept);
        }
    }
    shown(&fresh)
}

fn shown(page: &Listed) -> Vec<String> {
    page.items
        .iter()
        .map(|(o, role)| {
            format!(
                "{} ({} members) owned by {} {:?}, as {role:?}",
                o.name, o.member_count, o.owner.username, o.owner.name
            )
        })
        .collect()
}

async fn every_change_to_a_users_orgs_is_listed(t: &TestDb) {
    let owner = t.user("owner@x.io").await;
    let ann = t.user("ann@x.io").await;
    let a = t.org(&owner, "Acme", "acme").await;
    let b = t.org(&owner, "Beta", "beta").await;
    for org in [a.id, b.id] {
        t.member(org, ann.id, MEMBER).await;
    }
    let mut last = listed(t, ann.id).await;
    assert_eq!(last.len(), 2, "{last:?}");
    // Reading changes nothing.
    assert_eq!(listed(t, ann.id).await, last);

    let mut step = async |what: &str, t: &TestDb| {
        let now = listed(t, ann.id).await;
        assert_ne!(now, last, "{what}: the listing changed");
        last.clone_from(&now);
        now
    };

    let mut renamed = a.clone();
    renamed.name = "Acme Two".into();
    t.update_org(&renamed, owner.id).await;
    step("an org's name", t).await;

    let bob = t.user("bob@x.io").await;
    t.member(a.id, bob.id, MEMBER).await;
    step("a member added to one of the orgs (its member count)", t).await;

    let mut owner2 = owner.clone();
    owner2.name = Some("The Owner".into());
    let ev = t.event(None, "user.updated", owner.id);
    t.ports.users.update(&owner2, None, &ev).await.unwrap();
    step("the owner's profile", t).await;

    let ev = t.event(Some(b.id), "member.role_changed", ann.id);
    t.ports
        .members
        .change_role(b.id, ann.id, ADMIN, t.at(), &allow(&ev))
        .await
        .unwrap();
    step("the user's role in one org", t).await;

    let c = t.org(&owner, "Gamma", "gamma").await;
    t.member(c.id, ann.id, MEMBER).await;
    let now = step("the user added to another org", t).await;
    assert_eq!(now.len(), 3, "{now:?}");

    let ev = t.event(Some(b.id), "member.removed", ann.id);
    t.ports
        .members
        .remove(b.id, ann.id, &allow_removal(&ev))
        .await
        .unwrap();
    let now = step("the user removed from an org", t).await;
    assert_eq!(now.len(), 2, "{now:?}");

    let mut handed = renamed.clone();
    handed.owner.id = ann.id;
    t.update_org(&handed, owner.id).await;
    let now = step("ownership handed to the user", t).await;
    assert!(now.iter().any(|l| l.contains("owned by ann")), "{now:?}");

    let ev = t.event(Some(c.id), "organization.deleted", c.id);
    t.ports.organizations.delete(c.id, &ev).await.unwrap();
    let now = step("an org deleted", t).await;
    assert_eq!(now.len(), 1, "{now:?}");

    // Swapping one membership for another between two reads: never the old listing.
    let d = t.org(&owner, "Delta", "delta").await;
    t.member(d.id, ann.id, MEMBER).await;
    let ev = t.event(Some(a.id), "member.removed", bob.id);
    t.ports
        .members
        .remove(a.id, bob.id, &allow_removal(&ev))
        .await
        .unwrap();
    step("one membership added and another org's changed", t).await;
}

/// A change made behind the triggers' back (the users trigger gone) is not seen through the
/// kept listing, which answers while the versions it was read at are current, while ports
/// that kept nothing see it; a counted change makes the kept listing give way. Other
/// listings of the user's orgs (searched, or past the first page) are never kept.
async fn a_kept_org_listing_answers_only_its_own_versions(t: &TestDb) {
    let owner = t.user("owner@x.io").await;
    let ann: User = t.user("ann@x.io").await;
    let a = t.org(&owner, "Acme", "acme").await;
    let b = t.org(&owner, "Beta", "beta").await;
    for org in [a.id, b.id] {
        t.member(org, ann.id, MEMBER).await;
    }
    let page = PageRequest::default();
    let first = list(t, &mine(ann.id), page).await;
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.items[0].0.owner.name, owner.name);
    // A page that does not hold all of the user's orgs.
    let part = PageRequest::new(1, 0);
    let partial = list(t, &mine(ann.id), part).await;
    assert_eq!((partial.items.len(), partial.total), (1, 2));

    let db = t.db.connection();
    let drop_trigger = match db.get_database_backend() {
        DbBackend::Postgres => "ALTER TABLE users DISABLE TRIGGER trg_users_org_version",
        _ => "DROP TRIGGER trg_users_org_version",
    };
    db.execute_unprepared(drop_trigger).await.unwrap();
    db.execute_unprepared("UPDATE users SET name = 'Behind the back'")
        .await
        .unwrap();
    let behind = Some("Behind the back".to_owned());
    let kept = list(t, &mine(ann.id), page).await;
    assert_eq!(kept, first, "answered from the kept listing");
    let fresh =
        t.db.ports()
            .organizations
            .list(&mine(ann.id), page)
            .await
            .unwrap();
    assert_eq!(fresh.items[0].0.owner.name, behind);
    // A searched listing, or a page short of all the user's orgs, is read every time.
    let partial = list(t, &mine(ann.id), part).await;
    assert_eq!(partial.items[0].0.owner.name, behind);
    let searched = OrgFilter {
        search: Some("acme".into()),
        ..mine(ann.id)
    };
    let found = list(t, &searched, page).await;
    assert_eq!(found.items[0].0.owner.name, behind);

    // A counted change: the kept listing gives way.
    let bob = t.user("bob@x.io").await;
    t.member(a.id, bob.id, MEMBER).await;
    let after = list(t, &mine(ann.id), page).await;
    assert_eq!(after.items[0].0.owner.name, behind);
    assert_eq!(after.items[0].0.member_count, 3);
}

/// What authentication reads with the credential is every org the user is a member of, at
/// its stored version (none without a membership), raised by a change; a listing given
/// versions no kept listing was read at is read afresh, and one given the versions a kept
/// listing was read at is answered from it.
async fn the_versions_read_with_a_credential_are_those_of_the_users_orgs(t: &TestDb) {
    let owner = t.user("owner@x.io").await;
    let ann = t.user("ann@x.io").await;
    assert_eq!(
        read_with_credential(t, ann.id).await.as_slice(),
        &[],
        "no membership, no org"
    );
    let a = t.org(&owner, "Acme", "acme").await;
    let b = t.org(&owner, "Beta", "beta").await;
    let _not_hers = t.org(&owner, "Gamma", "gamma").await;
    for org in [a.id, b.id] {
        t.member(org, ann.id, MEMBER).await;
    }
    let stored = async |t: &TestDb| {
        let mut want = Vec::new();
        for org in [a.id, b.id] {
            want.push((org, t.org_version(org).await));
        }
        want.sort();
        want
    };
    let before = read_with_credential(t, ann.id).await;
    assert_eq!(before.as_slice(), stored(t).await);
    assert!(before.as_slice().iter().all(|(_, v)| *v > 0), "{before:?}");

    let page = PageRequest::default();
    let at = |v: &Arc<MemberOrgVersions>| OrgFilter {
        read_at: Some(v.clone()),
        ..mine(ann.id)
    };
    let first = list(t, &at(&before), page).await;
    assert_eq!(shown(&first).len(), 2);

    let mut renamed = a.clone();
    renamed.name = "Acme Two".into();
    t.update_org(&renamed, owner.id).await;
    let after = read_with_credential(t, ann.id).await;
    assert_eq!(after.as_slice(), stored(t).await);
    assert_ne!(after, before, "the rename raised Acme's version");

    // Given the versions a request read before the rename, the listing kept at them is
    // that request's answer; given the versions read after it, the listing is read again.
    let old = list(t, &at(&before), page).await;
    assert!(Arc::ptr_eq(&old, &first));
    let new = list(t, &at(&after), page).await;
    assert!(
        shown(&new).iter().any(|l| l.starts_with("Acme Two")),
        "{:?}",
        shown(&new)
    );
    assert_eq!(list(t, &at(&after), page).await, new);
    // Versions no listing was read at (an org too many): read, never the kept one.
    let more = Arc::new(MemberOrgVersions::new(
        after
            .as_slice()
            .iter()
            .copied()
            .chain([(Uuid::now_v7(), 1)]),
    ));
    let again = list(t, &at(&more), page).await;
    assert_eq!(again, new);
    assert!(!Arc::ptr_eq(&again, &new), "read afresh");
}
