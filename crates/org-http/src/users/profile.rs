//! Your own profile, and user administration for superusers.
use actix_web::{HttpResponse, get, patch, post, web};
use org_domain::users::{NewUserRequest, ProfilePatch};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::UserBody;
use crate::AppState;
use crate::auth::Auth;
use crate::docs::{BadRequest, Conflict, Forbidden, JsonBodyErrors, Unauthenticated};
use crate::error::ApiResult;
use crate::extract::Json;
use crate::json::nullable;
use crate::pagination::{PageBody, PageParams};

/// `PATCH /api/users/me`: absent fields stay, `null` clears a nullable field.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatchRequest {
    /// New username, 1–100 characters.
    #[serde(default)]
    pub username: Option<String>,
    /// New full name; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    /// New avatar URL (`http(s)://…`); `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub avatar_url: Option<Option<String>>,
    /// New company; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    /// New job title; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub job_title: Option<Option<String>>,
    /// New metadata object (replaces the old one); `null` resets it to `{}`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Option<Value>>,
    /// Onboarding flag.
    #[serde(default)]
    pub is_onboarded: Option<bool>,
    /// New password, 8–256 characters.
    #[serde(default)]
    pub password: Option<String>,
}

impl From<ProfilePatchRequest> for ProfilePatch {
    fn from(r: ProfilePatchRequest) -> Self {
        Self {
            username: r.username,
            name: r.name,
            avatar_url: r.avatar_url,
            company: r.company,
            job_title: r.job_title,
            metadata: r.metadata.map(|m| m.unwrap_or_else(|| json!({}))),
            is_onboarded: r.is_onboarded,
            password: r.password,
        }
    }
}

/// `POST /api/users`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// Email.
    #[schema(example = "bot@example.com")]
    pub email: String,
    /// Password, 8–256 characters; required unless `is_service_account`, refused if it is.
    #[serde(default)]
    pub password: Option<String>,
    /// Username (default: the email's local part).
    #[serde(default)]
    pub username: Option<String>,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// Make a superuser.
    #[serde(default)]
    pub is_superuser: bool,
    /// Make a service account (no password; API keys only).
    #[serde(default)]
    pub is_service_account: bool,
}

/// Filters of `GET /api/users`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Email, username or name contains (case-insensitive).
    pub search: Option<String>,
}

/// Your account.
///
/// Any authenticated caller.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your account.", body = UserBody),
        (status = 401, response = Unauthenticated),
    )
)]
#[get("/api/users/me")]
pub async fn get_me(auth: Auth) -> HttpResponse {
    HttpResponse::Ok().json(UserBody::from(auth.0.principal.user))
}

/// Change your profile.
///
/// Partial update; unknown fields are refused. Any authenticated caller.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated account.", body = UserBody),
        (status = 401, response = Unauthenticated),
        JsonBodyErrors,
    )
)]
#[patch("/api/users/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<ProfilePatchRequest>,
) -> ApiResult<HttpResponse> {
    let user = state.services.update_me(&auth.0, body.0.into()).await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}

/// List users.
///
/// Requires a superuser.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(UserFilter, PageParams),
    responses(
        (status = 200, description = "A page of users.", body = PageBody<UserBody>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
    )
)]
#[get("/api/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<UserFilter>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let req = page.request()?;
    let search = filter.into_inner().search;
    let users = state.services.list_users(&auth.0, search, req).await?;
    Ok(crate::json::large(
        HttpResponse::Ok(),
        &PageBody::from_page(users, UserBody::from),
    ))
}

/// Create a user or service account.
///
/// Requires a superuser.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new account.", body = UserBody),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        JsonBodyErrors,
    )
)]
#[post("/api/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<NewUserBody>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let req = NewUserRequest {
        email: b.email,
        password: b.password,
        username: b.username,
        name: b.name,
        is_superuser: b.is_superuser,
        is_service_account: b.is_service_account,
    };
    let user = state.services.create_user(&auth.0, req).await?;
    Ok(HttpResponse::Created().json(UserBody::from(user)))
}
