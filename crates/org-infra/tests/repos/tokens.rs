use org_domain::auth::{ApiKey, Session, TokenHash};
use org_domain::organizations::{OrgDetail, OrgRef, PreloadedOrg};
use org_domain::permissions::{Permission as P, PermissionSet};
use org_domain::roles::{RoleKey, SystemRole};
use uuid::Uuid;

use crate::both;
use crate::support::TestDb;

both!(sessions, api_keys, token_with_org_reads_what_access_reads);

async fn sessions(t: &TestDb) {
    let tokens = &t.ports.tokens;
    let u = t.user("s@x.io").await;
    let org = t.org(&u, "S", "s").await;
    let s = Session {
        id: uuid::Uuid::now_v7(),
        user_id: u.id,
        token_hash: TokenHash::of("orgd_s_secret"),
        active_organization_id: None,
        created: t.at(),
        expires_at: t.at() + time::Duration::days(7),
    };
    tokens.insert_session(&s).await.unwrap();
    let (found, user) = tokens
        .find_session(&TokenHash::of("orgd_s_secret"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found, user), (s.clone(), u.clone()));
    assert!(
        tokens
            .find_session(&TokenHash::of("orgd_s_other"))
            .await
            .unwrap()
            .is_none()
    );

    tokens
        .set_active_organization(s.id, Some(org.id))
        .await
        .unwrap();
    let (found, _) = tokens.find_session(&s.token_hash).await.unwrap().unwrap();
    assert_eq!(found.active_organization_id, Some(org.id));
    tokens.set_active_organization(s.id, None).await.unwrap();
    let (found, _) = tokens.find_session(&s.token_hash).await.unwrap().unwrap();
    assert_eq!(found.active_organization_id, None);

    tokens.delete_session(s.id).await.unwrap();
    assert!(tokens.find_session(&s.token_hash).await.unwrap().is_none());
}

async fn api_keys(t: &TestDb) {
    let tokens = &t.ports.tokens;
    let u = t.user("k@x.io").await;
    let other = t.user("o@x.io").await;
    let org = t.org(&u, "K", "k").await;
    let scopes = PermissionSet::parse_list("scopes", &["organization:read", "users.read"]).unwrap();
    let key = |name: &str, secret: &str| ApiKey {
        id: uuid::Uuid::now_v7(),
        user_id: u.id,
        name: name.to_owned(),
        prefix: secret[..10].to_owned(),
        token_hash: TokenHash::of(secret),
        scopes,
        organization_id: Some(org.id),
        expires_at: Some(t.at() + time::Duration::days(30)),
        last_used_at: None,
        created: t.at(),
    };
    let k1 = key("first", "orgd_k_1111111111");
    let k2 = ApiKey {
        scopes: PermissionSet::ALL,
        organization_id: None,
        expires_at: None,
        ..key("second", "orgd_k_2222222222")
    };
    let before = t.audit_rows().await;
    for k in [&k1, &k2] {
        let ev = t.event(None, "api_key.created", k.id);
        tokens.insert_api_key(k, &ev).await.unwrap();
    }
    assert_eq!(t.audit_rows().await, before + 2);

    let (found, user) = tokens.find_api_key(&k1.token_hash).await.unwrap().unwrap();
    assert_eq!((&found, &user), (&k1, &u));
    assert_eq!(
        found.scopes.names(),
        vec!["organization:read", "users:read"]
    );
    let (found, _) = tokens.find_api_key(&k2.token_hash).await.unwrap().unwrap();
    assert_eq!(found, k2);
    assert!(
        tokens
            .find_api_key(&TokenHash::of("orgd_k_nope"))
            .await
            .unwrap()
            .is_none()
    );

    let used = t.at();
    tokens.touch_api_key(k1.id, used).await.unwrap();
    let (found, _) = tokens.find_api_key(&k1.token_hash).await.unwrap().unwrap();
    assert_eq!(found.last_used_at, Some(used));

    let listed = tokens.list_api_keys(u.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|k| k.id).collect::<Vec<_>>(),
        vec![k2.id, k1.id]
    );
    assert!(tokens.list_api_keys(other.id).await.unwrap().is_empty());

    // Someone else's key: nothing deleted, nothing recorded.
    let ev = t.event(None, "api_key.deleted", k1.id);
    assert!(!tokens.delete_api_key(other.id, k1.id, &ev).await.unwrap());
    assert_eq!(t.audit_rows().await, before + 2);
    let ev = t.event(None, "api_key.deleted", k1.id);
    assert!(tokens.delete_api_key(u.id, k1.id, &ev).await.unwrap());
    assert_eq!(t.audit_rows().await, before + 3);
    assert!(tokens.find_api_key(&k1.token_hash).await.unwrap().is_none());
}

