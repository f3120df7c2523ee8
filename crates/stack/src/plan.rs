//! The plan: what a deploy would create, update (field by field) or remove, given what the
//! swarm has now. Nothing here talks to a swarm; the caller supplies its current objects.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::StackObjects;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Create,
    Update,
    Unchanged,
    Remove,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// `TaskTemplate.ContainerSpec.Image`, `Mode.Replicated.Replicas`, …
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// Fields a deploy never sets and keeps as they are: `ForceUpdate` is carried over, and
/// platforms are only recorded by registry lookups, which Flotilla does not make.
const KEPT: &[&str] = &[
    "TaskTemplate.ForceUpdate",
    "TaskTemplate.Placement.Platforms",
];

fn engine_default(path: &str, value: &Value) -> bool {
    KEPT.contains(&path)
        || ENGINE_DEFAULTS.iter().any(|(p, v)| {
            *p == path && serde_json::from_str::<Value>(v).ok().as_ref() == Some(value)
        })
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_empty),
    }
}

/// Field-level differences from `current` to `desired`. A field the desired spec leaves out
/// counts only when the current one has something there the engine would not have filled
/// in by itself.
pub fn diff_specs(current: &Value, desired: &Value) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    diff_at("", current, desired, &mut changes);
    changes
}

fn diff_at(path: &str, current: &Value, desired: &Value, out: &mut Vec<FieldChange>) {
    let child = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match (current, desired) {
        (Value::Object(now), Value::Object(want)) => {
            let keys: BTreeSet<&String> = now.keys().chain(want.keys()).collect();
            for key in keys {
                let path = child(key);
                match (now.get(key), want.get(key)) {
                    (Some(a), Some(b)) => diff_at(&path, a, b, out),
                    (None, Some(b)) if !is_empty(b) => out.push(FieldChange {
                        path,
                        before: None,
                        after: Some(b.clone()),
                    }),
                    (Some(a @ Value::Object(_)), None) => {
                        diff_at(&path, a, &Value::Object(Map::new()), out)
                    }
                    (Some(a), None) if !is_empty(a) && !engine_default(&path, a) => {
                        out.push(FieldChange {
                            path,
                            before: Some(a.clone()),
                            after: None,
                        })
                    }
                    _ => {}
                }
            }
        }
        (a, b) if a == b || (is_empty(a) && is_empty(b)) => {}
        (a, b) => out.push(FieldChange {
            path: path.to_owned(),
            before: Some(a.clone()),
            after: Some(b.clone()),
        }),
    }
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
    for name in &objects.external_networks {
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
        let change = if current.networks.contains_key(name) {
            Change::Unchanged
        } else {
            Change::Create
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
