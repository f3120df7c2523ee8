//! The plan: what a deploy would create, update (field by field) or remove, given what the
//! swarm has now. Nothing here talks to a swarm; the caller supplies its current objects.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{ModeKind, StackObjects};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum Change {
    Create,
    Update,
    Unchanged,
    Remove,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct FieldChange {
    /// `TaskTemplate.ContainerSpec.Image`, `Mode.Replicated.Replicas`, …
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct PlannedObject {
    /// network, secret, config, service or volume.
    pub kind: String,
    pub name: String,
    pub change: Change,
    pub fields: Vec<FieldChange>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub stack: String,
    pub objects: Vec<PlannedObject>,
    /// Reasons the deploy cannot go ahead; when any, nothing may be touched.
    pub problems: Vec<String>,
}

impl Plan {
    pub fn count(&self, change: Change) -> usize {
        self.objects.iter().filter(|o| o.change == change).count()
    }
}

/// What the swarm has now, as far as the plan needs it.
#[derive(Debug, Clone, Default)]
pub struct Current {
    /// Every network name with its scope (`swarm`, `local`).
    pub networks: BTreeMap<String, String>,
    /// Secret name → spec (no data: the engine never returns it).
    pub secrets: BTreeMap<String, Value>,
    /// Config name → spec, with data.
    pub configs: BTreeMap<String, Value>,
    /// The stack's services: name → spec.
    pub services: BTreeMap<String, Value>,
}

/// Values the engine fills in when a spec leaves a field out; leaving it out again is no
/// change, while leaving out a field that holds anything else is.
const ENGINE_DEFAULTS: &[(&str, &str)] = &[
    ("TaskTemplate.ContainerSpec.Isolation", "\"default\""),
    ("TaskTemplate.ContainerSpec.StopGracePeriod", "10000000000"),
    ("TaskTemplate.Runtime", "\"container\""),
    ("TaskTemplate.RestartPolicy.Condition", "\"any\""),
    ("TaskTemplate.RestartPolicy.Delay", "5000000000"),
    ("EndpointSpec.Mode", "\"vip\""),
    ("Mode.Replicated.Replicas", "1"),
    ("UpdateConfig.Parallelism", "1"),
    ("UpdateConfig.FailureAction", "\"pause\""),
    ("UpdateConfig.Monitor", "5000000000"),
    ("UpdateConfig.Order", "\"stop-first\""),
    ("RollbackConfig.Parallelism", "1"),
    ("RollbackConfig.FailureAction", "\"pause\""),
    ("RollbackConfig.Monitor", "5000000000"),
    ("RollbackConfig.Order", "\"stop-first\""),
];

/// Fields a plan does not compare: `ForceUpdate` is carried over, and platforms follow the
/// image's digest, which the plan compares already.
const KEPT: &[&str] = &[
    "TaskTemplate.ForceUpdate",
    "TaskTemplate.Placement.Platforms",
];

/// Nothing there: what Go's `omitempty` leaves out of a request.
fn zeroish(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(zeroish),
    }
}

/// What the engine holds for a field a spec leaves out.
fn default_for(path: &str) -> Option<Value> {
    ENGINE_DEFAULTS
        .iter()
        .find(|(p, _)| *p == path)
        .and_then(|(_, v)| serde_json::from_str(v).ok())
}

/// Field-level differences from `current` to `desired`. A field either side leaves out
/// stands for the engine's default there (zero, unless listed in `ENGINE_DEFAULTS`), so
/// `replicas: 0` against a file without replicas is a change, and an engine-filled default
/// is not.
pub fn diff_specs(current: &Value, desired: &Value) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    diff_at("", Some(current), Some(desired), &mut changes);
    changes
}

fn diff_at(
    path: &str,
    current: Option<&Value>,
    desired: Option<&Value>,
    out: &mut Vec<FieldChange>,
) {
    if KEPT.contains(&path) {
        return;
    }
    let empty = Map::new();
    let object_or_empty = |value: Option<&'_ Value>| -> Option<Map<String, Value>> {
        match value {
            None => Some(empty.clone()),
            Some(Value::Object(map)) => Some(map.clone()),
            Some(_) => None,
        }
    };
    let either_object =
        matches!(current, Some(Value::Object(_))) || matches!(desired, Some(Value::Object(_)));
    if let (true, Some(now), Some(want)) = (
        either_object,
        object_or_empty(current),
        object_or_empty(desired),
    ) {
        let keys: BTreeSet<&String> = now.keys().chain(want.keys()).collect();
        for key in keys {
            let child = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            diff_at(&child, now.get(key), want.get(key), out);
        }
        return;
    }
    let before = current.cloned().or_else(|| default_for(path));
    let after = desired.cloned().or_else(|| default_for(path));
    let same = match (&before, &after) {
        (Some(a), Some(b)) => a == b || (zeroish(a) && zeroish(b)),
        (Some(v), None) | (None, Some(v)) => zeroish(v),
        (None, None) => true,
    };
    if !same {
        out.push(FieldChange {
            path: path.to_owned(),
            before,
            after,
        });
    }
}

