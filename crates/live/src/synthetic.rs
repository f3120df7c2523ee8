//! Made-up states of any size, for the benchmarks and tests that need a large swarm this
//! machine cannot run.

use std::collections::BTreeMap;

use crate::{LiveNode, LiveService, LiveTask, Snapshot};

const STATES: [&str; 6] = [
    "running",
    "running",
    "running",
    "preparing",
    "starting",
    "pending",
];

/// `nodes` nodes and `tasks` tasks of `tasks / 10` services, spread as a scheduler spreads
/// replicas, in a mix of states.
pub fn synthetic(nodes: usize, tasks: usize) -> Snapshot {
    let services = (tasks / 10).max(1);
    let mut state = Snapshot {
        swarm: "bench".into(),
        seq: 1,
        ..Snapshot::default()
    };
    for n in 0..nodes {
        let id = format!("node{n:03}");
        state.nodes.insert(
            id.clone(),
            LiveNode {
                id: id.clone(),
                hostname: format!("host-{n:03}.example.internal"),
                role: if n < 3 { "manager" } else { "worker" }.into(),
                leader: n == 0,
                availability: "active".into(),
                state: "ready".into(),
                cpus: 8.0,
                memory_bytes: 32 << 30,
                labels: BTreeMap::from([("zone".into(), format!("z{}", n % 3))]),
                engine_version: "28.2.2".into(),
                address: format!("10.0.{}.{}", n / 250, n % 250 + 1),
            },
        );
    }
    for s in 0..services {
        let id = format!("svc{s:05}");
        state.services.insert(
            id.clone(),
            LiveService {
                id: id.clone(),
                name: format!("stack{}_service{s:05}", s % 7),
                stack: Some(format!("stack{}", s % 7)),
                image: format!("registry.example.internal/app{s}:1.{s}"),
                mode: "replicated".into(),
                replicas: Some(10),
            },
        );
    }
    for t in 0..tasks {
        let id = format!("task{t:06}");
        state.tasks.insert(
            id.clone(),
            LiveTask {
                id,
                service_id: format!("svc{:05}", t % services),
                node_id: Some(format!("node{:03}", t % nodes)),
                slot: Some((t / services) as u64 + 1),
                image: format!("registry.example.internal/app{}:1", t % services),
                state: STATES[t % STATES.len()].into(),
                desired_state: "running".into(),
                since: 1_780_000_000_000 + t as i64,
                error: None,
            },
        );
    }
    state
}
