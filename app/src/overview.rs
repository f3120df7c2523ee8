//! The swarm overview as a swarm's page shows it: the swarm, its nodes, and on each node the
//! tasks that run there. Plain data, so it crosses the server-function boundary and the
//! browser can filter it without asking the server again.

use serde::{Deserialize, Serialize};

/// What the console can say about a swarm it manages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OverviewState {
    Ready(SwarmOverview),
    /// No manager of the swarm answers; `message` says what was tried and why it failed.
    Unreachable {
        swarm: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwarmOverview {
    pub endpoint: String,
    pub api_version: String,
    pub swarm_id: String,
    pub managers: usize,
    pub workers: usize,
    pub nodes: Vec<NodeView>,
    /// Tasks the scheduler has not placed on any node yet.
    pub unplaced: Vec<TaskView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeView {
    pub id: String,
    pub hostname: String,
    pub role: String,
    /// leader / reachable / unreachable, for managers.
    pub manager_status: Option<String>,
    pub state: String,
    pub availability: String,
    pub engine_version: String,
    pub address: String,
    pub tasks: Vec<TaskView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: String,
    pub service: String,
    pub slot: Option<u64>,
    pub image: String,
    pub state: String,
    pub error: Option<String>,
}

impl TaskView {
    /// `web.2` for replica 2 of `web`, as `docker service ps` names tasks.
    pub fn name(&self) -> String {
        match self.slot {
            Some(slot) => format!("{}.{slot}", self.service),
            None => self.service.clone(),
        }
    }
}

/// The filter box: a node matches by hostname, a task by service name, image or state.
pub fn task_matches(node: &NodeView, task: &TaskView, query: &str) -> bool {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return true;
    }
    [&node.hostname, &task.service, &task.image, &task.state]
        .iter()
        .any(|field| field.to_lowercase().contains(&query))
}

impl SwarmOverview {
    /// The overview of a swarm's live state (`swarm_id` from the console's records).
    pub fn from_live(swarm_id: String, state: &flotilla_live::Snapshot) -> Self {
        let mut by_node: std::collections::HashMap<&str, Vec<TaskView>> = Default::default();
        let mut unplaced = Vec::new();
        for task in state.tasks.values() {
            let view = TaskView {
                service: state
                    .services
                    .get(&task.service_id)
                    .map_or_else(|| task.service_id.clone(), |s| s.name.clone()),
                id: task.id.clone(),
                slot: task.slot,
                image: task.image.clone(),
                state: task.state.clone(),
                error: task.error.clone(),
            };
            match task
                .node_id
                .as_deref()
                .filter(|id| state.nodes.contains_key(*id))
            {
                Some(node) => by_node.entry(node).or_default().push(view),
                None => unplaced.push(view),
            }
        }
        let mut nodes: Vec<NodeView> = state
            .nodes
            .values()
            .map(|node| {
                let mut tasks = by_node.remove(node.id.as_str()).unwrap_or_default();
                tasks.sort_by(|a, b| a.service.cmp(&b.service).then(a.slot.cmp(&b.slot)));
                NodeView {
                    id: node.id.clone(),
                    hostname: node.hostname.clone(),
                    role: node.role.clone(),
                    manager_status: (node.role == "manager")
                        .then(|| if node.leader { "leader" } else { "reachable" }.to_owned()),
                    state: node.state.clone(),
                    availability: node.availability.clone(),
                    engine_version: node.engine_version.clone(),
                    address: node.address.clone(),
                    tasks,
                }
            })
            .collect();
        nodes.sort_by(|a, b| a.hostname.cmp(&b.hostname));
        let managers = nodes.iter().filter(|n| n.role == "manager").count();
        Self {
            endpoint: state.endpoint.clone(),
            api_version: state.api_version.clone(),
            swarm_id,
            managers,
            workers: nodes.len() - managers,
            nodes,
            unplaced,
        }
    }
}

#[cfg(feature = "ssr")]
mod assemble {
    use std::collections::HashMap;

    use flotilla_fleet::{NodeRole, SwarmState};

    use super::*;

    impl SwarmOverview {
        /// Puts every task under the node it runs on, named after its service.
        pub fn assemble(state: SwarmState) -> Self {
            let service_names: HashMap<&str, &str> = state
                .services
                .iter()
                .map(|s| (s.id.as_str(), s.name.as_str()))
                .collect();
            let mut by_node: HashMap<String, Vec<TaskView>> = HashMap::new();
            let mut unplaced = Vec::new();
            for task in state.tasks {
                let view = TaskView {
                    service: service_names
                        .get(task.service_id.as_str())
                        .map_or_else(|| task.service_id.clone(), |name| (*name).to_owned()),
                    id: task.id,
                    slot: task.slot,
                    image: task.image,
                    state: task.state.to_string(),
                    error: task.error,
                };
                match task.node_id {
                    Some(node_id) => by_node.entry(node_id).or_default().push(view),
                    None => unplaced.push(view),
                }
            }
            let managers = state
                .nodes
                .iter()
                .filter(|n| n.role == NodeRole::Manager)
                .count();
            let nodes: Vec<NodeView> = state
                .nodes
                .into_iter()
                .map(|node| {
                    let mut tasks = by_node.remove(&node.id).unwrap_or_default();
                    tasks.sort_by(|a, b| a.service.cmp(&b.service).then(a.slot.cmp(&b.slot)));
                    NodeView {
                        role: node.role.as_str().to_owned(),
                        manager_status: node.manager_status.map(|s| s.as_str().to_owned()),
                        state: node.state.as_str().to_owned(),
                        availability: node.availability.as_str().to_owned(),
                        id: node.id,
                        hostname: node.hostname,
                        engine_version: node.engine_version,
                        address: node.address,
                        tasks,
                    }
                })
                .collect();
            // Tasks on a node that has since left the swarm still need a place on the page.
            unplaced.extend(by_node.into_values().flatten());
            Self {
                endpoint: state.endpoint,
                api_version: state.api_version,
                swarm_id: state.swarm_id,
                managers,
                workers: nodes.len() - managers,
                nodes,
                unplaced,
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use std::collections::BTreeMap;

        use flotilla_fleet::{
            ManagerReachability, Node, NodeAvailability, NodeState, Service, ServiceMode, Task,
            TaskState,
        };

        use super::*;

        fn node(id: &str, hostname: &str, role: NodeRole) -> Node {
            Node {
                id: id.into(),
                hostname: hostname.into(),
                role,
                availability: NodeAvailability::Active,
                state: NodeState::Ready,
                manager_status: (role == NodeRole::Manager).then_some(ManagerReachability::Leader),
                manager_addr: None,
                address: "10.0.0.1".into(),
                engine_version: "20.10.24".into(),
                cpus: 2.0,
                memory_bytes: 1 << 30,
                labels: BTreeMap::new(),
            }
        }

        fn task(id: &str, node: Option<&str>, slot: u64) -> Task {
            Task {
                id: id.into(),
                service_id: "svc1".into(),
                node_id: node.map(Into::into),
                slot: Some(slot),
                image: "local/busybox:1".into(),
                state: TaskState::Running,
                desired_state: TaskState::Running,
                message: "started".into(),
                error: None,
                exit_code: None,
                created_at: String::new(),
                changed_at: String::new(),
            }
        }

        fn overview(tasks: Vec<Task>) -> SwarmOverview {
            let service = Service {
                id: "svc1".into(),
                name: "web".into(),
                image: "local/busybox:1".into(),
                mode: ServiceMode::Replicated { replicas: 3 },
                labels: BTreeMap::new(),
            };
            SwarmOverview::assemble(SwarmState {
                swarm_id: "sw".into(),
                name: "default".into(),
                endpoint: "unix:///s.sock".into(),
                api_version: "1.41".into(),
                nodes: vec![
                    node("n1", "node1", NodeRole::Manager),
                    node("n2", "node2", NodeRole::Worker),
                ],
                services: vec![service],
                tasks,
            })
        }

        #[test]
        fn places_tasks_under_their_nodes_in_slot_order() {
            let o = overview(vec![
                task("t3", Some("n2"), 3),
                task("t1", Some("n1"), 1),
                task("t2", Some("n2"), 2),
            ]);
            assert_eq!((o.managers, o.workers), (1, 1));
            let names: Vec<Vec<String>> = o
                .nodes
                .iter()
                .map(|n| n.tasks.iter().map(TaskView::name).collect())
                .collect();
            assert_eq!(
                names,
                vec![
                    vec!["web.1".to_owned()],
                    vec!["web.2".to_owned(), "web.3".to_owned()]
                ]
            );
            assert!(o.unplaced.is_empty());
        }

        #[test]
        fn keeps_unscheduled_and_orphaned_tasks_visible() {
            let o = overview(vec![task("t1", None, 1), task("t2", Some("gone"), 2)]);
            assert_eq!(o.unplaced.len(), 2);
            assert!(o.nodes.iter().all(|n| n.tasks.is_empty()));
        }

        #[test]
        fn filter_matches_hostname_service_or_image_case_insensitively() {
            let o = overview(vec![task("t1", Some("n1"), 1)]);
            let (n, t) = (&o.nodes[0], &o.nodes[0].tasks[0]);
            assert!(task_matches(n, t, ""));
            assert!(task_matches(n, t, "NODE1"));
            assert!(task_matches(n, t, "web"));
            assert!(task_matches(n, t, "busybox"));
            assert!(!task_matches(n, t, "node2"));
        }
    }
}
