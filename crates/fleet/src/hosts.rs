//! Registering Docker hosts and asking them how they are. What each engine answered is
//! kept ([`HostStates`]): reading the hosts never probes them — an admin's action, or the
//! periodic [`Fleet::refresh_hosts`], does — so a page view cannot make the console knock
//! on arbitrary addresses.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use flotilla_engine::{DockerClient, Endpoint, EngineInfo, LocalSwarmState};
use flotilla_store::{Host, NewHost, TlsMaterial};
use futures::future::join_all;
use serde::Serialize;

use crate::engines::client_tls;
use crate::{Fleet, FleetError, Result};

/// What the registration form sends.
#[derive(Debug, Clone)]
pub struct NewHostRequest {
    pub name: String,
    pub url: String,
    pub tls: Option<TlsMaterial>,
    /// Save even when the engine cannot be reached or identified now.
    pub save_anyway: bool,
}

/// A registered host with what its engine said when last asked (or why it said nothing).
#[derive(Debug, Clone, Serialize)]
pub struct HostStatus {
    pub name: String,
    pub url: String,
    pub tls: bool,
    pub swarm_id: Option<String>,
    pub engine: Result<EngineInfo, String>,
    /// When the engine was last asked (unix milliseconds); `None`: not yet.
    pub checked_at: Option<i64>,
}

/// When a host's engine was asked (unix milliseconds), and what it answered.
type Answer = (i64, Result<EngineInfo, String>);

/// Each host's last answer, by host ID.
#[derive(Debug, Default)]
pub(crate) struct HostStates(Mutex<HashMap<String, Answer>>);

impl HostStates {
    fn get(&self, host_id: &str) -> Option<Answer> {
        let states = self.0.lock().unwrap_or_else(|p| p.into_inner());
        states.get(host_id).cloned()
    }

    fn set(&self, host_id: &str, answer: Result<EngineInfo, String>) {
        let mut states = self.0.lock().unwrap_or_else(|p| p.into_inner());
        states.insert(host_id.to_owned(), (flotilla_store::now_millis(), answer));
    }

    fn forget(&self, host_id: &str) {
        let mut states = self.0.lock().unwrap_or_else(|p| p.into_inner());
        states.remove(host_id);
    }
}

/// Cloud metadata services answer on these names and link-local addresses; an engine never
/// does, and a console that can be pointed at them could be made to read credentials.
fn check_not_metadata(endpoint: &Endpoint) -> Result<()> {
    let Endpoint::Tcp(authority) = endpoint else {
        return Ok(());
    };
    let host = authority
        .rsplit_once(':')
        .map_or(authority.as_str(), |(host, _)| host)
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let link_local = match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_link_local() || ip.octets() == [100, 100, 100, 200],
        Ok(IpAddr::V6(ip)) => {
            (ip.segments()[0] & 0xffc0) == 0xfe80
                || ip.segments() == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]
        }
        Err(_) => matches!(
            host.as_str(),
            "metadata" | "metadata.google.internal" | "metadata.goog" | "instance-data"
        ),
    };
    if link_local {
        return Err(FleetError::invalid(
            "url",
            format!("`{host}` is a link-local or cloud metadata address, not a Docker engine"),
        ));
    }
    Ok(())
}

fn check_tls(url: &Endpoint, tls: &Option<TlsMaterial>) -> Result<()> {
    let Some(tls) = tls else { return Ok(()) };
    if !matches!(url, Endpoint::Tcp(_)) {
        return Err(FleetError::invalid(
            "tls",
            "TLS applies to tcp:// hosts only",
        ));
    }
    for (field, pem, marker) in [
        ("tls_ca", &tls.ca, "CERTIFICATE"),
        ("tls_cert", &tls.cert, "CERTIFICATE"),
        ("tls_key", &tls.key, "PRIVATE KEY"),
    ] {
        if !(pem.contains("-----BEGIN") && pem.contains(marker)) {
            return Err(FleetError::invalid(
                field,
                format!("expected a PEM block (-----BEGIN …{marker}-----)"),
            ));
        }
    }
    Ok(())
}

impl Fleet {
    /// Connects to the engine at `endpoint` and reads what it says about itself.
    async fn probe(&self, endpoint: &Endpoint, tls: &Option<TlsMaterial>) -> Result<EngineInfo> {
        let client = DockerClient::connect_with(endpoint, client_tls(tls).as_ref()).await?;
        Ok(client.engine_info().await?)
    }

    /// Registers a host after checking that a Docker engine answers at its URL. When none
    /// does, nothing is saved unless the caller insists (`save_anyway`); the probe's error
    /// is returned so the form can say what failed.
    pub async fn register_host(&self, request: &NewHostRequest) -> Result<HostStatus> {
        flotilla_store::check_name("host name", &request.name)
            .map_err(|message| FleetError::invalid("name", message))?;
        let endpoint: Endpoint = request.url.parse()?;
        check_not_metadata(&endpoint)?;
        check_tls(&endpoint, &request.tls)?;
        let url = endpoint.to_string();
        let probed = self.probe(&endpoint, &request.tls).await;
        let engine = match probed {
            Ok(info) => Ok(info),
            Err(err) if request.save_anyway => Err(err.to_string()),
            Err(err) => return Err(err),
        };
        let host = self
            .store
            .add_host(&NewHost {
                name: request.name.clone(),
                url,
                tls: request.tls.clone(),
            })
            .await?;
        let swarm_id = match &engine {
            Ok(info) => self.note_membership(&host, info).await?.0,
            Err(_) => None,
        };
        self.host_states.set(&host.id, engine.clone());
        Ok(HostStatus {
            name: host.name,
            url: host.url,
            tls: host.tls.is_some(),
            swarm_id,
            engine,
            checked_at: Some(flotilla_store::now_millis()),
        })
    }

