//! `make bench`: deploying a 10-service stack with Flotilla against `docker stack deploy` on
//! the same three-node sandbox swarm, alternating, several rounds, in two conditions: on a
//! quiet swarm (goal: at most 0.7 of the CLI's time) and right after a removal, while the
//! nodes are still cleaning up and dockerd answers slowly (goal: at most the CLI's time).
//! Prints each time and the ratio of the medians. Both return once the swarm has accepted
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

/// `docker stack rm`, returning at once as the CLI does: the nodes go on removing tasks and
/// networks for a while.
fn start_removal(sandbox: &Sandbox, dir: &std::path::Path, stack: &str) {
    docker(sandbox, dir, &["stack", "rm", stack]);
}

async fn remove(sandbox: &Sandbox, dir: &std::path::Path, stack: &str) {
    start_removal(sandbox, dir, stack);
    wait_until_gone(sandbox, stack, Duration::from_secs(90)).await;
}

/// Until no node runs a container or holds a stack's network: a deploy then meets a swarm
/// with nothing left to clean up.
async fn wait_until_quiet(sandbox: &Sandbox, nodes: usize) {
    support::eventually(
        "a quiet swarm",
        Duration::from_secs(120),
        move || async move {
            (1..=nodes)
                .all(|node| {
                    let containers = sandbox.docker(node, &["ps", "-aq"]);
                    let networks = sandbox.docker(
                        node,
                        &[
                            "network",
                            "ls",
                            "-q",
                            "--filter",
                            "label=com.docker.stack.namespace",
                        ],
                    );
                    containers.trim().is_empty() && networks.trim().is_empty()
                })
                .then_some(())
        },
    )
    .await;
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Who deploys: the docker CLI or Flotilla's fleet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Deployer {
    Cli,
    Flotilla,
}

struct Bench<'a> {
    sandbox: &'a Sandbox,
    dir: &'a std::path::Path,
    fleet: flotilla_fleet::Fleet,
    input: StackInput,
}

impl Bench<'_> {
    /// Deploys `stack` and returns how long it took until the swarm accepted every object.
    async fn deploy(&self, who: Deployer, stack: &str) -> Duration {
        let started = Instant::now();
        match who {
            Deployer::Cli => docker(
                self.sandbox,
                self.dir,
                &[
                    "stack",
                    "deploy",
                    "--detach=true",
                    "--resolve-image",
                    "never",
                    "-c",
                    "compose.yml",
                    stack,
                ],
            ),
            Deployer::Flotilla => {
                self.fleet
                    .deploy_stack(
                        "bench",
                        stack,
                        &self.input,
                        ("bench", flotilla_store::Role::Admin),
                    )
                    .await
                    .expect("deploy");
            }
        }
        let took = started.elapsed();
        assert_eq!(stack_objects(self.sandbox, stack), 14);
        took
    }
}

/// Times, per deployer, of a deploy on a quiet swarm and of one right after a removal.
#[derive(Default)]
struct Times {
    quiet: Vec<Duration>,
    after_removal: Vec<Duration>,
}

fn ratio_line(
    what: &str,
    cli: &Times,
    flotilla: &Times,
    pick: fn(&Times) -> &Vec<Duration>,
    goal: f64,
) {
    let (cli, flotilla) = (median(pick(cli).clone()), median(pick(flotilla).clone()));
    println!(
        "{what}, median of {ROUNDS}: docker stack deploy {} ms, Flotilla {} ms, ratio {:.2} (goal ≤ {goal:.2})",
        cli.as_millis(),
        flotilla.as_millis(),
        flotilla.as_secs_f64() / cli.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    const NODES: usize = 3;
    let sandbox = Sandbox::up("fltbch", "10.223.0", NODES);
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
        // As the CLI is run: `--resolve-image never`.
        resolve_image: flotilla_stack::ResolveImage::Never,
        ..StackInput::default()
    };
    let bench = Bench {
        sandbox: &sandbox,
        dir: work.path(),
        fleet: fleet_adopting(&sandbox, "bench", work.path()).await,
        input,
    };

    let (mut cli, mut flotilla) = (Times::default(), Times::default());
    for round in 0..ROUNDS {
        // Alternate who goes first, so neither always meets a warmer swarm.
        let order = if round % 2 == 0 {
            [Deployer::Cli, Deployer::Flotilla]
        } else {
            [Deployer::Flotilla, Deployer::Cli]
        };
        for who in order {
            let tag = if who == Deployer::Cli { "cli" } else { "flt" };
            let (first, second) = (format!("{tag}{round}a"), format!("{tag}{round}b"));
            wait_until_quiet(&sandbox, NODES).await;
            let quiet = bench.deploy(who, &first).await;
            // The second deploy follows the first one's removal at once, while the nodes are
            // still taking its tasks and networks down (dockerd is slow to answer then).
            start_removal(&sandbox, work.path(), &first);
            let after_removal = bench.deploy(who, &second).await;
            remove(&sandbox, work.path(), &second).await;
            wait_until_gone(&sandbox, &first, Duration::from_secs(90)).await;
            let times = if who == Deployer::Cli {
                &mut cli
            } else {
                &mut flotilla
            };
            times.quiet.push(quiet);
            times.after_removal.push(after_removal);
        }
        println!(
            "round {}: quiet swarm: docker stack deploy {:>5} ms, Flotilla {:>5} ms; right after a removal: docker stack deploy {:>5} ms, Flotilla {:>5} ms",
            round + 1,
            cli.quiet[round].as_millis(),
            flotilla.quiet[round].as_millis(),
            cli.after_removal[round].as_millis(),
            flotilla.after_removal[round].as_millis(),
        );
    }
    ratio_line(
        "10-service stack on a quiet swarm",
        &cli,
        &flotilla,
        |t| &t.quiet,
        0.7,
    );
    ratio_line(
        "10-service stack right after a removal",
        &cli,
        &flotilla,
        |t| &t.after_removal,
        1.0,
    );
}
