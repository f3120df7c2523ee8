//! API tokens for automation (`Authorization: Bearer …`). The token is shown once when made;
//! only its SHA-256 is stored, so a leaked database does not leak working tokens.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{new_id, now_millis, Result, Role, Store, StoreError};

/// Every token starts so, which lets secret scanners recognise a leaked one.
const TOKEN_PREFIX: &str = "flt_";

pub(crate) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A live token's owner-facing description: never its text nor its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub name: String,
    pub role: Role,
    /// Unix milliseconds.
    pub created_at: i64,
    /// When it stops working (unix milliseconds); `None`: when revoked.
    pub expires_at: Option<i64>,
}

impl ApiToken {
    /// Whether it has stopped working at `now` (unix milliseconds).
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

fn token_from_row(row: &sqlx::any::AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        name: row.try_get("name")?,
        role: row.try_get::<String, _>("role")?.parse()?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

impl Store {
    /// Makes a token named `name` acting with `role`; returns the token text, which is not
    /// kept anywhere and cannot be shown again.
    pub async fn create_token(&self, name: &str, role: Role) -> Result<String> {
        self.create_expiring_token(name, role, None).await
    }

    /// [`create_token`](Self::create_token) for a token that stops working at `expires_at`
    /// (unix milliseconds), when given.
    pub async fn create_expiring_token(
        &self,
        name: &str,
        role: Role,
        expires_at: Option<i64>,
    ) -> Result<String> {
        let token = format!("{TOKEN_PREFIX}{}{}", new_id(), new_id());
        sqlx::query(
            "INSERT INTO api_tokens (id, name, token_hash, role, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(name)
        .bind(token_hash(&token))
        .bind(role.as_str())
        .bind(now_millis())
        .bind(expires_at)
        .execute(self.pool())
        .await
        .map_err(StoreError::on_conflict(StoreError::TokenExists(
            name.to_owned(),
        )))?;
        Ok(token)
    }

    /// Revokes the live token named `name`; the name may then be used again.
    pub async fn revoke_token(&self, name: &str) -> Result<()> {
        // The row stays (renamed) so audit rows that name the token still make sense.
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1, name = name || '#revoked-' || id \
             WHERE name = $2 AND revoked_at IS NULL",
        )
        .bind(now_millis())
        .bind(name)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchToken(name.to_owned()));
        }
        Ok(())
    }

    /// The live token whose text is `token`, if any: neither revoked nor expired.
    pub async fn find_token(&self, token: &str) -> Result<Option<ApiToken>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT name, role, created_at, expires_at FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(token_hash(token))
        .bind(now_millis())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// Every token not revoked (expired ones too, until revoked), by name.
    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT name, role, created_at, expires_at FROM api_tokens \
             WHERE revoked_at IS NULL ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(token_from_row).collect()
    }
}
