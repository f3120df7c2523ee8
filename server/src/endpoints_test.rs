//! The access table against what the server really serves: every registered server function
//! and every `/api/v1` route has an entry, and every entry names something that exists.

use app::access::ENDPOINTS;
use axum::http::Method;

fn served() -> Vec<(Method, String)> {
    let mut served: Vec<(Method, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (method, path.to_owned()))
        .collect();
    served.extend(crate::api::declared());
    served
}

#[test]
fn every_endpoint_served_has_an_access_entry() {
    // Registration normally happens as the router is built; do it as the server does.
    let _ = leptos_axum::generate_route_list(app::App);
    let served = served();
    assert!(served.len() > 30, "only {} endpoints found", served.len());
    for (method, path) in &served {
        assert!(
            ENDPOINTS
                .iter()
                .any(|e| e.method == method && e.path == path),
            "{method} {path} is served but has no entry in app::access::ENDPOINTS"
        );
    }
    for entry in ENDPOINTS {
        assert!(
            served
                .iter()
                .any(|(method, path)| method == entry.method && path == entry.path),
            "{} {} is in the access table but nothing serves it",
            entry.method,
            entry.path
        );
    }
    println!("{} endpoints, each with its access entry", served.len());
}
