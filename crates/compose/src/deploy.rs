//! A service's `deploy:` section.

use crate::model::{
    Deploy, DeployMode, Limits, Placement, Reservations, Resources, RestartPolicy, UpdateConfig,
};
use crate::read::{expected, Result, Table};
use crate::{ComposeError, Node, Value};

pub(crate) fn deploy(node: &Node, path: &str) -> Result<Deploy> {
    let table = Table::new(node, path, "a deploy mapping", true)?;
    table.allow(&[
        "mode",
        "replicas",
        "labels",
        "endpoint_mode",
        "update_config",
        "rollback_config",
        "resources",
        "restart_policy",
        "placement",
    ])?;
    let mode = match table.string("mode")?.as_deref() {
        None | Some("replicated") => DeployMode::Replicated,
        Some("global") => DeployMode::Global,
        Some("replicated-job") => DeployMode::ReplicatedJob,
        Some("global-job") => DeployMode::GlobalJob,
        Some(other) => {
            return Err(ComposeError::at(
                table.value_at("mode"),
                &table.path_of("mode"),
                format!(
                    "`{other}` is not a mode: use replicated, global, replicated-job or global-job"
                ),
            ))
        }
    };
    let replicas = table.unsigned("replicas")?;
    if replicas.is_some() && matches!(mode, DeployMode::Global | DeployMode::GlobalJob) {
        return Err(ComposeError::at(
            table.key_at("replicas"),
            &table.path_of("replicas"),
            "replicas can only be used with replicated or replicated-job mode",
        ));
    }
    // The CLI lower-cases it.
    let endpoint_mode = table
        .string_or_default("endpoint_mode")?
        .to_ascii_lowercase();
    one_of(&table, "endpoint_mode", &endpoint_mode, &["vip", "dnsrr"])?;
    let sub = |key: &str| table.field(key).map(|f| (f.node, table.path_of(key)));
    Ok(Deploy {
        mode,
        replicas,
        labels: table.labels("labels")?,
        endpoint_mode,
        update_config: sub("update_config")
            .map(|(n, p)| update_config(n, &p))
            .transpose()?,
        rollback_config: sub("rollback_config")
            .map(|(n, p)| update_config(n, &p))
            .transpose()?,
        resources: sub("resources")
            .map(|(n, p)| resources(n, &p))
            .transpose()?
            .unwrap_or_default(),
        restart_policy: sub("restart_policy")
            .map(|(n, p)| restart_policy(n, &p))
            .transpose()?,
        placement: sub("placement")
            .map(|(n, p)| placement(n, &p))
            .transpose()?
            .unwrap_or_default(),
    })
}

/// An empty value is allowed: the engine's default applies.
fn one_of(table: &Table<'_>, key: &str, value: &str, allowed: &[&str]) -> Result<()> {
    if value.is_empty() || allowed.contains(&value) {
        return Ok(());
    }
    Err(ComposeError::at(
        table.field(key).map_or(table.at, |f| f.node.at),
        &table.path_of(key),
        format!(
            "`{value}` is not allowed here: use {}",
            allowed.join(" or ")
        ),
    ))
}

fn update_config(node: &Node, path: &str) -> Result<UpdateConfig> {
    let table = Table::new(node, path, "an update config mapping", true)?;
    table.allow(&[
        "parallelism",
        "delay",
        "failure_action",
        "monitor",
        "max_failure_ratio",
        "order",
    ])?;
    let failure_action = table.string_or_default("failure_action")?;
    one_of(
        &table,
        "failure_action",
        &failure_action,
        &["continue", "rollback", "pause"],
    )?;
    let order = table.string_or_default("order")?;
    one_of(&table, "order", &order, &["start-first", "stop-first"])?;
    Ok(UpdateConfig {
        parallelism: table.unsigned("parallelism")?,
        delay: table.duration("delay")?.unwrap_or(0),
        failure_action,
        monitor: table.duration("monitor")?.unwrap_or(0),
        max_failure_ratio: table.number("max_failure_ratio")?.unwrap_or(0.0),
        order,
    })
}

fn resources(node: &Node, path: &str) -> Result<Resources> {
    let table = Table::new(node, path, "a resources mapping", true)?;
    table.allow(&["limits", "reservations"])?;
    let limits = match table.field("limits") {
        None => None,
        Some(field) => {
            let limits = Table::new(field.node, &table.path_of("limits"), "a mapping", true)?;
            limits.allow(&["cpus", "memory", "pids"])?;
            Some(Limits {
                nano_cpus: cpus(&limits)?,
                memory: limits.bytes("memory")?.unwrap_or(0),
                pids: limits.integer("pids")?.unwrap_or(0),
            })
        }
    };
    let reservations = match table.field("reservations") {
        None => None,
        Some(field) => {
            let path = table.path_of("reservations");
            let reserved = Table::new(field.node, &path, "a mapping", true)?;
            reserved.allow(&["cpus", "memory", "generic_resources"])?;
            Some(Reservations {
                nano_cpus: cpus(&reserved)?,
                memory: reserved.bytes("memory")?.unwrap_or(0),
                generic_resources: generic_resources(&reserved)?,
            })
        }
    };
    Ok(Resources {
        limits,
        reservations,
    })
}

