//! Whole-application tests: the OpenAPI document and the routes it documents.

#[test]
fn openapi_serializes() {
    let json = crate::openapi().to_pretty_json().unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(value["openapi"].as_str().unwrap().starts_with("3."));
    assert!(value["paths"]["/api/organizations/{org}"].is_object());
}
