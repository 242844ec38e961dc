//! The domain's error type. Every adapter maps its own failures into these variants, and the
//! HTTP layer maps each variant to exactly one status and stable machine `code`.

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field's name as the client sent it (`slug`, `settings.default_role_id`, …).
    pub field: String,
    /// Why the value was refused, for humans.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Errors of the domain services and ports.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The resource does not exist, or the caller may not know that it exists (foreign
    /// tenant). `code` is `not_found` or a more precise variant such as `user_not_found`.
    #[error("{detail}")]
    NotFound {
        /// Stable machine code.
        code: &'static str,
        /// Human readable explanation.
        detail: String,
    },
    /// No valid credentials were presented.
    #[error("{0}")]
    Unauthenticated(String),
    /// The password was right, but the account has two-factor authentication and no
    /// one-time code came with it (`401 totp_required`).
    #[error("a one-time code (totp_code) is required for this account")]
    TotpRequired,
    /// The caller is known but may not do this. `code` is `forbidden`, `illegal_operation`,
    /// `two_factor_required`, `api_keys_disabled`, `key_not_valid_for_organization`, …
    #[error("{detail}")]
    Forbidden {
        /// Stable machine code.
        code: &'static str,
        /// Human readable explanation, naming the missing permission where there is one.
        detail: String,
    },
    /// The request conflicts with the current state (`slug_taken`, `already_member`,
    /// `organization_limit_exceeded`, `no_current_organization`, …).
    #[error("{detail}")]
    Conflict {
        /// Stable machine code.
        code: &'static str,
        /// Human readable explanation.
        detail: String,
    },
    /// The thing named existed but can no longer be used (`invitation_expired`,
    /// `invitation_revoked`).
    #[error("{detail}")]
    Gone {
        /// Stable machine code.
        code: &'static str,
        /// Human readable explanation.
        detail: String,
    },
    /// The change would leave an organization without an owner.
    #[error("an organization must keep at least one owner")]
    LastOwner,
    /// Well-formed input that breaks a rule, with one entry per offending field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Well-formed input refused for a reason with its own code (`reserved_slug`,
    /// `not_a_member`, `unknown_role`).
    #[error("{detail}")]
    Unprocessable {
        /// Stable machine code.
        code: &'static str,
        /// Human readable explanation.
        detail: String,
    },
    /// Too many attempts; retry after the given number of seconds.
    #[error("too many requests")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// A dependency (the database) is unavailable; the request may be retried.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or an unexpected adapter failure. Never shown to clients.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Result alias of the domain.
pub type Result<T, E = DomainError> = std::result::Result<T, E>;

impl DomainError {
    /// `404 not_found` for a kind of resource.
    pub fn not_found(what: &str) -> Self {
        Self::NotFound {
            code: "not_found",
            detail: format!("{what} not found"),
        }
    }

    /// `403 forbidden` naming the missing permission(s).
    pub fn missing_permission(detail: impl Into<String>) -> Self {
        Self::Forbidden {
            code: "forbidden",
            detail: detail.into(),
        }
    }

    /// `403` with a specific code.
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            detail: detail.into(),
        }
    }

    /// `409` with a specific code.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// `410` with a specific code.
    pub fn gone(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Gone {
            code,
            detail: detail.into(),
        }
    }

    /// `422` with a specific code.
    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unprocessable {
            code,
            detail: detail.into(),
        }
    }

    /// `422 validation_failed` for one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The stable machine code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Conflict { code, .. }
            | Self::Gone { code, .. }
            | Self::Unprocessable { code, .. } => code,
            Self::Unauthenticated(_) => "unauthenticated",
            Self::TotpRequired => "totp_required",
            Self::LastOwner => "last_owner",
            Self::Validation(_) => "validation_failed",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "service_unavailable",
            Self::Unknown(_) => "internal_error",
        }
    }
}
