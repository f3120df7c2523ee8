//! Services: `docker service ls / create / update / rm`, with specs as Engine API JSON for
//! stacks and Flotilla's own [`Service`] for lists.

use bollard::models::{
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec,
};
use bollard::query_parameters::{ListServicesOptions, UpdateServiceOptions};
use serde_json::Value;

use crate::spec::{label_filter, spec_from, stored};
use crate::{DockerClient, Result, Service, ServiceMode, StoredObject};

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

    /// Services with their specs as JSON, optionally only those carrying `label`.
    pub async fn service_specs(&self, label: Option<&str>) -> Result<Vec<StoredObject>> {
        let options = ListServicesOptions {
            filters: label.map(label_filter),
            status: None,
        };
        let services = self
            .docker
            .list_services(Some(options))
            .await
            .map_err(self.api_error("list services"))?;
        Ok(services
            .into_iter()
            .map(|s| stored(s.id, s.version.as_ref(), &s.spec))
            .collect())
    }

    /// One service's spec as JSON, with its current version.
    pub async fn service_spec(&self, name_or_id: &str) -> Result<StoredObject> {
        let service = self
            .docker
            .inspect_service(name_or_id, None)
            .await
            .map_err(self.api_error(&format!("inspect service {name_or_id}")))?;
        Ok(stored(service.id, service.version.as_ref(), &service.spec))
    }

    /// Creates a service from a full spec; returns its ID.
    pub async fn create_service_spec(&self, spec: &Value) -> Result<String> {
        let spec: ServiceSpec = spec_from("create service", spec)?;
        let action = format!("create service {}", spec.name.clone().unwrap_or_default());
        let created = self
            .docker
            .create_service(spec, None)
            .await
            .map_err(self.api_error(&action))?;
        Ok(created.id.unwrap_or_default())
    }

    /// Replaces a service's spec, as of `version`; returns the engine's warnings.
    pub async fn update_service_spec(
        &self,
        id: &str,
        version: u64,
        spec: &Value,
    ) -> Result<Vec<String>> {
        let action = format!("update service {id}");
        let spec: ServiceSpec = spec_from(&action, spec)?;
        let options = UpdateServiceOptions {
            version: i32::try_from(version).unwrap_or(i32::MAX),
            ..Default::default()
        };
        let response = self
            .docker
            .update_service(id, spec, options, None)
            .await
            .map_err(self.api_error(&action))?;
        Ok(response.warnings.unwrap_or_default())
    }
}

fn convert_service(service: bollard::models::Service) -> Service {
    let spec = service.spec.unwrap_or_default();
    let mode = match spec.mode.unwrap_or_default() {
        mode if mode.global.is_some() => ServiceMode::Global,
        mode if mode.replicated_job.is_some() => ServiceMode::ReplicatedJob,
        mode if mode.global_job.is_some() => ServiceMode::GlobalJob,
        mode => ServiceMode::Replicated {
            // The engine omits Replicas when it is the default of one.
            replicas: mode
                .replicated
                .and_then(|replicated| replicated.replicas)
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(1),
        },
    };
    Service {
        id: service.id.unwrap_or_default(),
        name: spec.name.unwrap_or_default(),
        image: spec
            .task_template
            .and_then(|template| template.container_spec)
            .and_then(|container| container.image)
            .unwrap_or_default(),
        mode,
        labels: spec.labels.unwrap_or_default().into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replicated_service_without_replicas_has_one() {
        let service = bollard::models::Service {
            spec: Some(bollard::models::ServiceSpec {
                name: Some("web".into()),
                mode: Some(bollard::models::ServiceSpecMode {
                    replicated: Some(Default::default()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            convert_service(service).mode,
            ServiceMode::Replicated { replicas: 1 }
        );
    }
}
