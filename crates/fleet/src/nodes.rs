//! Node management: promote, demote, availability, labels, removal.

use std::time::Duration;

use flotilla_engine::{DockerClient, Node, NodeAvailability, NodeChange, NodeRole, NodeState};
use flotilla_store::SwarmRecord;
use serde::{Deserialize, Serialize};

use crate::{Fleet, FleetError, Result};

/// How long a removed node's engine may take to be reported down after it left.
const LEAVE_GRACE: Duration = Duration::from_secs(30);

/// A node with the registered host it runs on, when the console knows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct NodeEntry {
    #[serde(flatten)]
    pub node: Node,
    pub host: Option<String>,
}

struct FoundNode {
    node: Node,
    manager: DockerClient,
    only_manager: bool,
}

/// What an operator can do to one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeAction {
    Promote,
    Demote,
    Availability(NodeAvailability),
    AddLabel { key: String, value: String },
    RemoveLabel(String),
}

/// Label keys as the engine accepts them (`docker node update --label-add`).
fn check_label_key(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.len() <= 128
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c));
    if ok {
        Ok(())
    } else {
        Err(FleetError::invalid(
            "label",
            format!("`{key}` is not a label key: use letters, digits, '.', '_', '-', '/'"),
        ))
    }
}

impl Fleet {
    /// `docker node ls` for `swarm`, each node with its registered host.
    pub async fn nodes(&self, swarm_key: &str) -> Result<Vec<NodeEntry>> {
        let swarm = self.store.find_swarm(swarm_key).await?;
        let nodes = self
            .with_manager(
                &swarm,
                |client| async move { Ok(client.list_nodes().await?) },
            )
            .await?;
        let hosts = self.store.hosts().await?;
        Ok(nodes
            .into_iter()
            .map(|node| NodeEntry {
                host: hosts
                    .iter()
                    .find(|h| h.node_id.as_deref() == Some(&node.id))
                    .map(|h| h.name.clone()),
                node,
            })
            .collect())
    }

    /// The node `node_id` (ID or hostname) of `swarm`, the manager that was asked, and
    /// whether the node is the swarm's only manager. One manager lookup serves the action.
    async fn find_node(&self, swarm: &SwarmRecord, node_id: &str) -> Result<FoundNode> {
        let manager = self.manager(swarm).await?;
        let nodes = manager.list_nodes().await?;
        let managers = nodes.iter().filter(|n| n.role == NodeRole::Manager).count();
        let node = nodes
            .into_iter()
            .find(|n| n.id == node_id || n.hostname == node_id)
            .ok_or_else(|| {
                FleetError::NotFound(format!("swarm {} has no node {node_id}", swarm.name))
            })?;
        Ok(FoundNode {
            only_manager: node.role == NodeRole::Manager && managers <= 1,
            node,
            manager,
        })
    }

    /// Applies one action to node `node_id` (ID or hostname) of `swarm`.
    pub async fn change_node(
        &self,
        swarm_key: &str,
        node_id: &str,
        action: &NodeAction,
    ) -> Result<Node> {
        let swarm = self.store.find_swarm(swarm_key).await?;
        let FoundNode {
            node,
            manager,
            only_manager,
        } = self.find_node(&swarm, node_id).await?;
        let change = match action {
            NodeAction::Promote => NodeChange::Role(NodeRole::Manager),
            NodeAction::Demote => {
                if only_manager {
                    return Err(FleetError::Conflict(format!(
                        "{} is the swarm's last manager; promote another node first",
                        node.hostname
                    )));
                }
                NodeChange::Role(NodeRole::Worker)
            }
            NodeAction::Availability(availability) => NodeChange::Availability(*availability),
            NodeAction::AddLabel { key, value } => {
                check_label_key(key)?;
                NodeChange::AddLabel {
                    key: key.clone(),
                    value: value.clone(),
                }
            }
            NodeAction::RemoveLabel(key) => NodeChange::RemoveLabel(key.clone()),
        };
        let changed = manager.update_node(&node.id, &change).await;
        if matches!(action, NodeAction::Demote) {
            // The node may be the manager this console talks to: find the swarm's way in anew.
            self.engines.forget_manager(&swarm.id);
        }
        Ok(changed?)
    }

    /// Takes a node out of the swarm the way an operator would: drain it, have its host
    /// leave, then remove the node record. A node whose engine is gone (down) can only be
    /// force-removed; a live node without a registered host cannot be made to leave.
    pub async fn remove_node(&self, swarm_key: &str, node_id: &str, force: bool) -> Result<()> {
        let swarm = self.store.find_swarm(swarm_key).await?;
        let FoundNode {
            node,
            manager,
            only_manager,
        } = self.find_node(&swarm, node_id).await?;
        if only_manager {
            return Err(FleetError::Conflict(format!(
                "{} is the swarm's only manager; dissolve the swarm instead",
                node.hostname
            )));
        }
        let host = self
            .store
            .swarm_hosts(&swarm.id)
            .await?
            .into_iter()
            .find(|h| h.node_id.as_deref() == Some(&node.id));
        if node.state == NodeState::Down || force {
            manager.remove_node(&node.id, true).await?;
        } else {
            let Some(host) = &host else {
                return Err(FleetError::Conflict(format!(
                    "{} runs on no registered host, so the console cannot make it leave; \
                     run `docker swarm leave` on it, or force-remove it once it is down",
                    node.hostname
                )));
            };
            manager
                .update_node(&node.id, &NodeChange::Availability(NodeAvailability::Drain))
                .await?;
            if node.role == NodeRole::Manager {
                manager
                    .update_node(&node.id, &NodeChange::Role(NodeRole::Worker))
                    .await?;
            }
            self.client(host).await?.leave_swarm(false).await?;
            self.wait_until_down(&manager, &node.id).await?;
            manager.remove_node(&node.id, false).await?;
        }
        self.engines.forget_manager(&swarm.id);
        if let Some(host) = host {
            self.store.set_host_membership(&host.id, None, None).await?;
            self.refresh_host_id(&host.id).await?;
        }
        Ok(())
    }

    async fn wait_until_down(&self, manager: &DockerClient, node_id: &str) -> Result<()> {
        let deadline = tokio::time::Instant::now() + LEAVE_GRACE;
        loop {
            let node = manager.inspect_node(node_id).await?;
            if node.state == NodeState::Down {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(FleetError::Conflict(format!(
                    "{} left but is still reported {:?} after {}s",
                    node.hostname,
                    node.state,
                    LEAVE_GRACE.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
