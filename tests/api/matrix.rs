//! The tenant-isolation matrix, driven by the route table.
//!
//! `org_http::openapi()` is the table the server's routes are registered from. Every route
//! that takes `{org}` or an org-owned id (a member, a custom role, an invitation; also the
//! current-organization shorthands and an invitation's recipient routes) has an entry in
//! [`matrix`]: the cases to send (query, a body the rightful caller gets a 2xx for, the
//! permission that gates it). Every other route is in [`NOT_ORG_SCOPED`] with a reason.
//! [`every_route_is_classified`] fails for a route in neither list, in both, or for an entry
//! naming a route the table does not have, so the matrix grows with the API.
//!
//! [`the_matrix_holds`] builds one app and one set of callers, sends every case as every
//! caller and checks the answer SPEC.md gives — a foreign tenant's resource is `404`
//! (exactly what an unknown one gets), a missing permission `403 forbidden` naming it, a
//! key bound to another org `403 key_not_valid_for_organization`, no or bad credentials
//! `401 unauthenticated` — and that the database did not change, after each caller's
//! requests. Routes that are not org-scoped but need a caller are swept with the bad
//! credentials. Then the rightful caller sends every case, which proves the bodies and ids
//! were good ones.
use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Resp, TestApp, report, spawn_app};
use crate::permissions::CATALOG;

mod callers;
mod routes;

use callers::{Caller, TARGET_NAME, setup};
use routes::{
    Case, Entry, Fixture, Gate, NOT_ORG_SCOPED, OwnOrg, Rightful, Scope, matrix, org_scoped,
};

/// Every (method, template) of the route table, with whether it takes a JSON body.
fn table() -> BTreeMap<(String, String), bool> {
    let spec = serde_json::to_value(org_http::openapi()).unwrap();
    let mut out = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                let key = (method.to_uppercase(), path.clone());
                out.insert(key, op.get("requestBody").is_some());
            }
        }
    }
    out
}

#[test]
fn every_route_is_classified() {
    let table = table();
    assert!(
        table.len() >= 62,
        "the route table has {} routes",
        table.len()
    );
    let entries = matrix(&Fixture::default());
    let mut in_matrix = BTreeSet::new();
    for e in &entries {
        let key = e.key();
        assert!(in_matrix.insert(key.clone()), "{key:?}: two matrix entries");
        let takes_body = *table
            .get(&key)
            .unwrap_or_else(|| panic!("{key:?}: in the matrix, not in the route table"));
        assert!(!e.cases.is_empty() && e.status >= 200, "{key:?}: no cases");
        for c in &e.cases {
            assert_eq!(
                c.body.is_some(),
                takes_body,
                "{key:?}: a body exactly when the route takes one"
            );
        }
    }
    let mut elsewhere = BTreeSet::new();
    for (method, template, _, reason) in NOT_ORG_SCOPED {
        let key = ((*method).to_owned(), (*template).to_owned());
        assert!(!reason.is_empty());
        assert!(
            table.contains_key(&key),
            "{key:?}: classified, not in the route table"
        );
        assert!(elsewhere.insert(key.clone()), "{key:?}: listed twice");
        assert!(
            !in_matrix.contains(&key),
            "{key:?}: both in the matrix and not org-scoped"
        );
        assert!(
            !org_scoped(template),
            "{key:?} is org-scoped: it needs a matrix entry"
        );
    }
    for key in table.keys() {
        assert!(
            in_matrix.contains(key) || elsewhere.contains(key),
            "{key:?}: add it to the isolation matrix (or, if it is not org-scoped, to NOT_ORG_SCOPED with a reason)"
        );
    }
}

