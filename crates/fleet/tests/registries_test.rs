//! Private images on a real registry (Debian's docker-registry with a login, on the sandbox's
//! bridge): an engine checks the login before a registry is saved, and a deploy hands every
//! service its image's registry credentials, so each node can pull. Needs root; `make test`
//! provides it.

#[allow(dead_code)] // shared with suites that use all of it
mod stack_support;
#[path = "../../engine/tests/support/mod.rs"]
#[allow(dead_code)] // shared with suites that use all of it
mod support;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use flotilla_fleet::StackInput;
use stack_support::fleet_adopting;
use support::Sandbox;

const USER: &str = "ci";
const PASSWORD: &str = "a registry password";

/// The registry, stopped and its data removed when dropped.
struct Registry {
    name: String,
    address: String,
}

impl Registry {
    fn up(name: &str, address: &str) -> Self {
        let registry = Self {
            name: name.to_owned(),
            address: address.to_owned(),
        };
        registry.script("up");
        registry
    }

    fn script(&self, command: &str) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/registry.sh");
        let status = Command::new(&script)
            .arg(command)
            .env("REGISTRY_NAME", &self.name)
            .env("REGISTRY_ADDR", &self.address)
            .env("REGISTRY_USER", USER)
            .env("REGISTRY_PASSWORD", PASSWORD)
            .status()
            .unwrap_or_else(|err| panic!("cannot run {}: {err}", script.display()));
        assert!(status.success(), "registry.sh {command} failed: {status}");
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.script("down");
    }
}

/// The docker CLI against node 1 with its own login file, fed `stdin`.
fn cli(sandbox: &Sandbox, config: &std::path::Path, args: &[&str], stdin: &str) {
    let mut child = Command::new(std::env::var("DOCKER_CLI").unwrap_or_else(|_| "docker".into()))
        .env("DOCKER_CONFIG", config)
        .arg("-H")
        .arg(sandbox.endpoint(1).to_string())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the docker CLI");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("docker CLI");
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A stack of one global service running `image`.
fn stack_of(image: &str) -> StackInput {
    StackInput {
        compose: format!(
            "services:\n  app:\n    image: {image}\n    command: [sleep, \"3600\"]\n    deploy:\n      mode: global\n"
        ),
        ..StackInput::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn private_images_deploy_with_the_registrys_credentials() {
    let sandbox = Sandbox::up_with_registry("fltreg", "10.233.0", 3);
    sandbox.form_swarm();
    let registry = Registry::up("fltreg-r", &sandbox.registry_address());
    let address = registry.address.clone();
    let image = format!("{address}/shop/app:1");
    let login = tempfile::tempdir().expect("tempdir");
    cli(
        &sandbox,
        login.path(),
        &["login", &address, "-u", USER, "--password-stdin"],
        PASSWORD,
    );
    sandbox.docker(1, &["tag", "local/busybox:1", &image]);
    cli(&sandbox, login.path(), &["push", &image], "");
    // Every node, node1 too, has to pull it now.
    sandbox.docker(1, &["rmi", &image]);

    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = fleet_adopting(&sandbox, "prod", dir.path()).await;
    let admin = ("alice", flotilla_store::Role::Admin);

    // A wrong password is refused by the engine's login, and nothing is saved.
    let refused = fleet
        .save_registry(&address, USER, "not the password")
        .await
        .expect_err("a wrong password");
    assert!(
        refused.to_string().contains("refused the login"),
        "{refused}"
    );
    assert!(fleet.registries().await.expect("registries").is_empty());

    // Without the registry's credentials the nodes cannot pull.
    fleet
        .deploy_stack("prod", "anon", &stack_of(&image), admin)
        .await
        .expect("deploy without credentials");
    let errors = support::eventually("pulls refused", Duration::from_secs(60), || async {
        let progress = fleet.stack_progress("prod", "anon").await.ok()?;
        let errors = progress.first()?.errors.clone();
        (!errors.is_empty()).then_some(errors)
    })
    .await;
    println!("without credentials: {errors:?}");
    fleet.remove_stack("prod", "anon").await.expect("rm anon");

    // Saved with the right password, a deploy runs the private image on all three nodes.
    let saved = fleet
        .save_registry(&address, USER, PASSWORD)
        .await
        .expect("save");
    assert_eq!(saved.username, USER);
    fleet
        .deploy_stack("prod", "shop", &stack_of(&image), admin)
        .await
        .expect("deploy with credentials");
    support::eventually(
        "the private image runs on every node",
        Duration::from_secs(90),
        || async {
            let progress = fleet.stack_progress("prod", "shop").await.ok()?;
            let app = progress.first()?;
            (app.running == 3).then_some(())
        },
    )
    .await;

    fleet.remove_registry(&address).await.expect("remove");
    assert!(fleet.registries().await.expect("registries").is_empty());
    drop(registry);
}
