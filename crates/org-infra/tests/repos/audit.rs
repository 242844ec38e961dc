use org_domain::audit::AuditFilter;
use org_domain::auth::TokenHash;
use org_domain::invitations::InvitationFilter;
use org_domain::members::MemberFilter;
use org_domain::organizations::{OrgDetail, OrgFilter, OrgRef};
use org_domain::pagination::PageRequest;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::both;
use crate::support::TestDb;

both!(list_and_ping);

/// A closed pool answers `Unavailable`, not `Unknown`.
#[tokio::test]
async fn closed_database_is_unavailable() {
    let t = TestDb::sqlite().await;
    t.db.connection().clone().close().await.unwrap();
    assert_eq!(
        crate::code(t.ports.audit.ping().await),
        "service_unavailable"
    );
    let found = t.ports.users.find_by_id(Uuid::now_v7()).await;
    assert_eq!(crate::code(found), "service_unavailable");
    // The statements run straight on the pool (`db::direct`) map its errors alike.
    let hash = TokenHash::of("orgd_s_closed");
    let org = Uuid::now_v7();
    assert_eq!(
        crate::code(t.ports.tokens.find_session(&hash).await),
        "service_unavailable"
    );
    for detail in [OrgDetail::Full, OrgDetail::Basics] {
        assert_eq!(
            crate::code(t.ports.tokens.find_session_in(&hash, org, detail).await),
            "service_unavailable"
        );
    }
    let members = t
        .ports
        .members
        .list(
            org,
            &MemberFilter::default(),
            PageRequest::default(),
            None,
            None,
        )
        .await;
    assert_eq!(crate::code(members), "service_unavailable");
    let orgs = t
        .ports
        .organizations
        .list(&OrgFilter::default(), PageRequest::default())
        .await;
    assert_eq!(crate::code(orgs), "service_unavailable");
    let access = t
        .ports
        .organizations
        .access(&OrgRef::Id(org), Uuid::now_v7())
        .await;
    assert_eq!(crate::code(access), "service_unavailable");
    let invitations = t
        .ports
        .invitations
        .list(
            org,
            &InvitationFilter::default(),
            OffsetDateTime::now_utc(),
            PageRequest::default(),
            None,
        )
        .await;
    assert_eq!(crate::code(invitations), "service_unavailable");
}

async fn list_and_ping(t: &TestDb) {
    let audit = &t.ports.audit;
    audit.ping().await.unwrap();
    let org = Uuid::now_v7();
    let actor = Uuid::now_v7();
    let mut events = Vec::new();
    for i in 0..5 {
        let mut ev = t.event(Some(org), if i % 2 == 0 { "a.even" } else { "a.odd" }, i);
        ev.actor_id = (i < 2).then_some(actor);
        audit.record(&ev).await.unwrap();
        events.push(ev);
    }
    audit
        .record(&t.event(Some(Uuid::now_v7()), "a.even", 9))
        .await
        .unwrap();
    audit.record(&t.event(None, "a.even", 9)).await.unwrap();

    let list =
        |f: AuditFilter, page: PageRequest| async move { audit.list(org, &f, page).await.unwrap() };
    let all = list(AuditFilter::default(), PageRequest::default()).await;
    assert_eq!(all.total, 5);
    // Newest first, and every field round-trips.
    let mut newest_first = events.clone();
    newest_first.reverse();
    assert_eq!(all.items, newest_first);

    let page = list(AuditFilter::default(), PageRequest::new(2, 2)).await;
    assert_eq!(page.items, newest_first[2..4]);
    let even = list(
        AuditFilter {
            action: Some("a.even".into()),
            ..Default::default()
        },
        PageRequest::default(),
    )
    .await;
    assert_eq!(even.total, 3);
    let by_actor = list(
        AuditFilter {
            actor_id: Some(actor),
            ..Default::default()
        },
        PageRequest::default(),
    )
    .await;
    assert_eq!(by_actor.items, vec![events[1].clone(), events[0].clone()]);
    let target = list(
        AuditFilter {
            target_id: Some("3".into()),
            ..Default::default()
        },
        PageRequest::default(),
    )
    .await;
    assert_eq!(target.items, vec![events[3].clone()]);
    // `since` is inclusive, `until` exclusive.
    let window = AuditFilter {
        since: Some(events[1].created),
        until: Some(events[3].created),
        ..Default::default()
    };
    assert_eq!(
        list(window, PageRequest::default()).await.items,
        vec![events[2].clone(), events[1].clone()]
    );
}
