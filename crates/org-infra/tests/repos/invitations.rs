//! Invitations: storage, listings with expiry applied, and every answer's state rules.
use org_domain::auth::TokenHash;
use org_domain::invitations::{Invitation, InvitationFilter, InvitationStatus as S, InvitedTo};
use org_domain::organizations::OrgRef;
use org_domain::pagination::PageRequest;
use org_domain::roles::{RoleKey, SystemRole};
use org_infra::entities::users;
use sea_orm::EntityTrait;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::both;
use crate::code;
use crate::support::TestDb;

both!(
    insert_and_read_back,
    insert_refusals,
    expired_pending_does_not_block,
    list_applies_expiry,
    renew_and_its_refusals,
    revoke_and_decline,
    accept_creates_one_membership,
    accept_refusals,
    accept_falls_back_when_the_role_is_gone,
);

const ADMIN: RoleKey = RoleKey::System(SystemRole::Admin);
const MEMBER: RoleKey = RoleKey::System(SystemRole::Member);
const HOUR: Duration = Duration::hours(1);

async fn member_count(t: &TestDb, org: Uuid, owner: Uuid) -> u64 {
    let access = t.ports.organizations.access(&OrgRef::Id(org), owner).await;
    access.unwrap().unwrap().org.member_count
}

async fn insert_and_read_back(t: &TestDb) {
    let inv = &t.ports.invitations;
    let a = t.user("a@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let rows = t.audit_rows().await;
    let (new, token) = t.new_invitation(o.id, a.id, "new@x.io", ADMIN);
    let ev = t.event(Some(o.id), "invitation.created", new.id);
    let got = inv.insert(&new, new.created, &ev).await.unwrap();
    let want = Invitation {
        id: new.id,
        organization: InvitedTo {
            id: o.id,
            name: "Acme".into(),
            slug: "acme".into(),
        },
        email: "new@x.io".into(),
        role: ADMIN,
        status: S::Pending,
        inviter: Some(a.public()),
        expires_at: new.expires_at,
        responded_at: None,
        created: new.created,
        updated: new.created,
    };
    assert_eq!(got, want);
    assert_eq!(t.audit_rows().await, rows + 1);
    assert_eq!(inv.get(new.id).await.unwrap(), Some(want.clone()));
    let by_token = inv.find_by_token(&TokenHash::of(&token)).await.unwrap();
    assert_eq!(by_token, Some(want));
    let wrong = inv
        .find_by_token(&TokenHash::of("orgd_i_nope"))
        .await
        .unwrap();
    assert_eq!(wrong, None);
    assert_eq!(inv.get(Uuid::now_v7()).await.unwrap(), None);

    // A custom role; the inviter's account deleted later.
    let r = t.role(o.id, "Reviewer", &[]).await;
    let inviter = t.user("i@x.io").await;
    let custom = t
        .invite(o.id, inviter.id, "c@x.io", RoleKey::Custom(r.id), None)
        .await;
    assert_eq!(custom.role, RoleKey::Custom(r.id));
    assert_eq!(custom.inviter, Some(inviter.public()));
    users::Entity::delete_by_id(inviter.id)
        .exec(t.db.connection())
        .await
        .unwrap();
    let orphaned = inv.get(custom.id).await.unwrap().unwrap();
    assert_eq!(
        orphaned,
        Invitation {
            inviter: None,
            ..custom
        }
    );
}

async fn insert_refusals(t: &TestDb) {
    let inv = &t.ports.invitations;
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let shadow = t.role(o.id, "Member", &[]).await;
    let ev = t.event(Some(o.id), "member.added", b.id);
    t.ports
        .members
        .add(o.id, b.id, MEMBER, t.at(), &ev)
        .await
        .unwrap();
    let first = t.invite(o.id, a.id, "dup@x.io", MEMBER, None).await;
    let rows = t.audit_rows().await;
    let no_filter = InvitationFilter::default();
    let listed = || {
        inv.list(
            o.id,
            &no_filter,
            first.created,
            PageRequest::default(),
            None,
        )
    };
    let before = listed().await.unwrap();

    let attempt = |email: &str, role: RoleKey, org: Uuid| {
        let (new, _) = t.new_invitation(org, a.id, email, role);
        let ev = t.event(Some(org), "invitation.created", new.id);
        async move { inv.insert(&new, new.created, &ev).await }
    };
    let err = attempt("dup@x.io", ADMIN, o.id).await.unwrap_err();
    assert_eq!(err.code(), "invitation_pending");
    assert!(err.to_string().contains(&first.id.to_string()), "{err}");
    let err = attempt("b@x.io", ADMIN, o.id).await.unwrap_err();
    assert_eq!(err.code(), "already_member");
    assert!(err.to_string().contains("b@x.io"), "{err}");
    for missing in [Uuid::now_v7(), shadow.id] {
        let r = attempt("new@x.io", RoleKey::Custom(missing), o.id).await;
        assert_eq!(code(r), "unknown_role");
    }
    assert_eq!(
        code(attempt("new@x.io", ADMIN, Uuid::now_v7()).await),
        "not_found"
    );
    assert_eq!(listed().await.unwrap(), before);
    assert_eq!(t.audit_rows().await, rows);

    // The same address may be invited to another org.
    let other = t.org(&a, "Other", "other").await;
    attempt("dup@x.io", ADMIN, other.id).await.unwrap();
}

async fn expired_pending_does_not_block(t: &TestDb) {
    let inv = &t.ports.invitations;
    let a = t.user("a@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let old = t
        .invite(o.id, a.id, "e@x.io", MEMBER, Some(t.at() + HOUR))
        .await;
    let (new, _) = t.new_invitation(o.id, a.id, "e@x.io", ADMIN);
    let ev = t.event(Some(o.id), "invitation.created", new.id);
    // Just before the old one expires it still blocks; from its expiry on it does not.
    let before = old.expires_at - Duration::microseconds(1);
    assert_eq!(
        code(inv.insert(&new, before, &ev).await),
        "invitation_pending"
    );
    let now = old.expires_at;
    let got = inv.insert(&new, now, &ev).await.unwrap();
    assert_eq!((got.status, got.role), (S::Pending, ADMIN));
    let marked = inv.get(old.id).await.unwrap().unwrap();
    assert_eq!(
        marked,
        Invitation {
            status: S::Expired,
            updated: now,
            ..old
        }
    );
}

async fn list_applies_expiry(t: &TestDb) {
    let inv = &t.ports.invitations;
    let a = t.user("a@x.io").await;
    let c = t.user("c@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let base = t.at();
    let soon = Some(base + HOUR);
    let pending = t.invite(o.id, a.id, "p@x.io", MEMBER, None).await;
    let lapsed = t.invite(o.id, a.id, "s@x.io", MEMBER, soon).await;
    let accepted = t.invite(o.id, a.id, "c@x.io", MEMBER, None).await;
    inv.accept(accepted.id, c.id, MEMBER, t.at(), &[])
        .await
        .unwrap();
    let declined = t.invite(o.id, a.id, "d@x.io", MEMBER, None).await;
    let ev = t.event(Some(o.id), "invitation.declined", declined.id);
    inv.decline(declined.id, t.at(), &ev).await.unwrap();
    let revoked = t.invite(o.id, a.id, "r@x.io", MEMBER, None).await;
    let ev = t.event(Some(o.id), "invitation.revoked", revoked.id);
    inv.revoke(revoked.id, t.at(), &ev).await.unwrap();
    // Stored as expired: replaced after its expiry.
    let replaced = t.invite(o.id, a.id, "e@x.io", MEMBER, soon).await;
    let (new, _) = t.new_invitation(o.id, a.id, "e@x.io", MEMBER);
    let ev = t.event(Some(o.id), "invitation.created", new.id);
    let replacement = inv.insert(&new, base + 2 * HOUR, &ev).await.unwrap();

    let now = base + 3 * HOUR;
    let list = |status: Option<S>, page: PageRequest| async move {
        let filter = InvitationFilter { status };
        let p = inv.list(o.id, &filter, now, page, None).await.unwrap();
        let items = p.items.iter().map(|i| (i.id, i.status)).collect::<Vec<_>>();
        (p.total, items)
    };
    let all = PageRequest::default();
    assert_eq!(
        list(None, all).await,
        (
            7,
            vec![
                (replacement.id, S::Pending),
                (replaced.id, S::Expired),
                (revoked.id, S::Revoked),
                (declined.id, S::Declined),
                (accepted.id, S::Accepted),
                (lapsed.id, S::Expired),
                (pending.id, S::Pending),
            ]
        )
    );
    assert_eq!(
        list(Some(S::Pending), all).await,
        (
            2,
            vec![(replacement.id, S::Pending), (pending.id, S::Pending)]
        )
    );
    assert_eq!(
        list(Some(S::Expired), all).await,
        (2, vec![(replaced.id, S::Expired), (lapsed.id, S::Expired)])
    );
    for (status, id) in [
        (S::Accepted, accepted.id),
        (S::Declined, declined.id),
        (S::Revoked, revoked.id),
    ] {
        assert_eq!(list(Some(status), all).await, (1, vec![(id, status)]));
    }
    assert_eq!(
        list(None, PageRequest::new(2, 1)).await,
        (7, vec![(replaced.id, S::Expired), (revoked.id, S::Revoked)])
    );
    // Single reads keep the stored status.
    assert_eq!(
        inv.get(lapsed.id).await.unwrap().unwrap().status,
        S::Pending
    );

    // The recipient's view spans organizations.
    let other = t.org(&c, "Other", "other").await;
    let elsewhere = t.invite(other.id, c.id, "s@x.io", ADMIN, None).await;
    let mine = |status: Option<S>| async move {
        let filter = InvitationFilter { status };
        let p = inv
            .list_for_email("s@x.io", &filter, now, all)
            .await
            .unwrap();
        (p.total, p.items)
    };
    let (total, items) = mine(None).await;
    assert_eq!(total, 2);
    assert_eq!(items[0], elsewhere);
    assert_eq!(
        items[1],
        Invitation {
            status: S::Expired,
            ..lapsed
        }
    );
    assert_eq!(mine(Some(S::Pending)).await, (1, vec![elsewhere]));
    assert_eq!(mine(Some(S::Revoked)).await, (0, vec![]));
}

async fn renew_and_its_refusals(t: &TestDb) {
    let inv = &t.ports.invitations;
    let a = t.user("a@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let base = t.at();
    let lapsing = t
        .invite(o.id, a.id, "r@x.io", MEMBER, Some(base + HOUR))
        .await;
    let rows = t.audit_rows().await;
    let renew = |id: Uuid, token: &str, now: OffsetDateTime| {
        let ev = t.event(Some(o.id), "invitation.renewed", id);
        let hash = TokenHash::of(token).to_hex();
        async move {
            inv.renew(id, &hash, now + Duration::days(7), now, &ev)
                .await
        }
    };

    // Renewing one that lapsed makes it pending again, with a new token.
    let now = base + 2 * HOUR;
    let renewed = renew(lapsing.id, "orgd_i_new", now).await.unwrap();
    let want = Invitation {
        status: S::Pending,
        expires_at: now + Duration::days(7),
        updated: now,
        ..lapsing.clone()
    };
    assert_eq!(renewed, want);
    assert_eq!(t.audit_rows().await, rows + 1);
    let found = inv
        .find_by_token(&TokenHash::of("orgd_i_new"))
        .await
        .unwrap();
    assert_eq!(found, Some(want));

    // A stored-expired one is blocked by a newer pending one for the same address.
    let old = t
        .invite(o.id, a.id, "x@x.io", MEMBER, Some(now + HOUR))
        .await;
    let (new, _) = t.new_invitation(o.id, a.id, "x@x.io", MEMBER);
    let ev = t.event(Some(o.id), "invitation.created", new.id);
    let later = now + 2 * HOUR;
    inv.insert(&new, later, &ev).await.unwrap();
    let stored_old = inv.get(old.id).await.unwrap().unwrap();
    assert_eq!(stored_old.status, S::Expired);
    let rows = t.audit_rows().await;
    let err = renew(old.id, "orgd_i_x", later).await.unwrap_err();
    assert_eq!(err.code(), "invitation_pending");
    assert!(err.to_string().contains(&new.id.to_string()), "{err}");
    assert_eq!(inv.get(old.id).await.unwrap(), Some(stored_old));
    assert_eq!(
        code(renew(Uuid::now_v7(), "orgd_i_y", later).await),
        "not_found"
    );
    assert_eq!(t.audit_rows().await, rows);
}

async fn revoke_and_decline(t: &TestDb) {
    let inv = &t.ports.invitations;
    let a = t.user("a@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let ev = |id: Uuid| t.event(Some(o.id), "invitation.answered", id);
    let renew = |id: Uuid, now: OffsetDateTime| {
        let ev = ev(id);
        async move { inv.renew(id, "ab", now + HOUR, now, &ev).await }
    };

    let revoked = t.invite(o.id, a.id, "r@x.io", MEMBER, None).await;
    let rows = t.audit_rows().await;
    let now = t.at();
    inv.revoke(revoked.id, now, &ev(revoked.id)).await.unwrap();
    let want = Invitation {
        status: S::Revoked,
        responded_at: Some(now),
        updated: now,
        ..revoked.clone()
    };
    assert_eq!(inv.get(revoked.id).await.unwrap(), Some(want.clone()));
    assert_eq!(t.audit_rows().await, rows + 1);
    // Again: idempotent, recorded once.
    inv.revoke(revoked.id, t.at(), &ev(revoked.id))
        .await
        .unwrap();
    let at = t.at();
    assert_eq!(code(renew(revoked.id, at).await), "invitation_revoked");
    let r = inv.decline(revoked.id, t.at(), &ev(revoked.id)).await;
    assert_eq!(code(r), "invitation_revoked");
    assert_eq!(inv.get(revoked.id).await.unwrap(), Some(want));
    assert_eq!(t.audit_rows().await, rows + 1);

    let declined = t.invite(o.id, a.id, "d@x.io", MEMBER, None).await;
    let rows = t.audit_rows().await;
    let now = t.at();
    inv.decline(declined.id, now, &ev(declined.id))
        .await
        .unwrap();
    let want = Invitation {
        status: S::Declined,
        responded_at: Some(now),
        updated: now,
        ..declined.clone()
    };
    assert_eq!(inv.get(declined.id).await.unwrap(), Some(want.clone()));
    let r = inv.decline(declined.id, t.at(), &ev(declined.id)).await;
    assert_eq!(code(r), "invitation_declined");
    let r = inv.revoke(declined.id, t.at(), &ev(declined.id)).await;
    assert_eq!(code(r), "invitation_declined");
    let at = t.at();
    assert_eq!(code(renew(declined.id, at).await), "invitation_declined");
    assert_eq!(inv.get(declined.id).await.unwrap(), Some(want));
    assert_eq!(t.audit_rows().await, rows + 1);

    // Declining needs an unexpired invitation; revoking does not.
    let lapsing = t
        .invite(o.id, a.id, "l@x.io", MEMBER, Some(t.at() + HOUR))
        .await;
    let late = lapsing.expires_at;
    let r = inv.decline(lapsing.id, late, &ev(lapsing.id)).await;
    assert_eq!(code(r), "invitation_expired");
    assert_eq!(inv.get(lapsing.id).await.unwrap(), Some(lapsing.clone()));
    inv.revoke(lapsing.id, late, &ev(lapsing.id)).await.unwrap();
    assert_eq!(
        inv.get(lapsing.id).await.unwrap().unwrap().status,
        S::Revoked
    );

    let rows = t.audit_rows().await;
    let ghost = Uuid::now_v7();
    assert_eq!(
        code(inv.revoke(ghost, t.at(), &ev(ghost)).await),
        "not_found"
    );
    assert_eq!(
        code(inv.decline(ghost, t.at(), &ev(ghost)).await),
        "not_found"
    );
    assert_eq!(t.audit_rows().await, rows);
}

async fn accept_creates_one_membership(t: &TestDb) {
    let inv = &t.ports.invitations;
    let a = t.user("a@x.io").await;
    let c = t.user("c@x.io").await;
    let d = t.user("d@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let r = t.role(o.id, "Reviewer", &[]).await;
    let custom = RoleKey::Custom(r.id);
    let invitation = t.invite(o.id, a.id, "c@x.io", custom, None).await;
    let rows = t.audit_rows().await;
    let now = t.at();
    let events = [
        t.event(Some(o.id), "invitation.accepted", invitation.id),
        t.event(Some(o.id), "member.added", c.id),
    ];
    let member = inv
        .accept(invitation.id, c.id, MEMBER, now, &events)
        .await
        .unwrap();
    assert_eq!(
        (
            member.organization_id,
            member.user,
            member.role,
            member.created
        ),
        (o.id, c.public(), custom, now)
    );
    assert_eq!(
        t.ports.members.get(o.id, c.id).await.unwrap().unwrap().role,
        custom
    );
    assert_eq!(member_count(t, o.id, a.id).await, 2);
    assert_eq!(t.audit_rows().await, rows + 2);
    let want = Invitation {
        status: S::Accepted,
        responded_at: Some(now),
        updated: now,
        ..invitation
    };
    assert_eq!(inv.get(want.id).await.unwrap(), Some(want.clone()));

    // Used once: neither the same user nor another can accept it again.
    for u in [&c, &d] {
        let r = inv.accept(want.id, u.id, MEMBER, t.at(), &events).await;
        assert_eq!(code(r), "invitation_already_used");
    }
    assert_eq!(t.ports.members.get(o.id, d.id).await.unwrap(), None);
    assert_eq!(member_count(t, o.id, a.id).await, 2);
    assert_eq!(t.audit_rows().await, rows + 2);
    assert_eq!(inv.get(want.id).await.unwrap(), Some(want));
}

async fn accept_refusals(t: &TestDb) {
    let inv = &t.ports.invitations;
    let a = t.user("a@x.io").await;
    let b = t.user("b@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let lapsing = t
        .invite(o.id, a.id, "b@x.io", ADMIN, Some(t.at() + HOUR))
        .await;
    let other = t.invite(o.id, a.id, "b2@x.io", ADMIN, None).await;
    let revoked = t.invite(o.id, a.id, "b3@x.io", ADMIN, None).await;
    let ev = t.event(Some(o.id), "invitation.revoked", revoked.id);
    inv.revoke(revoked.id, t.at(), &ev).await.unwrap();
    let rows = t.audit_rows().await;
    let events = [t.event(Some(o.id), "invitation.accepted", b.id)];

    let r = inv
        .accept(lapsing.id, b.id, MEMBER, lapsing.expires_at, &events)
        .await;
    assert_eq!(code(r), "invitation_expired");
    let r = inv.accept(revoked.id, b.id, MEMBER, t.at(), &events).await;
    assert_eq!(code(r), "invitation_revoked");
    let r = inv
        .accept(Uuid::now_v7(), b.id, MEMBER, t.at(), &events)
        .await;
    assert_eq!(code(r), "not_found");
    assert_eq!(t.ports.members.get(o.id, b.id).await.unwrap(), None);

    // Joined meanwhile: refused, the invitation stays pending.
    let ev = t.event(Some(o.id), "member.added", b.id);
    t.ports
        .members
        .add(o.id, b.id, MEMBER, t.at(), &ev)
        .await
        .unwrap();
    let rows = rows + 1;
    let r = inv.accept(other.id, b.id, ADMIN, t.at(), &events).await;
    assert_eq!(code(r), "already_member");
    assert_eq!(inv.get(other.id).await.unwrap(), Some(other));
    assert_eq!(
        t.ports.members.get(o.id, b.id).await.unwrap().unwrap().role,
        MEMBER
    );
    assert_eq!(member_count(t, o.id, a.id).await, 2);
    assert_eq!(inv.get(lapsing.id).await.unwrap(), Some(lapsing));
    assert_eq!(t.audit_rows().await, rows);
}

/// An invitation can outlive its custom role only while stored as expired (deleting a role
/// moves the pending ones); renewed afterwards, accepting it grants the fallback role.
async fn accept_falls_back_when_the_role_is_gone(t: &TestDb) {
    let inv = &t.ports.invitations;
    let a = t.user("a@x.io").await;
    let o = t.org(&a, "Acme", "acme").await;
    let base = t.at();
    for (i, fallback, granted) in [
        (0, ADMIN, ADMIN),
        // A fallback that is gone too: the least-privileged system role.
        (1, RoleKey::Custom(Uuid::now_v7()), MEMBER),
    ] {
        let user = t.user(&format!("u{i}@x.io")).await;
        let r = t.role(o.id, &format!("Doomed {i}"), &[]).await;
        let old = t
            .invite(
                o.id,
                a.id,
                user.email.as_str(),
                RoleKey::Custom(r.id),
                Some(base + HOUR),
            )
            .await;
        // Replace it after it lapsed (marking it expired), then revoke the replacement.
        let (new, _) = t.new_invitation(o.id, a.id, user.email.as_str(), MEMBER);
        let ev = t.event(Some(o.id), "invitation.created", new.id);
        let now = base + 2 * HOUR;
        inv.insert(&new, now, &ev).await.unwrap();
        let ev = t.event(Some(o.id), "invitation.revoked", new.id);
        inv.revoke(new.id, now, &ev).await.unwrap();
        let ev = t.event(Some(o.id), "role.deleted", r.id);
        assert_eq!(t.ports.roles.delete(&r, None, &ev).await.unwrap(), 0);
        let ev = t.event(Some(o.id), "invitation.renewed", old.id);
        inv.renew(old.id, &format!("{i:064}"), now + HOUR, now, &ev)
            .await
            .unwrap();

        let m = inv
            .accept(old.id, user.id, fallback, now, &[])
            .await
            .unwrap();
        assert_eq!(m.role, granted);
        let stored = t.ports.members.get(o.id, user.id).await.unwrap().unwrap();
        assert_eq!(stored.role, granted);
    }
}
