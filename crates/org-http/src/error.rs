//! The one error type of the HTTP adapter and its RFC 9457 `application/problem+json` body.
//!
//! Every failure a client can see goes through [`ApiError`]: domain errors, malformed
//! requests caught by the extractors, unknown routes. `status_code()` is the single place
//! where a failure becomes a status; causes of 500s are logged with their whole chain and
//! never sent to the client.
use std::error::Error as _;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use org_domain::{DomainError, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of error bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:orgd:problem:forbidden",
    "title": "Forbidden",
    "status": 403,
    "detail": "missing permission: users:update",
    "code": "forbidden"
}))]
pub struct Problem {
    /// A URI naming the problem kind: `urn:orgd:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The HTTP status text.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong, for humans.
    pub detail: String,
    /// Stable machine code (`not_found`, `forbidden`, `validation_failed`, `last_owner`, …).
    pub code: String,
    /// Per-field errors, on `422 validation_failed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ProblemField {
    /// The field as the client named it (`name`, `settings.default_role_id`, `scopes[1]`).
    pub field: String,
    /// Why it was refused.
    pub message: String,
}

/// Everything that can go wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A domain error; see [`DomainError`] for the codes.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Malformed JSON, query string or parameters: `400 bad_request`.
    #[error("{0}")]
    BadRequest(String),
    /// A body that is not JSON: `415 unsupported_media_type`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A body over the configured limit: `413 payload_too_large`.
    #[error("request body exceeds {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// No route for the path: `404 not_found`.
    #[error("no route for {0}")]
    NoRoute(String),
    /// The path exists with other methods: `405 method_not_allowed`.
    #[error("method {method} not allowed; allowed: {}", allow.join(", "))]
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The methods the path answers.
        allow: Vec<String>,
    },
}

/// Result alias of the handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// `400 bad_request`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest(detail.into())
    }

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Domain(e) => e.code(),
            Self::BadRequest(_) => "bad_request",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::NoRoute(_) => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
        }
    }

    /// What the client is told. Internal errors get a generic text: their cause is logged.
    fn detail(&self) -> String {
        match self {
            Self::Domain(DomainError::Unknown(_)) => {
                "an unexpected error occurred; it has been logged".to_owned()
            }
            Self::Domain(DomainError::Validation(errors)) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => "the request has invalid fields".to_owned(),
            },
            Self::Domain(DomainError::RateLimited { retry_after_secs }) => {
                format!("too many requests; retry after {retry_after_secs} seconds")
            }
            other => other.to_string(),
        }
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let code = self.code();
        let errors = match self {
            Self::Domain(DomainError::Validation(errors)) => errors
                .iter()
                .map(|FieldError { field, message }| ProblemField {
                    field: field.clone(),
                    message: message.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        Problem {
            type_: format!("urn:orgd:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            code: code.to_owned(),
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Domain(e) => match e {
                DomainError::NotFound { .. } => StatusCode::NOT_FOUND,
                DomainError::Unauthenticated(_) | DomainError::TotpRequired => {
                    StatusCode::UNAUTHORIZED
                }
                DomainError::Forbidden { .. } => StatusCode::FORBIDDEN,
                DomainError::Conflict { .. } | DomainError::LastOwner => StatusCode::CONFLICT,
                DomainError::Gone { .. } => StatusCode::GONE,
                DomainError::Validation(_) | DomainError::Unprocessable { .. } => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                DomainError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                DomainError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                DomainError::Unknown(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NoRoute(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Domain(DomainError::Unknown(_)) => {
                tracing::error!(error = %Chain(self), "internal error");
            }
            Self::Domain(DomainError::Unavailable(_)) => {
                tracing::warn!(error = %Chain(self), "dependency unavailable");
            }
            _ => {}
        }
        let problem = self.problem();
        let mut res = HttpResponse::build(self.status_code());
        res.content_type(PROBLEM_JSON);
        match self {
            Self::Domain(DomainError::Unauthenticated(_) | DomainError::TotpRequired) => {
                res.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"orgd\""),
                ));
            }
            Self::Domain(DomainError::RateLimited { retry_after_secs }) => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::Domain(DomainError::Unavailable(_)) => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            Self::MethodNotAllowed { allow, .. } => {
                res.insert_header((header::ALLOW, allow.join(", ")));
            }
            _ => {}
        }
        // Serializing a struct of strings cannot fail; fall back to a fixed body regardless.
        let body = serde_json::to_vec(&problem).unwrap_or_else(|_| {
            br#"{"type":"urn:orgd:problem:internal_error","title":"Internal Server Error","status":500,"detail":"error","code":"internal_error"}"#.to_vec()
        });
        res.body(body)
    }
}

/// Formats an error with its whole `source()` chain, for logs.
struct Chain<'a>(&'a ApiError);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            // anyhow's alternate form prints every cause: "outer: middle: root".
            ApiError::Domain(DomainError::Unknown(e)) => write!(f, "{e:#}"),
            other => {
                write!(f, "{other}")?;
                let mut source = other.source();
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
        }
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut out = Vec::new();
        collect_validation("", &errors, &mut out);
        out.sort_by(|a, b| a.field.cmp(&b.field));
        Self::Domain(DomainError::Validation(out))
    }
}

fn collect_validation(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut Vec<FieldError>,
) {
    use validator::ValidationErrorsKind as K;
    for (field, kind) in errors.errors() {
        let name = match (prefix.is_empty(), field.as_ref()) {
            (_, "__all__") if prefix.is_empty() => "body".to_owned(),
            (_, "__all__") => prefix.to_owned(),
            (true, f) => f.to_owned(),
            (false, f) => format!("{prefix}.{f}"),
        };
        match kind {
            K::Field(list) => out.extend(list.iter().map(|e| {
                let message = e
                    .message
                    .as_ref()
                    .map_or_else(|| describe(e), ToString::to_string);
                FieldError::new(name.clone(), message)
            })),
            K::Struct(inner) => collect_validation(&name, inner, out),
            K::List(items) => {
                for (i, inner) in items {
                    collect_validation(&format!("{name}[{i}]"), inner, out);
                }
            }
        }
    }
}

/// A readable message for a validator rule that carries none.
fn describe(e: &validator::ValidationError) -> String {
    let param = |k: &str| e.params.get(k).map(ToString::to_string);
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} long"),
            (Some(min), None) => format!("must be at least {min} long"),
            (None, Some(max)) => format!("must be at most {max} long"),
            (None, None) => "has an invalid length".to_owned(),
        },
        "range" => "is out of range".to_owned(),
        other => format!("is invalid ({other})"),
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
