//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every route, kept in sync with the
//! routing table by a test.

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
mod tests {
    use super::super::router::ROUTES;
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    fn documented() -> BTreeSet<(String, String)> {
        let doc: Value = serde_json::from_str(DOCUMENT).expect("openapi.json is valid JSON");
        assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true));
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "post", "patch", "put", "delete"].contains(&method.as_str()) {
                    out.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn every_route_is_documented_and_every_documented_route_exists() {
        let routed: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|(m, p, _)| {
                let path = p
                    .split('/')
                    .map(|seg| seg.strip_prefix(':').map(|n| format!("{{{n}}}")).unwrap_or(seg.to_string()))
                    .collect::<Vec<_>>()
                    .join("/");
                (m.to_string(), path)
            })
            .collect();
        let documented = documented();
        let missing: Vec<_> = routed.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&routed).collect();
        assert!(missing.is_empty(), "routes without an OpenAPI entry: {missing:?}");
        assert!(extra.is_empty(), "OpenAPI entries without a route: {extra:?}");
    }
}
