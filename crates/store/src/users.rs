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
    /// When an admin disabled the user (unix milliseconds): a disabled user cannot log in.
    pub disabled_at: Option<i64>,
}

impl User {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// The columns [`user_from_row`] reads.
const USER_COLUMNS: &str = "id, name, role, created_at, session_epoch, disabled_at";

/// Serialises the changes that could leave no enabled admin, on PostgreSQL (whose READ
/// COMMITTED would let two of them each see the other admin still there).
const ADMIN_LOCK: i64 = 7274014;

/// The WHERE condition that keeps an enabled admin: the row is not one, or another is left.
const KEEPS_AN_ADMIN: &str = "(role <> 'admin' OR disabled_at IS NOT NULL OR \
     (SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL) > 1)";

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
        disabled_at: row.try_get("disabled_at")?,
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
            disabled_at: None,
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
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1"))
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// The user, when `password` is theirs and they are not disabled. Unknown names, wrong
    /// passwords and disabled users look alike, in what they answer and in how long they take.
    pub async fn verify_password(&self, name: &str, password: &str) -> Result<Option<User>> {
        if password.len() > MAX_PASSWORD_LEN {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        let stored = match &row {
            Some(row) => row.try_get("password_hash")?,
            None => DUMMY_HASH.to_owned(),
        };
        let matches = password_matches(password, stored).await?;
        match row {
            Some(row) if matches => Ok(Some(user_from_row(&row)?).filter(|u| !u.is_disabled())),
            _ => Ok(None),
        }
    }

    /// A transaction in which the set of enabled admins changes only through it: on
    /// PostgreSQL under a lock every such change takes, on SQLite under the one writer lock
    /// its first UPDATE takes (before reading what its WHERE clause counts).
    async fn begin_admin_change(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.pool().begin().await?;
        if self.backend() == crate::Backend::Postgres {
            sqlx::query(&format!("SELECT pg_advisory_xact_lock({ADMIN_LOCK})"))
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Why an UPDATE guarded by [`KEEPS_AN_ADMIN`] changed nothing.
    async fn why_unchanged(&self, name: &str) -> Result<StoreError> {
        Ok(match self.find_user(name).await? {
            None => StoreError::NoSuchUser(name.to_owned()),
            Some(_) => StoreError::LastAdmin(name.to_owned()),
        })
    }

    /// Gives `name` the role `role`. Demoting the last enabled admin is refused, in the same
    /// statement that demotes, so two admins demoting each other at once leave one.
    pub async fn set_role(&self, name: &str, role: Role) -> Result<()> {
        if role == Role::Metrics {
            return Err(StoreError::Invalid(
                "metrics is a scope for tokens that read /metrics, not a user's role".into(),
            ));
        }
        let sql = if role == Role::Admin {
            "UPDATE users SET role = $1 WHERE name = $2".to_owned()
        } else {
            format!("UPDATE users SET role = $1 WHERE name = $2 AND {KEEPS_AN_ADMIN}")
        };
        let mut tx = self.begin_admin_change().await?;
        let done = sqlx::query(&sql)
            .bind(role.as_str())
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if done.rows_affected() == 0 {
            return Err(self.why_unchanged(name).await?);
        }
        Ok(())
    }

    /// Disables `name` (they cannot log in, and their sessions end at once) or enables them
    /// again. Disabling the last enabled admin is refused, in the same statement that
    /// disables. Disabling a disabled user, or enabling an enabled one, changes nothing.
    pub async fn set_disabled(&self, name: &str, disabled: bool) -> Result<()> {
        if !disabled {
            let done = sqlx::query("UPDATE users SET disabled_at = NULL WHERE name = $1")
                .bind(name)
                .execute(self.pool())
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NoSuchUser(name.to_owned()));
            }
            return Ok(());
        }
        let mut tx = self.begin_admin_change().await?;
        let done = sqlx::query(&format!(
            "UPDATE users SET disabled_at = $1, session_epoch = session_epoch + 1 \
             WHERE name = $2 AND disabled_at IS NULL AND {KEEPS_AN_ADMIN}"
        ))
        .bind(now_millis())
        .bind(name)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if done.rows_affected() == 0 {
            return match self.find_user(name).await? {
                Some(user) if user.is_disabled() => Ok(()),
                _ => Err(self.why_unchanged(name).await?),
            };
        }
        Ok(())
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
