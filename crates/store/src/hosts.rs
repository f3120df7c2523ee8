//! Registered Docker hosts and the swarms made of them.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{new_id, now_millis, Result, Role, Store, StoreError};

/// PEM client material for an engine that listens on `tcp://` with `--tlsverify`.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsMaterial {
    pub ca: String,
    pub cert: String,
    pub key: String,
}

impl std::fmt::Debug for TlsMaterial {
    // The key is a secret: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsMaterial { .. }")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub id: String,
    pub name: String,
    pub url: String,
    pub tls: Option<TlsMaterial>,
    pub swarm_id: Option<String>,
    pub node_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewHost {
    pub name: String,
    pub url: String,
    pub tls: Option<TlsMaterial>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmRecord {
    pub id: String,
    pub name: String,
    /// The least role that may deploy a stack reaching the nodes themselves (its deploy
    /// policy): admin unless an admin has let operators.
    pub privileged_deploys: Role,
}

fn swarm_from(row: &AnyRow) -> Result<SwarmRecord> {
    Ok(SwarmRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        privileged_deploys: row.try_get::<String, _>("privileged_deploys")?.parse()?,
    })
}

const HOST_COLUMNS: &str = "id, name, url, tls_ca, tls_cert, tls_key, swarm_id, node_id";

fn host_from(store: &Store, row: &AnyRow) -> Result<Host> {
    let ca: Option<String> = row.try_get("tls_ca")?;
    let cert: Option<String> = row.try_get("tls_cert")?;
    let key: Option<String> = row.try_get("tls_key")?;
    let key = key.map(|key| store.unseal(key)).transpose()?;
    let tls = match (ca, cert, key) {
        (Some(ca), Some(cert), Some(key)) => Some(TlsMaterial { ca, cert, key }),
        _ => None,
    };
    Ok(Host {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        tls,
        swarm_id: row.try_get("swarm_id")?,
        node_id: row.try_get("node_id")?,
    })
}

impl Store {
    pub async fn add_host(&self, host: &NewHost) -> Result<Host> {
        crate::check_name("host name", &host.name).map_err(StoreError::Invalid)?;
        let id = new_id();
        let tls = host.tls.as_ref();
        let sealed_key = tls.map(|t| self.seal(&t.key)).transpose()?;
        sqlx::query(
            "INSERT INTO hosts (id, name, url, tls_ca, tls_cert, tls_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(&host.name)
        .bind(&host.url)
        .bind(tls.map(|t| t.ca.clone()))
        .bind(tls.map(|t| t.cert.clone()))
        .bind(sealed_key)
        .bind(now_millis())
        .execute(self.pool())
        .await
        .map_err(|err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::HostExists(format!("{} ({})", host.name, host.url))
            }
            _ => err.into(),
        })?;
        Ok(Host {
            id,
            name: host.name.clone(),
            url: host.url.clone(),
            tls: host.tls.clone(),
            swarm_id: None,
            node_id: None,
        })
    }

    /// Every host, by name.
    pub async fn hosts(&self) -> Result<Vec<Host>> {
        let rows = sqlx::query(&format!("SELECT {HOST_COLUMNS} FROM hosts ORDER BY name"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|row| host_from(self, row)).collect()
    }

    /// The host named `key`, or whose ID is `key`.
    pub async fn find_host(&self, key: &str) -> Result<Host> {
        let row = sqlx::query(&format!(
            "SELECT {HOST_COLUMNS} FROM hosts WHERE name = $1 OR id = $1"
        ))
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => host_from(self, &row),
            None => Err(StoreError::NoSuchHost(key.to_owned())),
        }
    }

    /// Records where the host's engine stands: in which swarm, as which node (or none).
    pub async fn set_host_membership(
        &self,
        host_id: &str,
        swarm_id: Option<&str>,
        node_id: Option<&str>,
    ) -> Result<()> {
        sqlx::query("UPDATE hosts SET swarm_id = $1, node_id = $2 WHERE id = $3")
            .bind(swarm_id)
            .bind(node_id)
            .bind(host_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn remove_host(&self, key: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM hosts WHERE name = $1 OR id = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchHost(key.to_owned()));
        }
        Ok(())
    }

    /// Registers a swarm under `name`; registering the same cluster again under the same
    /// name is a no-op, so a retried create or adopt succeeds.
    pub async fn add_swarm(&self, id: &str, name: &str) -> Result<SwarmRecord> {
        crate::check_name("swarm name", name).map_err(StoreError::Invalid)?;
        if let Some(existing) = self.find_swarm_opt(id).await? {
            if existing.id == id && existing.name == name {
                return Ok(existing);
            }
            if existing.id == id {
                return Err(StoreError::SwarmExists(format!(
                    "this swarm is already registered as `{}`",
                    existing.name
                )));
            }
        }
        sqlx::query("INSERT INTO swarms (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(name)
            .bind(now_millis())
            .execute(self.pool())
            .await
            .map_err(StoreError::on_conflict(StoreError::SwarmExists(format!(
                "a swarm named `{name}` already exists"
            ))))?;
        Ok(SwarmRecord {
            id: id.to_owned(),
            name: name.to_owned(),
            privileged_deploys: Role::Admin,
        })
    }

    pub async fn swarms(&self) -> Result<Vec<SwarmRecord>> {
        let rows = sqlx::query("SELECT id, name, privileged_deploys FROM swarms ORDER BY name")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(swarm_from).collect()
    }

    async fn find_swarm_opt(&self, key: &str) -> Result<Option<SwarmRecord>> {
        let row = sqlx::query(
            "SELECT id, name, privileged_deploys FROM swarms WHERE name = $1 OR id = $1",
        )
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(swarm_from).transpose()
    }

    /// Sets who may deploy stacks that reach the nodes: `Admin` or `Operator`.
    pub async fn set_privileged_deploys(&self, swarm_id: &str, role: Role) -> Result<()> {
        if role == Role::Viewer {
            return Err(StoreError::Invalid(
                "viewers deploy nothing: choose admin or operator".into(),
            ));
        }
        let done = sqlx::query("UPDATE swarms SET privileged_deploys = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(swarm_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchSwarm(swarm_id.to_owned()));
        }
        Ok(())
    }

    /// The swarm named `key`, or whose cluster ID is `key`.
    pub async fn find_swarm(&self, key: &str) -> Result<SwarmRecord> {
        self.find_swarm_opt(key)
            .await?
            .ok_or_else(|| StoreError::NoSuchSwarm(key.to_owned()))
    }

    /// Forgets a swarm and detaches its hosts (which stay registered).
    pub async fn remove_swarm(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE hosts SET swarm_id = NULL, node_id = NULL WHERE swarm_id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        sqlx::query("DELETE FROM swarms WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The hosts last seen in swarm `swarm_id`.
    pub async fn swarm_hosts(&self, swarm_id: &str) -> Result<Vec<Host>> {
        let rows = sqlx::query(&format!(
            "SELECT {HOST_COLUMNS} FROM hosts WHERE swarm_id = $1 ORDER BY name"
        ))
        .bind(swarm_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| host_from(self, row)).collect()
    }
}
