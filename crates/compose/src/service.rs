//! One entry of `services:` read into a [`Service`].

use crate::deploy::deploy;
use crate::model::{Healthcheck, Logging, Service, Ulimit, Warning};
use crate::mounts::{file_references, mounts};
use crate::read::{self, expected, shell_command, string_list, Result, Table};
use crate::service_keys::{FORBIDDEN_KEYS, IGNORED_KEYS, SERVICE_KEYS};
use crate::yaml::child_path;
use crate::{ports, ComposeError, Node, Value, Variables};

pub(crate) fn service(
    name: &str,
    node: &Node,
    path: &str,
    variables: &Variables,
    env_files: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Warning>,
) -> Result<Service> {
    let table = Table::new(node, path, "a service mapping", false)?;
    table.allow(SERVICE_KEYS)?;
    for (key, why) in FORBIDDEN_KEYS {
        if table.has(key) {
            return Err(ComposeError::at(
                table.key_at(key),
                &table.path_of(key),
                *why,
            ));
        }
    }
    for (key, why) in IGNORED_KEYS {
        if table.has(key) {
            warnings.push(Warning {
                at: table.key_at(key),
                path: table.path_of(key),
                message: format!("ignored by swarm mode: {why}"),
            });
        }
    }
    let image = table.string("image")?.ok_or_else(|| {
        ComposeError::at(
            table.at,
            path,
            "a service needs an image (swarm cannot build)",
        )
    })?;
    if image.trim().is_empty() {
        return Err(ComposeError::at(
            table.value_at("image"),
            &table.path_of("image"),
            "the image is empty",
        ));
    }
    let restart = table.string("restart")?;
    if let Some(policy) = &restart {
        check_restart(policy).map_err(|message| {
            ComposeError::at(
                table.value_at("restart"),
                &table.path_of("restart"),
                message,
            )
        })?;
    }
    Ok(Service {
        name: name.to_owned(),
        at: table.at,
        image,
        command: optional(&table, "command", shell_command)?,
        entrypoint: optional(&table, "entrypoint", shell_command)?,
        environment: environment(&table, variables, env_files)?,
        labels: table.labels("labels")?,
        hostname: table.string_or_default("hostname")?,
        user: table.string_or_default("user")?,
        working_dir: table.string_or_default("working_dir")?,
        stop_signal: table.string_or_default("stop_signal")?,
        stop_grace_period: table.duration("stop_grace_period")?,
        tty: table.flag("tty")?,
        stdin_open: table.flag("stdin_open")?,
        read_only: table.flag("read_only")?,
        init: table.boolean("init")?,
        isolation: table.string_or_default("isolation")?,
        extra_hosts: extra_hosts(&table)?,
        dns: table.string_or_list("dns")?,
        dns_search: table.string_or_list("dns_search")?,
        cap_add: table.string_list("cap_add")?,
        cap_drop: table.string_list("cap_drop")?,
        sysctls: table
            .field("sysctls")
            .map(|f| read::mapping_or_list(f.node, &table.path_of("sysctls")))
            .transpose()?
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect(),
        ulimits: ulimits(&table)?,
        logging: optional(&table, "logging", logging)?,
        healthcheck: optional(&table, "healthcheck", healthcheck)?,
        ports: optional(&table, "ports", ports)?.unwrap_or_default(),
        networks: crate::objects::service_networks(&table)?,
        volumes: optional(&table, "volumes", mounts)?.unwrap_or_default(),
        secrets: optional(&table, "secrets", file_references)?.unwrap_or_default(),
        configs: optional(&table, "configs", file_references)?.unwrap_or_default(),
        restart,
        deploy: optional(&table, "deploy", deploy)?.unwrap_or_default(),
    })
}

fn optional<T>(
    table: &Table<'_>,
    key: &str,
    read: impl FnOnce(&Node, &str) -> Result<T>,
) -> Result<Option<T>> {
    table
        .field(key)
        .map(|field| read(field.node, &table.path_of(key)))
        .transpose()
}

/// `no`, `always`, `on-failure[:N]`, `unless-stopped`, as `docker run --restart` reads them.
fn check_restart(policy: &str) -> std::result::Result<(), String> {
    let (name, count) = match policy.split_once(':') {
        Some((name, count)) => (name, Some(count)),
        None => (policy, None),
    };
    if let Some(count) = count {
        if name != "on-failure" && name != "always" && name != "unless-stopped" {
            return Err(format!("`{policy}` is not a restart policy: use no, always, on-failure[:N] or unless-stopped"));
        }
        if count.parse::<u64>().is_err() {
            return Err(format!("`{count}` is not a retry count"));
        }
    }
    match name {
        "" | "no" | "always" | "on-failure" | "unless-stopped" => Ok(()),
        _ => Err(format!(
            "`{policy}` is not a restart policy: use no, always, on-failure or unless-stopped"
        )),
    }
}

