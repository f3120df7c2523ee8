//! The gate every request passes: refuse cross-site writes, authenticate (session cookie or
//! bearer token), then hold every `/api/…` request to its entry in the access table
//! ([`app::access::ENDPOINTS`]) — a path the table does not list is refused. Pages need a
//! logged-in user; anonymous callers reach only the login and setup pages, static assets and
//! /healthz.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use app::access::{self, Access, Lookup};
use app::auth::ssr::{Principal, SESSION_USER};
use app::error::{AppError, ErrorCode};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
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

/// Pages and files anyone may reach. Setup is further limited to while no user exists.
fn is_public_page(path: &str) -> bool {
    matches!(path, "/healthz" | "/login" | "/setup" | "/favicon.svg") || path.starts_with("/pkg/")
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
) -> Result<Option<Principal>, AppError> {
    let internal = |err: &dyn std::fmt::Display| AppError::internal(err.to_string());
    if let Some(token) = bearer(headers) {
        let token = store.find_token(token).await.map_err(|e| internal(&e))?;
        return match token {
            Some(token) => Ok(Some(Principal {
                name: format!("token:{}", token.name),
                role: token.role,
            })),
            None => Err(AppError::new(
                ErrorCode::Unauthorized,
                "invalid or revoked token",
            )),
        };
    }
    let name: Option<String> = session.get(SESSION_USER).await.map_err(|e| internal(&e))?;
    let Some(name) = name else { return Ok(None) };
    // Looked up on every request so a removed user or a changed role takes effect at once.
    let user = store.find_user(&name).await.map_err(|e| internal(&e))?;
    Ok(user.map(|user| Principal {
        name: user.name,
        role: user.role,
    }))
}

/// A refusal in the shape its caller reads: the API's JSON envelope under /api/v1, an
/// [`AppError`] (what server functions answer) elsewhere under /api, text for pages.
fn refuse(path: &str, error: AppError) -> Response {
    if path == crate::api::PREFIX || path.starts_with(&format!("{}/", crate::api::PREFIX)) {
        return crate::api::ApiError(error).into_response();
    }
    let status = StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::FORBIDDEN);
    if path.starts_with("/api/") {
        (status, Json(error)).into_response()
    } else {
        (status, error.message).into_response()
    }
}

pub async fn guard(
    State(gate): State<Arc<Gate>>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let safe = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = request.headers();
    if !safe && bearer(headers).is_none() && !same_origin(headers) {
        return refuse(
            &path,
            AppError::new(ErrorCode::Forbidden, "cross-site request refused"),
        );
    }
    let principal = match authenticate(&gate.store, &session, headers).await {
        Ok(principal) => principal,
        Err(error) => return refuse(&path, error),
    };
    let setup_done = match gate.setup_done().await {
        Ok(done) => done,
        Err(err) => return refuse(&path, AppError::internal(err.to_string())),
    };
    if path.starts_with("/api/") {
        if let Err(error) = admit_api(&method, &path, principal.as_ref(), setup_done) {
            return refuse(&path, error);
        }
    } else if let Some(redirect) = page_redirect(&path, principal.is_some(), setup_done) {
        return Redirect::to(redirect).into_response();
    }
    if let Some(principal) = principal {
        request.extensions_mut().insert(principal);
    }
    next.run(request).await
}

/// Holds an `/api/…` request to its entry in the access table.
fn admit_api(
    method: &Method,
    path: &str,
    principal: Option<&Principal>,
    setup_done: bool,
) -> Result<(), AppError> {
    let entry = match access::lookup(method, path) {
        Lookup::Listed(entry) => entry,
        Lookup::OtherMethod => {
            return Err(AppError::new(
                ErrorCode::Invalid,
                format!("{path} does not take {method}"),
            ))
        }
        Lookup::Unlisted => return Err(AppError::new(ErrorCode::NotFound, "no such endpoint")),
    };
    if !setup_done && matches!(entry.access, Access::Role(_)) {
        return Err(AppError::new(
            ErrorCode::Unauthorized,
            "no users yet: create the first admin at /setup",
        ));
    }
    let caller = principal.map(|p| (p.name.as_str(), p.role));
    access::admit(entry.access, caller, setup_done)
}

/// Where a page request goes instead, if anywhere: setup before the first admin exists, the
/// login page without a session, and away from setup once it is done.
fn page_redirect(path: &str, logged_in: bool, setup_done: bool) -> Option<&'static str> {
    let asset = path.starts_with("/pkg/") || path == "/healthz";
    match (setup_done, path) {
        (false, "/setup") => None,
        (false, _) if asset => None,
        (false, _) => Some("/setup"),
        (true, "/setup") => Some("/login"),
        (true, _) if logged_in || is_public_page(path) => None,
        (true, _) => Some("/login"),
    }
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
        assert_eq!(page_redirect("/pkg/flotilla.wasm", false, true), None);
        assert_eq!(page_redirect("/login", false, true), None);
        assert_eq!(page_redirect("/", false, true), Some("/login"));
        assert_eq!(page_redirect("/", false, false), Some("/setup"));
        assert_eq!(page_redirect("/setup", true, true), Some("/login"));
    }

    #[test]
    fn api_paths_the_table_does_not_list_are_refused() {
        let admin = Principal {
            name: "ada".into(),
            role: flotilla_store::Role::Admin,
        };
        let unlisted = admit_api(&Method::POST, "/api/secret/backdoor", Some(&admin), true);
        assert_eq!(unlisted.map_err(|e| e.code), Err(ErrorCode::NotFound));
        let viewer = Principal {
            name: "vera".into(),
            role: flotilla_store::Role::Viewer,
        };
        let refused = admit_api(&Method::POST, "/api/hosts/add", Some(&viewer), true);
        assert_eq!(refused.map_err(|e| e.code), Err(ErrorCode::Forbidden));
        assert!(admit_api(&Method::POST, "/api/hosts/list", Some(&viewer), true).is_ok());
    }
}
