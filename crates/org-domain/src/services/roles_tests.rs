//! Custom-role use cases against mocked ports: every refusal happens before any write.
use super::*;
use crate::services::fixtures::{Mocks, custom_role, session, user};

fn new_role(name: &str, permissions: &[&str]) -> NewRole {
    NewRole {
        name: name.into(),
        description: None,
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
    }
}

#[tokio::test]
async fn escalation_and_bad_input_never_reach_the_store() {
    let mut m = Mocks::default()
        .org_with_role(Some(SystemRole::Admin))
        .with_roles(vec![]);
    m.roles.expect_insert().never();
    let s = m.services();
    let admin = session(user(4));
    let cases = [
        (new_role("nuke", &["organization:delete"]), "forbidden"),
        (new_role("Owner", &["users:read"]), "forbidden"),
        (new_role("ops", &["users:fly"]), "validation_failed"),
        (new_role("  ", &[]), "validation_failed"),
    ];
    for (req, code) in cases {
        let name = req.name.clone();
        let err = s.create_role(&admin, "acme", req).await.unwrap_err();
        assert_eq!(err.code(), code, "{name}");
    }
}

#[tokio::test]
async fn a_new_role_is_stored_with_canonical_permissions() {
    let mut m = Mocks::default()
        .org_with_role(Some(SystemRole::Admin))
        .with_roles(vec![]);
    m.roles
        .expect_insert()
        .withf(|r, e| {
            r.name == "Member"
                && r.shadows == Some(SystemRole::Member)
                && r.permissions.names() == ["users:read", "audit:read"]
                && e.action == "role.created"
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let s = m.services();
    let created = s
        .create_role(
            &session(user(4)),
            "acme",
            new_role("Member", &["audit.read", "users.read"]),
        )
        .await
        .unwrap();
    assert_eq!(created.key, RoleKey::System(SystemRole::Member));
    assert_eq!(created.custom.unwrap().shadows, Some(SystemRole::Member));
}

#[tokio::test]
async fn system_roles_are_read_only() {
    let mut m = Mocks::default()
        .org_with_role(Some(SystemRole::Owner))
        .with_roles(vec![]);
    m.roles.expect_update().never();
    m.roles.expect_delete().never();
    let s = m.services();
    let owner = session(user(1));
    let patch = RolePatch {
        permissions: Some(vec![]),
        ..Default::default()
    };
    let err = s
        .update_role(&owner, "acme", "admin", patch)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "illegal_operation");
    let err = s
        .delete_role(&owner, "acme", "member", None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "illegal_operation");
}

#[tokio::test]
async fn reassignment_is_resolved_and_checked_before_the_delete() {
    let ops = custom_role(0x70, "ops", PermissionSet::of(&[P::UsersRead]));
    let mut m = Mocks::default()
        .org_with_role(Some(SystemRole::Admin))
        .with_roles(vec![ops.clone()]);
    m.roles
        .expect_delete()
        .withf(|r, to, _| r.name == "ops" && *to == Some(RoleKey::System(SystemRole::Member)))
        .times(1)
        .returning(|_, _, _| Ok(1));
    let s = m.services();
    let admin = session(user(4));
    let id = ops.id.to_string();
    // Itself, an unknown role, and a role beyond the admin are refused first.
    for (to, code) in [
        ("ops", "validation_failed"),
        ("wizard", "unknown_role"),
        ("owner", "validation_failed"),
    ] {
        let err = s
            .delete_role(&admin, "acme", &id, Some(to.into()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{to}");
    }
    s.delete_role(&admin, "acme", &id, Some("member".into()))
        .await
        .unwrap();
}

#[tokio::test]
async fn editing_a_role_needs_its_old_and_new_permissions() {
    let auditor = custom_role(0x71, "auditor", PermissionSet::of(&[P::AuditRead]));
    let editor = custom_role(
        0x72,
        "editor",
        PermissionSet::of(&[P::RolesUpdate, P::UsersRead, P::UsersUpdate]),
    );
    let viewer = custom_role(0x73, "viewer", PermissionSet::of(&[P::UsersRead]));
    let mut m = Mocks::default()
        .org_with(MemberRole {
            key: editor.key(),
            custom: Some(editor.grant()),
        })
        .with_roles(vec![auditor.clone(), editor, viewer.clone()]);
    m.roles
        .expect_update()
        .withf(|r, _| r.name == "viewer" && r.permissions.names() == ["users:read", "users:update"])
        .times(1)
        .returning(|_, _| Ok(()));
    let s = m.services();
    let caller = session(user(5));
    let patch = |p: &[&str]| RolePatch {
        permissions: Some(p.iter().map(|s| (*s).to_owned()).collect()),
        ..Default::default()
    };
    // Taking audit:read away from the auditor role needs audit:read.
    let err = s
        .update_role(&caller, "acme", &auditor.id.to_string(), patch(&[]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("audit:read"), "{err}");
    // Adding it to a role they may edit is escalation too.
    let err = s
        .update_role(
            &caller,
            "acme",
            &viewer.id.to_string(),
            patch(&["users:read", "audit:read"]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    // Within their own permissions, the change goes through.
    s.update_role(
        &caller,
        "acme",
        &viewer.id.to_string(),
        patch(&["users:read", "users.update"]),
    )
    .await
    .unwrap();
}
