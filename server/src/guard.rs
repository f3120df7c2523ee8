//! The gate every request passes: refuse requests for another host (DNS rebinding), bodies
//! over the limit and cross-site writes; note the client's address; authenticate (session
//! cookie or bearer token); then hold every `/api/…` request to its entry in the access table
//! ([`app::access::ENDPOINTS`]) — a path the table does not list is refused. Pages need a
//! logged-in user; anonymous callers reach only the login and setup pages, static assets and
//! /healthz.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use app::access::{self, Access, Lookup};
use app::auth::ssr::{
    ClientAddr, Principal, SESSION_EPOCH, SESSION_LIFETIME, SESSION_STARTED, SESSION_USER,
};
use app::error::{AppError, ErrorCode};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use flotilla_store::{Role, Store};
use tower_sessions::Session;

use crate::client_addr::TrustedProxies;
use crate::origins::PublicOrigins;

/// The guard's state: the store, and whether setup is done — remembered once true (users
/// are never all removed), so the hot path stops counting users after the first admin.
pub struct Gate {
    store: Arc<Store>,
    setup_done: AtomicBool,
    origins: PublicOrigins,
    proxies: TrustedProxies,
}

/// The largest request body accepted; a stack file with its attached files fits many times.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The largest body anyone may send without logging in (a login or setup form).
pub const ANONYMOUS_BODY_BYTES: usize = 16 * 1024;

/// The body limit of a request: small where no login is needed, so strangers cannot make the
/// console hold megabytes.
fn body_limit(method: &Method, path: &str) -> usize {
    if path.starts_with(crate::hooks::PREFIX) {
        return crate::hooks::MAX_BODY_BYTES;
    }
    match access::lookup(method, path) {
        Lookup::Listed(entry) if matches!(entry.access, Access::Anyone | Access::BeforeSetup) => {
            ANONYMOUS_BODY_BYTES
        }
        _ => MAX_BODY_BYTES,
    }
}

impl Gate {
    pub fn new(store: Arc<Store>, origins: PublicOrigins, proxies: TrustedProxies) -> Self {
        Self {
            store,
            setup_done: AtomicBool::new(false),
            origins,
            proxies,
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
    matches!(
        path,
        "/healthz" | "/readyz" | "/login" | "/setup" | "/favicon.svg"
    ) || path.starts_with("/pkg/")
}

/// A state-changing request made with cookies must come from our own pages: its Origin —
/// scheme, host and port — must be one of the console's (or, without an Origin, its
/// Sec-Fetch-Site must say so). SameSite=Lax cookies are the second line.
fn same_origin(origins: &PublicOrigins, headers: &HeaderMap) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin.to_str().is_ok_and(|o| origins.allows_origin(o));
    }
    matches!(
        headers.get("sec-fetch-site").and_then(|s| s.to_str().ok()),
        Some("same-origin") | Some("none")
    )
}

/// The host a request names: its Host header, or the authority of an absolute URI.
fn requested_host(request: &Request) -> Option<&str> {
    match request.headers().get(header::HOST) {
        Some(host) => host.to_str().ok(),
        None => request.uri().authority().map(|a| a.as_str()),
    }
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

pub(crate) async fn authenticate(
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
    let epoch: Option<i64> = session.get(SESSION_EPOCH).await.map_err(|e| internal(&e))?;
    let started: Option<i64> = session
        .get(SESSION_STARTED)
        .await
        .map_err(|e| internal(&e))?;
    // Looked up on every request so a removed or disabled user, a changed role or a new
    // password takes effect at once.
    let user = store.find_user(&name).await.map_err(|e| internal(&e))?;
    let age = started.map(|at| flotilla_store::now_millis().saturating_sub(at));
    let valid = |user: &flotilla_store::User| {
        !user.is_disabled()
            && Some(user.session_epoch) == epoch
            && age.is_some_and(|age| age < SESSION_LIFETIME.as_millis() as i64)
    };
    match user {
        Some(user) if valid(&user) => Ok(Some(Principal {
            name: user.name,
            role: user.role,
        })),
        _ => {
            session.flush().await.map_err(|e| internal(&e))?;
            Ok(None)
        }
    }
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
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    // The probes answer whoever asks by whatever name (orchestrators probe by address).
    if !matches!(path.as_str(), "/healthz" | "/readyz")
        && !requested_host(&request).is_some_and(|h| gate.origins.allows_host(h))
    {
        return refuse(
            &path,
            AppError::new(
                ErrorCode::Forbidden,
                format!("this console answers only at {}", gate.origins),
            ),
        );
    }
    let limit = body_limit(&method, &path);
    if declared_length(request.headers()).is_some_and(|n| n > limit) {
        return refuse(
            &path,
            AppError::new(
                ErrorCode::PayloadTooLarge,
                format!("this request's body may be at most {} KiB", limit >> 10),
            ),
        );
    }
    let client = gate.proxies.client(peer.ip(), request.headers());
    request.extensions_mut().insert(ClientAddr(client));
    // A hook's caller is a registry: no session, no origin, the token in the path is its
    // credential, and the hook checks it.
    if path.starts_with(crate::hooks::PREFIX) {
        return next.run(request).await;
    }
    let safe = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = request.headers();
    if !safe && bearer(headers).is_none() && !same_origin(&gate.origins, headers) {
        return refuse(
            &path,
            AppError::new(ErrorCode::Forbidden, "cross-site request refused"),
        );
    }
    let principal = match authenticate(&gate.store, &session, headers).await {
        Ok(principal) => principal,
        Err(error) => return refuse(&path, error),
    };
    // /metrics is for a token of its own scope (or an admin); that scope reads nothing else.
    if path == "/metrics" {
        return match &principal {
            Some(p) if matches!(p.role, Role::Metrics | Role::Admin) => next.run(request).await,
            Some(_) => refuse(
                &path,
                AppError::new(
                    ErrorCode::Forbidden,
                    "/metrics needs a token of the metrics scope or an admin",
                ),
            ),
            None => refuse(
                &path,
                AppError::new(
                    ErrorCode::Unauthorized,
                    "/metrics needs a bearer token of the metrics scope",
                ),
            ),
        };
    }
    if principal.as_ref().is_some_and(|p| p.role == Role::Metrics) {
        return refuse(
            &path,
            AppError::new(
                ErrorCode::Forbidden,
                "a metrics token reads /metrics and nothing else",
            ),
        );
    }
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
    let asset = path.starts_with("/pkg/") || matches!(path, "/healthz" | "/readyz");
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
        let origins =
            PublicOrigins::new(&[], "127.0.0.1:3000".parse().expect("addr")).expect("origins");
        let allowed = |pairs| same_origin(&origins, &headers(pairs));
        assert!(allowed(&[("origin", "http://127.0.0.1:3000")]));
        assert!(!allowed(&[("origin", "http://evil.example")]));
        assert!(
            !allowed(&[("origin", "https://127.0.0.1:3000")]),
            "the scheme counts"
        );
        assert!(
            !allowed(&[
                ("host", "evil.example:3000"),
                ("origin", "http://evil.example:3000")
            ]),
            "a rebound name matching its own Host is still not ours"
        );
        assert!(!allowed(&[("origin", "null")]));
        assert!(allowed(&[("sec-fetch-site", "same-origin")]));
        assert!(!allowed(&[("sec-fetch-site", "cross-site")]));
        assert!(!allowed(&[("host", "h")]));
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
