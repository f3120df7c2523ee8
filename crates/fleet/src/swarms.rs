//! Creating a swarm host by host, adopting one, finding a manager to talk to, dissolving.

use std::net::IpAddr;

use flotilla_engine::{
    DockerClient, JoinTokens, LocalSwarmState, ManagerReachability, NodeRole, SwarmInit, SwarmJoin,
    TokenKind,
};
use flotilla_store::{Host, NewHost, Role, SwarmRecord, TlsMaterial};
use serde::{Deserialize, Serialize};

use crate::engines::client_tls;
use crate::{Fleet, FleetError, Result};

/// The port swarm managers listen on for cluster traffic, as `docker swarm init` uses.
const SWARM_PORT: u16 = 2377;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JoinRole {
    Manager,
    Worker,
}

/// A managed swarm as lists show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct SwarmSummary {
    pub id: String,
    pub name: String,
    pub managers: usize,
    pub workers: usize,
    /// Why the swarm could not be asked, when it could not.
    pub error: Option<String>,
}

/// `IP` or `IP:PORT` (what `--advertise-addr` takes); empty lets the engine choose.
fn check_advertise(addr: &str) -> Result<Option<String>> {
    let addr = addr.trim();
    if addr.is_empty() {
        return Ok(None);
    }
    let ip = match addr.parse::<std::net::SocketAddr>() {
        Ok(socket) => socket.ip(),
        Err(_) => addr.parse::<IpAddr>().map_err(|_| {
            FleetError::invalid(
                "advertise_addr",
                format!("`{addr}` is not an IP address or IP:PORT"),
            )
        })?,
    };
    if ip.is_unspecified() || ip.is_loopback() {
        return Err(FleetError::invalid(
            "advertise_addr",
            format!("`{addr}` cannot be reached by other hosts"),
        ));
    }
    Ok(Some(addr.to_owned()))
}

fn listen_addr(advertise: &Option<String>) -> String {
    match advertise {
        // Listen where we advertise, so a host with several networks keeps cluster
        // traffic on the one the operator chose.
        Some(addr) => match addr.parse::<std::net::SocketAddr>() {
            Ok(socket) => socket.to_string(),
            Err(_) => format!("{addr}:{SWARM_PORT}"),
        },
        None => format!("0.0.0.0:{SWARM_PORT}"),
    }
}

impl Fleet {
    pub async fn swarms(&self) -> Result<Vec<SwarmRecord>> {
        Ok(self.store.swarms().await?)
    }

    pub async fn swarm(&self, key: &str) -> Result<SwarmRecord> {
        Ok(self.store.find_swarm(key).await?)
    }

    /// Summaries of every managed swarm, each asked through one of its managers.
    pub async fn swarm_summaries(&self) -> Result<Vec<SwarmSummary>> {
        let swarms = self.store.swarms().await?;
        let summaries = futures::future::join_all(swarms.into_iter().map(|swarm| async move {
            let nodes = self
                .with_manager(
                    &swarm,
                    |client| async move { Ok(client.list_nodes().await?) },
                )
                .await;
            let (managers, workers, error) = match nodes {
                Ok(nodes) => {
                    let managers = nodes.iter().filter(|n| n.role == NodeRole::Manager).count();
                    (managers, nodes.len() - managers, None)
                }
                Err(err) => (0, 0, Some(err.to_string())),
            };
            SwarmSummary {
                id: swarm.id,
                name: swarm.name,
                managers,
                workers,
                error,
            }
        }))
        .await;
        Ok(summaries)
    }

