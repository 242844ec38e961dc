use org_domain::pagination::PageRequest;
use org_domain::values::Email;

use crate::both;
use crate::code;
use crate::support::TestDb;

both!(
    insert_find_and_email_taken,
    update_and_list,
    two_factor_secret_lifecycle
);

async fn insert_find_and_email_taken(t: &TestDb) {
    let users = &t.ports.users;
    let u = t.user("Ada@Example.com").await;
    assert_eq!(t.audit_rows().await, 1);

    assert_eq!(users.find_by_id(u.id).await.unwrap().as_ref(), Some(&u));
    let email = Email::parse("ADA@example.COM").unwrap();
    assert_eq!(users.find_by_email(&email).await.unwrap(), Some(u.clone()));
    let (found, hash) = users.find_for_login(&email).await.unwrap().unwrap();
    assert_eq!(
        (found, hash.as_deref()),
        (u.clone(), Some("$argon2id$fake"))
    );

    // Same address in another case: refused, and no audit row is left behind.
    let dup = t.new_user("ada@EXAMPLE.com");
    let ev = t.event(None, "user.created", dup.id);
    assert_eq!(code(users.insert(&dup, None, &ev).await), "email_taken");
    assert_eq!(t.audit_rows().await, 1);
    assert_eq!(users.find_by_id(dup.id).await.unwrap(), None);
}

async fn update_and_list(t: &TestDb) {
    let users = &t.ports.users;
    let mut a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    a.name = Some("100% real".to_owned());
    a.is_onboarded = true;
    a.updated = t.at();
    let ev = t.event(None, "user.updated", a.id);
    users
        .update(&a, Some("new-hash".to_owned()), &ev)
        .await
        .unwrap();
    assert_eq!(users.find_by_id(a.id).await.unwrap(), Some(a.clone()));
    let login = users.find_for_login(&a.email).await.unwrap().unwrap();
    assert_eq!(login.1.as_deref(), Some("new-hash"));
    // No new hash: the old one stays.
    users
        .update(&a, None, &t.event(None, "user.updated", a.id))
        .await
        .unwrap();
    let login = users.find_for_login(&a.email).await.unwrap().unwrap();
    assert_eq!(login.1.as_deref(), Some("new-hash"));
    assert_eq!(t.audit_rows().await, 4);

    // Taking someone else's email.
    let mut clash = b.clone();
    clash.email = a.email.clone();
    let ev = t.event(None, "user.updated", b.id);
    assert_eq!(code(users.update(&clash, None, &ev).await), "email_taken");
    let ghost = t.new_user("ghost@x.io");
    let ev = t.event(None, "user.updated", ghost.id);
    assert_eq!(code(users.update(&ghost, None, &ev).await), "not_found");
    assert_eq!(t.audit_rows().await, 4);

    let page = users.list(None, PageRequest::new(1, 1)).await.unwrap();
    assert_eq!((page.total, page.items.len()), (2, 1));
    assert_eq!(page.items[0].id, b.id);
    // `%` is literal in a search, and matching ignores case.
    let page = users
        .list(Some("0% REAL".into()), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![a.id]
    );
    let page = users
        .list(Some("%".into()), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    let page = users
        .list(Some("_".into()), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.total, 0);
}

async fn two_factor_secret_lifecycle(t: &TestDb) {
    let users = &t.ports.users;
    let mut u = t.user("tf@x.io").await;
    let ghost = t.new_user("ghost@x.io");
    assert_eq!(users.find_totp_secret(u.id).await.unwrap(), None);
    assert_eq!(users.find_totp_secret(ghost.id).await.unwrap(), None);
    let ev = |a: &str| t.event(None, a, u.id);

    // Pending secrets can be replaced; the profile is untouched but `updated` moves.
    let at = t.at();
    users
        .set_pending_totp_secret(u.id, "AAAA", at, &ev("user.two_factor_started"))
        .await
        .unwrap();
    users
        .set_pending_totp_secret(u.id, "BBBB", at, &ev("user.two_factor_started"))
        .await
        .unwrap();
    assert_eq!(
        users.find_totp_secret(u.id).await.unwrap().as_deref(),
        Some("BBBB")
    );
    u.updated = at;
    assert_eq!(users.find_by_id(u.id).await.unwrap(), Some(u.clone()));
    assert_eq!(t.audit_rows().await, 3);

    // Enabling against a secret that is no longer stored changes nothing.
    let r = users
        .set_two_factor(u.id, "AAAA", true, t.at(), &ev("user.two_factor_enabled"))
        .await;
    assert_eq!(code(r), "two_factor_changed");
    assert_eq!(t.audit_rows().await, 3);

    let at = t.at();
    users
        .set_two_factor(u.id, "BBBB", true, at, &ev("user.two_factor_enabled"))
        .await
        .unwrap();
    u.two_factor_enabled = true;
    u.updated = at;
    assert_eq!(users.find_by_id(u.id).await.unwrap(), Some(u.clone()));
    assert_eq!(
        users.find_totp_secret(u.id).await.unwrap().as_deref(),
        Some("BBBB")
    );
    assert_eq!(t.audit_rows().await, 4);

    // A profile update keeps the secret; enabling twice or restarting enrollment is refused.
    users.update(&u, None, &ev("user.updated")).await.unwrap();
    assert_eq!(
        users.find_totp_secret(u.id).await.unwrap().as_deref(),
        Some("BBBB")
    );
    let r = users
        .set_two_factor(u.id, "BBBB", true, t.at(), &ev("user.two_factor_enabled"))
        .await;
    assert_eq!(code(r), "two_factor_changed");
    let r = users
        .set_pending_totp_secret(u.id, "CCCC", t.at(), &ev("user.two_factor_started"))
        .await;
    assert_eq!(code(r), "two_factor_already_enabled");
    let r = users
        .set_pending_totp_secret(ghost.id, "CCCC", t.at(), &ev("user.two_factor_started"))
        .await;
    assert_eq!(code(r), "user_not_found");
    assert_eq!(t.audit_rows().await, 5);

    // Disabling erases the secret.
    users
        .set_two_factor(u.id, "BBBB", false, t.at(), &ev("user.two_factor_disabled"))
        .await
        .unwrap();
    let found = users.find_by_id(u.id).await.unwrap().unwrap();
    assert!(!found.two_factor_enabled);
    assert_eq!(users.find_totp_secret(u.id).await.unwrap(), None);
    assert_eq!(t.audit_rows().await, 6);
}
