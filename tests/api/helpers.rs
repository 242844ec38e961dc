//! `spawn_app()` and request helpers shared by every test module.
#![allow(dead_code)]
use std::collections::BTreeMap;

use orgd::config::Config;
use orgd::startup::Application;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, JsonValue, Statement};
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@orgd.test";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "correct horse battery";

/// A running server with its own database.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub admin: String,
}

/// An HTTP answer: status, parsed JSON body (or `Null`), headers.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn problem(self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        let ct = self
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            ct.starts_with("application/problem+json"),
            "content-type {ct}; body {}",
            self.body
        );
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "body: {}",
            self.body
        );
        self.body
    }

    /// Asserts a `403 forbidden` whose detail names `naming` (a permission, a role).
    #[track_caller]
    pub fn forbidden(self, naming: &str) {
        let body = self.problem(403, "forbidden");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains(naming),
            "detail should name {naming}: {detail}"
        );
    }
}

/// Starts orgd on port 0 with a fresh database and a bootstrapped superuser.
pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// Like [`spawn_app`], with configuration changes.
pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let (url, pool) = match std::env::var("ORGD_TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => (fresh_postgres(&base).await, 5),
        _ => ("sqlite::memory:".to_owned(), 1),
    };
    let mut config = Config::for_database(&url, "127.0.0.1:0");
    config.db.db_pool = pool;
    config.workers = Some(1);
    config.log = "warn".into();
    config.bootstrap_admin_email = Some(ADMIN_EMAIL.into());
    config.bootstrap_admin_password = Some(ADMIN_PASSWORD.into());
    tweak(&mut config);
    let app = Application::build(config).await.expect("server builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (server, database) = app.into_parts();
    tokio::spawn(server);
    let db = database.connection().clone();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut t = TestApp {
        base,
        client,
        db,
        admin: String::new(),
    };
    t.admin = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    t
}

/// Creates an empty PostgreSQL database next to the one `base` names, for one test.
pub async fn fresh_postgres(base: &str) -> String {
    let admin = sea_orm::Database::connect(base)
        .await
        .expect("postgres reachable");
    let name = format!("orgd_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create database");
    admin.close().await.ok();
    let (prefix, _) = base.rsplit_once('/').expect("URL with a database name");
    format!("{prefix}/{name}")
}

impl TestApp {
    /// Whether this test runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == sea_orm::DbBackend::Postgres
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(if text.is_empty() {
            Value::Null
        } else {
            Value::String(text)
        });
        Resp {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Logs in and returns the session token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let body = self
            .call(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await
            .expect(200);
        body["token"].as_str().expect("token").to_owned()
    }

    /// Signs a new user up and returns (token, user id).
    pub async fn user(&self, email: &str) -> (String, String) {
        let body = self
            .call(
                Method::POST,
                "/api/auth/signup",
                None,
                Some(json!({"email": email, "password": PASSWORD, "name": email})),
            )
            .await
            .expect(201);
        (
            body["token"].as_str().unwrap().to_owned(),
            body["user"]["id"].as_str().unwrap().to_owned(),
        )
    }

    /// Creates an organization as `token` and returns its JSON.
    pub async fn org(&self, token: &str, name: &str) -> Value {
        self.post("/api/organizations", token, json!({"name": name}))
            .await
            .expect(201)
    }

    /// Adds a user (by email) to an org with a role, as `token`.
    pub async fn add_member(&self, token: &str, org_id: &str, email: &str, role: &str) -> Value {
        self.post(
            &format!("/api/organizations/{org_id}/members"),
            token,
            json!({"user_email": email, "role": role}),
        )
        .await
        .expect(201)
    }

    /// An org with an owner, an admin and a member; returns their tokens and ids.
    pub async fn team(&self, name: &str) -> Team {
        let slug = name.to_lowercase().replace(' ', "-");
        let (owner, owner_id) = self.user(&format!("owner@{slug}.test")).await;
        let (admin, admin_id) = self.user(&format!("admin@{slug}.test")).await;
        let (member, member_id) = self.user(&format!("member@{slug}.test")).await;
        let org = self.org(&owner, name).await;
        let org_id = org["id"].as_str().unwrap().to_owned();
        self.add_member(&owner, &org_id, &format!("admin@{slug}.test"), "admin")
            .await;
        self.add_member(&owner, &org_id, &format!("member@{slug}.test"), "member")
            .await;
        Team {
            org_id,
            slug: org["slug"].as_str().unwrap().to_owned(),
            owner,
            owner_id,
            admin,
            admin_id,
            member,
            member_id,
        }
    }

    /// Makes `org` (id or slug) the current organization of a session.
    pub async fn set_active_org(&self, token: &str, org: &str) {
        self.post(
            "/api/auth/session/organization",
            token,
            json!({"organization_id": org}),
        )
        .await
        .expect(200);
    }

    /// The org's `member_count` as `token` sees it.
    pub async fn member_count(&self, token: &str, org: &str) -> i64 {
        self.get(&format!("/api/organizations/{org}"), token)
            .await
            .expect(200)["member_count"]
            .as_i64()
            .expect("member_count")
    }

    /// One number from SQL.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap()
            .expect("a row");
        row.try_get_by_index::<i64>(0).unwrap()
    }

