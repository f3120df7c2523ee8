//! Swarm operations as the console runs them, against a three-host sandbox (one host
//! reached over TLS), checked with the docker CLI. Needs root; `make test` provides it.

#[path = "../../engine/tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use flotilla_engine::{LocalSwarmState, NodeAvailability, ServiceCreate, TokenKind};
use flotilla_fleet::{Fleet, JoinRole, NewHostRequest, NodeAction};
use flotilla_store::{Store, TlsMaterial};
use support::{eventually, Sandbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn open_fleet(dir: &tempfile::TempDir) -> Fleet {
    Fleet::new(Arc::new(Store::open_in(dir.path()).await.expect("store")))
}

fn host(name: &str, url: &str) -> NewHostRequest {
    NewHostRequest {
        name: name.into(),
        url: url.into(),
        tls: None,
        save_anyway: false,
    }
}

/// `docker node ls` on node1 as "hostname manager-status availability status" lines.
fn node_ls(sandbox: &Sandbox) -> Vec<String> {
    let mut lines: Vec<String> = sandbox
        .docker(
            1,
            &[
                "node",
                "ls",
                "--format",
                "{{.Hostname}} {{.ManagerStatus}} {{.Availability}} {{.Status}}",
            ],
        )
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

async fn wait_for_nodes(sandbox: &Sandbox, expected: &[&str]) {
    eventually(
        &format!("docker node ls = {expected:?}"),
        Duration::from_secs(40),
        || async { (node_ls(sandbox) == expected).then_some(()) },
    )
    .await;
}

/// An HTTP server that is not a Docker engine, on loopback.
async fn not_docker() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let _ = socket
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot here\n",
                )
                .await;
        }
    });
    format!("tcp://{addr}")
}

