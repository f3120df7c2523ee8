use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "unsupported database URL scheme `{0}:`: use sqlite://PATH or postgres://USER@HOST/DB"
    )]
    BadUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("a user named `{0}` already exists")]
    UserExists(String),
    #[error("setup is done: an admin exists; log in instead")]
    SetupDone,
    #[error("no user named `{0}`")]
    NoSuchUser(String),
    #[error("`{0}` is the last enabled admin: make another user an admin first")]
    LastAdmin(String),
    #[error("a token named `{0}` already exists")]
    TokenExists(String),
    #[error("no live token named `{0}`")]
    NoSuchToken(String),
    #[error("`{0}` is not a role: use admin, operator or viewer (or metrics, for a token that only reads /metrics)")]
    BadRole(String),
    #[error("{0}")]
    Invalid(String),
    #[error("a host is already registered as {0}")]
    HostExists(String),
    #[error("no host named `{0}`")]
    NoSuchHost(String),
    #[error("{0}")]
    SwarmExists(String),
    #[error("no swarm named `{0}`")]
    NoSuchSwarm(String),
    #[error("no registry at `{0}`")]
    NoSuchRegistry(String),
    #[error("no stack version {0}")]
    NoSuchStackVersion(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("{0}")]
    Sealing(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    pub(crate) fn connect(err: sqlx::Error) -> Self {
        Self::Connect(err.to_string())
    }

    /// `conflict` when `err` is a unique-constraint violation (the name is taken), else `err`.
    pub(crate) fn on_conflict(conflict: Self) -> impl FnOnce(sqlx::Error) -> Self {
        move |err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => conflict,
            _ => err.into(),
        }
    }
}
