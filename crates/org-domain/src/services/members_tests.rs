//! Member use cases against mocked ports: escalation and permission checks come first.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::error::DomainError;
use crate::roles::{MemberRole, RoleKey, SystemRole};
use crate::services::fixtures::{Mocks, ORG, organization, session, user};
use crate::users::User;

fn member(u: &User, role: SystemRole) -> Member {
    Member {
        organization_id: ORG,
        user: u.public(),
        role: RoleKey::System(role),
        created: organization().created,
        updated: organization().updated,
    }
}

/// A store that finds `members` under the lock and applies `decide` as the repository
/// does; counts the changes it wrote.
fn store_deciding(m: &mut Mocks, members: Vec<Member>, wrote: Arc<AtomicUsize>) {
    m.members
        .expect_change_role()
        .returning(move |_, user_id, key, _, rules| {
            let mut member = members
                .iter()
                .find(|x| x.user.id == user_id)
                .cloned()
                .ok_or_else(|| DomainError::not_found("member"))?;
            let current = MemberRole {
                key: member.role,
                custom: None,
            };
            let new = MemberRole { key, custom: None };
            if rules.decide(&current, &new)?.is_some() {
                wrote.fetch_add(1, Ordering::SeqCst);
                member.role = key;
            }
            Ok(member)
        });
}

