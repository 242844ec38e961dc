//! SQL and JSON injection strings wherever a value names something (slug, email, role,
//! permission, organization, token, path segment, filter): refused with the answer the
//! field's rules give, never a 5xx, nothing written. NUL is refused even in free text.
use reqwest::Method;
use serde_json::{Value, json};

use super::runner::{Fixture, Req, Runner, Want, enc};
use crate::helpers::PASSWORD;

/// SQL and JSON injection strings.
pub const INJECTIONS: [&str; 20] = [
    "'; DROP TABLE members; --",
    "\" OR 1=1 --",
    "' OR '1'='1",
    "admin'--",
    "1 UNION SELECT password_hash FROM users",
    "1); DELETE FROM organizations; --",
    "{\"$gt\": \"\"}",
    "{\"$ne\": null}",
    "[\"$in\"]",
    "\\u0000",
    "\u{0}",
    "x\u{0}y",
    "%00",
    "\\",
    "\"}, \"is_superuser\": true, \"x\": \"",
    "${jndi:ldap://x/a}",
    "<script>alert(1)</script>",
    "*",
    "%",
    "../../etc/passwd",
];

/// NUL cannot be stored in any text column, so even where any text is data it is refused:
/// in a body with `422` naming the field, in a URL with `400`.
#[tokio::test]
async fn nul_in_free_text_is_refused() {
    let fx = Fixture::new(None).await;
    let mut run = Runner::new(&fx).await;
    let org = format!("/api/organizations/{}", fx.team.slug);
    let role = format!("{org}/roles/{}", fx.role_id);
    let bodies: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::POST,
            "/api/organizations".into(),
            json!({"name": "a\u{0}b"}),
            "name",
        ),
        (
            Method::POST,
            "/api/organizations".into(),
            json!({"name": "ok", "description": "\u{0}"}),
            "description",
        ),
        (
            Method::POST,
            "/api/organizations".into(),
            json!({"name": "ok", "metadata": {"k": "v\u{0}"}}),
            "metadata.k",
        ),
        (
            Method::POST,
            "/api/organizations".into(),
            json!({"name": "ok", "metadata": {"list": [1, "\u{0}"]}}),
            "metadata.list[1]",
        ),
        (Method::PATCH, org.clone(), json!({"name": "\u{0}"}), "name"),
        (
            Method::PATCH,
            org.clone(),
            json!({"metadata": {"k\u{0}": 1}}),
            "metadata.k\u{0}",
        ),
        (
            Method::PATCH,
            "/api/users/me".into(),
            json!({"name": "x\u{0}"}),
            "name",
        ),
        (
            Method::PATCH,
            "/api/users/me".into(),
            json!({"company": "\u{0}", "job_title": "ok"}),
            "company",
        ),
        (
            Method::PATCH,
            role.clone(),
            json!({"description": "\u{0}"}),
            "description",
        ),
        (
            Method::POST,
            "/api/users/me/api-keys".into(),
            json!({"name": "k\u{0}"}),
            "name",
        ),
    ];
    for (method, path, body, field) in bodies {
        let label = body.to_string();
        run.case(
            label,
            Req::owner(&fx, method, &path, Some(body)),
            Want::Invalid(field.into()),
        )
        .await;
    }
    for query in [
        "/api/organizations?search=%00",
        "/api/organizations?name=a%00",
        "/api/organizations?search=%2500%00",
    ]
    .map(str::to_owned)
    .into_iter()
    .chain([
        format!("{org}/members?search=%00"),
        format!("{org}/audit-events?action=%00"),
        format!("{org}/audit-events?target_id=x%00"),
        format!("{role}?reassign_to=%00"),
    ]) {
        run.case(
            &query,
            Req::owner(&fx, Method::GET, &query, None),
            Want::BadRequest,
        )
        .await;
    }
    run.finish("NUL in free text");
}

