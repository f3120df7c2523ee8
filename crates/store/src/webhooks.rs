//! Redeploy webhooks. The token is shown once when made or rotated; only its SHA-256 is kept,
//! and a call is matched by that hash, so looking one up costs the same whether it exists.

use sqlx::Row;

use crate::tokens::token_hash;
use crate::{new_id, now_millis, Result, Store};

/// Every hook token starts so, which lets secret scanners recognise a leaked one.
const TOKEN_PREFIX: &str = "flthook_";

/// What a hook redeploys: a stack's newest version, or one service (`service` non-empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    pub swarm_id: String,
    pub stack: String,
    /// Empty for the whole stack.
    pub service: String,
    pub created_by: String,
    pub created_at: i64,
    pub last_called_at: Option<i64>,
}

const COLUMNS: &str = "id, swarm_id, stack, service, created_by, created_at, last_called_at";

fn webhook_from(row: &sqlx::any::AnyRow) -> Result<Webhook> {
    Ok(Webhook {
        id: row.try_get("id")?,
        swarm_id: row.try_get("swarm_id")?,
        stack: row.try_get("stack")?,
        service: row.try_get("service")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        last_called_at: row.try_get("last_called_at")?,
    })
}

fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}{}", new_id(), new_id())
}

impl Store {
    /// Makes a hook for `service` of `stack` (empty: the stack) and returns it with its token,
    /// which is not kept anywhere.
    pub async fn create_webhook(
        &self,
        swarm_id: &str,
        (stack, service): (&str, &str),
        created_by: &str,
    ) -> Result<(Webhook, String)> {
        let token = new_token();
        let hook = Webhook {
            id: new_id(),
            swarm_id: swarm_id.to_owned(),
            stack: stack.to_owned(),
            service: service.to_owned(),
            created_by: created_by.to_owned(),
            created_at: now_millis(),
            last_called_at: None,
        };
        sqlx::query(
            "INSERT INTO webhooks (id, swarm_id, stack, service, token_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&hook.id)
        .bind(&hook.swarm_id)
        .bind(&hook.stack)
        .bind(&hook.service)
        .bind(token_hash(&token))
        .bind(&hook.created_by)
        .bind(hook.created_at)
        .execute(self.pool())
        .await?;
        Ok((hook, token))
    }

    /// The hooks of `stack` (every service's and the stack's own), oldest first.
    pub async fn webhooks(&self, swarm_id: &str, stack: &str) -> Result<Vec<Webhook>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webhooks WHERE swarm_id = $1 AND stack = $2 \
             ORDER BY created_at, id"
        ))
        .bind(swarm_id)
        .bind(stack)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(webhook_from).collect()
    }

    /// The hooks of one service, oldest first.
    pub async fn service_webhooks(&self, swarm_id: &str, service: &str) -> Result<Vec<Webhook>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webhooks WHERE swarm_id = $1 AND service = $2 \
             ORDER BY created_at, id"
        ))
        .bind(swarm_id)
        .bind(service)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(webhook_from).collect()
    }

    /// How many hooks a swarm has, to bound them.
    pub async fn webhook_count(&self, swarm_id: &str) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM webhooks WHERE swarm_id = $1")
            .bind(swarm_id)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("n")?)
    }

    pub async fn webhook(&self, id: &str) -> Result<Option<Webhook>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(webhook_from).transpose()
    }

    /// Gives hook `id` a new token and returns it; the one before stops working.
    pub async fn rotate_webhook(&self, id: &str) -> Result<Option<String>> {
        let token = new_token();
        let done = sqlx::query("UPDATE webhooks SET token_hash = $1 WHERE id = $2")
            .bind(token_hash(&token))
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok((done.rows_affected() > 0).then_some(token))
    }

    /// Removes hook `id`; whether there was one.
    pub async fn revoke_webhook(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The hook whose token is `token`, marked as called now.
    pub async fn call_webhook(&self, token: &str) -> Result<Option<Webhook>> {
        let hash = token_hash(token);
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM webhooks WHERE token_hash = $1"
        ))
        .bind(&hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(hook) = row.as_ref().map(webhook_from).transpose()? else {
            return Ok(None);
        };
        sqlx::query("UPDATE webhooks SET last_called_at = $1 WHERE id = $2")
            .bind(now_millis())
            .bind(&hook.id)
            .execute(self.pool())
            .await?;
        Ok(Some(hook))
    }
}
