//! Services: `docker service ls / create / update / rm`, with specs as Engine API JSON for
//! stacks and Flotilla's own [`Service`] for lists.

use bollard::models::{
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec,
};
use hyper::Method;
use serde_json::Value;

use crate::model::{PublishedPort, UpdateStatus};
use crate::{
    DockerClient, RegistryAuth, Result, Service, ServiceMode, ServiceRecord, StoredObject,
};

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

    /// Services with their specs exactly as the engine has them, and their status,
    /// optionally only those carrying `label` (`key` or `key=value`).
    pub async fn services(&self, label: Option<&str>) -> Result<Vec<ServiceRecord>> {
        let mut path = "/services?status=true".to_owned();
        if let Some(label) = label {
            let filters = serde_json::json!({ "label": [label] }).to_string();
            path.push_str(&format!("&filters={}", percent_encode(&filters)));
        }
        let listed = self
            .raw_json(Method::GET, &path, None, "list services")
            .await?;
        Ok(listed
            .as_array()
            .map(|services| services.iter().map(convert_record).collect())
            .unwrap_or_default())
    }

    /// Services with their specs as JSON, optionally only those carrying `label`.
    pub async fn service_specs(&self, label: Option<&str>) -> Result<Vec<StoredObject>> {
        Ok(self
            .services(label)
            .await?
            .iter()
            .map(ServiceRecord::stored)
            .collect())
    }

    /// One service (by name or ID), its spec exactly as the engine has it.
    pub async fn service(&self, name_or_id: &str) -> Result<ServiceRecord> {
        let found = self
            .raw_json(
                Method::GET,
                &format!("/services/{}", percent_encode(name_or_id)),
                None,
                &format!("inspect service {name_or_id}"),
            )
            .await?;
        Ok(convert_record(&found))
    }

    /// One service's spec as JSON, with its current version.
    pub async fn service_spec(&self, name_or_id: &str) -> Result<StoredObject> {
        Ok(self.service(name_or_id).await?.stored())
    }

    /// Creates a service from a full spec, with `auth` for the nodes to pull its image;
    /// returns its ID.
    pub async fn create_service_spec(
        &self,
        spec: &Value,
        auth: Option<&RegistryAuth>,
    ) -> Result<String> {
        let name = spec.get("Name").and_then(Value::as_str).unwrap_or_default();
        let created = self
            .raw_json_with(
                Method::POST,
                "/services/create",
                Some(spec),
                auth,
                &format!("create service {name}"),
            )
            .await?;
        Ok(created
            .get("ID")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned())
    }

    /// Replaces a service's spec, as of `version`, with `auth` for the nodes to pull its
    /// image; returns the engine's warnings.
    pub async fn update_service_spec(
        &self,
        id: &str,
        version: u64,
        spec: &Value,
        auth: Option<&RegistryAuth>,
    ) -> Result<Vec<String>> {
        self.post_update(
            id,
            version,
            spec,
            ("", auth),
            &format!("update service {id}"),
        )
        .await
    }

    /// `docker service rollback`: the engine puts the service back on its previous spec.
    /// `spec` and `version` are the current ones, as the CLI sends them.
    pub async fn rollback_service(
        &self,
        id: &str,
        version: u64,
        spec: &Value,
    ) -> Result<Vec<String>> {
        self.post_update(
            id,
            version,
            spec,
            ("&rollback=previous", None),
            &format!("roll back service {id}"),
        )
        .await
    }

    async fn post_update(
        &self,
        id: &str,
        version: u64,
        spec: &Value,
        (extra, auth): (&str, Option<&RegistryAuth>),
        action: &str,
    ) -> Result<Vec<String>> {
        let answer = self
            .raw_json_with(
                Method::POST,
                &format!(
                    "/services/{}/update?version={version}{extra}",
                    percent_encode(id)
                ),
                Some(spec),
                auth,
                action,
            )
            .await?;
        Ok(answer
            .get("Warnings")
            .and_then(Value::as_array)
            .map(|w| {
                w.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// `text` safe in a URL's path or query: everything but unreserved characters escaped.
pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn text(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn convert_record(service: &Value) -> ServiceRecord {
    let count = |key: &str| {
        service
            .pointer(&format!("/ServiceStatus/{key}"))
            .and_then(Value::as_u64)
    };
    let update = service.get("UpdateStatus").and_then(|status| {
        Some(UpdateStatus {
            state: text(status, "/State")?,
            message: text(status, "/Message").unwrap_or_default(),
            started_at: text(status, "/StartedAt"),
            completed_at: text(status, "/CompletedAt"),
        })
    });
    let ports = service
        .pointer("/Endpoint/Ports")
        .and_then(Value::as_array)
        .map(|ports| {
            ports
                .iter()
                .map(|port| PublishedPort {
                    published: port
                        .get("PublishedPort")
                        .and_then(Value::as_u64)
                        .unwrap_or(0) as u16,
                    target: port.get("TargetPort").and_then(Value::as_u64).unwrap_or(0) as u16,
                    protocol: text(port, "/Protocol").unwrap_or_else(|| "tcp".into()),
                    mode: text(port, "/PublishMode").unwrap_or_else(|| "ingress".into()),
                })
                .collect()
        })
        .unwrap_or_default();
    ServiceRecord {
        id: text(service, "/ID").unwrap_or_default(),
        version: service
            .pointer("/Version/Index")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        spec: service.get("Spec").cloned().unwrap_or(Value::Null),
        created_at: text(service, "/CreatedAt").unwrap_or_default(),
        updated_at: text(service, "/UpdatedAt").unwrap_or_default(),
        update,
        running: count("RunningTasks").unwrap_or(0),
        desired: count("DesiredTasks").unwrap_or(0),
        has_previous: service.get("PreviousSpec").is_some_and(|p| !p.is_null()),
        ports,
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
