//! Locks held across every console sharing the database, for what two consoles must not do
//! at once (deploying one stack). On SQLite there is one console per database file, and its
//! own in-process locks suffice.

use sha2::{Digest, Sha256};

use crate::{Backend, Result, Store};

/// Held until dropped. On PostgreSQL it is a transaction-scoped advisory lock: dropping the
/// transaction (or losing the connection, as when the console dies) releases it.
#[must_use = "the lock is released when this is dropped"]
pub struct SharedLock {
    _transaction: Option<sqlx::Transaction<'static, sqlx::Any>>,
}

/// The advisory lock key for `name`: the first 8 bytes of its SHA-256.
fn lock_key(name: &str) -> i64 {
    let digest = Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

impl Store {
    /// Waits for the lock named `name` among all consoles sharing the database.
    pub async fn shared_lock(&self, name: &str) -> Result<SharedLock> {
        if self.backend() == Backend::Sqlite {
            return Ok(SharedLock { _transaction: None });
        }
        let mut transaction = self.pool().begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(lock_key(name))
            .execute(&mut *transaction)
            .await?;
        Ok(SharedLock {
            _transaction: Some(transaction),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lock_keys_differ_by_name_and_stay_the_same() {
        assert_eq!(super::lock_key("a/web"), super::lock_key("a/web"));
        assert_ne!(super::lock_key("a/web"), super::lock_key("a/api"));
    }
}
