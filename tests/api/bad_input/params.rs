//! Generic corruptions of the path and query parameters of every operation: garbage in
//! each path segment, out-of-range and non-numeric pagination on each list, and values of
//! the wrong type in each typed query parameter.
use serde_json::Value;

use super::runner::{Fixture, Req, Runner, Want, enc, valid_body};
use super::spec::{Op, operations};

/// Path segments that are no id: malformed or unknown UUIDs, numbers, percent-encoded
/// separators and NULs (given already encoded).
const MALFORMED_IDS: [&str; 15] = [
    "not-a-uuid",
    "00000000-0000-0000-0000-00000000000z",
    "00000000-0000-0000-0000-000000000000",
    "0",
    "-1",
    "9223372036854775808",
    "null",
    "undefined",
    "..%2F..%2Fetc",
    "%2F",
    "%5C",
    "%20",
    "%00",
    "a%00b",
    "%FF%FE",
];

/// Injections, wildcards and confusables of the fixture's slug, and a very long segment.
fn hostile_segments() -> Vec<String> {
    let mut out: Vec<String> = [
        "'; DROP TABLE members; --",
        "\" OR 1=1 --",
        "' OR '1'='1",
        "{\"$gt\": \"\"}",
        "*",
        "%",
        "_",
        "bad-\u{0430}nput",
        "\u{ff42}ad-input",
        "bad\u{200d}-input",
        "bad-input\u{0301}",
        "\u{202e}tupni-dab",
    ]
    .map(enc)
    .to_vec();
    out.push("x".repeat(2_000));
    out
}

/// Sends every operation with each of its path parameters replaced by each segment, the
/// others naming real things and the body (if any) valid.
async fn corrupt_path_parameters(what: &str, segments: Vec<String>) {
    let fx = Fixture::new(None).await;
    let mut run = Runner::new(&fx).await;
    let mut params = 0;
    for op in operations() {
        for (name, _) in op.params("path") {
            params += 1;
            for seg in &segments {
                let path = fx.path(&op, Some((&name, seg)));
                let req = match valid_body(&op, &fx) {
                    Some(b) => Req::raw(&fx, &op, path, serde_json::to_vec(&b).unwrap()),
                    None => Req::bare(&fx, &op, path),
                };
                // Malformed ids name nothing; a NUL is refused before routing, also as 404.
                let want = Want::NotFound;
                run.case(format!("{{{name}}} = {seg}"), req, want).await;
            }
        }
    }
    assert!(params >= 40, "only {params} path parameters found");
    run.finish(what);
}

#[tokio::test]
async fn every_path_parameter_refuses_malformed_ids() {
    corrupt_path_parameters(
        "malformed ids in paths",
        MALFORMED_IDS.map(str::to_owned).to_vec(),
    )
    .await;
}

#[tokio::test]
async fn every_path_parameter_refuses_injections_and_confusables() {
    corrupt_path_parameters("hostile path segments", hostile_segments()).await;
}

/// Pagination values that are out of range or not integers.
const BAD_PAGES: [(&str, &[&str]); 6] = [
    (
        "limit",
        &[
            "0",
            "-1",
            "abc",
            "1.5",
            "1e3",
            "",
            "0x10",
            "99999999999999999999",
        ],
    ),
    ("offset", &["-1", "abc", "1.5", "", "99999999999999999999"]),
    ("page", &["0", "-1", "abc", "", "99999999999999999999"]),
    ("page_size", &["0", "-1", "abc", "99999999999999999999"]),
    ("pageSize", &["0", "-5"]),
    ("size", &["0", "x"]),
];

fn lists() -> Vec<Op> {
    let ops: Vec<Op> = operations().into_iter().filter(Op::is_list).collect();
    assert!(ops.len() >= 10, "only {} list operations found", ops.len());
    ops
}

#[tokio::test]
async fn every_list_refuses_bad_pagination() {
    let fx = Fixture::new(None).await;
    let mut run = Runner::new(&fx).await;
    for op in lists() {
        let base = fx.path(&op, None);
        for (param, values) in BAD_PAGES {
            for v in values {
                let req = Req::bare(&fx, &op, format!("{base}?{param}={}", enc(v)));
                run.case(format!("{param}={v}"), req, Want::BadRequest)
                    .await;
            }
        }
        for q in ["limit=1&limit=2", "page=1&page=x", "limit", "offset=%00"] {
            let req = Req::bare(&fx, &op, format!("{base}?{q}"));
            run.case(q, req, Want::BadRequest).await;
        }
    }
    run.finish("pagination");
}

#[tokio::test]
async fn huge_pagination_is_clamped_or_empty_never_an_error() {
    let fx = Fixture::new(None).await;
    let mut run = Runner::new(&fx).await;
    let max = i64::MAX;
    for op in lists() {
        let base = fx.path(&op, None);
        for q in [
            format!("limit={max}"),
            format!("offset={max}"),
            format!("page={max}"),
            format!("page={max}&page_size={max}"),
            format!("limit={max}&offset={max}"),
        ] {
            let req = Req::bare(&fx, &op, format!("{base}?{q}"));
            let resp = run.send(&req).await;
            let label = format!("{} {base}?{q}", op.method);
            let b = &resp.body;
            let clamped = b["limit"].as_u64().is_some_and(|l| (1..=100).contains(&l));
            let past_end = q.contains("offset") || q.contains("page");
            let items = b["items"].as_array();
            if resp.status != 200 || !clamped || items.is_none() {
                run.fail(format!("{label}: {} {b}", resp.status));
            } else if past_end && items.is_some_and(|i| !i.is_empty()) {
                run.fail(format!("{label}: items past the end: {b}"));
            }
            run.unchanged(&label).await;
        }
    }
    run.finish("huge pagination");
}

/// Values of the wrong type for a typed query parameter.
fn wrong_query_values(schema: &Value) -> &'static [&'static str] {
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("boolean"), _) => &["maybe", "2", "yes please", ""],
        (Some("string"), Some("uuid")) => &["not-a-uuid", "0000", "'; DROP TABLE members; --"],
        (Some("string"), Some("date-time")) => &["yesterday", "2030-02-30T00:00:00Z", "2030-01-01"],
        (Some("integer"), _) => &["x", "1.5"],
        _ => &[],
    }
}

#[tokio::test]
async fn typed_query_parameters_refuse_wrong_types() {
    let fx = Fixture::new(None).await;
    let mut run = Runner::new(&fx).await;
    let mut typed = 0;
    for op in operations() {
        for (name, schema) in op.params("query") {
            let values = wrong_query_values(&schema);
            if values.is_empty() || BAD_PAGES.iter().any(|(p, _)| *p == name) {
                continue;
            }
            typed += 1;
            for v in values {
                let path = format!("{}?{name}={}", fx.path(&op, None), enc(v));
                let req = match valid_body(&op, &fx) {
                    Some(b) => Req::raw(&fx, &op, path, serde_json::to_vec(&b).unwrap()),
                    None => Req::bare(&fx, &op, path),
                };
                run.case(format!("{name}={v}"), req, Want::BadRequest).await;
            }
        }
    }
    assert!(typed >= 5, "only {typed} typed query parameters found");
    run.finish("typed query parameters");
}
