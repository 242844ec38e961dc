//! Extractors that answer malformed requests with problem documents, never with actix's
//! plain-text errors: a JSON body extractor, the query and path configs, the path
//! parameters shared by the org-scoped routes, and the refusal of NUL characters.
use std::future::Future;
use std::pin::Pin;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpRequest, web};
use futures::StreamExt;
use org_domain::{DomainError, FieldError};
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

use crate::AppState;
use crate::error::ApiError;

/// How much of an oversized body is read (and dropped) before answering 413, so that the
/// client gets the answer instead of a reset connection.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// A JSON request body, deserialized and then validated (`validator`).
///
/// - not `application/json` (or `+json`) → `415 unsupported_media_type`;
/// - over `HttpConfig::max_body_bytes` → `413 payload_too_large`;
/// - not JSON at all → `400 bad_request`;
/// - JSON of the wrong shape (not an object, wrong types, unknown or missing fields), with
///   a NUL character (`\u0000`) in a string, or breaking a rule → `422 validation_failed`
///   naming the field.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(crate::DEFAULT_MAX_BODY_BYTES, |s| s.config.max_body_bytes);
        let content_type = check_content_type(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            content_type?;
            let mut body = web::BytesMut::new();
            let mut too_large = declared.is_some_and(|n| n > limit);
            let mut seen = 0usize;
            while let Some(chunk) = payload.next().await {
                let chunk =
                    chunk.map_err(|e| ApiError::bad_request(format!("reading body: {e}")))?;
                seen += chunk.len();
                if too_large || seen > limit {
                    too_large = true;
                    if seen > DRAIN_LIMIT {
                        break;
                    }
                    continue;
                }
                body.extend_from_slice(&chunk);
            }
            if too_large {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let value: T = parse_json(&body)?;
            require_object(&body)?;
            if has_nul_escape(&body) {
                return Err(ApiError::Domain(DomainError::Validation(vec![
                    FieldError::new("body", "must not contain NUL characters (\\u0000)"),
                ])));
            }
            value.validate()?;
            Ok(Json(value))
        })
    }
}

fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        Ok(())
    } else if essence.is_empty() {
        Err(ApiError::UnsupportedMediaType(
            "a JSON body with content-type application/json is required".to_owned(),
        ))
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "content-type '{essence}' is not supported; send application/json"
        )))
    }
}

/// Parses a JSON body, telling malformed JSON (400) from JSON of the wrong shape (422).
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut *de);
    let value = result.map_err(|e| {
        let inner = e.inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = inner.to_string();
                let message = strip_position(&message);
                let path = e.path().to_string();
                let field = if path == "." {
                    named_field(message).unwrap_or_else(|| "body".to_owned())
                } else {
                    path
                };
                ApiError::Domain(DomainError::Validation(vec![FieldError::new(
                    field, message,
                )]))
            }
            serde_json::error::Category::Eof if body.iter().all(u8::is_ascii_whitespace) => {
                ApiError::bad_request("the request body is empty; send a JSON document")
            }
            _ => ApiError::bad_request(format!("malformed JSON: {inner}")),
        }
    })?;
    // Trailing garbage after the document is malformed input too.
    de.end()
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// Every request body is a JSON object. serde's derived structs also accept an array of
/// the field values in order (`[null, null]`), which no client means to send.
fn require_object(body: &[u8]) -> Result<(), ApiError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        _ => Err(ApiError::Domain(DomainError::Validation(vec![
            FieldError::new("body", "must be a JSON object"),
        ]))),
    }
}

