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
        self.script_notifying(command, "");
    }

    /// Restarted, keeping its images, to send its push notifications to `url`.
    fn notify(&self, url: &str) {
        self.script_notifying("up", url);
    }

    fn script_notifying(&self, command: &str, notify: &str) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/registry.sh");
        let status = Command::new(&script)
            .arg(command)
            .env("REGISTRY_NAME", &self.name)
            .env("REGISTRY_ADDR", &self.address)
            .env("REGISTRY_USER", USER)
            .env("REGISTRY_PASSWORD", PASSWORD)
            .env("REGISTRY_NOTIFY", notify)
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
    let pushed = pushed_digest(&sandbox, &image);
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

    // Pinned as the CLI pins it: the tag's digest on the registry, on every node.
    let spec_image = service_field(
        &sandbox,
        "shop_app",
        ".Spec.TaskTemplate.ContainerSpec.Image",
    );
    assert_eq!(spec_image, format!("\"{image}@{pushed}\""));

    // The same file deployed by `docker stack deploy --with-registry-auth` (default
    // resolution) and by Flotilla gives the same services; the public image's look-up fails
    // here (no internet) for both, which keep its tag.
    let compose = format!(
        "services:\n  app:\n    image: {image}\n    command: [sleep, \"3600\"]\n  \
         tagless:\n    image: local/busybox\n    command: [sleep, \"3600\"]\n    deploy:\n      \
         replicas: 0\n"
    );
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::write(work.path().join("compose.yml"), &compose).expect("write");
    let compose_path = work.path().join("compose.yml");
    cli(
        &sandbox,
        login.path(),
        &[
            "stack",
            "deploy",
            "--detach=true",
            "--with-registry-auth",
            "-c",
            &compose_path.to_string_lossy(),
            "cli",
        ],
        "",
    );
    let input = StackInput {
        compose: compose.clone(),
        ..StackInput::default()
    };
    let deployed = fleet
        .deploy_stack("prod", "flt", &input, admin)
        .await
        .expect("deploy flt");
    let app = deployed
        .images
        .iter()
        .find(|i| i.service == "flt_app")
        .expect("app's image in the plan");
    assert_eq!(app.digest.as_deref(), Some(pushed.as_str()));
    assert!(
        deployed
            .warnings
            .iter()
            .any(|w| w.contains("local/busybox:latest could not be accessed")),
        "{:?}",
        deployed.warnings
    );
    for service in ["app", "tagless"] {
        assert_eq!(
            comparable(&sandbox, &format!("cli_{service}"), "cli"),
            comparable(&sandbox, &format!("flt_{service}"), "flt"),
            "{service}"
        );
    }

    // Redeploy on push: stack `shop` follows its tags, `flt` does not. The registry's
    // notifications reach a listener here, which hands them on as the console's hook does.
    let token = fleet
        .rotate_registry_hook(&address)
        .await
        .expect("hook token");
    let (hook_url, notifications) = notification_listener(&address.replace(":5000", ":0"));
    registry.notify(&hook_url);
    fleet
        .set_push_redeploy("prod", ("shop", None), true, "alice")
        .await
        .expect("follow");
    let old_digest = pushed;
    sandbox.docker(
        1,
        &[
            "run",
            "--name",
            "v2build",
            "local/busybox:1",
            "sh",
            "-c",
            "echo 2 > /v2",
        ],
    );
    sandbox.docker(1, &["commit", "v2build", &image]);
    cli(&sandbox, login.path(), &["push", &image], "");
    let pushed_at = std::time::Instant::now();
    let new_digest = pushed_digest(&sandbox, &image);
    assert_ne!(new_digest, old_digest);
    let body = notifications
        .recv_timeout(Duration::from_secs(10))
        .expect("the registry's notification");
    let outcome = fleet.registry_push(&token, &body).await.expect("push hook");
    let took = pushed_at.elapsed();
    println!("push → service updated: {took:?}; {outcome:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let redeployed: Vec<_> = outcome
        .services
        .iter()
        .filter(|s| s.outcome == "redeployed")
        .map(|s| s.service.as_str())
        .collect();
    assert_eq!(redeployed, ["shop_app"], "{outcome:?}");
    assert_eq!(
        service_field(
            &sandbox,
            "shop_app",
            ".Spec.TaskTemplate.ContainerSpec.Image"
        ),
        format!("\"{image}@{new_digest}\"")
    );
    assert_eq!(
        service_field(
            &sandbox,
            "flt_app",
            ".Spec.TaskTemplate.ContainerSpec.Image"
        ),
        format!("\"{image}@{old_digest}\""),
        "a stack that does not follow its tags keeps its digest"
    );
    let versions = fleet
        .stack_versions("prod", "shop")
        .await
        .expect("versions");
    assert!(
        versions[0]
            .note
            .contains(&format!("redeployed on push of {image} ({new_digest})")),
        "{:?}",
        versions[0]
    );
    // A replay changes nothing; neither does a forged event with a new ID (the registry is
    // asked, and the service already runs what it says), nor a wrong token.
    let index = service_field(&sandbox, "shop_app", ".Version.Index");
    let replay = fleet.registry_push(&token, &body).await.expect("replay");
    assert!(
        replay.services.is_empty() && !replay.ignored.is_empty(),
        "{replay:?}"
    );
    let forged = String::from_utf8(body.clone())
        .expect("utf-8")
        .replace("\"id\":\"", "\"id\":\"forged-");
    let forged = fleet
        .registry_push(&token, forged.as_bytes())
        .await
        .expect("forged");
    assert!(
        forged.services.iter().all(|s| s.outcome == "unchanged"),
        "{forged:?}"
    );
    assert!(fleet
        .registry_push("flth_not-a-token", &body)
        .await
        .is_err());
    assert_eq!(service_field(&sandbox, "shop_app", ".Version.Index"), index);
    support::eventually(
        "the new digest runs on every node",
        Duration::from_secs(90),
        || async {
            let tasks = sandbox.docker(
                1,
                &[
                    "service",
                    "ps",
                    "shop_app",
                    "--no-trunc",
                    "--filter",
                    "desired-state=running",
                    "--format",
                    "{{.Image}} {{.CurrentState}}",
                ],
            );
            let lines: Vec<&str> = tasks.lines().collect();
            (lines.len() == 3
                && lines
                    .iter()
                    .all(|l| l.contains(&new_digest) && l.contains("Running")))
            .then_some(())
        },
    )
    .await;

    // The registry's password changed behind the console's back: the deploy is refused,
    // naming the registry and the image, and the running stack is not touched.
    fleet
        .store()
        .save_registry(&address, USER, "an outdated password")
        .await
        .expect("store a stale password");
    let before = service_field(&sandbox, "shop_app", ".Version.Index");
    let refused = fleet
        .deploy_stack(
            "prod",
            "shop",
            &stack_of(&format!("{address}/shop/app:2")),
            admin,
        )
        .await
        .expect_err("stale credentials");
    let message = refused.to_string();
    assert!(
        message.contains(&format!(
            "registry {address} refused image {address}/shop/app:2"
        )),
        "{message}"
    );
    assert_eq!(
        service_field(&sandbox, "shop_app", ".Version.Index"),
        before
    );

    // A registry that takes the connection and never answers costs a deploy at most the
    // look-up's time limit, and leaves a warning.
    let silent = std::net::TcpListener::bind(address.replace(":5000", ":5001")).expect("bind");
    let started = std::time::Instant::now();
    let slow = fleet
        .deploy_stack(
            "prod",
            "slow",
            &StackInput {
                compose: format!(
                    "services:\n  app:\n    image: {}/shop/app:1\n    deploy:\n      replicas: 0\n",
                    address.replace(":5000", ":5001")
                ),
                ..StackInput::default()
            },
            admin,
        )
        .await
        .expect("deploy past a silent registry");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(9), "took {took:?}");
    assert!(
        slow.warnings
            .iter()
            .any(|w| w.contains("did not answer within")),
        "{:?}",
        slow.warnings
    );
    drop(silent);
    println!("deploy past a silent registry took {took:?}");

    fleet.remove_registry(&address).await.expect("remove");
    assert!(fleet.registries().await.expect("registries").is_empty());
    drop(registry);
}

