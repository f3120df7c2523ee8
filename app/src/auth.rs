//! Who is asking, and may they. The server's guard (server/src/guard.rs) authenticates every
//! request and leaves a [`ssr::Principal`] in it; server functions call [`ssr::require`]
//! with the role their action needs, so hiding a button is never the only protection.

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::collections::HashMap;
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use axum::extract::ConnectInfo;
    use axum::http::StatusCode;
    use axum::Extension;
    use flotilla_store::{NewAuditEvent, Role, Store};
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    /// Session key holding the logged-in user's name.
    pub const SESSION_USER: &str = "user";

    /// An authenticated caller: a user with a session, or an API token.
    #[derive(Debug, Clone)]
    pub struct Principal {
        pub name: String,
        pub role: Role,
    }

    fn fail(status: StatusCode, message: String) -> ServerFnError {
        if let Some(response) = use_context::<ResponseOptions>() {
            response.set_status(status);
        }
        ServerFnError::new(message)
    }

    pub fn store() -> Result<Arc<Store>, ServerFnError> {
        use_context::<Arc<Store>>()
            .ok_or_else(|| ServerFnError::new("the server was started without a store"))
    }

    /// The caller, as the guard authenticated them; 401 when nobody is logged in.
    pub async fn principal() -> Result<Principal, ServerFnError> {
        match leptos_axum::extract::<Extension<Principal>>().await {
            Ok(Extension(principal)) => Ok(principal),
            Err(_) => Err(fail(StatusCode::UNAUTHORIZED, "log in first".into())),
        }
    }

    /// The caller if their role includes `needed`; 403 otherwise.
    pub async fn require(needed: Role) -> Result<Principal, ServerFnError> {
        let principal = principal().await?;
        if principal.role.allows(needed) {
            Ok(principal)
        } else {
            Err(fail(
                StatusCode::FORBIDDEN,
                format!(
                    "forbidden: {} is a {}; this needs {needed}",
                    principal.name, principal.role
                ),
            ))
        }
    }

    pub async fn client_addr() -> String {
        leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|_| "unknown".into())
    }

    /// Runs a mutating action with its audit row written first (outcome pending) and
    /// finished afterwards, so even a crash mid-action leaves a trace.
    pub async fn audited<T, F>(
        principal: &Principal,
        action: &str,
        target: &str,
        request: serde_json::Value,
        run: F,
    ) -> Result<T, ServerFnError>
    where
        F: std::future::Future<Output = Result<T, String>>,
    {
        audited_with(principal, action, target, request, run, ServerFnError::new).await
    }

    /// Like [`audited`], turning the action's own error into the caller's with `refused`.
    async fn audited_with<T, E, F>(
        principal: &Principal,
        action: &str,
        target: &str,
        request: serde_json::Value,
        run: F,
        refused: impl FnOnce(E) -> ServerFnError,
    ) -> Result<T, ServerFnError>
    where
        E: std::fmt::Display,
        F: std::future::Future<Output = Result<T, E>>,
    {
        let event = NewAuditEvent {
            actor: principal.name.clone(),
            client_addr: client_addr().await,
            action: action.to_owned(),
            target: target.to_owned(),
            request: request.to_string(),
        };
        store()?
            .audited(&event, run)
            .await
            .map_err(|err| {
                fail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("audit log: {err}"),
                )
            })?
            .map_err(refused)
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

        /// Err with a message when either the account or the address has failed too often.
        pub fn check(&self, account: &str, client: &str) -> Result<(), ServerFnError> {
            let mut failures = self
                .failures
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = Instant::now();
            for (key, limit) in Self::keys(account, client) {
                let recent = failures.entry(key).or_default();
                recent.retain(|at| now.duration_since(*at) < WINDOW);
                if recent.len() >= limit {
                    return Err(fail(
                        StatusCode::TOO_MANY_REQUESTS,
                        "too many failed logins for this account or address; try again in 15 minutes".into(),
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

    pub fn fleet() -> Result<Arc<flotilla_fleet::Fleet>, ServerFnError> {
        use_context::<Arc<flotilla_fleet::Fleet>>()
            .ok_or_else(|| ServerFnError::new("the server was started without a fleet"))
    }

    /// A fleet refusal as the page shows it, with the HTTP status it stands for.
    pub fn fleet_error(err: flotilla_fleet::FleetError) -> ServerFnError {
        let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_GATEWAY);
        fail(status, err.to_string())
    }

    /// Like [`audited`], for fleet actions: their refusals keep their status code.
    pub async fn audited_fleet<T, F>(
        principal: &Principal,
        action: &str,
        target: &str,
        request: serde_json::Value,
        run: F,
    ) -> Result<T, ServerFnError>
    where
        F: std::future::Future<Output = Result<T, flotilla_fleet::FleetError>>,
    {
        audited_with(principal, action, target, request, run, fleet_error).await
    }

    /// 400-style error for a bad form field, naming it.
    pub fn bad_input(message: String) -> ServerFnError {
        fail(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn forbidden(message: String) -> ServerFnError {
        fail(StatusCode::FORBIDDEN, message)
    }
}
