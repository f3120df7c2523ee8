//! One engine client per registered host, kept and reused: connecting negotiates the API
//! version (a `/version` request), and bollard's client keeps its connections alive, so a
//! page view costs the engine only the requests the view needs. Each swarm's manager is
//! remembered too, and judged by the swarm inspect that proves it a manager of that swarm —
//! never by `/info`, which dockerd answers slowly while it is busy.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use flotilla_engine::{ClientTls, DockerClient, Endpoint};
use flotilla_store::{Host, SwarmRecord, TlsMaterial};

use crate::{Fleet, FleetError, Result};

/// How long a manager, once proven, is trusted without asking again. An operation that
/// meets a manager gone bad forgets it at once (see [`Fleet::engine_failed`]).
const MANAGER_TRUSTED_FOR: Duration = Duration::from_secs(10);

/// What a kept client was made from: a host re-registered with another URL or other TLS
/// material gets a new client.
fn fingerprint(host: &Host) -> u64 {
    let mut hasher = DefaultHasher::new();
    host.url.hash(&mut hasher);
    if let Some(tls) = &host.tls {
        (&tls.ca, &tls.cert, &tls.key).hash(&mut hasher);
    }
    hasher.finish()
}

pub(crate) fn client_tls(tls: &Option<TlsMaterial>) -> Option<ClientTls> {
    tls.as_ref().map(|tls| ClientTls {
        ca: tls.ca.clone(),
        cert: tls.cert.clone(),
        key: tls.key.clone(),
    })
}

#[derive(Debug, Default)]
pub(crate) struct Engines {
    /// Host ID → (fingerprint, client).
    clients: Mutex<HashMap<String, (u64, DockerClient)>>,
    /// Swarm ID → the host last proven to manage it, and when.
    managers: Mutex<HashMap<String, (String, Instant)>>,
    /// Host ID → requests and failures of its clients no longer kept, so the counts only
    /// ever grow.
    retired: Mutex<HashMap<String, (u64, u64)>>,
}

impl Engines {
    fn kept(&self, host: &Host) -> Option<DockerClient> {
        let clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .get(&host.id)
            .filter(|(print, _)| *print == fingerprint(host))
            .map(|(_, client)| client.clone())
    }

    fn keep(&self, host: &Host, client: &DockerClient) {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let before = clients.insert(host.id.clone(), (fingerprint(host), client.clone()));
        if let Some((_, old)) = before {
            self.retire(&host.id, &old);
        }
    }

    pub(crate) fn forget_client(&self, host_id: &str) {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, old)) = clients.remove(host_id) {
            self.retire(host_id, &old);
        }
    }

    fn retire(&self, host_id: &str, client: &DockerClient) {
        let (requests, errors) = client.request_counts();
        let mut retired = self.retired.lock().unwrap_or_else(|p| p.into_inner());
        let counts = retired.entry(host_id.to_owned()).or_default();
        counts.0 += requests;
        counts.1 += errors;
    }

    /// Host ID → requests sent to its engine and those that failed, since the start.
    pub(crate) fn request_counts(&self) -> HashMap<String, (u64, u64)> {
        let mut counts = self
            .retired
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        for (host, (_, client)) in clients.iter() {
            let (requests, errors) = client.request_counts();
            let entry = counts.entry(host.clone()).or_default();
            entry.0 += requests;
            entry.1 += errors;
        }
        counts
    }

    fn trusted_manager(&self, swarm_id: &str) -> Option<String> {
        let managers = self.managers.lock().unwrap_or_else(|p| p.into_inner());
        managers
            .get(swarm_id)
            .filter(|(_, proven)| proven.elapsed() < MANAGER_TRUSTED_FOR)
            .map(|(host, _)| host.clone())
    }

    fn last_manager(&self, swarm_id: &str) -> Option<String> {
        let managers = self.managers.lock().unwrap_or_else(|p| p.into_inner());
        managers.get(swarm_id).map(|(host, _)| host.clone())
    }

    fn proven_manager(&self, swarm_id: &str, host_id: &str) {
        let mut managers = self.managers.lock().unwrap_or_else(|p| p.into_inner());
        managers.insert(swarm_id.to_owned(), (host_id.to_owned(), Instant::now()));
    }

    pub(crate) fn forget_manager(&self, swarm_id: &str) {
        let mut managers = self.managers.lock().unwrap_or_else(|p| p.into_inner());
        managers.remove(swarm_id);
    }
}

impl Fleet {
    /// The kept client of `host`, connecting (and negotiating the API version) only the
    /// first time or after the host's URL or TLS material changed.
    pub(crate) async fn client(&self, host: &Host) -> Result<DockerClient> {
        if let Some(client) = self.engines.kept(host) {
            return Ok(client);
        }
        let endpoint: Endpoint = host.url.parse()?;
        let client = DockerClient::connect_with(&endpoint, client_tls(&host.tls).as_ref()).await?;
        self.engines.keep(host, &client);
        Ok(client)
    }

    /// A manager of `swarm` that answers: the one last proven, while it is trusted; else
    /// the registered hosts last seen in the swarm are asked in turn (the last manager
    /// first), so losing one manager does not lose the console its way in.
    pub async fn manager(&self, swarm: &SwarmRecord) -> Result<DockerClient> {
        let hosts = self.store.swarm_hosts(&swarm.id).await?;
        if let Some(trusted) = self.engines.trusted_manager(&swarm.id) {
            if let Some(host) = hosts.iter().find(|h| h.id == trusted) {
                if let Some(client) = self.engines.kept(host) {
                    return Ok(client);
                }
            }
        }
        let last = self.engines.last_manager(&swarm.id);
        let mut ordered: Vec<&Host> = hosts.iter().collect();
        ordered.sort_by_key(|h| Some(&h.id) != last.as_ref());
        let mut reason = None;
        for host in ordered {
            let client = match self.client(host).await {
                Ok(client) => client,
                Err(err) => {
                    reason = Some(err.to_string());
                    continue;
                }
            };
            match client.inspect_swarm().await {
                Ok(found) if found.id == swarm.id => {
                    self.engines.proven_manager(&swarm.id, &host.id);
                    return Ok(client);
                }
                Ok(_) => reason = Some(format!("host {} manages another swarm", host.name)),
                Err(err) => {
                    if err.is_unreachable() {
                        self.engines.forget_client(&host.id);
                    }
                    reason = Some(err.to_string());
                }
            }
        }
        self.engines.forget_manager(&swarm.id);
        Err(FleetError::NoManager {
            swarm: swarm.name.clone(),
            reason,
        })
    }

    /// Tells the fleet an operation on `swarm` failed with `err`: a manager that no longer
    /// answers, or no longer manages, is not trusted again before it is proven anew.
    pub fn engine_failed(&self, swarm: &SwarmRecord, err: &FleetError) {
        if let FleetError::Engine(engine) = err {
            if engine.is_unreachable() || engine.is_not_a_manager() {
                self.engines.forget_manager(&swarm.id);
            }
        }
    }
}

impl Fleet {
    /// Runs `op` against a manager of `swarm`; a manager that fails it is not trusted again
    /// before it is proven anew.
    pub(crate) async fn with_manager<T, F, Fut>(&self, swarm: &SwarmRecord, op: F) -> Result<T>
    where
        F: FnOnce(DockerClient) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let result = op(self.manager(swarm).await?).await;
        if let Err(err) = &result {
            self.engine_failed(swarm, err);
        }
        result
    }
}
