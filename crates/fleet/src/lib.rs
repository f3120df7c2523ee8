//! Swarm operations as the console performs them: registered hosts, creating a swarm from
//! them host by host, adopting an existing one, managing its nodes, and deploying stacks.
//! The UI's server functions and the `/api/v1` handlers both call this, so they behave
//! alike; the engine's types they need are re-exported here, so nothing above the fleet
//! talks to an engine directly.

mod engines;
mod error;
mod hosts;
mod live;
mod metrics;
mod nodes;
mod overview;
mod registries;
mod services;
mod stacks;
mod swarms;
mod webhooks;

use std::collections::HashMap;
use std::sync::Arc;

use flotilla_store::Store;

pub use error::FleetError;
pub use flotilla_engine::{
    EngineInfo, LocalSwarmState, LogLine, LogRequest, ManagerReachability, Node, NodeAvailability,
    NodeRole, NodeState, Service, ServiceMode, Task, TaskState, TokenKind,
};
pub use flotilla_stack::{
    ServiceProgress, StackInput, StackNetwork, StackPlan, StackSummary, StackVersionInfo, TaskLine,
};
pub use flotilla_stack::{WebhookInfo, WebhookOutcome, WebhookSecret};
pub use hosts::{HostStatus, NewHostRequest};
pub use live::{Listing, LiveWatch};
pub use metrics::{
    Aggregate, EngineRequests, MetricCharts, MetricRange, Readings, RoundReport, SamplerConfig,
    SamplerCounters, DEPLOY_BUCKETS,
};
pub use nodes::{NodeAction, NodeEntry};
pub use overview::SwarmState;
pub use registries::{PushOutcome, PushRedeployed, PushSettings, RegistrySummary, MAX_PUSH_EVENTS};
pub use services::{Recording, ServiceAction, MAX_REPLICAS};
pub use swarms::{JoinRole, SwarmSummary};
pub use webhooks::{CalledWebhook, MAX_WEBHOOKS_PER_SWARM};

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
    /// One lock per stack: its deploys and recorded service changes happen one at a time, so
    /// the versions written and the swarm agree.
    stack_locks: Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// The swarms someone watches, each followed live (see [`live`]).
    live: Arc<live::LiveSwarms>,
    /// Registries lately too slow to pin digests from (see `stacks::images`).
    unanswered_registries: Arc<stacks::UnansweredRegistries>,
    /// What the metrics sampler has done (see [`metrics`]).
    sampler: Arc<SamplerCounters>,
    /// How long deploys took (see [`metrics`]).
    deploy_durations: prometheus_client::metrics::histogram::Histogram,
    /// How often the sampler runs: the step between raw samples.
    metrics_interval: std::time::Duration,
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
            stack_locks: Arc::default(),
            live: Arc::default(),
            unanswered_registries: Arc::default(),
            sampler: Arc::default(),
            deploy_durations: metrics::deploy_histogram(),
            metrics_interval: SamplerConfig::default().interval,
        }
    }

    /// The same fleet with the metrics sampler running every `interval`.
    pub fn with_metrics_interval(mut self, interval: std::time::Duration) -> Self {
        self.metrics_interval = interval;
        self
    }

    /// Waits for the lock of `stack` on swarm `swarm_id` (none for a service in no stack):
    /// first this console's, then the one shared by every console on the database, so
    /// deploys of one stack from two consoles run one after the other.
    pub(crate) async fn lock_stack(
        &self,
        swarm_id: &str,
        stack: Option<String>,
    ) -> Result<Option<StackLock>> {
        let Some(stack) = stack else {
            return Ok(None);
        };
        let name = format!("{swarm_id}/{stack}");
        let lock = {
            let mut locks = self.stack_locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(name.clone()).or_default().clone()
        };
        let local = lock.lock_owned().await;
        let shared = self.store.shared_lock(&format!("stack:{name}")).await?;
        Ok(Some(StackLock {
            _shared: shared,
            _local: local,
        }))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// A stack's lock, held while it is deployed or one of its services changed.
pub(crate) struct StackLock {
    // Released first, so a waiter in this console never holds a database connection
    // waiting for a lock this console still holds.
    _shared: flotilla_store::SharedLock,
    _local: tokio::sync::OwnedMutexGuard<()>,
}
