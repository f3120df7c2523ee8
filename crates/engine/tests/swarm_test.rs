//! The engine layer against real engines: the classic tutorial on a two-host sandbox.
//! Needs root (network namespaces, dockerd); `make test` provides both.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use flotilla_engine::{
    DockerClient, Endpoint, EngineError, LocalSwarmState, ManagerReachability, NodeRole, NodeState,
    ServiceCreate, ServiceMode, SwarmInit, SwarmJoin, TaskState,
};
use support::{eventually, Sandbox};

#[tokio::test]
async fn a_two_node_swarm_runs_three_replicas_where_the_cli_says() {
    let sandbox = Sandbox::up("flteng", "10.217.0", 2);
    let manager = sandbox.client(1).await;
    let worker = sandbox.client(2).await;

    let info = manager.engine_info().await.expect("engine info");
    assert_eq!(info.swarm_state, LocalSwarmState::Inactive);
    assert!(!info.is_manager);
    assert!(matches!(
        manager.list_nodes().await,
        Err(EngineError::NotAManager { .. })
    ));

    // docker swarm init / docker swarm join, through our engine layer.
    manager
        .init_swarm(&SwarmInit {
            advertise_addr: sandbox.address(1),
            listen_addr: format!("{}:2377", sandbox.address(1)),
        })
        .await
        .expect("swarm init");
    let tokens = manager.join_tokens().await.expect("join tokens");
    assert!(tokens.worker.starts_with("SWMTKN-"));
    worker
        .join_swarm(&SwarmJoin {
            manager_addr: format!("{}:2377", sandbox.address(1)),
            join_token: tokens.worker,
            advertise_addr: sandbox.address(2),
            listen_addr: format!("{}:2377", sandbox.address(2)),
        })
        .await
        .expect("swarm join");

    let nodes = eventually("two ready nodes", Duration::from_secs(30), || async {
        let nodes = manager.list_nodes().await.expect("list nodes");
        (nodes.len() == 2 && nodes.iter().all(|n| n.state == NodeState::Ready)).then_some(nodes)
    })
    .await;
    assert_eq!(
        nodes
            .iter()
            .map(|n| (n.hostname.as_str(), n.role))
            .collect::<Vec<_>>(),
        vec![("node1", NodeRole::Manager), ("node2", NodeRole::Worker)]
    );
    assert_eq!(nodes[0].manager_status, Some(ManagerReachability::Leader));
    assert_eq!(nodes[1].manager_status, None);
    let cli_version = sandbox.docker(1, &["version", "--format", "{{.Server.Version}}"]);
    assert!(
        nodes.iter().all(|n| n.engine_version == cli_version.trim()),
        "{nodes:?}"
    );
    assert_eq!(manager.inspect_swarm().await.expect("swarm").id.len(), 25);
    assert!(matches!(
        worker.inspect_swarm().await,
        Err(EngineError::NotAManager { .. })
    ));
    assert!(
        worker.engine_info().await.expect("worker info").swarm_state == LocalSwarmState::Active
    );

    manager
        .create_service(&ServiceCreate {
            name: "web".into(),
            image: "local/busybox:1".into(),
            replicas: 3,
            command: vec!["sleep".into(), "3600".into()],
        })
        .await
        .expect("create service");
    let services = manager.list_services().await.expect("list services");
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].name, "web");
    assert_eq!(services[0].mode, ServiceMode::Replicated { replicas: 3 });

    let tasks = eventually("three running tasks", Duration::from_secs(90), || async {
        let tasks = manager.list_current_tasks().await.expect("list tasks");
        (tasks.len() == 3 && tasks.iter().all(|t| t.state == TaskState::Running)).then_some(tasks)
    })
    .await;
    let hostnames: HashMap<&str, &str> = nodes
        .iter()
        .map(|n| (n.id.as_str(), n.hostname.as_str()))
        .collect();
    let ours: BTreeMap<String, String> = tasks
        .iter()
        .map(|task| {
            let node = task.node_id.as_deref().expect("a running task is placed");
            let slot = task.slot.expect("replicated tasks have slots");
            (format!("web.{slot}"), hostnames[node].to_owned())
        })
        .collect();
    let cli: BTreeMap<String, String> = sandbox
        .docker(
            1,
            &[
                "service",
                "ps",
                "web",
                "--filter",
                "desired-state=running",
                "--format",
                "{{.Name}} {{.Node}}",
            ],
        )
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(name, node)| (name.to_owned(), node.to_owned()))
        .collect();
    assert_eq!(
        ours, cli,
        "placement reported by Flotilla differs from `docker service ps`"
    );
    assert_eq!(ours.len(), 3);
}

#[tokio::test]
async fn a_missing_socket_is_reported_as_unreachable() {
    let endpoint: Endpoint = "unix:///run/flotilla-test-no-such.sock"
        .parse()
        .expect("valid");
    let err = DockerClient::connect(&endpoint)
        .await
        .expect_err("nothing listens there");
    assert!(err.is_unreachable(), "{err}");
    assert!(
        err.to_string().contains("/run/flotilla-test-no-such.sock"),
        "{err}"
    );
}