/// A listener on the sandbox's bridge that takes each registry notification (one HTTP
/// request per connection), answers 200 and hands its body on; with its URL.
fn notification_listener(bind: &str) -> (String, std::sync::mpsc::Receiver<Vec<u8>>) {
    use std::io::{BufRead, BufReader, Read};
    let listener = std::net::TcpListener::bind(bind).expect("bind");
    let url = format!(
        "http://{}/hooks/registry/test",
        listener.local_addr().expect("addr")
    );
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_ok() {
                let _ = send.send(body);
            }
            let _ = (&stream)
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, receive)
}

/// The digest `docker push` recorded for `image` on node 1.
fn pushed_digest(sandbox: &Sandbox, image: &str) -> String {
    let name = image.rsplit_once(':').map_or(image, |(name, _)| name);
    let digests = sandbox.docker(
        1,
        &[
            "image",
            "inspect",
            "--format",
            "{{json .RepoDigests}}",
            image,
        ],
    );
    let digests: Vec<String> = serde_json::from_str(digests.trim()).expect("RepoDigests");
    digests
        .iter()
        .find_map(|d| d.strip_prefix(&format!("{name}@")).map(str::to_owned))
        .unwrap_or_else(|| panic!("no digest for {image} in {digests:?}"))
}

/// One field of a service as `docker service inspect --format` prints it.
fn service_field(sandbox: &Sandbox, service: &str, field: &str) -> String {
    sandbox
        .docker(
            1,
            &[
                "service",
                "inspect",
                "--format",
                &format!("{{{{json {field}}}}}"),
                service,
            ],
        )
        .trim()
        .to_owned()
}

/// A service's spec with its stack's name and its networks' IDs set aside.
fn comparable(sandbox: &Sandbox, service: &str, stack: &str) -> serde_json::Value {
    let text = service_field(sandbox, service, ".Spec").replace(&format!("{stack}_"), "STACK_");
    let mut spec: serde_json::Value = serde_json::from_str(&text).expect("spec");
    spec["Labels"]["com.docker.stack.namespace"] = "STACK".into();
    spec["TaskTemplate"]["ContainerSpec"]["Labels"]["com.docker.stack.namespace"] = "STACK".into();
    if let Some(task) = spec["TaskTemplate"].as_object_mut() {
        task.remove("Networks");
    }
    spec
}
