//! Bearer authentication: the [`Auth`] extractor turns `Authorization: Bearer <token>` into
//! the domain's [`Actor`], carrying the request id for the audit log.
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use org_domain::DomainError;
use org_domain::auth::Actor;

use crate::AppState;
use crate::error::ApiError;
use crate::middleware::RequestId;

/// The authenticated caller of a request. Missing or invalid credentials answer
/// `401 unauthenticated` with `WWW-Authenticate: Bearer`.
#[derive(Debug, Clone)]
pub struct Auth(pub Actor);

/// The bearer token of a request, if it carries one.
fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let missing = || {
        ApiError::Domain(DomainError::Unauthenticated(
            "missing bearer token: send Authorization: Bearer <token>".to_owned(),
        ))
    };
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(missing());
    }
    Ok(token.to_owned())
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.as_str().to_owned())
            .or_else(|| {
                req.headers()
                    .get(crate::middleware::REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .map(ToOwned::to_owned)
            });
        Box::pin(async move {
            let token = token?;
            let state = state.ok_or_else(|| {
                ApiError::Domain(DomainError::Unknown(anyhow::anyhow!(
                    "AppState is not registered as app data"
                )))
            })?;
            let principal = state.services.authenticate(&token).await?;
            Ok(Auth(Actor {
                principal,
                request_id,
            }))
        })
    }
}
