//! Flotilla's own view of engine objects. Every field the UI shows comes from here, never from
//! bollard's generated models, so an Engine API change touches only the `convert_*` functions
//! that sit beside the calls in each resource's module.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Enums that read as the Engine API (and the docker CLI) spell them: `as_str()` and Display.
macro_rules! api_names {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// The value for the engine's lowercase name, if it is one of ours.
            pub fn from_api(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A Docker engine as it describes itself (`docker info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum LocalSwarmState {
    Inactive,
    Pending,
    Active,
    Error,
    Locked,
}

api_names!(LocalSwarmState {
    Inactive => "inactive",
    Pending => "pending",
    Active => "active",
    Error => "error",
    Locked => "locked",
});

/// The swarm itself (`docker swarm inspect` / `docker info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Swarm {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum NodeRole {
    Manager,
    Worker,
}

api_names!(NodeRole {
    Manager => "manager",
    Worker => "worker",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum NodeAvailability {
    Active,
    Pause,
    Drain,
}

api_names!(NodeAvailability {
    Active => "active",
    Pause => "pause",
    Drain => "drain",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum NodeState {
    Unknown,
    Down,
    Ready,
    Disconnected,
}

api_names!(NodeState {
    Unknown => "unknown",
    Down => "down",
    Ready => "ready",
    Disconnected => "disconnected",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum ManagerReachability {
    Leader,
    Reachable,
    Unreachable,
    Unknown,
}

api_names!(ManagerReachability {
    Leader => "leader",
    Reachable => "reachable",
    Unreachable => "unreachable",
    Unknown => "unknown",
});

/// One member of a swarm (`docker node ls`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
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

api_names!(TaskState {
    New => "new",
    Allocated => "allocated",
    Pending => "pending",
    Assigned => "assigned",
    Accepted => "accepted",
    Preparing => "preparing",
    Ready => "ready",
    Starting => "starting",
    Running => "running",
    Complete => "complete",
    Shutdown => "shutdown",
    Failed => "failed",
    Rejected => "rejected",
    Remove => "remove",
    Orphaned => "orphaned",
});

impl TaskState {
    /// The task ended in error: its `error` says why.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::Rejected)
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
    /// The container's exit code, once it has exited.
    pub exit_code: Option<i64>,
    /// The container running the task on its node, once there is one.
    pub container_id: Option<String>,
    /// When the task was made, and when its state last changed (RFC 3339).
    pub created_at: String,
    pub changed_at: String,
}

/// How a service's last update or rollback stands (`UpdateStatus` in the Engine API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct UpdateStatus {
    /// `updating`, `paused`, `completed`, `rollback_started`, `rollback_paused`,
    /// `rollback_completed`.
    pub state: String,
    pub message: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

/// A port the swarm publishes for a service (`Endpoint.Ports`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct PublishedPort {
    pub published: u16,
    pub target: u16,
    pub protocol: String,
    /// `ingress` or `host`.
    pub mode: String,
}

/// A service as the engine stores it: its spec exactly as written (Engine API JSON), and
/// what the swarm says about it.
#[derive(Debug, Clone)]
pub struct ServiceRecord {
    pub id: String,
    pub version: u64,
    pub spec: Value,
    /// RFC 3339, as the engine writes it.
    pub created_at: String,
    pub updated_at: String,
    pub update: Option<UpdateStatus>,
    /// Tasks running and wanted, as the engine counts them.
    pub running: u64,
    pub desired: u64,
    /// A previous spec exists to roll back to.
    pub has_previous: bool,
    pub ports: Vec<PublishedPort>,
}

impl ServiceRecord {
    pub fn name(&self) -> &str {
        self.spec
            .get("Name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The stored object the planner compares.
    pub fn stored(&self) -> StoredObject {
        StoredObject {
            id: self.id.clone(),
            version: self.version,
            spec: self.spec.clone(),
        }
    }
}

/// An object the swarm stores, with its spec as Engine API JSON.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub id: String,
    pub version: u64,
    pub spec: Value,
}

impl StoredObject {
    /// The spec's `Name`.
    pub fn name(&self) -> &str {
        self.spec
            .get("Name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// The two swarm objects that carry file content into a service's containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileObjectKind {
    Secret,
    Config,
}

api_names!(FileObjectKind {
    Secret => "secret",
    Config => "config",
});

/// A network's identity and where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSummary {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub scope: String,
    pub labels: HashMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_through_the_api_names() {
        for state in [
            TaskState::New,
            TaskState::Running,
            TaskState::Failed,
            TaskState::Orphaned,
        ] {
            assert_eq!(TaskState::from_api(state.as_str()), Some(state));
        }
        assert_eq!(TaskState::from_api("exploded"), None);
        assert_eq!(NodeAvailability::Drain.to_string(), "drain");
        assert_eq!(
            ManagerReachability::from_api("leader"),
            Some(ManagerReachability::Leader)
        );
    }
}
