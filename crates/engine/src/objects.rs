//! Networks, secrets, configs and services as stacks deploy them. Specs cross this boundary
//! as Engine API JSON, so the stack planner can build and diff them without bollard; they
//! are checked against bollard's models here, on the way in and out.

use std::collections::HashMap;

use bollard::models::{ConfigSpec, NetworkCreateRequest, SecretSpec, ServiceSpec};
use bollard::query_parameters::{
    ListConfigsOptions, ListNetworksOptions, ListSecretsOptions, ListServicesOptions,
    ListTasksOptions, UpdateServiceOptions,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{DockerClient, EngineError, Result};

/// An object the swarm stores, with its spec as Engine API JSON.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub id: String,
    pub version: u64,
    pub spec: Value,
}

/// The two swarm objects that carry file content into a service's containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileObjectKind {
    Secret,
    Config,
}

impl std::fmt::Display for FileObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileObjectKind::Secret => "secret",
            FileObjectKind::Config => "config",
        })
    }
}

/// A network's identity and where it lives.
#[derive(Debug, Clone)]
pub struct NetworkSummary {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub scope: String,
    pub labels: HashMap<String, String>,
}

/// One task of a service, as deploy progress counts them.
#[derive(Debug, Clone)]
pub struct ServiceTask {
    pub id: String,
    pub slot: Option<u64>,
    pub node_id: String,
    pub desired_state: String,
    pub state: String,
    pub error: String,
    pub message: String,
}

fn label_filter(label: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_owned(), vec![label.to_owned()])])
}

fn stored<S: serde::Serialize>(
    id: Option<String>,
    version: Option<&bollard::models::ObjectVersion>,
    spec: &S,
) -> StoredObject {
    StoredObject {
        id: id.unwrap_or_default(),
        version: version_of(version),
        spec: to_json(spec),
    }
}

fn spec_from<T: DeserializeOwned>(action: &str, spec: &Value) -> Result<T> {
    serde_json::from_value(spec.clone()).map_err(|err| EngineError::Api {
        action: action.to_owned(),
        endpoint: String::new(),
        status: None,
        message: format!("the spec does not fit the Engine API: {err}"),
    })
}

