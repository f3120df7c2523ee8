//! One compose service as the service spec `docker stack deploy` sends.

use flotilla_compose::model::{FileReference, Healthcheck, Mount, MountKind, Service};
use flotilla_compose::Compose;
use serde_json::{json, Map, Value};

use crate::engine_json::{put, stack_labels, string_map, LABEL_IMAGE};
use crate::scheduling::{endpoint, mode, networks, resources, restart_policy, update_config};
use crate::scoped;

pub(crate) fn service_spec(stack: &str, service: &Service, compose: &Compose) -> Value {
    let mut container = Map::new();
    container.insert("Image".into(), json!(crate::tagged_image(&service.image)));
    container.insert("Labels".into(), stack_labels(stack, &service.labels));
    put(&mut container, "Command", json!(service.entrypoint));
    put(&mut container, "Args", json!(service.command));
    put(&mut container, "Hostname", json!(service.hostname));
    put(&mut container, "Env", json!(environment(service)));
    put(&mut container, "Dir", json!(service.working_dir));
    put(&mut container, "User", json!(service.user));
    container.insert("Privileges".into(), json!({}));
    put(&mut container, "TTY", json!(service.tty));
    put(&mut container, "OpenStdin", json!(service.stdin_open));
    put(&mut container, "ReadOnly", json!(service.read_only));
    let mounts: Vec<Value> = service
        .volumes
        .iter()
        .map(|m| mount(stack, m, compose))
        .collect();
    put(&mut container, "Mounts", json!(mounts));
    put(&mut container, "StopSignal", json!(service.stop_signal));
    if let Some(period) = service.stop_grace_period {
        container.insert("StopGracePeriod".into(), json!(period));
    }
    if let Some(check) = &service.healthcheck {
        // The engine's own spelling, which it answers with (Go reads either).
        container.insert("Healthcheck".into(), healthcheck(check));
    }
    let hosts: Vec<String> = service
        .extra_hosts
        .iter()
        .filter_map(|h| h.split_once(':').map(|(host, ip)| format!("{ip} {host}")))
        .collect();
    put(&mut container, "Hosts", json!(hosts));
    if !service.dns.is_empty() || !service.dns_search.is_empty() {
        let mut dns = Map::new();
        put(&mut dns, "Nameservers", json!(service.dns));
        put(&mut dns, "Search", json!(service.dns_search));
        container.insert("DNSConfig".into(), Value::Object(dns));
    }
    put(
        &mut container,
        "Secrets",
        json!(references(stack, &service.secrets, compose, true)),
    );
    put(
        &mut container,
        "Configs",
        json!(references(stack, &service.configs, compose, false)),
    );
    put(&mut container, "Isolation", json!(service.isolation));
    if let Some(init) = service.init {
        container.insert("Init".into(), json!(init));
    }
    put(&mut container, "Sysctls", string_map(&service.sysctls));
    let (cap_add, cap_drop) = capabilities(&service.cap_add, &service.cap_drop);
    put(&mut container, "CapabilityAdd", json!(cap_add));
    put(&mut container, "CapabilityDrop", json!(cap_drop));
    let ulimits: Vec<Value> = service
        .ulimits
        .iter()
        .map(|(name, u)| json!({ "Name": name, "Soft": u.soft, "Hard": u.hard }))
        .collect();
    put(&mut container, "Ulimits", json!(ulimits));

    let mut task = Map::new();
    task.insert("ContainerSpec".into(), Value::Object(container));
    if let Some(logging) = &service.logging {
        let mut driver = Map::new();
        put(&mut driver, "Name", json!(logging.driver));
        put(&mut driver, "Options", string_map(&logging.options));
        task.insert("LogDriver".into(), Value::Object(driver));
    }
    task.insert("Resources".into(), resources(&service.deploy));
    if let Some(policy) = restart_policy(service) {
        task.insert("RestartPolicy".into(), policy);
    }
    let placement = &service.deploy.placement;
    let mut place = Map::new();
    put(&mut place, "Constraints", json!(placement.constraints));
    let preferences: Vec<Value> = placement
        .preferences
        .iter()
        .map(|spread| json!({ "Spread": { "SpreadDescriptor": spread } }))
        .collect();
    put(&mut place, "Preferences", json!(preferences));
    if let Some(max) = placement.max_replicas_per_node {
        put(&mut place, "MaxReplicas", json!(max));
    }
    task.insert("Placement".into(), Value::Object(place));
    task.insert("Networks".into(), json!(networks(stack, service, compose)));

    let mut labels = stack_labels(stack, &service.deploy.labels);
    if let Value::Object(map) = &mut labels {
        map.insert(LABEL_IMAGE.into(), json!(service.image));
    }
    let mut spec = Map::new();
    spec.insert("Name".into(), json!(scoped(stack, &service.name)));
    spec.insert("Labels".into(), labels);
    spec.insert("TaskTemplate".into(), Value::Object(task));
    spec.insert("Mode".into(), mode(&service.deploy));
    if let Some(update) = &service.deploy.update_config {
        spec.insert("UpdateConfig".into(), update_config(update));
    }
    if let Some(rollback) = &service.deploy.rollback_config {
        spec.insert("RollbackConfig".into(), update_config(rollback));
    }
    spec.insert("EndpointSpec".into(), endpoint(service));
    Value::Object(spec)
}

