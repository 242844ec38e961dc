//! Generic corruptions of every JSON request body the document lists: malformed JSON,
//! wrong media types, oversized bodies, wrong types, unknown fields, oversized strings and
//! malformed formats, each field found by walking the body's schema.
use serde_json::{Value, json};

use super::runner::{Fixture, Req, Runner, Want};
use super::spec::{Key, Op, nest, operations, path_of};

/// The operations that take a JSON body (every one of them must be corrupted).
fn body_ops() -> Vec<Op> {
    let ops: Vec<Op> = operations()
        .into_iter()
        .filter(|o| o.body.is_some())
        .collect();
    // Sanity: the walk finds the bodies (17 schemas behind 24 operations today).
    assert!(ops.len() >= 24, "only {} body operations found", ops.len());
    ops
}

/// The first property of `op`'s body, the one malformed documents mention.
fn first_property(op: &Op) -> String {
    let (name, shape) = op.body.as_ref().unwrap();
    shape
        .properties
        .first()
        .unwrap_or_else(|| panic!("{name} has no properties"))
        .0
        .clone()
}

/// Documents that are not JSON (each answered `400 bad_request`).
fn malformed(p: &str) -> Vec<(&'static str, Vec<u8>)> {
    let s = |x: String| x.into_bytes();
    let deep = 5_000;
    vec![
        ("truncated", s(format!(r#"{{"{p}": "x""#))),
        ("unterminated string", s(format!(r#"{{"{p}": "x}}"#))),
        ("lone brace", s("{".into())),
        ("closing brace only", s("}".into())),
        ("trailing garbage", s("{} garbage".into())),
        ("two documents", s("{}{}".into())),
        ("trailing comma", s(format!(r#"{{"{p}": "x",}}"#))),
        ("single quotes", s(format!("{{'{p}': 'x'}}"))),
        ("unquoted key", s(format!(r#"{{{p}: "x"}}"#))),
        ("NaN", s(format!(r#"{{"{p}": NaN}}"#))),
        ("Infinity", s(format!(r#"{{"{p}": Infinity}}"#))),
        ("-Infinity", s(format!(r#"{{"{p}": -Infinity}}"#))),
        ("leading zero", s(format!(r#"{{"{p}": 01}}"#))),
        ("hex number", s(format!(r#"{{"{p}": 0x10}}"#))),
        ("comment", s(format!(r#"{{/* note */ "{p}": "x"}}"#))),
        (
            "raw control character",
            s(format!("{{\"{p}\": \"a\u{1}b\"}}")),
        ),
        ("invalid escape", s(format!(r#"{{"{p}": "\x41"}}"#))),
        ("lone surrogate", s(format!(r#"{{"{p}": "\ud800"}}"#))),
        (
            "invalid UTF-8",
            [format!(r#"{{"{p}": ""#).as_bytes(), b"\xff\xfe", b"\"}"].concat(),
        ),
        ("byte order mark", s("\u{feff}{}".into())),
        ("empty", Vec::new()),
        ("whitespace only", s(" \n\t ".into())),
        (
            "deeply nested arrays",
            s("[".repeat(deep) + &"]".repeat(deep)),
        ),
        (
            "deeply nested field",
            s(format!(
                r#"{{"{p}": {}{}}}"#,
                "[".repeat(deep),
                "]".repeat(deep)
            )),
        ),
        (
            "deeply nested objects",
            s(r#"{"a":"#.repeat(deep) + "1" + &"}".repeat(deep)),
        ),
    ]
}

/// Media types that are not JSON; the body itself is a harmless `{}`.
const NOT_JSON: [&str; 9] = [
    "text/plain",
    "text/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/octet-stream",
    "application/jsonp",
    "application/x-ndjson",
    "*/*",
];

#[tokio::test]
async fn every_json_body_refuses_malformed_json_and_other_media_types() {
    let fx = Fixture::new(None).await;
    let mut run = Runner::new(&fx).await;
    for op in body_ops() {
        let p = first_property(&op);
        for (label, body) in malformed(&p) {
            let req = Req::raw(&fx, &op, fx.path(&op, None), body);
            run.case(label, req, Want::BadRequest).await;
        }
        // Well-formed JSON of the wrong shape is 422, naming the body or the field.
        for doc in ["[]", "[{}]", "\"text\"", "42", "true", "null"] {
            let req = Req::raw(&fx, &op, fx.path(&op, None), doc);
            run.case(
                format!("not an object: {doc}"),
                req,
                Want::Invalid("body".into()),
            )
            .await;
        }
        let dup = format!(r#"{{"{p}": "x", "{p}": "x"}}"#);
        let req = Req::raw(&fx, &op, fx.path(&op, None), dup);
        run.case("duplicate key", req, Want::Invalid(p.clone()))
            .await;
        let mut req = Req::raw(&fx, &op, fx.path(&op, None), "{}");
        req.content_type = None;
        run.case("no content type", req, Want::Unsupported).await;
        for ct in NOT_JSON {
            let mut req = Req::raw(&fx, &op, fx.path(&op, None), "{}");
            req.content_type = Some(ct.into());
            run.case(format!("content type {ct}"), req, Want::Unsupported)
                .await;
        }
    }
    run.finish("malformed JSON and media types");
}

/// A body limit small enough that oversized bodies are cheap to send.
const SMALL_LIMIT: usize = 2048;

#[tokio::test]
async fn every_json_body_refuses_bodies_over_the_limit() {
    let fx = Fixture::new(Some(SMALL_LIMIT)).await;
    let mut run = Runner::new(&fx).await;
    for op in body_ops() {
        let p = first_property(&op);
        let padded = |total: usize| {
            let overhead = format!(r#"{{"{p}": ""}}"#).len();
            format!(r#"{{"{p}": "{}"}}"#, "a".repeat(total - overhead))
        };
        for (label, body) in [
            ("one byte over", padded(SMALL_LIMIT + 1)),
            ("256 KiB", padded(256 * 1024)),
            ("malformed and over", "[".repeat(SMALL_LIMIT * 2)),
        ] {
            assert!(body.len() > SMALL_LIMIT);
            let req = Req::raw(&fx, &op, fx.path(&op, None), body);
            run.case(label, req, Want::TooLarge).await;
        }
    }
    run.finish("oversized bodies");
}

#[tokio::test]
async fn every_body_field_refuses_wrong_types_and_unknown_fields() {
    let fx = Fixture::new(None).await;
    let mut run = Runner::new(&fx).await;
    let mut fields = 0;
    for op in body_ops() {
        let (_, shape) = op.body.as_ref().unwrap();
        for field in shape.fields() {
            fields += 1;
            for wrong in field.shape.wrong_types() {
                let req = Req::over(&fx, &op, field.body(wrong.clone()));
                run.case(
                    format!("{} = {wrong}", field.path()),
                    req,
                    Want::Invalid(field.path()),
                )
                .await;
            }
            if field.shape.enum_values.is_some() {
                let req = Req::over(&fx, &op, field.body(json!("not-a-choice")));
                let label = format!("{} = not-a-choice", field.path());
                run.case(label, req, Want::Invalid(field.path())).await;
            }
        }
        let closed = shape.closed_objects();
        assert!(
            closed.contains(&Vec::new()),
            "{}: body accepts unknown fields",
            op.label()
        );
        for keys in closed {
            for unknown in ["surprise", "__proto__", "constructor", "$where", ""] {
                let mut at = keys.clone();
                at.push(Key::Name(unknown.into()));
                let req = Req::over(&fx, &op, nest(&at, json!(1)));
                run.case(
                    format!("unknown {}", path_of(&at)),
                    req,
                    Want::Invalid(path_of(&at)),
                )
                .await;
            }
        }
        // A known field with the wrong case, or padded, is an unknown field too.
        let p = first_property(&op);
        for variant in [p.to_uppercase(), format!(" {p}"), format!("{p}\u{200b}")] {
            let req = Req::over(&fx, &op, json!({ variant.as_str(): "x" }));
            run.case(
                format!("unknown {variant:?}"),
                req,
                Want::Invalid(variant.clone()),
            )
            .await;
        }
    }
    assert!(fields >= 60, "only {fields} body fields found");
    run.finish("wrong types and unknown fields");
}

/// Strings no format accepts.
fn bad_formats(format: &str) -> &'static [&'static str] {
    match format {
        "uuid" => &[
            "",
            "not-a-uuid",
            "0000",
            "00000000-0000-0000-0000-00000000000g",
            "00000000-0000-0000-0000-0000000000001",
            "'; DROP TABLE members; --",
        ],
        "date-time" => &[
            "",
            "tomorrow",
            "2030-02-30T00:00:00Z",
            "2030-01-01",
            "2030-01-01T00:00:00",
            "1700000000",
            "+275760-09-13T00:00:00Z",
        ],
        _ => &[],
    }
}

#[tokio::test]
async fn every_string_field_refuses_oversized_strings_and_bad_formats() {
    let fx = Fixture::new(None).await;
    let mut run = Runner::new(&fx).await;
    // No field takes 10 000 characters (the longest, a URL, takes 2048).
    let long = "a".repeat(10_000);
    let wide = "é".repeat(5_000);
    for op in body_ops() {
        let (_, shape) = op.body.as_ref().unwrap();
        for field in shape.fields() {
            if !field.shape.types.contains("string") {
                continue;
            }
            let path = field.path();
            for (label, v) in [
                ("10 000 characters", &long),
                ("5 000 two-byte characters", &wide),
            ] {
                let req = Req::over(&fx, &op, field.body(Value::String(v.clone())));
                run.case(format!("{path}: {label}"), req, Want::Invalid(path.clone()))
                    .await;
            }
            for bad in bad_formats(field.shape.format.as_deref().unwrap_or_default()) {
                let req = Req::over(&fx, &op, field.body(json!(bad)));
                run.case(
                    format!("{path} = {bad:?}"),
                    req,
                    Want::Invalid(path.clone()),
                )
                .await;
            }
        }
        // The default limit (1 MiB) holds too.
        let p = first_property(&op);
        let body = format!(r#"{{"{p}": "{}"}}"#, "a".repeat(1024 * 1024));
        let req = Req::raw(&fx, &op, fx.path(&op, None), body);
        run.case("over the default 1 MiB", req, Want::TooLarge)
            .await;
    }
    run.finish("oversized strings and bad formats");
}
