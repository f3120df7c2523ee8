//! Image registries and the credentials the nodes pull with. The password (or token) is
//! sealed at rest and leaves the console only towards an engine, as `X-Registry-Auth`.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{new_id, now_millis, Result, Store, StoreError};

/// A registry as stored, its secret unsealed.
#[derive(Clone, PartialEq, Eq)]
pub struct Registry {
    pub id: String,
    /// `host[:port]`, as image references name it.
    pub address: String,
    pub username: String,
    pub secret: String,
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

const COLUMNS: &str = "id, address, username, secret, created_at, updated_at";

fn registry_from(store: &Store, row: &AnyRow) -> Result<Registry> {
    Ok(Registry {
        id: row.try_get("id")?,
        address: row.try_get("address")?,
        username: row.try_get("username")?,
        secret: store.unseal(row.try_get("secret")?)?,
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
            sqlx::query(&format!(
                "INSERT INTO registries ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5)"
            ))
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
