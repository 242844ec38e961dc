use actix_web::body::to_bytes;
use actix_web::http::StatusCode;
use actix_web::http::header;
use org_domain::{DomainError, FieldError};

use super::*;

/// Every variant, its status and its code: the table clients rely on.
fn table() -> Vec<(ApiError, u16, &'static str)> {
    let d = ApiError::Domain;
    vec![
        (d(DomainError::not_found("organization")), 404, "not_found"),
        (
            d(DomainError::NotFound {
                code: "user_not_found",
                detail: "user not found".into(),
            }),
            404,
            "user_not_found",
        ),
        (
            d(DomainError::Unauthenticated("no".into())),
            401,
            "unauthenticated",
        ),
        (d(DomainError::TotpRequired), 401, "totp_required"),
        (
            d(DomainError::missing_permission(
                "missing permission: users:read",
            )),
            403,
            "forbidden",
        ),
        (
            d(DomainError::forbidden("illegal_operation", "no")),
            403,
            "illegal_operation",
        ),
        (
            d(DomainError::forbidden("two_factor_required", "no")),
            403,
            "two_factor_required",
        ),
        (
            d(DomainError::conflict("slug_taken", "taken")),
            409,
            "slug_taken",
        ),
        (
            d(DomainError::conflict("no_current_organization", "none")),
            409,
            "no_current_organization",
        ),
        (d(DomainError::LastOwner), 409, "last_owner"),
        (
            d(DomainError::invalid("slug", "bad")),
            422,
            "validation_failed",
        ),
        (
            d(DomainError::unprocessable("reserved_slug", "reserved")),
            422,
            "reserved_slug",
        ),
        (
            d(DomainError::RateLimited {
                retry_after_secs: 7,
            }),
            429,
            "rate_limited",
        ),
        (
            d(DomainError::Unavailable("db down".into())),
            503,
            "service_unavailable",
        ),
        (
            d(DomainError::Unknown(anyhow::anyhow!("boom"))),
            500,
            "internal_error",
        ),
        (ApiError::bad_request("bad"), 400, "bad_request"),
        (
            ApiError::UnsupportedMediaType("xml".into()),
            415,
            "unsupported_media_type",
        ),
        (
            ApiError::PayloadTooLarge { limit: 10 },
            413,
            "payload_too_large",
        ),
        (ApiError::NoRoute("GET /x".into()), 404, "not_found"),
        (
            ApiError::MethodNotAllowed {
                method: "PUT".into(),
                allow: vec!["GET".into()],
            },
            405,
            "method_not_allowed",
        ),
    ]
}

#[test]
fn every_error_has_one_status_and_code() {
    for (err, status, code) in table() {
        assert_eq!(err.status_code().as_u16(), status, "{err:?}");
        assert_eq!(err.code(), code, "{err:?}");
        let p = err.problem();
        assert_eq!((p.status, p.code.as_str()), (status, code));
        assert_eq!(p.type_, format!("urn:orgd:problem:{code}"));
        assert!(!p.title.is_empty() && !p.detail.is_empty(), "{p:?}");
    }
}

#[actix_web::test]
async fn responses_are_problem_json_with_their_headers() {
    for (err, status, code) in table() {
        let res = err.error_response();
        assert_eq!(res.status().as_u16(), status);
        let ct = res.headers().get(header::CONTENT_TYPE).unwrap();
        assert_eq!(ct, PROBLEM_JSON);
        let www = res.headers().get(header::WWW_AUTHENTICATE);
        assert_eq!(www.is_some(), status == 401, "{code}");
        if status == 429 {
            assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "7");
        }
        if status == 405 {
            assert_eq!(res.headers().get(header::ALLOW).unwrap(), "GET");
        }
        let body = to_bytes(res.into_body()).await.unwrap();
        let p: Problem = serde_json::from_slice(&body).unwrap();
        assert_eq!((p.status, p.code.as_str()), (status, code));
    }
}

#[test]
fn internal_errors_do_not_leak_their_cause() {
    let err = ApiError::Domain(DomainError::Unknown(
        anyhow::anyhow!("password=hunter2").context("querying users"),
    ));
    let p = err.problem();
    assert_eq!(p.status, 500);
    assert!(
        !p.detail.contains("hunter2") && !p.detail.contains("querying"),
        "{p:?}"
    );
    // The log line, on the other hand, has the whole chain.
    assert_eq!(Chain(&err).to_string(), "querying users: password=hunter2");
}

#[test]
fn validation_errors_list_every_field() {
    let err = ApiError::Domain(DomainError::Validation(vec![
        FieldError::new("name", "must be 1 to 200 characters long"),
        FieldError::new("timezone", "'Mars/Olympus' is not an IANA time zone"),
    ]));
    let p = err.problem();
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY.as_u16());
    let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["name", "timezone"]);
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["type"], "urn:orgd:problem:validation_failed");
    // Other problems carry no `errors` key at all.
    let json = serde_json::to_value(ApiError::bad_request("x").problem()).unwrap();
    assert!(json.get("errors").is_none());
    // A single field error is also spelled out in `detail`.
    let one = ApiError::Domain(DomainError::invalid("slug", "bad slug")).problem();
    assert_eq!(one.detail, "slug: bad slug");
}

#[test]
fn validator_errors_become_field_errors() {
    use validator::Validate;

    #[derive(Validate)]
    struct Body {
        #[validate(length(min = 1, max = 3))]
        name: String,
        #[validate(nested)]
        inner: Inner,
    }

    #[derive(Validate)]
    struct Inner {
        #[validate(length(max = 1))]
        tags: Vec<u8>,
    }

    let errors = Body {
        name: String::new(),
        inner: Inner { tags: vec![1, 2] },
    }
    .validate()
    .unwrap_err();
    let p = ApiError::from(errors).problem();
    assert_eq!(p.code, "validation_failed");
    let fields: Vec<(&str, &str)> = p
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("inner.tags", "must be at most 1 long"),
            ("name", "must be 1 to 3 long")
        ]
    );
}
