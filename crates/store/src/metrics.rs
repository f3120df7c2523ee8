//! Resource samples of tasks, services and nodes, with downsampling and retention: raw
//! samples for hours, minute averages for days, hour averages for months. Every function
//! that depends on the time takes it as an argument, so tests control the clock.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Result, Store};

/// What a subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Task,
    Service,
    Node,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Task => "task",
            Self::Service => "service",
            Self::Node => "node",
        }
    }
}

/// A task, service or node whose samples are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub swarm_id: String,
    pub kind: SubjectKind,
    pub name: String,
    /// A task's service and node.
    pub service: String,
    pub node: String,
    pub memory_limit: i64,
}

impl Subject {
    /// The subject's number: the first 62 bits of a hash of swarm, kind and name, the same on
    /// every console and both databases.
    pub fn id(&self) -> i64 {
        subject_id(&self.swarm_id, self.kind, &self.name)
    }
}

pub fn subject_id(swarm_id: &str, kind: SubjectKind, name: &str) -> i64 {
    let hash = Sha256::digest(format!("{swarm_id}\0{}\0{name}", kind.as_str()).as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    (u64::from_be_bytes(first) >> 2) as i64
}

/// One sample, or one average.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sample {
    pub subject: i64,
    /// Unix seconds (a bucket's start for averages).
    pub at: i64,
    /// Hundredths of a percent of one core; `None` until a rate is known.
    pub cpu: Option<i64>,
    /// Bytes.
    pub memory: i64,
    /// Bytes per second.
    pub net_rx: Option<i64>,
    pub net_tx: Option<i64>,
    pub block_read: Option<i64>,
    pub block_write: Option<i64>,
}

/// How long each resolution is kept, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub raw: i64,
    pub minutes: i64,
    pub hours: i64,
}

impl Default for Retention {
    /// Raw 6 h, minute averages 7 days, hour averages 90 days.
    fn default() -> Self {
        Self {
            raw: 6 * 3600,
            minutes: 7 * 24 * 3600,
            hours: 90 * 24 * 3600,
        }
    }
}

/// Samples a single insert carries; SQLite allows 32,766 bound values.
const ROWS_PER_INSERT: usize = 500;

const SAMPLE_COLUMNS: &str = "subject, at, cpu, memory, net_rx, net_tx, block_read, block_write";

/// Samples, kept small: integers take 1 to 6 bytes in SQLite, and there the rows live in the
/// key's own b-tree (`WITHOUT ROWID`), not beside an index that repeats the key. Resolution 0
/// is a raw sample, 60 and 3600 are averages over the minute or hour starting at `at` (Unix
/// seconds). CPU is in hundredths of a percent of one core (NULL until two readings give a
/// rate), rates in bytes per second. Made here, after the migrations, because the best
/// shape differs between the databases.
pub(crate) async fn create_samples_table(
    pool: &sqlx::AnyPool,
    backend: crate::Backend,
) -> Result<()> {
    let layout = match backend {
        crate::Backend::Sqlite => " WITHOUT ROWID",
        crate::Backend::Postgres => "",
    };
    sqlx::query(&format!(
        "CREATE TABLE IF NOT EXISTS metric_samples (\
            subject BIGINT NOT NULL, resolution INTEGER NOT NULL, at BIGINT NOT NULL, \
            cpu BIGINT, memory BIGINT NOT NULL, net_rx BIGINT, net_tx BIGINT, \
            block_read BIGINT, block_write BIGINT, \
            PRIMARY KEY (subject, resolution, at)){layout}"
    ))
    .execute(pool)
    .await?;
    Ok(())
}

