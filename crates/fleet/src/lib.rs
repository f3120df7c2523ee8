//! Swarm operations as the console performs them: registered hosts, creating a swarm from
//! them host by host, adopting an existing one, managing its nodes, and deploying stacks.
//! The UI's server functions and the `/api/v1` handlers both call this, so they behave
//! alike; the engine's types they need are re-exported here, so nothing above the fleet
//! talks to an engine directly.

mod engines;
mod error;
mod hosts;
mod nodes;
mod overview;
mod stacks;
mod swarms;

use std::sync::Arc;

use flotilla_store::Store;

pub use error::FleetError;
pub use flotilla_engine::{
    EngineInfo, LocalSwarmState, ManagerReachability, Node, NodeAvailability, NodeRole, NodeState,
    Service, ServiceMode, Task, TaskState, TokenKind,
};
pub use flotilla_stack::{
    ServiceProgress, StackInput, StackNetwork, StackPlan, StackSummary, StackVersionInfo, TaskLine,
};
pub use hosts::{HostStatus, NewHostRequest};
pub use nodes::{NodeAction, NodeEntry};
pub use overview::SwarmState;
pub use swarms::{JoinRole, SwarmSummary};

pub type Result<T, E = FleetError> = std::result::Result<T, E>;

/// The console's view of every host and swarm it manages, with one kept engine client per
/// host (see [`engines`]).
#[derive(Debug, Clone)]
pub struct Fleet {
    store: Arc<Store>,
    engines: Arc<engines::Engines>,
    host_states: Arc<hosts::HostStates>,
    /// Slots for checking stack files, which is CPU work (see `stacks`).
    checks: Arc<tokio::sync::Semaphore>,
}

impl Fleet {
    /// Stack files checked at once; more wait for a slot.
    pub const CHECKS_AT_ONCE: usize = 2;

    pub fn new(store: Arc<Store>) -> Self {
        Self {
            store,
            engines: Arc::default(),
            host_states: Arc::default(),
            checks: Arc::new(tokio::sync::Semaphore::new(Self::CHECKS_AT_ONCE)),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