/// `cpus: 0.5` or `"0.5"` → 500_000_000 nano CPUs, refusing more than 9 decimals as the CLI
/// does.
fn cpus(table: &Table<'_>) -> Result<i64> {
    let Some(field) = table.field("cpus") else {
        return Ok(0);
    };
    let path = table.path_of("cpus");
    let text = match &field.node.value {
        Value::Str(text) => text.trim().to_owned(),
        Value::Int(n) => n.to_string(),
        Value::Float(f) => f.to_string(),
        _ => return Err(expected(field.node, &path, "a number of CPUs such as 0.5")),
    };
    parse_cpus(&text).map_err(|message| ComposeError::at(field.node.at, &path, message))
}

pub fn parse_cpus(text: &str) -> std::result::Result<i64, String> {
    let invalid = || format!("`{text}` is not a number of CPUs (for example 0.5 or 2)");
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return Err(invalid());
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > 9 {
        return Err(format!("`{text}` is too precise: use at most 9 decimals"));
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| invalid())?
    };
    let nanos: i64 = format!("{fraction:0<9}").parse().map_err(|_| invalid())?;
    whole
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(nanos))
        .ok_or_else(invalid)
}

fn generic_resources(table: &Table<'_>) -> Result<Vec<(String, i64)>> {
    let Some(field) = table.field("generic_resources") else {
        return Ok(Vec::new());
    };
    let path = table.path_of("generic_resources");
    let Value::Seq(items) = &field.node.value else {
        return Err(expected(field.node, &path, "a list"));
    };
    let mut resources = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        let entry = Table::new(item, &item_path, "a mapping", false)?;
        entry.allow(&["discrete_resource_spec"])?;
        let Some(spec) = entry.field("discrete_resource_spec") else {
            continue;
        };
        let spec = Table::new(
            spec.node,
            &entry.path_of("discrete_resource_spec"),
            "kind and value",
            false,
        )?;
        spec.allow(&["kind", "value"])?;
        resources.push((
            spec.string_or_default("kind")?,
            spec.integer("value")?.unwrap_or(0),
        ));
    }
    Ok(resources)
}

fn restart_policy(node: &Node, path: &str) -> Result<RestartPolicy> {
    let table = Table::new(node, path, "a restart policy mapping", true)?;
    table.allow(&["condition", "delay", "max_attempts", "window"])?;
    let condition = table.string_or_default("condition")?;
    one_of(
        &table,
        "condition",
        &condition,
        &["none", "on-failure", "any"],
    )?;
    Ok(RestartPolicy {
        condition,
        delay: table.duration("delay")?,
        max_attempts: table.unsigned("max_attempts")?,
        window: table.duration("window")?,
    })
}

fn placement(node: &Node, path: &str) -> Result<Placement> {
    let table = Table::new(node, path, "a placement mapping", true)?;
    table.allow(&["constraints", "preferences", "max_replicas_per_node"])?;
    let constraints = table.string_list("constraints")?;
    for (i, constraint) in constraints.iter().enumerate() {
        if !(constraint.contains("==") || constraint.contains("!=")) {
            return Err(ComposeError::at(
                table.item_at("constraints", i),
                &format!("{}[{i}]", table.path_of("constraints")),
                format!("`{constraint}` is not a constraint: use KEY==VALUE or KEY!=VALUE"),
            ));
        }
    }
    let mut preferences = Vec::new();
    if let Some(field) = table.field("preferences") {
        let prefs_path = table.path_of("preferences");
        let Value::Seq(items) = &field.node.value else {
            return Err(expected(field.node, &prefs_path, "a list of {spread: …}"));
        };
        for (i, item) in items.iter().enumerate() {
            let pref = Table::new(item, &format!("{prefs_path}[{i}]"), "a mapping", false)?;
            pref.allow(&["spread"])?;
            if let Some(spread) = pref.string("spread")? {
                preferences.push(spread);
            }
        }
    }
    Ok(Placement {
        constraints,
        preferences,
        max_replicas_per_node: table.unsigned("max_replicas_per_node")?,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_cpus;

    #[test]
    fn cpus_are_exact_nano_cpus() {
        assert_eq!(parse_cpus("0.5"), Ok(500_000_000));
        assert_eq!(parse_cpus("2"), Ok(2_000_000_000));
        assert_eq!(parse_cpus(".25"), Ok(250_000_000));
        assert_eq!(parse_cpus("0.000000001"), Ok(1));
        assert!(parse_cpus("0.0000000001").is_err());
        assert!(parse_cpus("-1").is_err());
        assert!(parse_cpus("one").is_err());
        assert!(parse_cpus(".").is_err());
    }
}
