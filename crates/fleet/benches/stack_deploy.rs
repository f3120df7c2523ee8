//! `make bench`: deploying a 10-service stack with Flotilla against `docker stack deploy` on
//! the same three-node sandbox swarm, alternating, several rounds; prints each time and the
//! ratio of the medians (the goal is at most 0.7). Both return once the swarm has accepted
//! every object, without waiting for tasks (`--detach=true`, and Flotilla's deploy).

#[path = "../tests/stack_support/mod.rs"]
mod stack_support;
#[path = "../../engine/tests/support/mod.rs"]
#[allow(dead_code)] // shared with suites that use all of it
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use flotilla_fleet::StackInput;
use stack_support::{fleet_adopting, stack_objects, wait_until_gone};
use support::Sandbox;

const ROUNDS: usize = 5;

/// Ten services on two networks, with a config and a secret: the objects a real stack has.
fn compose() -> String {
    let mut text = String::from("services:\n");
    for i in 0..10 {
        text.push_str(&format!(
            "  svc{i}:\n    image: local/busybox:1\n    command: [sleep, \"3600\"]\n    networks: [front, back]\n    environment:\n      INDEX: \"{i}\"\n    configs: [settings]\n    secrets: [token]\n    deploy:\n      replicas: 1\n"
        ));
    }
    text.push_str("networks:\n  front: {}\n  back: {}\nconfigs:\n  settings:\n    file: ./settings.conf\nsecrets:\n  token:\n    file: ./token.txt\n");
    text
}

fn docker(sandbox: &Sandbox, dir: &std::path::Path, args: &[&str]) {
    let cli = std::env::var("DOCKER_CLI").unwrap_or_else(|_| "/usr/local/bin/docker".into());
    let output = Command::new(cli)
        .current_dir(dir)
        .args(["-H", &sandbox.endpoint(1).to_string()])
        .args(args)
        .output()
        .expect("docker CLI");
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn remove(sandbox: &Sandbox, dir: &std::path::Path, stack: &str) {
    docker(sandbox, dir, &["stack", "rm", stack]);
    wait_until_gone(sandbox, stack, Duration::from_secs(90)).await;
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::main]
async fn main() {
    let sandbox = Sandbox::up("fltbch", "10.223.0", 3);
    sandbox.form_swarm();
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::write(work.path().join("compose.yml"), compose()).expect("compose");
    std::fs::write(work.path().join("settings.conf"), "level=info\n").expect("config");
    std::fs::write(work.path().join("token.txt"), "s3cret\n").expect("secret");
    let input = StackInput {
        compose: compose(),
        files: [
            ("settings.conf".to_owned(), b"level=info\n".to_vec()),
            ("token.txt".to_owned(), b"s3cret\n".to_vec()),
        ]
        .into(),
        ..StackInput::default()
    };

    let fleet = fleet_adopting(&sandbox, "bench", work.path()).await;

    let (mut cli_times, mut flotilla_times) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (cli, flt) = (format!("cli{round}"), format!("flt{round}"));
        // Alternate who goes first, so neither always meets a warmer swarm.
        for first_cli in [round % 2 == 0, round % 2 != 0] {
            if first_cli {
                let started = Instant::now();
                docker(
                    &sandbox,
                    work.path(),
                    &[
                        "stack",
                        "deploy",
                        "--detach=true",
                        "--resolve-image",
                        "never",
                        "-c",
                        "compose.yml",
                        &cli,
                    ],
                );
                cli_times.push(started.elapsed());
                assert_eq!(stack_objects(&sandbox, &cli), 14);
                remove(&sandbox, work.path(), &cli).await;
            } else {
                let started = Instant::now();
                fleet
                    .deploy_stack("bench", &flt, &input, "bench")
                    .await
                    .expect("deploy");
                flotilla_times.push(started.elapsed());
                assert_eq!(stack_objects(&sandbox, &flt), 14);
                remove(&sandbox, work.path(), &flt).await;
            }
        }
        println!(
            "round {}: docker stack deploy {:>4} ms, Flotilla {:>4} ms",
            round + 1,
            cli_times[round].as_millis(),
            flotilla_times[round].as_millis()
        );
    }
    let (cli, flotilla) = (median(cli_times), median(flotilla_times));
    println!(
        "10-service stack, median of {ROUNDS}: docker stack deploy {} ms, Flotilla {} ms, ratio {:.2} (goal ≤ 0.70)",
        cli.as_millis(),
        flotilla.as_millis(),
        flotilla.as_secs_f64() / cli.as_secs_f64()
    );
}
