//! A swarm as its page shows it: nodes, services and the tasks the scheduler wants running,
//! read at once through one manager.

use flotilla_engine::{Node, Service, Task};
use serde::Serialize;

use crate::{Fleet, Result};

/// One reading of a swarm.
#[derive(Debug, Clone, Serialize)]
pub struct SwarmState {
    pub swarm_id: String,
    pub name: String,
    /// The manager that answered, as its engine URL.
    pub endpoint: String,
    pub api_version: String,
    pub nodes: Vec<Node>,
    pub services: Vec<Service>,
    pub tasks: Vec<Task>,
}

impl Fleet {
    /// Reads `swarm`'s nodes, services and current tasks through one of its managers.
    pub async fn swarm_state(&self, swarm: &str) -> Result<SwarmState> {
        let record = self.swarm(swarm).await?;
        let (endpoint, api_version, nodes, services, tasks) = self
            .with_manager(&record, |client| async move {
                let (nodes, services, tasks) = tokio::try_join!(
                    client.list_nodes(),
                    client.list_services(),
                    client.list_current_tasks()
                )?;
                Ok((
                    client.endpoint().to_owned(),
                    client.api_version(),
                    nodes,
                    services,
                    tasks,
                ))
            })
            .await?;
        Ok(SwarmState {
            swarm_id: record.id,
            name: record.name,
            endpoint,
            api_version,
            nodes,
            services,
            tasks,
        })
    }
}
