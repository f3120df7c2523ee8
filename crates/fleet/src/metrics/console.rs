//! What the console's own `/metrics` reports from the fleet: requests to each engine and
//! their failures, and how long deploys take.

use prometheus_client::metrics::histogram::Histogram;

use crate::{Fleet, Result};

/// Upper bounds of the deploy-duration buckets, in seconds.
pub const DEPLOY_BUCKETS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

pub(crate) fn deploy_histogram() -> Histogram {
    Histogram::new(DEPLOY_BUCKETS)
}

/// Requests one engine was sent since the console started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineRequests {
    /// The swarm its host belongs to, when known.
    pub swarm: String,
    pub host: String,
    pub requests: u64,
    /// Sent but not answered, or answered with a 5xx.
    pub errors: u64,
}

impl Fleet {
    /// Requests sent to each registered host's engine, with the swarm it is in.
    pub async fn engine_requests(&self) -> Result<Vec<EngineRequests>> {
        let counts = self.engines.request_counts();
        let swarms = self.store.swarms().await?;
        let mut lines: Vec<EngineRequests> = self
            .store
            .hosts()
            .await?
            .into_iter()
            .filter_map(|host| {
                let (requests, errors) = counts.get(&host.id).copied()?;
                let swarm = host
                    .swarm_id
                    .as_ref()
                    .and_then(|id| swarms.iter().find(|s| &s.id == id))
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                Some(EngineRequests {
                    swarm,
                    host: host.name,
                    requests,
                    errors,
                })
            })
            .collect();
        lines.sort_by(|a, b| (&a.swarm, &a.host).cmp(&(&b.swarm, &b.host)));
        Ok(lines)
    }

    /// How long each deploy took, from its plan to the swarm accepting every object: the
    /// histogram itself, shared, for `/metrics` to register.
    pub fn deploy_durations(&self) -> Histogram {
        self.deploy_durations.clone()
    }
}
