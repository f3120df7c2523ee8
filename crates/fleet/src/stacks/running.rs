//! What runs of a stack: the stacks on a swarm, each service's progress towards its current
//! spec, the stack's networks, and removal as `docker stack rm` does it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use flotilla_engine::{DockerClient, FileObjectKind, NodeState, Task};
use flotilla_live::Snapshot;
use flotilla_stack::{
    ModeKind, ServiceProgress, StackNetwork, StackSummary, TaskReport, LABEL_NAMESPACE,
};
use futures::future::try_join_all;
use serde_json::Value;

use super::label;
use crate::{Fleet, FleetError, Listing, Result};

/// How long a removed service's tasks get to let go of the stack's networks.
const NETWORK_RELEASE: Duration = Duration::from_secs(60);

/// The progress of `stack`'s services from a live state: its current tasks, and the failed
/// ones of current specs that say why a service falls short.
fn live_progress(state: &Snapshot, listing: &Listing, stack: &str) -> Vec<ServiceProgress> {
    let nodes_up: HashSet<String> = state
        .nodes
        .values()
        .filter(|n| n.state != NodeState::Down.as_str())
        .map(|n| n.id.clone())
        .collect();
    let mut reports: HashMap<&str, Vec<TaskReport>> = HashMap::new();
    for task in state.tasks.values().chain(&listing.failures) {
        let node_id = task.node_id.clone().unwrap_or_default();
        reports
            .entry(task.service_id.as_str())
            .or_default()
            .push(TaskReport {
                slot: task.slot,
                node: state
                    .nodes
                    .get(&node_id)
                    .map_or_else(|| node_id.clone(), |n| n.hostname.clone()),
                node_id,
                state: task.state.clone(),
                desired_state: task.desired_state.clone(),
                error: task.error.clone().unwrap_or_default(),
                message: String::new(),
            });
    }
    let mut progress: Vec<ServiceProgress> = state
        .services
        .values()
        .filter(|s| s.stack.as_deref() == Some(stack))
        .map(|service| {
            let mode = ModeKind::from_compose_name(&service.mode).unwrap_or(ModeKind::Replicated);
            flotilla_stack::service_progress(
                &service.name,
                mode,
                service.replicas,
                reports
                    .get(service.id.as_str())
                    .map_or(&[][..], Vec::as_slice),
                &nodes_up,
            )
        })
        .collect();
    progress.sort_by(|a, b| a.service.cmp(&b.service));
    progress
}

fn task_report(task: &Task, hostnames: &HashMap<String, String>) -> TaskReport {
    let node_id = task.node_id.clone().unwrap_or_default();
    TaskReport {
        slot: task.slot,
        node: hostnames
            .get(&node_id)
            .cloned()
            .unwrap_or_else(|| node_id.clone()),
        node_id,
        state: task.state.as_str().to_owned(),
        desired_state: task.desired_state.as_str().to_owned(),
        error: task.error.clone().unwrap_or_default(),
        message: task.message.clone(),
    }
}

impl Fleet {
    /// Stacks on the swarm, made by Flotilla or by `docker stack deploy`.
    pub async fn stacks(&self, swarm: &str) -> Result<Vec<StackSummary>> {
        if let Some(listing) = self.watch_swarm(swarm).await?.listing() {
            let mut stacks: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for row in &listing.services {
                if let Some(stack) = &row.stack {
                    stacks
                        .entry(stack.clone())
                        .or_default()
                        .push(row.name.clone());
                }
            }
            // Rows come sorted by name, so each stack's services are too.
            return Ok(stacks
                .into_iter()
                .map(|(name, services)| StackSummary { name, services })
                .collect());
        }
        let record = self.swarm(swarm).await?;
        let services = self
            .with_manager(&record, |client| async move {
                Ok(client.service_specs(Some(LABEL_NAMESPACE)).await?)
            })
            .await?;
        let mut stacks: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for service in &services {
            let stack = service
                .spec
                .get("Labels")
                .and_then(|labels| labels.get(LABEL_NAMESPACE))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            stacks
                .entry(stack)
                .or_default()
                .push(service.name().to_owned());
        }
        Ok(stacks
            .into_iter()
            .map(|(name, mut services)| {
                services.sort();
                StackSummary { name, services }
            })
            .collect())
    }

