//! Health, docs, OpenAPI, and the error contract for malformed requests.
use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_ready_docs_and_spec_are_served() {
    let app = spawn_app().await;
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None)
            .await
            .expect(200)["status"],
        "ok"
    );
    app.call(Method::GET, "/readyz", None, None)
        .await
        .expect(200);
    let spec = app
        .call(Method::GET, "/api/openapi.json", None, None)
        .await
        .expect(200);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert!(spec["paths"]["/api/organizations"].is_object());
    let docs = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn unknown_routes_and_missing_tokens_answer_problems() {
    let app = spawn_app().await;
    app.call(Method::GET, "/api/nope", None, None)
        .await
        .problem(404, "not_found");
    let r = app.call(Method::GET, "/api/users/me", None, None).await;
    assert!(r.headers.get("www-authenticate").is_some());
    r.problem(401, "unauthenticated");
    app.call(Method::GET, "/api/users/me", Some("orgd_s_forged"), None)
        .await
        .problem(401, "unauthenticated");
    app.call(
        Method::GET,
        "/api/users/me",
        Some("not-even-a-prefix"),
        None,
    )
    .await
    .problem(401, "unauthenticated");
}

#[tokio::test]
async fn malformed_bodies_are_4xx_problems_and_write_nothing() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let url = format!("{}/api/organizations", app.base);
    let send = |body: &'static str, ct: &'static str| {
        app.client
            .post(&url)
            .bearer_auth(&app.admin)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let r = send("{\"name\": ", "application/json").await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["code"],
        "bad_request"
    );
    let r = send("{\"name\": 5}", "application/json").await.unwrap();
    assert!(matches!(r.status().as_u16(), 400 | 422), "{}", r.status());
    let r = send("name=x", "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = send("{\"name\": \"x\", \"surprise\": 1}", "application/json")
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 400 | 422), "{}", r.status());
    assert_eq!(before, app.snapshot().await);
}

/// Found by Schemathesis: serde reads a JSON array as a struct's fields in order, so
/// `[null, "Acme"]` created an organization and `[null, null]` cleared a profile's name.
#[tokio::test]
async fn array_bodies_are_rejected_and_write_nothing() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    for (method, path, body) in [
        (Method::POST, "/api/organizations", json!([null, "Acme"])),
        (Method::PATCH, "/api/users/me", json!([null, null])),
        (Method::PATCH, "/api/users/me", json!([])),
    ] {
        let body = app
            .call(method, path, Some(&app.admin), Some(body))
            .await
            .problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "body", "{path}: {body}");
    }
    assert_eq!(before, app.snapshot().await);
}

/// Found by Schemathesis on PostgreSQL, which cannot store or compare NUL in text: a `%00`
/// in a filter answered `503` (SQLSTATE 22021 was taken for an outage), and a `\u0000` in a
/// body would have been a `500`. NUL is refused on every backend before any query.
#[tokio::test]
async fn nul_characters_are_refused_everywhere() {
    let app = spawn_app().await;
    let (owner, _) = app.user("nul@example.com").await;
    let org = app.org(&owner, "Nul").await;
    let slug = org["slug"].as_str().unwrap();
    let before = app.snapshot().await;
    for path in [
        "/api/organizations?name=%00",
        "/api/organizations?search=a%00b",
        "/api/users?search=%00",
    ] {
        app.get(path, &app.admin).await.problem(400, "bad_request");
    }
    for path in [
        "/api/organizations/nul%00",
        "/api/organizations/%00/members",
    ] {
        app.get(path, &owner).await.problem(404, "not_found");
    }
    for (method, path, body, field) in [
        (
            Method::POST,
            "/api/organizations",
            json!({"name": "a\u{0}b"}),
            "name",
        ),
        (
            Method::PATCH,
            &*format!("/api/organizations/{slug}"),
            json!({"metadata": {"k\u{0}": "v"}}),
            "metadata.k\u{0}",
        ),
        (
            Method::PATCH,
            "/api/users/me",
            json!({"name": "\u{0}"}),
            "name",
        ),
    ] {
        let body = app
            .call(method, path, Some(&owner), Some(body))
            .await
            .problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], field, "{path}: {body}");
    }
    // `%25` is a literal percent sign: "%2500" searches for the text "%00".
    app.get("/api/organizations?search=%2500", &owner)
        .await
        .expect(200);
    assert_eq!(before, app.snapshot().await);
}

#[tokio::test]
async fn oversized_bodies_answer_413() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let big = "x".repeat(2 * 1024 * 1024);
    app.post(
        "/api/organizations",
        &app.admin,
        json!({ "name": "Big", "description": big }),
    )
    .await
    .problem(413, "payload_too_large");
    assert_eq!(before, app.snapshot().await);
}

#[tokio::test]
async fn bad_pagination_is_rejected_and_large_limits_clamped() {
    let app = spawn_app().await;
    // The last two were accepted (Schemathesis): a bad `page_size` or `page` was not
    // checked when `limit` or `offset` took precedence over it.
    for q in [
        "limit=0",
        "offset=-1",
        "page=0",
        "limit=abc",
        "limit=5&page_size=0",
        "offset=2&page=-1",
    ] {
        app.get(&format!("/api/organizations?{q}"), &app.admin)
            .await
            .problem(400, "bad_request");
    }
    let body = app
        .get("/api/organizations?limit=1000", &app.admin)
        .await
        .expect(200);
    assert_eq!(body["limit"], 100);
    let body = app
        .get("/api/organizations?page=2&page_size=5", &app.admin)
        .await
        .expect(200);
    assert_eq!(
        (body["limit"].as_u64(), body["offset"].as_u64()),
        (Some(5), Some(5))
    );
}

/// Found by Schemathesis: `page` × `page_size` past `i64::MAX` panicked in the SQL driver
/// and the connection dropped without an answer. Such offsets are clamped: the page is empty.
#[tokio::test]
async fn huge_pages_are_empty_not_crashes() {
    let app = spawn_app().await;
    for path in [
        "/api/organizations?page=9223372036854775806",
        "/api/outbox?page=461168601842738792&page_size=100",
        "/api/users?page=9223372036854775807&limit=100",
    ] {
        let body = app.get(path, &app.admin).await.expect(200);
        assert_eq!(body["items"], json!([]), "{path}");
        assert_eq!(body["offset"].as_u64(), Some(i64::MAX as u64), "{path}");
    }
}

#[tokio::test]
async fn security_headers_and_request_ids_on_every_response() {
    let app = spawn_app().await;
    for path in ["/healthz", "/api/nope", "/api/users/me"] {
        let r = app.call(Method::GET, path, None, None).await;
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
        assert!(r.headers.get("x-frame-options").is_some(), "{path}");
        assert!(r.headers.get("x-request-id").is_some(), "{path}");
    }
}

#[tokio::test]
async fn cors_is_off_unless_configured() {
    let preflight = |app: &crate::helpers::TestApp, origin: &'static str| {
        app.client
            .request(Method::OPTIONS, format!("{}/api/organizations", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let app = spawn_app().await;
    let r = preflight(&app, "https://app.example").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let app =
        crate::helpers::spawn_with(|c| c.cors_origins = vec!["https://app.example".into()]).await;
    let r = preflight(&app, "https://app.example").await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let r = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let r = preflight(&app, "https://evil.example").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // A simple request from an origin not configured is answered, without a grant.
    let r = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("access-control-allow-origin").is_none());
}
