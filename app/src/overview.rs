//! The swarm's headline on its page: which swarm, how many managers and workers, and the
//! engine it was read from. Where each task runs is the visualizer's (`pages::visualizer`),
//! so this stays a few bytes whatever the swarm's size.

use serde::{Deserialize, Serialize};

/// What the console can say about a swarm it manages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OverviewState {
    Ready(SwarmHeadline),
    /// No manager of the swarm answers; `message` says what was tried and why it failed.
    Unreachable {
        swarm: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwarmHeadline {
    pub endpoint: String,
    pub api_version: String,
    pub swarm_id: String,
    pub managers: usize,
    pub workers: usize,
}

impl SwarmHeadline {
    /// The headline of a swarm's live state (`swarm_id` from the console's records).
    pub fn from_live(swarm_id: String, state: &flotilla_live::Snapshot) -> Self {
        let managers = state.nodes.values().filter(|n| n.role == "manager").count();
        Self {
            endpoint: state.endpoint.clone(),
            api_version: state.api_version.clone(),
            swarm_id,
            managers,
            workers: state.nodes.len() - managers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managers_and_workers_are_counted_from_the_nodes() {
        let state = flotilla_live::synthetic::synthetic(5, 20);
        let headline = SwarmHeadline::from_live("abc".into(), &state);
        assert_eq!((headline.managers, headline.workers), (3, 2));
        assert_eq!(headline.swarm_id, "abc");
    }
}