impl Store {
    /// Records that these subjects exist now (their service, node and memory limit).
    pub async fn save_metric_subjects(&self, subjects: &[Subject], now: i64) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        for subject in subjects {
            sqlx::query(
                "INSERT INTO metric_subjects (id, swarm_id, kind, name, service, node, memory_limit, last_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (id) DO UPDATE SET service = $5, node = $6, memory_limit = $7, last_at = $8",
            )
            .bind(subject.id())
            .bind(&subject.swarm_id)
            .bind(subject.kind.as_str())
            .bind(&subject.name)
            .bind(&subject.service)
            .bind(&subject.node)
            .bind(subject.memory_limit)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds raw samples; a sample already there (same subject and second) is kept.
    pub async fn add_metric_samples(&self, samples: &[Sample]) -> Result<()> {
        self.add_metric_samples_at(0, samples).await
    }

    /// Adds samples of `resolution` (0, 60 or 3600): raw ones, or averages made elsewhere
    /// (an import of another console's history).
    pub async fn add_metric_samples_at(&self, resolution: i64, samples: &[Sample]) -> Result<()> {
        for chunk in samples.chunks(ROWS_PER_INSERT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 8;
                    format!(
                        "(${}, {resolution}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO metric_samples (subject, resolution, at, cpu, memory, net_rx, net_tx, block_read, block_write) \
                 VALUES {} ON CONFLICT DO NOTHING",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for s in chunk {
                query = query
                    .bind(s.subject)
                    .bind(s.at)
                    .bind(s.cpu)
                    .bind(s.memory)
                    .bind(s.net_rx)
                    .bind(s.net_tx)
                    .bind(s.block_read)
                    .bind(s.block_write);
            }
            query.execute(self.pool()).await?;
        }
        Ok(())
    }

    /// Averages every whole minute of raw samples and every whole hour of minute averages
    /// up to `now` that is not averaged yet, then drops what is older than `retention`.
    pub async fn downsample_metrics(&self, now: i64, retention: &Retention) -> Result<()> {
        for (from, to) in [(0, 60), (60, 3600)] {
            let done: Option<i64> =
                sqlx::query("SELECT MAX(at) AS at FROM metric_samples WHERE resolution = $1")
                    .bind(to)
                    .fetch_one(self.pool())
                    .await?
                    .try_get("at")?;
            let start = done.map_or(0, |at| at + to);
            let end = now / to * to;
            sqlx::query(&format!(
                "INSERT INTO metric_samples (subject, resolution, {rest}) \
                 SELECT subject, $1, (at / $1) * $1, \
                 CAST(AVG(cpu) AS BIGINT), CAST(AVG(memory) AS BIGINT), \
                 CAST(AVG(net_rx) AS BIGINT), CAST(AVG(net_tx) AS BIGINT), \
                 CAST(AVG(block_read) AS BIGINT), CAST(AVG(block_write) AS BIGINT) \
                 FROM metric_samples WHERE resolution = $2 AND at >= $3 AND at < $4 \
                 GROUP BY subject, (at / $1) * $1 \
                 ON CONFLICT DO NOTHING",
                rest = "at, cpu, memory, net_rx, net_tx, block_read, block_write"
            ))
            .bind(to)
            .bind(from)
            .bind(start)
            .bind(end)
            .execute(self.pool())
            .await?;
        }
        for (resolution, kept) in [
            (0, retention.raw),
            (60, retention.minutes),
            (3600, retention.hours),
        ] {
            sqlx::query("DELETE FROM metric_samples WHERE resolution = $1 AND at < $2")
                .bind(resolution)
                .bind(now - kept)
                .execute(self.pool())
                .await?;
        }
        sqlx::query(
            "DELETE FROM metric_subjects WHERE last_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM metric_samples WHERE subject = metric_subjects.id)",
        )
        .bind(now - retention.hours)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The samples of `subjects` at `resolution` (0, 60 or 3600) from `from` to `to`
    /// (Unix seconds), oldest first.
    pub async fn metric_samples(
        &self,
        subjects: &[i64],
        resolution: i64,
        (from, to): (i64, i64),
    ) -> Result<Vec<Sample>> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = subjects.iter().map(i64::to_string).collect();
        let rows = sqlx::query(&format!(
            "SELECT {SAMPLE_COLUMNS} FROM metric_samples \
             WHERE resolution = $1 AND at >= $2 AND at <= $3 AND subject IN ({}) \
             ORDER BY at, subject",
            list.join(", ")
        ))
        .bind(resolution)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Sample {
                    subject: row.try_get("subject")?,
                    at: row.try_get("at")?,
                    cpu: row.try_get("cpu")?,
                    memory: row.try_get("memory")?,
                    net_rx: row.try_get("net_rx")?,
                    net_tx: row.try_get("net_tx")?,
                    block_read: row.try_get("block_read")?,
                    block_write: row.try_get("block_write")?,
                })
            })
            .collect()
    }

    /// The subjects of a swarm of one kind, optionally of one service; newest first.
    pub async fn metric_subjects(
        &self,
        swarm_id: &str,
        kind: SubjectKind,
        service: Option<&str>,
    ) -> Result<Vec<(i64, Subject)>> {
        let rows = sqlx::query(
            "SELECT id, swarm_id, name, service, node, memory_limit FROM metric_subjects \
             WHERE swarm_id = $1 AND kind = $2 AND ($3 = '' OR service = $3) \
             ORDER BY last_at DESC, name",
        )
        .bind(swarm_id)
        .bind(kind.as_str())
        .bind(service.unwrap_or_default())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("id")?,
                    Subject {
                        swarm_id: row.try_get("swarm_id")?,
                        kind,
                        name: row.try_get("name")?,
                        service: row.try_get("service")?,
                        node: row.try_get("node")?,
                        memory_limit: row.try_get("memory_limit")?,
                    },
                ))
            })
            .collect()
    }

    /// The database's size on disk in bytes (SQLite only; `None` on PostgreSQL).
    pub async fn sqlite_bytes(&self) -> Result<Option<i64>> {
        if self.backend() != crate::Backend::Sqlite {
            return Ok(None);
        }
        let pages: i64 = sqlx::query("PRAGMA page_count")
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        let size: i64 = sqlx::query("PRAGMA page_size")
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        Ok(Some(pages * size))
    }
}
