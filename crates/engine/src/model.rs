//! Flotilla's own view of engine objects. Every field the UI shows comes from here, never from
//! bollard's generated models, so an Engine API change touches only the `convert_*` functions.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A Docker engine as it describes itself (`docker info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    pub hostname: String,
    pub engine_version: String,
    pub api_version: String,
    pub os: String,
    pub arch: String,
    pub cpus: u32,
    pub memory_bytes: u64,
    pub swarm_state: LocalSwarmState,
    /// This engine's node ID when it is part of a swarm.
    pub node_id: Option<String>,
    /// True when this engine can answer for the whole swarm (it is a manager).
    pub is_manager: bool,
    /// The swarm's cluster ID; engines only know it while they are managers.
    pub cluster_id: Option<String>,
}

/// Where an engine stands with respect to a swarm (`docker info` → Swarm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LocalSwarmState {
    Inactive,
    Pending,
    Active,
    Error,
    Locked,
}

/// The swarm itself (`docker swarm inspect` / `docker info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Swarm {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeRole {
    Manager,
    Worker,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeAvailability {
    Active,
    Pause,
    Drain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeState {
    Unknown,
    Down,
    Ready,
    Disconnected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ManagerReachability {
    Leader,
    Reachable,
    Unreachable,
    Unknown,
}

/// One member of a swarm (`docker node ls`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    pub hostname: String,
    pub role: NodeRole,
    pub availability: NodeAvailability,
    pub state: NodeState,
    /// Set for managers only.
    pub manager_status: Option<ManagerReachability>,
    /// A manager's cluster address (`IP:2377`), what joining engines dial.
    pub manager_addr: Option<String>,
    pub address: String,
    pub engine_version: String,
    pub cpus: f64,
    pub memory_bytes: u64,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceMode {
    Replicated { replicas: u64 },
    Global,
    ReplicatedJob,
    GlobalJob,
}

/// A swarm service (`docker service ls`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub image: String,
    pub mode: ServiceMode,
    pub labels: BTreeMap<String, String>,
}

/// Task lifecycle states, in the order swarm moves a task through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TaskState {
    New,
    Allocated,
    Pending,
    Assigned,
    Accepted,
    Preparing,
    Ready,
    Starting,
    Running,
    Complete,
    Shutdown,
    Failed,
    Rejected,
    Remove,
    Orphaned,
}