/// Where an injection goes: a body field (by its name as `errors[].field` gives it) or the
/// path/query (already in the path).
enum At {
    Body(&'static str, Value),
    Url,
}

#[tokio::test]
async fn injection_strings_in_identifiers_are_refused() {
    let fx = Fixture::new(None).await;
    let mut run = Runner::new(&fx).await;
    let org = format!("/api/organizations/{}", fx.team.slug);
    let member = format!("{org}/members/{}", fx.team.member_id);
    let role = format!("{org}/roles/{}", fx.role_id);
    let (post, patch, get, del) = (Method::POST, Method::PATCH, Method::GET, Method::DELETE);
    let invalid = |f: &str| Want::Invalid(f.to_owned());
    let unknown_role = Want::Refused("unknown_role", "role".into());
    let sa = fx.service_account_id.clone();
    for inj in INJECTIONS {
        let q = enc(inj);
        let cases: Vec<(Method, String, At, Want)> = vec![
            (
                post.clone(),
                "/api/organizations".into(),
                At::Body("slug", json!({"name": "x", "slug": inj})),
                invalid("slug"),
            ),
            (
                patch.clone(),
                org.clone(),
                At::Body("slug", json!({"slug": inj})),
                invalid("slug"),
            ),
            (
                post.clone(),
                "/api/users".into(),
                At::Body("email", json!({"email": inj, "is_service_account": true})),
                invalid("email"),
            ),
            (
                post.clone(),
                format!("{org}/invitations"),
                At::Body("email", json!({"email": inj})),
                invalid("email"),
            ),
            (
                post.clone(),
                format!("{org}/invitations"),
                At::Body("role", json!({"email": "new@x.io", "role": inj})),
                unknown_role.clone(),
            ),
            (
                post.clone(),
                format!("{org}/members"),
                At::Body("user_email", json!({"user_email": inj})),
                invalid("user_email"),
            ),
            (
                post.clone(),
                format!("{org}/members"),
                At::Body("role", json!({"user_id": sa, "role": inj})),
                unknown_role.clone(),
            ),
            (
                patch.clone(),
                member.clone(),
                At::Body("role", json!({"role": inj})),
                unknown_role.clone(),
            ),
            (
                patch.clone(),
                org.clone(),
                At::Body(
                    "settings.default_role_id",
                    json!({"settings": {"default_role_id": inj}}),
                ),
                invalid("settings.default_role_id"),
            ),
            (
                post.clone(),
                format!("{org}/roles"),
                At::Body("permissions", json!({"name": "r", "permissions": [inj]})),
                invalid("permissions"),
            ),
            (
                patch.clone(),
                role.clone(),
                At::Body("permissions", json!({"permissions": [inj]})),
                invalid("permissions"),
            ),
            (
                post.clone(),
                format!("{org}/permissions/check"),
                At::Body("permissions", json!({"permissions": [inj]})),
                invalid("permissions"),
            ),
            (
                post.clone(),
                "/api/users/me/api-keys".into(),
                At::Body("scopes", json!({"name": "k", "scopes": [inj]})),
                invalid("scopes"),
            ),
            // Names of things that do not exist: the thing is not found.
            (
                post.clone(),
                "/api/users/me/api-keys".into(),
                At::Body(
                    "organization_id",
                    json!({"name": "k", "organization_id": inj}),
                ),
                Want::NotFound,
            ),
            (
                post.clone(),
                "/api/auth/session/organization".into(),
                At::Body("organization_id", json!({"organization_id": inj})),
                Want::NotFound,
            ),
            (
                post.clone(),
                "/api/invitations/accept".into(),
                At::Body("token", json!({"token": inj})),
                Want::NotFound,
            ),
            // Query and path.
            (
                del.clone(),
                format!("{role}?reassign_to={q}"),
                At::Url,
                unknown_role.clone(),
            ),
            (
                get.clone(),
                format!("{org}/members?role={q}"),
                At::Url,
                unknown_role.clone(),
            ),
            (
                get.clone(),
                format!("{org}/invitations?status={q}"),
                At::Url,
                invalid("status"),
            ),
            (
                get.clone(),
                format!("/api/users/me/invitations?status={q}"),
                At::Url,
                invalid("status"),
            ),
            (
                get.clone(),
                format!("{org}?expand={q}"),
                At::Url,
                Want::BadRequest,
            ),
            (
                get.clone(),
                format!("/api/organizations/{q}"),
                At::Url,
                Want::NotFound,
            ),
            (
                patch.clone(),
                format!("{org}/members/{q}"),
                At::Body("", json!({"role": "member"})),
                Want::NotFound,
            ),
            (
                get.clone(),
                format!("{org}/roles/{q}"),
                At::Url,
                Want::NotFound,
            ),
            (
                del.clone(),
                format!("{org}/invitations/{q}"),
                At::Url,
                Want::NotFound,
            ),
        ];
        for (method, path, at, want) in cases {
            let (body, want) = match at {
                // A NUL is refused before anything else, naming the field.
                At::Body(field, body) if inj.contains('\0') && !field.is_empty() => {
                    (Some(body), invalid(field))
                }
                At::Body(_, body) => (Some(body), want),
                At::Url => (None, want),
            };
            // A NUL in the URL is refused before routing and authentication: in the path as
            // a path naming nothing (404), in the query as a malformed query (400).
            let want = match path.split_once('?') {
                _ if !path.contains("%00") => want,
                Some((_, query)) if query.contains("%00") => Want::BadRequest,
                _ => Want::NotFound,
            };
            let label = format!(
                "{inj:?} in {}",
                body.as_ref().map_or(path.clone(), Value::to_string)
            );
            let mut r = Req::owner(&fx, method, &path, body);
            if path.starts_with("/api/users") && !path.starts_with("/api/users/me") {
                r.token = Some(fx.app.admin.clone());
            }
            run.case(label, r, want).await;
        }
        // Signing up and logging in are unauthenticated; a login never says more than
        // `401` about the credentials it got (documented), even for an impossible email.
        let nul = inj.contains('\0');
        let mut r = Req::owner(
            &fx,
            post.clone(),
            "/api/auth/signup",
            Some(json!({"email": inj, "password": PASSWORD})),
        );
        r.token = None;
        run.case(format!("{inj:?} as signup email"), r, invalid("email"))
            .await;
        let mut r = Req::owner(
            &fx,
            post.clone(),
            "/api/auth/login",
            Some(json!({"email": inj, "password": PASSWORD})),
        );
        r.token = None;
        let want = if nul {
            invalid("email")
        } else {
            Want::Status(401, "unauthenticated")
        };
        run.case(format!("{inj:?} as login email"), r, want).await;
    }
    run.finish("injection strings in identifiers");
}
