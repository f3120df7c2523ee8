//! Failed logins shared between consoles on one database. Each console limits logins in
//! memory; these rows tell it what the other consoles counted, so a guesser gains nothing by
//! spreading guesses over consoles.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{now_millis, Result, Store};

fn key_hash(key: &str) -> String {
    format!("{:x}", Sha256::digest(key.as_bytes()))
}

impl Store {
    /// Notes a failed login under each of `keys`.
    pub async fn record_login_failure(&self, keys: &[String]) -> Result<()> {
        let now = now_millis();
        for key in keys {
            sqlx::query(
                "INSERT INTO login_failures (key_hash, at, console_id) VALUES ($1, $2, $3)",
            )
            .bind(key_hash(key))
            .bind(now)
            .bind(self.console_id())
            .execute(self.pool())
            .await?;
        }
        Ok(())
    }

    /// For each of `keys`, the failures other consoles noted since `since` (Unix ms).
    pub async fn login_failures_elsewhere(
        &self,
        keys: &[String],
        since: i64,
    ) -> Result<Vec<usize>> {
        let mut counts = Vec::with_capacity(keys.len());
        for key in keys {
            let count: i64 = sqlx::query(
                "SELECT COUNT(*) AS failures FROM login_failures \
                 WHERE key_hash = $1 AND at >= $2 AND console_id <> $3",
            )
            .bind(key_hash(key))
            .bind(since)
            .bind(self.console_id())
            .fetch_one(self.pool())
            .await?
            .try_get("failures")?;
            counts.push(usize::try_from(count).unwrap_or(usize::MAX));
        }
        Ok(counts)
    }

    /// Forgets the failures noted under `key` (a right password for that account).
    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE key_hash = $1")
            .bind(key_hash(key))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Drops failures older than `before` (Unix ms): they no longer count.
    pub async fn forget_login_failures(&self, before: i64) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