/// What a caller must get.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// `404 not_found`, the very problem an unknown org (or id) gets.
    Hidden,
    /// `403 forbidden` naming exactly this permission (or `superuser`).
    Forbidden(&'static str),
    /// `403` with this code.
    Refused(&'static str),
    /// `401 unauthenticated`.
    Unauthenticated,
    /// `200`.
    Allowed,
    /// `200`, a list of the caller's own org naming nothing of the target org.
    OwnList,
    /// Not called, for this reason.
    Skip(&'static str),
}

fn expectation(e: &Entry, c: &Case, who: Caller) -> Expect {
    use Caller::{FormerMember, Lacking, LackingKey, OtherOrgKey, Outsider};
    if who.unauthenticated() {
        return Expect::Unauthenticated;
    }
    match (e.scope, who) {
        // SPEC.md: someone else's invitation is a clear 4xx, `invitation_not_for_you`, given
        // before the invitation's state is revealed.
        (Scope::Recipient, _) => Expect::Refused("invitation_not_for_you"),
        (Scope::Org, Outsider | FormerMember) | (Scope::Current(_), FormerMember) => Expect::Hidden,
        (Scope::Org, OtherOrgKey) => Expect::Refused("key_not_valid_for_organization"),
        (Scope::Current(own), Outsider | OtherOrgKey) => match own {
            OwnOrg::List => Expect::OwnList,
            OwnOrg::ForeignId => Expect::Hidden,
            OwnOrg::Skip(why) => Expect::Skip(why),
        },
        (_, Lacking | LackingKey) => match c.gate {
            Gate::Perm(p) => Expect::Forbidden(p),
            Gate::Superuser => Expect::Forbidden("superuser"),
            Gate::Member => Expect::Allowed,
            Gate::Addressee => unreachable!("recipient routes are matched above"),
        },
        (_, _) => unreachable!("{who:?} is authenticated"),
    }
}

/// A body for a failure message, cut short.
fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(600) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// Asserts a problem answer, naming the request on failure.
#[track_caller]
fn problem(r: Resp, status: u16, code: &str, what: &str) -> Value {
    assert_eq!(
        (r.status.as_u16(), r.body["code"].as_str()),
        (status, Some(code)),
        "{what}: {}",
        short(&r.body)
    );
    r.problem(status, code)
}

/// Checks one answer against its expectation. `unknown` is what the same caller gets for an
/// unknown org or id (for [`Expect::Hidden`]).
#[track_caller]
fn check(r: Resp, exp: &Expect, unknown: Option<&Value>, secret: &[String], what: &str) {
    match exp {
        Expect::Hidden => {
            let body = problem(r, 404, "not_found", what);
            let unknown = unknown.expect("an unknown org's answer");
            assert_eq!(&body, unknown, "{what}: unlike an unknown one's");
        }
        Expect::Forbidden(p) => {
            let body = problem(r, 403, "forbidden", what);
            let detail = body["detail"].as_str().unwrap();
            if *p == "superuser" {
                assert!(detail.contains(p), "{what}: {detail}");
            } else {
                let named: BTreeSet<&str> = detail
                    .split(|c: char| !(c.is_ascii_lowercase() || c == ':' || c == '_'))
                    .filter(|w| CATALOG.contains(w))
                    .collect();
                assert_eq!(named, BTreeSet::from([*p]), "{what}: {detail}");
            }
        }
        Expect::Refused(code) => {
            problem(r, 403, code, what);
        }
        Expect::Unauthenticated => {
            problem(r, 401, "unauthenticated", what);
        }
        Expect::Allowed => {
            assert_eq!(r.status.as_u16(), 200, "{what}: {}", short(&r.body));
        }
        Expect::OwnList => {
            assert_eq!(r.status.as_u16(), 200, "{what}: {}", short(&r.body));
            let text = r.body.to_string();
            for s in secret {
                assert!(
                    !text.contains(s.as_str()),
                    "{what} shows {s}: {}",
                    short(&r.body)
                );
            }
        }
        Expect::Skip(_) => unreachable!("skipped cases are not sent"),
    }
}

/// Asserts the database is as it was, naming the request and the rows that changed.
async fn unchanged(app: &TestApp, before: &BTreeMap<&'static str, Vec<Value>>, what: &str) {
    let now = app.snapshot().await;
    if &now == before {
        return;
    }
    let mut diff = String::new();
    for (table, rows) in before {
        let after = &now[table];
        for r in rows.iter().filter(|r| !after.contains(r)) {
            diff.push_str(&format!("\n  {table} was: {r}"));
        }
        for r in after.iter().filter(|r| !rows.contains(r)) {
            diff.push_str(&format!("\n  {table} now: {r}"));
        }
    }
    panic!("{what} changed the database:{diff}");
}

/// How each caller names the target org in `{org}` (for routes that have it).
fn namings(who: Caller) -> &'static [&'static str] {
    match who {
        Caller::Outsider | Caller::FormerMember | Caller::OtherOrgKey => &["", "slug", TARGET_NAME],
        Caller::Lacking | Caller::LackingKey => &["", "me"],
        _ => &[""],
    }
}

#[tokio::test]
async fn the_matrix_holds() {
    let app = &spawn_app().await;
    let (f, callers, t, secret) = setup(app).await;
    let entries = matrix(&f);
    for e in &entries {
        let has_id = e.template.contains("{id}") || e.template.contains("{user_id}");
        assert_eq!(
            has_id,
            !e.id.is_empty(),
            "{:?}: an id for its path",
            e.key()
        );
    }
    let before = app.snapshot().await;
    let unknown_id = uuid::Uuid::new_v4().to_string();
    let mut calls = 0;
    let mut skipped = 0;
    for e in &entries {
        for c in &e.cases {
            for who in Caller::ALL {
                let exp = expectation(e, c, who);
                if matches!(exp, Expect::Skip(_)) {
                    skipped += 1;
                    continue;
                }
                let token = callers.token(who, c.gate);
                let send = |path: String| {
                    let body = c.body.clone();
                    let method = e.method.clone();
                    let token = token.clone();
                    async move {
                        let r = app.call(method, &path, token.as_deref(), body).await;
                        (path, r)
                    }
                };
                // What an unknown org (or id) gets: `{org}` or the id replaced; without
                // either, what an unknown org's page gets.
                let unknown = if exp == Expect::Hidden {
                    let (path, r) = if e.template.contains("{org}") {
                        send(e.path("no-such-org", &e.id, c.query)).await
                    } else if !e.id.is_empty() {
                        send(e.path("", &unknown_id, c.query)).await
                    } else {
                        let path = "/api/organizations/no-such-org".to_owned();
                        let r = app.get(&path, token.as_deref().unwrap()).await;
                        (path, r)
                    };
                    Some(problem(
                        r,
                        404,
                        "not_found",
                        &format!("{who:?} {} {path}", e.method),
                    ))
                } else {
                    None
                };
                let names = if e.scope == Scope::Org {
                    namings(who)
                } else {
                    &[""]
                };
                let mut sent = Vec::new();
                for naming in names {
                    let org = match *naming {
                        "" => f.org_id.as_str(),
                        "slug" => f.slug.as_str(),
                        other => other,
                    };
                    let (path, r) = send(e.path(org, &e.id, c.query)).await;
                    calls += 1;
                    let what = format!("{who:?} {} {path}", e.method);
                    check(r, &exp, unknown.as_ref(), &secret, &what);
                    sent.push(what);
                }
                // After each caller's requests (one per naming of the org): comparing after
                // every single one costs as much again as the requests on PostgreSQL.
                unchanged(app, &before, &sent.join(" / ")).await;
            }
        }
    }

    // Every route that needs a caller refuses bad credentials, org-scoped or not.
    for (method, template, authenticated, _) in NOT_ORG_SCOPED {
        if !authenticated {
            continue;
        }
        let method: Method = method.parse().unwrap();
        let path = template.replace("{id}", &unknown_id);
        let body = ["POST", "PATCH"]
            .contains(&method.as_str())
            .then(|| json!({}));
        for who in Caller::ALL.into_iter().filter(|w| w.unauthenticated()) {
            let token = callers.token(who, Gate::Member);
            let r = app
                .call(method.clone(), &path, token.as_deref(), body.clone())
                .await;
            calls += 1;
            let what = format!("{who:?} {method} {path}");
            check(r, &Expect::Unauthenticated, None, &secret, &what);
        }
        unchanged(app, &before, &format!("{method} {path}")).await;
    }

    // The rightful caller succeeds with the very same requests: the bodies and ids were good
    // ones, so the refusals above came from the caller. Deleting the org comes last.
    let mut rightful: Vec<&Entry> = entries.iter().collect();
    rightful
        .sort_by_key(|e| e.method == Method::DELETE && e.template == "/api/organizations/{org}");
    for e in rightful {
        let token = match &e.rightful {
            Rightful::Owner => t.owner.as_str(),
            Rightful::Superuser => app.admin.as_str(),
            Rightful::Invitee(token) => token.as_str(),
        };
        for c in &e.cases {
            let path = e.path(&f.org_id, &e.id, c.query);
            let r = app
                .call(e.method.clone(), &path, Some(token), c.body.clone())
                .await;
            assert_eq!(
                r.status.as_u16(),
                e.status,
                "{:?} {} {path}: {}",
                e.rightful,
                e.method,
                short(&r.body)
            );
        }
    }
    assert!(
        skipped > 0 && calls > 1000,
        "{calls} calls, {skipped} skipped"
    );
    report("isolation.calls", calls);
    report("isolation.routes", entries.len());
}
