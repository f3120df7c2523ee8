use std::fmt;
use std::str::FromStr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{new_id, now_millis, Result, Store, StoreError};

/// What a user may do: admin (users, hosts, swarms, tokens) ⊃ operator (deploy, scale,
/// redeploy, logs) ⊃ viewer (read only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Only `/metrics` (Prometheus scrapes): a token scope, below every user's role, given
    /// to no user.
    Metrics,
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Metrics => "metrics",
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    /// True when this role includes everything `needed` may do.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl FromStr for Role {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "metrics" => Ok(Self::Metrics),
            "viewer" => Ok(Self::Viewer),
            "operator" => Ok(Self::Operator),
            "admin" => Ok(Self::Admin),
            other => Err(StoreError::BadRole(other.to_owned())),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Shorter passwords are refused, in the setup page and in `flotilla user` alike.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Checks a user or token name (`what` says which, for the message).
pub fn check_name(what: &str, name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} `{name}`: use 1 to 64 letters, digits, '.', '_', '-' or '@'"
        ))
    }
}

pub fn check_password(password: &str) -> std::result::Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!("password: at least {MIN_PASSWORD_LEN} characters"));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(format!("password: at most {MAX_PASSWORD_LEN} bytes"));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
    /// Sessions begun in an earlier epoch are over (the password changed since).
    pub session_epoch: i64,
}

/// Passwords longer than this are refused before any hashing.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Verified against when the user does not exist, so an unknown name takes as long as a
/// wrong password (argon2id of "not a password", default parameters).
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$qPmTI6Nz3m1Vk8/5nUW0ksQVhvG7DLSh8wv9v1BFWKE";

/// Hashes on a blocking thread: argon2 is tens of milliseconds of CPU by design.
async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|err| StoreError::Hash(err.to_string()))
    })
    .await
    .map_err(|err| StoreError::Hash(err.to_string()))?
}

/// Whether `password` matches `stored`, on a blocking thread.
async fn password_matches(password: &str, stored: String) -> Result<bool> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let hash = PasswordHash::new(&stored).map_err(|err| StoreError::Hash(err.to_string()))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok())
    })
    .await
    .map_err(|err| StoreError::Hash(err.to_string()))?
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: row.try_get::<String, _>("role")?.parse()?,
        created_at: row.try_get("created_at")?,
        session_epoch: row.try_get("session_epoch")?,
    })
}

impl Store {
    pub async fn count_users(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Adds a user with an argon2 hash of `password`.
    pub async fn add_user(&self, name: &str, password: &str, role: Role) -> Result<User> {
        self.insert_user(name, password, role, false).await
    }

    /// Adds the first admin, atomically refusing when any user exists (two setup forms
    /// submitted at once make one admin, not two).
    pub async fn add_first_admin(&self, name: &str, password: &str) -> Result<User> {
        self.insert_user(name, password, Role::Admin, true).await
    }

    async fn insert_user(
        &self,
        name: &str,
        password: &str,
        role: Role,
        only_if_none: bool,
    ) -> Result<User> {
        if role == Role::Metrics {
            return Err(StoreError::Invalid(
                "metrics is a scope for tokens that read /metrics, not a user's role".into(),
            ));
        }
        let user = User {
            id: new_id(),
            name: name.to_owned(),
            role,
            created_at: now_millis(),
            session_epoch: 0,
        };
        let hash = hash_password(password).await?;
        let sql = if only_if_none {
            "INSERT INTO users (id, name, password_hash, role, created_at) \
             SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM users)"
        } else {
            "INSERT INTO users (id, name, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)"
        };
        let mut tx = self.pool().begin().await?;
        if only_if_none && self.backend() == crate::Backend::Postgres {
            // Two setups at once on PostgreSQL would each see no user under READ COMMITTED;
            // the lock makes the second wait and then see the first one's admin.
            sqlx::query("SELECT pg_advisory_xact_lock(7274013)")
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query(sql)
            .bind(&user.id)
            .bind(&user.name)
            .bind(&hash)
            .bind(role.as_str())
            .bind(user.created_at)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::on_conflict(StoreError::UserExists(
                name.to_owned(),
            )))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::SetupDone);
        }
        tx.commit().await?;
        Ok(user)
    }

    pub async fn find_user(&self, name: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT id, name, role, created_at, session_epoch FROM users WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The user, when `password` is theirs. Unknown names and wrong passwords look alike,
    /// in what they answer and in how long they take.
    pub async fn verify_password(&self, name: &str, password: &str) -> Result<Option<User>> {
        if password.len() > MAX_PASSWORD_LEN {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT id, name, role, created_at, session_epoch, password_hash FROM users WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        let stored = match &row {
            Some(row) => row.try_get("password_hash")?,
            None => DUMMY_HASH.to_owned(),
        };
        let matches = password_matches(password, stored).await?;
        match row {
            Some(row) if matches => Ok(Some(user_from_row(&row)?)),
            _ => Ok(None),
        }
    }

    /// Sets a new password and ends every session the user has.
    pub async fn set_password(&self, name: &str, password: &str) -> Result<()> {
        let hash = hash_password(password).await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, session_epoch = session_epoch + 1 WHERE name = $2",
        )
            .bind(&hash)
            .bind(name)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchUser(name.to_owned()));
        }
        Ok(())
    }
}
