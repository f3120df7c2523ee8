//! Swarm operations as the console performs them: registered hosts, creating a swarm from
//! them host by host, adopting an existing one, and managing its nodes. The UI's server
//! functions and the `/api/v1` handlers both call this, so they behave alike.

mod error;
mod hosts;
mod nodes;
mod stacks;
mod swarms;

use std::sync::Arc;

use flotilla_store::Store;

pub use error::FleetError;
pub use flotilla_stack::{
    ServiceProgress, StackInput, StackNetwork, StackPlan, StackSummary, StackVersionInfo, TaskLine,
};
pub use hosts::{HostStatus, NewHostRequest};
pub use nodes::{NodeAction, NodeEntry};
pub use stacks::check_stack;
pub use swarms::{JoinRole, SwarmSummary};

pub type Result<T, E = FleetError> = std::result::Result<T, E>;

/// The console's view of every host and swarm it manages.
#[derive(Debug, Clone)]
pub struct Fleet {
    store: Arc<Store>,
}

impl Fleet {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
