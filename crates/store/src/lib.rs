//! Flotilla's persistence. SQLite (a file under the data directory) by default, PostgreSQL
//! when the URL says `postgres://`; the same embedded migrations and the same queries run on
//! both, through sqlx's `Any` driver.

mod audit;
mod error;
mod hosts;
mod stacks;
mod tokens;
mod users;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::AnyPool;

pub use audit::{AuditEvent, AuditFilter, AuditOutcome, NewAuditEvent};
pub use error::StoreError;
pub use hosts::{Host, NewHost, SwarmRecord, TlsMaterial};
pub use stacks::{NewStackVersion, StackVersion};
pub use tokens::ApiToken;
pub use users::{check_name, check_password, Role, User, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};

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
            return Err(StoreError::BadUrl(url.to_owned()));
        };
        let url = match backend {
            // Create the file on first start; WAL lets readers work while a write is on.
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_owned(),
        };
        let options: AnyConnectOptions = url.parse().map_err(StoreError::connect)?;
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
        Ok(Self { pool, backend })
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
