//! The site's own files (`/pkg`: the WASM, its loader, the CSS), served precompressed: the
//! build writes `.br` and `.gz` beside each, and a browser that accepts them gets them as
//! they are, without the server compressing anything. Their names do not change between
//! builds, so browsers revalidate them (`Last-Modified`, 304) rather than keep stale ones.

use std::path::Path;

use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::MethodRouter;
use tower_http::services::ServeDir;

pub fn service(pkg: &Path) -> MethodRouter {
    let files = ServeDir::new(pkg).precompressed_br().precompressed_gzip();
    axum::routing::get_service(files).layer(axum::middleware::map_response(revalidated))
}

async fn revalidated(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Caches between here and the browser must keep one copy per encoding.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}
