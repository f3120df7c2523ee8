//! What the swarm stores, made comparable with what a file makes — and back: the swarm
//! refers to networks, secrets and configs by ID where a file names them, fills in
//! `ForceUpdate`, and knows a service's mode only by the key under `Mode`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a service runs its tasks (the key under `Mode` in its spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModeKind {
    Replicated,
    Global,
    ReplicatedJob,
    GlobalJob,
}

impl ModeKind {
    /// The mode of a service spec; `None` when it names none the engine knows.
    pub fn of(spec: &Value) -> Option<Self> {
        let mode = spec.get("Mode")?.as_object()?;
        [
            Self::Replicated,
            Self::Global,
            Self::ReplicatedJob,
            Self::GlobalJob,
        ]
        .into_iter()
        .find(|kind| mode.contains_key(kind.as_str()))
    }

    /// The key under `Mode` (the Engine API's name).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Replicated => "Replicated",
            Self::Global => "Global",
            Self::ReplicatedJob => "ReplicatedJob",
            Self::GlobalJob => "GlobalJob",
        }
    }

    /// The compose file's name (`deploy.mode`), which `docker service ls` also shows.
    pub fn compose_name(self) -> &'static str {
        match self {
            Self::Replicated => "replicated",
            Self::Global => "global",
            Self::ReplicatedJob => "replicated-job",
            Self::GlobalJob => "global-job",
        }
    }

    /// The mode a compose name stands for.
    pub fn from_compose_name(name: &str) -> Option<Self> {
        [
            Self::Replicated,
            Self::Global,
            Self::ReplicatedJob,
            Self::GlobalJob,
        ]
        .into_iter()
        .find(|kind| kind.compose_name() == name)
    }

    /// Tasks a spec of this mode asks for: replicas, or a replicated job's completions (a
    /// global service's depend on the nodes, so none here).
    pub fn wanted(self, spec: &Value) -> Option<u64> {
        let pointer = match self {
            Self::Replicated => "/Mode/Replicated/Replicas",
            Self::ReplicatedJob => "/Mode/ReplicatedJob/TotalCompletions",
            Self::Global | Self::GlobalJob => return None,
        };
        Some(spec.pointer(pointer).and_then(Value::as_u64).unwrap_or(1))
    }

    /// One task on every eligible node, rather than a number of replicas.
    pub fn is_global(self) -> bool {
        matches!(self, Self::Global | Self::GlobalJob)
    }

    /// Tasks that run to completion rather than keep running.
    pub fn is_job(self) -> bool {
        matches!(self, Self::ReplicatedJob | Self::GlobalJob)
    }
}

/// A stored service spec in the terms a compose file produces: networks by name rather
/// than ID, secrets and configs by name alone.
pub fn comparable_spec(spec: &mut Value, network_names: &HashMap<&str, &str>) {
    if let Some(Value::Array(networks)) = spec.pointer_mut("/TaskTemplate/Networks") {
        for network in networks {
            if let Some(Value::String(target)) = network.get_mut("Target") {
                if let Some(name) = network_names.get(target.as_str()) {
                    *target = (*name).to_owned();
                }
            }
        }
    }
    for (list, _, id_key) in REFERENCES {
        if let Some(Value::Array(references)) = spec.pointer_mut(list) {
            for reference in references.iter_mut().filter_map(Value::as_object_mut) {
                reference.remove(id_key);
            }
        }
    }
}

/// Where a service spec refers to secrets and configs: list, name key, ID key.
const REFERENCES: [(&str, &str, &str); 2] = [
    (
        "/TaskTemplate/ContainerSpec/Secrets",
        "SecretName",
        "SecretID",
    ),
    (
        "/TaskTemplate/ContainerSpec/Configs",
        "ConfigName",
        "ConfigID",
    ),
];

/// Fills `SecretID`/`ConfigID` in the service's references from their names.
pub fn with_reference_ids(mut spec: Value, ids: &HashMap<String, String>) -> Value {
    for (list, name_key, id_key) in REFERENCES {
        if let Some(Value::Array(references)) = spec.pointer_mut(list) {
            for reference in references {
                let id = reference
                    .get(name_key)
                    .and_then(Value::as_str)
                    .and_then(|name| ids.get(name))
                    .cloned();
                if let (Some(id), Value::Object(map)) = (id, reference) {
                    map.insert(id_key.to_owned(), Value::String(id));
                }
            }
        }
    }
    spec
}

/// Carries the running spec's `ForceUpdate` counter into the new one, as the CLI does, so
/// an update that changes nothing does not restart the service's tasks.
pub fn keep_force_update(running: &Value, wanted: &mut Value) {
    if let (Some(force), Some(Value::Object(task))) = (
        running.pointer("/TaskTemplate/ForceUpdate").cloned(),
        wanted.get_mut("TaskTemplate"),
    ) {
        task.insert("ForceUpdate".to_owned(), force);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn modes_have_their_compose_names_and_want_their_tasks() {
        for kind in [
            ModeKind::Replicated,
            ModeKind::Global,
            ModeKind::ReplicatedJob,
            ModeKind::GlobalJob,
        ] {
            assert_eq!(ModeKind::from_compose_name(kind.compose_name()), Some(kind));
        }
        assert_eq!(ModeKind::from_compose_name("Replicated"), None);
        let replicated = json!({"Mode": {"Replicated": {"Replicas": 4}}});
        assert_eq!(ModeKind::Replicated.wanted(&replicated), Some(4));
        let job = json!({"Mode": {"ReplicatedJob": {"TotalCompletions": 3}}});
        assert_eq!(ModeKind::ReplicatedJob.wanted(&job), Some(3));
        assert_eq!(
            ModeKind::Global.wanted(&json!({"Mode": {"Global": {}}})),
            None
        );
    }

    #[test]
    fn ids_become_names_and_back() {
        let mut stored = json!({
            "TaskTemplate": {
                "Networks": [{"Target": "n1id"}],
                "ContainerSpec": {"Secrets": [{"SecretID": "s1id", "SecretName": "shop_token"}]}
            }
        });
        comparable_spec(&mut stored, &HashMap::from([("n1id", "shop_default")]));
        assert_eq!(
            stored["TaskTemplate"]["Networks"][0]["Target"],
            "shop_default"
        );
        assert_eq!(
            stored["TaskTemplate"]["ContainerSpec"]["Secrets"][0],
            json!({"SecretName": "shop_token"})
        );
        let filled = with_reference_ids(
            stored,
            &HashMap::from([("shop_token".to_owned(), "s2id".to_owned())]),
        );
        assert_eq!(
            filled["TaskTemplate"]["ContainerSpec"]["Secrets"][0]["SecretID"],
            "s2id"
        );
    }

    #[test]
    fn force_update_is_carried_over_and_modes_are_read() {
        let running = json!({"TaskTemplate": {"ForceUpdate": 3}, "Mode": {"Global": {}}});
        let mut wanted = json!({"TaskTemplate": {}, "Mode": {"Replicated": {"Replicas": 2}}});
        keep_force_update(&running, &mut wanted);
        assert_eq!(wanted["TaskTemplate"]["ForceUpdate"], 3);
        assert_eq!(ModeKind::of(&running), Some(ModeKind::Global));
        assert_eq!(ModeKind::of(&wanted), Some(ModeKind::Replicated));
        assert_eq!(ModeKind::of(&json!({})), None);
        assert!(ModeKind::GlobalJob.is_global() && ModeKind::GlobalJob.is_job());
    }
}
