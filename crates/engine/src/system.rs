//! The engine itself: who it is (`docker info`) and whether it answers (`/_ping`).

use crate::{DockerClient, EngineInfo, LocalSwarmState, Result};

impl DockerClient {
    /// What the engine says about itself, including where it stands in a swarm. dockerd
    /// answers `/info` slowly while it is busy (seconds after a `stack rm`), so hot paths
    /// use [`ping`](Self::ping) or the swarm inspect they need anyway.
    pub async fn engine_info(&self) -> Result<EngineInfo> {
        let info = self
            .docker
            .info()
            .await
            .map_err(self.api_error("read engine info"))?;
        Ok(convert_engine_info(info, self.api_version()))
    }

    /// `GET /_ping`: the cheapest proof the engine answers.
    pub async fn ping(&self) -> Result<()> {
        self.docker
            .ping()
            .await
            .map(drop)
            .map_err(self.api_error("ping the engine"))
    }
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|value| !value.is_empty())
}

fn convert_engine_info(info: bollard::models::SystemInfo, api_version: String) -> EngineInfo {
    use bollard::models::LocalNodeState as L;
    let swarm = info.swarm.unwrap_or_default();
    let swarm_state = match swarm.local_node_state {
        Some(L::ACTIVE) => LocalSwarmState::Active,
        Some(L::PENDING) => LocalSwarmState::Pending,
        Some(L::ERROR) => LocalSwarmState::Error,
        Some(L::LOCKED) => LocalSwarmState::Locked,
        Some(L::INACTIVE) | Some(L::EMPTY) | None => LocalSwarmState::Inactive,
    };
    EngineInfo {
        hostname: info.name.unwrap_or_default(),
        engine_version: info.server_version.unwrap_or_default(),
        api_version,
        os: info.operating_system.unwrap_or_default(),
        arch: info.architecture.unwrap_or_default(),
        cpus: info.ncpu.and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
        memory_bytes: info
            .mem_total
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0),
        swarm_state,
        node_id: non_empty(swarm.node_id),
        is_manager: swarm.control_available.unwrap_or(false),
        cluster_id: swarm.cluster.and_then(|cluster| non_empty(cluster.id)),
    }
}
