//! The OpenAPI document (`services/notifier/openapi.json`, served at `/openapi.json`) names
//! every route the notifier serves: `scripts/fuzz-api` fuzzes the notifier from it, so a route
//! missing from it would go unfuzzed as well as undocumented.

use std::collections::BTreeSet;

use serde_json::Value;

#[test]
fn the_document_names_every_route_the_notifier_serves_and_no_other() {
    let doc: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("operations")
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    // Where the routes are registered: `.service(get("/path", handler))`, or `post`.
    let startup = include_str!("../src/startup.rs");
    let served: BTreeSet<(String, String)> = ["get", "post"]
        .iter()
        .flat_map(|method| {
            let opening = format!(".service({method}(\"");
            startup
                .match_indices(&opening)
                .map(|(at, _)| {
                    let path = &startup[at + opening.len()..];
                    (
                        method.to_string(),
                        path[..path.find('"').expect("a closing quote")].to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        })
        // Prometheus's text, and the document itself.
        .filter(|(_, path)| !["/metrics", "/openapi.json"].contains(&path.as_str()))
        .collect();
    assert!(served.len() >= 5, "routes found in startup.rs: {served:?}");
    assert_eq!(documented, served);
    // Every operation has an id, and its answers name their content, so the fuzzer can hold
    // them to it.
    for (method, path) in &documented {
        let op = &doc["paths"][path][method];
        assert!(op["operationId"].is_string(), "{method} {path}");
        for (status, response) in op["responses"].as_object().unwrap() {
            assert!(response["content"].is_object(), "{method} {path} {status}");
        }
    }
}
