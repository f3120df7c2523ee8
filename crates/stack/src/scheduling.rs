//! Where and how a service's tasks run, as the CLI converts the compose `deploy` section and
//! the service's networks and ports: resources, restart policy, mode, update and rollback
//! configuration, networks with their aliases, and the endpoint spec.

use flotilla_compose::model::{Deploy, DeployMode, Service, UpdateConfig};
use flotilla_compose::{Compose, Protocol, PublishMode};
use serde_json::{json, Map, Value};

use crate::engine_json::{put, string_map};
use crate::scoped;

pub(crate) fn resources(deploy: &Deploy) -> Value {
    let mut out = Map::new();
    if let Some(limits) = &deploy.resources.limits {
        let mut map = Map::new();
        put(&mut map, "NanoCPUs", json!(limits.nano_cpus));
        put(&mut map, "MemoryBytes", json!(limits.memory));
        put(&mut map, "Pids", json!(limits.pids));
        out.insert("Limits".into(), Value::Object(map));
    }
    if let Some(reserved) = &deploy.resources.reservations {
        let mut map = Map::new();
        put(&mut map, "NanoCPUs", json!(reserved.nano_cpus));
        put(&mut map, "MemoryBytes", json!(reserved.memory));
        let generic: Vec<Value> = reserved
            .generic_resources
            .iter()
            .map(
                |(kind, value)| json!({ "DiscreteResourceSpec": { "Kind": kind, "Value": value } }),
            )
            .collect();
        put(&mut map, "GenericResources", json!(generic));
        out.insert("Reservations".into(), Value::Object(map));
    }
    Value::Object(out)
}

/// `deploy.restart_policy`, else the legacy `restart:` as the CLI maps it.
pub(crate) fn restart_policy(service: &Service) -> Option<Value> {
    if let Some(policy) = &service.deploy.restart_policy {
        let mut out = Map::new();
        put(&mut out, "Condition", json!(policy.condition));
        if let Some(delay) = policy.delay {
            out.insert("Delay".into(), json!(delay));
        }
        if let Some(attempts) = policy.max_attempts {
            out.insert("MaxAttempts".into(), json!(attempts));
        }
        if let Some(window) = policy.window {
            out.insert("Window".into(), json!(window));
        }
        return Some(Value::Object(out));
    }
    let restart = service.restart.as_deref()?;
    let (name, count) = restart.split_once(':').unwrap_or((restart, "0"));
    let count: u64 = count.parse().unwrap_or(0);
    let condition = match name {
        "always" | "unless-stopped" => "any",
        "on-failure" => "on-failure",
        _ => return None,
    };
    let mut out = Map::new();
    out.insert("Condition".into(), json!(condition));
    if count > 0 {
        out.insert("MaxAttempts".into(), json!(count));
    }
    Some(Value::Object(out))
}

pub(crate) fn networks(stack: &str, service: &Service, compose: &Compose) -> Vec<Value> {
    let default = [flotilla_compose::model::ServiceNetwork {
        name: "default".to_owned(),
        ..Default::default()
    }];
    let attached = if service.networks.is_empty() {
        &default[..]
    } else {
        &service.networks[..]
    };
    let mut out: Vec<(String, Value)> = attached
        .iter()
        .map(|network| {
            let target = compose
                .networks
                .get(&network.name)
                .and_then(|n| n.name.clone())
                .unwrap_or_else(|| scoped(stack, &network.name));
            let mut aliases = network.aliases.clone();
            let user_defined = !matches!(target.as_str(), "default" | "bridge" | "host" | "none")
                && !target.starts_with("container:");
            if user_defined {
                aliases.push(service.name.clone());
            }
            let mut out = Map::new();
            out.insert("Target".into(), json!(target));
            put(&mut out, "Aliases", json!(aliases));
            put(&mut out, "DriverOpts", string_map(&network.driver_opts));
            (target, Value::Object(out))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, v)| v).collect()
}

pub(crate) fn mode(deploy: &Deploy) -> Value {
    match deploy.mode {
        DeployMode::Replicated => match deploy.replicas {
            Some(n) => json!({ "Replicated": { "Replicas": n } }),
            None => json!({ "Replicated": {} }),
        },
        DeployMode::Global => json!({ "Global": {} }),
        DeployMode::ReplicatedJob => {
            let mut job = Map::new();
            if let Some(n) = deploy.replicas {
                job.insert("MaxConcurrent".into(), json!(n));
                job.insert("TotalCompletions".into(), json!(n));
            }
            json!({ "ReplicatedJob": job })
        }
        DeployMode::GlobalJob => json!({ "GlobalJob": {} }),
    }
}

pub(crate) fn update_config(config: &UpdateConfig) -> Value {
    let mut out = Map::new();
    out.insert("Parallelism".into(), json!(config.parallelism.unwrap_or(1)));
    put(&mut out, "Delay", json!(config.delay));
    put(&mut out, "FailureAction", json!(config.failure_action));
    put(&mut out, "Monitor", json!(config.monitor));
    put(&mut out, "MaxFailureRatio", json!(config.max_failure_ratio));
    put(&mut out, "Order", json!(config.order));
    Value::Object(out)
}

pub(crate) fn endpoint(service: &Service) -> Value {
    let mut ports: Vec<(u16, Value)> = service
        .ports
        .iter()
        .map(|port| {
            let protocol = match port.protocol {
                Protocol::Tcp => "tcp",
                Protocol::Udp => "udp",
                Protocol::Sctp => "sctp",
            };
            let mode = match port.mode {
                PublishMode::Ingress => "ingress",
                PublishMode::Host => "host",
            };
            let mut out = Map::new();
            out.insert("Protocol".into(), json!(protocol));
            out.insert("TargetPort".into(), json!(port.target));
            put(
                &mut out,
                "PublishedPort",
                json!(port.published.unwrap_or(0)),
            );
            out.insert("PublishMode".into(), json!(mode));
            (port.published.unwrap_or(0), Value::Object(out))
        })
        .collect();
    ports.sort_by_key(|(published, _)| *published);
    let mut out = Map::new();
    put(&mut out, "Mode", json!(service.deploy.endpoint_mode));
    put(
        &mut out,
        "Ports",
        json!(ports.into_iter().map(|(_, v)| v).collect::<Vec<_>>()),
    );
    Value::Object(out)
}
