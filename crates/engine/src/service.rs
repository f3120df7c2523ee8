use bollard::models::{
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec,
};

use crate::model::convert_service;
use crate::{DockerClient, Result, Service};

/// `docker service create --name NAME --replicas N IMAGE [COMMAND…]`.
#[derive(Debug, Clone)]
pub struct ServiceCreate {
    pub name: String,
    pub image: String,
    pub replicas: u64,
    pub command: Vec<String>,
}

impl DockerClient {
    /// Every service in the swarm (`docker service ls`), sorted by name.
    pub async fn list_services(&self) -> Result<Vec<Service>> {
        let services = self
            .docker
            .list_services(None)
            .await
            .map_err(self.api_error("list services"))?;
        let mut services: Vec<Service> = services.into_iter().map(convert_service).collect();
        services.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(services)
    }

    /// Creates a replicated service; returns its ID.
    pub async fn create_service(&self, create: &ServiceCreate) -> Result<String> {
        let spec = ServiceSpec {
            name: Some(create.name.clone()),
            mode: Some(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(i64::try_from(create.replicas).unwrap_or(i64::MAX)),
                }),
                ..Default::default()
            }),
            task_template: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    image: Some(create.image.clone()),
                    args: (!create.command.is_empty()).then(|| create.command.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let response = self
            .docker
            .create_service(spec, None)
            .await
            .map_err(self.api_error(&format!("create service {}", create.name)))?;
        Ok(response.id.unwrap_or_default())
    }

    pub async fn remove_service(&self, name_or_id: &str) -> Result<()> {
        self.docker
            .delete_service(name_or_id)
            .await
            .map_err(self.api_error(&format!("remove service {name_or_id}")))
    }
}