/// `find_session_in` / `find_api_key_in` answer the token and user of `find_session` /
/// `find_api_key` and, for the org, exactly what `OrganizationRepository::access` reads:
/// owner, custom role, role shadowed by a custom role, not a member, no such org.
async fn token_with_org_reads_what_access_reads(t: &TestDb) {
    let tokens = &t.ports.tokens;
    let orgs = &t.ports.organizations;
    let u = t.user("w@x.io").await;
    let boss = t.user("boss@x.io").await;
    let owned = t.org(&u, "Owned", "owned").await;
    let custom_org = t.org(&boss, "Custom", "custom").await;
    let shadow_org = t.org(&boss, "Shadow", "shadow").await;
    let foreign = t.org(&boss, "Foreign", "foreign").await;
    let reviewer = t
        .role(custom_org.id, "Reviewer", &[P::OrganizationRead])
        .await;
    let ev = t.event(Some(custom_org.id), "member.added", u.id);
    t.ports
        .members
        .add(
            custom_org.id,
            u.id,
            RoleKey::Custom(reviewer.id),
            t.at(),
            &ev,
        )
        .await
        .unwrap();
    t.role(shadow_org.id, "Admin", &[P::OrganizationRead, P::UsersRead])
        .await;
    let ev = t.event(Some(shadow_org.id), "member.added", u.id);
    t.ports
        .members
        .add(
            shadow_org.id,
            u.id,
            RoleKey::System(SystemRole::Admin),
            t.at(),
            &ev,
        )
        .await
        .unwrap();

    let s = Session {
        id: Uuid::now_v7(),
        user_id: u.id,
        token_hash: TokenHash::of("orgd_s_with_org"),
        active_organization_id: Some(owned.id),
        created: t.at(),
        expires_at: t.at() + time::Duration::days(7),
    };
    tokens.insert_session(&s).await.unwrap();
    let k = ApiKey {
        id: Uuid::now_v7(),
        user_id: u.id,
        name: "k".into(),
        prefix: "orgd_k_wit".into(),
        token_hash: TokenHash::of("orgd_k_with_org"),
        scopes: PermissionSet::ALL,
        organization_id: None,
        expires_at: None,
        last_used_at: None,
        created: t.at(),
    };
    tokens
        .insert_api_key(&k, &t.event(None, "api_key.created", k.id))
        .await
        .unwrap();

    let mut seen_roles = Vec::new();
    for org_id in [
        owned.id,
        custom_org.id,
        shadow_org.id,
        foreign.id,
        Uuid::now_v7(),
    ] {
        let want = orgs.access(&OrgRef::Id(org_id), u.id).await.unwrap();
        // `access` reads no listing version; authentication reads the org's.
        assert!(want.as_ref().is_none_or(|a| a.version.is_none()));
        let version = t.org_version(org_id).await;
        assert!(want.is_none() || version > 0, "the org's writes raised it");
        // The whole org, or its basics: what `access` reads, cut down, with the version
        // but for the basics alone.
        for detail in [OrgDetail::Full, OrgDetail::Listed, OrgDetail::Basics] {
            let want = want.clone().map(|mut a| {
                a.version = (detail != OrgDetail::Basics).then_some(version);
                a
            });
            let want = want.map(|a| match detail {
                OrgDetail::Full => PreloadedOrg::Full(Box::new(a)),
                OrgDetail::Listed | OrgDetail::Basics => PreloadedOrg::Basics(a.into_basics()),
            });
            let (found, user, access) = tokens
                .find_session_in(&s.token_hash, org_id, detail)
                .await
                .unwrap()
                .unwrap();
            assert_eq!((found, user), (s.clone(), u.clone()));
            assert_eq!(access, want, "session, org {org_id}, {detail:?}");
            let (found, user, access) = tokens
                .find_api_key_in(&k.token_hash, org_id, detail)
                .await
                .unwrap()
                .unwrap();
            assert_eq!((found, user), (k.clone(), u.clone()));
            assert_eq!(access, want, "api key, org {org_id}, {detail:?}");
        }
        seen_roles.push(want.map(|a| a.role.map(|r| (r.key, r.custom.map(|c| c.name)))));
    }
    // The cases above are the ones they claim to be.
    assert_eq!(
        seen_roles,
        vec![
            Some(Some((RoleKey::System(SystemRole::Owner), None))),
            Some(Some((
                RoleKey::Custom(reviewer.id),
                Some("Reviewer".to_owned())
            ))),
            Some(Some((
                RoleKey::System(SystemRole::Admin),
                Some("Admin".to_owned())
            ))),
            Some(None),
            None,
        ]
    );
    for org_id in [owned.id, Uuid::now_v7()] {
        for detail in [OrgDetail::Full, OrgDetail::Basics] {
            let no_session = tokens
                .find_session_in(&TokenHash::of("orgd_s_nope"), org_id, detail)
                .await
                .unwrap();
            assert!(no_session.is_none());
            let no_key = tokens
                .find_api_key_in(&TokenHash::of("orgd_k_nope"), org_id, detail)
                .await
                .unwrap();
            assert!(no_key.is_none());
        }
    }
}

/// PostgreSQL connections plan each prepared statement once (`plan_cache_mode`), so the
/// hot statements are not planned again on every execution.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_reuse_generic_plans() {
    use sea_orm::ConnectionTrait;
    let Some(t) = crate::support::TestDb::postgres().await else {
        eprintln!("ORGD_TEST_DATABASE_URL not set: skipped");
        return;
    };
    let row =
        t.db.connection()
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SHOW plan_cache_mode",
            ))
            .await
            .unwrap()
            .unwrap();
    let mode: String = row.try_get("", "plan_cache_mode").unwrap();
    assert_eq!(mode, "force_generic_plan");
}
