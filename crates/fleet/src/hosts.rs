//! Registering Docker hosts and asking them how they are.

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

/// A registered host with what its engine says right now (or why it says nothing).
#[derive(Debug, Clone, Serialize)]
pub struct HostStatus {
    pub name: String,
    pub url: String,
    pub tls: bool,
    pub swarm_id: Option<String>,
    pub engine: Result<EngineInfo, String>,
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
        Ok(HostStatus {
            name: host.name,
            url: host.url,
            tls: host.tls.is_some(),
            swarm_id,
            engine,
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

    /// Every registered host with its engine's answer, asked in parallel.
    pub async fn host_statuses(&self) -> Result<Vec<HostStatus>> {
        let hosts = self.store.hosts().await?;
        let statuses = join_all(hosts.into_iter().map(|host| async move {
            let answer = match self.client(&host).await {
                Ok(client) => client.engine_info().await.map_err(FleetError::from),
                Err(err) => Err(err),
            };
            if matches!(&answer, Err(FleetError::Engine(err)) if err.is_unreachable()) {
                self.engines.forget_client(&host.id);
            }
            let swarm_id = match &answer {
                Ok(info) => self.note_membership(&host, info).await?.0,
                Err(_) => host.swarm_id.clone(),
            };
            Ok::<_, FleetError>(HostStatus {
                name: host.name,
                url: host.url,
                tls: host.tls.is_some(),
                swarm_id,
                engine: answer.map_err(|err| err.to_string()),
            })
        }))
        .await;
        statuses.into_iter().collect()
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
        Ok(())
    }
}
