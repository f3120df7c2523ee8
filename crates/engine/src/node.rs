use crate::model::convert_node;
use crate::{DockerClient, Node, Result};

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
}
