use std::collections::HashMap;

use bollard::models::{NodeSpec, NodeSpecAvailabilityEnum, NodeSpecRoleEnum};
use bollard::query_parameters::{DeleteNodeOptions, UpdateNodeOptions};

use crate::model::convert_node;
use crate::{DockerClient, EngineError, Node, NodeAvailability, NodeRole, Result};

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

    /// Applies `change` to the node's current spec at its current version. Another writer
    /// between our read and our write makes the engine answer "update out of sequence";
    /// we read again and retry once, as the docker CLI's users would by hand.
    pub async fn update_node(&self, id: &str, change: &NodeChange) -> Result<Node> {
        let action = format!("update node {id}");
        let mut attempt = 0;
        loop {
            attempt += 1;
            let node = self
                .docker
                .inspect_node(id)
                .await
                .map_err(self.api_error(&action))?;
            let version = node
                .version
                .as_ref()
                .and_then(|version| version.index)
                .unwrap_or(0);
            let mut spec = node.spec.clone().unwrap_or_default();
            change.apply(&mut spec);
            let options = UpdateNodeOptions {
                version: i64::try_from(version).unwrap_or(i64::MAX),
            };
            match self.docker.update_node(id, spec, options).await {
                Ok(()) => return self.inspect_node(id).await,
                Err(err) => {
                    let err = EngineError::from_bollard(&action, &self.endpoint, err);
                    if attempt == 1 && err.is_out_of_sequence() {
                        tracing::info!(node = id, "node changed under us; retrying once");
                        continue;
                    }
                    return Err(err);
                }
            }
        }
    }

    /// `docker node rm [--force]`.
    pub async fn remove_node(&self, id: &str, force: bool) -> Result<()> {
        self.docker
            .delete_node(id, Some(DeleteNodeOptions { force }))
            .await
            .map_err(self.api_error(&format!("remove node {id}")))
    }
}
