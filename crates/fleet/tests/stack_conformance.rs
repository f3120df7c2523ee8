//! Every compose file in `tests/stacks` is deployed twice to one sandbox swarm: once by the
//! real CLI (`docker stack deploy`, as stack `cliN`) and once by Flotilla (as `fltN`). The
//! services, networks, secrets and configs the engine then reports must be identical once
//! the stack names and object IDs are set aside. Needs root; `make test` provides it.

mod stack_support;
#[path = "../../engine/tests/support/mod.rs"]
#[allow(dead_code)] // shared with suites that use all of it
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use flotilla_fleet::{Fleet, StackInput};
use flotilla_stack::Change;
use serde_json::Value;
use stack_support::{fleet_adopting, ids, wait_until_gone};
use support::Sandbox;

/// The CLI the issue names; `DOCKER_CLI` overrides, as in the other suites.
fn docker_cli() -> String {
    std::env::var("DOCKER_CLI").unwrap_or_else(|_| "/usr/local/bin/docker".into())
}

/// Variables the deployer has, given to the CLI's environment and to Flotilla alike.
fn deployer_env() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("FROM_DEPLOYER".to_owned(), "deployer-value".to_owned()),
        ("REGION".to_owned(), "eu-west".to_owned()),
        ("REPLICAS".to_owned(), "2".to_owned()),
        ("FROM_DOTENV".to_owned(), "the-deployer-wins".to_owned()),
    ])
}

/// The corpus: every `tests/stacks/*.yml`. Objects it names explicitly (`name:`) sort after
/// both `cliN_` and `fltN_`, so references sorted by name line up for either stack.
fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stacks");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/stacks")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    files
}

/// What Flotilla is given for `file`: the text, the deployer's variables, the attached
/// files under `files/`, and the file's own `.env` as `.env`.
fn input_for(file: &Path) -> StackInput {
    let dir = file.parent().expect("dir");
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir.join("files")).expect("files") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        files.insert(format!("files/{name}"), std::fs::read(&path).expect("read"));
    }
    if let Ok(dotenv) = std::fs::read(file.with_extension("env")) {
        files.insert(".env".to_owned(), dotenv);
    }
    StackInput {
        compose: std::fs::read_to_string(file).expect("compose"),
        env: deployer_env(),
        files,
        prune: false,
        // As the CLI is run: `--resolve-image never` (tests/registries_test.rs compares the
        // default, on a registry).
        resolve_image: flotilla_stack::ResolveImage::Never,
    }
}

