//! Swarm nodes: `docker node ls / inspect / update / rm`.

use std::collections::HashMap;

use bollard::models::{NodeSpec, NodeSpecAvailabilityEnum, NodeSpecRoleEnum};
use bollard::query_parameters::{DeleteNodeOptions, UpdateNodeOptions};

use crate::retry::retry_on_stale_version;
use crate::{
    DockerClient, ManagerReachability, Node, NodeAvailability, NodeRole, NodeState, Result,
};

/// One change to a node's spec (`docker node update` / `promote` / `demote`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeChange {
    Role(NodeRole),
    Availability(NodeAvailability),
    AddLabel { key: String, value: String },
    RemoveLabel(String),
}

impl NodeChange {
    fn apply(&self, spec: &mut NodeSpec) {
        match self {
            Self::Role(role) => {
                spec.role = Some(match role {
                    NodeRole::Manager => NodeSpecRoleEnum::MANAGER,
                    NodeRole::Worker => NodeSpecRoleEnum::WORKER,
                })
            }
            Self::Availability(availability) => {
                spec.availability = Some(match availability {
                    NodeAvailability::Active => NodeSpecAvailabilityEnum::ACTIVE,
                    NodeAvailability::Pause => NodeSpecAvailabilityEnum::PAUSE,
                    NodeAvailability::Drain => NodeSpecAvailabilityEnum::DRAIN,
                })
            }
            Self::AddLabel { key, value } => {
                spec.labels
                    .get_or_insert_with(HashMap::new)
                    .insert(key.clone(), value.clone());
            }
            Self::RemoveLabel(key) => {
                if let Some(labels) = spec.labels.as_mut() {
                    labels.remove(key);
                }
            }
        }
    }
}

impl DockerClient {
    /// Every node of the swarm this engine manages (`docker node ls`), sorted by hostname.
    pub async fn list_nodes(&self) -> Result<Vec<Node>> {
        let nodes = self
            .docker
            .list_nodes(None)
            .await
            .map_err(self.api_error("list nodes"))?;
        let mut nodes: Vec<Node> = nodes.into_iter().map(convert_node).collect();
        nodes.sort_by(|a, b| a.hostname.cmp(&b.hostname).then_with(|| a.id.cmp(&b.id)));
        Ok(nodes)
    }

    pub async fn inspect_node(&self, id: &str) -> Result<Node> {
        let node = self
            .docker
            .inspect_node(id)
            .await
            .map_err(self.api_error(&format!("inspect node {id}")))?;
        Ok(convert_node(node))
    }

    /// Applies `change` to the node's current spec at its current version, reading it again
    /// when another writer got there first.
    pub async fn update_node(&self, id: &str, change: &NodeChange) -> Result<Node> {
        let action = format!("update node {id}");
        retry_on_stale_version(|_| async {
            let node = self
                .docker
                .inspect_node(id)
                .await
                .map_err(self.api_error(&action))?;
            let version = node.version.as_ref().and_then(|v| v.index).unwrap_or(0);
            let mut spec = node.spec.clone().unwrap_or_default();
            change.apply(&mut spec);
            let options = UpdateNodeOptions {
                version: i64::try_from(version).unwrap_or(i64::MAX),
            };
            self.docker
                .update_node(id, spec, options)
                .await
                .map_err(self.api_error(&action))
        })
        .await?;
        self.inspect_node(id).await
    }

    /// `docker node rm [--force]`.
    pub async fn remove_node(&self, id: &str, force: bool) -> Result<()> {
        self.docker
            .delete_node(id, Some(DeleteNodeOptions { force }))
            .await
            .map_err(self.api_error(&format!("remove node {id}")))
    }
}

fn convert_node(node: bollard::models::Node) -> Node {
    use bollard::models::{
        NodeSpecAvailabilityEnum as A, NodeSpecRoleEnum as R, NodeState as S, Reachability,
    };
    let spec = node.spec.unwrap_or_default();
    let description = node.description.unwrap_or_default();
    let status = node.status.unwrap_or_default();
    let resources = description.resources.unwrap_or_default();
    let manager_addr = node
        .manager_status
        .as_ref()
        .and_then(|manager| manager.addr.clone());
    let manager_status = node.manager_status.map(|manager| {
        if manager.leader.unwrap_or(false) {
            ManagerReachability::Leader
        } else {
            match manager.reachability {
                Some(Reachability::REACHABLE) => ManagerReachability::Reachable,
                Some(Reachability::UNREACHABLE) => ManagerReachability::Unreachable,
                _ => ManagerReachability::Unknown,
            }
        }
    });
    Node {
        id: node.id.unwrap_or_default(),
        hostname: description.hostname.unwrap_or_default(),
        role: match spec.role {
            Some(R::MANAGER) => NodeRole::Manager,
            _ => NodeRole::Worker,
        },
        availability: match spec.availability {
            Some(A::PAUSE) => NodeAvailability::Pause,
            Some(A::DRAIN) => NodeAvailability::Drain,
            _ => NodeAvailability::Active,
        },
        state: match status.state {
            Some(S::READY) => NodeState::Ready,
            Some(S::DOWN) => NodeState::Down,
            Some(S::DISCONNECTED) => NodeState::Disconnected,
            _ => NodeState::Unknown,
        },
        manager_status,
        manager_addr,
        address: status.addr.unwrap_or_default(),
        engine_version: description
            .engine
            .and_then(|engine| engine.engine_version)
            .unwrap_or_default(),
        // NanoCPUs: billionths of a CPU, as the engine reports them.
        cpus: resources.nano_cpus.unwrap_or(0) as f64 / 1e9,
        memory_bytes: resources
            .memory_bytes
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0),
        labels: spec.labels.unwrap_or_default().into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leader_reports_as_leader() {
        let node = bollard::models::Node {
            manager_status: Some(bollard::models::ManagerStatus {
                leader: Some(true),
                reachability: Some(bollard::models::Reachability::REACHABLE),
                addr: None,
            }),
            spec: Some(bollard::models::NodeSpec {
                role: Some(bollard::models::NodeSpecRoleEnum::MANAGER),
                ..Default::default()
            }),
            ..Default::default()
        };
        let node = convert_node(node);
        assert_eq!(node.role, NodeRole::Manager);
        assert_eq!(node.manager_status, Some(ManagerReachability::Leader));
    }
}
