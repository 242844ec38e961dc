//! Security headers on every answer: every documented operation (without a token and as
//! the superuser), the error paths that never reach a handler (404, 405, 413, 415, 400,
//! 401), Swagger UI and the OpenAPI document.
use reqwest::Method;
use reqwest::header::HeaderMap;

use crate::helpers::{TestApp, spawn_app};

/// What `middleware::security_headers` promises for JSON answers.
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

#[track_caller]
fn assert_headers(what: &str, path: &str, h: &HeaderMap) {
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
    assert!(h.get("x-request-id").is_some(), "{what}");
    if path == "/docs" || path.starts_with("/docs/") {
        // Swagger UI runs scripts and styles of its own; framing stays denied above.
        assert!(h.get("content-security-policy").is_none(), "{what}");
    } else {
        assert_eq!(h["content-security-policy"], API_CSP, "{what}");
    }
    if path.starts_with("/api/") {
        assert_eq!(h["cache-control"], "no-store", "{what}");
    }
}

/// A request body with its content type.
type Body<'a> = Option<(&'a str, Vec<u8>)>;

/// Sends a raw request and checks the headers; returns the status.
async fn check(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Body<'_>,
) -> u16 {
    let mut req = app
        .client
        .request(method.clone(), format!("{}{path}", app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some((content_type, bytes)) = body {
        req = req.header("content-type", content_type).body(bytes);
    }
    let res = req.send().await.expect("request sent");
    let status = res.status().as_u16();
    assert_headers(&format!("{method} {path} → {status}"), path, res.headers());
    status
}

/// Every documented (method, concrete path); logout last, since it ends the session.
fn operations() -> Vec<(Method, String)> {
    let spec = serde_json::to_value(org_http::openapi()).unwrap();
    let mut ops = Vec::new();
    for (template, item) in spec["paths"].as_object().unwrap() {
        for m in ["get", "put", "post", "delete", "patch"] {
            if item.get(m).is_some() {
                let path = template
                    .replace("{org}", "me")
                    .replace("{user_id}", "00000000-0000-0000-0000-000000000001")
                    .replace("{id}", "00000000-0000-0000-0000-000000000002");
                ops.push((m.to_uppercase().parse().unwrap(), path));
            }
        }
    }
    ops.sort_by_key(|(_, p)| p == "/api/auth/logout");
    ops
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let ops = operations();
    assert!(ops.len() > 50, "{}", ops.len());
    let mut statuses = std::collections::BTreeSet::new();
    for token in [None, Some(app.admin.as_str())] {
        for (method, path) in &ops {
            let body = [Method::POST, Method::PATCH, Method::PUT]
                .contains(method)
                .then(|| ("application/json", b"{}".to_vec()));
            statuses.insert(check(&app, method.clone(), path, token, body).await);
        }
    }
    // The walk met successes and refusals alike.
    for s in [200, 401, 404, 422] {
        assert!(statuses.contains(&s), "{s} in {statuses:?}");
    }

    let cases: [(Method, &str, Body, u16); 12] = [
        (Method::GET, "/api/nope", None, 404),
        (Method::GET, "/nope", None, 404),
        (Method::DELETE, "/api/auth/login", None, 405),
        (Method::OPTIONS, "/api/organizations", None, 405),
        (
            Method::POST,
            "/api/auth/signup",
            Some(("application/json", vec![b' '; 2 * 1024 * 1024])),
            413,
        ),
        (
            Method::POST,
            "/api/auth/login",
            Some(("text/plain", b"hello".to_vec())),
            415,
        ),
        (
            Method::POST,
            "/api/auth/login",
            Some(("application/json", b"{".to_vec())),
            400,
        ),
        (Method::GET, "/api/users/me", None, 401),
        (Method::GET, "/docs", None, 301),
        (Method::GET, "/docs/", None, 200),
        (Method::GET, "/docs/swagger-ui.css", None, 200),
        (Method::GET, "/api/openapi.json", None, 200),
    ];
    for (method, path, body, want) in cases {
        let got = check(&app, method.clone(), path, None, body).await;
        assert_eq!(got, want, "{method} {path}");
    }
    let bad_token = check(
        &app,
        Method::GET,
        "/api/users/me",
        Some("orgd_s_nope"),
        None,
    )
    .await;
    assert_eq!(bad_token, 401);
}

/// With CORS configured, its answers (preflights, allowed or not) carry the headers too.
#[tokio::test]
async fn cors_answers_carry_the_security_headers() {
    let app =
        crate::helpers::spawn_with(|c| c.cors_origins = vec!["https://app.example".into()]).await;
    for origin in ["https://app.example", "https://evil.example"] {
        let res = app
            .client
            .request(Method::OPTIONS, format!("{}/api/organizations", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        let what = format!("preflight from {origin} → {}", res.status());
        assert_headers(&what, "/api/organizations", res.headers());
        let granted = res.headers().get("access-control-allow-origin");
        if origin == "https://app.example" {
            assert_eq!(res.status(), 200, "{what}");
            assert_eq!(granted.unwrap(), origin, "{what}");
        } else {
            assert!(
                res.status().is_client_error() && granted.is_none(),
                "{what}"
            );
        }
        let res = app
            .client
            .get(format!("{}/api/users/me", app.base))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        let what = format!("GET from {origin} → {}", res.status());
        assert_eq!(res.status(), 401, "{what}");
        assert_headers(&what, "/api/users/me", res.headers());
    }
}
