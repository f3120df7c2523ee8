//! Who is asking, and may they. The server's guard (server/src/guard.rs) authenticates every
//! request, enforces [`crate::access::ENDPOINTS`] and leaves a [`ssr::Principal`] in it. A
//! server function reaches the fleet and the store only through [`ssr::authorize`], which
//! holds it to its own entry in that table — also when it runs inside a page being rendered
//! on the server, where no request for it passes the guard.

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::future::Future;
    use std::net::IpAddr;
    use std::sync::Arc;

    use axum::Extension;
    use flotilla_fleet::Fleet;
    use flotilla_store::{NewAuditEvent, Role, Store};
    use leptos::prelude::*;
    use leptos::server_fn::ServerFn;

    use crate::access::{self, Access};
    use crate::error::{AppError, ErrorCode};

    /// Session key holding the logged-in user's name.
    pub const SESSION_USER: &str = "user";
    /// Session key holding the user's session epoch at login (a new password ends it).
    pub const SESSION_EPOCH: &str = "epoch";
    /// Session key holding when the user logged in (unix milliseconds).
    pub const SESSION_STARTED: &str = "started";
    /// A session ends this long after its login, however active it stays.
    pub const SESSION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

    /// The code the first-admin setup asks for: only someone who can read the server's log
    /// (or set its configuration) can claim a console before its first admin exists.
    #[derive(Clone)]
    pub struct SetupCode(String);

    impl SetupCode {
        pub fn new(code: String) -> Self {
            Self(code)
        }

        /// Compared in time that does not depend on where the first wrong character is.
        pub fn matches(&self, given: &str) -> bool {
            let (want, given) = (self.0.as_bytes(), given.trim().as_bytes());
            want.len() == given.len()
                && want
                    .iter()
                    .zip(given)
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        }
    }

    impl std::fmt::Debug for SetupCode {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("SetupCode(..)")
        }
    }

    /// Sessions ended by logging out, told to the streams that belong to them (a live view
    /// ends with its session, not when its engine reading next fails).
    #[derive(Debug, Clone)]
    pub struct SessionEnds(tokio::sync::broadcast::Sender<String>);

    impl Default for SessionEnds {
        fn default() -> Self {
            Self(tokio::sync::broadcast::Sender::new(64))
        }
    }

    impl SessionEnds {
        pub fn ended(&self, session_id: String) {
            // Nobody listening is fine: no stream of that session is open.
            let _ = self.0.send(session_id);
        }

        pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<String> {
            self.0.subscribe()
        }
    }

    pub fn session_ends() -> Result<SessionEnds, AppError> {
        context("the session-end notices")
    }

    pub fn setup_code() -> Result<Arc<SetupCode>, AppError> {
        context("a setup code")
    }

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

    /// The address a request came from, as the guard determined it: the peer, or behind a
    /// trusted proxy the address the proxy says it forwarded for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ClientAddr(pub IpAddr);

    pub async fn client_ip() -> Option<IpAddr> {
        leptos_axum::extract::<Extension<ClientAddr>>()
            .await
            .ok()
            .map(|Extension(ClientAddr(ip))| ip)
    }

    pub async fn client_addr() -> String {
        client_ip()
            .await
            .map_or_else(|| "unknown".into(), |ip| ip.to_string())
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

    /// The login limiter the server provides to the login function.
    pub fn login_limiter() -> Result<Arc<crate::login_limiter::LoginLimiter>, AppError> {
        context("a login limiter")
    }
}
