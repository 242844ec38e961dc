//! Users: people and service accounts.
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::values::Email;

/// A user account. The password hash is never part of it: adapters hand it out only to
/// the login use case.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Id.
    pub id: Uuid,
    /// Unique, lower-cased email.
    pub email: Email,
    /// Display handle; defaults to the email's local part.
    pub username: String,
    /// Full name.
    pub name: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Free JSON object.
    pub metadata: Value,
    /// Inactive users cannot authenticate.
    pub is_active: bool,
    /// Superusers may do everything.
    pub is_superuser: bool,
    /// Service accounts authenticate by API key only and cannot create organizations.
    pub is_service_account: bool,
    /// Whether the user finished onboarding.
    pub is_onboarded: bool,
    /// Whether the user has two-factor authentication enabled.
    pub two_factor_enabled: bool,
    /// Created.
    pub created: OffsetDateTime,
    /// Last changed.
    pub updated: OffsetDateTime,
}

impl User {
    /// The public projection shown to other users.
    pub fn public(&self) -> PublicUser {
        PublicUser {
            id: self.id,
            username: self.username.clone(),
            name: self.name.clone(),
            email: self.email.as_str().to_owned(),
            avatar_url: self.avatar_url.clone(),
        }
    }
}

/// What other users see of a user: never a password, hash or token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUser {
    /// Id.
    pub id: Uuid,
    /// Username.
    pub username: String,
    /// Full name.
    pub name: Option<String>,
    /// Email.
    pub email: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
}

/// A self-service profile change (`PATCH /api/users/me`); `None` leaves a field unchanged,
/// `Some(None)` clears a nullable field.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    /// New username.
    pub username: Option<String>,
    /// New name.
    pub name: Option<Option<String>>,
    /// New avatar URL.
    pub avatar_url: Option<Option<String>>,
    /// New company.
    pub company: Option<Option<String>>,
    /// New job title.
    pub job_title: Option<Option<String>>,
    /// New metadata object.
    pub metadata: Option<Value>,
    /// Onboarding flag.
    pub is_onboarded: Option<bool>,
    /// New password (clear text, validated and hashed by the service).
    pub password: Option<String>,
}

/// A user created by a superuser (`POST /api/users`).
#[derive(Debug, Clone, Default)]
pub struct NewUserRequest {
    /// Email.
    pub email: String,
    /// Password; required unless the account is a service account.
    pub password: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Make a superuser.
    pub is_superuser: bool,
    /// Make a service account (no password, API keys only).
    pub is_service_account: bool,
}
