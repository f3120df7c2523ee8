//! Server functions answer every error with status 500 and the error in the body. Ours carry
//! an [`AppError`] whose code says what the status is; this layer sets it, so scripts and
//! browsers see 403, 404, 422 or 429 as the code means.

use app::error::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

/// The header server_fn puts on its error responses.
const SERVER_FN_ERROR: &str = "serverfnerror";
/// An error body is a short JSON object; anything longer is left as it is.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn status_from_code(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if !response.headers().contains_key(SERVER_FN_ERROR) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_ERROR_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            parts.status = StatusCode::INTERNAL_SERVER_ERROR;
            return Response::from_parts(parts, Body::from("error body too large"));
        }
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.code.status()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
