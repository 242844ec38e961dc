//! Authentication against mocked ports.
use super::*;
use crate::permissions::PermissionSet;
use crate::services::fixtures::{Mocks, NOW, user};
use time::OffsetDateTime;

/// A stored session of user 1 with this hash.
fn stored_session(token_hash: TokenHash, expires_at: OffsetDateTime) -> Session {
    Session {
        id: Uuid::nil(),
        user_id: Uuid::from_u128(1),
        token_hash,
        active_organization_id: None,
        created: NOW,
        expires_at,
    }
}

/// A stored API key of user 1 with this hash, every scope, no org, no expiry.
fn stored_key(token_hash: TokenHash, last_used_at: Option<OffsetDateTime>) -> ApiKey {
    ApiKey {
        id: Uuid::nil(),
        user_id: Uuid::from_u128(1),
        name: "k".into(),
        prefix: "orgd_k_xxxxx".into(),
        token_hash,
        scopes: PermissionSet::ALL,
        organization_id: None,
        expires_at: None,
        last_used_at,
        created: NOW,
    }
}

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
    m.tokens
        .expect_find_session()
        .returning(|h| Ok(Some((stored_session(h.clone(), NOW), user(1)))));
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
            .returning(move |h| Ok(Some((stored_key(h.clone(), last_used), user(1)))));
    }
    m.tokens
        .expect_touch_api_key()
        .times(1)
        .returning(|_, _| Ok(()));
    let s = m.services();
    assert!(s.authenticate("orgd_k_abc").await.is_ok());
    assert!(s.authenticate("orgd_k_abc").await.is_ok());
}

/// `h` with the low bits of its last byte changed.
fn off_in_last_byte(h: &TokenHash) -> TokenHash {
    let mut hex = h.to_hex();
    let last = hex.pop().unwrap();
    hex.push(if last == '0' { '1' } else { '0' });
    TokenHash::from_hex(&hex).unwrap()
}

/// The store is asked by hash, and what it answers is checked again with `ct_eq`: a row
/// whose hash differs in the very last byte (a store matching too loosely) is refused.
#[tokio::test]
async fn tokens_are_verified_by_constant_time_comparison_after_the_lookup() {
    for exact in [false, true] {
        let stored = move |h: &TokenHash| {
            if exact {
                h.clone()
            } else {
                off_in_last_byte(h)
            }
        };
        let mut m = Mocks::default();
        m.tokens.expect_find_session().returning(move |h| {
            let s = stored_session(stored(h), NOW + Duration::days(1));
            Ok(Some((s, user(1))))
        });
        m.tokens
            .expect_find_api_key()
            .returning(move |h| Ok(Some((stored_key(stored(h), Some(NOW)), user(1)))));
        let s = m.services();
        for token in ["orgd_s_secret", "orgd_k_secret"] {
            let got = s.authenticate(token).await;
            if exact {
                assert!(got.is_ok(), "{token}: {got:?}");
            } else {
                assert_eq!(got.unwrap_err().code(), "unauthenticated", "{token}");
            }
        }
    }
}

/// Authentication reads what it is asked to preload with the credential, with either kind
/// of token, and hands it to the use cases on the actor: the versions of the caller's orgs
/// for a listing of them, the org an org-scoped request names. Without a preload it asks
/// for nothing more; a refused credential hands nothing on.
#[tokio::test]
async fn what_is_preloaded_comes_with_the_credential() {
    use crate::organizations::{MemberOrgVersions, OrgDetail};

    let versions = MemberOrgVersions::new([(Uuid::from_u128(9), 4), (Uuid::from_u128(3), 0)]);
    let session = |h: &TokenHash, expires_at| stored_session(h.clone(), expires_at);
    let key = |h: &TokenHash| stored_key(h.clone(), Some(NOW));
    let mut m = Mocks::default();
    let v = versions.clone();
    m.tokens
        .expect_find_session_with_orgs()
        .times(2)
        .returning(move |h| {
            let expires_at = if h.ct_eq(&TokenHash::of("orgd_s_old")) {
                NOW
            } else {
                NOW + Duration::days(1)
            };
            Ok(Some((session(h, expires_at), user(1), v.clone())))
        });
    let v = versions.clone();
    m.tokens
        .expect_find_api_key_with_orgs()
        .times(1)
        .returning(move |h| Ok(Some((key(h), user(1), v.clone()))));
    m.tokens
        .expect_find_session_in()
        .withf(|_, org, detail| *org == Uuid::from_u128(5) && *detail == OrgDetail::Basics)
        .times(1)
        .returning(move |h, _, _| Ok(Some((session(h, NOW + Duration::days(1)), user(1), None))));
    m.tokens
        .expect_find_session()
        .times(1)
        .returning(move |h| Ok(Some((session(h, NOW + Duration::days(1)), user(1)))));
    let s = m.services();
    for token in ["orgd_s_secret", "orgd_k_secret"] {
        let actor = s
            .authenticate_in(token, Some(Preload::MemberOrgs))
            .await
            .unwrap();
        assert_eq!(actor.member_orgs.as_deref(), Some(&versions), "{token}");
        assert_eq!(actor.preloaded, None);
        assert_eq!(actor.request_id, None);
    }
    // Sorted by org, whatever order the store gave.
    let ids: Vec<_> = versions.as_slice().iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [Uuid::from_u128(3), Uuid::from_u128(9)]);
    let err = s
        .authenticate_in("orgd_s_old", Some(Preload::MemberOrgs))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unauthenticated");

    let org = Uuid::from_u128(5);
    let actor = s
        .authenticate_in("orgd_s_secret", Some(Preload::Org(org, OrgDetail::Basics)))
        .await
        .unwrap();
    assert_eq!(actor.member_orgs, None);
    let preloaded = actor.preloaded.unwrap();
    assert_eq!((preloaded.organization_id, preloaded.access), (org, None));

    let actor = s.authenticate_in("orgd_s_secret", None).await.unwrap();
    assert_eq!((actor.member_orgs, actor.preloaded), (None, None));
}
