//! The input of the newest deploy started for each stack. A deploy that never finished
//! records no version; this is what it was deploying, so what is left can be planned.

use sqlx::Row;

use crate::{now_millis, Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackAttempt {
    pub compose: String,
    /// JSON object of variables.
    pub env: String,
    /// JSON object of attached files, base64.
    pub files: String,
    pub prune: bool,
    pub resolve_image: String,
    pub attempted_by: String,
    /// Unix milliseconds.
    pub attempted_at: i64,
}

impl Store {
    /// Keeps `attempt` as the newest deploy started for `stack`, replacing the one before.
    pub async fn record_attempt(
        &self,
        swarm_id: &str,
        stack: &str,
        attempt: &StackAttempt,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO stack_attempts (swarm_id, stack, compose, env, files, prune, resolve_image, \
             attempted_by, attempted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (swarm_id, stack) DO UPDATE SET compose = $3, env = $4, files = $5, \
             prune = $6, resolve_image = $7, attempted_by = $8, attempted_at = $9",
        )
        .bind(swarm_id)
        .bind(stack)
        .bind(&attempt.compose)
        .bind(self.seal(&attempt.env)?)
        .bind(self.seal(&attempt.files)?)
        .bind(i64::from(attempt.prune))
        .bind(&attempt.resolve_image)
        .bind(&attempt.attempted_by)
        .bind(now_millis())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The newest deploy started for `stack`, if any.
    pub async fn stack_attempt(&self, swarm_id: &str, stack: &str) -> Result<Option<StackAttempt>> {
        let row = sqlx::query(
            "SELECT compose, env, files, prune, resolve_image, attempted_by, attempted_at \
             FROM stack_attempts WHERE swarm_id = $1 AND stack = $2",
        )
        .bind(swarm_id)
        .bind(stack)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(StackAttempt {
                compose: row.try_get("compose")?,
                env: self.unseal(row.try_get("env")?)?,
                files: self.unseal(row.try_get("files")?)?,
                prune: row.try_get::<i64, _>("prune")? != 0,
                resolve_image: row.try_get("resolve_image")?,
                attempted_by: row.try_get("attempted_by")?,
                attempted_at: row.try_get("attempted_at")?,
            })
        })
        .transpose()
    }
}
