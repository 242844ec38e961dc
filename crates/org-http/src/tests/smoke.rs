//! The error contract and the cross-cutting headers, over mocked ports.
use actix_web::test::{self, TestRequest};
use org_domain::DomainError;
use uuid::Uuid;

use super::{Mocks, TOKEN, app, assert_problem, read, user};
use crate::HttpConfig;

fn post_json(uri: &str, body: &str) -> TestRequest {
    TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_owned())
}

#[actix_web::test]
async fn missing_or_bad_tokens_are_401_problems_with_headers() {
    let app = app!(Mocks::default().session(user(false)));
    for auth in [
        None,
        Some("orgd_s_forged"),
        Some("Basic abc"),
        Some("Bearer "),
    ] {
        let mut req = TestRequest::get().uri("/api/users/me");
        if let Some(a) = auth {
            let value = if a.contains(' ') {
                a.to_owned()
            } else {
                format!("Bearer {a}")
            };
            req = req.insert_header(("authorization", value));
        }
        let res = read(test::call_service(&app, req.to_request()).await).await;
        assert_problem(&res, 401, "unauthenticated");
        let h = &res.1;
        assert!(
            h.get("www-authenticate")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
        assert!(h.get("content-security-policy").is_some());
        assert_eq!(h.get("cache-control").unwrap(), "no-store");
        assert!(Uuid::parse_str(h.get("x-request-id").unwrap().to_str().unwrap()).is_ok());
    }
}

#[actix_web::test]
async fn malformed_json_is_400_and_wrong_shapes_422() {
    let app = app!(Mocks::default());
    for body in ["{\"email\": ", "", "not json"] {
        let req = post_json("/api/auth/signup", body).to_request();
        assert_problem(
            &read(test::call_service(&app, req).await).await,
            400,
            "bad_request",
        );
    }
    for (body, field) in [
        (r#"{"email": 5, "password": "x"}"#, "email"),
        (r#"{"password": "x"}"#, "email"),
        (
            r#"{"email": "a@b.io", "password": "x", "is_superuser": true}"#,
            "is_superuser",
        ),
    ] {
        let req = post_json("/api/auth/signup", body).to_request();
        let res = read(test::call_service(&app, req).await).await;
        assert_problem(&res, 422, "validation_failed");
        assert_eq!(res.2["errors"][0]["field"], field, "{body}");
    }
}

#[actix_web::test]
async fn nul_in_a_url_is_refused_before_anything_else() {
    // No mock expectations: neither authentication nor a store is reached. A path holding
    // NUL names nothing (404, which every route documents); a query holding it is a 400.
    let app = app!(Mocks::default());
    for (uri, status, code) in [
        ("/api/organizations/a%00b", 404, "not_found"),
        ("/api/nope%00", 404, "not_found"),
        ("/api/organizations?search=%00", 400, "bad_request"),
    ] {
        let res =
            read(test::call_service(&app, TestRequest::get().uri(uri).to_request()).await).await;
        assert_problem(&res, status, code);
        assert!(res.1.get("x-request-id").is_some(), "{uri}");
        assert_eq!(res.1.get("x-content-type-options").unwrap(), "nosniff");
    }
}

#[actix_web::test]
async fn oversized_bodies_are_413() {
    let config = HttpConfig {
        max_body_bytes: 64,
        ..HttpConfig::default()
    };
    let app = app!(Mocks::default(), config);
    let body = format!(
        r#"{{"email": "a@b.io", "password": "{}"}}"#,
        "x".repeat(1000)
    );
    let req = post_json("/api/auth/signup", &body).to_request();
    assert_problem(
        &read(test::call_service(&app, req).await).await,
        413,
        "payload_too_large",
    );
}

#[actix_web::test]
async fn non_json_bodies_are_415() {
    let app = app!(Mocks::default());
    for ct in [
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        None,
    ] {
        let mut req = TestRequest::post()
            .uri("/api/auth/login")
            .set_payload("email=a");
        if let Some(ct) = ct {
            req = req.insert_header(("content-type", ct));
        }
        let res = read(test::call_service(&app, req.to_request()).await).await;
        assert_problem(&res, 415, "unsupported_media_type");
    }
}

#[actix_web::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let app = app!(Mocks::default());
    let req = TestRequest::get().uri("/api/nope").to_request();
    let res = read(test::call_service(&app, req).await).await;
    assert_problem(&res, 404, "not_found");
    assert!(res.1.get("x-request-id").is_some());
    let req = TestRequest::delete().uri("/api/users").to_request();
    let res = read(test::call_service(&app, req).await).await;
    assert_problem(&res, 405, "method_not_allowed");
    assert_eq!(res.1.get("allow").unwrap(), "GET, POST");
}

#[actix_web::test]
async fn docs_are_served_offline_without_the_api_csp() {
    let app = app!(Mocks::default());
    let res = test::call_service(&app, TestRequest::get().uri("/docs").to_request()).await;
    assert_eq!(res.status().as_u16(), 301);
    assert_eq!(res.headers().get("location").unwrap(), "/docs/");
    let res = test::call_service(&app, TestRequest::get().uri("/docs/").to_request()).await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers().get("content-security-policy").is_none());
    assert_eq!(
        res.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    let html = test::read_body(res).await;
    assert!(
        String::from_utf8_lossy(&html)
            .to_lowercase()
            .contains("swagger")
    );
}

#[actix_web::test]
async fn health_and_readiness() {
    let mut mocks = Mocks::default();
    mocks
        .audit
        .expect_ping()
        .returning(|| Err(DomainError::Unavailable("database down".into())));
    let app = app!(mocks);
    let (status, _, body) =
        read(test::call_service(&app, TestRequest::get().uri("/healthz").to_request()).await).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let res =
        read(test::call_service(&app, TestRequest::get().uri("/readyz").to_request()).await).await;
    assert_problem(&res, 503, "service_unavailable");
    assert!(res.1.get("retry-after").is_some());
}

#[actix_web::test]
async fn the_caller_and_request_id_reach_the_domain() {
    let mut mocks = Mocks::default().session(user(false));
    mocks.ids.expect_new_id().returning(|| Uuid::from_u128(5));
    let key = Uuid::from_u128(42);
    mocks
        .tokens
        .expect_delete_api_key()
        .withf(move |owner, id, event| {
            *owner == Uuid::from_u128(1)
                && *id == key
                && event.request_id.as_deref() == Some("req-123")
                && event.actor_id == Some(Uuid::from_u128(1))
        })
        .times(1)
        .returning(|_, _, _| Ok(true));
    let app = app!(mocks);
    let bearer = ("authorization", format!("Bearer {TOKEN}"));

    let req = TestRequest::get()
        .uri("/api/users/me")
        .insert_header(bearer.clone());
    let (status, _, me) = read(test::call_service(&app, req.to_request()).await).await;
    assert_eq!(
        (status, me["email"].as_str()),
        (200, Some("ann@example.com"))
    );
    assert_eq!(me["created"], "1970-01-01T00:00:00Z");
    assert!(me.get("password").is_none() && me.get("password_hash").is_none());

    let req = TestRequest::delete()
        .uri(&format!("/api/users/me/api-keys/{key}"))
        .insert_header(bearer.clone())
        .insert_header(("x-request-id", "req-123"));
    let res = test::call_service(&app, req.to_request()).await;
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(res.headers().get("x-request-id").unwrap(), "req-123");

    // A malformed id in a path names nothing.
    let req = TestRequest::delete()
        .uri("/api/users/me/api-keys/nope")
        .insert_header(bearer);
    assert_problem(
        &read(test::call_service(&app, req.to_request()).await).await,
        404,
        "not_found",
    );
}

#[actix_web::test]
async fn pagination_errors_are_400() {
    let app = app!(Mocks::default().session(user(true)));
    for q in [
        "limit=0",
        "offset=-1",
        "page=0",
        "limit=abc",
        "pageSize=0&page=1",
    ] {
        let req = TestRequest::get()
            .uri(&format!("/api/users?{q}"))
            .insert_header(("authorization", format!("Bearer {TOKEN}")));
        let res = read(test::call_service(&app, req.to_request()).await).await;
        assert_problem(&res, 400, "bad_request");
    }
}

#[actix_web::test]
async fn the_members_shorthand_is_not_an_organization() {
    // No organization port is mocked: resolving "members" as an org would panic the mock.
    let app = app!(Mocks::default().session(user(false)));
    for (method, uri) in [
        ("GET", "/api/organizations/members"),
        ("GET", "/api/organizations/me/members"),
        ("GET", "/api/organizations/me/users"),
        ("GET", "/api/organizations/me/permissions"),
    ] {
        let req = TestRequest::default()
            .method(method.parse().unwrap())
            .uri(uri)
            .insert_header(("authorization", format!("Bearer {TOKEN}")));
        let res = read(test::call_service(&app, req.to_request()).await).await;
        assert_problem(&res, 409, "no_current_organization");
    }
}

#[actix_web::test]
async fn the_token_is_checked_before_the_body() {
    // Authentication runs before the extractors, so a refused token wins over a bad body
    // (and a store lookup is never cancelled by a failing sibling extractor).
    let app = app!(Mocks::default().session(user(false)));
    let req = post_json("/api/organizations", "{\"name\": ")
        .insert_header(("authorization", "Bearer orgd_s_forged"))
        .to_request();
    assert_problem(
        &read(test::call_service(&app, req).await).await,
        401,
        "unauthenticated",
    );
    let req = post_json("/api/organizations", "{\"name\": ")
        .insert_header(("authorization", format!("Bearer {TOKEN}")))
        .to_request();
    assert_problem(
        &read(test::call_service(&app, req).await).await,
        400,
        "bad_request",
    );
}
