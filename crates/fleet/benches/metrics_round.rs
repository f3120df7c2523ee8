//! `make bench`: one metrics round over 100 running tasks on a three-node sandbox swarm,
//! every node's engine registered: wall time, the console's own CPU time (getrusage), and
//! engine requests per round. Goal: a round ≤ 1 s of wall time and ≤ 50 ms of CPU. Compared
//! with the docker CLI reading the same containers (`docker stats --no-stream` on each node).

#[path = "../tests/stack_support/mod.rs"]
#[allow(dead_code)] // shared with suites that use all of it
mod stack_support;
#[path = "../../engine/tests/support/mod.rs"]
#[allow(dead_code)] // shared with suites that use all of it
mod support;

use std::time::{Duration, Instant};

use flotilla_fleet::{Readings, SamplerConfig, StackInput};
use stack_support::fleet_adopting;
use support::Sandbox;

const TASKS: u64 = 100;

/// The process's CPU time so far (user + system).
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let of = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    of(usage.ru_utime) + of(usage.ru_stime)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let sandbox = Sandbox::up("fltbmet", "10.236.0", 3);
    sandbox.form_swarm();
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = fleet_adopting(&sandbox, "bench", dir.path()).await;
    stack_support::register_other_nodes(&fleet, &sandbox, 3).await;
    let input = StackInput {
        compose: format!(
            "services:\n  app:\n    image: local/busybox:1\n    command: [sleep, '3600']\n    deploy:\n      replicas: {TASKS}\n"
        ),
        ..StackInput::default()
    };
    fleet
        .deploy_stack(
            "bench",
            "load",
            &input,
            ("bench", flotilla_store::Role::Admin),
        )
        .await
        .expect("deploy");
    support::eventually("100 tasks run", Duration::from_secs(300), || async {
        let progress = fleet.stack_progress("bench", "load").await.ok()?;
        (progress.first()?.running == TASKS).then_some(())
    })
    .await;

    let config = SamplerConfig::default();
    let mut readings = Readings::default();
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    let mut requests = 0;
    for round in 0..11 {
        let (started, cpu) = (Instant::now(), cpu_time());
        let report = fleet
            .sample_round(&mut readings, flotilla_store::now_millis() / 1000, &config)
            .await
            .expect("round");
        let (wall, cpu) = (started.elapsed(), cpu_time() - cpu);
        assert_eq!(report.tasks, TASKS as usize, "{report:?}");
        // The first round opens the connections: not a round like the others.
        if round > 0 {
            walls.push(wall.as_secs_f64() * 1000.0);
            cpus.push(cpu.as_secs_f64() * 1000.0);
            requests = report.requests;
        }
        // An engine's stats collector wakes for the first request, then sleeps 1 s between
        // collections; requests that miss a collection wait for the next. Irregular pauses
        // keep the figure from depending on one spacing of rounds against that sleep.
        let phase = (round * 379) % 1000;
        tokio::time::sleep(Duration::from_millis(1000 + phase)).await;
    }
    let started = Instant::now();
    for node in 1..=3 {
        sandbox.docker(node, &["stats", "--no-stream", "--format", "{{.Name}}"]);
    }
    let cli = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "metrics round, {TASKS} tasks on 3 nodes: median wall {:.0} ms (goal ≤ 1000), slowest {:.0} ms, CPU {:.1} ms (goal ≤ 50), {requests} engine requests; docker stats --no-stream on the 3 nodes: {cli:.0} ms (ratio {:.2})",
        median(walls.clone()),
        walls.iter().copied().fold(0.0, f64::max),
        median(cpus),
        median(walls) / cli
    );
}
