//! Image registries and the credentials the nodes pull with. The password (or token) is
//! sealed at rest and leaves the console only towards an engine, as `X-Registry-Auth`.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::tokens::token_hash;
use crate::{new_id, now_millis, Result, Store, StoreError};

/// Registry events are remembered this long, far beyond any registry's retries.
const EVENTS_KEPT_MS: i64 = 7 * 24 * 3600 * 1000;

/// A service (or, with `service` empty, a whole stack) that follows its tag on a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRedeploy {
    pub swarm_id: String,
    pub stack: String,
    /// The service's name in the stack file; empty for every service of the stack.
    pub service: String,
}

/// A registry as stored, its secret unsealed.
#[derive(Clone, PartialEq, Eq)]
pub struct Registry {
    pub id: String,
    /// `host[:port]`, as image references name it.
    pub address: String,
    pub username: String,
    pub secret: String,
    /// SHA-256 of its notification token; empty when it has none.
    pub hook_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for Registry {
    // The secret is a credential: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("address", &self.address)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, address, username, secret, hook_hash, created_at, updated_at";

fn registry_from(store: &Store, row: &AnyRow) -> Result<Registry> {
    Ok(Registry {
        id: row.try_get("id")?,
        address: row.try_get("address")?,
        username: row.try_get("username")?,
        secret: store.unseal(row.try_get("secret")?)?,
        hook_hash: row.try_get("hook_hash")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Adds the registry at `address`, or gives it new credentials when it is there already
    /// (so a retried save succeeds).
    pub async fn save_registry(
        &self,
        address: &str,
        username: &str,
        secret: &str,
    ) -> Result<Registry> {
        let now = now_millis();
        let sealed = self.seal(secret)?;
        let updated = sqlx::query(
            "UPDATE registries SET username = $1, secret = $2, updated_at = $3 WHERE address = $4",
        )
        .bind(username)
        .bind(&sealed)
        .bind(now)
        .bind(address)
        .execute(self.pool())
        .await?;
        if updated.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO registries (id, address, username, secret, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(new_id())
            .bind(address)
            .bind(username)
            .bind(&sealed)
            .bind(now)
            .execute(self.pool())
            .await?;
        }
        self.find_registry(address).await
    }

    /// Every registry, by address.
    pub async fn registries(&self) -> Result<Vec<Registry>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM registries ORDER BY address"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| registry_from(self, row)).collect()
    }

    pub async fn find_registry(&self, address: &str) -> Result<Registry> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM registries WHERE address = $1"
        ))
        .bind(address)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => registry_from(self, &row),
            None => Err(StoreError::NoSuchRegistry(address.to_owned())),
        }
    }

    /// Gives the registry at `address` a new notification token and returns it; the one
    /// before stops working. Only the token's hash is kept.
    pub async fn rotate_registry_hook(&self, address: &str) -> Result<String> {
        let token = format!("flth_{}{}", new_id(), new_id());
        let done = sqlx::query("UPDATE registries SET hook_hash = $1 WHERE address = $2")
            .bind(token_hash(&token))
            .bind(address)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchRegistry(address.to_owned()));
        }
        Ok(token)
    }

    /// The registry whose notification token is `token`, if any.
    pub async fn registry_by_hook(&self, token: &str) -> Result<Option<Registry>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM registries WHERE hook_hash = $1 AND hook_hash <> ''"
        ))
        .bind(token_hash(token))
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| registry_from(self, &row)).transpose()
    }

    /// Whether the registry at `address` has a notification token.
    pub async fn registry_has_hook(&self, address: &str) -> Result<bool> {
        let row = sqlx::query("SELECT hook_hash FROM registries WHERE address = $1")
            .bind(address)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(row) => !row.try_get::<String, _>("hook_hash")?.is_empty(),
            None => false,
        })
    }

    /// Records the registry event `id`; false when it was seen before (a replay).
    pub async fn first_registry_event(&self, id: &str) -> Result<bool> {
        let now = now_millis();
        sqlx::query("DELETE FROM registry_events WHERE received_at < $1")
            .bind(now - EVENTS_KEPT_MS)
            .execute(self.pool())
            .await?;
        let inserted = sqlx::query("INSERT INTO registry_events (id, received_at) VALUES ($1, $2)")
            .bind(id)
            .bind(now)
            .execute(self.pool())
            .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    /// Turns redeploy-on-push on or off for a service of a stack (`service` empty: the
    /// whole stack). Turning on what is on, or off what is off, changes nothing.
    pub async fn set_push_redeploy(
        &self,
        entry: &PushRedeploy,
        enabled_by: &str,
        on: bool,
    ) -> Result<()> {
        sqlx::query(
            "DELETE FROM push_redeploys WHERE swarm_id = $1 AND stack = $2 AND service = $3",
        )
        .bind(&entry.swarm_id)
        .bind(&entry.stack)
        .bind(&entry.service)
        .execute(self.pool())
        .await?;
        if on {
            sqlx::query(
                "INSERT INTO push_redeploys (swarm_id, stack, service, enabled_by, enabled_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&entry.swarm_id)
            .bind(&entry.stack)
            .bind(&entry.service)
            .bind(enabled_by)
            .bind(now_millis())
            .execute(self.pool())
            .await?;
        }
        Ok(())
    }

    /// Every service and stack that redeploys on push, optionally of one swarm's stack.
    pub async fn push_redeploys(&self, of: Option<(&str, &str)>) -> Result<Vec<PushRedeploy>> {
        let rows = match of {
            Some((swarm_id, stack)) => {
                sqlx::query(
                    "SELECT swarm_id, stack, service FROM push_redeploys \
                     WHERE swarm_id = $1 AND stack = $2 ORDER BY service",
                )
                .bind(swarm_id)
                .bind(stack)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT swarm_id, stack, service FROM push_redeploys \
                     ORDER BY swarm_id, stack, service",
                )
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter()
            .map(|row| {
                Ok(PushRedeploy {
                    swarm_id: row.try_get("swarm_id")?,
                    stack: row.try_get("stack")?,
                    service: row.try_get("service")?,
                })
            })
            .collect()
    }

    pub async fn remove_registry(&self, address: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM registries WHERE address = $1")
            .bind(address)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchRegistry(address.to_owned()));
        }
        Ok(())
    }
}
