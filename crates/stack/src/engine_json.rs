//! Engine API JSON as the CLI writes it: Go's `omitempty`, string maps, and the labels every
//! object of a stack carries. Shared by the conversion of each kind of object.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The label that says which stack an object belongs to (`docker stack ls` reads it).
pub const LABEL_NAMESPACE: &str = "com.docker.stack.namespace";
/// The image a service's file named, before any digest was pinned.
pub const LABEL_IMAGE: &str = "com.docker.stack.image";

/// Labels plus the stack's namespace label.
pub(crate) fn stack_labels(stack: &str, labels: &BTreeMap<String, String>) -> Value {
    let mut map: Map<String, Value> = labels
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    map.insert(LABEL_NAMESPACE.to_owned(), Value::String(stack.to_owned()));
    Value::Object(map)
}

pub(crate) fn string_map(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// Inserts `value` unless it is empty (`""`, `false`, `0`, `[]`, `{}`, null), as Go's
/// `omitempty` leaves such fields out of the CLI's requests.
pub(crate) fn put(object: &mut Map<String, Value>, key: &str, value: Value) {
    let empty = match &value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    };
    if !empty {
        object.insert(key.to_owned(), value);
    }
}
