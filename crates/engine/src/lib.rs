//! Flotilla's engine room: every Docker Engine API call goes through here.
//!
//! bollard is an implementation detail of this crate. Callers see Flotilla's own types
//! ([`Swarm`], [`Node`], [`Service`], [`Task`]) so the rest of the code never depends on
//! the shape of the Engine API or on bollard's version.

mod client;
mod error;
mod model;
mod node;
mod objects;
mod service;
mod swarm;
mod task;

pub use client::{ClientTls, DockerClient, Endpoint};
pub use error::EngineError;
pub use model::{
    EngineInfo, LocalSwarmState, ManagerReachability, Node, NodeAvailability, NodeRole, NodeState,
    Service, ServiceMode, Swarm, Task, TaskState,
};
pub use node::NodeChange;
pub use objects::{check_spec, FileObjectKind, NetworkSummary, ServiceTask, StoredObject};
pub use service::ServiceCreate;
pub use swarm::{JoinTokens, SwarmInit, SwarmJoin, TokenKind};

/// Result type for every engine call.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