/// A store that finds `members` under the lock and applies the removal rules as the
/// repository does; counts the removals.
fn store_removing(m: &mut Mocks, members: Vec<Member>, removed: Arc<AtomicUsize>) {
    m.members
        .expect_remove()
        .returning(move |_, user_id, rules| {
            let member = members
                .iter()
                .find(|x| x.user.id == user_id)
                .ok_or_else(|| DomainError::not_found("member"))?;
            let role = MemberRole {
                key: member.role,
                custom: None,
            };
            rules.decide(member, &role)?;
            removed.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
}

#[tokio::test]
async fn admins_cannot_make_or_unmake_owners() {
    let mut m = Mocks::default()
        .org_with_role(Some(SystemRole::Admin))
        .with_roles(vec![]);
    let (owner, plain) = (user(1), user(5));
    let o = owner.clone();
    m.members.expect_get().returning(move |_, id| {
        let role = if id == o.id {
            SystemRole::Owner
        } else {
            SystemRole::Member
        };
        let u = if id == o.id { o.clone() } else { plain.clone() };
        Ok(Some(member(&u, role)))
    });
    let wrote = Arc::new(AtomicUsize::new(0));
    store_deciding(
        &mut m,
        vec![
            member(&owner, SystemRole::Owner),
            member(&user(5), SystemRole::Member),
        ],
        wrote.clone(),
    );
    let removed = Arc::new(AtomicUsize::new(0));
    store_removing(
        &mut m,
        vec![member(&owner, SystemRole::Owner)],
        removed.clone(),
    );
    let s = m.services();
    let admin = session(user(4));
    assert_eq!(
        s.change_member_role(&admin, "acme", Uuid::from_u128(5), "owner")
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        s.change_member_role(&admin, "acme", Uuid::from_u128(1), "member")
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(wrote.load(Ordering::SeqCst), 0, "nothing was written");
    assert_eq!(
        s.remove_member(&admin, "acme", Uuid::from_u128(1))
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(removed.load(Ordering::SeqCst), 0, "nobody was removed");
}

#[tokio::test]
async fn members_may_leave_but_not_remove_others() {
    let mut m = Mocks::default().org_with_role(Some(SystemRole::Member));
    m.members
        .expect_get()
        .returning(|_, id| Ok(Some(member(&user(id.as_u128()), SystemRole::Member))));
    m.members
        .expect_remove()
        .withf(|org, id, rules| {
            *org == ORG
                && *id == Uuid::from_u128(6)
                && rules.leaving
                && rules.event.action == "member.left"
                && rules.event.request_id.as_deref() == Some("req-1")
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    let s = m.services();
    let me = session(user(6));
    assert_eq!(
        s.remove_member(&me, "acme", Uuid::from_u128(7))
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    s.remove_member(&me, "acme", Uuid::from_u128(6))
        .await
        .unwrap();
}

#[tokio::test]
async fn unknown_roles_are_refused_before_member_lookups() {
    let mut m = Mocks::default()
        .org_with_role(Some(SystemRole::Owner))
        .with_roles(vec![]);
    m.members.expect_get().never();
    m.users.expect_find_by_email().never();
    let s = m.services();
    let owner = session(user(1));
    assert_eq!(
        s.change_member_role(&owner, "acme", Uuid::from_u128(5), "wizard")
            .await
            .unwrap_err()
            .code(),
        "unknown_role"
    );
    let target = MemberTarget::Email("x@example.com".into());
    assert_eq!(
        s.add_member(&owner, "acme", target, Some(Uuid::nil().to_string()))
            .await
            .unwrap_err()
            .code(),
        "unknown_role"
    );
}

#[tokio::test]
async fn last_owner_refusals_from_the_store_reach_the_caller() {
    let mut m = Mocks::default()
        .org_with_role(Some(SystemRole::Owner))
        .with_roles(vec![]);
    m.members
        .expect_change_role()
        .times(1)
        .returning(|_, _, _, _, _| Err(DomainError::LastOwner));
    let err = m
        .services()
        .change_member_role(&session(user(1)), "acme", Uuid::from_u128(1), "admin")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "last_owner");
}

/// The checks judge the role the store finds under its lock: a member who became an owner
/// after the caller last looked cannot be demoted by an admin.
#[tokio::test]
async fn escalation_is_judged_on_the_role_found_under_the_lock() {
    let mut m = Mocks::default()
        .org_with_role(Some(SystemRole::Admin))
        .with_roles(vec![]);
    let wrote = Arc::new(AtomicUsize::new(0));
    // Under the lock the member is an owner (promoted concurrently).
    store_deciding(
        &mut m,
        vec![member(&user(5), SystemRole::Owner)],
        wrote.clone(),
    );
    let err = m
        .services()
        .change_member_role(&session(user(4)), "acme", Uuid::from_u128(5), "member")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    assert_eq!(wrote.load(Ordering::SeqCst), 0);
}

/// Asking for the role the member already holds writes nothing (no audit event either).
#[tokio::test]
async fn the_same_role_again_writes_nothing() {
    let mut m = Mocks::default()
        .org_with_role(Some(SystemRole::Owner))
        .with_roles(vec![]);
    let wrote = Arc::new(AtomicUsize::new(0));
    store_deciding(
        &mut m,
        vec![member(&user(5), SystemRole::Admin)],
        wrote.clone(),
    );
    let got = m
        .services()
        .change_member_role(&session(user(1)), "acme", Uuid::from_u128(5), "admin")
        .await
        .unwrap();
    assert_eq!(got.role, RoleKey::System(SystemRole::Admin));
    assert_eq!(wrote.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn unfiltered_lists_reuse_the_maintained_member_count() {
    let mut m = Mocks::default().org_with_role(Some(SystemRole::Member));
    let mut seq = mockall::Sequence::new();
    m.members
        .expect_list()
        .withf(|_, f, _, known, _| f.is_empty() && *known == Some(organization().member_count))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, p, k, _| Ok(Page::new(vec![], k.unwrap_or_default(), p)));
    m.members
        .expect_list()
        .withf(|_, f, _, known, _| !f.is_empty() && known.is_none())
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, p, _, _| Ok(Page::new(vec![], 0, p)));
    let s = m.services();
    let me = session(user(6));
    let all = s
        .list_members(&me, "acme", MemberFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(all.total, 3);
    let filtered = MemberFilter {
        search: Some("ann".into()),
        role: None,
    };
    s.list_members(&me, "acme", filtered, PageRequest::default())
        .await
        .unwrap();
}
