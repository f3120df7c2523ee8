//! The site's own files (`/pkg`: the WASM, its loader, the CSS), served precompressed: the
//! build writes `.br` and `.gz` beside each, and a browser that accepts them gets them as
//! they are, without the server compressing anything. A release build names each file by
//! its content (`flotilla.<hash>.wasm`), so browsers keep them for a year without asking
//! again; unhashed names (a debug build) change content in place, so browsers revalidate
//! them (`Last-Modified`, 304) rather than keep stale ones.

use std::path::Path;

use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::MethodRouter;
use tower_http::services::ServeDir;

pub fn service(pkg: &Path, hashed_names: bool) -> MethodRouter {
    let files = ServeDir::new(pkg).precompressed_br().precompressed_gzip();
    let cache_control = HeaderValue::from_static(if hashed_names {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    });
    axum::routing::get_service(files).layer(axum::middleware::map_response(
        move |mut response: Response| {
            let cache_control = cache_control.clone();
            async move {
                // A missing file may exist after an upgrade: only found ones are kept.
                let found = response.status().is_success()
                    || response.status() == axum::http::StatusCode::NOT_MODIFIED;
                let headers = response.headers_mut();
                if found {
                    headers.insert(header::CACHE_CONTROL, cache_control);
                }
                // Caches between here and the browser must keep one copy per encoding.
                headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
                response
            }
        },
    ))
}
