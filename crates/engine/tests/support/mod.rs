//! A fresh sandbox of Docker hosts for one test, torn down when it goes out of scope.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use flotilla_engine::{DockerClient, Endpoint};

pub struct Sandbox {
    name: String,
    subnet: String,
    nodes: usize,
    tls: bool,
    /// Whether the engines may pull from a registry without TLS on the bridge (see
    /// [`registry_address`](Self::registry_address)).
    registry: bool,
}

impl Sandbox {
    /// Starts `nodes` engines named `name` on `subnet` (three octets). Leftovers of an
    /// earlier run with the same name are removed first.
    #[allow(dead_code)]
    pub fn up(name: &str, subnet: &str, nodes: usize) -> Self {
        Self::start(name, subnet, nodes, false)
    }

    /// Like [`up`](Self::up), each engine also serving `tcp://ADDR:2376` with `--tlsverify`.
    #[allow(dead_code)]
    pub fn up_with_tls(name: &str, subnet: &str, nodes: usize) -> Self {
        Self::start(name, subnet, nodes, true)
    }

    /// Like [`up`](Self::up), the engines allowed to pull from (and push to) a registry
    /// without TLS at [`registry_address`](Self::registry_address), which
    /// `scripts/registry.sh` can start once the bridge is up.
    #[allow(dead_code)]
    pub fn up_with_registry(name: &str, subnet: &str, nodes: usize) -> Self {
        let sandbox = Self {
            name: name.to_owned(),
            subnet: subnet.to_owned(),
            nodes,
            tls: false,
            registry: true,
        };
        sandbox.script("down");
        sandbox.script("up");
        sandbox
    }

    /// Where the sandbox's registry listens: the bridge's address, port 5000.
    #[allow(dead_code)]
    pub fn registry_address(&self) -> String {
        format!("{}.1:5000", self.subnet)
    }

    fn start(name: &str, subnet: &str, nodes: usize, tls: bool) -> Self {
        let sandbox = Self {
            name: name.to_owned(),
            subnet: subnet.to_owned(),
            nodes,
            tls,
            registry: false,
        };
        sandbox.script("down");
        sandbox.script("up");
        sandbox
    }

    /// node1 initialises a swarm and the other nodes join it as workers.
    #[allow(dead_code)]
    pub fn form_swarm(&self) {
        self.script("swarm");
    }

    fn script(&self, command: &str) {
        self.script_command(command, &[]);
    }

    /// Stops node `node`'s engine, as when a host goes away.
    #[allow(dead_code)]
    pub fn stop_node(&self, node: usize) {
        self.script_command("stop-node", &[&node.to_string()]);
    }

    fn script_command(&self, command: &str, args: &[&str]) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sandbox.sh");
        let status = Command::new(&script)
            .arg(command)
            .args(args)
            .env("SANDBOX_NAME", &self.name)
            .env("SANDBOX_SUBNET", &self.subnet)
            .env("NODES", self.nodes.to_string())
            .env("SANDBOX_TLS", if self.tls { "1" } else { "0" })
            .env(
                "SANDBOX_REGISTRY",
                if self.registry {
                    self.registry_address()
                } else {
                    String::new()
                },
            )
            .status()
            .unwrap_or_else(|err| panic!("cannot run {}: {err}", script.display()));
        assert!(status.success(), "sandbox.sh {command} failed: {status}");
    }

    pub fn endpoint(&self, node: usize) -> Endpoint {
        Endpoint::Unix(format!("/run/{}/node{node}.sock", self.name))
    }

    /// The sandbox's TLS material (`ca.pem`, `cert.pem`, `key.pem`, `nodeN-cert.pem`, …).
    #[allow(dead_code)]
    pub fn tls_file(&self, file: &str) -> String {
        let path = format!("/run/{}/tls/{file}", self.name);
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
    }

    pub fn address(&self, node: usize) -> String {
        format!("{}.{}", self.subnet, 10 + node)
    }

    pub async fn client(&self, node: usize) -> DockerClient {
        DockerClient::connect(&self.endpoint(node))
            .await
            .unwrap_or_else(|err| panic!("node{node}: {err}"))
    }

    /// The docker CLI against one node: the reference our engine layer is checked against.
    pub fn docker(&self, node: usize, args: &[&str]) -> String {
        let output = Command::new(std::env::var("DOCKER_CLI").unwrap_or_else(|_| "docker".into()))
            .arg("-H")
            .arg(self.endpoint(node).to_string())
            .args(args)
            .output()
            .expect("run the docker CLI");
        assert!(
            output.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.script("down");
    }
}

/// Polls `check` until it returns `Some`, for swarm state that converges.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
