//! The OpenAPI document against the router: every `/api/v1` route is documented and every
//! documented operation is a route, each with its access and its refusals, and every schema
//! it names is in it.

use std::collections::BTreeSet;

use app::access::{Access, ENDPOINTS};
use serde_json::Value;

fn document() -> Value {
    serde_json::to_value(crate::api::openapi_document()).expect("the document is JSON")
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                found.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    found
}

#[test]
fn every_route_is_documented_and_every_documented_operation_is_a_route() {
    let doc = document();
    let routes: BTreeSet<(String, String)> = crate::api::declared()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path))
        .collect();
    let documented = documented(&doc);
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routes).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );
    assert!(routes.len() >= 25, "only {} routes", routes.len());
    println!("{} routes, each documented", routes.len());
}

#[test]
fn the_document_is_openapi_3_1_with_a_token_scheme_and_refusals_everywhere() {
    let doc = document();
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path} documents no success"
            );
            assert!(
                responses.contains_key("4XX"),
                "{method} {path} documents no refusal"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{method} {path} has no summary"
            );
            // Its path parameters are all declared.
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            assert_eq!(declared, in_path, "{method} {path}: path parameters");
            // Nobody anonymous: every route asks for a role.
            let entry = ENDPOINTS
                .iter()
                .find(|e| e.path == path && e.method.as_str().eq_ignore_ascii_case(method))
                .unwrap_or_else(|| panic!("{method} {path} has no access entry"));
            assert!(
                matches!(entry.access, Access::Role(_)),
                "{method} {path} is open"
            );
        }
    }
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                out.push(target);
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_schema_named_is_in_the_document() {
    let doc = document();
    let mut named = Vec::new();
    refs(&doc, &mut named);
    assert!(named.len() > 20, "only {} references", named.len());
    for target in named {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target} is not a schema reference"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{target} is named but not defined"
        );
    }
    // The deploy body is the handlers' own type, with its fields.
    let input = &doc["components"]["schemas"]["StackInput"]["properties"];
    for field in ["compose", "env", "files", "prune", "resolve_image"] {
        assert!(input.get(field).is_some(), "StackInput lacks {field}");
    }
}
