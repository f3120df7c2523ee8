//! The whole file: top-level keys, every section read into the model, then the references
//! between them checked (a service's networks, volumes, secrets and configs must be defined;
//! files must be attached) so nothing reaches the swarm half-valid.

use std::collections::BTreeMap;

use crate::model::{Compose, MountKind, Warning};
use crate::objects::{file_object, network, volume};
use crate::read::{Result, Table};
use crate::service::service;
use crate::{load_interpolated, ComposeError, Location, Value, Variables};

/// Files attached to a stack (configs, secrets, env files), keyed by their path as the
/// compose file writes it, normalised by [`file_key`].
pub type Files = BTreeMap<String, Vec<u8>>;

/// `./conf/nginx.conf` and `conf/nginx.conf` name the same attachment.
pub fn file_key(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// A name swarm accepts as part of a service name: letters and digits, with `-` and `_`
/// inside (the engine refuses dots and a leading or trailing separator).
fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// How many ports all the services of a stack may publish together (see
/// [`crate::ports::MAX_PORTS_PER_SERVICE`]).
pub const MAX_PORTS_PER_STACK: usize = 5_000;

/// Parses, interpolates and checks a compose file for `docker stack deploy`.
pub fn parse(text: &str, variables: &Variables, files: &Files) -> Result<Compose> {
    let root = load_interpolated(text, |name| variables.get(name))?;
    let top = Table::new(&root, "", "a mapping", false)?;
    top.allow(&[
        "version", "services", "networks", "volumes", "secrets", "configs",
    ])?;
    check_version(&top)?;
    let mut compose = Compose::default();
    let section = |key: &str| -> Result<Option<Table<'_>>> {
        top.field(key)
            .map(|f| Table::new(f.node, key, "a mapping", true))
            .transpose()
    };
    for (key, slot) in [("secrets", true), ("configs", false)] {
        if let Some(table) = section(key)? {
            for entry in table.entries() {
                let path = table.path_of(&entry.key);
                let object = file_object(&entry.key, &entry.value, &path, slot)?;
                check_attached(object.file.as_deref(), files, object.file_at, &path)?;
                let target = if slot {
                    &mut compose.secrets
                } else {
                    &mut compose.configs
                };
                target.insert(entry.key.clone(), object);
            }
        }
    }
    if let Some(table) = section("networks")? {
        for entry in table.entries() {
            let path = table.path_of(&entry.key);
            compose
                .networks
                .insert(entry.key.clone(), network(&entry.key, &entry.value, &path)?);
        }
    }
    if let Some(table) = section("volumes")? {
        for entry in table.entries() {
            let path = table.path_of(&entry.key);
            compose
                .volumes
                .insert(entry.key.clone(), volume(&entry.key, &entry.value, &path)?);
        }
    }
    let services = section("services")?.ok_or_else(|| {
        ComposeError::at(
            top.at,
            "",
            "a stack needs `services:` with at least one service",
        )
    })?;
    let env_files = |path: &str| {
        files
            .get(&file_key(path))
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    };
    let mut published = 0;
    for entry in services.entries() {
        let path = services.path_of(&entry.key);
        if !valid_name(&entry.key) {
            return Err(ComposeError::at(
                entry.key_at,
                &path,
                "a service name has letters and digits, with `-` or `_` only between them",
            ));
        }
        let service = service(
            &entry.key,
            &entry.value,
            &path,
            variables,
            &env_files,
            &mut compose.warnings,
        )?;
        published += service.ports.len();
        if published > MAX_PORTS_PER_STACK {
            return Err(ComposeError::at(
                entry.value.at,
                &path,
                format!(
                    "with this service the stack publishes {published} ports; a stack may publish at most {MAX_PORTS_PER_STACK}"
                ),
            ));
        }
        compose.services.push(service);
    }
    if compose.services.is_empty() {
        return Err(ComposeError::at(
            services.at,
            "services",
            "a stack needs at least one service",
        ));
    }
    check_references(&compose)?;
    Ok(compose)
}

/// `version` may be left out; when given it must be 3 or 3.x, the formats swarm deploys.
fn check_version(top: &Table<'_>) -> Result<()> {
    let Some(field) = top.field("version") else {
        return Ok(());
    };
    let text = match &field.node.value {
        Value::Str(text) => text.clone(),
        Value::Int(n) => n.to_string(),
        Value::Float(f) => f.to_string(),
        _ => String::new(),
    };
    let minor_ok = |minor: &str| minor.parse::<u32>().is_ok();
    let supported = text == "3" || text.strip_prefix("3.").is_some_and(minor_ok);
    if supported {
        return Ok(());
    }
    Err(ComposeError::at(
        field.node.at,
        "version",
        format!("unsupported compose file version `{text}`: docker stack deploy takes version 3.x"),
    ))
}

fn check_attached(file: Option<&str>, files: &Files, at: Location, path: &str) -> Result<()> {
    match file {
        Some(file) if !files.contains_key(&file_key(file)) => Err(ComposeError::at(
            at,
            &format!("{path}.file"),
            format!("attach the file `{file}`"),
        )),
        _ => Ok(()),
    }
}

fn check_references(compose: &Compose) -> Result<()> {
    for service in &compose.services {
        for network in &service.networks {
            if network.name != "default" && !compose.networks.contains_key(&network.name) {
                return Err(ComposeError::at(
                    network.at,
                    &network.path,
                    format!(
                        "undefined network `{}`: add it under the top-level networks",
                        network.name
                    ),
                ));
            }
        }
        for mount in &service.volumes {
            if mount.kind == MountKind::Volume
                && !mount.source.is_empty()
                && !compose.volumes.contains_key(&mount.source)
            {
                return Err(ComposeError::at(
                    mount.at,
                    &mount.path,
                    format!(
                        "undefined volume `{}`: add it under the top-level volumes",
                        mount.source
                    ),
                ));
            }
        }
        for (references, defined, what) in [
            (&service.secrets, &compose.secrets, "secret"),
            (&service.configs, &compose.configs, "config"),
        ] {
            for reference in references {
                if !defined.contains_key(&reference.source) {
                    return Err(ComposeError::at(
                        reference.at,
                        &reference.path,
                        format!(
                            "undefined {what} `{}`: add it under the top-level {what}s",
                            reference.source
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

impl Compose {
    /// Warnings in file order.
    pub fn sorted_warnings(&self) -> Vec<Warning> {
        let mut warnings = self.warnings.clone();
        warnings.sort_by_key(|w| (w.at.line, w.at.column));
        warnings
    }
}
