//! What the stack suites and the bench share: a Fleet that has adopted a sandbox's swarm,
//! and counting a stack's objects as `docker <kind> ls` lists them.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use flotilla_fleet::{Fleet, NewHostRequest};
use flotilla_store::Store;

use crate::support::{self, Sandbox};

/// A Fleet on a new store in `dir` that registered node1 as a host and adopted its swarm as
/// `swarm`.
pub async fn fleet_adopting(sandbox: &Sandbox, swarm: &str, dir: &Path) -> Fleet {
    let fleet = Fleet::new(Arc::new(Store::open_in(dir).await.expect("store")));
    let url = sandbox.endpoint(1).to_string();
    fleet
        .register_host(&NewHostRequest {
            name: "node1".into(),
            url: url.clone(),
            tls: None,
            save_anyway: false,
        })
        .await
        .expect("register");
    fleet.adopt_swarm(swarm, &url, None).await.expect("adopt");
    fleet
}

/// IDs of the stack's objects of one kind (`docker service ls -q --filter label=…`).
pub fn ids(sandbox: &Sandbox, kind: &str, stack: &str) -> Vec<String> {
    let filter = format!("label=com.docker.stack.namespace={stack}");
    sandbox
        .docker(1, &[kind, "ls", "-q", "--filter", &filter])
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// How many services, networks, secrets and configs carry the stack's label.
pub fn stack_objects(sandbox: &Sandbox, stack: &str) -> usize {
    ["service", "network", "secret", "config"]
        .iter()
        .map(|kind| ids(sandbox, kind, stack).len())
        .sum()
}

/// Until none of the stack's objects is left.
pub async fn wait_until_gone(sandbox: &Sandbox, stack: &str, timeout: Duration) {
    support::eventually(&format!("stack {stack} removed"), timeout, || async {
        (stack_objects(sandbox, stack) == 0).then_some(())
    })
    .await;
}

/// Registers every node after node1 as a host too, so each node's engine is reachable.
#[allow(dead_code)] // the metrics suites use it
pub async fn register_other_nodes(fleet: &Fleet, sandbox: &Sandbox, nodes: usize) {
    for node in 2..=nodes {
        fleet
            .register_host(&NewHostRequest {
                name: format!("node{node}"),
                url: sandbox.endpoint(node).to_string(),
                tls: None,
                save_anyway: false,
            })
            .await
            .expect("register");
    }
}
