//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every route.
//!
//! The document is generated from the code — paths and security from the routing table,
//! the event enum from the catalog, every bound and list from the validation code — by
//! `document::build`, and committed as `openapi.json`, which the Worker serves as-is.
//! Generating it in a test rather than at run time keeps the builder out of the wasm
//! bundle and the request path; the test rewrites the file and fails when it was stale, so
//! the served copy can never drift from the code.

use super::Response;

pub const DOCUMENT: &str = include_str!("openapi.json");

pub fn document() -> Response {
    Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: DOCUMENT.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod document;
#[cfg(test)]
mod schemas;

#[cfg(test)]
mod tests {
    use super::super::router::ROUTES;
    use super::*;
    use crate::core::catalog::EVENTS;
    use serde_json::Value;
    use std::collections::BTreeSet;

    fn generated() -> String {
        serde_json::to_string_pretty(&document::build()).expect("the document serializes") + "\n"
    }

    #[test]
    fn served_document_is_the_one_generated_from_the_code() {
        let fresh = generated();
        if fresh != DOCUMENT {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/openapi/openapi.json");
            std::fs::write(path, &fresh).expect("write openapi.json");
            panic!("src/api/openapi/openapi.json was stale and has been regenerated: rebuild and commit it");
        }
    }

    #[test]
    fn every_route_is_documented_once_with_a_unique_operation_id() {
        let doc: Value = serde_json::from_str(&generated()).unwrap();
        let mut ids = BTreeSet::new();
        let mut count = 0;
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                assert!(ids.insert(op["operationId"].as_str().unwrap().to_string()), "{op}");
                count += 1;
            }
        }
        assert_eq!(count, ROUTES.len());
    }

    #[test]
    fn event_enum_is_the_catalog_in_order() {
        let doc: Value = serde_json::from_str(&generated()).unwrap();
        let names: Vec<&str> = EVENTS.iter().map(|(n, _)| *n).collect();
        assert_eq!(doc["components"]["schemas"]["EventName"]["enum"], serde_json::json!(names));
    }

    #[test]
    fn every_reference_resolves() {
        let text = generated();
        let doc: Value = serde_json::from_str(&text).unwrap();
        for (i, _) in text.match_indices("\"$ref\": \"#/") {
            let rest = &text[i + 9..];
            let pointer = &rest[1..rest[1..].find('"').unwrap() + 1];
            assert!(doc.pointer(pointer).is_some(), "dangling $ref #{pointer}");
        }
    }
}