/// Whether a valid JSON document has a `\u0000` escape in a string (or a key). PostgreSQL
/// cannot store NUL in `text` or `jsonb`, and no name, slug or setting has one.
fn has_nul_escape(body: &[u8]) -> bool {
    // In valid JSON a backslash only starts an escape inside a string.
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'\\' {
            if body.get(i + 1..i + 6) == Some(b"u0000".as_slice()) {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Middleware refusing NUL characters (`%00`) in the path — `404 not_found`, such a path
/// names nothing — or in the query string — `400 bad_request`. As in bodies: PostgreSQL
/// cannot compare or store them, and they would answer `500` there.
pub async fn reject_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    // `%2500` is a literal "%00", not a NUL: the windows never see "%00" in it.
    let has_nul = |s: &str| s.as_bytes().windows(3).any(|w| w == b"%00");
    let refusal = if has_nul(req.path()) {
        Some(ApiError::Domain(DomainError::not_found(&format!(
            "resource {}",
            req.path()
        ))))
    } else if has_nul(req.query_string()) {
        Some(ApiError::bad_request(
            "the query string contains a NUL character (%00)",
        ))
    } else {
        None
    };
    match refusal {
        Some(e) => Ok(req.error_response(e).map_into_right_body()),
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

/// serde_json appends " at line L column C"; clients get the field instead.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

/// The field a root-level serde message names (`missing field `name``, `unknown field `x``).
fn named_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

/// The query-string config: malformed queries answer `400 bad_request`.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        ApiError::bad_request(format!("invalid query string: {err}")).into()
    })
}

/// The path config: a malformed id in a path names nothing, so it answers `404 not_found`.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, req| {
        ApiError::Domain(DomainError::not_found(&format!("resource {}", req.path()))).into()
    })
}

/// `{org}` in a path: the organization's UUID, slug, exact name, or `me` (the caller's
/// current organization). Routes without `{org}` (the `/api/organizations/members`
/// shorthand) mean `me`.
#[derive(Debug, Clone, PartialEq, Eq, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct OrgParam {
    /// The organization: UUID, slug, exact name, or `me` for the current organization.
    #[param(example = "acme")]
    pub org: String,
}

impl FromRequest for OrgParam {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let org = req.match_info().get("org").unwrap_or("me").to_owned();
        std::future::ready(Ok(Self { org }))
    }
}

/// `{user_id}` in a member path: the member's user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MemberParam {
    /// The member's user id.
    pub user_id: Uuid,
}

impl FromRequest for MemberParam {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(path_uuid(req, "user_id", "member").map(|user_id| Self { user_id }))
    }
}

/// The UUID in path segment `name`; a malformed one names nothing, so it is `404` for
/// `what`.
pub(crate) fn path_uuid(req: &HttpRequest, name: &str, what: &str) -> Result<Uuid, ApiError> {
    req.match_info()
        .get(name)
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| ApiError::Domain(DomainError::not_found(what)))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        #[serde(default)]
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        flag: bool,
    }

    fn err(body: &str) -> ApiError {
        parse_json::<Body>(body.as_bytes()).unwrap_err()
    }

    fn field_of(e: &ApiError) -> String {
        match e {
            ApiError::Domain(DomainError::Validation(v)) => v[0].field.clone(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        for body in ["{\"name\": ", "", "nope", "{\"name\": \"x\"} trailing"] {
            assert_eq!(err(body).code(), "bad_request", "{body}");
        }
    }

    #[test]
    fn wrong_shapes_name_the_field() {
        assert_eq!(field_of(&err("{\"name\": 5}")), "name");
        assert_eq!(field_of(&err("{}")), "name");
        assert_eq!(
            field_of(&err("{\"name\": \"x\", \"surprise\": 1}")),
            "surprise"
        );
        assert_eq!(
            field_of(&err("{\"name\": \"x\", \"inner\": {\"flag\": 1}}")),
            "inner.flag"
        );
        assert_eq!(err("[1]").code(), "validation_failed");
        assert!(parse_json::<Body>(b"{\"name\": \"x\"}").is_ok());
    }

    #[test]
    fn only_objects_are_bodies() {
        // serde would read this array as `Body { name: "x", inner: None }`.
        assert!(parse_json::<Body>(b"[\"x\", null]").is_ok());
        let e = require_object(b" [\"x\", null]").unwrap_err();
        assert_eq!(
            (e.code(), field_of(&e).as_str()),
            ("validation_failed", "body")
        );
        assert!(require_object(b"\n {\"name\": \"x\"}").is_ok());
    }

    #[test]
    fn nul_escapes_are_found_in_strings_and_keys() {
        for body in [
            r#"{"name": "a\u0000b"}"#,
            r#"{"name": "\u00001"}"#,
            r#"{"meta": {"k\u0000": 1}}"#,
            r#"{"a": "\\", "b": "\u0000"}"#,
        ] {
            assert!(has_nul_escape(body.as_bytes()), "{body}");
        }
        // An escaped backslash followed by the text "u0000", and other escapes.
        for body in [
            r#"{"name": "a\\u0000b"}"#,
            r#"{"name": "\u0001 \u1000 \n"}"#,
        ] {
            assert!(!has_nul_escape(body.as_bytes()), "{body}");
        }
    }
}
