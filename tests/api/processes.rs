//! Several `orgd` processes on one database: the invariants hold when the racing requests
//! reach different processes (no in-process lock can help there), and `kill -9` during a
//! write load leaves no half-written rows. PostgreSQL when `ORGD_TEST_DATABASE_URL` is set,
//! else one SQLite file that the processes share. `ORGD_TEST_CHILD_LOGS=1` shows the
//! processes' logs.
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, fresh_postgres, id, report, spawn_app};
use crate::invitations::{ACCEPT_TOKEN, accept, invite, memberships, sid, token_for};
use crate::races::{assert_one_winner, two_owners};

/// One `orgd serve` child process; killed (SIGKILL) when dropped.
pub struct Orgd {
    child: Child,
    pub base: String,
}

impl Orgd {
    /// Starts `orgd serve` on a free loopback port against `url`, with the test superuser,
    /// extra `ORGD_*` settings, and waits until it answers `/healthz`.
    pub async fn start(url: &str, extra: &[(&str, &str)]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_orgd"));
        cmd.arg("serve")
            .env_clear()
            .env("ORGD_DATABASE_URL", url)
            .env("ORGD_BIND", format!("127.0.0.1:{port}"))
            .env("ORGD_DB_POOL", "4")
            .env("ORGD_WORKERS", "2")
            .env("ORGD_LOG", "warn")
            .env("ORGD_AUTH_RATE_PER_IP", "off")
            .env("ORGD_AUTH_RATE_PER_ACCOUNT", "off")
            .env("ORGD_BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("ORGD_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("ORGD_TEST_CHILD_LOGS").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("orgd starts");
        let orgd = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        orgd.wait_healthy().await;
        orgd
    }

    async fn wait_healthy(&self) {
        let client = reqwest::Client::new();
        for _ in 0..300 {
            let up = client
                .get(format!("{}/healthz", self.base))
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("orgd at {} did not come up", self.base);
    }

    /// `kill -9`: no shutdown hook, no flush, no rollback but the database's own.
    pub fn kill(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Drop for Orgd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A database for several processes: a fresh PostgreSQL database, or a SQLite file that is
/// deleted (with its WAL files) on drop.
pub struct SharedDb {
    pub url: String,
    file: Option<PathBuf>,
}

impl SharedDb {
    pub async fn new() -> Self {
        match std::env::var("ORGD_TEST_DATABASE_URL") {
            Ok(base) if !base.is_empty() => Self {
                url: fresh_postgres(&base).await,
                file: None,
            },
            _ => {
                let file = std::env::temp_dir()
                    .join(format!("orgd-test-{}.db", uuid::Uuid::new_v4().simple()));
                Self {
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                    file: Some(file),
                }
            }
        }
    }

    /// A [`TestApp`] that talks to the process at `base` and reads this database.
    pub async fn client(&self, base: &str) -> TestApp {
        let db = sea_orm::Database::connect(&self.url)
            .await
            .expect("the shared database");
        let mut app = TestApp {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            db,
            admin: String::new(),
        };
        app.admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        app
    }
}

impl Drop for SharedDb {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                std::fs::remove_file(format!("{}{suffix}", file.display())).ok();
            }
        }
    }
}

/// Two processes on one database (the first migrates it alone), with a client for each.
async fn pair(extra: &[(&str, &str)]) -> (SharedDb, Orgd, Orgd, TestApp, TestApp) {
    let db = SharedDb::new().await;
    let first = Orgd::start(&db.url, extra).await;
    let second = Orgd::start(&db.url, extra).await;
    let a = db.client(&first.base).await;
    let b = db.client(&second.base).await;
    (db, first, second, a, b)
}

const ROUNDS: u32 = 5;

#[tokio::test]
async fn the_last_owner_survives_requests_to_two_processes() {
    let (_db, _p, _q, a, b) = pair(&[]).await;
    for round in 0..ROUNDS {
        let (t, first, second) = two_owners(&a, &format!("Demote {round}")).await;
        let (x, y) = tokio::join!(
            a.patch(&first, &a.admin, json!({"role": "member"})),
            b.patch(&second, &b.admin, json!({"role": "member"})),
        );
        assert_one_winner(&a, &t, x, y, 200, round).await;

        let (t, first, second) = two_owners(&a, &format!("Leave {round}")).await;
        let (x, y) = tokio::join!(a.delete(&first, &t.owner), b.delete(&second, &t.admin));
        assert_one_winner(&a, &t, x, y, 204, round).await;
    }
    report("races.last_owner", 2 * ROUNDS as usize);
}

#[tokio::test]
async fn one_invitation_accepted_through_two_processes_makes_one_member() {
    let (_db, _p, _q, a, b) = pair(&[]).await;
    let t = a.team("Race").await;
    for round in 0..ROUNDS {
        let email = format!("guest{round}@example.test");
        let inv = invite(&a, &t.owner, &t.org_id, &email, None).await;
        let token = token_for(&a, &email).await;
        let (guest, guest_id) = a.user(&email).await;
        let by_id = accept(sid(&inv));
        let (x, y) = tokio::join!(
            a.post(&by_id, &guest, json!({})),
            b.post(ACCEPT_TOKEN, &guest, json!({"token": token})),
        );
        let mut statuses = [x.status.as_u16(), y.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}: {x:?} {y:?}");
        let loser = if x.status == 409 { x } else { y };
        loser.problem(409, "invitation_already_used");
        assert_eq!(memberships(&a, &t.org_id, &guest_id).await, 1);
        let counted = a
            .count(
                "SELECT member_count FROM organizations WHERE id = $1",
                vec![id(&t.org_id)],
            )
            .await;
        assert_eq!(counted, 3 + i64::from(round) + 1, "round {round}");
    }
    report("races.invitation_accept", ROUNDS as usize);
}

#[tokio::test]
async fn one_slug_and_the_owner_limit_hold_across_processes() {
    let (_db, _p, _q, a, b) = pair(&[("ORGD_MAX_ORGS_PER_OWNER", "1")]).await;
    for round in 0..ROUNDS {
        // The same slug from two processes (two users, each under the limit): one wins.
        let slug = format!("same-{round}");
        let (p, _) = a.user(&format!("p{round}@x.io")).await;
        let (q, _) = a.user(&format!("q{round}@x.io")).await;
        let (x, y) = tokio::join!(
            a.post(
                "/api/organizations",
                &p,
                json!({"name": format!("S{round}a"), "slug": slug})
            ),
            b.post(
                "/api/organizations",
                &q,
                json!({"name": format!("S{round}b"), "slug": slug})
            ),
        );
        let mut statuses = [x.status.as_u16(), y.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "round {round}: {x:?} {y:?}");
        assert_eq!(
            a.count(
                "SELECT COUNT(*) FROM organizations WHERE slug = $1",
                vec![slug.into()]
            )
            .await,
            1
        );

        // Two orgs for a user allowed one: one wins.
        let (token, uid) = a.user(&format!("ann{round}@x.io")).await;
        let (x, y) = tokio::join!(
            a.post(
                "/api/organizations",
                &token,
                json!({"name": format!("One {round}")})
            ),
            b.post(
                "/api/organizations",
                &token,
                json!({"name": format!("Two {round}")})
            ),
        );
        let mut statuses = [x.status.as_u16(), y.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "round {round}: {x:?} {y:?}");
        let loser = if x.status == 409 { x } else { y };
        loser.problem(409, "organization_limit_exceeded");
        assert_eq!(
            a.count(
                "SELECT COUNT(*) FROM organizations WHERE owner_id = $1",
                vec![id(&uid)]
            )
            .await,
            1
        );
    }
    report("races.same_slug", ROUNDS as usize);
    report("races.max_orgs", ROUNDS as usize);
}

#[tokio::test]
async fn a_logout_in_one_process_is_honoured_by_the_other() {
    let (_db, _p, _q, a, b) = pair(&[]).await;
    let (token, _) = a.user("ann@x.io").await;
    b.get("/api/users/me", &token).await.expect(200);
    a.call(
        reqwest::Method::POST,
        "/api/auth/logout",
        Some(&token),
        None,
    )
    .await
    .expect(204);
    b.get("/api/users/me", &token)
        .await
        .problem(401, "unauthenticated");
}

/// A process answers member listings and the org with its members and invitations from
/// what it read before only while the org's listing version is unchanged: a role change, a
/// profile change, a removal or an invitation made through the other process is in its next
/// answer.
#[tokio::test]
async fn a_change_in_one_process_is_listed_by_the_other_at_once() {
    let (_db, _p, _q, a, b) = pair(&[]).await;
    let t = a.team("Listed").await;
    let members = format!("/api/organizations/{}/members?limit=20", t.org_id);
    let full = format!("/api/organizations/{}?expand=members,invitations", t.org_id);
    let role_of = |listing: &serde_json::Value, user: &str| {
        listing["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user"]["id"] == user)
            .map(|m| m["role"].as_str().unwrap().to_owned())
    };
    // The member's own orgs, with their role there, as B lists them.
    let mine = "/api/organizations?limit=100";
    let my_role = |listing: &serde_json::Value| {
        listing["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == t.org_id.as_str())
            .map(|o| o["role"].as_str().unwrap().to_owned())
    };
    // B reads (and may keep) the listings, twice.
    for _ in 0..2 {
        let listing = b.get(&members, &t.owner).await.expect(200);
        assert_eq!(role_of(&listing, &t.member_id).as_deref(), Some("member"));
        b.get(&full, &t.owner).await.expect(200);
        let listing = b.get(mine, &t.member).await.expect(200);
        assert_eq!(my_role(&listing).as_deref(), Some("member"));
    }

    let member_path = format!("/api/organizations/{}/members/{}", t.org_id, t.member_id);
    a.patch(&member_path, &t.owner, json!({"role": "admin"}))
        .await
        .expect(200);
    let listing = b.get(&members, &t.owner).await.expect(200);
    assert_eq!(role_of(&listing, &t.member_id).as_deref(), Some("admin"));
    let listing = b.get(mine, &t.member).await.expect(200);
    assert_eq!(my_role(&listing).as_deref(), Some("admin"));
    let org = b.get(&full, &t.owner).await.expect(200);
    assert_eq!(
        role_of(&org["members"], &t.member_id).as_deref(),
        Some("admin")
    );

    a.patch("/api/users/me", &t.member, json!({"name": "Renamed In A"}))
        .await
        .expect(200);
    let listing = b.get(&members, &t.owner).await.expect(200);
    let named = listing["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["user"]["name"] == "Renamed In A");
    assert!(named, "{listing}");

    a.post(
        &format!("/api/organizations/{}/invitations", t.org_id),
        &t.owner,
        json!({"email": "new@listed.test", "role": "member"}),
    )
    .await
    .expect(201);
    let org = b.get(&full, &t.owner).await.expect(200);
    let invited = org["invitations"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["email"] == "new@listed.test");
    assert!(invited, "{org}");

    a.delete(&member_path, &t.owner).await.expect(204);
    let listing = b.get(&members, &t.owner).await.expect(200);
    assert_eq!(role_of(&listing, &t.member_id), None);
    assert_eq!(listing["total"], 2);
    let org = b.get(&full, &t.owner).await.expect(200);
    assert_eq!(role_of(&org["members"], &t.member_id), None);
    let listing = b.get(mine, &t.member).await.expect(200);
    assert_eq!(my_role(&listing), None, "{listing}");
}

/// The SQL invariants no crash may break: counters match rows, every org has an owner of
/// record who is a current owner, and every write left its audit row (one transaction).
/// Returns the number of organizations checked.
pub async fn assert_invariants(app: &TestApp) -> i64 {
    let checks = [
        (
            "member_count matches the member rows",
            "SELECT COUNT(*) FROM organizations o WHERE o.member_count <> \
             (SELECT COUNT(*) FROM members m WHERE m.organization_id = o.id)",
        ),
        (
            "every org has an owner member",
            "SELECT COUNT(*) FROM organizations o WHERE NOT EXISTS \
             (SELECT 1 FROM members m WHERE m.organization_id = o.id AND m.role = 'owner')",
        ),
        (
            "the owner of record is a current owner",
            "SELECT COUNT(*) FROM organizations o WHERE NOT EXISTS \
             (SELECT 1 FROM members m WHERE m.organization_id = o.id \
              AND m.user_id = o.owner_id AND m.role = 'owner')",
        ),
        (
            "every org has exactly one creation event",
            "SELECT COUNT(*) FROM organizations o WHERE (SELECT COUNT(*) FROM audit_events e \
             WHERE e.organization_id = o.id AND e.action = 'organization.created') <> 1",
        ),
        (
            "every added member has its event (the load never removes members)",
            "SELECT COUNT(*) FROM organizations o WHERE (SELECT COUNT(*) FROM members m \
             WHERE m.organization_id = o.id) <> 1 + (SELECT COUNT(*) FROM audit_events e \
             WHERE e.organization_id = o.id AND e.action = 'member.added')",
        ),
        (
            "every invitation has its event",
            "SELECT COUNT(*) FROM organizations o WHERE (SELECT COUNT(*) FROM invitations i \
             WHERE i.organization_id = o.id) <> (SELECT COUNT(*) FROM audit_events e \
             WHERE e.organization_id = o.id AND e.action = 'invitation.created')",
        ),
    ];
    for (what, sql) in checks {
        assert_eq!(app.scalar(sql).await, 0, "{what}");
    }
    app.scalar("SELECT COUNT(*) FROM organizations").await
}

/// Writers until `stop`: each creates orgs, adds a member, changes its role and invites.
/// `owner` is the session of `writer{worker}@load.test`; `helper{worker}@load.test` exists.
async fn write_load(
    app: Arc<TestApp>,
    worker: usize,
    owner: String,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        // Errors are expected once the process is killed; only the database state counts.
        let Ok(org) = app
            .client
            .post(format!("{}/api/organizations", app.base))
            .bearer_auth(&owner)
            .json(&json!({"name": format!("Load {worker}-{n}")}))
            .send()
            .await
        else {
            break;
        };
        let Ok(org) = org.json::<serde_json::Value>().await else {
            break;
        };
        let Some(org_id) = org["id"].as_str() else {
            break;
        };
        let base = format!("{}/api/organizations/{org_id}", app.base);
        let steps = [
            (
                format!("{base}/members"),
                reqwest::Method::POST,
                json!({"user_email": format!("helper{worker}@load.test"), "role": "member"}),
            ),
            (
                format!("{base}/invitations"),
                reqwest::Method::POST,
                json!({"email": format!("guest{worker}-{n}@load.test")}),
            ),
            (
                base.clone(),
                reqwest::Method::PATCH,
                json!({"description": format!("round {n}")}),
            ),
        ];
        for (url, method, body) in steps {
            if app
                .client
                .request(method, url)
                .bearer_auth(&owner)
                .json(&body)
                .send()
                .await
                .is_err()
            {
                return;
            }
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::test]
async fn kill_9_during_writes_leaves_no_half_written_rows() {
    let db = SharedDb::new().await;
    let mut orgd = Orgd::start(&db.url, &[]).await;
    let app = Arc::new(db.client(&orgd.base).await);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    // The writers' users first: a signup cut off by the kill would fail the test, not orgd.
    let mut owners = Vec::new();
    for w in 0..6 {
        owners.push(app.user(&format!("writer{w}@load.test")).await.0);
        app.user(&format!("helper{w}@load.test")).await;
    }
    let writers: Vec<_> = owners
        .into_iter()
        .enumerate()
        .map(|(w, owner)| {
            tokio::spawn(write_load(
                app.clone(),
                w,
                owner,
                stop.clone(),
                done.clone(),
            ))
        })
        .collect();
    // Let the load build up, then kill the process in the middle of it.
    for _ in 0..1200 {
        if done.load(Ordering::Relaxed) >= 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    orgd.kill();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    assert!(done.load(Ordering::Relaxed) > 0, "the load ran");

    // A new process on the same database: the invariants hold and it serves writes.
    let orgd = Orgd::start(&db.url, &[]).await;
    let app = db.client(&orgd.base).await;
    let orgs = assert_invariants(&app).await;
    assert!(orgs > 0);
    let t = app.team("After").await;
    app.patch(
        &format!("/api/organizations/{}", t.org_id),
        &t.owner,
        json!({"description": "alive"}),
    )
    .await
    .expect(200);
    assert_invariants(&app).await;
    report("faults.kill_9", 1);
}

/// The invariant checks themselves catch a half-written org (so the test above can fail).
#[tokio::test]
async fn the_invariant_checks_catch_a_broken_org() {
    let app = spawn_app().await;
    let t = app.team("Broken").await;
    assert_eq!(assert_invariants(&app).await, 1);
    app.exec(
        "UPDATE organizations SET member_count = member_count + 1 WHERE id = $1",
        vec![id(&t.org_id)],
    )
    .await;
    let caught = tokio::spawn(async move { assert_invariants(&app).await }).await;
    assert!(caught.is_err(), "a wrong member_count is caught");
}

/// Runs `pg_ctlcluster <ORGD_PG_CLUSTER> <action>` (default cluster `15 main`), as `.ci/run`
/// does, with its `--skip-systemctl-redirect` fallback.
fn pg_ctl(action: &str) {
    let cluster = std::env::var("ORGD_PG_CLUSTER").unwrap_or_else(|_| "15 main".into());
    let script = format!(
        "pg_ctlcluster {cluster} {action} || pg_ctlcluster --skip-systemctl-redirect {cluster} {action}"
    );
    let ok = Command::new("sh")
        .args(["-c", &script])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "pg_ctlcluster {cluster} {action}");
}

/// Starts PostgreSQL again however the outage test ends.
struct RestartPostgres;

impl Drop for RestartPostgres {
    fn drop(&mut self) {
        pg_ctl("start");
    }
}

/// What one request of the outage load saw.
#[derive(Debug, Default)]
struct Seen {
    ok: usize,
    unavailable: usize,
    other: Vec<String>,
}

type Answer = Result<(u16, String, serde_json::Value), String>;

/// Sends one request as the team's owner and reads the answer.
#[derive(Clone)]
struct Asker {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Asker {
    async fn ask(&self, method: reqwest::Method, path: String) -> Answer {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if method == reqwest::Method::PATCH {
            req = req.json(&json!({"description": "under load"}));
        }
        match req.send().await {
            Err(e) => Err(format!("{method} {path}: no answer in time: {e}")),
            Ok(r) => {
                let status = r.status().as_u16();
                let ct = r
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                Ok((status, ct, body))
            }
        }
    }
}

/// Counts a 200 or a 503 problem; keeps anything else for the failure message.
fn record(seen: &mut Seen, answer: Answer) {
    match answer {
        Ok((200, _, _)) => seen.ok += 1,
        Ok((503, ct, body))
            if ct.starts_with("application/problem+json")
                && body["code"] == "service_unavailable" =>
        {
            seen.unavailable += 1;
        }
        Ok((status, ct, body)) => seen.other.push(format!("{status} {ct} {body}")),
        Err(e) => seen.other.push(e),
    }
}

/// Stops the PostgreSQL server under load: every request answers (200 or 503
/// problem+json, none waits past the client's limit of the configured database timeout plus
/// a margin), `/readyz` says 503, and after the restart the same process serves again.
///
/// It stops the machine's PostgreSQL, so it only runs when asked:
/// `ORGD_TEST_DATABASE_URL=… cargo test -p orgd --test api postgres_outage -- --ignored`
/// (`scripts/reliability.sh` does, after the suites).
#[tokio::test]
#[ignore = "stops the PostgreSQL server; run by scripts/reliability.sh"]
async fn postgres_outage_answers_503_and_recovers() {
    let db = SharedDb::new().await;
    assert!(db.file.is_none(), "needs ORGD_TEST_DATABASE_URL");
    let orgd = Orgd::start(&db.url, &[("ORGD_DB_TIMEOUT", "2s")]).await;
    let app = db.client(&orgd.base).await;
    let t = app.team("Outage").await;
    let org = format!("/api/organizations/{}", t.org_id);
    // The client gives up at the database timeout plus a margin: an answer later than that
    // is a hang.
    let limit = Duration::from_secs(6);
    let ask = Asker {
        client: reqwest::Client::builder().timeout(limit).build().unwrap(),
        base: orgd.base.clone(),
        token: t.owner.clone(),
    };

    // A load of reads and writes that runs through the outage.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(std::sync::Mutex::new(Seen::default()));
    let mut load = Vec::new();
    for w in 0..4 {
        let (stop, seen, ask, org) = (stop.clone(), seen.clone(), ask.clone(), org.clone());
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let method = if w % 2 == 0 {
                    reqwest::Method::GET
                } else {
                    reqwest::Method::PATCH
                };
                let answer = ask.ask(method, org.clone()).await;
                record(&mut seen.lock().unwrap(), answer);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let restart = RestartPostgres;
    pg_ctl("stop -m fast");
    for path in ["/readyz".to_owned(), org.clone()] {
        let (status, ct, body) = ask.ask(reqwest::Method::GET, path.clone()).await.unwrap();
        assert_eq!(status, 503, "{path} while PostgreSQL is down: {body}");
        assert!(ct.starts_with("application/problem+json"), "{path}: {ct}");
        assert_eq!(body["code"], "service_unavailable", "{path}: {body}");
    }
    let (status, _, body) = ask.ask(reqwest::Method::PATCH, org.clone()).await.unwrap();
    assert_eq!(status, 503, "a write while PostgreSQL is down: {body}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(restart);

    // The same process recovers without a restart.
    let mut ready = false;
    for _ in 0..60 {
        if matches!(
            ask.ask(reqwest::Method::GET, "/readyz".into()).await,
            Ok((200, _, _))
        ) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(ready, "/readyz is 200 again after PostgreSQL is back");
    let before = seen.lock().unwrap().ok;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for l in load {
        l.await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        seen.other.is_empty(),
        "only 200 and 503 answers: {:?}",
        seen.other
    );
    assert!(seen.unavailable > 0, "the load saw the outage: {seen:?}");
    assert!(seen.ok > before, "the load succeeds again: {seen:?}");
    let (status, _, body) = ask.ask(reqwest::Method::PATCH, org.clone()).await.unwrap();
    assert_eq!(status, 200, "{body}");

    let app = db.client(&orgd.base).await;
    assert_invariants(&app).await;
    report("faults.postgres_outage", 1);
    report("faults.outage_requests", seen.ok + seen.unavailable);
}
