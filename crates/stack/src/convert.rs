//! The stack's networks, secrets, configs and services as the CLI's `convert` package makes
//! them, in Engine API JSON (the shapes `POST /networks/create`, `/secrets/create`,
//! `/configs/create` and `/services/create` take).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use flotilla_compose::model::FileObject;
use flotilla_compose::{file_key, Compose, Files};
use serde_json::{json, Map, Value};

use crate::engine_json::{put, stack_labels, string_map};
use crate::scoped;
use crate::service::service_spec;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StackObjects {
    pub stack: String,
    /// Engine name → network create request.
    pub networks: BTreeMap<String, Value>,
    /// Engine names of external networks the services use; they must exist, swarm-scoped.
    pub external_networks: BTreeSet<String>,
    /// Engine name → secret spec.
    pub secrets: BTreeMap<String, Value>,
    /// Engine name → config spec.
    pub configs: BTreeMap<String, Value>,
    /// Engine name → service spec. Secret and config references carry names; the IDs are
    /// filled in by whoever knows the swarm.
    pub services: BTreeMap<String, Value>,
    /// Named volumes the services mount, made by each node's engine on first use.
    pub volumes: BTreeSet<String>,
}

/// Converts a parsed compose file for stack `stack`. `files` holds the attached content of
/// secrets and configs (parsing has checked each is attached).
pub fn convert(stack: &str, compose: &Compose, files: &Files) -> StackObjects {
    let mut objects = StackObjects {
        stack: stack.to_owned(),
        ..StackObjects::default()
    };
    let mut used_networks = BTreeSet::new();
    for service in &compose.services {
        if service.networks.is_empty() {
            used_networks.insert("default".to_owned());
        }
        used_networks.extend(service.networks.iter().map(|n| n.name.clone()));
    }
    for key in used_networks {
        let network = compose.networks.get(&key).cloned().unwrap_or_default();
        let name = network.name.clone().unwrap_or_else(|| scoped(stack, &key));
        if network.external {
            objects.external_networks.insert(name);
            continue;
        }
        let mut request = Map::new();
        request.insert("Name".into(), Value::String(name.clone()));
        let driver = if network.driver.is_empty() {
            "overlay"
        } else {
            &network.driver
        };
        request.insert("Driver".into(), json!(driver));
        put(&mut request, "Options", string_map(&network.driver_opts));
        put(&mut request, "Internal", json!(network.internal));
        put(&mut request, "Attachable", json!(network.attachable));
        request.insert("Labels".into(), stack_labels(stack, &network.labels));
        if !network.ipam_driver.is_empty() || !network.ipam_subnets.is_empty() {
            let mut ipam = Map::new();
            put(&mut ipam, "Driver", json!(network.ipam_driver));
            let config: Vec<Value> = network
                .ipam_subnets
                .iter()
                .map(|subnet| json!({ "Subnet": subnet }))
                .collect();
            put(&mut ipam, "Config", json!(config));
            request.insert("IPAM".into(), Value::Object(ipam));
        }
        objects.networks.insert(name, Value::Object(request));
    }
    for (key, secret) in &compose.secrets {
        if let Some((name, spec)) = file_object_spec(stack, key, secret, files, true) {
            objects.secrets.insert(name, spec);
        }
    }
    for (key, config) in &compose.configs {
        if let Some((name, spec)) = file_object_spec(stack, key, config, files, false) {
            objects.configs.insert(name, spec);
        }
    }
    for service in &compose.services {
        let spec = service_spec(stack, service, compose);
        objects.services.insert(scoped(stack, &service.name), spec);
        for mount in &service.volumes {
            if let Some(volume) = compose.volumes.get(&mount.source) {
                objects.volumes.insert(
                    volume
                        .name
                        .clone()
                        .unwrap_or_else(|| scoped(stack, &mount.source)),
                );
            }
        }
    }
    objects
}

fn file_object_spec(
    stack: &str,
    key: &str,
    object: &FileObject,
    files: &Files,
    is_secret: bool,
) -> Option<(String, Value)> {
    if object.external {
        return None;
    }
    let name = object.name.clone().unwrap_or_else(|| scoped(stack, key));
    let mut spec = Map::new();
    spec.insert("Name".into(), Value::String(name.clone()));
    spec.insert("Labels".into(), stack_labels(stack, &object.labels));
    let data = if is_secret && !object.driver.is_empty() {
        Vec::new()
    } else {
        object
            .file
            .as_deref()
            .and_then(|file| files.get(&file_key(file)))
            .cloned()
            .unwrap_or_default()
    };
    spec.insert(
        "Data".into(),
        Value::String(base64::engine::general_purpose::STANDARD.encode(data)),
    );
    if !object.driver.is_empty() {
        let mut driver = Map::new();
        driver.insert("Name".into(), json!(object.driver));
        put(&mut driver, "Options", string_map(&object.driver_opts));
        spec.insert("Driver".into(), Value::Object(driver));
    }
    if !object.template_driver.is_empty() {
        spec.insert(
            "Templating".into(),
            json!({ "Name": object.template_driver }),
        );
    }
    Some((name, Value::Object(spec)))
}
