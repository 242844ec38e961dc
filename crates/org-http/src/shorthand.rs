//! The guard of the current-organization shorthand scopes (`/api/organizations/members`,
//! `/roles`, `/invitations`).
//!
//! A scope that matches ends actix's search, and a request the shorthand does not serve
//! must go on to the `{org}` scope after it, which finds organizations by name too
//! (`GET /api/organizations/members/members` is the member list of an organization named
//! `members`: the shorthand's item serves only `PATCH` and `DELETE`). So the guard admits
//! exactly the shapes and methods the scope's routes serve: the collection, or one
//! non-empty segment after it. The shape is read from the raw path: actix re-quotes
//! percent-encoded characters before matching but keeps `%2F` encoded, so the raw path
//! has the router's slashes (`/api/organizations/%6Dembers` is the shorthand, and so is its
//! item). Without these scopes the shorthands were 13 resources tried one by one, 7 of
//! them with a regex, before every `{org}` request.
use actix_web::guard::{Guard, GuardContext};

/// The methods a shorthand scope serves on its collection and on an item.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shorthand {
    /// On `/api/organizations/<name>`.
    pub(crate) collection: &'static [&'static str],
    /// On `/api/organizations/<name>/{id}`.
    pub(crate) item: &'static [&'static str],
}

/// Segments before the shorthand's own: ``, `api`, `organizations`, `<name>`.
const PREFIX_SEGMENTS: usize = 4;

impl Guard for Shorthand {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        let head = ctx.head();
        let mut rest = head.uri.path().split('/').skip(PREFIX_SEGMENTS);
        let served = match (rest.next(), rest.next()) {
            (None, _) => self.collection,
            (Some(id), None) if !id.is_empty() => self.item,
            _ => return false,
        };
        served.contains(&head.method.as_str())
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::Method;
    use actix_web::test::TestRequest;

    use super::*;
    use crate::members::CURRENT as MEMBERS;

    fn admits(method: Method, path: &str) -> bool {
        let req = TestRequest::default()
            .method(method)
            .uri(path)
            .to_srv_request();
        MEMBERS.check(&req.guard_ctx())
    }

    #[test]
    fn admits_the_served_shapes_and_methods_only() {
        assert!(admits(Method::GET, "/api/organizations/members"));
        assert!(admits(Method::POST, "/api/organizations/members?x=1"));
        assert!(admits(Method::PATCH, "/api/organizations/members/u1"));
        assert!(admits(Method::DELETE, "/api/organizations/%6Dembers/u%311"));
        // Methods the routes do not serve go on to `{org}`.
        assert!(!admits(Method::GET, "/api/organizations/members/u1"));
        assert!(!admits(Method::PUT, "/api/organizations/members"));
        assert!(!admits(Method::HEAD, "/api/organizations/members"));
        // Other shapes too: deeper, a trailing slash, an empty item.
        assert!(!admits(Method::PATCH, "/api/organizations/members/u1/x"));
        assert!(!admits(Method::GET, "/api/organizations/members/"));
        assert!(!admits(Method::PATCH, "/api/organizations/members//"));
        // An encoded slash is part of the item, as the router reads it.
        assert!(admits(Method::PATCH, "/api/organizations/members/a%2Fb"));
    }
}
