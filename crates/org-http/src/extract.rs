//! Extractors that answer malformed requests with problem documents, never with actix's
//! plain-text errors: a JSON body extractor, the query and path configs, the path
//! parameters shared by the org-scoped routes, and the refusal of NUL characters in bodies.
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
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
///
/// The whole document is checked first, so that a syntax error anywhere is a 400 even when
/// the typed parse would have stopped earlier at a wrong field; then the root must be an
/// object, then the typed parse names the first offending field. Strings holding NUL are
/// refused as well: no text column (PostgreSQL's) can store them.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the request body is empty; send a JSON document",
        ));
    }
    let doc: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    if !doc.is_object() {
        return Err(invalid("body", "must be a JSON object"));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let inner = e.inner();
        let message = inner.to_string();
        let message = strip_position(&message);
        // The document is well-formed, so any error is about its shape; serde_json reports
        // some of those (a number where an enum goes) as syntax errors.
        let message = match inner.classify() {
            serde_json::error::Category::Data => message,
            _ => "has an invalid type or value",
        };
        let path = e.path().to_string();
        let field = if path == "." {
            named_field(message).unwrap_or_else(|| "body".to_owned())
        } else {
            path
        };
        invalid(&field, message)
    })?;
    if let Some(field) = nul_in(&doc, String::new()) {
        return Err(invalid(&field, "must not contain NUL (U+0000) characters"));
    }
    Ok(value)
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Domain(DomainError::Validation(vec![FieldError::new(
        field, message,
    )]))
}

/// The path of the first key or string holding a NUL character.
fn nul_in(v: &serde_json::Value, path: String) -> Option<String> {
    match v {
        serde_json::Value::String(s) => s.contains('\0').then_some(path),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_in(item, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
            let inner = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(inner)
            } else {
                nul_in(item, inner)
            }
        }),
        _ => None,
    }
}

/// serde_json appends " at line L column C"; clients get the field instead.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

/// The field a root-level serde message names (`missing field `name``, `unknown field `x``);
/// other messages quote values (`invalid type: integer `42``), not fields.
fn named_field(message: &str) -> Option<String> {
    if !["missing field", "unknown field", "duplicate field"]
        .iter()
        .any(|p| message.starts_with(p))
    {
        return None;
    }
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
        // Anywhere in the document, even after a field of the wrong type or a missing one.
        for body in ["{\"name\": 5, \"x\": NaN}", "{} {}", "{\"inner\": 0x10}"] {
            assert_eq!(err(body).code(), "bad_request", "{body}");
        }
    }

    #[test]
    fn the_root_is_an_object_and_strings_hold_no_nul() {
        // serde alone would read `["x", null]` as `Body { name: "x", inner: None }`.
        for body in ["[]", "42", "true", "null", "\"x\"", "[\"x\", null]"] {
            assert_eq!(field_of(&err(body)), "body", "{body}");
        }
        assert_eq!(field_of(&err("{\"name\": \"a\\u0000b\"}")), "name");
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
        assert_eq!(field_of(&err("[1]")), "body");
        assert!(parse_json::<Body>(b"{\"name\": \"x\"}").is_ok());
    }

    #[test]
    fn nul_escapes_are_found_in_strings_and_keys() {
        for body in [
            r#"{"name": "a\u0000b"}"#,
            r#"{"name": "\u00001"}"#,
            r#"{"meta": {"k\u0000": 1}}"#,
            r#"{"a": "\\", "b": "\u0000"}"#,
        ] {
            let e = parse_json::<serde_json::Value>(body.as_bytes()).unwrap_err();
            assert_eq!(e.code(), "validation_failed", "{body}");
        }
        // An escaped backslash followed by the text "u0000", and other escapes.
        for body in [
            r#"{"name": "a\\u0000b"}"#,
            r#"{"name": "\u0001 \u1000 \n"}"#,
        ] {
            assert!(
                parse_json::<serde_json::Value>(body.as_bytes()).is_ok(),
                "{body}"
            );
        }
    }
}
