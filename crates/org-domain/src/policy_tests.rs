use time::OffsetDateTime;
use uuid::Uuid;

use super::*;
use crate::auth::{Credential, Principal};
use crate::roles::CustomRoleGrant;
use crate::users::User;
use crate::values::Email;

fn user(superuser: bool) -> User {
    User {
        id: Uuid::from_u128(1),
        email: Email::parse("a@b.io").unwrap(),
        username: "a".into(),
        name: None,
        avatar_url: None,
        company: None,
        job_title: None,
        metadata: serde_json::json!({}),
        is_active: true,
        is_superuser: superuser,
        is_service_account: false,
        is_onboarded: false,
        two_factor_enabled: false,
        created: OffsetDateTime::UNIX_EPOCH,
        updated: OffsetDateTime::UNIX_EPOCH,
    }
}

fn session(superuser: bool) -> Principal {
    Principal {
        user: user(superuser),
        credential: Credential::Session {
            id: Uuid::nil(),
            active_organization_id: None,
        },
    }
}

fn key(scopes: &[Permission], org: Option<Uuid>) -> Principal {
    Principal {
        user: user(false),
        credential: Credential::ApiKey {
            id: Uuid::nil(),
            scopes: PermissionSet::of(scopes),
            organization_id: org,
        },
    }
}

const ORG: Uuid = Uuid::from_u128(7);

#[test]
fn outsiders_get_not_found_and_superusers_everything() {
    let s = OrgSettings::default();
    assert_eq!(
        evaluate(&session(false), ORG, &s, None).unwrap_err().code(),
        "not_found"
    );
    let g = evaluate(&session(true), ORG, &s, None).unwrap();
    assert!(g.superuser);
    assert_eq!(g.permissions, PermissionSet::ALL);
    assert_eq!(g.explain(Permission::AuditRead, None), Source::Superuser);
}

#[test]
fn member_role_and_members_can_invite() {
    let mut s = OrgSettings::default();
    let member = MemberRole::system(SystemRole::Member);
    let g = evaluate(&session(false), ORG, &s, Some(&member)).unwrap();
    assert!(!g.permissions.contains(Permission::UsersInvite));
    assert_eq!(
        g.require(PermissionSet::of(&[Permission::UsersInvite]))
            .unwrap_err()
            .to_string(),
        "missing permission: users:invite"
    );
    s.members_can_invite = true;
    let g = evaluate(&session(false), ORG, &s, Some(&member)).unwrap();
    assert!(g.permissions.contains(Permission::UsersInvite));
    assert_eq!(
        g.explain(Permission::UsersInvite, Some(&member)),
        Source::OrgSetting("members_can_invite")
    );
    assert_eq!(
        g.explain(Permission::UsersRead, Some(&member)),
        Source::Role(SystemRole::Member)
    );
    // Any member, whatever their role: a custom role without users:invite too.
    let custom = MemberRole {
        key: RoleKey::Custom(Uuid::from_u128(7)),
        custom: Some(CustomRoleGrant {
            id: Uuid::from_u128(7),
            name: "viewer".into(),
            permissions: PermissionSet::of(&[Permission::OrganizationRead]),
        }),
    };
    let g = evaluate(&session(false), ORG, &s, Some(&custom)).unwrap();
    assert!(g.permissions.contains(Permission::UsersInvite));
    s.members_can_invite = false;
    let g = evaluate(&session(false), ORG, &s, Some(&custom)).unwrap();
    assert!(!g.permissions.contains(Permission::UsersInvite));
}

#[test]
fn api_key_scopes_intersect_and_bind() {
    let s = OrgSettings::default();
    let admin = MemberRole::system(SystemRole::Admin);
    let p = key(
        &[Permission::UsersRead, Permission::OrganizationDelete],
        None,
    );
    let g = evaluate(&p, ORG, &s, Some(&admin)).unwrap();
    assert_eq!(g.permissions.names(), vec!["users:read"]);
    assert_eq!(
        g.explain(Permission::UsersUpdate, Some(&admin)),
        Source::ApiKeyScope
    );
    assert_eq!(
        g.explain(Permission::OrganizationDelete, Some(&admin)),
        Source::NotInRole
    );
    let bound = key(&[Permission::UsersRead], Some(Uuid::from_u128(8)));
    assert_eq!(
        evaluate(&bound, ORG, &s, Some(&admin)).unwrap_err().code(),
        "key_not_valid_for_organization"
    );
    // An outsider's bound key still learns nothing.
    assert_eq!(
        evaluate(&bound, ORG, &s, None).unwrap_err().code(),
        "not_found"
    );
    let off = OrgSettings {
        members_can_use_personal_api_keys: false,
        ..OrgSettings::default()
    };
    assert_eq!(
        evaluate(&p, ORG, &off, Some(&admin)).unwrap_err().code(),
        "api_keys_disabled"
    );
}

#[test]
fn two_factor_enforcement() {
    let s = OrgSettings {
        enforce_2fa: true,
        ..OrgSettings::default()
    };
    let owner = MemberRole::system(SystemRole::Owner);
    assert_eq!(
        evaluate(&session(false), ORG, &s, Some(&owner))
            .unwrap_err()
            .code(),
        "two_factor_required"
    );
    let mut p = session(false);
    p.user.two_factor_enabled = true;
    assert!(evaluate(&p, ORG, &s, Some(&owner)).is_ok());
    assert!(evaluate(&session(true), ORG, &s, None).is_ok());
}

#[test]
fn shadowing_custom_role_is_explained() {
    let s = OrgSettings::default();
    let shadow = MemberRole {
        key: RoleKey::System(SystemRole::Member),
        custom: Some(CustomRoleGrant {
            id: Uuid::from_u128(3),
            name: "member".into(),
            permissions: PermissionSet::of(&[Permission::AuditRead]),
        }),
    };
    let g = evaluate(&session(false), ORG, &s, Some(&shadow)).unwrap();
    assert_eq!(g.permissions.names(), vec!["audit:read"]);
    assert!(matches!(
        g.explain(Permission::AuditRead, Some(&shadow)),
        Source::CustomRole {
            shadows: Some(SystemRole::Member),
            ..
        }
    ));
}

#[test]
fn no_escalation() {
    let s = OrgSettings::default();
    let admin = MemberRole::system(SystemRole::Admin);
    let owner = MemberRole::system(SystemRole::Owner);
    let member = MemberRole::system(SystemRole::Member);
    let g = evaluate(&session(false), ORG, &s, Some(&admin)).unwrap();
    assert!(may_manage_role(&g, Some(&admin), &member));
    assert!(may_manage_role(&g, Some(&admin), &admin));
    assert!(!may_manage_role(&g, Some(&admin), &owner));
    let g = evaluate(&session(false), ORG, &s, Some(&owner)).unwrap();
    assert!(may_manage_role(&g, Some(&owner), &owner));
    let scoped = evaluate(
        &key(&[Permission::UsersUpdate], None),
        ORG,
        &s,
        Some(&owner),
    )
    .unwrap();
    assert!(!may_manage_role(&scoped, Some(&owner), &admin));
}
