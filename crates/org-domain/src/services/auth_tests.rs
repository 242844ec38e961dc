//! Authentication against mocked ports.
use super::*;
use crate::permissions::PermissionSet;
use crate::services::fixtures::{Mocks, NOW, user};

#[tokio::test]
async fn unknown_emails_cost_a_password_verification_too() {
    let mut m = Mocks::default();
    m.users.expect_find_for_login().returning(|_| Ok(None));
    m.hasher
        .expect_verify()
        .withf(|_, h| h == DUMMY_PASSWORD_HASH)
        .times(1)
        .returning(|_, _| false);
    m.tokens.expect_insert_session().never();
    let err = m
        .services()
        .login("nobody@example.com", "whatever!", None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unauthenticated");
}

#[tokio::test]
async fn expired_sessions_and_unprefixed_tokens_are_refused() {
    let mut m = Mocks::default();
    m.tokens.expect_find_session().returning(|h| {
        let s = Session {
            id: Uuid::nil(),
            user_id: Uuid::from_u128(1),
            token_hash: h.clone(),
            active_organization_id: None,
            created: NOW,
            expires_at: NOW,
        };
        Ok(Some((s, user(1))))
    });
    let s = m.services();
    assert_eq!(
        s.authenticate("orgd_s_expired").await.unwrap_err().code(),
        "unauthenticated"
    );
    assert_eq!(
        s.authenticate("no-prefix").await.unwrap_err().code(),
        "unauthenticated"
    );
}

#[tokio::test]
async fn api_keys_record_use_at_most_once_a_minute() {
    let mut m = Mocks::default();
    let mut seq = mockall::Sequence::new();
    for last_used in [None, Some(NOW - Duration::seconds(5))] {
        m.tokens
            .expect_find_api_key()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move |h| {
                let k = ApiKey {
                    id: Uuid::nil(),
                    user_id: Uuid::from_u128(1),
                    name: "k".into(),
                    prefix: "orgd_k_xxxxx".into(),
                    token_hash: h.clone(),
                    scopes: PermissionSet::ALL,
                    organization_id: None,
                    expires_at: None,
                    last_used_at: last_used,
                    created: NOW,
                };
                Ok(Some((k, user(1))))
            });
    }
    m.tokens
        .expect_touch_api_key()
        .times(1)
        .returning(|_, _| Ok(()));
    let s = m.services();
    assert!(s.authenticate("orgd_k_abc").await.is_ok());
    assert!(s.authenticate("orgd_k_abc").await.is_ok());
}
