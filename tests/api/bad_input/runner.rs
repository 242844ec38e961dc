//! The fixture every corpus runs against, and the runner that sends one bad request, judges
//! the answer and checks that the database did not change.
use std::collections::BTreeMap;

use reqwest::Method;
use sea_orm::JsonValue;
use serde_json::{Value, json};

use super::spec::Op;
use crate::helpers::{PASSWORD, Resp, Team, TestApp, report, spawn_with};

/// A server with one of everything a path can name: an organization (its owner's session
/// has it as current organization), members, a custom role held by a pending invitation,
/// an API key, a service account.
pub struct Fixture {
    pub app: TestApp,
    pub team: Team,
    pub role_id: String,
    pub invitation_id: String,
    pub api_key_id: String,
    pub service_account_id: String,
}

impl Fixture {
    pub async fn new(max_body_bytes: Option<usize>) -> Self {
        let app = spawn_with(|c| {
            if let Some(n) = max_body_bytes {
                c.max_body_bytes = n;
            }
        })
        .await;
        let team = app.team("Bad Input").await;
        app.set_active_org(&team.owner, &team.slug).await;
        let org = format!("/api/organizations/{}", team.slug);
        let role_id = app
            .post(
                &format!("{org}/roles"),
                &team.owner,
                json!({"name": "auditor", "permissions": ["organization:read"]}),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let invitation_id = app
            .post(
                &format!("{org}/invitations"),
                &team.owner,
                json!({"email": "guest@bad-input.test", "role": role_id}),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let api_key_id = app
            .post("/api/users/me/api-keys", &team.owner, json!({"name": "ci"}))
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let service_account_id = app
            .post(
                "/api/users",
                &app.admin,
                json!({"email": "bot@bad-input.test", "is_service_account": true}),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        Self {
            app,
            team,
            role_id,
            invitation_id,
            api_key_id,
            service_account_id,
        }
    }

    /// The value a path parameter takes so that the path names something that exists.
    pub fn real(&self, template: &str, param: &str) -> String {
        match param {
            "org" => self.team.slug.clone(),
            "user_id" => self.team.member_id.clone(),
            "id" if template.contains("/invitations") => self.invitation_id.clone(),
            "id" if template.contains("/roles") => self.role_id.clone(),
            "id" if template.starts_with("/api/users/me/api-keys") => self.api_key_id.clone(),
            "id" if template.starts_with("/api/users/") => self.service_account_id.clone(),
            other => panic!("no fixture value for {{{other}}} in {template}"),
        }
    }

    /// `op`'s path with every parameter naming an existing thing, except `bad` (name, raw
    /// already-encoded segment) when given.
    pub fn path(&self, op: &Op, bad: Option<(&str, &str)>) -> String {
        let mut path = op.template.clone();
        for (name, _) in op.params("path") {
            let value = match bad {
                Some((b, v)) if b == name => v.to_owned(),
                _ => self.real(&op.template, &name),
            };
            path = path.replace(&format!("{{{name}}}"), &value);
        }
        path
    }

    /// The token that passes `op`'s permission checks: the owner's session, or the
    /// superuser's for superuser-only routes.
    pub fn token(&self, op: &Op) -> &str {
        if op.superuser_only() {
            &self.app.admin
        } else {
            &self.team.owner
        }
    }
}

/// A body `op` would accept on its real path (so that a corruption is the only thing
/// wrong with a request built on it). Every schema needs one: a new body schema fails here
/// until it gets one.
pub fn valid_body(op: &Op, fx: &Fixture) -> Option<Value> {
    let (schema, _) = op.body.as_ref()?;
    Some(match schema.as_str() {
        "LoginRequest" => json!({"email": "owner@bad-input.test", "password": PASSWORD}),
        "SignupRequest" => json!({"email": "fresh@bad-input.test", "password": PASSWORD}),
        "CurrentOrganizationRequest" => json!({"organization_id": fx.team.slug}),
        "AcceptTokenRequest" => json!({"token": "orgd_i_unknown"}),
        "NewOrgRequest" => json!({"name": "Fresh Org"}),
        "OrgPatchRequest" => json!({"description": "changed"}),
        "SubscriptionRequest" => json!({"has_active_subscription": true}),
        "CreateInvitationRequest" => json!({"email": "fresh@bad-input.test"}),
        "AddMemberRequest" => json!({"user_email": "bot@bad-input.test"}),
        "ChangeRoleRequest" => json!({"role": "admin"}),
        "CreateRoleRequest" => json!({"name": "another", "permissions": []}),
        "UpdateRoleRequest" => json!({"description": "changed"}),
        "CheckRequest" => json!({"permissions": ["organization:read"]}),
        "NewUserBody" => json!({"email": "fresh-bot@bad-input.test", "is_service_account": true}),
        "ProfilePatchRequest" => json!({"name": "Changed"}),
        "NewApiKeyRequest" => json!({"name": "bot key"}),
        "TotpCodeRequest" => json!({"code": "123456"}),
        other => panic!("{}: add a valid {other} body here", op.label()),
    })
}

/// `overlay` laid over `base`: objects merge key by key, anything else replaces.
pub fn merge(base: &Value, overlay: Value) -> Value {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            let mut out = b.clone();
            for (k, v) in o {
                let merged = match b.get(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                out.insert(k, merged);
            }
            Value::Object(out)
        }
        (_, o) => o,
    }
}

/// A request as bytes on the wire.
pub struct Req {
    pub method: Method,
    pub path: String,
    pub token: Option<String>,
    pub content_type: Option<String>,
    pub body: Option<Vec<u8>>,
}

impl Req {
    /// `op` on `path` with a JSON body given as raw bytes.
    pub fn raw(fx: &Fixture, op: &Op, path: String, body: impl Into<Vec<u8>>) -> Self {
        Self {
            method: op.method.clone(),
            path,
            token: Some(fx.token(op).to_owned()),
            content_type: Some("application/json".into()),
            body: Some(body.into()),
        }
    }

    /// `op` on its real path with a JSON body.
    pub fn json(fx: &Fixture, op: &Op, body: &Value) -> Self {
        Self::raw(fx, op, fx.path(op, None), serde_json::to_vec(body).unwrap())
    }

    /// `op` on its real path with its valid body, `overlay` laid over it.
    pub fn over(fx: &Fixture, op: &Op, overlay: Value) -> Self {
        let base = valid_body(op, fx).unwrap_or_else(|| json!({}));
        Self::json(fx, op, &merge(&base, overlay))
    }

    /// A request as the fixture's owner, with an optional JSON body.
    pub fn owner(fx: &Fixture, method: Method, path: &str, body: Option<Value>) -> Self {
        Self {
            method,
            path: path.to_owned(),
            token: Some(fx.team.owner.clone()),
            content_type: body.is_some().then(|| "application/json".to_owned()),
            body: body.map(|b| serde_json::to_vec(&b).unwrap()),
        }
    }

    /// `op` on `path` without a body.
    pub fn bare(fx: &Fixture, op: &Op, path: String) -> Self {
        Self {
            method: op.method.clone(),
            path,
            token: Some(fx.token(op).to_owned()),
            content_type: None,
            body: None,
        }
    }
}

/// The answer a bad request must get.
#[derive(Debug, Clone)]
pub enum Want {
    /// `400 bad_request`.
    BadRequest,
    /// `413 payload_too_large`.
    TooLarge,
    /// `415 unsupported_media_type`.
    Unsupported,
    /// `404 not_found` (or a more precise `*_not_found` code).
    NotFound,
    /// `422 validation_failed` with an `errors` entry naming the field (array indexes
    /// aside: `permissions[0]` and `permissions` name the same field).
    Invalid(String),
    /// `422` with its own code (`reserved_slug`, `unknown_role`) and a detail naming `what`.
    Refused(&'static str, String),
    /// A status and code documented for this one route (login's uniform `401`).
    Status(u16, &'static str),
}

type Snapshot = BTreeMap<&'static str, Vec<JsonValue>>;

/// Sends bad requests, collecting every wrong answer instead of stopping at the first.
pub struct Runner<'a> {
    pub fx: &'a Fixture,
    sent: usize,
    failures: Vec<String>,
    before: Snapshot,
}

impl<'a> Runner<'a> {
    pub async fn new(fx: &'a Fixture) -> Self {
        Self {
            fx,
            sent: 0,
            failures: Vec::new(),
            before: fx.app.snapshot().await,
        }
    }

    /// Sends `req` (counted as one bad request) and returns the answer as is.
    pub async fn send(&mut self, req: &Req) -> Resp {
        self.sent += 1;
        send(&self.fx.app, req).await
    }

    /// Sends `req`, checks the answer against `want` and that nothing was written.
    pub async fn case(&mut self, label: impl AsRef<str>, req: Req, want: Want) {
        let resp = self.send(&req).await;
        let label = format!("{} {} [{}]", req.method, short(&req.path), label.as_ref());
        if let Err(why) = judge(&resp, &want) {
            self.failures.push(format!("{label}: {why}"));
        }
        self.unchanged(&label).await;
    }

    /// Records a failure unless the database is as it was.
    pub async fn unchanged(&mut self, label: &str) {
        let now = self.fx.app.snapshot().await;
        if now != self.before {
            let tables: Vec<_> = now
                .iter()
                .filter(|(t, rows)| self.before.get(*t) != Some(*rows))
                .map(|(t, _)| *t)
                .collect();
            self.failures.push(format!("{label}: wrote to {tables:?}"));
            self.before = now;
        }
    }

    /// Records a failure found outside [`Runner::case`].
    pub fn fail(&mut self, why: String) {
        self.failures.push(why);
    }

    /// Reports the number of requests sent and fails with every wrong answer.
    pub fn finish(self, what: &str) {
        report("bad_input.cases", self.sent);
        assert!(self.sent > 0, "{what}: no case was generated");
        assert!(
            self.failures.is_empty(),
            "{what}: {} of {} bad requests were answered wrongly:\n{}",
            self.failures.len(),
            self.sent,
            self.failures.join("\n")
        );
        eprintln!("{what}: {} requests, all answered as required", self.sent);
    }
}

fn short(path: &str) -> String {
    if path.len() > 120 {
        let head: String = path.chars().take(100).collect();
        format!("{head}…({} bytes)", path.len())
    } else {
        path.to_owned()
    }
}

/// Sends a request exactly as given.
pub async fn send(app: &TestApp, req: &Req) -> Resp {
    let mut r = app
        .client
        .request(req.method.clone(), format!("{}{}", app.base, req.path));
    if let Some(t) = &req.token {
        r = r.bearer_auth(t);
    }
    if let Some(ct) = &req.content_type {
        r = r.header("content-type", ct);
    }
    if let Some(b) = &req.body {
        r = r.body(b.clone());
    }
    let res = r.send().await.expect("request sent");
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Resp {
        status,
        body,
        headers,
    }
}

/// Why `resp` is not the problem `want` describes.
fn judge(resp: &Resp, want: &Want) -> Result<(), String> {
    let status = resp.status.as_u16();
    let body = &resp.body;
    let ct = resp
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ct.starts_with("application/problem+json") {
        return Err(format!("{status} with content-type {ct:?}: {body}"));
    }
    let detail = body["detail"].as_str().unwrap_or_default();
    if detail.trim().is_empty() || body["status"] != status || !body["code"].is_string() {
        return Err(format!("{status}, not a useful problem: {body}"));
    }
    let code = body["code"].as_str().unwrap();
    let ok = match want {
        Want::BadRequest => status == 400 && code == "bad_request",
        Want::TooLarge => status == 413 && code == "payload_too_large",
        Want::Unsupported => status == 415 && code == "unsupported_media_type",
        Want::NotFound => status == 404 && code.ends_with("not_found"),
        Want::Invalid(field) => {
            status == 422
                && code == "validation_failed"
                && body["errors"]
                    .as_array()
                    .is_some_and(|es| es.iter().any(|e| names(e, field)))
        }
        Want::Refused(want_code, what) => {
            status == 422 && code == *want_code && detail.contains(what.as_str())
        }
        Want::Status(want_status, want_code) => status == *want_status && code == *want_code,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("wanted {want:?}, got {status}: {body}"))
    }
}

/// Whether a problem's `errors` entry names `field` with a useful message.
fn names(entry: &Value, field: &str) -> bool {
    let strip = |s: &str| {
        let mut out = String::new();
        let mut in_index = false;
        for c in s.chars() {
            match c {
                '[' => in_index = true,
                ']' => in_index = false,
                c if !in_index => out.push(c),
                _ => {}
            }
        }
        out
    };
    entry["field"]
        .as_str()
        .is_some_and(|f| strip(f) == strip(field))
        && entry["message"].as_str().is_some_and(|m| !m.is_empty())
}

/// `text` percent-encoded for a path segment or query value (every byte outside
/// `[A-Za-z0-9-._~]`).
pub fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
