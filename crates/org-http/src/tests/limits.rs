//! Attempt limits over mocked ports: two workers' apps share one budget, and a refused
//! attempt never reaches the domain.
use std::net::SocketAddr;

use actix_web::test::{self, TestRequest};

use super::{Mocks, app, assert_problem, read};
use crate::HttpConfig;
use crate::rate_limit::{AuthLimits, Rate};

fn login(email: &str, peer: &str) -> actix_http::Request {
    TestRequest::post()
        .uri("/api/auth/login")
        .insert_header(("content-type", "application/json"))
        .peer_addr(peer.parse::<SocketAddr>().unwrap())
        .set_payload(format!(
            r#"{{"email": "{email}", "password": "wrong password"}}"#
        ))
        .to_request()
}

/// A worker's ports: unknown accounts, so each attempt that gets through costs exactly one
/// (dummy) password verification; `times` makes a further one fail the test.
fn worker(attempts: usize) -> Mocks {
    let mut m = Mocks::default();
    m.users.expect_find_for_login().returning(|_| Ok(None));
    m.hasher
        .expect_verify()
        .times(attempts)
        .returning(|_, _| false);
    m
}

#[actix_web::test]
async fn two_workers_built_from_one_config_share_the_budget() {
    let config = HttpConfig {
        auth_limits: AuthLimits::new(Rate::Off, "2/1h".parse().unwrap()),
        ..HttpConfig::default()
    };
    // What `HttpServer::new` does per worker: its own services, the shared HTTP config.
    let a = app!(worker(1), config.clone());
    let b = app!(worker(1), config.clone());
    let peer = "192.0.2.1:4000";
    let first = read(test::call_service(&a, login("Ann@Example.com", peer)).await).await;
    assert_problem(&first, 401, "unauthenticated");
    let second = read(test::call_service(&b, login("ann@example.com", peer)).await).await;
    assert_problem(&second, 401, "unauthenticated");
    for res in [
        test::call_service(&a, login("ann@example.com", peer)).await,
        test::call_service(&b, login("ANN@example.com", "198.51.100.7:1")).await,
    ] {
        let res = read(res).await;
        assert_problem(&res, 429, "rate_limited");
        // 2/1h refills one attempt every 30 minutes.
        assert_eq!(res.1.get("retry-after").unwrap(), "1800");
        assert_eq!(res.1.get("x-content-type-options").unwrap(), "nosniff");
    }
}

#[actix_web::test]
async fn the_address_budget_covers_every_account_from_that_address() {
    let config = HttpConfig {
        auth_limits: AuthLimits::new("2/1m".parse().unwrap(), Rate::Off),
        ..HttpConfig::default()
    };
    let app = app!(worker(3), config);
    for email in ["a@example.com", "b@example.com"] {
        let res = read(test::call_service(&app, login(email, "192.0.2.1:1")).await).await;
        assert_problem(&res, 401, "unauthenticated");
    }
    let res = read(test::call_service(&app, login("c@example.com", "192.0.2.1:2")).await).await;
    assert_problem(&res, 429, "rate_limited");
    assert_eq!(res.1.get("retry-after").unwrap(), "30");
    // Another address has its own budget.
    let res = read(test::call_service(&app, login("c@example.com", "192.0.2.2:1")).await).await;
    assert_problem(&res, 401, "unauthenticated");
}

/// Exactly the throttled operations document `429`, and its `Retry-After` header.
#[test]
fn the_throttled_operations_document_429_with_retry_after() {
    let spec = serde_json::to_value(crate::openapi()).unwrap();
    let throttled = [
        ("post", "/api/auth/login"),
        ("post", "/api/auth/signup"),
        ("post", "/api/invitations/accept"),
        ("post", "/api/users/me/two-factor/enable"),
        ("post", "/api/users/me/two-factor/disable"),
    ];
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let documented = op["responses"].get("429").is_some();
            let expected = throttled.contains(&(method.as_str(), path.as_str()));
            assert_eq!(documented, expected, "{method} {path}");
        }
    }
    let response = &spec["components"]["responses"]["TooManyRequests"];
    assert_eq!(
        response["headers"]["Retry-After"]["schema"]["type"],
        "integer"
    );
    assert!(response["content"][crate::error::PROBLEM_JSON].is_object());
}