/// `docker stack deploy` from a copy of the file beside its own `.env`, as the CLI reads it.
fn cli_deploy(sandbox: &Sandbox, file: &Path, stack: &str) {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = file.parent().expect("dir");
    std::fs::create_dir(work.path().join("files")).expect("mkdir");
    for entry in std::fs::read_dir(dir.join("files")).expect("files") {
        let path = entry.expect("entry").path();
        std::fs::copy(
            &path,
            work.path()
                .join("files")
                .join(path.file_name().expect("name")),
        )
        .expect("copy");
    }
    // `docker stack deploy` reads no `.env`: its variables reach the CLI through the
    // environment, under the deployer's own.
    let dotenv = std::fs::read_to_string(file.with_extension("env")).unwrap_or_default();
    let dotenv = flotilla_compose::parse_dotenv(&dotenv).expect(".env");
    std::fs::copy(file, work.path().join("compose.yml")).expect("copy");
    let output = Command::new(docker_cli())
        .current_dir(work.path())
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .envs(dotenv)
        .envs(deployer_env())
        .args(["-H", &sandbox.endpoint(1).to_string()])
        .args([
            "stack",
            "deploy",
            "--detach=true",
            "--resolve-image",
            "never",
        ])
        .args(["-c", "compose.yml", stack])
        .output()
        .expect("run the docker CLI");
    assert!(
        output.status.success(),
        "docker stack deploy {}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `docker <kind> inspect` of the stack's objects, by name with the stack name replaced,
/// IDs, versions and timestamps dropped.
fn inspect(sandbox: &Sandbox, kind: &str, stack: &str) -> BTreeMap<String, Value> {
    let ids = ids(sandbox, kind, stack);
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    if ids.is_empty() {
        return BTreeMap::new();
    }
    let mut args = vec![kind, "inspect"];
    args.extend(ids);
    let mut text = sandbox.docker(1, &args);
    // Services name their networks by ID.
    for line in sandbox
        .docker(
            1,
            &[
                "network",
                "ls",
                "--no-trunc",
                "--format",
                "{{.ID}} {{.Name}}",
            ],
        )
        .lines()
    {
        if let Some((id, name)) = line.split_once(' ') {
            text = text.replace(
                &format!("\"Target\": \"{id}\""),
                &format!("\"Target\": \"{name}\""),
            );
        }
    }
    let text = text.replace(&format!("{stack}_"), "STACK_");
    let text = text.replace(&format!("\"{stack}\""), "\"STACK\"");
    let objects: Vec<Value> = serde_json::from_str(&text).expect("inspect json");
    objects
        .into_iter()
        .map(|mut object| {
            let name = object
                .pointer("/Spec/Name")
                .or_else(|| object.get("Name"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            strip_identity(&mut object);
            (name, object)
        })
        .collect()
}

/// Removes what differs between any two deployments of the same thing.
fn strip_identity(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in [
                "ID",
                "Id",
                "Version",
                "CreatedAt",
                "UpdatedAt",
                "Created",
                "SecretID",
                "ConfigID",
                "Endpoint",
                "UpdateStatus",
                "Containers",
                "IPAM",
                "ServiceStatus",
                "PreviousSpec",
                "Peers",
                "JobStatus",
                // Allocated by swarm per network.
                "com.docker.network.driver.overlay.vxlanid_list",
            ] {
                map.remove(key);
            }
            map.values_mut().for_each(strip_identity);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_identity),
        _ => {}
    }
}

/// The subnet the file asked for survives in the network's IPAM; the rest of IPAM (the
/// gateway swarm picked) is set aside with the other identity fields.
fn subnets(sandbox: &Sandbox, stack: &str) -> BTreeMap<String, Vec<String>> {
    let filter = format!("label=com.docker.stack.namespace={stack}");
    sandbox
        .docker(
            1,
            &[
                "network",
                "ls",
                "--filter",
                &filter,
                "--format",
                "{{.Name}}",
            ],
        )
        .lines()
        .map(|name| {
            let subnets = sandbox.docker(
                1,
                &[
                    "network",
                    "inspect",
                    name,
                    "--format",
                    "{{range .IPAM.Config}}{{.Subnet}} {{end}}",
                ],
            );
            let mut subnets: Vec<String> = subnets.split_whitespace().map(str::to_owned).collect();
            subnets.retain(|s| s.starts_with("10.99."));
            (name.replacen(&format!("{stack}_"), "STACK_", 1), subnets)
        })
        .collect()
}

fn assert_same(
    kind: &str,
    file: &Path,
    cli: &BTreeMap<String, Value>,
    ours: &BTreeMap<String, Value>,
) {
    assert_eq!(
        cli.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>(),
        "{}: {kind} names differ",
        file.display()
    );
    for (name, expected) in cli {
        let actual = &ours[name];
        if expected != actual {
            let changes = flotilla_stack::diff_specs(expected, actual);
            panic!(
                "{}: {kind} {name} differs from the CLI's:\n{}\nCLI: {}\nFlotilla: {}",
                file.display(),
                changes
                    .iter()
                    .map(|c| format!("  {}: {:?} → {:?}", c.path, c.before, c.after))
                    .collect::<Vec<_>>()
                    .join("\n"),
                serde_json::to_string(expected).unwrap_or_default(),
                serde_json::to_string(actual).unwrap_or_default()
            );
        }
    }
}

#[tokio::test]
async fn flotilla_deploys_every_corpus_file_exactly_as_docker_stack_deploy() {
    let sandbox = Sandbox::up("fltstk", "10.219.0", 1);
    sandbox.docker(
        1,
        &["swarm", "init", "--advertise-addr", &sandbox.address(1)],
    );
    // What the corpus declares external.
    sandbox.docker(1, &["network", "create", "-d", "overlay", "shared-overlay"]);
    sandbox.docker(1, &["volume", "create", "shared-volume"]);
    let token_file = tempfile::NamedTempFile::new().expect("tempfile");
    std::fs::write(token_file.path(), "token").expect("write");
    sandbox.docker(
        1,
        &[
            "secret",
            "create",
            "shared-token",
            &token_file.path().to_string_lossy(),
        ],
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = fleet_adopting(&sandbox, "conformance", dir.path()).await;

    for (i, file) in corpus().iter().enumerate() {
        let (cli, flt) = (format!("cli{i}"), format!("flt{i}"));
        let input = input_for(file);
        cli_deploy(&sandbox, file, &cli);
        let by_cli = snapshot(&sandbox, &cli);
        // A stack the CLI made is Flotilla's to manage: the same file plans no change.
        assert_no_change(&fleet, &cli, &input, file).await;
        // Published ports and subnets are the swarm's to hand out once: the CLI's stack
        // goes before Flotilla deploys the same file.
        sandbox.docker(1, &["stack", "rm", &cli]);
        wait_until_gone(&sandbox, &cli, Duration::from_secs(60)).await;

        let deployed = fleet
            .deploy_stack(
                "conformance",
                &flt,
                &input,
                ("conformance", flotilla_store::Role::Admin),
            )
            .await
            .unwrap_or_else(|err| panic!("{}: {err}", file.display()));
        assert!(deployed.applied);
        let by_flotilla = snapshot(&sandbox, &flt);
        for (kind, cli_objects) in &by_cli.objects {
            assert_same(kind, file, cli_objects, &by_flotilla.objects[kind]);
        }
        assert_eq!(by_cli.subnets, by_flotilla.subnets, "{}", file.display());
        assert_no_change(&fleet, &flt, &input, file).await;

        let removed = fleet
            .remove_stack("conformance", &flt)
            .await
            .expect("remove");
        assert!(!removed.is_empty(), "{}: nothing removed", file.display());
        wait_until_gone(&sandbox, &flt, Duration::from_secs(60)).await;
    }
}

struct Snapshot {
    objects: BTreeMap<&'static str, BTreeMap<String, Value>>,
    subnets: BTreeMap<String, Vec<String>>,
}

fn snapshot(sandbox: &Sandbox, stack: &str) -> Snapshot {
    Snapshot {
        objects: ["service", "network", "secret", "config"]
            .into_iter()
            .map(|kind| (kind, inspect(sandbox, kind, stack)))
            .collect(),
        subnets: subnets(sandbox, stack),
    }
}

async fn assert_no_change(fleet: &Fleet, stack: &str, input: &StackInput, file: &Path) {
    let again = fleet
        .plan_stack("conformance", stack, input, flotilla_store::Role::Admin)
        .await
        .expect("plan");
    // Service specs are read as the engine writes them (health checks included), so a file
    // deployed again changes nothing at all.
    let changed: Vec<_> = again
        .plan
        .objects
        .iter()
        .filter(|o| o.change != Change::Unchanged)
        .collect();
    assert!(
        changed.is_empty() && again.plan.problems.is_empty(),
        "{}: deploying {stack} again would change {changed:#?} {:?}",
        file.display(),
        again.plan.problems
    );
}

/// Every object on the swarm, by kind, as `docker <kind> ls` lists them.
fn everything(sandbox: &Sandbox) -> Vec<String> {
    ["service", "network", "secret", "config", "volume"]
        .iter()
        .flat_map(|kind| {
            sandbox
                .docker(1, &[kind, "ls", "--format", "{{.Name}}"])
                .lines()
                .map(|name| format!("{kind} {name}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The header of an invalid corpus file: `# expect-line: N`.
fn expected_line(text: &str) -> usize {
    text.lines()
        .find_map(|l| l.strip_prefix("# expect-line: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("expect-line header")
}

#[tokio::test]
async fn a_stack_lives_through_versions_and_bad_files_change_nothing() {
    let sandbox = Sandbox::up("fltstl", "10.220.0", 1);
    sandbox.docker(
        1,
        &["swarm", "init", "--advertise-addr", &sandbox.address(1)],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = fleet_adopting(&sandbox, "life", dir.path()).await;

    let compose = |replicas: u32, image: &str, with_worker: bool| {
        StackInput {
        compose: format!(
            "services:\n  web:\n    image: {image}\n    command: [sleep, \"3600\"]\n    deploy:\n      replicas: {replicas}\n{}",
            if with_worker {
                "  worker:\n    image: local/busybox:1\n    command: [sleep, \"3600\"]\n"
            } else {
                ""
            }
        ),
        prune: !with_worker,
        ..StackInput::default()
    }
    };
    let converged = |fleet: &Fleet| {
        let fleet = fleet.clone();
        async move {
            support::eventually("stack converged", Duration::from_secs(60), || {
                let fleet = fleet.clone();
                async move {
                    let progress = fleet.stack_progress("life", "shop").await.ok()?;
                    progress.iter().all(|p| p.converged()).then_some(progress)
                }
            })
            .await
        }
    };

    // Version 1: two services, web with 2 replicas.
    let first = fleet
        .deploy_stack(
            "life",
            "shop",
            &compose(2, "local/busybox:1", true),
            ("alice", flotilla_store::Role::Admin),
        )
        .await
        .expect("v1");
    assert_eq!(
        (first.version, first.plan.count(Change::Create)),
        (Some(1), 3)
    );
    let progress = converged(&fleet).await;
    assert_eq!(
        progress
            .iter()
            .map(|p| (p.service.as_str(), p.running))
            .collect::<Vec<_>>(),
        [("shop_web", 2), ("shop_worker", 1)]
    );

    // The plan for 6 replicas names exactly that field, and deploying it converges.
    let six = compose(6, "local/busybox:1", true);
    let plan = fleet
        .plan_stack("life", "shop", &six, flotilla_store::Role::Admin)
        .await
        .expect("plan");
    let web = plan
        .plan
        .objects
        .iter()
        .find(|o| o.name == "shop_web")
        .expect("web");
    assert_eq!(web.change, Change::Update);
    assert_eq!(
        web.fields
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>(),
        ["Mode.Replicated.Replicas"]
    );
    assert_eq!(
        sandbox
            .docker(
                1,
                &[
                    "service",
                    "inspect",
                    "shop_web",
                    "--format",
                    "{{.Spec.Mode.Replicated.Replicas}}"
                ]
            )
            .trim(),
        "2",
        "a plan changes nothing"
    );
    fleet
        .deploy_stack("life", "shop", &six, ("alice", flotilla_store::Role::Admin))
        .await
        .expect("v2");
    let progress = converged(&fleet).await;
    assert_eq!(progress[0].running, 6);

    // A bad image: its tasks fail and say why; the failures of the new spec are counted.
    fleet
        .deploy_stack(
            "life",
            "shop",
            &compose(6, "local/no-such-image:1", true),
            ("bob", flotilla_store::Role::Admin),
        )
        .await
        .expect("v3");
    let failing = support::eventually("failures reported", Duration::from_secs(60), || {
        let fleet = fleet.clone();
        async move {
            let progress = fleet.stack_progress("life", "shop").await.ok()?;
            let web = progress.into_iter().find(|p| p.service == "shop_web")?;
            (!web.errors.is_empty()).then_some(web)
        }
    })
    .await;
    assert!(
        failing.errors.iter().any(|e| e.contains("No such image")
            || e.contains("no such image")
            || e.contains("not found")),
        "{:?}",
        failing.errors
    );

    // History: three versions, who deployed each, and the diff between two.
    let versions = fleet
        .stack_versions("life", "shop")
        .await
        .expect("versions");
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.deployed_by.as_str()))
            .collect::<Vec<_>>(),
        [(3, "bob"), (2, "alice"), (1, "alice")]
    );
    let diff = fleet
        .diff_stack_versions("life", "shop", 2, 3)
        .await
        .expect("diff");
    assert!(
        diff.contains("-    image: local/busybox:1")
            && diff.contains("+    image: local/no-such-image:1"),
        "{diff}"
    );

    // Roll back: version 2 deployed again converges on 6 good replicas, as version 4.
    let again = fleet
        .stack_version_input("life", "shop", 2)
        .await
        .expect("v2 input");
    let rolled = fleet
        .deploy_stack("life", "shop", &again, ("bob", flotilla_store::Role::Admin))
        .await
        .expect("rollback");
    assert_eq!(rolled.version, Some(4));
    let progress = converged(&fleet).await;
    assert!(progress.iter().all(|p| p.errors.is_empty()), "{progress:?}");

    // Prune: the worker is no longer in the file and goes.
    let pruned = fleet
        .deploy_stack(
            "life",
            "shop",
            &compose(1, "local/busybox:1", false),
            ("alice", flotilla_store::Role::Admin),
        )
        .await
        .expect("prune");
    assert_eq!(pruned.plan.count(Change::Remove), 1);
    assert_eq!(
        fleet.stacks("life").await.expect("stacks")[0].services,
        ["shop_web"]
    );

    // Secrets cannot change: new content for one is refused before anything changes.
    let vault = |content: &str| {
        StackInput {
        compose: "services:\n  app:\n    image: local/busybox:1\n    command: [sleep, \"3600\"]\n    secrets: [key]\nsecrets:\n  key:\n    file: ./key.txt\n".into(),
        files: [("key.txt".to_owned(), content.as_bytes().to_vec())].into(),
        ..StackInput::default()
    }
    };
    fleet
        .deploy_stack(
            "life",
            "vault",
            &vault("one"),
            ("alice", flotilla_store::Role::Admin),
        )
        .await
        .expect("vault");
    let before = everything(&sandbox);
    match fleet
        .deploy_stack(
            "life",
            "vault",
            &vault("two"),
            ("alice", flotilla_store::Role::Admin),
        )
        .await
    {
        Err(flotilla_fleet::FleetError::PlanProblems(problems)) => {
            assert!(
                problems
                    .iter()
                    .any(|p| p.contains("secret `vault_key` has new content")),
                "{problems:?}"
            )
        }
        other => panic!("new secret content must be refused, got {other:?}"),
    }
    assert_eq!(everything(&sandbox), before);
    let same = fleet
        .plan_stack("life", "vault", &vault("one"), flotilla_store::Role::Admin)
        .await
        .expect("plan");
    assert!(
        same.plan.problems.is_empty() && same.plan.count(Change::Update) == 0,
        "{same:?}"
    );
    fleet.remove_stack("life", "vault").await.expect("rm vault");
    // The manager drops its local copy of the stack's network only once the tasks are gone.
    support::eventually("stack vault gone", Duration::from_secs(60), || async {
        (!everything(&sandbox).iter().any(|o| o.contains(" vault_"))).then_some(())
    })
    .await;

    // Invalid files: refused with their line, and the swarm is exactly as before.
    let before = everything(&sandbox);
    let invalid = Path::new(env!("CARGO_MANIFEST_DIR")).join("../compose/tests/invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&invalid)
        .expect("invalid corpus")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 60);
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        // `# env: NAME=value` and `# file: path` headers supply what the file expects.
        let header = |key: &str| {
            text.lines()
                .filter_map(|l| l.strip_prefix(key).map(str::trim))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let input = StackInput {
            compose: text.clone(),
            env: header("# env: ")
                .iter()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            files: header("# file: ")
                .into_iter()
                .map(|path| (flotilla_compose::file_key(&path), Vec::new()))
                .collect(),
            prune: false,
            resolve_image: flotilla_stack::ResolveImage::Never,
        };
        match fleet
            .deploy_stack(
                "life",
                "shop",
                &input,
                ("alice", flotilla_store::Role::Admin),
            )
            .await
        {
            Err(flotilla_fleet::FleetError::Compose(err)) => {
                assert_eq!(
                    err.at.line,
                    expected_line(&text),
                    "{}: {err}",
                    file.display()
                )
            }
            other => panic!(
                "{}: expected a compose error, got {other:?}",
                file.display()
            ),
        }
    }
    assert_eq!(
        everything(&sandbox),
        before,
        "invalid files changed the swarm"
    );
    assert_eq!(
        fleet
            .stack_versions("life", "shop")
            .await
            .expect("versions")
            .len(),
        5
    );

    let removed = fleet.remove_stack("life", "shop").await.expect("rm");
    assert!(
        removed.contains(&"shop_web".to_owned()) && removed.contains(&"shop_default".to_owned()),
        "{removed:?}"
    );
    assert!(fleet.stacks("life").await.expect("stacks").is_empty());
}
