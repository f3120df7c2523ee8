//! A compose file as `docker stack deploy` understands it, after interpolation and with every
//! short syntax expanded to its long form. Durations are nanoseconds, sizes bytes.

use std::collections::BTreeMap;

use crate::{Location, PortConfig};

/// Something the CLI would accept but swarm mode ignores, or an option it only tolerates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub at: Location,
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Compose {
    /// In file order.
    pub services: Vec<Service>,
    pub networks: BTreeMap<String, Network>,
    pub volumes: BTreeMap<String, Volume>,
    pub secrets: BTreeMap<String, FileObject>,
    pub configs: BTreeMap<String, FileObject>,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Service {
    pub name: String,
    pub at: Location,
    pub image: String,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// `None` is a variable named with no value, passed on as `NAME`.
    pub environment: BTreeMap<String, Option<String>>,
    /// Container labels.
    pub labels: BTreeMap<String, String>,
    pub hostname: String,
    pub user: String,
    pub working_dir: String,
    pub stop_signal: String,
    pub stop_grace_period: Option<i64>,
    pub tty: bool,
    pub stdin_open: bool,
    pub read_only: bool,
    pub init: Option<bool>,
    pub isolation: String,
    /// `host:ip`, as written.
    pub extra_hosts: Vec<String>,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub sysctls: BTreeMap<String, String>,
    pub ulimits: BTreeMap<String, Ulimit>,
    pub logging: Option<Logging>,
    pub healthcheck: Option<Healthcheck>,
    pub ports: Vec<PortConfig>,
    /// Empty means the stack's `default` network.
    pub networks: Vec<ServiceNetwork>,
    pub volumes: Vec<Mount>,
    pub secrets: Vec<FileReference>,
    pub configs: Vec<FileReference>,
    /// The legacy `restart:` policy, used when `deploy.restart_policy` is absent.
    pub restart: Option<String>,
    pub deploy: Deploy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ulimit {
    pub soft: i64,
    pub hard: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logging {
    pub driver: String,
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Healthcheck {
    /// `["NONE"]` when disabled; a string test becomes `["CMD-SHELL", test]`.
    pub test: Vec<String>,
    pub interval: Option<i64>,
    pub timeout: Option<i64>,
    pub start_period: Option<i64>,
    pub start_interval: Option<i64>,
    pub retries: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceNetwork {
    pub name: String,
    pub at: Location,
    pub path: String,
    pub aliases: Vec<String>,
    pub driver_opts: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    Volume,
    Bind,
    Tmpfs,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountKind,
    /// A stack volume's key, a host path, or empty (anonymous volume, tmpfs).
    pub source: String,
    pub target: String,
    pub read_only: bool,
    pub consistency: String,
    pub bind_propagation: Option<String>,
    pub volume_nocopy: Option<bool>,
    pub tmpfs_size: Option<i64>,
    pub at: Location,
    pub path: String,
}

/// A service's use of a secret or config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReference {
    pub source: String,
    pub target: Option<String>,
    pub uid: Option<String>,
    pub gid: Option<String>,
    pub mode: Option<u32>,
    pub at: Location,
    pub path: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deploy {
    pub mode: DeployMode,
    pub replicas: Option<u64>,
    /// Service labels.
    pub labels: BTreeMap<String, String>,
    pub endpoint_mode: String,
    pub update_config: Option<UpdateConfig>,
    pub rollback_config: Option<UpdateConfig>,
    pub resources: Resources,
    pub restart_policy: Option<RestartPolicy>,
    pub placement: Placement,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeployMode {
    #[default]
    Replicated,
    Global,
    ReplicatedJob,
    GlobalJob,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateConfig {
    pub parallelism: Option<u64>,
    pub delay: i64,
    pub failure_action: String,
    pub monitor: i64,
    pub max_failure_ratio: f64,
    pub order: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub limits: Option<Limits>,
    pub reservations: Option<Reservations>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Nano CPUs (`cpus: "0.5"` → 500_000_000).
    pub nano_cpus: i64,
    pub memory: i64,
    pub pids: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reservations {
    pub nano_cpus: i64,
    pub memory: i64,
    /// `(kind, value)` discrete generic resources.
    pub generic_resources: Vec<(String, i64)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestartPolicy {
    pub condition: String,
    pub delay: Option<i64>,
    pub max_attempts: Option<u64>,
    pub window: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    pub constraints: Vec<String>,
    /// Spread descriptors.
    pub preferences: Vec<String>,
    pub max_replicas_per_node: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    /// The engine name when set (`name:` or an external network's name).
    pub name: Option<String>,
    pub external: bool,
    pub driver: String,
    pub driver_opts: BTreeMap<String, String>,
    pub attachable: bool,
    pub internal: bool,
    pub labels: BTreeMap<String, String>,
    pub ipam_driver: String,
    pub ipam_subnets: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Volume {
    pub name: Option<String>,
    pub external: bool,
    pub driver: String,
    /// `None` unless the file sets `driver_opts` (the CLI tells empty and unset apart).
    pub driver_opts: Option<BTreeMap<String, String>>,
    pub labels: BTreeMap<String, String>,
}

/// A top-level secret or config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileObject {
    pub name: Option<String>,
    pub external: bool,
    /// The path as written; the caller supplies its content.
    pub file: Option<String>,
    pub file_at: Location,
    pub labels: BTreeMap<String, String>,
    pub driver: String,
    pub driver_opts: BTreeMap<String, String>,
    pub template_driver: String,
    pub at: Location,
    pub path: String,
}