#[tokio::test]
async fn a_swarm_is_built_managed_and_dissolved_from_registered_hosts() {
    let sandbox = Sandbox::up_with_tls("fltflt", "10.216.0", 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = open_fleet(&dir).await;
    let sock = |i: usize| sandbox.endpoint(i).to_string();
    let tls_url = format!("tcp://{}:2376", sandbox.address(3));
    let good_tls = TlsMaterial {
        ca: sandbox.tls_file("ca.pem"),
        cert: sandbox.tls_file("cert.pem"),
        key: sandbox.tls_file("key.pem"),
    };

    // Bad hosts: each refused with the reason, and nothing saved.
    let closed_port = format!("tcp://{}:2399", sandbox.address(1));
    let err = fleet
        .register_host(&host("gone", &closed_port))
        .await
        .expect_err("closed port");
    assert_eq!(err.code(), "engine_unreachable", "{err}");
    let regular_file = dir.path().join("not-a-socket");
    std::fs::write(&regular_file, "x").expect("write");
    let err = fleet
        .register_host(&host("file", &format!("unix://{}", regular_file.display())))
        .await
        .expect_err("regular file");
    // A file and no file at all read the same: registering does not tell which paths exist.
    let missing = dir.path().join("no-such-file");
    let err_missing = fleet
        .register_host(&host("none", &format!("unix://{}", missing.display())))
        .await
        .expect_err("missing path");
    assert_eq!(
        err.to_string()
            .replace(&regular_file.display().to_string(), "PATH"),
        err_missing
            .to_string()
            .replace(&missing.display().to_string(), "PATH"),
    );
    assert!(
        err.to_string().contains("no Docker engine socket at"),
        "{err}"
    );
    let err = fleet
        .register_host(&host("web", &not_docker().await))
        .await
        .expect_err("not docker");
    assert_eq!(err.code(), "not_docker", "{err}");
    assert!(
        !err.to_string().contains("not here"),
        "what a stranger answered is not shown: {err}"
    );
    let untrusted_client = TlsMaterial {
        // The node's server certificate is not valid for client authentication.
        cert: sandbox.tls_file("node3-cert.pem"),
        key: sandbox.tls_file("node3-key.pem"),
        ..good_tls.clone()
    };
    let wrong_ca = TlsMaterial {
        ca: sandbox.tls_file("cert.pem"),
        ..good_tls.clone()
    };
    for (what, tls) in [("client cert", untrusted_client), ("CA", wrong_ca)] {
        let err = fleet
            .register_host(&NewHostRequest {
                tls: Some(tls),
                ..host("node3", &tls_url)
            })
            .await
            .expect_err(what);
        assert_eq!(err.code(), "engine_tls", "{what}: {err}");
    }
    let err = fleet
        .register_host(&host("bad name!", &sock(1)))
        .await
        .expect_err("name");
    assert_eq!(err.field(), Some("name"));
    let err = fleet
        .register_host(&host("x", "http://node1"))
        .await
        .expect_err("url");
    assert_eq!(err.field(), Some("url"));
    assert!(fleet.host_statuses().await.expect("hosts").is_empty());

    // "Save anyway" keeps an unreachable host, with the reason.
    let saved = fleet
        .register_host(&NewHostRequest {
            save_anyway: true,
            ..host("later", &closed_port)
        })
        .await
        .expect("save anyway");
    assert!(saved.engine.is_err());
    fleet.remove_host("later").await.expect("remove host");

    // Three good hosts, the third over TLS.
    for i in 1..=2 {
        let status = fleet
            .register_host(&host(&format!("node{i}"), &sock(i)))
            .await
            .expect("register");
        let info = status.engine.expect("engine info");
        assert_eq!(info.swarm_state, LocalSwarmState::Inactive);
        assert!(info.cpus > 0 && info.memory_bytes > 0);
        assert!(
            info.engine_version.starts_with("20.10"),
            "{}",
            info.engine_version
        );
    }
    let status = fleet
        .register_host(&NewHostRequest {
            tls: Some(good_tls.clone()),
            ..host("node3", &tls_url)
        })
        .await
        .expect("register over TLS");
    assert_eq!(status.engine.expect("tls info").hostname, "node3");
    let err = fleet
        .register_host(&host("again", &sock(1)))
        .await
        .expect_err("same URL");
    assert_eq!(err.code(), "conflict");

    // Create: init on node1, join the others, as the UI does step by step.
    let swarm = fleet
        .init_swarm("prod", "node1", &sandbox.address(1))
        .await
        .expect("init");
    let retried = fleet
        .init_swarm("prod", "node1", &sandbox.address(1))
        .await
        .expect("retried init");
    assert_eq!(retried.id, swarm.id);
    for i in 2..=3 {
        fleet
            .join_host(
                "prod",
                &format!("node{i}"),
                JoinRole::Worker,
                &sandbox.address(i),
            )
            .await
            .expect("join");
    }
    fleet
        .join_host("prod", "node2", JoinRole::Worker, "")
        .await
        .expect("a retried join is a no-op");
    wait_for_nodes(
        &sandbox,
        &[
            "node1 Leader Active Ready",
            "node2  Active Ready",
            "node3  Active Ready",
        ],
    )
    .await;
    let entries = fleet.nodes("prod").await.expect("nodes");
    assert_eq!(
        entries
            .iter()
            .map(|e| e.host.as_deref())
            .collect::<Vec<_>>(),
        vec![Some("node1"), Some("node2"), Some("node3")]
    );
    let summaries = fleet.swarm_summaries().await.expect("summaries");
    assert_eq!((summaries[0].managers, summaries[0].workers), (1, 2));

    // Refusals leave the swarm as it was.
    let before = node_ls(&sandbox);
    let err = fleet
        .change_node("prod", "node1", &NodeAction::Demote)
        .await
        .expect_err("last manager");
    assert_eq!(err.code(), "conflict");
    let err = fleet
        .remove_node("prod", "node1", false)
        .await
        .expect_err("only manager");
    assert_eq!(err.code(), "conflict");
    let err = fleet
        .init_swarm("second", "node2", "")
        .await
        .expect_err("node2 is taken");
    assert_eq!(err.code(), "conflict");
    let err = fleet
        .change_node("prod", "nope", &NodeAction::Promote)
        .await
        .expect_err("no node");
    assert_eq!(err.code(), "not_found");
    let bad_label = NodeAction::AddLabel {
        key: "bad key".into(),
        value: "x".into(),
    };
    let err = fleet
        .change_node("prod", "node2", &bad_label)
        .await
        .expect_err("bad label");
    assert_eq!(err.field(), Some("label"));
    assert_eq!(node_ls(&sandbox), before);

    // Promote, demote.
    fleet
        .change_node("prod", "node2", &NodeAction::Promote)
        .await
        .expect("promote");
    wait_for_nodes(
        &sandbox,
        &[
            "node1 Leader Active Ready",
            "node2 Reachable Active Ready",
            "node3  Active Ready",
        ],
    )
    .await;
    fleet
        .change_node("prod", "node2", &NodeAction::Demote)
        .await
        .expect("demote");
    wait_for_nodes(
        &sandbox,
        &[
            "node1 Leader Active Ready",
            "node2  Active Ready",
            "node3  Active Ready",
        ],
    )
    .await;

    // Labels.
    let zone = NodeAction::AddLabel {
        key: "zone".into(),
        value: "b".into(),
    };
    fleet
        .change_node("prod", "node2", &zone)
        .await
        .expect("label");
    let labels = |s: &Sandbox| {
        s.docker(
            1,
            &["node", "inspect", "-f", "{{json .Spec.Labels}}", "node2"],
        )
    };
    assert_eq!(labels(&sandbox).trim(), r#"{"zone":"b"}"#);
    fleet
        .change_node("prod", "node2", &NodeAction::RemoveLabel("zone".into()))
        .await
        .expect("unlabel");
    assert_eq!(labels(&sandbox).trim(), "{}");

    // Drain: the tasks on node3 move elsewhere.
    let manager = sandbox.client(1).await;
    manager
        .create_service(&ServiceCreate {
            name: "web".into(),
            image: "local/busybox:1".into(),
            replicas: 6,
            command: vec!["sleep".into(), "3600".into()],
        })
        .await
        .expect("service");
    let running_on = |s: &Sandbox, node: &str| {
        s.docker(
            1,
            &[
                "node",
                "ps",
                node,
                "--filter",
                "desired-state=running",
                "--format",
                "{{.CurrentState}}",
            ],
        )
        .lines()
        .filter(|l| l.starts_with("Running"))
        .count()
    };
    eventually(
        "tasks running on node3",
        Duration::from_secs(60),
        || async { (running_on(&sandbox, "node3") > 0).then_some(()) },
    )
    .await;
    fleet
        .change_node(
            "prod",
            "node3",
            &NodeAction::Availability(NodeAvailability::Drain),
        )
        .await
        .expect("drain");
    eventually(
        "node3 drained, six tasks elsewhere",
        Duration::from_secs(60),
        || async {
            (running_on(&sandbox, "node3") == 0
                && running_on(&sandbox, "node1") + running_on(&sandbox, "node2") == 6)
                .then_some(())
        },
    )
    .await;

    // Remove node3 (drain, leave, rm); a host in another swarm is refused; it joins back.
    fleet
        .remove_node("prod", "node3", false)
        .await
        .expect("remove node3");
    wait_for_nodes(
        &sandbox,
        &["node1 Leader Active Ready", "node2  Active Ready"],
    )
    .await;
    sandbox.docker(
        3,
        &["swarm", "init", "--advertise-addr", &sandbox.address(3)],
    );
    let before = node_ls(&sandbox);
    let err = fleet
        .join_host("prod", "node3", JoinRole::Worker, "")
        .await
        .expect_err("other swarm");
    assert_eq!(err.code(), "conflict", "{err}");
    assert_eq!(node_ls(&sandbox), before);
    sandbox.docker(3, &["swarm", "leave", "--force"]);
    fleet
        .join_host("prod", "node3", JoinRole::Manager, &sandbox.address(3))
        .await
        .expect("rejoin");
    wait_for_nodes(
        &sandbox,
        &[
            "node1 Leader Active Ready",
            "node2  Active Ready",
            "node3 Reachable Active Ready",
        ],
    )
    .await;

    // Join tokens rotate; the other kind stays.
    let old = fleet.join_tokens("prod").await.expect("tokens");
    let new = fleet
        .rotate_join_token("prod", TokenKind::Worker)
        .await
        .expect("rotate");
    assert_ne!(old.worker, new.worker);
    assert_eq!(old.manager, new.manager);

    // Adoption from a second console sees the same swarm.
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = open_fleet(&other_dir).await;
    let adopted = other
        .adopt_swarm("adopted", &sock(1), None)
        .await
        .expect("adopt");
    assert_eq!(adopted.id, swarm.id);
    assert_eq!(other.nodes("adopted").await.expect("nodes").len(), 3);
    let err = other
        .adopt_swarm("w", &sock(2), None)
        .await
        .expect_err("a worker cannot be adopted");
    assert_eq!(err.code(), "invalid");

    // Dissolve, with the typed confirmation.
    let err = fleet
        .dissolve_swarm("prod", "prdo")
        .await
        .expect_err("confirmation");
    assert_eq!(err.field(), Some("confirm"));
    fleet
        .dissolve_swarm("prod", "prod")
        .await
        .expect("dissolve");
    for i in 1..=3 {
        let state = sandbox.docker(i, &["info", "--format", "{{.Swarm.LocalNodeState}}"]);
        assert_eq!(state.trim(), "inactive", "node{i}");
    }
    assert!(fleet.swarms().await.expect("swarms").is_empty());
}
