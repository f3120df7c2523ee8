//! Specs cross this crate's boundary as Engine API JSON, so the stack planner can build and
//! diff them without bollard; they are checked against bollard's models here, on the way in
//! and out.

use std::collections::HashMap;

use bollard::models::{ConfigSpec, NetworkCreateRequest, SecretSpec, ServiceSpec};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{EngineError, Result, StoredObject};

pub(crate) fn label_filter(label: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_owned(), vec![label.to_owned()])])
}

pub(crate) fn stored<S: serde::Serialize>(
    id: Option<String>,
    version: Option<&bollard::models::ObjectVersion>,
    spec: &S,
) -> StoredObject {
    StoredObject {
        id: id.unwrap_or_default(),
        version: version.and_then(|v| v.index).unwrap_or(0),
        spec: serde_json::to_value(spec).unwrap_or(Value::Null),
    }
}

pub(crate) fn spec_from<T: DeserializeOwned>(action: &str, spec: &Value) -> Result<T> {
    serde_json::from_value(spec.clone()).map_err(|err| EngineError::Api {
        action: action.to_owned(),
        endpoint: String::new(),
        status: None,
        message: format!("the spec does not fit the Engine API: {err}"),
    })
}

/// Whether `spec` (a `network`, `secret`, `config` or `service`) fits the Engine API, so a
/// deploy can refuse a bad spec before it changes anything.
pub fn check_spec(kind: &str, spec: &Value) -> std::result::Result<(), String> {
    let fits = match kind {
        "network" => serde_json::from_value::<NetworkCreateRequest>(spec.clone()).map(drop),
        "secret" => serde_json::from_value::<SecretSpec>(spec.clone()).map(drop),
        "config" => serde_json::from_value::<ConfigSpec>(spec.clone()).map(drop),
        "service" => serde_json::from_value::<ServiceSpec>(spec.clone()).map(drop),
        other => return Err(format!("no such kind of spec: {other}")),
    };
    fits.map_err(|err| format!("the {kind} spec does not fit the Engine API: {err}"))
}
