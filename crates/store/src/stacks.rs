//! Stack versions: what was deployed, by whom, when.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{new_id, now_millis, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackVersion {
    pub swarm_id: String,
    pub stack: String,
    pub version: i64,
    pub compose: String,
    /// JSON object of variables.
    pub env: String,
    /// JSON object of attached files, base64.
    pub files: String,
    pub prune: bool,
    /// `always`, `changed` or `never`, as the CLI's `--resolve-image`.
    pub resolve_image: String,
    pub deployed_by: String,
    /// Unix milliseconds.
    pub deployed_at: i64,
    /// Why this version was made, when it was not a deploy of a new file.
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct NewStackVersion<'a> {
    pub swarm_id: &'a str,
    pub stack: &'a str,
    pub compose: &'a str,
    pub env: &'a str,
    pub files: &'a str,
    pub prune: bool,
    pub resolve_image: &'a str,
    pub deployed_by: &'a str,
    pub note: &'a str,
}

const COLUMNS: &str =
    "swarm_id, stack, version, compose, env, files, prune, resolve_image, deployed_by, deployed_at, \
     note";

fn version_from(store: &Store, row: &AnyRow) -> Result<StackVersion> {
    Ok(StackVersion {
        swarm_id: row.try_get("swarm_id")?,
        stack: row.try_get("stack")?,
        version: row.try_get("version")?,
        compose: row.try_get("compose")?,
        env: store.unseal(row.try_get("env")?)?,
        files: store.unseal(row.try_get("files")?)?,
        prune: row.try_get::<i64, _>("prune")? != 0,
        resolve_image: row.try_get("resolve_image")?,
        deployed_by: row.try_get("deployed_by")?,
        deployed_at: row.try_get("deployed_at")?,
        note: row.try_get("note")?,
    })
}

impl Store {
    /// Records a deploy as the stack's next version. Two deploys racing for the same number
    /// are told apart by the unique key: the later one takes the number after.
    pub async fn add_stack_version(&self, new: &NewStackVersion<'_>) -> Result<StackVersion> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let next: i64 = sqlx::query(
                "SELECT COALESCE(MAX(version), 0) + 1 AS next FROM stack_versions \
                 WHERE swarm_id = $1 AND stack = $2",
            )
            .bind(new.swarm_id)
            .bind(new.stack)
            .fetch_one(self.pool())
            .await?
            .try_get("next")?;
            let deployed_at = now_millis();
            let inserted = sqlx::query(
                "INSERT INTO stack_versions (id, swarm_id, stack, version, compose, env, files, \
                 prune, resolve_image, deployed_by, deployed_at, note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(new_id())
            .bind(new.swarm_id)
            .bind(new.stack)
            .bind(next)
            .bind(new.compose)
            .bind(self.seal(new.env)?)
            .bind(self.seal(new.files)?)
            .bind(i64::from(new.prune))
            .bind(new.resolve_image)
            .bind(new.deployed_by)
            .bind(deployed_at)
            .bind(new.note)
            .execute(self.pool())
            .await;
            match inserted {
                Ok(_) => {
                    return Ok(StackVersion {
                        swarm_id: new.swarm_id.to_owned(),
                        stack: new.stack.to_owned(),
                        version: next,
                        compose: new.compose.to_owned(),
                        env: new.env.to_owned(),
                        files: new.files.to_owned(),
                        prune: new.prune,
                        resolve_image: new.resolve_image.to_owned(),
                        deployed_by: new.deployed_by.to_owned(),
                        deployed_at,
                        note: new.note.to_owned(),
                    })
                }
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() && attempt < 5 => {}
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// A stack's versions, newest first.
    pub async fn stack_versions(&self, swarm_id: &str, stack: &str) -> Result<Vec<StackVersion>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM stack_versions WHERE swarm_id = $1 AND stack = $2 \
             ORDER BY version DESC"
        ))
        .bind(swarm_id)
        .bind(stack)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| version_from(self, row)).collect()
    }

    /// The stack's newest version, if it has any.
    pub async fn latest_stack_version(
        &self,
        swarm_id: &str,
        stack: &str,
    ) -> Result<Option<StackVersion>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM stack_versions WHERE swarm_id = $1 AND stack = $2 \
             ORDER BY version DESC LIMIT 1"
        ))
        .bind(swarm_id)
        .bind(stack)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(|row| version_from(self, row)).transpose()
    }

    pub async fn stack_version(
        &self,
        swarm_id: &str,
        stack: &str,
        version: i64,
    ) -> Result<StackVersion> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM stack_versions \
             WHERE swarm_id = $1 AND stack = $2 AND version = $3"
        ))
        .bind(swarm_id)
        .bind(stack)
        .bind(version)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => version_from(self, &row),
            None => Err(StoreError::NoSuchStackVersion(format!(
                "{stack} version {version}"
            ))),
        }
    }
}