    /// One number from SQL with bound parameters written `$1`, `$2`… (ids as `Uuid`, so
    /// the comparison works whatever the backend's column type). On SQLite every `$`
    /// becomes `?`, so literal `$` belong in parameters, not in the SQL text.
    pub async fn count(&self, sql: &str, args: Vec<sea_orm::Value>) -> i64 {
        let row = self
            .db
            .query_one_raw(self.stmt(sql, args))
            .await
            .unwrap()
            .expect("a row");
        row.try_get_by_index::<i64>(0).unwrap()
    }

    /// Runs a statement with bound parameters (as [`TestApp::count`]).
    pub async fn exec(&self, sql: &str, args: Vec<sea_orm::Value>) -> u64 {
        self.db
            .execute_raw(self.stmt(sql, args))
            .await
            .unwrap()
            .rows_affected()
    }

    fn stmt(&self, sql: &str, args: Vec<sea_orm::Value>) -> Statement {
        let backend = self.db.get_database_backend();
        let sql = if backend == sea_orm::DbBackend::Sqlite {
            sql.replace('$', "?")
        } else {
            sql.to_owned()
        };
        Statement::from_sql_and_values(backend, sql, args)
    }

    /// Every row of every table (volatile columns dropped), to assert "nothing changed".
    pub async fn snapshot(&self) -> BTreeMap<&'static str, Vec<JsonValue>> {
        let mut out = BTreeMap::new();
        for (table, order) in [
            ("users", "id"),
            ("sessions", "id"),
            ("api_keys", "id"),
            ("organizations", "id"),
            ("members", "organization_id, user_id"),
            ("audit_events", "id"),
            ("custom_roles", "id"),
            ("invitations", "id"),
            ("outbox", "id"),
        ] {
            let stmt = Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT * FROM {table} ORDER BY {order}"),
            );
            let mut rows = JsonValue::find_by_statement(stmt)
                .all(&self.db)
                .await
                .unwrap();
            for r in &mut rows {
                if let Some(o) = r.as_object_mut() {
                    o.remove("last_used_at");
                }
            }
            out.insert(table, rows);
        }
        out
    }
}

/// A UUID parameter from its text form.
pub fn id(s: &str) -> sea_orm::Value {
    uuid::Uuid::parse_str(s).expect("a UUID").into()
}

/// A ready-made organization with one member of each system role.
pub struct Team {
    pub org_id: String,
    pub slug: String,
    pub owner: String,
    pub owner_id: String,
    pub admin: String,
    pub admin_id: String,
    pub member: String,
    pub member_id: String,
}

/// Records a figure for `docs/reliability.md` (`scripts/reliability.sh` sets
/// `ORGD_RELIABILITY_REPORT` to a file and sums the lines): appends `key value` when the
/// variable is set, does nothing otherwise.
pub fn report(key: &str, value: usize) {
    use std::io::Write as _;
    let Some(path) = std::env::var_os("ORGD_RELIABILITY_REPORT") else {
        return;
    };
    let backend = std::env::var("ORGD_TEST_DATABASE_URL").map_or("sqlite", |_| "postgres");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("the reliability report file");
    writeln!(file, "{backend} {key} {value}").expect("writing the reliability report");
}