/// `env_file` contents first, then `environment:` over them; a name with no value takes the
/// deploying environment's value when it has one, as the CLI does.
fn environment(
    table: &Table<'_>,
    variables: &Variables,
    env_files: &dyn Fn(&str) -> Option<String>,
) -> Result<std::collections::BTreeMap<String, Option<String>>> {
    let mut environment = std::collections::BTreeMap::new();
    for (i, file) in table.string_or_list("env_file")?.iter().enumerate() {
        let path = match table.field("env_file").map(|f| &f.node.value) {
            Some(Value::Seq(_)) => format!("{}[{i}]", table.path_of("env_file")),
            _ => table.path_of("env_file"),
        };
        let at = table.item_at("env_file", i);
        let text = env_files(file)
            .ok_or_else(|| ComposeError::at(at, &path, format!("attach the env file `{file}`")))?;
        let values = crate::parse_dotenv(&text)
            .map_err(|err| ComposeError::at(at, &path, format!("in `{file}`: {err}")))?;
        environment.extend(values.into_iter().map(|(k, v)| (k, Some(v))));
    }
    if let Some(field) = table.field("environment") {
        let path = table.path_of("environment");
        if let Value::Map(entries) = &field.node.value {
            if let Some(entry) = entries
                .iter()
                .find(|e| matches!(e.value.value, Value::Bool(_)))
            {
                return Err(ComposeError::at(
                    entry.value.at,
                    &child_path(&path, &entry.key),
                    "must be a string, number or null: quote true and false",
                ));
            }
        }
        for (key, value) in read::mapping_or_list(field.node, &path)? {
            let value = value.or_else(|| variables.get(&key).map(str::to_owned));
            environment.insert(key, value);
        }
    }
    Ok(environment)
}

fn extra_hosts(table: &Table<'_>) -> Result<Vec<String>> {
    let Some(field) = table.field("extra_hosts") else {
        return Ok(Vec::new());
    };
    let path = table.path_of("extra_hosts");
    match &field.node.value {
        Value::Seq(_) => {
            let hosts = string_list(field.node, &path)?;
            for (i, host) in hosts.iter().enumerate() {
                if !host.contains(':') && !host.contains('=') {
                    return Err(ComposeError::at(
                        table.item_at("extra_hosts", i),
                        &format!("{path}[{i}]"),
                        format!("`{host}` is not HOST:IP"),
                    ));
                }
            }
            Ok(hosts.into_iter().map(|h| h.replacen('=', ":", 1)).collect())
        }
        Value::Map(_) => Ok(read::string_map(field.node, &path)?
            .into_iter()
            .map(|(host, ip)| format!("{host}:{ip}"))
            .collect()),
        _ => Err(expected(
            field.node,
            &path,
            "a list of HOST:IP or a mapping",
        )),
    }
}

fn ulimits(table: &Table<'_>) -> Result<std::collections::BTreeMap<String, Ulimit>> {
    let mut ulimits = std::collections::BTreeMap::new();
    let Some(field) = table.field("ulimits") else {
        return Ok(ulimits);
    };
    let limits = Table::new(field.node, &table.path_of("ulimits"), "a mapping", false)?;
    for entry in limits.entries() {
        let path = limits.path_of(&entry.key);
        let limit = match &entry.value.value {
            Value::Int(_) | Value::Str(_) => {
                let n = read::integer(&entry.value, &path)?;
                Ulimit { soft: n, hard: n }
            }
            Value::Map(_) => {
                let pair = Table::new(&entry.value, &path, "soft and hard", false)?;
                pair.allow(&["soft", "hard"])?;
                let need = |key: &str| {
                    pair.integer(key)?.ok_or_else(|| {
                        ComposeError::at(pair.at, &path, format!("a ulimit needs `{key}`"))
                    })
                };
                Ulimit {
                    soft: need("soft")?,
                    hard: need("hard")?,
                }
            }
            _ => return Err(expected(&entry.value, &path, "a number or soft and hard")),
        };
        ulimits.insert(entry.key.clone(), limit);
    }
    Ok(ulimits)
}

fn logging(node: &Node, path: &str) -> Result<Logging> {
    let table = Table::new(node, path, "a logging mapping", false)?;
    table.allow(&["driver", "options"])?;
    Ok(Logging {
        driver: table.string_or_default("driver")?,
        options: table.string_map("options")?,
    })
}

fn healthcheck(node: &Node, path: &str) -> Result<Healthcheck> {
    let table = Table::new(node, path, "a healthcheck mapping", false)?;
    table.allow(&[
        "test",
        "interval",
        "timeout",
        "retries",
        "start_period",
        "start_interval",
        "disable",
    ])?;
    let test = match table.field("test") {
        None => Vec::new(),
        Some(field) => match &field.node.value {
            Value::Str(text) => vec!["CMD-SHELL".to_owned(), text.clone()],
            Value::Seq(_) => string_list(field.node, &child_path(path, "test"))?,
            _ => {
                return Err(expected(
                    field.node,
                    &child_path(path, "test"),
                    "a command string or list",
                ))
            }
        },
    };
    if table.flag("disable")? {
        if !test.is_empty() {
            return Err(ComposeError::at(
                table.key_at("disable"),
                &table.path_of("disable"),
                "test and disable cannot be set at the same time",
            ));
        }
        return Ok(Healthcheck {
            test: vec!["NONE".to_owned()],
            ..Healthcheck::default()
        });
    }
    Ok(Healthcheck {
        test,
        interval: table.duration("interval")?,
        timeout: table.duration("timeout")?,
        start_period: table.duration("start_period")?,
        start_interval: table.duration("start_interval")?,
        retries: table.unsigned("retries")?,
    })
}
