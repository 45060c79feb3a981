//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every route.
//!
//! The document is generated from the code — paths and security from the routing table,
//! the event enum from the catalog, every bound and list from the validation code — by
//! `document::build`, and committed twice: `openapi.json` pretty-printed, for people and
//! diffs, and `openapi.min.json`, the same document without whitespace, which the Worker
//! serves as-is (about a third smaller in the wasm). Generating them in a test rather than at
//! run time keeps the builder out of the wasm bundle and the request path; the test rewrites
//! the files and fails when either was stale, so the served copy can never drift from the code.

use super::Response;

pub const DOCUMENT: &str = include_str!("openapi.min.json");

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

    const PRETTY: &str = include_str!("openapi.json");

    #[test]
    fn served_document_is_the_one_generated_from_the_code() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/openapi/");
        let pretty = generated();
        let min = serde_json::to_string(&document::build()).expect("the document serializes");
        let mut stale = Vec::new();
        for (name, fresh, committed) in
            [("openapi.json", &pretty, PRETTY), ("openapi.min.json", &min, DOCUMENT)]
        {
            if fresh != committed {
                std::fs::write(format!("{dir}{name}"), fresh).expect("write the document");
                stale.push(name);
            }
        }
        assert!(stale.is_empty(), "src/api/openapi/{stale:?} stale and regenerated: rebuild and commit");
        let a: Value = serde_json::from_str(PRETTY).unwrap();
        assert_eq!(a, serde_json::from_str::<Value>(DOCUMENT).unwrap(), "one document, two layouts");
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
