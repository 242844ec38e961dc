//! Every shape of the cached listing statements (`db::sql_cache`): each filter combination
//! answers what it filters, and — in these debug builds — the cache checks on every call
//! that its SQL and the values listed for the shape are what sea-query builds.
use org_domain::invitations::{InvitationFilter, InvitationStatus};
use org_domain::members::MemberFilter;
use org_domain::organizations::OrgFilter;
use org_domain::pagination::PageRequest;
use org_domain::roles::{RoleKey, SystemRole};
use time::Duration;

use crate::both;
use crate::support::TestDb;

both!(every_listing_shape_answers);

const MEMBER: RoleKey = RoleKey::System(SystemRole::Member);

async fn every_listing_shape_answers(t: &TestDb) {
    let a = t.user("alice@x.io").await;
    let b = t.user("bob@x.io").await;
    let acme = t.org(&a, "Acme", "acme").await;
    let other = t.org(&b, "Bolt", "bolt").await;
    let ev = t.event(Some(acme.id), "member.added", b.id);
    t.ports
        .members
        .add(acme.id, b.id, MEMBER, t.at(), &ev)
        .await
        .unwrap();
    let page = PageRequest::new(10, 0);

    // Organizations: membership required or not × search × name.
    for member_of in [None, Some(b.id)] {
        for search in [None, Some("ACM")] {
            for name in [None, Some("Acme")] {
                let filter = OrgFilter {
                    member_of,
                    search: search.map(str::to_owned),
                    name: name.map(str::to_owned),
                    read_at: None,
                };
                let got = t.ports.organizations.list(&filter, page).await.unwrap();
                let mut want = vec![acme.id];
                if search.is_none() && name.is_none() {
                    want.push(other.id);
                }
                let ids: Vec<_> = got.items.iter().map(|(o, _)| o.id).collect();
                assert_eq!(ids, want, "{filter:?}");
                assert_eq!(got.total, want.len() as u64);
            }
        }
    }

    // Members: search × role.
    for search in [None, Some("BOB")] {
        for role in [None, Some(MEMBER)] {
            let filter = MemberFilter {
                search: search.map(str::to_owned),
                role,
            };
            let got = t
                .ports
                .members
                .list(acme.id, &filter, page, None, None)
                .await
                .unwrap();
            let users: Vec<_> = got.items.iter().map(|m| m.user.id).collect();
            let want = if search.is_none() && role.is_none() {
                vec![a.id, b.id]
            } else {
                vec![b.id]
            };
            assert_eq!(users, want, "{filter:?}");
        }
    }

    // Invitations: org or recipient × no status, pending, expired, a stored status.
    let now = t.at();
    let past = Some(now - Duration::seconds(1));
    let expired = t.invite(acme.id, a.id, "carol@x.io", MEMBER, past).await;
    let pending = t.invite(acme.id, a.id, "carol@x.io", MEMBER, None).await;
    let statuses = [
        None,
        Some(InvitationStatus::Pending),
        Some(InvitationStatus::Expired),
        Some(InvitationStatus::Revoked),
    ];
    for status in statuses {
        let filter = InvitationFilter { status };
        let want = match status {
            None => vec![pending.id, expired.id],
            Some(InvitationStatus::Pending) => vec![pending.id],
            Some(InvitationStatus::Expired) => vec![expired.id],
            Some(_) => vec![],
        };
        let of_org = t
            .ports
            .invitations
            .list(acme.id, &filter, now, page, None)
            .await
            .unwrap();
        let of_email = t
            .ports
            .invitations
            .list_for_email("carol@x.io", &filter, now, page)
            .await
            .unwrap();
        for got in [of_org, of_email] {
            let ids: Vec<_> = got.items.iter().map(|i| i.id).collect();
            assert_eq!(ids, want, "{status:?}");
        }
    }
}
