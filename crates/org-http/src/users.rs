//! Users: signup, login and sessions (`users/auth.rs`), profiles and superuser
//! administration (`users/profile.rs`), personal API keys (`users/api_keys.rs`),
//! two-factor authentication (`users/two_factor.rs`).
use org_domain::users::{PublicUser, User};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::json::ts;

pub mod api_keys;
pub mod auth;
pub mod profile;
pub mod two_factor;

/// Registers the routes of this module. `/api/users/me/…` comes before `/api/users/{id}/…`.
pub(crate) fn routes(cfg: &mut ServiceConfig) {
    cfg.service(auth::signup)
        .service(auth::login)
        .service(auth::logout)
        .service(auth::set_current_organization)
        .service(profile::get_me)
        .service(profile::update_me)
        .service(two_factor::start_two_factor)
        .service(two_factor::enable_two_factor)
        .service(two_factor::disable_two_factor)
        .service(api_keys::list_my_api_keys)
        .service(api_keys::create_my_api_key)
        .service(api_keys::delete_my_api_key)
        .service(api_keys::create_api_key_for_user)
        .service(profile::list_users)
        .service(profile::create_user);
}

/// A user account as its owner (or a superuser) sees it. Never a password or hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserBody {
    /// Id.
    pub id: Uuid,
    /// Lower-cased email.
    #[schema(example = "ann@example.com")]
    pub email: String,
    /// Display handle.
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
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// Inactive users cannot authenticate.
    pub is_active: bool,
    /// Superusers may do everything.
    pub is_superuser: bool,
    /// Service accounts authenticate with API keys only.
    pub is_service_account: bool,
    /// Whether onboarding is done.
    pub is_onboarded: bool,
    /// Whether two-factor authentication is enabled.
    pub two_factor_enabled: bool,
    /// Created (RFC 3339, UTC).
    #[serde(serialize_with = "ts")]
    pub created: OffsetDateTime,
    /// Last changed (RFC 3339, UTC).
    #[serde(serialize_with = "ts")]
    pub updated: OffsetDateTime,
}

impl From<User> for UserBody {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email.as_str().to_owned(),
            username: u.username,
            name: u.name,
            avatar_url: u.avatar_url,
            company: u.company,
            job_title: u.job_title,
            metadata: u.metadata,
            is_active: u.is_active,
            is_superuser: u.is_superuser,
            is_service_account: u.is_service_account,
            is_onboarded: u.is_onboarded,
            two_factor_enabled: u.two_factor_enabled,
            created: u.created,
            updated: u.updated,
        }
    }
}

/// What other users see of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PublicUserBody {
    /// Id.
    pub id: Uuid,
    /// Display handle.
    pub username: String,
    /// Full name.
    pub name: Option<String>,
    /// Email.
    pub email: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
}

impl From<PublicUser> for PublicUserBody {
    fn from(u: PublicUser) -> Self {
        Self {
            id: u.id,
            username: u.username,
            name: u.name,
            email: u.email,
            avatar_url: u.avatar_url,
        }
    }
}
