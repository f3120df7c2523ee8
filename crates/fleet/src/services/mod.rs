//! Services: the list (one engine call for all of them, with their task counts), a
//! service's page, its actions ([`actions`]) and its logs.

mod actions;
mod detail;

use std::collections::HashMap;

use flotilla_engine::{LogLine, LogRequest, LogSource, ServiceRecord};
use flotilla_stack::{
    page_of, split_digest, ServicePage, ServiceQuery, ServiceRow, UpdateState, LABEL_NAMESPACE,
};
use futures::stream::BoxStream;
use serde_json::Value;

pub use actions::{Recording, ServiceAction, MAX_REPLICAS};

use crate::{Fleet, Result};

/// The mode as the list names it.
fn mode_name(spec: &Value) -> &'static str {
    match flotilla_stack::ModeKind::of(spec) {
        Some(flotilla_stack::ModeKind::Global) => "global",
        Some(flotilla_stack::ModeKind::ReplicatedJob) => "replicated job",
        Some(flotilla_stack::ModeKind::GlobalJob) => "global job",
        _ => "replicated",
    }
}

/// The image a service spec runs, as the engine holds it (with a digest when pinned).
pub(crate) fn image_of(spec: &Value) -> String {
    spec.pointer("/TaskTemplate/ContainerSpec/Image")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn stack_of(spec: &Value) -> Option<String> {
    spec.get("Labels")
        .and_then(|labels| labels.get(LABEL_NAMESPACE))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

pub(crate) fn row(record: &ServiceRecord) -> ServiceRow {
    let spec = &record.spec;
    let image = spec
        .pointer("/TaskTemplate/ContainerSpec/Image")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (image, digest) = split_digest(image);
    ServiceRow {
        id: record.id.clone(),
        name: record.name().to_owned(),
        stack: stack_of(spec),
        mode: mode_name(spec).to_owned(),
        running: record.running,
        desired: record.desired,
        image,
        digest,
        ports: record
            .ports
            .iter()
            .map(|p| {
                let host = if p.mode == "host" { " (host)" } else { "" };
                format!("{}:{}/{}{host}", p.published, p.target, p.protocol)
            })
            .collect(),
        update: record.update.as_ref().map(|u| UpdateState {
            state: u.state.clone(),
            message: u.message.clone(),
            started_at: u.started_at.clone(),
            completed_at: u.completed_at.clone(),
        }),
        updated_at: record.updated_at.clone(),
    }
}

impl Fleet {
    /// A page of `swarm`'s services as `query` filters and sorts them.
    /// Read from the swarm's live state (see [`crate::live`]), which the first view starts
    /// following; straight from the engine while that state is stale.
    pub async fn services(&self, swarm: &str, query: &ServiceQuery) -> Result<ServicePage> {
        if let Some(listing) = self.watch_swarm(swarm).await?.listing() {
            let rows = listing
                .services
                .iter()
                .filter(|row| query.stack.is_none() || row.stack == query.stack)
                .cloned()
                .collect();
            return Ok(page_of(rows, query));
        }
        let record = self.swarm(swarm).await?;
        let label = query
            .stack
            .as_ref()
            .map(|stack| format!("{LABEL_NAMESPACE}={stack}"));
        let services = self
            .with_manager(&record, |client| async move {
                Ok(client.services(label.as_deref()).await?)
            })
            .await?;
        Ok(page_of(services.iter().map(row).collect(), query))
    }

    /// A service's or one task's output, as it comes when `request.follow`.
    pub async fn service_logs(
        &self,
        swarm: &str,
        service: &str,
        task: Option<&str>,
        request: &LogRequest,
    ) -> Result<BoxStream<'static, flotilla_engine::Result<LogLine>>> {
        let record = self.swarm(swarm).await?;
        let (service, task) = (service.to_owned(), task.map(str::to_owned));
        self.with_manager(&record, |client| async move {
            // Resolve the name first: a task must be the service's own.
            let found = client.service(&service).await?;
            let source = match task {
                Some(task) => {
                    let tasks = client.service_tasks(&found.id, false).await?;
                    let task = tasks
                        .into_iter()
                        .find(|t| t.id == task || t.id.starts_with(&task))
                        .ok_or_else(|| {
                            crate::FleetError::NotFound(format!(
                                "service {} has no task {task}",
                                found.name()
                            ))
                        })?;
                    LogSource::Task(task.id)
                }
                None => LogSource::Service(found.id.clone()),
            };
            Ok(client.logs(&source, request).await?)
        })
        .await
    }

    /// Hostnames by node ID, for naming where tasks run.
    async fn hostnames(
        &self,
        client: &flotilla_engine::DockerClient,
    ) -> Result<HashMap<String, String>> {
        Ok(client
            .list_nodes()
            .await?
            .into_iter()
            .map(|n| (n.id, n.hostname))
            .collect())
    }
}
