use org_domain::pagination::PageRequest;
use org_domain::ports::{Clock as _, Mail};
use org_infra::SystemClock;

use crate::both;
use crate::support::TestDb;

both!(sent_mail_is_listed_newest_first);

fn mail(n: u32) -> Mail {
    Mail {
        to: format!("user{n}@example.com"),
        subject: format!("Invitation {n}"),
        body: format!("Accept: http://localhost/accept?token=t{n}\n"),
    }
}

async fn sent_mail_is_listed_newest_first(t: &TestDb) {
    let empty = t.ports.outbox.list(PageRequest::default()).await.unwrap();
    assert_eq!((empty.total, empty.items.len()), (0, 0));

    let before = SystemClock.now();
    for n in 0..3 {
        t.ports.mailer.send(&mail(n)).await.unwrap();
    }
    let after = SystemClock.now();

    let all = t.ports.outbox.list(PageRequest::default()).await.unwrap();
    assert_eq!(all.total, 3);
    let sent: Vec<_> = all
        .items
        .iter()
        .map(|m| (m.to.clone(), m.subject.clone(), m.body.clone()))
        .collect();
    let expected: Vec<_> = [2, 1, 0]
        .map(|n| {
            let m = mail(n);
            (m.to, m.subject, m.body)
        })
        .into();
    assert_eq!(sent, expected);
    for m in &all.items {
        assert!(before <= m.created && m.created <= after, "{m:?}");
        assert_eq!(m.id.get_version_num(), 7);
    }
    assert!(all.items.windows(2).all(|w| w[0].created >= w[1].created));

    let page = t.ports.outbox.list(PageRequest::new(1, 1)).await.unwrap();
    assert_eq!((page.total, page.limit, page.offset), (3, 1, 1));
    assert_eq!(page.items, all.items[1..2]);
    let past_the_end = t.ports.outbox.list(PageRequest::new(10, 3)).await.unwrap();
    assert_eq!((past_the_end.total, past_the_end.items.len()), (3, 0));
}
