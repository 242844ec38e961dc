//! Member use cases against mocked ports: escalation and permission checks come first.
use super::*;
use crate::roles::{RoleKey, SystemRole};
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

#[tokio::test]
async fn admins_cannot_make_or_unmake_owners() {
    let mut m = Mocks::default()
        .org_with_role(Some(SystemRole::Admin))
        .with_roles(vec![]);
    let (owner, plain) = (user(1), user(5));
    m.members.expect_get().returning(move |_, id| {
        let role = if id == owner.id {
            SystemRole::Owner
        } else {
            SystemRole::Member
        };
        let u = if id == owner.id {
            owner.clone()
        } else {
            plain.clone()
        };
        Ok(Some(member(&u, role)))
    });
    m.members.expect_change_role().never();
    m.members.expect_remove().never();
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
    assert_eq!(
        s.remove_member(&admin, "acme", Uuid::from_u128(1))
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
}

#[tokio::test]
async fn members_may_leave_but_not_remove_others() {
    let mut m = Mocks::default().org_with_role(Some(SystemRole::Member));
    m.members
        .expect_get()
        .returning(|_, id| Ok(Some(member(&user(id.as_u128()), SystemRole::Member))));
    m.members
        .expect_remove()
        .withf(|org, id, e| {
            *org == ORG
                && *id == Uuid::from_u128(6)
                && e.action == "member.left"
                && e.request_id.as_deref() == Some("req-1")
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
        .expect_get()
        .returning(|_, _| Ok(Some(member(&user(1), SystemRole::Owner))));
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

#[tokio::test]
async fn unfiltered_lists_reuse_the_maintained_member_count() {
    let mut m = Mocks::default().org_with_role(Some(SystemRole::Member));
    let mut seq = mockall::Sequence::new();
    m.members
        .expect_list()
        .withf(|_, f, _, known| f.is_empty() && *known == Some(organization().member_count))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, p, k| Ok(Page::new(vec![], k.unwrap_or_default(), p)));
    m.members
        .expect_list()
        .withf(|_, f, _, known| !f.is_empty() && known.is_none())
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, p, _| Ok(Page::new(vec![], 0, p)));
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