    /// First step of creating a swarm: `docker swarm init` on `host`, then the swarm is
    /// registered as `name`. Retrying after success returns the same swarm.
    pub async fn init_swarm(
        &self,
        name: &str,
        host_key: &str,
        advertise_addr: &str,
    ) -> Result<SwarmRecord> {
        flotilla_store::check_name("swarm name", name)
            .map_err(|message| FleetError::invalid("name", message))?;
        let advertise = check_advertise(advertise_addr)?;
        let host = self.store.find_host(host_key).await?;
        let taken = self.store.find_swarm(name).await.ok();
        let client = self.client(&host).await?;
        let info = client.engine_info().await?;
        if info.swarm_state != LocalSwarmState::Inactive {
            if let (Some(taken), Some(cluster)) = (&taken, &info.cluster_id) {
                if &taken.id == cluster {
                    return Ok(taken.clone());
                }
            }
            return Err(FleetError::Conflict(format!(
                "host {} is already in a swarm{}; adopt that swarm instead",
                host.name,
                info.cluster_id
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default()
            )));
        }
        if taken.is_some() {
            return Err(FleetError::Conflict(format!(
                "a swarm named `{name}` already exists"
            )));
        }
        let node_id = client
            .init_swarm(&SwarmInit {
                listen_addr: listen_addr(&advertise),
                advertise_addr: advertise.unwrap_or_default(),
            })
            .await?;
        let swarm = client.inspect_swarm().await?;
        self.store
            .set_host_membership(&host.id, Some(&swarm.id), Some(&node_id))
            .await?;
        self.refresh_host_id(&host.id).await?;
        Ok(self.store.add_swarm(&swarm.id, name).await?)
    }

    /// One more step: `docker swarm join` of `host` into `swarm` as `role`. A host already
    /// in this swarm is success (a retried step); one in another swarm is refused.
    pub async fn join_host(
        &self,
        swarm_key: &str,
        host_key: &str,
        role: JoinRole,
        advertise_addr: &str,
    ) -> Result<()> {
        let advertise = check_advertise(advertise_addr)?;
        let swarm = self.store.find_swarm(swarm_key).await?;
        let host = self.store.find_host(host_key).await?;
        let client = self.client(&host).await?;
        let info = client.engine_info().await?;
        let manager = self.manager(&swarm).await?;
        let nodes = manager.list_nodes().await?;
        if info.swarm_state != LocalSwarmState::Inactive {
            let member = match &info.node_id {
                Some(node_id) => nodes.iter().any(|n| &n.id == node_id),
                None => false,
            };
            if member {
                self.store
                    .set_host_membership(&host.id, Some(&swarm.id), info.node_id.as_deref())
                    .await?;
                self.refresh_host_id(&host.id).await?;
                return Ok(());
            }
            return Err(FleetError::Conflict(format!(
                "host {} is already in another swarm; it must leave it first",
                host.name
            )));
        }
        let JoinTokens {
            worker,
            manager: manager_token,
        } = manager.join_tokens().await?;
        // The leader's cluster address, else any reachable manager's: what the CLI dials.
        let manager_addr = nodes
            .iter()
            .filter(|n| {
                matches!(
                    n.manager_status,
                    Some(ManagerReachability::Leader | ManagerReachability::Reachable)
                )
            })
            .min_by_key(|n| n.manager_status != Some(ManagerReachability::Leader))
            .and_then(|n| n.manager_addr.clone())
            .ok_or_else(|| {
                FleetError::Conflict(format!(
                    "no manager of swarm {} reports a cluster address",
                    swarm.name
                ))
            })?;
        client
            .join_swarm(&SwarmJoin {
                manager_addr,
                join_token: match role {
                    JoinRole::Manager => manager_token,
                    JoinRole::Worker => worker,
                },
                listen_addr: listen_addr(&advertise),
                advertise_addr: advertise.unwrap_or_default(),
            })
            .await?;
        let joined = client.engine_info().await?;
        self.store
            .set_host_membership(&host.id, Some(&swarm.id), joined.node_id.as_deref())
            .await?;
        self.refresh_host_id(&host.id).await?;
        Ok(())
    }

    /// Registers an existing swarm through one of its managers ("bring your own swarm");
    /// the manager's host is registered too unless it already is.
    pub async fn adopt_swarm(
        &self,
        name: &str,
        manager_url: &str,
        tls: Option<TlsMaterial>,
    ) -> Result<SwarmRecord> {
        flotilla_store::check_name("swarm name", name)
            .map_err(|message| FleetError::invalid("name", message))?;
        let endpoint: flotilla_engine::Endpoint = manager_url.parse()?;
        let url = endpoint.to_string();
        let existing = self.store.hosts().await?.into_iter().find(|h| h.url == url);
        let tls = existing.as_ref().map(|h| h.tls.clone()).unwrap_or(tls);
        let client = DockerClient::connect_with(&endpoint, client_tls(&tls).as_ref()).await?;
        let info = client.engine_info().await?;
        let Some(cluster_id) = info.cluster_id.clone().filter(|_| info.is_manager) else {
            return Err(FleetError::invalid(
                "manager",
                format!("the engine at {url} is not a swarm manager"),
            ));
        };
        if let Ok(taken) = self.store.find_swarm(name).await {
            if taken.id != cluster_id {
                return Err(FleetError::Conflict(format!(
                    "a swarm named `{name}` already exists"
                )));
            }
        }
        let host = match existing {
            Some(host) => host,
            None => {
                self.store
                    .add_host(&NewHost {
                        name: self.free_host_name(&info.hostname).await?,
                        url,
                        tls,
                    })
                    .await?
            }
        };
        let record = self.store.add_swarm(&cluster_id, name).await?;
        self.store
            .set_host_membership(&host.id, Some(&cluster_id), info.node_id.as_deref())
            .await?;
        self.refresh_host_id(&host.id).await?;
        Ok(record)
    }

