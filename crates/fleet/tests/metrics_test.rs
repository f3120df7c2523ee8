//! Metrics on a real three-node sandbox, each node's engine registered as a host: a task
//! that burns a CPU shows about one core for its service and its node after two rounds, an
//! idle one about none, memory as the engine counts it, and a node whose engine stops leaves
//! a gap, not zeros. Needs root; `make test` provides it.

#[allow(dead_code)] // shared with suites that use all of it
mod stack_support;
#[path = "../../engine/tests/support/mod.rs"]
#[allow(dead_code)] // shared with suites that use all of it
mod support;

use std::time::Duration;

use flotilla_fleet::{MetricRange, Readings, SamplerConfig, StackInput};
use stack_support::fleet_adopting;
use support::Sandbox;

const STACK: &str = "services:
  busy:
    image: local/busybox:1
    command: [sh, -c, 'while :; do :; done']
    deploy:
      placement:
        constraints: [node.hostname == node2]
  idle:
    image: local/busybox:1
    command: [sleep, '3600']
    deploy:
      placement:
        constraints: [node.hostname == node3]
";

fn now() -> i64 {
    flotilla_store::now_millis() / 1000
}

/// The newest point of the first series.
fn last(series: &[flotilla_charts::Series]) -> Option<f64> {
    series.first()?.points.last().map(|p| p.1)
}

/// `1.5MiB / 1.9GiB` → bytes of the first figure.
fn cli_bytes(text: &str) -> f64 {
    let used = text.split('/').next().unwrap_or_default().trim();
    let split = used
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(used.len());
    let (number, unit) = used.split_at(split);
    let factor = match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        other => panic!("unit {other} in {text}"),
    };
    number.parse::<f64>().expect("number") * factor
}

#[tokio::test(flavor = "multi_thread")]
async fn busy_and_idle_tasks_measured_on_their_nodes_and_a_stopped_engine_leaves_a_gap() {
    let sandbox = Sandbox::up("fltmet", "10.235.0", 3);
    sandbox.form_swarm();
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = fleet_adopting(&sandbox, "prod", dir.path()).await;
    stack_support::register_other_nodes(&fleet, &sandbox, 3).await;
    let input = StackInput {
        compose: STACK.into(),
        ..StackInput::default()
    };
    fleet
        .deploy_stack("prod", "load", &input, ("ci", flotilla_store::Role::Admin))
        .await
        .expect("deploy");
    support::eventually("both tasks run", Duration::from_secs(90), || async {
        let progress = fleet.stack_progress("prod", "load").await.ok()?;
        progress.iter().all(|s| s.running == 1).then_some(())
    })
    .await;

    let config = SamplerConfig::default();
    let mut readings = Readings::default();
    let first = fleet
        .sample_round(&mut readings, now(), &config)
        .await
        .expect("round 1");
    assert_eq!(first.tasks, 2, "{first:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let second = fleet
        .sample_round(&mut readings, now(), &config)
        .await
        .expect("round 2");
    println!("round 2: {second:?}");

    let busy = fleet
        .service_metrics("prod", "load_busy", MetricRange::Minutes15, now())
        .await
        .expect("busy");
    let idle = fleet
        .service_metrics("prod", "load_idle", MetricRange::Minutes15, now())
        .await
        .expect("idle");
    let (busy_cpu, idle_cpu) = (
        last(&busy.cpu).expect("busy CPU"),
        last(&idle.cpu).expect("idle CPU"),
    );
    println!("busy {busy_cpu:.1} %, idle {idle_cpu:.1} % of a core");
    assert!((80.0..=120.0).contains(&busy_cpu), "busy {busy_cpu}");
    assert!(idle_cpu < 5.0, "idle {idle_cpu}");

    let nodes = fleet.nodes("prod").await.expect("nodes");
    let node_id = |host: &str| {
        nodes
            .iter()
            .find(|n| n.node.hostname == host)
            .map(|n| n.node.id.clone())
            .expect("node")
    };
    let node2 = fleet
        .node_metrics("prod", &node_id("node2"), MetricRange::Minutes15, now())
        .await
        .expect("node2");
    let node2_cpu = last(&node2.cpu).expect("node2 CPU");
    assert!((80.0..=120.0).contains(&node2_cpu), "node2 {node2_cpu}");

    // Memory as `docker stats` counts it, within 5 %.
    let container = sandbox
        .docker(
            3,
            &[
                "ps",
                "-q",
                "--filter",
                "label=com.docker.swarm.service.name=load_idle",
            ],
        )
        .trim()
        .to_owned();
    let cli = cli_bytes(&sandbox.docker(
        3,
        &[
            "stats",
            "--no-stream",
            "--format",
            "{{.MemUsage}}",
            &container,
        ],
    ));
    let ours = last(&idle.memory).expect("idle memory");
    println!("idle memory: {ours} bytes, docker stats {cli} bytes");
    assert!(
        (ours - cli).abs() <= cli * 0.05 + 64.0 * 1024.0,
        "{ours} vs {cli}"
    );

    // node3's engine stops: the next round has nothing from it, and its line has a gap.
    sandbox.stop_node(3);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let third_at = now();
    fleet
        .sample_round(&mut readings, third_at, &config)
        .await
        .expect("round 3");
    let idle = fleet
        .service_metrics("prod", "load_idle", MetricRange::Minutes15, now())
        .await
        .expect("idle");
    let newest = idle
        .cpu
        .iter()
        .flat_map(|s| s.points.iter())
        .map(|p| p.0)
        .max();
    assert!(newest < Some(third_at), "no sample from a stopped engine");
    let busy = fleet
        .service_metrics("prod", "load_busy", MetricRange::Minutes15, now())
        .await
        .expect("busy");
    let newest_busy = busy
        .cpu
        .iter()
        .flat_map(|s| s.points.iter())
        .map(|p| p.0)
        .max();
    assert_eq!(newest_busy, Some(third_at), "node2 still sampled");
    let node3 = fleet
        .node_metrics("prod", &node_id("node3"), MetricRange::Minutes15, now())
        .await
        .expect("node3");
    assert!(node3
        .cpu
        .iter()
        .all(|s| s.points.iter().all(|p| p.0 < third_at)));
}
