//! The Docker engine this console instance talks to, shared by every request.

use flotilla_engine::{DockerClient, Endpoint, Result};
use tokio::sync::OnceCell;

/// Connects lazily and keeps the connection: an engine that is down at start-up is picked
/// up by the first request after it comes back, without restarting the console.
#[derive(Debug)]
pub struct Engine {
    endpoint: Endpoint,
    client: OnceCell<DockerClient>,
}

impl Engine {
    pub fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            client: OnceCell::new(),
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub async fn client(&self) -> Result<&DockerClient> {
        self.client
            .get_or_try_init(|| DockerClient::connect(&self.endpoint))
            .await
    }
}
