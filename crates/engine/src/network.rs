//! Networks: `docker network ls / create / rm`.

use bollard::models::NetworkCreateRequest;
use bollard::query_parameters::ListNetworksOptions;
use serde_json::Value;

use crate::spec::spec_from;
use crate::{DockerClient, NetworkSummary, Result};

impl DockerClient {
    /// Every network the manager knows, swarm- and node-scoped.
    pub async fn networks(&self) -> Result<Vec<NetworkSummary>> {
        let networks = self
            .docker
            .list_networks(None::<ListNetworksOptions>)
            .await
            .map_err(self.api_error("list networks"))?;
        Ok(networks.into_iter().map(convert_network).collect())
    }

    /// Creates a network from an Engine API create request; returns its ID.
    pub async fn create_network(&self, request: &Value) -> Result<String> {
        let request: NetworkCreateRequest = spec_from("create network", request)?;
        let action = format!("create network {}", request.name);
        let created = self
            .docker
            .create_network(request)
            .await
            .map_err(self.api_error(&action))?;
        Ok(created.id)
    }

    pub async fn remove_network(&self, id: &str) -> Result<()> {
        self.docker
            .remove_network(id)
            .await
            .map_err(self.api_error(&format!("remove network {id}")))
    }
}

fn convert_network(network: bollard::models::Network) -> NetworkSummary {
    NetworkSummary {
        id: network.id.unwrap_or_default(),
        name: network.name.unwrap_or_default(),
        driver: network.driver.unwrap_or_default(),
        scope: network.scope.unwrap_or_default(),
        labels: network.labels.unwrap_or_default(),
    }
}
