//! Login sessions kept in the database, so they survive a restart and are shared by every
//! console replica on PostgreSQL. The database holds only a hash of each session ID: a copy
//! of the sessions table does not let anyone in.

use std::sync::Arc;

use axum::Router;
use flotilla_store::Store;
use sha2::{Digest, Sha256};
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion};
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};
use tower_sessions_sqlx_store::sqlx::{PgPool, SqlitePool};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// A session ends after this long without a request.
const IDLE_EXPIRY: tower_sessions::cookie::time::Duration =
    tower_sessions::cookie::time::Duration::hours(8);

/// The ID the database knows a session by: a hash of the one in the cookie.
fn stored_id(id: &Id) -> Id {
    let digest = Sha256::digest(id.0.to_le_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Id(i128::from_le_bytes(bytes))
}

/// A session store that keeps records under [`stored_id`] of their ID.
#[derive(Debug, Clone)]
pub struct HashedIds<S>(pub S);

fn stored(record: &Record) -> Record {
    Record {
        id: stored_id(&record.id),
        ..record.clone()
    }
}

#[async_trait::async_trait]
impl<S: SessionStore + Clone> SessionStore for HashedIds<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // 128 random bits do not collide in practice; a collision would be an overwrite of
        // a record that could not be read back by its own cookie anyway.
        self.0.save(&stored(record)).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.0.save(&stored(record)).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self
            .0
            .load(&stored_id(id))
            .await?
            .map(|record| Record { id: *id, ..record }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.0.delete(&stored_id(id)).await
    }
}

#[async_trait::async_trait]
impl<S: ExpiredDeletion + Clone> ExpiredDeletion for HashedIds<S> {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.0.delete_expired().await
    }
}

fn layer<S: SessionStore + ExpiredDeletion + Clone>(
    router: Router,
    store: S,
    secure: bool,
) -> Router {
    let store = HashedIds(store);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_never_sees_the_cookie_id() {
        let id = Id(0x1234_5678_9abc_def0_1122_3344_5566_7788);
        assert_ne!(stored_id(&id), id);
        assert_eq!(
            stored_id(&id),
            stored_id(&id),
            "the same cookie finds its record"
        );
        assert_ne!(
            stored_id(&stored_id(&id)),
            stored_id(&id),
            "a stored ID is no cookie"
        );
    }
}