/// Keeps the image reference a service already runs when the file names the same image as
/// the last deploy (its `com.docker.stack.image` label), as `docker stack deploy
/// --resolve-image never|changed` does: a service pinned to a registry digest
/// (`image@sha256:…`) is not restarted because this deploy did not ask the registry.
/// Returns the services it kept.
pub fn keep_resolved_images(objects: &mut StackObjects, current: &Current) -> Vec<String> {
    let image_label = |spec: &Value| {
        spec.get("Labels")
            .and_then(|l| l.get(crate::LABEL_IMAGE))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut kept = Vec::new();
    for (name, spec) in objects.services.iter_mut() {
        let Some(now) = current.services.get(name) else {
            continue;
        };
        let (was, wanted) = (image_label(now), image_label(spec));
        let running = now.pointer("/TaskTemplate/ContainerSpec/Image");
        if let (true, Some(running)) = (was.is_some() && was == wanted, running) {
            if let Some(image) = spec.pointer_mut("/TaskTemplate/ContainerSpec/Image") {
                *image = running.clone();
                kept.push(name.clone());
            }
        }
    }
    kept
}

/// Predefined networks exist on every node and are not swarm objects.
fn predefined_network(name: &str) -> bool {
    matches!(name, "host" | "bridge" | "none") || name.starts_with("container:")
}

fn planned(kind: &str, name: &str, change: Change, fields: Vec<FieldChange>) -> PlannedObject {
    PlannedObject {
        kind: kind.to_owned(),
        name: name.to_owned(),
        change,
        fields,
    }
}

/// The plan for deploying `objects` onto a swarm that has `current`; `prune` removes the
/// stack's services the file no longer has.
pub fn plan(objects: &StackObjects, current: &Current, prune: bool) -> Plan {
    let mut plan = Plan {
        stack: objects.stack.clone(),
        ..Plan::default()
    };
    for name in objects
        .external_networks
        .iter()
        .filter(|n| !predefined_network(n))
    {
        match current.networks.get(name).map(String::as_str) {
            None => plan.problems.push(format!(
                "network `{name}` is declared external but does not exist: create a swarm-scoped (overlay) network first"
            )),
            Some("swarm") => {}
            Some(scope) => plan.problems.push(format!(
                "network `{name}` is declared external but is {scope}-scoped: stacks need a swarm-scoped network"
            )),
        }
    }
    for name in objects.networks.keys() {
        let change = match current.networks.get(name).map(String::as_str) {
            None => Change::Create,
            Some("swarm") => Change::Unchanged,
            Some(scope) => {
                plan.problems.push(format!(
                    "network `{name}` already exists, {scope}-scoped: remove it or give the stack's network another name"
                ));
                Change::Unchanged
            }
        };
        plan.objects
            .push(planned("network", name, change, Vec::new()));
    }
    for (name, spec) in &objects.secrets {
        plan.objects.push(match current.secrets.get(name) {
            None => planned("secret", name, Change::Create, Vec::new()),
            Some(now) => labels_change("secret", name, now, spec),
        });
    }
    for (name, spec) in &objects.configs {
        plan.objects.push(match current.configs.get(name) {
            None => planned("config", name, Change::Create, Vec::new()),
            Some(now) => {
                if now.get("Data") != spec.get("Data") {
                    plan.problems.push(format!(
                        "config `{name}` exists with other content, and swarm configs cannot change: give the new content a new name (for example `name: {name}_v2`)"
                    ));
                }
                labels_change("config", name, now, spec)
            }
        });
    }
    for (name, spec) in &objects.services {
        plan.objects.push(match current.services.get(name) {
            None => planned("service", name, Change::Create, Vec::new()),
            Some(now) => {
                let (was, wanted) = (ModeKind::of(now), ModeKind::of(spec));
                if was != wanted {
                    let name_of = |mode: Option<ModeKind>| mode.map_or("", ModeKind::as_str);
                    plan.problems.push(format!(
                        "service `{name}` cannot change its mode from {} to {}: remove the service first",
                        name_of(was),
                        name_of(wanted)
                    ));
                }
                let fields = diff_specs(now, spec);
                let change = if fields.is_empty() {
                    Change::Unchanged
                } else {
                    Change::Update
                };
                planned("service", name, change, fields)
            }
        });
    }
    if prune {
        for name in current.services.keys() {
            if !objects.services.contains_key(name) {
                plan.objects
                    .push(planned("service", name, Change::Remove, Vec::new()));
            }
        }
    }
    plan
}

/// Secrets and configs can only change their labels.
fn labels_change(kind: &str, name: &str, now: &Value, spec: &Value) -> PlannedObject {
    let fields = diff_specs(
        now.get("Labels").unwrap_or(&Value::Null),
        spec.get("Labels").unwrap_or(&Value::Null),
    )
    .into_iter()
    .map(|f| FieldChange {
        path: format!("Labels.{}", f.path)
            .trim_end_matches('.')
            .to_owned(),
        ..f
    })
    .collect::<Vec<_>>();
    let change = if fields.is_empty() {
        Change::Unchanged
    } else {
        Change::Update
    };
    planned(kind, name, change, fields)
}
