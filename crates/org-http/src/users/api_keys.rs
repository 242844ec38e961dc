//! Personal API keys: listed without their secret, shown once on creation.
use actix_web::{HttpResponse, delete, get, post, web};
use org_domain::auth::{ApiKey, IssuedApiKey, NewApiKey};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::AppState;
use crate::auth::Auth;
use crate::docs::{BadRequest, Forbidden, JsonBodyErrors, NotFound, Unauthenticated};
use crate::error::ApiResult;
use crate::extract::Json;
use crate::json::{Rfc3339, opt_ts, ts};
use crate::pagination::{PageBody, PageParams};

/// An API key, without its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyBody {
    /// Id.
    pub id: Uuid,
    /// Label.
    pub name: String,
    /// The key's first characters, to recognise it.
    #[schema(example = "orgd_k_AbCd")]
    pub prefix: String,
    /// The most the key may do (canonical `resource:action` names); intersected with the
    /// owner's role in each organization.
    #[schema(example = json!(["organization:read"]))]
    pub scopes: Vec<String>,
    /// The only organization the key is valid for (also its current organization).
    pub organization_id: Option<Uuid>,
    /// Expiry (RFC 3339, UTC).
    #[serde(serialize_with = "opt_ts")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    /// Last use, updated at most once a minute.
    #[serde(serialize_with = "opt_ts")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
    /// Created.
    #[serde(serialize_with = "ts")]
    pub created: OffsetDateTime,
}

impl From<ApiKey> for ApiKeyBody {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes.names(),
            organization_id: k.organization_id,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            created: k.created,
        }
    }
}

/// A new API key with its full secret, shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyBody {
    /// The key's record.
    #[serde(flatten)]
    pub key: ApiKeyBody,
    /// The full key (`orgd_k_…`): store it now, it cannot be shown again.
    pub token: String,
}

impl From<IssuedApiKey> for CreatedApiKeyBody {
    fn from(k: IssuedApiKey) -> Self {
        Self {
            key: k.key.into(),
            token: k.token,
        }
    }
}

/// A request to create an API key.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyRequest {
    /// Label, 1–100 characters.
    #[schema(example = "ci")]
    pub name: String,
    /// Scopes (`organization:read`, or seed 003's `organization.read`); absent means every
    /// permission, still limited by the owner's roles. A key cannot mint wider scopes than
    /// its own.
    #[serde(default)]
    #[validate(length(max = 100))]
    pub scopes: Option<Vec<String>>,
    /// Bind the key to one organization (UUID or slug) the owner is a member of.
    #[serde(default)]
    #[validate(length(max = 200))]
    pub organization_id: Option<String>,
    /// Expiry, RFC 3339, in the future.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Rfc3339>,
}

impl From<NewApiKeyRequest> for NewApiKey {
    fn from(r: NewApiKeyRequest) -> Self {
        Self {
            name: r.name,
            scopes: r.scopes,
            organization: r.organization_id,
            expires_at: r.expires_at.map(|t| t.0),
        }
    }
}

/// Your API keys.
///
/// Any authenticated caller; keys are never shown with their secret.
#[utoipa::path(
    tag = "api-keys",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of your keys.", body = PageBody<ApiKeyBody>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthenticated),
    )
)]
#[get("/api/users/me/api-keys")]
pub async fn list_my_api_keys(
    state: web::Data<AppState>,
    auth: Auth,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let req = page.request()?;
    let keys = state.services.list_api_keys(&auth.0).await?;
    let keys = keys.into_iter().map(ApiKeyBody::from).collect();
    Ok(crate::json::large(
        HttpResponse::Ok(),
        &PageBody::slice(keys, req),
    ))
}

/// Create an API key.
///
/// Any authenticated caller. The answer is the only time the full key is shown.
#[utoipa::path(
    tag = "api-keys",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The key, with its secret.", body = CreatedApiKeyBody),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        JsonBodyErrors,
    )
)]
#[post("/api/users/me/api-keys")]
pub async fn create_my_api_key(
    state: web::Data<AppState>,
    auth: Auth,
    body: Json<NewApiKeyRequest>,
) -> ApiResult<HttpResponse> {
    let key = state
        .services
        .create_api_key(&auth.0, None, body.0.into())
        .await?;
    Ok(HttpResponse::Created().json(CreatedApiKeyBody::from(key)))
}

/// Delete one of your API keys.
///
/// Any authenticated caller, for their own keys.
#[utoipa::path(
    tag = "api-keys",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The key's id.")),
    responses(
        (status = 204, description = "The key is revoked."),
        (status = 401, response = Unauthenticated),
        (status = 404, response = NotFound),
    )
)]
#[delete("/api/users/me/api-keys/{id}")]
pub async fn delete_my_api_key(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    state
        .services
        .delete_api_key(&auth.0, id.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Create an API key for a service account.
///
/// Requires a superuser; the target must be a service account (`403 illegal_operation`
/// otherwise).
#[utoipa::path(
    tag = "api-keys",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The service account's user id.")),
    responses(
        (status = 201, description = "The key, with its secret.", body = CreatedApiKeyBody),
        (status = 401, response = Unauthenticated),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        JsonBodyErrors,
    )
)]
#[post("/api/users/{id}/api-keys")]
pub async fn create_api_key_for_user(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Json<NewApiKeyRequest>,
) -> ApiResult<HttpResponse> {
    let key = state
        .services
        .create_api_key(&auth.0, Some(id.into_inner()), body.0.into())
        .await?;
    Ok(HttpResponse::Created().json(CreatedApiKeyBody::from(key)))
}
