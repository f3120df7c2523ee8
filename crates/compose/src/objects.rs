//! The top-level `networks`, `volumes`, `secrets` and `configs`, and a service's `networks`.

use std::collections::BTreeMap;

use crate::model::{FileObject, Network, ServiceNetwork, Volume};
use crate::read::{self, expected, Result, Table};
use crate::{ComposeError, Node, Value};

/// `external: true`, or the old `external: {name: …}`; returns the external name if given.
fn external(table: &Table<'_>) -> Result<(bool, Option<String>)> {
    let Some(field) = table.field("external") else {
        return Ok((false, None));
    };
    let path = table.path_of("external");
    match &field.node.value {
        Value::Bool(b) => Ok((*b, None)),
        Value::Map(_) => {
            let external = Table::new(field.node, &path, "a mapping", false)?;
            external.allow(&["name"])?;
            Ok((true, external.string("name")?))
        }
        _ => Err(expected(field.node, &path, "true, false or {name: …}")),
    }
}

/// An external object may only say its name: everything else belongs to whoever made it.
fn external_name(table: &Table<'_>, key: &str, what: &str) -> Result<(bool, Option<String>)> {
    let (is_external, old_name) = external(table)?;
    if !is_external {
        return Ok((false, table.string("name")?));
    }
    if let Some(other) = table
        .entries()
        .find(|e| e.key != "external" && e.key != "name")
    {
        return Err(ComposeError::at(
            other.key_at,
            &table.path_of(&other.key),
            format!(
                "an external {what} is made elsewhere: `{}` cannot be set here",
                other.key
            ),
        ));
    }
    let name = table.string("name")?.or(old_name).unwrap_or(key.to_owned());
    Ok((true, Some(name)))
}

pub(crate) fn network(key: &str, node: &Node, path: &str) -> Result<Network> {
    let table = Table::new(node, path, "a network mapping", true)?;
    table.allow(&[
        "name",
        "driver",
        "driver_opts",
        "ipam",
        "external",
        "internal",
        "attachable",
        "labels",
    ])?;
    let (external, name) = external_name(&table, key, "network")?;
    let (ipam_driver, ipam_subnets) = match table.field("ipam") {
        None => (String::new(), Vec::new()),
        Some(field) => {
            let ipam = Table::new(field.node, &table.path_of("ipam"), "a mapping", true)?;
            ipam.allow(&["driver", "config"])?;
            let mut subnets = Vec::new();
            if let Some(config) = ipam.field("config") {
                let config_path = ipam.path_of("config");
                let Value::Seq(items) = &config.node.value else {
                    return Err(expected(config.node, &config_path, "a list of {subnet: …}"));
                };
                for (i, item) in items.iter().enumerate() {
                    let entry =
                        Table::new(item, &format!("{config_path}[{i}]"), "a mapping", false)?;
                    entry.allow(&["subnet"])?;
                    if let Some(subnet) = entry.string("subnet")? {
                        check_subnet(&subnet).map_err(|message| {
                            ComposeError::at(
                                entry.key_at("subnet"),
                                &entry.path_of("subnet"),
                                message,
                            )
                        })?;
                        subnets.push(subnet);
                    }
                }
            }
            (ipam.string_or_default("driver")?, subnets)
        }
    };
    Ok(Network {
        name,
        external,
        driver: table.string_or_default("driver")?,
        driver_opts: table.string_map("driver_opts")?,
        attachable: table.flag("attachable")?,
        internal: table.flag("internal")?,
        labels: table.labels("labels")?,
        ipam_driver,
        ipam_subnets,
    })
}

fn check_subnet(subnet: &str) -> std::result::Result<(), String> {
    let (addr, bits) = subnet.split_once('/').unwrap_or((subnet, ""));
    let addr: std::net::IpAddr = addr
        .parse()
        .map_err(|_| format!("`{subnet}` is not a subnet such as 10.20.0.0/24"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if !bits.is_empty() && bits.parse::<u8>().map_or(true, |b| b > max) {
        return Err(format!("`{subnet}`: the prefix length must be 0 to {max}"));
    }
    Ok(())
}

pub(crate) fn volume(key: &str, node: &Node, path: &str) -> Result<Volume> {
    let table = Table::new(node, path, "a volume mapping", true)?;
    table.allow(&["name", "driver", "driver_opts", "external", "labels"])?;
    let (external, name) = external_name(&table, key, "volume")?;
    Ok(Volume {
        name,
        external,
        driver: table.string_or_default("driver")?,
        driver_opts: table
            .field("driver_opts")
            .map(|f| read::string_map(f.node, &table.path_of("driver_opts")))
            .transpose()?,
        labels: table.labels("labels")?,
    })
}

/// A secret (`is_secret`) or config: from a file, or external.
pub(crate) fn file_object(
    key: &str,
    node: &Node,
    path: &str,
    is_secret: bool,
) -> Result<FileObject> {
    let what = if is_secret { "secret" } else { "config" };
    let table = Table::new(node, path, &format!("a {what} mapping"), false)?;
    let mut allowed = vec!["name", "file", "external", "labels", "template_driver"];
    if is_secret {
        allowed.extend(["driver", "driver_opts"]);
    }
    table.allow(&allowed)?;
    let (external, name) = external_name(&table, key, what)?;
    let file = table.string("file")?;
    let driver = table.string_or_default("driver")?;
    if !external && file.is_none() && driver.is_empty() {
        return Err(ComposeError::at(
            table.at,
            path,
            format!("a {what} needs a file (attach it) or external: true"),
        ));
    }
    Ok(FileObject {
        name,
        external,
        file,
        file_at: table.field("file").map_or(table.at, |f| f.node.at),
        labels: table.labels("labels")?,
        driver,
        driver_opts: table.string_map("driver_opts")?,
        template_driver: table.string_or_default("template_driver")?,
        at: table.at,
        path: path.to_owned(),
    })
}

/// A service's `networks`: a list of names, or a mapping of name to null or options.
pub(crate) fn service_networks(service: &Table<'_>) -> Result<Vec<ServiceNetwork>> {
    let Some(field) = service.field("networks") else {
        return Ok(Vec::new());
    };
    let path = service.path_of("networks");
    let mut networks = Vec::new();
    match &field.node.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{i}]");
                networks.push(ServiceNetwork {
                    name: read::string(item, &item_path)?,
                    at: item.at,
                    path: item_path,
                    ..ServiceNetwork::default()
                });
            }
        }
        Value::Map(_) => {
            let table = Table::new(field.node, &path, "a mapping", false)?;
            for entry in table.entries() {
                let entry_path = table.path_of(&entry.key);
                let options = Table::new(&entry.value, &entry_path, "a mapping", true)?;
                options.allow(&["aliases", "ipv4_address", "ipv6_address", "driver_opts"])?;
                networks.push(ServiceNetwork {
                    name: entry.key.clone(),
                    at: entry.key_at,
                    aliases: options.string_list("aliases")?,
                    driver_opts: options.string_map("driver_opts")?,
                    path: entry_path,
                });
            }
        }
        _ => return Err(expected(field.node, &path, "a list or mapping of networks")),
    }
    let mut seen = BTreeMap::new();
    for network in &networks {
        if seen.insert(network.name.clone(), ()).is_some() {
            return Err(ComposeError::at(
                network.at,
                &network.path,
                format!("network `{}` is listed twice", network.name),
            ));
        }
    }
    Ok(networks)
}
