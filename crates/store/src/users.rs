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
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
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
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
}

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| StoreError::Hash(err.to_string()))
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: row.try_get::<String, _>("role")?.parse()?,
        created_at: row.try_get("created_at")?,
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
        let user = User {
            id: new_id(),
            name: name.to_owned(),
            role,
            created_at: now_millis(),
        };
        let hash = hash_password(password)?;
        let sql = if only_if_none {
            "INSERT INTO users (id, name, password_hash, role, created_at) \
             SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM users)"
        } else {
            "INSERT INTO users (id, name, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)"
        };
        let done = sqlx::query(sql)
            .bind(&user.id)
            .bind(&user.name)
            .bind(&hash)
            .bind(role.as_str())
            .bind(user.created_at)
            .execute(self.pool())
            .await
            .map_err(StoreError::on_conflict(StoreError::UserExists(
                name.to_owned(),
            )))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::SetupDone);
        }
        Ok(user)
    }

    pub async fn find_user(&self, name: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT id, name, role, created_at FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The user, when `password` is theirs. Unknown names and wrong passwords look alike.
    pub async fn verify_password(&self, name: &str, password: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT id, name, role, created_at, password_hash FROM users WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let stored: String = row.try_get("password_hash")?;
        let hash = PasswordHash::new(&stored).map_err(|err| StoreError::Hash(err.to_string()))?;
        if Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
        {
            Ok(Some(user_from_row(&row)?))
        } else {
            Ok(None)
        }
    }

    pub async fn set_password(&self, name: &str, password: &str) -> Result<()> {
        let hash = hash_password(password)?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2")
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