    /// Remembers which swarm and node a host's engine belongs to, as far as it tells.
    /// Workers do not know their cluster ID; their recorded swarm stays while the node ID
    /// is unchanged.
    pub(crate) async fn note_membership(
        &self,
        host: &Host,
        info: &EngineInfo,
    ) -> Result<(Option<String>, Option<String>)> {
        let (swarm_id, node_id) = match info.swarm_state {
            LocalSwarmState::Inactive => (None, None),
            _ => {
                let swarm_id = info.cluster_id.clone().or_else(|| {
                    (host.node_id == info.node_id)
                        .then(|| host.swarm_id.clone())
                        .flatten()
                });
                (swarm_id, info.node_id.clone())
            }
        };
        if swarm_id != host.swarm_id || node_id != host.node_id {
            self.store
                .set_host_membership(&host.id, swarm_id.as_deref(), node_id.as_deref())
                .await?;
        }
        Ok((swarm_id, node_id))
    }

    /// Every registered host with what its engine said when last asked; asks no engine.
    pub async fn host_statuses(&self) -> Result<Vec<HostStatus>> {
        let hosts = self.store.hosts().await?;
        Ok(hosts
            .into_iter()
            .map(|host| {
                let (checked_at, engine) = match self.host_states.get(&host.id) {
                    Some((at, answer)) => (Some(at), answer),
                    None => (None, Err("not checked yet".to_owned())),
                };
                HostStatus {
                    name: host.name,
                    url: host.url,
                    tls: host.tls.is_some(),
                    swarm_id: host.swarm_id,
                    engine,
                    checked_at,
                }
            })
            .collect())
    }

    /// Whether at least one registered engine answers a ping within `limit` (all are asked
    /// at once); `None` when no host is registered. For readiness probes.
    pub async fn any_engine_answers(&self, limit: std::time::Duration) -> Result<Option<bool>> {
        let hosts = self.store.hosts().await?;
        if hosts.is_empty() {
            return Ok(None);
        }
        let pings = hosts.iter().map(|host| async move {
            let ping = async {
                self.client(host)
                    .await?
                    .ping()
                    .await
                    .map_err(FleetError::from)
            };
            matches!(tokio::time::timeout(limit, ping).await, Ok(Ok(())))
        });
        Ok(Some(
            join_all(pings).await.into_iter().any(|answered| answered),
        ))
    }

    /// Asks every registered host's engine how it is, in parallel, and keeps the answers.
    pub async fn refresh_hosts(&self) -> Result<()> {
        let hosts = self.store.hosts().await?;
        let refreshed = join_all(hosts.iter().map(|host| self.refresh_host(host))).await;
        refreshed.into_iter().collect()
    }

    /// Asks one host's engine and keeps the answer, noting the swarm it is in.
    pub(crate) async fn refresh_host(&self, host: &Host) -> Result<()> {
        let answer = match self.client(host).await {
            Ok(client) => client.engine_info().await.map_err(FleetError::from),
            Err(err) => Err(err),
        };
        if matches!(&answer, Err(FleetError::Engine(err)) if err.is_unreachable()) {
            self.engines.forget_client(&host.id);
        }
        if let Ok(info) = &answer {
            self.note_membership(host, info).await?;
        }
        self.host_states
            .set(&host.id, answer.map_err(|err| err.to_string()));
        Ok(())
    }

    /// Refreshes the host registered as `host_id`, if it still is.
    pub(crate) async fn refresh_host_id(&self, host_id: &str) -> Result<()> {
        let hosts = self.store.hosts().await?;
        match hosts.iter().find(|h| h.id == host_id) {
            Some(host) => self.refresh_host(host).await,
            None => Ok(()),
        }
    }

    /// Forgets a host. Its engine is not touched; a host still in a managed swarm is refused
    /// so the swarm keeps a way in.
    pub async fn remove_host(&self, key: &str) -> Result<()> {
        let host = self.store.find_host(key).await?;
        if let Some(swarm_id) = &host.swarm_id {
            if self.store.find_swarm(swarm_id).await.is_ok() {
                return Err(FleetError::Conflict(format!(
                    "host {} is a node of a managed swarm; remove the node first",
                    host.name
                )));
            }
        }
        self.store.remove_host(&host.id).await?;
        self.engines.forget_client(&host.id);
        self.host_states.forget(&host.id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_services_are_not_engines() {
        for bad in [
            "tcp://169.254.169.254:80",
            "tcp://[fe80::1]:2375",
            "tcp://metadata.google.internal:80",
            "tcp://100.100.100.200:80",
        ] {
            let endpoint: Endpoint = bad.parse().expect("endpoint");
            assert!(check_not_metadata(&endpoint).is_err(), "{bad}");
        }
        for good in [
            "tcp://10.0.0.2:2376",
            "unix:///run/docker.sock",
            "tcp://node1:2375",
        ] {
            let endpoint: Endpoint = good.parse().expect("endpoint");
            assert!(check_not_metadata(&endpoint).is_ok(), "{good}");
        }
    }
}
