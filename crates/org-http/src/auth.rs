//! Bearer authentication: the [`Auth`] extractor turns `Authorization: Bearer <token>` into
//! the domain's [`Actor`], carrying the request id for the audit log.
//!
//! The token is resolved by the [`authenticate`] middleware, before any extractor runs.
//! actix polls a handler's extractors together and drops the rest as soon as one fails, so
//! an extractor that queried the store could be cancelled mid-query by a malformed body or
//! query string; resolving first also makes a bad token win over a bad body (401, not 400).
use std::future::Future;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, web};
use org_domain::DomainError;
use org_domain::auth::{Actor, Preload};
use org_domain::organizations::OrgDetail;
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;
use crate::middleware::RequestId;

/// The authenticated caller of a request. Missing or invalid credentials answer
/// `401 unauthenticated` with `WWW-Authenticate: Bearer`.
#[derive(Debug, Clone)]
pub struct Auth(pub Actor);

/// The outcome of resolving a request's bearer token, left by [`authenticate`] for [`Auth`].
struct Resolved(Result<Actor, ApiError>);

/// The bearer token of a request.
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

/// The organization an org-scoped path names by id (`/api/organizations/{id}` and below),
/// which authentication loads in the same round trip ([`Actor::preloaded`]): all of it for
/// the routes that show it (the org itself and its subscription), its basics with the
/// listing version for its member and invitation listings, its basics for the rest.
/// Slugs, names and `me` are left to the use case. A wrong guess costs the use case a read
/// of its own, never a wrong answer.
fn org_in_path(path: &str) -> Option<(Uuid, OrgDetail)> {
    let rest = path.strip_prefix("/api/organizations/")?;
    let (segment, below) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let id = Uuid::parse_str(segment).ok()?;
    let detail = match below {
        "" | "/subscription" => OrgDetail::Full,
        "/members" | "/invitations" => OrgDetail::Listed,
        _ => OrgDetail::Basics,
    };
    Some((id, detail))
}

/// What authentication reads with the credential for `req` ([`Preload`]): the org an
/// org-scoped path names ([`org_in_path`]), or the versions of the caller's orgs for the
/// listing of them that may be answered from a kept one (`GET /api/organizations`, neither
/// searched nor filtered by name).
fn preload(req: &HttpRequest) -> Option<Preload> {
    let path = req.path();
    if path == "/api/organizations" {
        let filtered = req
            .query_string()
            .split('&')
            .any(|pair| pair.starts_with("search=") || pair.starts_with("name="));
        return (req.method() == Method::GET && !filtered).then_some(Preload::MemberOrgs);
    }
    org_in_path(path).map(|(id, detail)| Preload::Org(id, detail))
}

/// Authenticates a request against the store.
fn resolve(req: &HttpRequest) -> impl Future<Output = Result<Actor, ApiError>> + 'static {
    let token = bearer(req);
    let preload = preload(req);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.as_str().to_owned());
    async move {
        let token = token?;
        let state = state.ok_or_else(|| {
            ApiError::Domain(DomainError::Unknown(anyhow::anyhow!(
                "AppState is not registered as app data"
            )))
        })?;
        let mut actor = state.services.authenticate_in(&token, preload).await?;
        actor.request_id = request_id;
        Ok(actor)
    }
}

/// Resolves the bearer token of `/api/…` requests that carry one, before routing to the
/// handler. Requests without a token are left alone: public routes need none, and [`Auth`]
/// answers 401 on the others.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.path().starts_with("/api/") && req.headers().contains_key(header::AUTHORIZATION) {
        let outcome = resolve(req.request()).await;
        req.extensions_mut().insert(Resolved(outcome));
    }
    next.call(req).await
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let resolved = req.extensions_mut().remove::<Resolved>();
        match resolved {
            Some(Resolved(outcome)) => Box::pin(std::future::ready(outcome.map(Auth))),
            // No token, or the middleware is not installed: resolve here.
            None => {
                let fut = resolve(req);
                Box::pin(async move { fut.await.map(Auth) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    /// The listing of the caller's orgs reads their versions with the credential, unless it
    /// is searched or filtered by name (never kept) or is not a read; org-scoped paths
    /// preload their org; other paths nothing.
    #[test]
    fn what_authentication_reads_with_the_credential() {
        let id = "0190d3c1-6a4e-7c1e-8a51-2b6f3c9d4e5f";
        let uuid = Uuid::parse_str(id).unwrap();
        let get = |uri: &str| preload(&TestRequest::get().uri(uri).to_http_request());
        for uri in [
            "/api/organizations",
            "/api/organizations?limit=100",
            "/api/organizations?offset=0&limit=20",
            "/api/organizations?searching=x",
        ] {
            assert_eq!(get(uri), Some(Preload::MemberOrgs), "{uri}");
        }
        for uri in [
            "/api/organizations?search=acme",
            "/api/organizations?limit=5&name=Acme",
            "/api/organizations/",
            "/api/users/me",
            "/api/organizations/acme",
        ] {
            assert_eq!(get(uri), None, "{uri}");
        }
        let post = TestRequest::post()
            .uri("/api/organizations")
            .to_http_request();
        assert_eq!(preload(&post), None);
        assert_eq!(
            get(&format!("/api/organizations/{id}/members")),
            Some(Preload::Org(uuid, OrgDetail::Listed))
        );
    }

    #[test]
    fn only_ids_in_org_scoped_paths_are_preloaded() {
        let id = "0190d3c1-6a4e-7c1e-8a51-2b6f3c9d4e5f";
        let uuid = Uuid::parse_str(id).unwrap();
        // The routes that show the org preload all of it, its listings its basics with the
        // listing version, the others its basics.
        for (below, detail) in [
            ("", OrgDetail::Full),
            ("/subscription", OrgDetail::Full),
            ("/members", OrgDetail::Listed),
            ("/invitations", OrgDetail::Listed),
            (&format!("/members/{id}"), OrgDetail::Basics),
            (&format!("/invitations/{id}"), OrgDetail::Basics),
            ("/permissions/check", OrgDetail::Basics),
            ("/subscription/x", OrgDetail::Basics),
            ("/", OrgDetail::Basics),
        ] {
            let path = format!("/api/organizations/{id}{below}");
            assert_eq!(org_in_path(&path), Some((uuid, detail)), "{path}");
        }
        for path in [
            "/api/organizations",
            "/api/organizations/",
            "/api/organizations/me/members",
            "/api/organizations/members",
            "/api/organizations/acme/members",
            "/api/organizations/0190d3c1%2D6a4e-7c1e-8a51-2b6f3c9d4e5f",
            &format!("/api/users/{id}"),
            &format!("/api/invitations/{id}/accept"),
        ] {
            assert_eq!(org_in_path(path), None, "{path}");
        }
    }
}
