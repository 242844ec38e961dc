//! Invitation use cases against mocked ports: recipients are checked before the state is
//! revealed, refusals never reach the store, and only the token's hash is stored.
use time::Duration;

use super::*;
use crate::invitations::{InvitationStatus, InvitedTo};
use crate::roles::MemberRole;
use crate::services::fixtures::{Mocks, NOW, ORG, organization, session, user};

fn invitation(email: &str, status: InvitationStatus) -> Invitation {
    Invitation {
        id: Uuid::from_u128(0x1A),
        organization: InvitedTo {
            id: ORG,
            name: "Acme".into(),
            slug: "acme".into(),
        },
        email: email.into(),
        role: RoleKey::System(SystemRole::Member),
        status,
        inviter: Some(user(1).public()),
        expires_at: NOW + Duration::days(1),
        responded_at: None,
        created: NOW,
        updated: NOW,
    }
}

#[tokio::test]
async fn someone_elses_invitation_is_refused_before_its_state_is_told() {
    let mut m = Mocks::default();
    m.invitations.expect_get().returning(|_| {
        Ok(Some(invitation(
            "user9@example.com",
            InvitationStatus::Revoked,
        )))
    });
    m.invitations.expect_accept().never();
    m.invitations.expect_decline().never();
    let s = m.services();
    let me = session(user(5));
    let id = Uuid::from_u128(0x1A);
    assert_eq!(
        s.accept_invitation(&me, id).await.unwrap_err().code(),
        "invitation_not_for_you"
    );
    assert_eq!(
        s.decline_invitation(&me, id).await.unwrap_err().code(),
        "invitation_not_for_you"
    );
}

#[tokio::test]
async fn each_unanswerable_state_has_its_own_code() {
    let cases = [
        (InvitationStatus::Accepted, "invitation_already_used", 0),
        (InvitationStatus::Declined, "invitation_declined", 0),
        (InvitationStatus::Revoked, "invitation_revoked", 0),
        (InvitationStatus::Expired, "invitation_expired", 0),
        // Stored as pending, but past its expiry.
        (InvitationStatus::Pending, "invitation_expired", -2),
    ];
    for (status, code, days) in cases {
        let mut m = Mocks::default();
        m.invitations.expect_get().returning(move |_| {
            let mut i = invitation("user5@example.com", status);
            if days != 0 {
                i.expires_at = NOW + Duration::days(days);
            }
            Ok(Some(i))
        });
        m.invitations.expect_accept().never();
        let err = m
            .services()
            .accept_invitation(&session(user(5)), Uuid::from_u128(0x1A))
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{status}");
    }
}

#[tokio::test]
async fn only_the_tokens_hash_is_stored_and_the_token_is_mailed() {
    let mut m = Mocks::default()
        .org_with_role(Some(SystemRole::Admin))
        .with_roles(vec![]);
    // The fixture's secret is 43 × 's'.
    let token = format!("{INVITATION_PREFIX}{}", "s".repeat(43));
    let hash = TokenHash::of(&token).to_hex();
    m.invitations
        .expect_insert()
        .withf(move |n, now, e| {
            n.token_hash == hash
                && n.email == "ann@example.com"
                && n.expires_at == NOW + Duration::days(7)
                && *now == NOW
                && e.action == "invitation.created"
        })
        .times(1)
        .returning(|n, _, _| {
            let mut i = invitation(&n.email, InvitationStatus::Pending);
            i.id = n.id;
            Ok(i)
        });
    let mailed = token.clone();
    m.mailer
        .expect_send()
        .withf(move |mail| {
            mail.to == "ann@example.com"
                && mail.body.contains(&mailed)
                && mail.subject.contains("Acme")
        })
        .times(1)
        .returning(|_| Err(DomainError::Unavailable("smtp down".into())));
    let inv = m
        .services()
        .create_invitation(&session(user(4)), "acme", " Ann@Example.com ", None)
        .await
        .expect("a failed delivery does not undo the invitation");
    assert_eq!(inv.status, InvitationStatus::Pending);
}

#[tokio::test]
async fn inviting_needs_users_invite_and_the_roles_permissions() {
    let mut m = Mocks::default().with_roles(vec![]);
    let mut org = organization();
    org.settings.members_can_invite = true;
    m.organizations.expect_access().returning(move |_, _| {
        Ok(Some(crate::organizations::OrgAccess {
            org: org.clone(),
            role: Some(MemberRole::system(SystemRole::Member)),
            version: None,
        }))
    });
    m.invitations.expect_insert().never();
    let s = m.services();
    let member = session(user(5));
    for (role, code) in [
        ("admin", "forbidden"),
        ("owner", "forbidden"),
        ("wizard", "unknown_role"),
    ] {
        let err = s
            .create_invitation(&member, "acme", "ann@example.com", Some(role.into()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{role}");
    }
    let err = s
        .create_invitation(&member, "acme", "not-an-email", None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "validation_failed");
}

#[tokio::test]
async fn tokens_of_another_kind_are_unknown_without_a_lookup() {
    let mut m = Mocks::default();
    m.invitations.expect_find_by_token().never();
    let err = m
        .services()
        .accept_invitation_by_token(&session(user(5)), "orgd_s_not-an-invitation")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}
