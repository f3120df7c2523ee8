//! How far each service of a stack is on its way to the spec just deployed, counted as
//! `docker stack deploy`'s progress display counts it.

use std::collections::HashSet;

use crate::ModeKind;
use serde::{Deserialize, Serialize};

/// A task of a service's current spec as the engine reports it (states in the Engine API's
/// lowercase names), with its node's hostname.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct TaskReport {
    pub slot: Option<u64>,
    /// Empty until the scheduler places the task.
    pub node_id: String,
    /// The node's hostname (its ID when the node is gone).
    pub node: String,
    pub state: String,
    pub desired_state: String,
    pub error: String,
    pub message: String,
}

/// One task of a service's current spec: where it landed and how it is doing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct TaskLine {
    pub slot: Option<u64>,
    /// The node's hostname (its ID when the node is gone).
    pub node: String,
    pub state: String,
    pub desired_state: String,
    pub error: String,
}

/// How far one service is on its way to the spec just deployed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ServiceProgress {
    pub service: String,
    /// A global service (or job) runs one task on every eligible node.
    pub global: bool,
    /// Replicas (or completions) asked for; for a global service, as the CLI counts it, the
    /// nodes up that were given a task of the current spec.
    pub desired: u64,
    /// Tasks of the current spec running (for a replicated job: completed).
    pub running: u64,
    /// Errors of the current spec's failed tasks.
    pub errors: Vec<String>,
    /// The current spec's tasks, by slot.
    pub tasks: Vec<TaskLine>,
}

impl ServiceProgress {
    pub fn converged(&self) -> bool {
        // No global task yet means the orchestrator has not placed them, not that none are due.
        self.running == self.desired && !(self.global && self.desired == 0)
    }
}

/// The progress of service `name`, of mode `mode` asking for `wanted` tasks (replicas or
/// completions; unused for a global mode), from its current spec's tasks. `nodes_up` holds
/// the IDs of nodes that are not down: the CLI's progress ignores tasks on nodes that will
/// not report back.
pub fn service_progress(
    name: &str,
    mode: ModeKind,
    wanted: Option<u64>,
    tasks: &[TaskReport],
    nodes_up: &HashSet<String>,
) -> ServiceProgress {
    // A job is done when its tasks complete; a service when its tasks run.
    let counted = if mode.is_job() { "complete" } else { "running" };
    let desired = if mode.is_global() {
        tasks
            .iter()
            .filter(|t| t.desired_state == counted && nodes_up.contains(&t.node_id))
            .map(|t| t.node_id.as_str())
            .collect::<HashSet<_>>()
            .len() as u64
    } else {
        wanted.unwrap_or(1)
    };
    let running = tasks
        .iter()
        .filter(|t| t.state == counted && (mode.is_job() || t.desired_state == "running"))
        .filter(|t| !mode.is_global() || nodes_up.contains(&t.node_id))
        .count() as u64;
    let errors = tasks
        .iter()
        .filter(|t| matches!(t.state.as_str(), "failed" | "rejected"))
        .map(|t| {
            let why = if t.error.is_empty() {
                &t.message
            } else {
                &t.error
            };
            format!("{}: {why}", t.state)
        })
        .collect();
    let mut lines: Vec<TaskLine> = tasks
        .iter()
        .map(|t| TaskLine {
            slot: t.slot,
            node: t.node.clone(),
            state: t.state.clone(),
            desired_state: t.desired_state.clone(),
            error: t.error.clone(),
        })
        .collect();
    lines.sort_by(|a, b| (a.slot, &a.node).cmp(&(b.slot, &b.node)));
    ServiceProgress {
        service: name.to_owned(),
        global: mode.is_global(),
        desired,
        running,
        errors,
        tasks: lines,
    }
}