    /// `hostname`, or `hostname-2`, … whichever no registered host uses yet.
    async fn free_host_name(&self, hostname: &str) -> Result<String> {
        let taken: Vec<String> = self
            .store
            .hosts()
            .await?
            .into_iter()
            .map(|h| h.name)
            .collect();
        let base: String = hostname
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .take(56)
            .collect();
        let base = if base.is_empty() {
            "host".to_owned()
        } else {
            base
        };
        let mut candidate = base.clone();
        let mut n = 1;
        while taken.contains(&candidate) {
            n += 1;
            candidate = format!("{base}-{n}");
        }
        Ok(candidate)
    }

    /// Sets the least role that may deploy stacks reaching the nodes (admin or operator).
    pub async fn set_privileged_deploys(&self, swarm_key: &str, role: Role) -> Result<()> {
        let swarm = self.store.find_swarm(swarm_key).await?;
        Ok(self.store.set_privileged_deploys(&swarm.id, role).await?)
    }

    pub async fn join_tokens(&self, swarm_key: &str) -> Result<JoinTokens> {
        let swarm = self.store.find_swarm(swarm_key).await?;
        self.with_manager(
            &swarm,
            |client| async move { Ok(client.join_tokens().await?) },
        )
        .await
    }

    pub async fn rotate_join_token(&self, swarm_key: &str, kind: TokenKind) -> Result<JoinTokens> {
        let swarm = self.store.find_swarm(swarm_key).await?;
        self.with_manager(&swarm, |client| async move {
            Ok(client.rotate_join_token(kind).await?)
        })
        .await
    }

    /// Ends a swarm: every registered host leaves (workers first, managers last, forced as
    /// the docker CLI requires for managers), then the console forgets it. `confirm` must
    /// repeat the swarm's name.
    pub async fn dissolve_swarm(&self, swarm_key: &str, confirm: &str) -> Result<()> {
        let swarm = self.store.find_swarm(swarm_key).await?;
        if confirm != swarm.name {
            return Err(FleetError::invalid(
                "confirm",
                format!("type the swarm's name, `{}`, to dissolve it", swarm.name),
            ));
        }
        let hosts = self.store.swarm_hosts(&swarm.id).await?;
        let mut members: Vec<(Host, DockerClient, bool)> = Vec::new();
        for host in hosts {
            let client = self.client(&host).await?;
            let info = client.engine_info().await?;
            members.push((host, client, info.is_manager));
        }
        members.sort_by_key(|(_, _, is_manager)| *is_manager);
        for (host, client, is_manager) in &members {
            client.leave_swarm(*is_manager).await?;
            self.store.set_host_membership(&host.id, None, None).await?;
            self.refresh_host_id(&host.id).await?;
        }
        self.engines.forget_manager(&swarm.id);
        Ok(self.store.remove_swarm(&swarm.id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertise_addresses_must_be_reachable_ips() {
        assert_eq!(check_advertise("").ok(), Some(None));
        assert_eq!(
            check_advertise("10.0.0.2").ok(),
            Some(Some("10.0.0.2".into()))
        );
        assert!(check_advertise("10.0.0.2:2377").is_ok());
        for bad in ["node1", "127.0.0.1", "0.0.0.0", "10.0.0"] {
            assert!(check_advertise(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn managers_listen_where_they_advertise() {
        assert_eq!(listen_addr(&Some("10.0.0.2".into())), "10.0.0.2:2377");
        assert_eq!(listen_addr(&Some("10.0.0.2:4000".into())), "10.0.0.2:4000");
        assert_eq!(listen_addr(&None), "0.0.0.0:2377");
    }
}
