//! A snapshot laid out as the visualizer draws it: a column per node (managers first), a card
//! per task, and a legend of services with a stable colour each. Where a node carries more
//! tasks than a column can show readably, each service's tasks there collapse into one card
//! with counts per state, so 100 nodes × 10,000 tasks draw as a few thousand cards.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::{LiveNode, LiveService, LiveTask, Snapshot};

/// A node with more tasks than this shows one card per service instead of one per task.
pub const GROUP_ABOVE: usize = 24;

/// What the page is narrowed to; empty fields narrow nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub stack: String,
    pub service: String,
    /// `key` or `key=value`: only nodes with that label.
    pub node_label: String,
}

impl Filter {
    fn keeps_service(&self, service: Option<&LiveService>) -> bool {
        let name = service.map_or("", |s| s.name.as_str());
        let stack = service.and_then(|s| s.stack.as_deref()).unwrap_or("");
        (self.stack.is_empty() || stack == self.stack)
            && (self.service.is_empty() || name == self.service)
    }

    fn keeps_node(&self, node: &LiveNode) -> bool {
        if self.node_label.is_empty() {
            return true;
        }
        match self.node_label.split_once('=') {
            Some((key, value)) => node.labels.get(key).is_some_and(|v| v == value),
            None => node.labels.contains_key(&self.node_label),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Card {
    Task {
        task: LiveTask,
        service: String,
        colour: u16,
    },
    /// Every task of one service on one node, counted by state (states in the order the
    /// column's tasks first show them).
    Group {
        service_id: String,
        service: String,
        colour: u16,
        counts: Vec<(String, usize)>,
    },
}

impl Card {
    /// A key that stays the same while the card does, for keyed rendering.
    pub fn key(&self) -> String {
        match self {
            Card::Task { task, .. } => task.id.clone(),
            Card::Group { service_id, .. } => format!("group-{service_id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// None for the tasks not yet placed on a node.
    pub node: Option<LiveNode>,
    pub task_count: usize,
    pub cards: Vec<Card>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegendEntry {
    pub service_id: String,
    pub name: String,
    pub stack: Option<String>,
    pub mode: String,
    /// Replicas, for a replicated service (the one mode that scales).
    pub replicas: Option<u64>,
    pub colour: u16,
    /// Its tasks on the page.
    pub tasks: usize,
}

/// A hue (0–359) that is the same for a service's name on every page and after a redeploy
/// (FNV-1a of the name), so a service keeps its colour.
pub fn service_colour(name: &str) -> u16 {
    let hash = name.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    (hash % 360) as u16
}

/// Services by ID, looked up once per task: hashing beats a string-comparing tree search at
/// 10,000 tasks.
type ServicesById<'a> = HashMap<&'a str, &'a LiveService>;

fn sorted_tasks<'a>(tasks: Vec<&'a LiveTask>, services: &ServicesById<'a>) -> Vec<&'a LiveTask> {
    let mut tasks = tasks;
    let name = |t: &'a LiveTask| services.get(t.service_id.as_str()).map(|s| s.name.as_str());
    tasks.sort_by_cached_key(|t| (name(t), t.slot, t.id.as_str()));
    tasks
}

fn cards<'a>(tasks: Vec<&'a LiveTask>, services: &ServicesById<'a>) -> Vec<Card> {
    let name_of = |id: &str| {
        services
            .get(id)
            .map_or_else(|| id.to_owned(), |s| s.name.clone())
    };
    if tasks.len() <= GROUP_ABOVE {
        return sorted_tasks(tasks, services)
            .into_iter()
            .map(|task| {
                let service = name_of(&task.service_id);
                Card::Task {
                    colour: service_colour(&service),
                    service,
                    task: task.clone(),
                }
            })
            .collect();
    }
    // One pass, no sort of the tasks: a crowded column costs the same at every change.
    let mut groups: BTreeMap<(&str, &str), Vec<(&str, usize)>> = BTreeMap::new();
    for task in tasks {
        let id = task.service_id.as_str();
        let name = services.get(id).map_or(id, |s| s.name.as_str());
        let counts = groups.entry((name, id)).or_default();
        match counts.iter_mut().find(|(state, _)| *state == task.state) {
            Some((_, count)) => *count += 1,
            None => counts.push((task.state.as_str(), 1)),
        }
    }
    groups
        .into_iter()
        .map(|((name, id), counts)| Card::Group {
            service_id: id.to_owned(),
            colour: service_colour(name),
            service: name.to_owned(),
            counts: counts
                .into_iter()
                .map(|(state, n)| (state.to_owned(), n))
                .collect(),
        })
        .collect()
}

/// The columns and the legend of `snapshot` narrowed by `filter`.
pub fn columns(snapshot: &Snapshot, filter: &Filter) -> (Vec<Column>, Vec<LegendEntry>) {
    let services: ServicesById = snapshot
        .services
        .values()
        .map(|s| (s.id.as_str(), s))
        .collect();
    let mut by_node: HashMap<Option<&str>, Vec<&LiveTask>> = HashMap::new();
    let mut per_service: HashMap<&str, usize> = HashMap::new();
    let nodes_kept: HashMap<&str, &LiveNode> = snapshot
        .nodes
        .values()
        .filter(|n| filter.keeps_node(n))
        .map(|n| (n.id.as_str(), n))
        .collect();
    let every_service = filter.stack.is_empty() && filter.service.is_empty();
    for task in snapshot.tasks.values() {
        if !every_service && !filter.keeps_service(services.get(task.service_id.as_str()).copied())
        {
            continue;
        }
        let node = task.node_id.as_deref();
        if node.is_some_and(|id| !nodes_kept.contains_key(id)) {
            continue;
        }
        *per_service.entry(task.service_id.as_str()).or_default() += 1;
        by_node.entry(node).or_default().push(task);
    }
    let mut nodes: Vec<&LiveNode> = nodes_kept.values().copied().collect();
    nodes.sort_by(|a, b| {
        (a.role != "manager", &a.hostname, &a.id).cmp(&(b.role != "manager", &b.hostname, &b.id))
    });
    let mut columns: Vec<Column> = nodes
        .into_iter()
        .map(|node| {
            let tasks = by_node.remove(&Some(node.id.as_str())).unwrap_or_default();
            Column {
                node: Some(node.clone()),
                task_count: tasks.len(),
                cards: cards(tasks, &services),
            }
        })
        .collect();
    // Tasks on no node, or on a node the swarm no longer lists.
    let unplaced: Vec<&LiveTask> = by_node.into_values().flatten().collect();
    if !unplaced.is_empty() {
        columns.push(Column {
            node: None,
            task_count: unplaced.len(),
            cards: cards(unplaced, &services),
        });
    }
    let mut legend: Vec<LegendEntry> = snapshot
        .services
        .values()
        .filter(|s| filter.keeps_service(Some(s)))
        // A legend explains the colours on the board: services without a task there are in
        // the services list, not here (unless asked for by name).
        .filter(|s| per_service.contains_key(s.id.as_str()) || filter.service == s.name)
        .map(|s| LegendEntry {
            service_id: s.id.clone(),
            name: s.name.clone(),
            stack: s.stack.clone(),
            mode: s.mode.clone(),
            replicas: s.replicas.filter(|_| s.mode == "replicated"),
            colour: service_colour(&s.name),
            tasks: per_service.get(s.id.as_str()).copied().unwrap_or(0),
        })
        .collect();
    legend.sort_by(|a, b| a.name.cmp(&b.name));
    (columns, legend)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::{node, service, snapshot, task};

    #[test]
    fn managers_come_first_and_unplaced_tasks_last() {
        let mut state = snapshot(vec![
            task("t1", "s1", Some("n2"), "running"),
            task("t2", "s1", None, "pending"),
        ]);
        state.nodes.get_mut("n2").unwrap().role = "manager".into();
        let (columns, legend) = columns(&state, &Filter::default());
        let names: Vec<_> = columns
            .iter()
            .map(|c| c.node.as_ref().map(|n| n.hostname.as_str()))
            .collect();
        assert_eq!(names, vec![Some("beta"), Some("alpha"), None]);
        assert_eq!(columns[0].cards.len(), 1);
        assert_eq!(columns[2].cards[0].key(), "t2");
        assert_eq!(legend[0].tasks, 2);
    }

    #[test]
    fn a_crowded_node_shows_a_card_per_service_with_counts() {
        let mut tasks: Vec<_> = (0..GROUP_ABOVE + 1)
            .map(|i| {
                task(
                    &format!("t{i}"),
                    "s1",
                    Some("n1"),
                    if i == 0 { "starting" } else { "running" },
                )
            })
            .collect();
        tasks.push(task("u1", "s2", Some("n1"), "running"));
        let mut state = snapshot(tasks);
        state
            .services
            .insert("s2".into(), service("s2", "shop_db", Some("shop")));
        let (columns, _) = columns(&state, &Filter::default());
        let alpha = &columns[0];
        assert_eq!(alpha.task_count, GROUP_ABOVE + 2);
        assert_eq!(alpha.cards.len(), 2, "one card per service");
        let Card::Group {
            service, counts, ..
        } = &alpha.cards[1]
        else {
            panic!("a group")
        };
        assert_eq!(service, "shop_web");
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        assert_eq!(total, GROUP_ABOVE + 1);
        assert!(counts.contains(&("starting".to_owned(), 1)));
    }

    #[test]
    fn filters_narrow_by_stack_service_and_node_label() {
        let mut state = snapshot(vec![
            task("t1", "s1", Some("n1"), "running"),
            task("t2", "s2", Some("n2"), "running"),
        ]);
        state
            .services
            .insert("s2".into(), service("s2", "blog_web", Some("blog")));
        state
            .nodes
            .get_mut("n2")
            .unwrap()
            .labels
            .insert("zone".into(), "b".into());
        let count = |filter: Filter| -> usize {
            columns(&state, &filter)
                .0
                .iter()
                .map(|c| c.task_count)
                .sum()
        };
        let by = |stack: &str, service: &str, label: &str| Filter {
            stack: stack.into(),
            service: service.into(),
            node_label: label.into(),
        };
        assert_eq!(count(by("", "", "")), 2);
        assert_eq!(count(by("blog", "", "")), 1);
        assert_eq!(count(by("", "shop_web", "")), 1);
        assert_eq!(count(by("", "", "zone=b")), 1);
        assert_eq!(count(by("", "", "zone=a")), 0);
        assert_eq!(columns(&state, &by("", "", "zone")).0.len(), 1);
        assert_eq!(columns(&state, &by("shop", "", "")).1.len(), 1);
    }

    #[test]
    fn a_service_keeps_its_colour() {
        assert_eq!(service_colour("shop_web"), service_colour("shop_web"));
        assert_ne!(service_colour("shop_web"), service_colour("shop_db"));
        assert!(service_colour("x") < 360);
        let _ = node("n", "h");
    }
}
