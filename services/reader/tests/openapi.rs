//! The OpenAPI document (`services/reader/openapi.json`, served at `/openapi.json`) names every
//! route the reader serves: `scripts/fuzz-api` fuzzes the reader from it, so a route missing
//! from it would go unfuzzed as well as undocumented.

use std::collections::BTreeSet;

use serde_json::Value;

#[test]
fn the_document_names_every_route_the_reader_serves_and_no_other() {
    let doc: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let documented: BTreeSet<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    // Where the routes are registered: `.service(get("/path", handler))`.
    let startup = include_str!("../src/startup.rs");
    let served: BTreeSet<&str> = startup
        .match_indices(".service(get(\"")
        .map(|(at, opening)| {
            let path = &startup[at + opening.len()..];
            &path[..path.find('"').expect("a closing quote")]
        })
        // Prometheus's text, and the document itself.
        .filter(|path| !["/metrics", "/openapi.json"].contains(path))
        .collect();
    assert!(served.len() > 10, "routes found in startup.rs: {served:?}");
    assert_eq!(documented, served);
    // Every operation's answers name their content, so the fuzzer can hold them to it.
    for (path, item) in doc["paths"].as_object().unwrap() {
        let get = &item["get"];
        assert!(get["operationId"].is_string(), "{path}");
        for (status, response) in get["responses"].as_object().unwrap() {
            if status != "304" {
                assert!(response["content"].is_object(), "{path} {status}");
            }
        }
    }
}
