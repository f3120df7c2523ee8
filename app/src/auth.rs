//! Who is asking, and may they. The server's guard (server/src/guard.rs) authenticates every
//! request, enforces [`crate::access::ENDPOINTS`] and leaves a [`ssr::Principal`] in it. A
//! server function reaches the fleet and the store only through [`ssr::authorize`], which
//! holds it to its own entry in that table — also when it runs inside a page being rendered
//! on the server, where no request for it passes the guard.

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::collections::HashMap;
    use std::future::Future;
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use axum::extract::ConnectInfo;
    use axum::Extension;
    use flotilla_fleet::Fleet;
    use flotilla_store::{NewAuditEvent, Role, Store};
    use leptos::prelude::*;
    use leptos::server_fn::ServerFn;

    use crate::access::{self, Access};
    use crate::error::{AppError, ErrorCode};

    /// Session key holding the logged-in user's name.
    pub const SESSION_USER: &str = "user";

    /// An authenticated caller: a user with a session, or an API token.
    #[derive(Debug, Clone)]
    pub struct Principal {
        pub name: String,
        pub role: Role,
    }

    fn context<T: Clone + Send + Sync + 'static>(what: &str) -> Result<T, AppError> {
        use_context::<T>()
            .ok_or_else(|| AppError::internal(format!("the server was started without {what}")))
    }

    async fn principal() -> Option<Principal> {
        leptos_axum::extract::<Extension<Principal>>()
            .await
            .ok()
            .map(|Extension(principal)| principal)
    }

    pub async fn client_addr() -> String {
        leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|_| "unknown".into())
    }

    /// The caller of a server function, admitted by the access table: the only way a server
    /// function reaches the fleet and the store.
    pub struct Caller {
        pub principal: Principal,
        pub fleet: Arc<Fleet>,
        pub store: Arc<Store>,
    }

    /// Admits the caller of server function `F` by `F`'s entry in the access table. A server
    /// function without an entry admits nobody.
    pub async fn authorize<F: ServerFn>() -> Result<Caller, AppError> {
        let entry = access::of_server_fn::<F>().ok_or_else(|| {
            AppError::new(
                ErrorCode::Forbidden,
                format!("{} is in no access table entry", F::PATH),
            )
        })?;
        let principal = principal().await;
        let caller = principal.as_ref().map(|p| (p.name.as_str(), p.role));
        access::admit(entry.access, caller, true)?;
        let principal = principal.ok_or_else(|| {
            AppError::new(
                ErrorCode::Unauthorized,
                "log in first or send a bearer token",
            )
        })?;
        Ok(Caller {
            principal,
            fleet: context("a fleet")?,
            store: context("a store")?,
        })
    }

    /// The store, for the server functions anyone may call (logging in, first setup); `F`'s
    /// table entry must say so.
    pub async fn unauthenticated<F: ServerFn>() -> Result<Arc<Store>, AppError> {
        match access::of_server_fn::<F>().map(|e| e.access) {
            Some(Access::Anyone | Access::BeforeSetup) => context("a store"),
            _ => Err(AppError::new(
                ErrorCode::Forbidden,
                format!("{} is not open to anonymous callers", F::PATH),
            )),
        }
    }

    impl Caller {
        /// Runs a mutating action with its audit row written first (outcome pending) and
        /// finished afterwards, so even a crash mid-action leaves a trace.
        pub async fn audited<T, E, F>(
            &self,
            action: &str,
            target: &str,
            request: serde_json::Value,
            run: F,
        ) -> Result<T, AppError>
        where
            E: std::fmt::Display + Into<AppError>,
            F: Future<Output = Result<T, E>>,
        {
            audited(&self.store, &self.principal, action, target, request, run).await
        }
    }

    /// [`Caller::audited`] for callers that are not yet one (the first admin, at setup).
    pub async fn audited<T, E, F>(
        store: &Store,
        principal: &Principal,
        action: &str,
        target: &str,
        request: serde_json::Value,
        run: F,
    ) -> Result<T, AppError>
    where
        E: std::fmt::Display + Into<AppError>,
        F: Future<Output = Result<T, E>>,
    {
        let event = NewAuditEvent {
            actor: principal.name.clone(),
            client_addr: client_addr().await,
            action: action.to_owned(),
            target: target.to_owned(),
            request: request.to_string(),
        };
        store
            .audited(&event, run)
            .await
            .map_err(|err| AppError::internal(format!("audit log: {err}")))?
            .map_err(Into::into)
    }

    /// Failed logins counted per account and per client address over a sliding window.
    #[derive(Debug, Default)]
    pub struct LoginLimiter {
        failures: Mutex<HashMap<String, Vec<Instant>>>,
    }

    const WINDOW: Duration = Duration::from_secs(15 * 60);
    const PER_ACCOUNT: usize = 5;
    const PER_CLIENT: usize = 20;

    impl LoginLimiter {
        fn keys(account: &str, client: &str) -> [(String, usize); 2] {
            [
                (format!("account:{account}"), PER_ACCOUNT),
                (format!("client:{client}"), PER_CLIENT),
            ]
        }

        /// Err when either the account or the address has failed too often.
        pub fn check(&self, account: &str, client: &str) -> Result<(), AppError> {
            let mut failures = self
                .failures
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = Instant::now();
            for (key, limit) in Self::keys(account, client) {
                let recent = failures.entry(key).or_default();
                recent.retain(|at| now.duration_since(*at) < WINDOW);
                if recent.len() >= limit {
                    return Err(AppError::new(
                        ErrorCode::TooManyRequests,
                        "too many failed logins for this account or address; try again in 15 minutes",
                    ));
                }
            }
            Ok(())
        }

        pub fn failed(&self, account: &str, client: &str) {
            let mut failures = self
                .failures
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for (key, _) in Self::keys(account, client) {
                failures.entry(key).or_default().push(Instant::now());
            }
        }

        pub fn succeeded(&self, account: &str) {
            let mut failures = self
                .failures
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            failures.remove(&format!("account:{account}"));
        }
    }

    /// The login limiter the server provides to the login function.
    pub fn login_limiter() -> Result<Arc<LoginLimiter>, AppError> {
        context("a login limiter")
    }
}
