//! Reading a swarm into the live state: what each engine call becomes in a [`Snapshot`].

use std::collections::BTreeMap;

use flotilla_engine::{
    DockerClient, ManagerReachability, NetworkSummary, Node, ServiceRecord, Task, TaskState,
};
use flotilla_live::{LiveNode, LiveService, LiveTask};
use flotilla_stack::{split_digest, ServiceRow, LABEL_NAMESPACE};

use crate::Result;

pub(super) fn node(node: Node) -> (String, LiveNode) {
    let live = LiveNode {
        id: node.id.clone(),
        hostname: node.hostname,
        role: node.role.as_str().to_owned(),
        leader: node.manager_status == Some(ManagerReachability::Leader),
        availability: node.availability.as_str().to_owned(),
        state: node.state.as_str().to_owned(),
        cpus: node.cpus,
        memory_bytes: node.memory_bytes,
        labels: node.labels,
        engine_version: node.engine_version,
        address: node.address,
    };
    (node.id, live)
}

pub(super) fn service(record: &ServiceRecord) -> (String, LiveService) {
    let spec = &record.spec;
    let mode = flotilla_stack::ModeKind::of(spec).unwrap_or(flotilla_stack::ModeKind::Replicated);
    let image = spec
        .pointer("/TaskTemplate/ContainerSpec/Image")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    let live = LiveService {
        id: record.id.clone(),
        stack: spec
            .get("Labels")
            .and_then(|labels| labels.get(LABEL_NAMESPACE))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
        name: record.name().to_owned(),
        image: split_digest(image).0,
        mode: mode.compose_name().to_owned(),
        replicas: mode.wanted(spec),
    };
    (record.id.clone(), live)
}

/// Unix milliseconds of an engine timestamp (RFC 3339 with nanoseconds); 0 when unreadable.
fn millis(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|at| (at.unix_timestamp_nanos() / 1_000_000) as i64)
        .unwrap_or(0)
}

pub(super) fn task(task: Task) -> (String, LiveTask) {
    let live = LiveTask {
        id: task.id.clone(),
        service_id: task.service_id,
        node_id: task.node_id,
        slot: task.slot,
        image: split_digest(&task.image).0,
        state: task.state.as_str().to_owned(),
        desired_state: task.desired_state.as_str().to_owned(),
        since: millis(&task.changed_at),
        error: task.error,
    };
    (task.id, live)
}

/// Whether a task is still on its way to where it is wanted (being placed, pulled, started),
/// so another look soon will find it changed.
pub(super) fn settling(task: &LiveTask) -> bool {
    matches!(task.desired_state.as_str(), "running" | "ready")
        && task.state != TaskState::Running.as_str()
        && !matches!(
            task.state.as_str(),
            "complete" | "failed" | "rejected" | "shutdown" | "orphaned" | "remove"
        )
}

pub(super) async fn nodes(client: &DockerClient) -> Result<BTreeMap<String, LiveNode>> {
    Ok(client.list_nodes().await?.into_iter().map(node).collect())
}

/// Every service, as the visualizer shows it and as the services list shows it (one engine
/// call, with the engine's task counts).
pub(super) async fn services(
    client: &DockerClient,
) -> Result<(BTreeMap<String, LiveService>, Vec<ServiceRow>)> {
    let records = client.services(None).await?;
    let live = records.iter().map(service).collect();
    let mut rows: Vec<ServiceRow> = records.iter().map(crate::services::row).collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((live, rows))
}

pub(super) async fn networks(client: &DockerClient) -> Result<Vec<NetworkSummary>> {
    Ok(client.networks().await?)
}

/// The list's running counts from the tasks just read, so they move with the tasks without
/// listing every service again.
pub(super) fn count_running(rows: &mut [ServiceRow], tasks: &BTreeMap<String, LiveTask>) {
    let mut running: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for task in tasks.values() {
        if task.state == "running" && task.desired_state == "running" {
            *running.entry(task.service_id.as_str()).or_default() += 1;
        }
    }
    for row in rows {
        row.running = running.get(row.id.as_str()).copied().unwrap_or(0);
    }
}

/// Whether a service falls short of the tasks it wants, or tasks are still on their way: then
/// the stopped tasks of current specs say why.
pub(super) fn short(state: &flotilla_live::Snapshot) -> bool {
    let mut running: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for task in state.tasks.values() {
        if settling(task) {
            return true;
        }
        if task.state == "running" || task.state == "complete" {
            *running.entry(task.service_id.as_str()).or_default() += 1;
        }
    }
    state.services.values().any(|service| {
        service.mode == "replicated"
            && service.replicas.unwrap_or(0)
                > running.get(service.id.as_str()).copied().unwrap_or(0)
    })
}

/// The failed and rejected tasks of the services' current specs.
pub(super) async fn failures(client: &DockerClient) -> Result<Vec<LiveTask>> {
    Ok(client
        .stopped_current_tasks()
        .await?
        .into_iter()
        .map(|t| task(t).1)
        .filter(|t| matches!(t.state.as_str(), "failed" | "rejected"))
        .collect())
}

pub(super) async fn tasks(client: &DockerClient) -> Result<BTreeMap<String, LiveTask>> {
    Ok(client
        .list_current_tasks()
        .await?
        .into_iter()
        .map(task)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_times_become_milliseconds() {
        assert_eq!(millis("1970-01-01T00:00:01.5Z"), 1500);
        assert_eq!(millis("2026-12-02T10:00:00.123456789Z") % 1000, 123);
        assert_eq!(millis("yesterday"), 0);
    }
}
