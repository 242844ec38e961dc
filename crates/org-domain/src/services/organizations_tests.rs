//! Organization use cases against mocked ports: every refusal happens before any write.
use super::*;
use crate::permissions::Permission;
use crate::services::fixtures::{Mocks, key, session, user};
use uuid::Uuid;

fn new_org(name: &str) -> NewOrganization {
    NewOrganization {
        name: name.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn service_accounts_and_foreign_owners_are_refused_before_any_write() {
    let mut m = Mocks::default();
    m.organizations.expect_insert().never();
    let s = m.services();
    let mut bot = user(2);
    bot.is_service_account = true;
    let err = s
        .create_organization(&session(bot), new_org("Bots"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "illegal_operation");
    let req = NewOrganization {
        owner_id: Some(Uuid::from_u128(3)),
        ..new_org("For someone")
    };
    assert_eq!(
        s.create_organization(&session(user(2)), req)
            .await
            .unwrap_err()
            .code(),
        "illegal_operation"
    );
    let narrow = key(user(2), PermissionSet::of(&[Permission::OrganizationRead]));
    assert_eq!(
        s.create_organization(&narrow, new_org("Scoped"))
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
}

#[tokio::test]
async fn creation_can_be_limited_to_superusers() {
    let mut m = Mocks {
        config: crate::services::Config {
            org_creation: OrgCreation::Superusers,
            ..Default::default()
        },
        ..Default::default()
    };
    m.organizations
        .expect_insert()
        .times(1)
        .returning(|_, _, _| Ok(()));
    let s = m.services();
    assert_eq!(
        s.create_organization(&session(user(2)), new_org("No"))
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    let mut admin = user(3);
    admin.is_superuser = true;
    assert!(
        s.create_organization(&session(admin), new_org("Yes"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_taken_derived_slug_is_retried_with_a_suffix_and_the_owner_limit_is_passed_on() {
    let mut m = Mocks {
        config: crate::services::Config {
            max_orgs_per_owner: Some(3),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut seq = mockall::Sequence::new();
    m.organizations
        .expect_insert()
        .withf(|o, max, e| {
            o.slug == "acme-corp" && *max == Some(3) && e.action == "organization.created"
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Err(DomainError::conflict("slug_taken", "taken")));
    m.organizations
        .expect_insert()
        .withf(|o, _, _| o.slug.starts_with("acme-corp-") && o.slug.len() == "acme-corp-".len() + 6)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Ok(()));
    let view = m
        .services()
        .create_organization(&session(user(2)), new_org("Acme Corp"))
        .await
        .unwrap();
    assert_eq!(view.org.owner.id, Uuid::from_u128(2));
    assert_eq!(view.role, Some(RoleKey::System(SystemRole::Owner)));
}

#[tokio::test]
async fn an_explicit_slug_that_is_taken_is_a_conflict() {
    let mut m = Mocks::default();
    m.organizations
        .expect_insert()
        .times(1)
        .returning(|_, _, _| Err(DomainError::conflict("slug_taken", "taken")));
    let req = NewOrganization {
        slug: Some("acme".into()),
        ..new_org("Acme")
    };
    assert_eq!(
        m.services()
            .create_organization(&session(user(2)), req)
            .await
            .unwrap_err()
            .code(),
        "slug_taken"
    );
}

#[tokio::test]
async fn updates_are_authorized_before_writing() {
    let mut m = Mocks::default().org_with_role(Some(SystemRole::Member));
    m.organizations.expect_update().never();
    let s = m.services();
    let rename = OrgPatch {
        name: Some("Mine".into()),
        ..Default::default()
    };
    assert_eq!(
        s.update_organization(&session(user(4)), "acme", rename)
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        s.delete_organization(&session(user(4)), "acme")
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
}

#[tokio::test]
async fn only_owners_transfer_ownership() {
    let mut m = Mocks::default().org_with_role(Some(SystemRole::Admin));
    m.organizations.expect_update().never();
    m.members.expect_get().never();
    let patch = OrgPatch {
        owner_id: Some(Uuid::from_u128(4)),
        ..Default::default()
    };
    let err = m
        .services()
        .update_organization(&session(user(4)), "acme", patch)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[tokio::test]
async fn outsiders_get_not_found() {
    let mut m = Mocks::default().org_with_role(None);
    m.members.expect_list().never();
    let err = m
        .services()
        .get_organization(
            &session(user(9)),
            "acme",
            OrgExpand {
                members: true,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

/// Without `users:read`, neither embed is read.
#[tokio::test]
async fn embedding_members_and_invitations_needs_users_read() {
    let mut m = Mocks::default().org_with_role(Some(SystemRole::Owner));
    m.members.expect_list().never();
    m.invitations.expect_list().never();
    let read_only = key(user(4), PermissionSet::of(&[Permission::OrganizationRead]));
    let both = OrgExpand {
        members: true,
        invitations: true,
        ..Default::default()
    };
    let err = m
        .services()
        .get_organization(&read_only, "acme", both)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    assert!(err.to_string().contains("users:read"), "{err}");
}

#[tokio::test]
async fn embedding_roles_needs_roles_read() {
    let mut m = Mocks::default().org_with_role(Some(SystemRole::Owner));
    m.roles.expect_list().never();
    m.roles.expect_holders().never();
    let read_only = key(user(4), PermissionSet::of(&[Permission::OrganizationRead]));
    let expand = OrgExpand {
        roles: true,
        ..Default::default()
    };
    let err = m
        .services()
        .get_organization(&read_only, "acme", expand)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    assert!(err.to_string().contains("roles:read"), "{err}");
}

/// The org that authentication preloaded stands in for the use case's own read, but only
/// for the org it was loaded for, named by id, and only at a detail that covers what the
/// use case needs: basics serve every use case but those that show the org.
#[tokio::test]
async fn a_preloaded_org_saves_the_read_only_for_that_org() {
    use crate::auth::Preloaded;
    use crate::organizations::{OrgAccess, PreloadedOrg};
    use crate::roles::{MemberRole, SystemRole};
    use crate::services::fixtures::{ORG, organization};

    let preloaded = |access: Option<PreloadedOrg>| {
        let mut actor = session(user(2));
        actor.preloaded = Some(Preloaded {
            organization_id: ORG,
            access,
        });
        actor
    };
    let member = OrgAccess {
        org: organization(),
        role: Some(MemberRole::system(SystemRole::Member)),
        version: None,
    };
    let org = ORG.to_string();

    // Same org by id: no read; the preloaded role decides.
    let mut m = Mocks::default();
    m.organizations.expect_access().never();
    let s = m.services();
    let actor = preloaded(Some(PreloadedOrg::Full(Box::new(member.clone()))));
    let view = s
        .get_organization(&actor, &org, OrgExpand::default())
        .await
        .unwrap();
    assert_eq!(
        (view.org.id, view.role),
        (ORG, Some(member.role.clone().unwrap().key))
    );
    // The whole org serves the use cases that need only its basics too.
    let mine = s.my_permissions(&actor, &org).await.unwrap();
    assert_eq!((mine.organization_id, mine.role), (ORG, view.role));
    // A member may not delete it: the preloaded grant is enforced like a read one.
    m = Mocks::default();
    m.organizations.expect_access().never();
    m.organizations.expect_delete().never();
    let s = m.services();
    assert_eq!(
        s.delete_organization(&actor, &org)
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    // Preloaded as missing (no such org, or nothing the caller may see): 404, no read, at
    // either detail.
    for use_basics in [false, true] {
        let missing = preloaded(None);
        let err = if use_basics {
            s.my_permissions(&missing, &org).await.unwrap_err()
        } else {
            s.get_organization(&missing, &org, OrgExpand::default())
                .await
                .unwrap_err()
        };
        assert_eq!(err.code(), "not_found");
    }

    // Preloaded basics: no read for a use case that needs no more, the preloaded role
    // deciding...
    let basics = preloaded(Some(PreloadedOrg::Basics(member.clone().into_basics())));
    let mut m = Mocks::default();
    m.organizations.expect_access().never();
    let s = m.services();
    let mine = s.my_permissions(&basics, &org).await.unwrap();
    assert_eq!((mine.organization_id, mine.role), (ORG, view.role));
    // ... and one read for a use case that shows the org, whose answer then decides.
    let mut m = Mocks::default();
    m.organizations
        .expect_access()
        .times(1)
        .returning(move |_, _| {
            Ok(Some(OrgAccess {
                org: organization(),
                role: Some(MemberRole::system(SystemRole::Admin)),
                version: None,
            }))
        });
    let s = m.services();
    let view = s
        .get_organization(&basics, &org, OrgExpand::default())
        .await
        .unwrap();
    assert_eq!(
        (view.org.id, view.role),
        (ORG, Some(RoleKey::System(SystemRole::Admin)))
    );

    // Another org, or the same one by slug: the use case reads it.
    let mut m = Mocks::default();
    m.organizations
        .expect_access()
        .times(2)
        .returning(|_, _| Ok(None));
    let s = m.services();
    let other = Uuid::from_u128(0xBEEF).to_string();
    for org in [other.as_str(), "acme"] {
        assert_eq!(
            s.get_organization(&actor, org, OrgExpand::default())
                .await
                .unwrap_err()
                .code(),
            "not_found"
        );
    }
}

/// The listing version authentication read with the org goes to both listings of the
/// expanded org and to the member listing, so an adapter may answer them from what it read
/// at that version; an org the use case read itself has none to give.
#[tokio::test]
async fn the_preloaded_version_reaches_the_listings() {
    use crate::auth::Preloaded;
    use crate::members::MemberFilter;
    use crate::organizations::{OrgAccess, PreloadedOrg};
    use crate::pagination::{Page, PageRequest};
    use crate::roles::{MemberRole, SystemRole};
    use crate::services::fixtures::{ORG, organization};

    let access = OrgAccess {
        org: organization(),
        role: Some(MemberRole::system(SystemRole::Admin)),
        version: Some(7),
    };
    let mut actor = session(user(2));
    actor.preloaded = Some(Preloaded {
        organization_id: ORG,
        access: Some(PreloadedOrg::Full(Box::new(access.clone()))),
    });
    let expand = OrgExpand {
        members: true,
        invitations: true,
        ..OrgExpand::default()
    };
    let org = ORG.to_string();
    for (actor, want) in [(actor, Some(7)), (session(user(2)), None)] {
        let mut m = Mocks::default();
        let read = access.clone();
        m.organizations
            .expect_access()
            .times(usize::from(want.is_none()) * 2)
            .returning(move |_, _| {
                Ok(Some(OrgAccess {
                    version: None,
                    ..read.clone()
                }))
            });
        m.members
            .expect_list()
            .withf(move |_, _, _, _, v| *v == want)
            .times(2)
            .returning(|_, _, p, _, _| Ok(Page::new(vec![], 0, p)));
        m.invitations
            .expect_list()
            .withf(move |_, _, _, _, v| *v == want)
            .times(1)
            .returning(|_, _, _, p, _| Ok(Page::new(vec![], 0, p)));
        let s = m.services();
        s.get_organization(&actor, &org, expand).await.unwrap();
        s.list_members(
            &actor,
            &org,
            MemberFilter::default(),
            PageRequest::default(),
        )
        .await
        .unwrap();
    }
}

/// The versions of the caller's orgs read with the credential go to the listing of the
/// caller's orgs, so an adapter may answer it from what it read at them; a caller without
/// them gives none, and a superuser's listing (of every org) is given none either.
#[tokio::test]
async fn the_listing_is_given_the_versions_read_with_the_credential() {
    use std::sync::Arc;

    use crate::organizations::MemberOrgVersions;
    use crate::pagination::{Page, PageRequest};

    let versions = Arc::new(MemberOrgVersions::new([(Uuid::from_u128(4), 2)]));
    let with = |mut actor: Actor| {
        actor.member_orgs = Some(versions.clone());
        actor
    };
    let mut root = user(3);
    root.is_superuser = true;
    for (actor, member_of, want) in [
        (
            with(session(user(2))),
            Some(user(2).id),
            Some(versions.clone()),
        ),
        (session(user(2)), Some(user(2).id), None),
        (with(session(root.clone())), None, None),
    ] {
        let mut m = Mocks::default();
        let want = OrgFilter {
            member_of,
            read_at: want,
            ..OrgFilter::default()
        };
        m.organizations
            .expect_list()
            .withf(move |f, _| *f == want)
            .times(1)
            .returning(|_, p| Ok(Arc::new(Page::new(vec![], 0, p))));
        m.services()
            .list_organizations(&actor, None, None, PageRequest::default())
            .await
            .unwrap();
    }
}
