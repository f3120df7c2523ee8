//! The state and its changes. Everything is keyed by engine ID in ordered maps, so two
//! readings compare in one pass and a change applies in logarithmic time, whatever the size.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveNode {
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`.
    pub role: String,
    pub leader: bool,
    /// `active`, `pause` or `drain`.
    pub availability: String,
    /// `ready`, `down`, `disconnected` or `unknown`.
    pub state: String,
    pub cpus: f64,
    pub memory_bytes: u64,
    pub labels: BTreeMap<String, String>,
    pub engine_version: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveService {
    pub id: String,
    pub name: String,
    pub stack: Option<String>,
    /// The image as the file names it, without a pinned digest.
    pub image: String,
    /// `replicated`, `global`, `replicated-job` or `global-job`.
    pub mode: String,
    /// Tasks wanted: a replicated service's replicas, a replicated job's completions.
    pub replicas: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveTask {
    pub id: String,
    pub service_id: String,
    /// None until the scheduler has placed it.
    pub node_id: Option<String>,
    pub slot: Option<u64>,
    /// The task's image tag (`nginx:1.25`), digest left out.
    pub image: String,
    pub state: String,
    pub desired_state: String,
    /// When the task entered its state, unix milliseconds.
    pub since: i64,
    pub error: Option<String>,
}

/// Why the state may be old: the engine stopped answering at `since` (unix milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staleness {
    pub since: i64,
    pub reason: String,
}

/// One swarm as last read. `seq` counts changes: a delta applies to the snapshot whose `seq`
/// is its `base`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub swarm: String,
    /// The manager read from (its engine URL) and the API version it speaks.
    pub endpoint: String,
    pub api_version: String,
    pub seq: u64,
    /// When the state was last confirmed by the engine, unix milliseconds.
    pub read_at: i64,
    pub stale: Option<Staleness>,
    pub nodes: BTreeMap<String, LiveNode>,
    pub services: BTreeMap<String, LiveService>,
    pub tasks: BTreeMap<String, LiveTask>,
}

/// What changed between two snapshots: objects added or changed, and IDs gone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub base: u64,
    pub seq: u64,
    pub read_at: i64,
    pub stale: Option<Staleness>,
    pub endpoint: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<LiveNode>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<LiveService>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<LiveTask>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gone_nodes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gone_services: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gone_tasks: Vec<String>,
}

impl Delta {
    /// Nothing but the clock moved.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
            && self.services.is_empty()
            && self.tasks.is_empty()
            && self.gone_nodes.is_empty()
            && self.gone_services.is_empty()
            && self.gone_tasks.is_empty()
    }
}

/// Changed or new values of `new`, and keys of `old` that `new` lacks.
fn compare<T: Clone + PartialEq>(
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
) -> (Vec<T>, Vec<String>) {
    let changed = new
        .iter()
        .filter(|(id, value)| old.get(*id) != Some(value))
        .map(|(_, value)| value.clone())
        .collect();
    let gone = old
        .keys()
        .filter(|id| !new.contains_key(*id))
        .cloned()
        .collect();
    (changed, gone)
}

impl Snapshot {
    /// The change from `self` to `next`; `next.seq` must be the following number.
    pub fn delta_to(&self, next: &Snapshot) -> Delta {
        let (nodes, gone_nodes) = compare(&self.nodes, &next.nodes);
        let (services, gone_services) = compare(&self.services, &next.services);
        let (tasks, gone_tasks) = compare(&self.tasks, &next.tasks);
        Delta {
            base: self.seq,
            seq: next.seq,
            read_at: next.read_at,
            stale: next.stale.clone(),
            endpoint: next.endpoint.clone(),
            nodes,
            services,
            tasks,
            gone_nodes,
            gone_services,
            gone_tasks,
        }
    }

    /// The snapshot with only the services that have tasks: what a page needs to draw, for
    /// the first render (the live stream then sends the whole state).
    pub fn placed_only(&self) -> Snapshot {
        let placed: std::collections::BTreeSet<&str> =
            self.tasks.values().map(|t| t.service_id.as_str()).collect();
        Snapshot {
            services: self
                .services
                .iter()
                .filter(|(id, _)| placed.contains(id.as_str()))
                .map(|(id, s)| (id.clone(), s.clone()))
                .collect(),
            ..self.clone()
        }
    }

    /// Applies `delta`; false (and nothing changed) when it was made for another snapshot,
    /// which means a change was missed and a fresh snapshot is needed.
    pub fn apply(&mut self, delta: &Delta) -> bool {
        if delta.base != self.seq {
            return false;
        }
        self.seq = delta.seq;
        self.read_at = delta.read_at;
        self.stale = delta.stale.clone();
        self.endpoint.clone_from(&delta.endpoint);
        for node in &delta.nodes {
            self.nodes.insert(node.id.clone(), node.clone());
        }
        for service in &delta.services {
            self.services.insert(service.id.clone(), service.clone());
        }
        for task in &delta.tasks {
            self.tasks.insert(task.id.clone(), task.clone());
        }
        for id in &delta.gone_nodes {
            self.nodes.remove(id);
        }
        for id in &delta.gone_services {
            self.services.remove(id);
        }
        for id in &delta.gone_tasks {
            self.tasks.remove(id);
        }
        true
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn node(id: &str, hostname: &str) -> LiveNode {
        LiveNode {
            id: id.into(),
            hostname: hostname.into(),
            role: "worker".into(),
            leader: false,
            availability: "active".into(),
            state: "ready".into(),
            cpus: 2.0,
            memory_bytes: 1 << 30,
            labels: BTreeMap::new(),
            engine_version: "26.1.5".into(),
            address: "10.0.0.1".into(),
        }
    }

    pub fn service(id: &str, name: &str, stack: Option<&str>) -> LiveService {
        LiveService {
            id: id.into(),
            name: name.into(),
            stack: stack.map(Into::into),
            image: "nginx:1.25".into(),
            mode: "replicated".into(),
            replicas: Some(1),
        }
    }

    pub fn task(id: &str, service: &str, node: Option<&str>, state: &str) -> LiveTask {
        LiveTask {
            id: id.into(),
            service_id: service.into(),
            node_id: node.map(Into::into),
            slot: Some(1),
            image: "nginx:1.25".into(),
            state: state.into(),
            desired_state: "running".into(),
            since: 0,
            error: None,
        }
    }

    pub fn snapshot(tasks: Vec<LiveTask>) -> Snapshot {
        Snapshot {
            swarm: "prod".into(),
            seq: 1,
            nodes: [node("n1", "alpha"), node("n2", "beta")]
                .into_iter()
                .map(|n| (n.id.clone(), n))
                .collect(),
            services: [service("s1", "shop_web", Some("shop"))]
                .into_iter()
                .map(|s| (s.id.clone(), s))
                .collect(),
            tasks: tasks.into_iter().map(|t| (t.id.clone(), t)).collect(),
            ..Snapshot::default()
        }
    }

    #[test]
    fn a_delta_carries_only_what_changed_and_applies_back() {
        let old = snapshot(vec![
            task("t1", "s1", Some("n1"), "running"),
            task("t2", "s1", Some("n2"), "running"),
        ]);
        let mut new = snapshot(vec![
            task("t1", "s1", Some("n1"), "running"),
            task("t3", "s1", Some("n2"), "starting"),
        ]);
        new.seq = 2;
        new.nodes.get_mut("n2").unwrap().availability = "drain".into();
        let delta = old.delta_to(&new);
        assert_eq!(delta.tasks.len(), 1, "t1 is unchanged");
        assert_eq!(delta.gone_tasks, vec!["t2".to_owned()]);
        assert_eq!(delta.nodes.len(), 1);
        let mut copy = old.clone();
        assert!(copy.apply(&delta));
        assert_eq!(copy, new);
        assert!(!copy.apply(&delta), "a delta applies once, to its base");
        assert_eq!(copy, new);
    }

    #[test]
    fn a_first_render_carries_only_services_with_tasks() {
        let mut state = snapshot(vec![task("t1", "s1", Some("n1"), "running")]);
        state
            .services
            .insert("s2".into(), service("s2", "idle", None));
        let placed = state.placed_only();
        assert_eq!(placed.services.len(), 1);
        assert_eq!(placed.tasks, state.tasks);
    }

    #[test]
    fn unchanged_readings_make_an_empty_delta() {
        let old = snapshot(vec![task("t1", "s1", Some("n1"), "running")]);
        let mut same = old.clone();
        same.seq = 2;
        assert!(old.delta_to(&same).is_empty());
        let text = serde_json::to_string(&old.delta_to(&same)).unwrap();
        assert!(!text.contains("gone_tasks"), "{text}");
    }
}
