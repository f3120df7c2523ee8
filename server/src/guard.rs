//! The gate every request passes: refuse cross-site writes, then authenticate (session
//! cookie or bearer token) and hand the caller to the handlers. Anonymous callers reach only
//! the login and setup pages, static assets and /healthz.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use app::auth::ssr::{Principal, SESSION_USER};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use flotilla_store::Store;
use tower_sessions::Session;

/// The guard's state: the store, and whether setup is done — remembered once true (users
/// are never all removed), so the hot path stops counting users after the first admin.
pub struct Gate {
    store: Arc<Store>,
    setup_done: AtomicBool,
}

impl Gate {
    pub fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            setup_done: AtomicBool::new(false),
        }
    }

    async fn setup_done(&self) -> Result<bool, flotilla_store::StoreError> {
        if self.setup_done.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let done = self.store.count_users().await? > 0;
        self.setup_done.store(done, Ordering::Relaxed);
        Ok(done)
    }
}

/// Paths anyone may reach. Setup is further limited to while no user exists.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/login" | "/api/login" | "/setup" | "/api/setup" | "/favicon.svg"
    ) || path.starts_with("/pkg/")
}

fn is_setup(path: &str) -> bool {
    matches!(path, "/setup" | "/api/setup")
}

/// A state-changing request made with cookies must come from our own pages: its Origin (or,
/// failing that, Sec-Fetch-Site) must say so. SameSite=Lax cookies are the second line.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        let origin_host = origin.split_once("://").map(|(_, rest)| rest);
        return origin_host.is_some() && origin_host == host;
    }
    matches!(
        headers.get("sec-fetch-site").and_then(|s| s.to_str().ok()),
        Some("same-origin") | Some("none")
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn authenticate(
    store: &Store,
    session: &Session,
    headers: &HeaderMap,
) -> Result<Option<Principal>, Response> {
    let internal = |err: String| (StatusCode::INTERNAL_SERVER_ERROR, err).into_response();
    if let Some(token) = bearer(headers) {
        let token = store
            .find_token(token)
            .await
            .map_err(|err| internal(err.to_string()))?;
        return match token {
            Some(token) => Ok(Some(Principal {
                name: format!("token:{}", token.name),
                role: token.role,
            })),
            None => Err((StatusCode::UNAUTHORIZED, "invalid or revoked token").into_response()),
        };
    }
    let name: Option<String> = session
        .get(SESSION_USER)
        .await
        .map_err(|err| internal(err.to_string()))?;
    let Some(name) = name else { return Ok(None) };
    // Looked up on every request so a removed user or a changed role takes effect at once.
    let user = store
        .find_user(&name)
        .await
        .map_err(|err| internal(err.to_string()))?;
    Ok(user.map(|user| Principal {
        name: user.name,
        role: user.role,
    }))
}

/// A refusal: JSON `{"error": …}` under /api/v1, where automation reads it; text elsewhere.
fn refuse(path: &str, status: StatusCode, code: &'static str, message: &'static str) -> Response {
    if path.starts_with("/api/v1/") || path == "/api/v1" {
        crate::api::ApiError::new(status, code, message).into_response()
    } else {
        (status, message).into_response()
    }
}

pub async fn guard(
    State(gate): State<Arc<Gate>>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let headers = request.headers();
    if !safe && bearer(headers).is_none() && !same_origin(headers) {
        return refuse(
            &path,
            StatusCode::FORBIDDEN,
            "forbidden",
            "cross-site request refused",
        );
    }
    let principal = match authenticate(&gate.store, &session, headers).await {
        Ok(principal) => principal,
        Err(response) if response.status() == StatusCode::UNAUTHORIZED => {
            return refuse(
                &path,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "invalid or revoked token",
            )
        }
        Err(response) => return response,
    };
    let setup_done = match gate.setup_done().await {
        Ok(done) => done,
        Err(err) => return (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    };
    let wants_page = safe && !path.starts_with("/api/");
    if !setup_done && !is_setup(&path) && !path.starts_with("/pkg/") && path != "/healthz" {
        return if wants_page {
            Redirect::to("/setup").into_response()
        } else {
            refuse(
                &path,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "no users yet: create the first admin at /setup",
            )
        };
    }
    if setup_done && is_setup(&path) {
        return if wants_page {
            Redirect::to("/login").into_response()
        } else {
            (StatusCode::FORBIDDEN, "setup is done: an admin exists").into_response()
        };
    }
    match principal {
        Some(principal) => {
            request.extensions_mut().insert(principal);
        }
        None if is_public(&path) => {}
        None if wants_page => return Redirect::to("/login").into_response(),
        None => {
            return refuse(
                &path,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "log in first or send a bearer token",
            )
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn only_our_own_origin_may_write() {
        assert!(same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "null")
        ])));
        assert!(same_origin(&headers(&[
            ("host", "h"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "h"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!same_origin(&headers(&[("host", "h")])));
    }

    #[test]
    fn static_assets_and_login_are_public_but_pages_are_not() {
        assert!(is_public("/pkg/flotilla.wasm") && is_public("/login") && is_public("/healthz"));
        assert!(
            !is_public("/") && !is_public("/api/swarm/init") && !is_public("/api/swarm/overview")
        );
    }
}