    /// Each service of `stack` against its current spec, from the swarm's live state (straight
    /// from the engine while that is stale), so any number of pages showing it cost the
    /// engine nothing more.
    pub async fn stack_progress(&self, swarm: &str, stack: &str) -> Result<Vec<ServiceProgress>> {
        let watch = self.watch_swarm(swarm).await?;
        if let Some(listing) = watch.listing() {
            return Ok(live_progress(&watch.snapshot(), &listing, stack));
        }
        let record = self.swarm(swarm).await?;
        self.with_manager(&record, |client| async move {
            let label = label(stack);
            // One call for the tasks of every service, not one per service: a stack of 500
            // services is one request, not 500.
            let (services, nodes, tasks) = futures::try_join!(
                client.service_specs(Some(&label)),
                client.list_nodes(),
                client.up_to_date_tasks()
            )?;
            let nodes_up: HashSet<String> = nodes
                .iter()
                .filter(|n| n.state != NodeState::Down)
                .map(|n| n.id.clone())
                .collect();
            let hostnames: HashMap<String, String> =
                nodes.into_iter().map(|n| (n.id, n.hostname)).collect();
            let mut reports: HashMap<&str, Vec<TaskReport>> = HashMap::new();
            for task in &tasks {
                reports
                    .entry(task.service_id.as_str())
                    .or_default()
                    .push(task_report(task, &hostnames));
            }
            let mut progress: Vec<ServiceProgress> = services
                .iter()
                .map(|service| {
                    let mode = ModeKind::of(&service.spec).unwrap_or(ModeKind::Replicated);
                    flotilla_stack::service_progress(
                        service.name(),
                        mode,
                        mode.wanted(&service.spec),
                        reports
                            .get(service.id.as_str())
                            .map_or(&[][..], Vec::as_slice),
                        &nodes_up,
                    )
                })
                .collect();
            progress.sort_by(|a, b| a.service.cmp(&b.service));
            Ok(progress)
        })
        .await
    }

    /// The stack's networks (made by it; external ones belong to others).
    pub async fn stack_networks(&self, swarm: &str, stack: &str) -> Result<Vec<StackNetwork>> {
        let networks = match self.watch_swarm(swarm).await?.listing() {
            Some(listing) => listing.networks.clone(),
            None => {
                let record = self.swarm(swarm).await?;
                self.with_manager(
                    &record,
                    |client| async move { Ok(client.networks().await?) },
                )
                .await?
            }
        };
        let mut networks: Vec<StackNetwork> = networks
            .into_iter()
            .filter(|n| n.labels.get(LABEL_NAMESPACE).map(String::as_str) == Some(stack))
            .map(|n| StackNetwork {
                name: n.name,
                driver: n.driver,
                scope: n.scope,
            })
            .collect();
        networks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(networks)
    }

    /// Removes the stack's services, then its secrets, configs and networks, as
    /// `docker stack rm` does. Returns the names removed; an absent stack removes nothing.
    pub async fn remove_stack(&self, swarm: &str, stack: &str) -> Result<Vec<String>> {
        let record = self.swarm(swarm).await?;
        let removed = self
            .with_manager(&record, |client| async move {
                let label = label(stack);
                let mut removed = Vec::new();
                let services = client.service_specs(Some(&label)).await?;
                try_join_all(services.iter().map(|s| client.remove_service(&s.id))).await?;
                removed.extend(services.iter().map(|s| s.name().to_owned()));
                for kind in [FileObjectKind::Secret, FileObjectKind::Config] {
                    let objects = client.file_objects(kind, Some(&label)).await?;
                    try_join_all(
                        objects
                            .iter()
                            .map(|o| client.remove_file_object(kind, &o.id)),
                    )
                    .await?;
                    removed.extend(objects.iter().map(|o| o.name().to_owned()));
                }
                let networks: Vec<_> = client
                    .networks()
                    .await?
                    .into_iter()
                    .filter(|n| n.labels.get(LABEL_NAMESPACE).map(String::as_str) == Some(stack))
                    .collect();
                try_join_all(
                    networks
                        .iter()
                        .map(|n| remove_network_when_free(&client, &n.id)),
                )
                .await?;
                removed.extend(networks.into_iter().map(|n| n.name));
                Ok(removed)
            })
            .await;
        self.live_touched(&record.id);
        removed
    }
}

/// Removes a network once the tasks of the services just removed have left it.
async fn remove_network_when_free(client: &DockerClient, id: &str) -> Result<()> {
    let deadline = tokio::time::Instant::now() + NETWORK_RELEASE;
    loop {
        match client.remove_network(id).await {
            Err(err) if err.is_in_use() && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            other => return other.map_err(FleetError::from),
        }
    }
}
