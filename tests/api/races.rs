//! Invariants under concurrent requests (meaningful on PostgreSQL, where requests really
//! run in parallel; on SQLite they serialize and must hold all the same).
use serde_json::json;

use crate::helpers::{Resp, Team, TestApp, id, spawn_app};

/// A team whose admin was made a second owner; returns it with the two owners' member paths.
pub(crate) async fn two_owners(app: &TestApp, name: &str) -> (Team, String, String) {
    let t = app.team(name).await;
    let base = format!("/api/organizations/{}/members", t.org_id);
    let (first, second) = (
        format!("{base}/{}", t.owner_id),
        format!("{base}/{}", t.admin_id),
    );
    app.patch(&second, &t.owner, json!({"role": "owner"}))
        .await
        .expect(200);
    (t, first, second)
}

/// Exactly one side won with `ok`; the loser got `409 last_owner`; one owner is left and
/// it is the owner of record.
pub(crate) async fn assert_one_winner(
    app: &TestApp,
    t: &Team,
    a: Resp,
    b: Resp,
    ok: u16,
    round: u32,
) {
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [ok, 409], "round {round}: {a:?} {b:?}");
    let loser = if a.status == 409 { a } else { b };
    loser.problem(409, "last_owner");
    let owners = app
        .count(
            "SELECT COUNT(*) FROM members WHERE organization_id = $1 AND role = 'owner'",
            vec![id(&t.org_id)],
        )
        .await;
    assert_eq!(owners, 1, "round {round}");
    let consistent = app
        .count(
            "SELECT COUNT(*) FROM organizations o JOIN members m ON m.organization_id = o.id AND m.user_id = o.owner_id AND m.role = 'owner' WHERE o.id = $1",
            vec![id(&t.org_id)],
        )
        .await;
    assert_eq!(
        consistent, 1,
        "round {round}: the owner of record is a current owner"
    );
}

#[tokio::test]
async fn demoting_two_owners_at_once_leaves_one_owner() {
    let app = spawn_app().await;
    for round in 0..5 {
        let (t, first, second) = two_owners(&app, &format!("Race {round}")).await;
        // A superuser demotes both, so neither request's authorization depends on the other.
        let (a, b) = tokio::join!(
            app.patch(&first, &app.admin, json!({"role": "member"})),
            app.patch(&second, &app.admin, json!({"role": "member"})),
        );
        assert_one_winner(&app, &t, a, b, 200, round).await;
    }
}

#[tokio::test]
async fn two_owners_leaving_at_once_leave_one_owner() {
    let app = spawn_app().await;
    for round in 0..5 {
        let (t, first, second) = two_owners(&app, &format!("Leave {round}")).await;
        let (a, b) = tokio::join!(app.delete(&first, &t.owner), app.delete(&second, &t.admin));
        assert_one_winner(&app, &t, a, b, 204, round).await;
    }
}

#[tokio::test]
async fn concurrent_creates_respect_the_owner_limit_and_slugs() {
    let app = crate::helpers::spawn_with(|c| c.max_orgs_per_owner = Some(1)).await;
    let (token, uid) = app.user("ann@x.io").await;
    let (a, b) = tokio::join!(
        app.post(
            "/api/organizations",
            &token,
            json!({"name": "One", "slug": "one"})
        ),
        app.post(
            "/api/organizations",
            &token,
            json!({"name": "Two", "slug": "two"})
        ),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM organizations WHERE owner_id = $1",
            vec![id(&uid)]
        )
        .await,
        1
    );
    let (x, y) = tokio::join!(
        app.post(
            "/api/organizations",
            &app.admin,
            json!({"name": "S1", "slug": "same"})
        ),
        app.post(
            "/api/organizations",
            &app.admin,
            json!({"name": "S2", "slug": "same"})
        ),
    );
    let mut statuses = [x.status.as_u16(), y.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
}
