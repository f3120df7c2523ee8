//! Login sessions kept in the database, so they survive a restart and are shared by every
//! console replica on PostgreSQL.

use std::sync::Arc;

use axum::Router;
use flotilla_store::Store;
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};
use tower_sessions_sqlx_store::sqlx::{PgPool, SqlitePool};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// A session ends after this long without a request.
const IDLE_EXPIRY: tower_sessions::cookie::time::Duration =
    tower_sessions::cookie::time::Duration::hours(8);

fn layer<S: SessionStore + ExpiredDeletion + Clone>(
    router: Router,
    store: S,
    secure: bool,
) -> Router {
    tokio::spawn(
        store
            .clone()
            .continuously_delete_expired(tokio::time::Duration::from_secs(600)),
    );
    router.layer(
        SessionManagerLayer::new(store)
            .with_name("flotilla_session")
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(secure)
            .with_expiry(Expiry::OnInactivity(IDLE_EXPIRY)),
    )
}

/// Wraps `router` in a session layer backed by the same database as `store`.
pub async fn with_sessions(
    router: Router,
    store: &Arc<Store>,
    url: &str,
    secure: bool,
) -> Result<Router, String> {
    let context = |err: tower_sessions_sqlx_store::sqlx::Error| format!("session store: {err}");
    Ok(match store.backend() {
        flotilla_store::Backend::Sqlite => {
            let sessions = SqliteStore::new(SqlitePool::connect(url).await.map_err(context)?);
            sessions.migrate().await.map_err(context)?;
            layer(router, sessions, secure)
        }
        flotilla_store::Backend::Postgres => {
            let sessions = PostgresStore::new(PgPool::connect(url).await.map_err(context)?);
            sessions.migrate().await.map_err(context)?;
            layer(router, sessions, secure)
        }
    })
}