impl TaskState {
    fn from_api(text: &str) -> Option<Self> {
        Some(match text {
            "new" => Self::New,
            "allocated" => Self::Allocated,
            "pending" => Self::Pending,
            "assigned" => Self::Assigned,
            "accepted" => Self::Accepted,
            "preparing" => Self::Preparing,
            "ready" => Self::Ready,
            "starting" => Self::Starting,
            "running" => Self::Running,
            "complete" => Self::Complete,
            "shutdown" => Self::Shutdown,
            "failed" => Self::Failed,
            "rejected" => Self::Rejected,
            "remove" => Self::Remove,
            "orphaned" => Self::Orphaned,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Allocated => "allocated",
            Self::Pending => "pending",
            Self::Assigned => "assigned",
            Self::Accepted => "accepted",
            Self::Preparing => "preparing",
            Self::Ready => "ready",
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Complete => "complete",
            Self::Shutdown => "shutdown",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Remove => "remove",
            Self::Orphaned => "orphaned",
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One scheduled instance of a service (`docker service ps`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub service_id: String,
    /// Empty until the scheduler has placed the task.
    pub node_id: Option<String>,
    /// Replica number for replicated services; global tasks have none.
    pub slot: Option<u64>,
    pub image: String,
    pub state: TaskState,
    pub desired_state: TaskState,
    pub message: String,
    pub error: Option<String>,
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|value| !value.is_empty())
}

fn labels(map: Option<std::collections::HashMap<String, String>>) -> BTreeMap<String, String> {
    map.unwrap_or_default().into_iter().collect()
}

pub(crate) fn convert_engine_info(
    info: bollard::models::SystemInfo,
    api_version: String,
) -> EngineInfo {
    use bollard::models::LocalNodeState as L;
    let swarm = info.swarm.unwrap_or_default();
    let swarm_state = match swarm.local_node_state {
        Some(L::ACTIVE) => LocalSwarmState::Active,
        Some(L::PENDING) => LocalSwarmState::Pending,
        Some(L::ERROR) => LocalSwarmState::Error,
        Some(L::LOCKED) => LocalSwarmState::Locked,
        Some(L::INACTIVE) | Some(L::EMPTY) | None => LocalSwarmState::Inactive,
    };
    EngineInfo {
        hostname: info.name.unwrap_or_default(),
        engine_version: info.server_version.unwrap_or_default(),
        api_version,
        os: info.operating_system.unwrap_or_default(),
        arch: info.architecture.unwrap_or_default(),
        cpus: info.ncpu.and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
        memory_bytes: info
            .mem_total
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0),
        swarm_state,
        node_id: non_empty(swarm.node_id),
        is_manager: swarm.control_available.unwrap_or(false),
        cluster_id: swarm.cluster.and_then(|cluster| non_empty(cluster.id)),
    }
}

pub(crate) fn convert_swarm(swarm: bollard::models::Swarm) -> Swarm {
    Swarm {
        id: swarm.id.unwrap_or_default(),
        name: swarm.spec.and_then(|spec| spec.name).unwrap_or_default(),
    }
}

pub(crate) fn convert_node(node: bollard::models::Node) -> Node {
    use bollard::models::{
        NodeSpecAvailabilityEnum as A, NodeSpecRoleEnum as R, NodeState as S, Reachability,
    };
    let spec = node.spec.unwrap_or_default();
    let description = node.description.unwrap_or_default();
    let status = node.status.unwrap_or_default();
    let resources = description.resources.unwrap_or_default();
    let manager_addr = node
        .manager_status
        .as_ref()
        .and_then(|manager| manager.addr.clone());
    let manager_status = node.manager_status.map(|manager| {
        if manager.leader.unwrap_or(false) {
            ManagerReachability::Leader
        } else {
            match manager.reachability {
                Some(Reachability::REACHABLE) => ManagerReachability::Reachable,
                Some(Reachability::UNREACHABLE) => ManagerReachability::Unreachable,
                _ => ManagerReachability::Unknown,
            }
        }
    });
    Node {
        id: node.id.unwrap_or_default(),
        hostname: description.hostname.unwrap_or_default(),
        role: match spec.role {
            Some(R::MANAGER) => NodeRole::Manager,
            _ => NodeRole::Worker,
        },
        availability: match spec.availability {
            Some(A::PAUSE) => NodeAvailability::Pause,
            Some(A::DRAIN) => NodeAvailability::Drain,
            _ => NodeAvailability::Active,
        },
        state: match status.state {
            Some(S::READY) => NodeState::Ready,
            Some(S::DOWN) => NodeState::Down,
            Some(S::DISCONNECTED) => NodeState::Disconnected,
            _ => NodeState::Unknown,
        },
        manager_status,
        manager_addr,
        address: status.addr.unwrap_or_default(),
        engine_version: description
            .engine
            .and_then(|engine| engine.engine_version)
            .unwrap_or_default(),
        // NanoCPUs: billionths of a CPU, as the engine reports them.
        cpus: resources.nano_cpus.unwrap_or(0) as f64 / 1e9,
        memory_bytes: resources
            .memory_bytes
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0),
        labels: labels(spec.labels),
    }
}

pub(crate) fn convert_service(service: bollard::models::Service) -> Service {
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
        labels: labels(spec.labels),
    }
}

pub(crate) fn convert_task(task: bollard::models::Task) -> Task {
    let status = task.status.unwrap_or_default();
    let state = status
        .state
        .and_then(|state| TaskState::from_api(&state.to_string()))
        .unwrap_or(TaskState::New);
    let desired_state = task
        .desired_state
        .and_then(|state| TaskState::from_api(&state.to_string()))
        .unwrap_or(TaskState::Running);
    Task {
        id: task.id.unwrap_or_default(),
        service_id: task.service_id.unwrap_or_default(),
        node_id: non_empty(task.node_id),
        slot: task.slot.and_then(|n| u64::try_from(n).ok()),
        image: task
            .spec
            .and_then(|spec| spec.container_spec)
            .and_then(|container| container.image)
            .unwrap_or_default(),
        state,
        desired_state,
        message: status.message.unwrap_or_default(),
        error: non_empty(status.err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_states_round_trip_through_the_api_names() {
        for state in [
            TaskState::New,
            TaskState::Running,
            TaskState::Failed,
            TaskState::Orphaned,
        ] {
            assert_eq!(TaskState::from_api(state.as_str()), Some(state));
        }
        assert_eq!(TaskState::from_api("exploded"), None);
    }

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

    #[test]
    fn a_leader_reports_as_leader() {
        let node = bollard::models::Node {
            manager_status: Some(bollard::models::ManagerStatus {
                leader: Some(true),
                reachability: Some(bollard::models::Reachability::REACHABLE),
                addr: None,
            }),
            spec: Some(bollard::models::NodeSpec {
                role: Some(bollard::models::NodeSpecRoleEnum::MANAGER),
                ..Default::default()
            }),
            ..Default::default()
        };
        let node = convert_node(node);
        assert_eq!(node.role, NodeRole::Manager);
        assert_eq!(node.manager_status, Some(ManagerReachability::Leader));
    }
}
