//! The route table and the OpenAPI document are the same thing: every documented operation
//! is served, every served route is documented, and the served document is `openapi()`.
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use actix_web::dev::Service;
use actix_web::test::{self, TestRequest};

use super::{Mocks, app, read};

/// Routes served outside the API document: Swagger UI and the document itself.
const UNDOCUMENTED: [&str; 3] = ["/docs", "/docs/{_:.*}", crate::docs::SPEC_PATH];

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every (method, path template) of the document.
fn documented() -> Vec<(String, String)> {
    let spec = serde_json::to_value(crate::openapi()).unwrap();
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for m in METHODS {
            if item.get(m).is_some() {
                out.push((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// A concrete path for a template.
fn concrete(template: &str) -> String {
    template
        .replace("{org}", "acme")
        .replace("{user_id}", "00000000-0000-0000-0000-000000000001")
        .replace("{id}", "00000000-0000-0000-0000-000000000002")
}

#[test]
fn openapi_serializes_and_documents_errors_and_security() {
    let json = crate::openapi().to_pretty_json().unwrap();
    let spec: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(spec["components"]["schemas"]["Problem"].is_object());
    for (method, path) in documented() {
        let op = &spec["paths"][&path][method.to_lowercase()];
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path}"
        );
        let public = ["/healthz", "/readyz", "/api/auth/signup", "/api/auth/login"];
        if !public.contains(&path.as_str()) {
            assert!(responses.contains_key("401"), "{method} {path} lists 401");
            assert_eq!(
                op["security"][0]["bearer"],
                serde_json::json!([]),
                "{method} {path}"
            );
        }
        assert!(
            op["summary"].is_string() && op["description"].is_string(),
            "{method} {path}"
        );
        if ["POST", "PATCH"].contains(&method.as_str()) && op.get("requestBody").is_some() {
            for status in ["400", "413", "415", "422"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lists {status}"
                );
            }
        }
    }
}

#[actix_web::test]
async fn every_documented_operation_is_served() {
    let mut mocks = Mocks::default();
    mocks.audit.expect_ping().returning(|| Ok(()));
    let app = app!(mocks);
    let ops = documented();
    assert_eq!(ops.len(), 62, "{ops:?}");
    for (method, template) in ops {
        let req = TestRequest::default()
            .method(method.parse().unwrap())
            .uri(&concrete(&template))
            .insert_header(("content-type", "application/json"))
            .set_payload("{}")
            .to_request();
        let (status, _, body) = read(test::call_service(&app, req).await).await;
        // Without a token the protected routes answer 401, the public ones 200 or 422;
        // never "no such route".
        assert!(
            ![404, 405].contains(&status),
            "{method} {template}: {status} {body}"
        );
    }
}

#[actix_web::test]
async fn every_served_route_is_documented() {
    // actix keeps the routes in its resource map; its Debug form is the only public way to
    // enumerate them.
    let seen = Arc::new(Mutex::new(String::new()));
    let capture = seen.clone();
    let app = test::init_service(
        crate::app(Mocks::default().state(Default::default())).wrap_fn(move |req, srv| {
            *capture.lock().unwrap() = format!("{:?}", req.resource_map());
            srv.call(req)
        }),
    )
    .await;
    test::call_service(&app, TestRequest::get().uri("/healthz").to_request()).await;
    let dump = seen.lock().unwrap().clone();
    let mut served = BTreeSet::new();
    served_templates(&dump, "", &mut served);
    let mut expected: BTreeSet<String> = documented().into_iter().map(|(_, p)| p).collect();
    expected.extend(UNDOCUMENTED.map(str::to_owned));
    assert_eq!(served, expected);
    // The scopes are really there: the org-scoped routes are not each a full template.
    assert!(dump.contains("patterns: Single(\"/{org}\")"), "{dump}");
}

/// The full templates of the resources in a `ResourceMap { pattern, named, parent, nodes }`
/// Debug dump: a leaf (`nodes: None`) is a resource, a node with children a scope whose
/// pattern prefixes theirs.
fn served_templates(map: &str, prefix: &str, out: &mut BTreeSet<String>) {
    let fields = top_level(map.split_once('{').unwrap().1.rsplit_once('}').unwrap().0);
    let field = |name: &str| {
        fields
            .iter()
            .find_map(|f| f.trim().strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {map}"))
    };
    let pattern = field("pattern: ")
        .split_once("patterns: Single(\"")
        .and_then(|(_, rest)| rest.split_once("\")"))
        .map(|(p, _)| p)
        .unwrap_or_else(|| panic!("no single pattern in {map}"));
    let full = format!("{prefix}{pattern}");
    match field("nodes: ").strip_prefix("Some([") {
        Some(children) => {
            for child in top_level(children.strip_suffix("])").unwrap()) {
                served_templates(child.trim(), &full, out);
            }
        }
        None if full.is_empty() => {}
        None => {
            out.insert(full);
        }
    }
}

/// `s` split at the commas outside brackets, braces, parentheses and string literals.
fn top_level(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
    let (mut in_str, mut escaped) = (false, false);
    for (i, c) in s.char_indices() {
        match (in_str, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_str = false,
            (true, false, _) => {}
            (false, _, '"') => in_str = true,
            (false, _, '{' | '[' | '(') => depth += 1,
            (false, _, '}' | ']' | ')') => depth -= 1,
            (false, _, ',') if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

#[actix_web::test]
async fn undocumented_methods_answer_405_with_allow() {
    let app = app!(Mocks::default());
    let ops = documented();
    let mut by_path: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (m, p) in &ops {
        by_path.entry(p.clone()).or_default().push(m.clone());
    }
    // A method is served at a concrete path if any template matching the path has it
    // (`/api/organizations/members` is also `/api/organizations/{org}`).
    let served = |m: &str, path: &str| {
        ops.iter()
            .any(|(om, t)| om == m && actix_web::dev::ResourceDef::new(t.as_str()).is_match(path))
    };
    for (template, methods) in by_path {
        for m in METHODS.map(str::to_uppercase) {
            if served(&m, &concrete(&template)) {
                continue;
            }
            let req = TestRequest::default()
                .method(m.parse().unwrap())
                .uri(&concrete(&template))
                .to_request();
            let res = read(test::call_service(&app, req).await).await;
            super::assert_problem(&res, 405, "method_not_allowed");
            let allow = res.1.get("allow").unwrap().to_str().unwrap().to_owned();
            for documented in &methods {
                assert!(
                    allow.contains(documented.as_str()),
                    "{m} {template}: {allow}"
                );
            }
        }
    }
}

#[actix_web::test]
async fn the_served_document_is_openapi() {
    let app = app!(Mocks::default());
    let req = TestRequest::get().uri(crate::docs::SPEC_PATH).to_request();
    let (status, _, body) = read(test::call_service(&app, req).await).await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::to_value(crate::openapi()).unwrap());
}

/// Every property name reachable from a schema value, following `$ref`s into
/// `components.schemas` (each schema once).
fn property_names(
    spec: &serde_json::Value,
    v: &serde_json::Value,
    seen: &mut BTreeSet<String>,
    out: &mut BTreeSet<String>,
) {
    match v {
        serde_json::Value::Object(o) => {
            if let Some(r) = o.get("$ref").and_then(|r| r.as_str()) {
                let name = r.rsplit('/').next().unwrap().to_owned();
                if seen.insert(name.clone()) {
                    property_names(spec, &spec["components"]["schemas"][&name], seen, out);
                }
            }
            if let Some(props) = o.get("properties").and_then(|p| p.as_object()) {
                out.extend(props.keys().cloned());
            }
            for child in o.values() {
                property_names(spec, child, seen, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|c| property_names(spec, c, seen, out)),
        _ => {}
    }
}

#[test]
fn no_response_schema_carries_a_stored_secret() {
    let spec = serde_json::to_value(crate::openapi()).unwrap();
    let mut names = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for m in METHODS {
            if let Some(responses) = item.get(m).map(|op| &op["responses"]) {
                property_names(&spec, responses, &mut seen, &mut names);
            }
        }
    }
    // Sanity: the walk reaches nested schemas (members inside a page inside an org).
    assert!(names.contains("member_count") && names.contains("expires_at"));
    for secret in [
        "password",
        "password_hash",
        "token_hash",
        "totp_secret",
        "hash",
    ] {
        assert!(
            !names.contains(secret),
            "a response schema exposes `{secret}`"
        );
    }
    // Fresh secrets are shown exactly where they are the answer, once: a new session, a new
    // API key, a two-factor enrollment (and the invitation token is only ever sent in).
    let holders = |key: &str| -> Vec<String> {
        spec["components"]["schemas"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, s)| has_property(s, key))
            .map(|(n, _)| n.clone())
            .collect()
    };
    assert_eq!(
        holders("token"),
        ["AcceptTokenRequest", "CreatedApiKeyBody", "SessionBody"]
    );
    assert_eq!(holders("secret"), ["TwoFactorEnrollmentBody"]);
}

/// Whether a schema (not following `$ref`s) declares a property `key` anywhere inside.
fn has_property(v: &serde_json::Value, key: &str) -> bool {
    match v {
        serde_json::Value::Object(o) => {
            o.get("properties")
                .and_then(|p| p.as_object())
                .is_some_and(|p| p.contains_key(key))
                || o.values().any(|c| has_property(c, key))
        }
        serde_json::Value::Array(a) => a.iter().any(|c| has_property(c, key)),
        _ => false,
    }
}
