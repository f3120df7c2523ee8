//! A service's page: what its spec says, in words, and its tasks with their history.

use std::collections::HashMap;

use flotilla_engine::TaskState;
use flotilla_stack::{EnvVar, ServiceDetail, TaskRow};
use serde_json::Value;

use super::row;
use crate::{Fleet, Result};

fn texts(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Nanoseconds as people read them: `5s`, `1m30s`, `250ms`.
fn duration(nanos: u64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", nanos / 1_000_000);
    }
    let seconds = nanos / 1_000_000_000;
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let (mut value, mut unit) = (n as f64, 0);
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.0}{}", UNITS[unit])
}

/// `cpus 0.5, memory 256MiB, pids 100` from a Limits or Reservations object.
fn resources(value: Option<&Value>) -> Vec<String> {
    let Some(value) = value else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(nano) = value
        .get("NanoCPUs")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
    {
        out.push(format!("cpus {}", nano as f64 / 1e9));
    }
    if let Some(memory) = value
        .get("MemoryBytes")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
    {
        out.push(format!("memory {}", bytes(memory)));
    }
    if let Some(pids) = value.get("Pids").and_then(Value::as_u64).filter(|n| *n > 0) {
        out.push(format!("pids {pids}"));
    }
    out
}

fn update_config(value: Option<&Value>) -> Vec<String> {
    let Some(value) = value else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(n) = value.get("Parallelism").and_then(Value::as_u64) {
        out.push(format!("parallelism {n}"));
    }
    for (key, name) in [("Delay", "delay"), ("Monitor", "monitor")] {
        if let Some(n) = value.get(key).and_then(Value::as_u64) {
            out.push(format!("{name} {}", duration(n)));
        }
    }
    for (key, name) in [("FailureAction", "on failure"), ("Order", "order")] {
        if let Some(text) = value.get(key).and_then(Value::as_str) {
            out.push(format!("{name} {text}"));
        }
    }
    if let Some(ratio) = value
        .get("MaxFailureRatio")
        .and_then(Value::as_f64)
        .filter(|r| *r > 0.0)
    {
        out.push(format!("max failure ratio {ratio}"));
    }
    out
}

fn mount(value: &Value) -> String {
    let text = |key: &str| value.get(key).and_then(Value::as_str).unwrap_or_default();
    let read_only = value.get("ReadOnly").and_then(Value::as_bool) == Some(true);
    format!(
        "{} {} → {}{}",
        text("Type"),
        if text("Source").is_empty() {
            "(anonymous)"
        } else {
            text("Source")
        },
        text("Target"),
        if read_only { " (read-only)" } else { "" }
    )
}

fn healthcheck(value: Option<&Value>) -> Option<String> {
    let value = value?;
    let test = texts(value.get("Test"));
    if test.first().map(String::as_str) == Some("NONE") {
        return Some("disabled".into());
    }
    let mut out = test.iter().skip(1).cloned().collect::<Vec<_>>().join(" ");
    for (key, name) in [
        ("Interval", "every"),
        ("Timeout", "timeout"),
        ("StartPeriod", "start period"),
    ] {
        if let Some(n) = value.get(key).and_then(Value::as_u64).filter(|n| *n > 0) {
            out.push_str(&format!(", {name} {}", duration(n)));
        }
    }
    if let Some(n) = value
        .get("Retries")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
    {
        out.push_str(&format!(", {n} retries"));
    }
    Some(out)
}

impl Fleet {
    /// Service `service` (name or ID) of `swarm`: its spec in words, its tasks (current and
    /// past, newest first). Environment values only when `show_values`.
    pub async fn service_detail(
        &self,
        swarm: &str,
        service: &str,
        show_values: bool,
    ) -> Result<ServiceDetail> {
        let record = self.swarm(swarm).await?;
        let service = service.to_owned();
        let (found, tasks, nodes, networks) = self
            .with_manager(&record, |client| async move {
                let found = client.service(&service).await?;
                let (tasks, nodes, networks) = tokio::try_join!(
                    async { Ok(client.service_tasks(&found.id, false).await?) },
                    self.hostnames(&client),
                    async { Ok(client.networks().await?) },
                )?;
                Ok((found, tasks, nodes, networks))
            })
            .await?;
        let network_names: HashMap<String, String> =
            networks.into_iter().map(|n| (n.id, n.name)).collect();
        let spec = &found.spec;
        let container = spec
            .pointer("/TaskTemplate/ContainerSpec")
            .unwrap_or(&Value::Null);
        let mut command = texts(container.get("Command"));
        command.extend(texts(container.get("Args")));
        let env = texts(container.get("Env"))
            .into_iter()
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((&pair, ""));
                EnvVar {
                    name: name.to_owned(),
                    value: show_values.then(|| value.to_owned()),
                }
            })
            .collect();
        // An inspected service carries no ServiceStatus (only a listing does): count as the
        // CLI's `docker service ls` does, from the tasks the scheduler wants running.
        let wanted = || {
            tasks
                .iter()
                .filter(|t| t.desired_state == TaskState::Running)
        };
        let mut summary = row(&found);
        summary.running = wanted().filter(|t| t.state == TaskState::Running).count() as u64;
        summary.desired = spec
            .pointer("/Mode/Replicated/Replicas")
            .and_then(Value::as_u64)
            .unwrap_or_else(|| wanted().count() as u64);
        let mut tasks: Vec<TaskRow> = tasks
            .into_iter()
            .map(|task| {
                let node = task.node_id.clone().unwrap_or_default();
                TaskRow {
                    node: nodes.get(&node).cloned().unwrap_or(node),
                    current: !matches!(task.desired_state, TaskState::Shutdown | TaskState::Remove),
                    id: task.id,
                    slot: task.slot,
                    state: task.state.as_str().to_owned(),
                    desired_state: task.desired_state.as_str().to_owned(),
                    error: task.error.unwrap_or_default(),
                    exit_code: task.exit_code,
                    image: task.image,
                    created_at: task.created_at,
                    changed_at: task.changed_at,
                }
            })
            .collect();
        tasks.sort_by(|a, b| (b.current, &b.created_at).cmp(&(a.current, &a.created_at)));
        Ok(ServiceDetail {
            row: summary,
            command,
            env,
            mounts: container
                .get("Mounts")
                .and_then(Value::as_array)
                .map(|m| m.iter().map(mount).collect())
                .unwrap_or_default(),
            networks: spec
                .pointer("/TaskTemplate/Networks")
                .and_then(Value::as_array)
                .map(|networks| {
                    networks
                        .iter()
                        .filter_map(|n| n.get("Target").and_then(Value::as_str))
                        .map(|id| {
                            network_names
                                .get(id)
                                .cloned()
                                .unwrap_or_else(|| id.to_owned())
                        })
                        .collect()
                })
                .unwrap_or_default(),
            constraints: texts(spec.pointer("/TaskTemplate/Placement/Constraints")),
            limits: resources(spec.pointer("/TaskTemplate/Resources/Limits")),
            reservations: resources(spec.pointer("/TaskTemplate/Resources/Reservations")),
            update_config: update_config(spec.get("UpdateConfig")),
            rollback_config: update_config(spec.get("RollbackConfig")),
            healthcheck: healthcheck(container.get("Healthcheck")),
            can_roll_back: found.has_previous,
            tasks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_read_like_the_cli() {
        assert_eq!(duration(5_000_000_000), "5s");
        assert_eq!(duration(90_000_000_000), "1m30s");
        assert_eq!(duration(250_000_000), "250ms");
        assert_eq!(bytes(256 * 1024 * 1024), "256MiB");
    }
}
