//! Flotilla's engine room: every Docker Engine API call goes through here.
//!
//! bollard is an implementation detail of this crate. Callers see Flotilla's own types
//! ([`Swarm`], [`Node`], [`Service`], [`Task`]) so the rest of the code never depends on
//! the shape of the Engine API or on bollard's version. One module per resource, each with
//! its calls and the `convert_*` functions that turn bollard's models into ours.

mod client;
mod error;
mod event;
mod file_object;
mod logs;
mod model;
mod network;
mod node;
mod raw;
mod registry;
mod retry;
mod service;
mod spec;
mod stats;
mod swarm;
mod system;
mod task;
mod transport;

pub use client::{ClientTls, DockerClient, Endpoint};
pub use error::EngineError;
pub use event::EngineEvent;
pub use logs::{LogLine, LogRequest, LogSource, MAX_LINE};
pub use model::{
    EngineInfo, FileObjectKind, LocalSwarmState, ManagerReachability, NetworkSummary, Node,
    NodeAvailability, NodeRole, NodeState, PublishedPort, Service, ServiceMode, ServiceRecord,
    StoredObject, Swarm, Task, TaskState, UpdateStatus,
};
pub use node::NodeChange;
pub use registry::{ImageDistribution, RegistryAuth};
pub use retry::{retry_on_stale_version, STALE_VERSION_ATTEMPTS};
pub use service::ServiceCreate;
pub use spec::check_spec;
pub use stats::{ContainerStats, StatsRates};
pub use swarm::{JoinTokens, SwarmInit, SwarmJoin, TokenKind};

/// Result type for every engine call.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
