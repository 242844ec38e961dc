//! The committed OpenAPI document is exactly what `orgd openapi` prints.

#[test]
fn committed_openapi_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json");
    let generated = orgd::startup::openapi_json();
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed.trim_end() != generated.trim_end() {
        if std::env::var_os("ORGD_UPDATE_OPENAPI").is_some() {
            std::fs::write(path, format!("{generated}\n")).unwrap();
            return;
        }
        panic!(
            "openapi/openapi.json is stale: run `cargo run -p orgd -- openapi > openapi/openapi.json` (or ORGD_UPDATE_OPENAPI=1 cargo test)"
        );
    }
}
