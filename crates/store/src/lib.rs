//! Flotilla's persistence. SQLite (a file under the data directory) by default, PostgreSQL
//! when the URL says `postgres://`; the same embedded migrations and the same queries run on
//! both, through sqlx's `Any` driver.

mod attempts;
mod audit;
mod consoles;
mod error;
mod hosts;
mod locks;
mod logins;
mod metrics;
mod registries;
mod sealing;
mod stacks;
mod tokens;
mod users;
mod webhooks;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};

pub use attempts::StackAttempt;
pub use audit::{AuditEvent, AuditFilter, AuditOutcome, NewAuditEvent};
pub use consoles::{HEARTBEAT, STALE_AFTER};
pub use error::StoreError;
pub use hosts::{Host, NewHost, SwarmRecord, TlsMaterial};
pub use locks::SharedLock;
pub use metrics::{subject_id, Retention, Sample, Subject, SubjectKind};
pub use registries::{PushRedeploy, Registry};
pub use sealing::SecretKey;
pub use stacks::{NewStackVersion, StackVersion};
pub use tokens::ApiToken;
pub use users::{check_name, check_password, Role, User, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
pub use webhooks::Webhook;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Seals secrets at rest, when the store was given a key.
    sealer: Option<sealing::Sealer>,
    /// Names this process among the consoles sharing the database (audit rows carry it).
    console_id: std::sync::Arc<str>,
}

impl Store {
    /// Opens (creating it on first start) and migrates the database at `url`:
    /// `sqlite://PATH` or `postgres://…`.
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            // Only the scheme: the rest may hold a password.
            let scheme = url.split(':').next().unwrap_or_default();
            return Err(StoreError::BadUrl(scheme.chars().take(20).collect()));
        };
        let url = match backend {
            // Create the file on first start; WAL lets readers work while a write is on.
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_owned(),
        };
        let options: AnyConnectOptions = url.parse().map_err(StoreError::connect)?;
        // One connection first: a server that refuses says why, where the pool would only
        // say that it timed out.
        use sqlx::Connection;
        let first = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            sqlx::AnyConnection::connect_with(&options),
        )
        .await
        .map_err(|_| StoreError::Connect("no answer within 10 s".into()))?
        .map_err(StoreError::connect)?;
        let _ = first.close().await;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .connect_with(options)
            .await
            .map_err(StoreError::connect)?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        MIGRATOR.run(&pool).await?;
        metrics::create_samples_table(&pool, backend).await?;
        Ok(Self {
            pool,
            backend,
            sealer: None,
            console_id: new_id().into(),
        })
    }

    /// The default store: `flotilla.db` in the data directory.
    pub async fn open_in(data_dir: &Path) -> Result<Self> {
        Self::open(&format!(
            "sqlite://{}",
            data_dir.join("flotilla.db").display()
        ))
        .await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The store sealing TLS keys and stack variables and files with `key` from now on.
    pub fn sealed_with(mut self, key: &SecretKey) -> Self {
        self.sealer = Some(sealing::Sealer::new(key));
        self
    }

    /// `plain` as it is stored: sealed when the store has a key.
    pub(crate) fn seal(&self, plain: &str) -> Result<String> {
        match &self.sealer {
            Some(sealer) => sealer.seal(plain),
            None => Ok(plain.to_owned()),
        }
    }

    /// What a stored value holds.
    pub(crate) fn unseal(&self, stored: String) -> Result<String> {
        match &self.sealer {
            Some(sealer) => sealer.open(&stored),
            None if sealing::Sealer::is_sealed(&stored) => Err(StoreError::Sealing(
                "a sealed value needs the console's secret key".into(),
            )),
            None => Ok(stored),
        }
    }

    /// Seals the values written before the store had a key; returns how many.
    pub async fn seal_plaintext(&self) -> Result<usize> {
        if self.sealer.is_none() {
            return Ok(0);
        }
        let mut sealed = 0;
        let keys = sqlx::query("SELECT id, tls_key FROM hosts WHERE tls_key IS NOT NULL")
            .fetch_all(self.pool())
            .await?;
        for row in keys {
            let (id, key): (String, String) = (row.try_get("id")?, row.try_get("tls_key")?);
            if !sealing::Sealer::is_sealed(&key) {
                sqlx::query("UPDATE hosts SET tls_key = $1 WHERE id = $2")
                    .bind(self.seal(&key)?)
                    .bind(&id)
                    .execute(self.pool())
                    .await?;
                sealed += 1;
            }
        }
        let versions = sqlx::query("SELECT id, env, files FROM stack_versions")
            .fetch_all(self.pool())
            .await?;
        for row in versions {
            let (id, env, files): (String, String, String) = (
                row.try_get("id")?,
                row.try_get("env")?,
                row.try_get("files")?,
            );
            if !sealing::Sealer::is_sealed(&env) || !sealing::Sealer::is_sealed(&files) {
                sqlx::query("UPDATE stack_versions SET env = $1, files = $2 WHERE id = $3")
                    .bind(self.seal(&self.unseal(env)?)?)
                    .bind(self.seal(&self.unseal(files)?)?)
                    .bind(&id)
                    .execute(self.pool())
                    .await?;
                sealed += 1;
            }
        }
        Ok(sealed)
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// Unix milliseconds now: the one timestamp format both backends store alike.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A random 128-bit identifier in hex.
pub(crate) fn new_id() -> String {
    use rand_core::RngCore;
    let mut bytes = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random code a person can type: 80 bits in four groups of four base-32 letters and
/// digits (`K7QD-M2XA-…`), without the look-alikes 0/O and 1/I.
pub fn random_code() -> String {
    use rand_core::RngCore;
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut bytes);
    let letters: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect();
    letters
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}
