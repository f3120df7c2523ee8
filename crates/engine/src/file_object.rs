//! Secrets and configs: the two swarm objects that carry file content into containers, with
//! the same lifecycle (`docker secret|config ls / create / rm`; only labels may change).

use bollard::models::{ConfigSpec, SecretSpec};
use bollard::query_parameters::{ListConfigsOptions, ListSecretsOptions};
use serde_json::Value;

use crate::spec::{label_filter, spec_from, stored};
use crate::{DockerClient, FileObjectKind, Result, StoredObject};

impl DockerClient {
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
}