/// Capabilities as the CLI sends them: upper case with `CAP_`, `ALL` alone when given,
/// and a capability both added and dropped only added; each list sorted.
fn capabilities(add: &[String], drop: &[String]) -> (Vec<String>, Vec<String>) {
    let normalise = |caps: &[String]| -> std::collections::BTreeSet<String> {
        let set: std::collections::BTreeSet<String> = caps
            .iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty())
            .map(|c| {
                if c == "ALL" || c.starts_with("CAP_") {
                    c
                } else {
                    format!("CAP_{c}")
                }
            })
            .collect();
        if set.contains("ALL") {
            std::iter::once("ALL".to_owned()).collect()
        } else {
            set
        }
    };
    let (add, drop) = (normalise(add), normalise(drop));
    let drop = drop.into_iter().filter(|c| !add.contains(c)).collect();
    (add.into_iter().collect(), drop)
}

/// `KEY=value` (or a bare `KEY`) sorted as whole strings, as the CLI sorts them.
fn environment(service: &Service) -> Vec<String> {
    let mut env: Vec<String> = service
        .environment
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k.clone(),
        })
        .collect();
    env.sort();
    env
}

fn mount(stack: &str, mount: &Mount, compose: &Compose) -> Value {
    let kind = match mount.kind {
        MountKind::Volume => "volume",
        MountKind::Bind => "bind",
        MountKind::Tmpfs => "tmpfs",
    };
    let mut out = Map::new();
    out.insert("Type".into(), json!(kind));
    put(&mut out, "Target", json!(mount.target));
    put(&mut out, "ReadOnly", json!(mount.read_only));
    put(&mut out, "Consistency", json!(mount.consistency));
    put(&mut out, "Source", json!(mount.source));
    match mount.kind {
        MountKind::Volume if !mount.source.is_empty() => {
            let volume = compose
                .volumes
                .get(&mount.source)
                .cloned()
                .unwrap_or_default();
            let source = volume
                .name
                .clone()
                .unwrap_or_else(|| scoped(stack, &mount.source));
            out.insert("Source".into(), json!(source));
            let mut options = Map::new();
            put(
                &mut options,
                "NoCopy",
                json!(mount.volume_nocopy.unwrap_or(false)),
            );
            if !volume.external {
                options.insert("Labels".into(), stack_labels(stack, &volume.labels));
                if !volume.driver.is_empty() || volume.driver_opts.is_some() {
                    let mut driver = Map::new();
                    put(&mut driver, "Name", json!(volume.driver));
                    put(
                        &mut driver,
                        "Options",
                        string_map(&volume.driver_opts.unwrap_or_default()),
                    );
                    options.insert("DriverConfig".into(), Value::Object(driver));
                }
            }
            out.insert("VolumeOptions".into(), Value::Object(options));
        }
        MountKind::Bind => {
            if let Some(propagation) = &mount.bind_propagation {
                out.insert("BindOptions".into(), json!({ "Propagation": propagation }));
            }
        }
        MountKind::Tmpfs => {
            if let Some(size) = mount.tmpfs_size {
                let mut options = Map::new();
                put(&mut options, "SizeBytes", json!(size));
                out.insert("TmpfsOptions".into(), Value::Object(options));
            }
        }
        MountKind::Volume => {}
    }
    Value::Object(out)
}

fn healthcheck(check: &Healthcheck) -> Value {
    let mut out = Map::new();
    put(&mut out, "Test", json!(check.test));
    for (key, value) in [
        ("Interval", check.interval),
        ("Timeout", check.timeout),
        ("StartPeriod", check.start_period),
        ("StartInterval", check.start_interval),
    ] {
        put(&mut out, key, json!(value.unwrap_or(0)));
    }
    put(&mut out, "Retries", json!(check.retries.unwrap_or(0)));
    Value::Object(out)
}

/// Secret or config references, sorted by the object's engine name.
fn references(
    stack: &str,
    references: &[FileReference],
    compose: &Compose,
    secrets: bool,
) -> Vec<Value> {
    let defined = if secrets {
        &compose.secrets
    } else {
        &compose.configs
    };
    let mut out: Vec<(String, Value)> = references
        .iter()
        .map(|reference| {
            let name = defined
                .get(&reference.source)
                .and_then(|object| object.name.clone())
                .unwrap_or_else(|| scoped(stack, &reference.source));
            let file = json!({
                "Name": reference.target.clone().unwrap_or_else(|| reference.source.clone()),
                "UID": reference.uid.clone().unwrap_or_else(|| "0".to_owned()),
                "GID": reference.gid.clone().unwrap_or_else(|| "0".to_owned()),
                "Mode": reference.mode.unwrap_or(0o444),
            });
            let name_key = if secrets { "SecretName" } else { "ConfigName" };
            (name.clone(), json!({ "File": file, name_key: name }))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, v)| v).collect()
}