/// Whether `spec` (a `network`, `secret`, `config` or `service`) fits the Engine API, so a
/// deploy can refuse a bad spec before it changes anything.
pub fn check_spec(kind: &str, spec: &Value) -> std::result::Result<(), String> {
    let fits = match kind {
        "network" => serde_json::from_value::<NetworkCreateRequest>(spec.clone()).map(drop),
        "secret" => serde_json::from_value::<SecretSpec>(spec.clone()).map(drop),
        "config" => serde_json::from_value::<ConfigSpec>(spec.clone()).map(drop),
        "service" => serde_json::from_value::<ServiceSpec>(spec.clone()).map(drop),
        other => return Err(format!("no such kind of spec: {other}")),
    };
    fits.map_err(|err| format!("the {kind} spec does not fit the Engine API: {err}"))
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn version_of(version: Option<&bollard::models::ObjectVersion>) -> u64 {
    version.and_then(|v| v.index).unwrap_or(0)
}

impl DockerClient {
    /// Every network the manager knows, swarm- and node-scoped.
    pub async fn networks(&self) -> Result<Vec<NetworkSummary>> {
        let networks = self
            .docker
            .list_networks(None::<ListNetworksOptions>)
            .await
            .map_err(self.api_error("list networks"))?;
        Ok(networks
            .into_iter()
            .map(|n| NetworkSummary {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
                driver: n.driver.unwrap_or_default(),
                scope: n.scope.unwrap_or_default(),
                labels: n.labels.unwrap_or_default(),
            })
            .collect())
    }

    pub async fn create_network(&self, request: &Value) -> Result<String> {
        let action = "create network";
        let request: NetworkCreateRequest = spec_from(action, request)?;
        let name = request.name.clone();
        let created = self
            .docker
            .create_network(request)
            .await
            .map_err(self.api_error(&format!("create network {name}")))?;
        Ok(created.id)
    }

    pub async fn remove_network(&self, id: &str) -> Result<()> {
        self.docker
            .remove_network(id)
            .await
            .map_err(self.api_error(&format!("remove network {id}")))
    }

    /// Secrets or configs, optionally only those carrying `label` (`key=value` or `key`).
    pub async fn file_objects(
        &self,
        kind: FileObjectKind,
        label: Option<&str>,
    ) -> Result<Vec<StoredObject>> {
        let filters = label.map(label_filter);
        let listed = match kind {
            FileObjectKind::Secret => self
                .docker
                .list_secrets(Some(ListSecretsOptions { filters }))
                .await
                .map(|all| {
                    all.into_iter()
                        .map(|s| stored(s.id, s.version.as_ref(), &s.spec))
                        .collect()
                }),
            FileObjectKind::Config => self
                .docker
                .list_configs(Some(ListConfigsOptions { filters }))
                .await
                .map(|all| {
                    all.into_iter()
                        .map(|c| stored(c.id, c.version.as_ref(), &c.spec))
                        .collect()
                }),
        };
        listed.map_err(self.api_error(&format!("list {kind}s")))
    }

    pub async fn create_file_object(&self, kind: FileObjectKind, spec: &Value) -> Result<String> {
        let name = spec.get("Name").and_then(Value::as_str).unwrap_or_default();
        let action = format!("create {kind} {name}");
        let created = match kind {
            FileObjectKind::Secret => {
                let spec: SecretSpec = spec_from(&action, spec)?;
                self.docker.create_secret(spec).await
            }
            FileObjectKind::Config => {
                let spec: ConfigSpec = spec_from(&action, spec)?;
                self.docker.create_config(spec).await
            }
        };
        Ok(created.map_err(self.api_error(&action))?.id)
    }

    /// Swarm lets only labels change; `version` is the one the spec was read at.
    pub async fn update_file_object(
        &self,
        kind: FileObjectKind,
        id: &str,
        version: u64,
        spec: &Value,
    ) -> Result<()> {
        let action = format!("update {kind} {id}");
        let version = i64::try_from(version).unwrap_or(i64::MAX);
        let updated = match kind {
            FileObjectKind::Secret => {
                let spec: SecretSpec = spec_from(&action, spec)?;
                let options = bollard::query_parameters::UpdateSecretOptions { version };
                self.docker.update_secret(id, spec, options).await
            }
            FileObjectKind::Config => {
                let spec: ConfigSpec = spec_from(&action, spec)?;
                let options = bollard::query_parameters::UpdateConfigOptions { version };
                self.docker.update_config(id, spec, options).await
            }
        };
        updated.map_err(self.api_error(&action))
    }

    pub async fn remove_file_object(&self, kind: FileObjectKind, id: &str) -> Result<()> {
        let removed = match kind {
            FileObjectKind::Secret => self.docker.delete_secret(id).await,
            FileObjectKind::Config => self.docker.delete_config(id).await,
        };
        removed.map_err(self.api_error(&format!("remove {kind} {id}")))
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

    /// A service's tasks; `up_to_date` keeps only those made from its current spec (the
    /// filter `docker stack deploy`'s progress display uses).
    pub async fn service_tasks(
        &self,
        service_id: &str,
        up_to_date: bool,
    ) -> Result<Vec<ServiceTask>> {
        let mut filters = HashMap::from([("service".to_owned(), vec![service_id.to_owned()])]);
        if up_to_date {
            filters.insert("_up-to-date".to_owned(), vec!["true".to_owned()]);
        }
        let tasks = self
            .docker
            .list_tasks(Some(ListTasksOptions {
                filters: Some(filters),
            }))
            .await
            .map_err(self.api_error(&format!("list tasks of {service_id}")))?;
        Ok(tasks
            .into_iter()
            .map(|t| {
                let status = t.status.unwrap_or_default();
                ServiceTask {
                    id: t.id.unwrap_or_default(),
                    slot: t.slot.and_then(|s| u64::try_from(s).ok()),
                    node_id: t.node_id.unwrap_or_default(),
                    desired_state: t.desired_state.map(|s| s.to_string()).unwrap_or_default(),
                    state: status.state.map(|s| s.to_string()).unwrap_or_default(),
                    error: status.err.unwrap_or_default(),
                    message: status.message.unwrap_or_default(),
                }
            })
            .collect())
    }
}
