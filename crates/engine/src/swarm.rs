use bollard::models::{SwarmInitRequest, SwarmJoinRequest};
use bollard::query_parameters::{LeaveSwarmOptions, UpdateSwarmOptions};

use crate::retry::retry_on_stale_version;
use crate::{DockerClient, Result, Swarm};

/// `docker swarm init` parameters.
#[derive(Debug, Clone)]
pub struct SwarmInit {
    /// Address other nodes use to reach this manager, e.g. `10.0.0.1` or `10.0.0.1:2377`.
    pub advertise_addr: String,
    /// Address the manager listens on for cluster traffic, e.g. `0.0.0.0:2377`.
    pub listen_addr: String,
}

/// `docker swarm join` parameters.
#[derive(Debug, Clone)]
pub struct SwarmJoin {
    /// A manager's cluster address, `HOST:2377`.
    pub manager_addr: String,
    pub join_token: String,
    pub advertise_addr: String,
    pub listen_addr: String,
}

/// The two tokens that admit a node as worker or as manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinTokens {
    pub worker: String,
    pub manager: String,
}

impl DockerClient {
    /// The swarm this engine manages. Fails with `NotInSwarm` / `NotAManager` when it manages none.
    pub async fn inspect_swarm(&self) -> Result<Swarm> {
        let swarm = self
            .docker
            .inspect_swarm()
            .await
            .map_err(self.api_error("inspect the swarm"))?;
        Ok(convert_swarm(swarm))
    }

    /// Makes this engine the first manager of a new swarm; returns its node ID.
    pub async fn init_swarm(&self, init: &SwarmInit) -> Result<String> {
        let request = SwarmInitRequest {
            advertise_addr: Some(init.advertise_addr.clone()),
            listen_addr: Some(init.listen_addr.clone()),
            ..Default::default()
        };
        self.docker
            .init_swarm(request)
            .await
            .map_err(self.api_error("initialise a swarm"))
    }

    pub async fn join_tokens(&self) -> Result<JoinTokens> {
        let swarm = self
            .docker
            .inspect_swarm()
            .await
            .map_err(self.api_error("read the join tokens"))?;
        let tokens = swarm.join_tokens.unwrap_or_default();
        Ok(JoinTokens {
            worker: tokens.worker.unwrap_or_default(),
            manager: tokens.manager.unwrap_or_default(),
        })
    }

    /// Joins this engine to the swarm that `join.manager_addr` manages.
    pub async fn join_swarm(&self, join: &SwarmJoin) -> Result<()> {
        let request = SwarmJoinRequest {
            remote_addrs: Some(vec![join.manager_addr.clone()]),
            join_token: Some(join.join_token.clone()),
            advertise_addr: Some(join.advertise_addr.clone()),
            listen_addr: Some(join.listen_addr.clone()),
            ..Default::default()
        };
        self.docker
            .join_swarm(request)
            .await
            .map_err(self.api_error("join the swarm"))
    }
}

/// Which join token(s) `rotate_join_tokens` replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Worker,
    Manager,
}

impl DockerClient {
    /// `docker swarm join-token --rotate worker|manager`: the old token stops admitting
    /// nodes; nodes already in the swarm are unaffected.
    pub async fn rotate_join_token(&self, kind: TokenKind) -> Result<JoinTokens> {
        let action = "rotate a join token";
        retry_on_stale_version(|_| async {
            let swarm = self
                .docker
                .inspect_swarm()
                .await
                .map_err(self.api_error(action))?;
            let version = swarm.version.as_ref().and_then(|v| v.index).unwrap_or(0);
            let options = UpdateSwarmOptions {
                version: i64::try_from(version).unwrap_or(i64::MAX),
                rotate_worker_token: kind == TokenKind::Worker,
                rotate_manager_token: kind == TokenKind::Manager,
                rotate_manager_unlock_key: false,
            };
            self.docker
                .update_swarm(swarm.spec.unwrap_or_default(), options)
                .await
                .map_err(self.api_error(action))
        })
        .await?;
        self.join_tokens().await
    }

    /// `docker swarm leave [--force]`. Leaving when not in a swarm is success, so a retried
    /// removal does not fail on its second run.
    pub async fn leave_swarm(&self, force: bool) -> Result<()> {
        match self
            .docker
            .leave_swarm(Some(LeaveSwarmOptions { force }))
            .await
            .map_err(self.api_error("leave the swarm"))
        {
            Err(err) if err.is_not_in_swarm() => Ok(()),
            other => other,
        }
    }
}

fn convert_swarm(swarm: bollard::models::Swarm) -> Swarm {
    Swarm {
        id: swarm.id.unwrap_or_default(),
        name: swarm.spec.and_then(|spec| spec.name).unwrap_or_default(),
    }
}
