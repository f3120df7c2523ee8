//! Several compose files as one, merged as `docker stack deploy -c a.yml -c b.yml` merges
//! them (docker/cli `loader/merge.go`: mergo with override and appended lists, and its
//! special cases). Files are merged after interpolation, as the CLI does, so the result is
//! written back with every `$` doubled: it holds no variables any more.
//!
//! The CLI merges typed structs; here the trees are merged with the same outcome for what a
//! stack file holds: a later file's non-empty value wins, mappings merge key by key, lists
//! append, except `ports` (by published port), `volumes` (by target), `secrets` and
//! `configs` (by source), which are merged by key and sorted, `command` and `entrypoint`
//! (replaced), `logging` (options merged under one driver), `ulimits` (replaced per name)
//! and a service's `networks` (aliases replaced). Top-level networks, volumes, secrets and
//! configs are replaced by name.

use crate::ports::{ports, PortConfig, Protocol, PublishMode};
use crate::yaml::child_path;
use crate::{ComposeError, Entry, Location, Node, Value};

const SECTIONS: [&str; 4] = ["volumes", "networks", "secrets", "configs"];

/// Keys whose values the CLI holds as pointers: a zero there still overrides.
const POINTER_NUMBERS: [&str; 5] = [
    "replicas",
    "parallelism",
    "max_attempts",
    "retries",
    "max_replicas_per_node",
];

/// Mappings the CLI reads from either a list of `KEY=VALUE` or a mapping.
const KEY_VALUE_LISTS: [&str; 3] = ["environment", "labels", "sysctls"];

/// Merges `files` (each loaded and interpolated) into the first.
pub fn merge_files(files: Vec<Node>) -> Result<Node, ComposeError> {
    let mut files = files.into_iter();
    let Some(mut base) = files.next() else {
        return Err(ComposeError::at(
            Location::default(),
            "",
            "no compose file to merge",
        ));
    };
    for file in files {
        let Value::Map(sections) = file.value else {
            return Err(ComposeError::at(file.at, "", "a compose file is a mapping"));
        };
        let Value::Map(base_sections) = &mut base.value else {
            return Err(ComposeError::at(base.at, "", "a compose file is a mapping"));
        };
        for section in sections {
            if section.key == "services" {
                let target = entry_or_insert(base_sections, &section);
                merge_services(target, section.value)?;
            } else if SECTIONS.contains(&section.key.as_str()) {
                let target = entry_or_insert(base_sections, &section);
                replace_by_key(target, section.value);
            }
        }
    }
    Ok(base)
}

/// The entry of `entries` named as `like`, made empty when missing.
fn entry_or_insert<'a>(entries: &'a mut Vec<Entry>, like: &Entry) -> &'a mut Node {
    let index = match entries.iter().position(|e| e.key == like.key) {
        Some(index) => index,
        None => {
            entries.push(Entry {
                key: like.key.clone(),
                key_at: like.key_at,
                value: Node {
                    at: like.value.at,
                    value: Value::Map(Vec::new()),
                },
            });
            entries.len() - 1
        }
    };
    &mut entries[index].value
}

fn map_entries(node: &mut Node) -> &mut Vec<Entry> {
    if !matches!(node.value, Value::Map(_)) {
        node.value = Value::Map(Vec::new());
    }
    match &mut node.value {
        Value::Map(entries) => entries,
        _ => unreachable!("made a mapping above"),
    }
}

fn replace_by_key(base: &mut Node, over: Node) {
    let Value::Map(over) = over.value else { return };
    let entries = map_entries(base);
    for entry in over {
        match entries.iter_mut().find(|e| e.key == entry.key) {
            Some(existing) => existing.value = entry.value,
            None => entries.push(entry),
        }
    }
}

fn merge_services(base: &mut Node, over: Node) -> Result<(), ComposeError> {
    let Value::Map(services) = over.value else {
        return Ok(());
    };
    let entries = map_entries(base);
    for service in services {
        match entries.iter_mut().find(|e| e.key == service.key) {
            Some(existing) => {
                let path = format!("services.{}", service.key);
                merge_service(&mut existing.value, service.value, &path)?;
            }
            None => entries.push(service),
        }
    }
    // The CLI writes services sorted by name.
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(())
}

fn merge_service(base: &mut Node, over: Node, path: &str) -> Result<(), ComposeError> {
    let Value::Map(over) = over.value else {
        return Ok(());
    };
    let entries = map_entries(base);
    for entry in over {
        let key = entry.key.clone();
        let field_path = child_path(path, &key);
        match entries.iter_mut().find(|e| e.key == key) {
            Some(existing) => merge_field(&key, &mut existing.value, entry.value, &field_path)?,
            None => entries.push(entry),
        }
    }
    // Keyed lists are rewritten (deduplicated and sorted) whenever the service is in both
    // files, as the CLI's transformers run on every field the base has.
    for entry in entries.iter_mut() {
        let field_path = child_path(path, &entry.key);
        if let Some(rewrite) = keyed_list(&entry.key) {
            if matches!(entry.value.value, Value::Seq(_)) {
                let empty = Node {
                    at: entry.value.at,
                    value: Value::Seq(Vec::new()),
                };
                let base = std::mem::replace(&mut entry.value, empty.clone());
                entry.value = rewrite(base, empty, &field_path)?;
            }
        }
    }
    Ok(())
}

type KeyedMerge = fn(Node, Node, &str) -> Result<Node, ComposeError>;

fn keyed_list(key: &str) -> Option<KeyedMerge> {
    match key {
        "ports" => Some(merge_ports),
        "volumes" => Some(|b, o, _| Ok(merge_keyed(b, o, volume_target))),
        "secrets" | "configs" => Some(|b, o, _| Ok(merge_keyed(b, o, object_source))),
        _ => None,
    }
}

/// One field of a service present in both files (`key` is its name).
fn merge_field(key: &str, base: &mut Node, over: Node, path: &str) -> Result<(), ComposeError> {
    if let Some(rewrite) = keyed_list(key) {
        let taken = std::mem::replace(base, over.clone());
        *base = match (&taken.value, &over.value) {
            (Value::Seq(_), Value::Seq(_)) => rewrite(taken, over, path)?,
            _ => over,
        };
        return Ok(());
    }
    match key {
        "command" | "entrypoint" => {
            if !is_empty(&over) {
                *base = over;
            }
        }
        "logging" => merge_logging(base, over),
        "ulimits" => replace_by_key(base, over),
        "networks" => merge_service_networks(base, over),
        _ if KEY_VALUE_LISTS.contains(&key) => merge_key_values(base, over),
        _ => merge_value(key, base, over),
    }
    Ok(())
}

/// mergo's rule for anything without a special case.
fn merge_value(key: &str, base: &mut Node, over: Node) {
    match (&mut base.value, over.value) {
        (Value::Map(entries), Value::Map(over_entries)) => {
            for entry in over_entries {
                match entries.iter_mut().find(|e| e.key == entry.key) {
                    Some(existing) => {
                        let key = entry.key.clone();
                        if KEY_VALUE_LISTS.contains(&key.as_str()) {
                            merge_key_values(&mut existing.value, entry.value);
                        } else {
                            merge_value(&key, &mut existing.value, entry.value);
                        }
                    }
                    None => entries.push(entry),
                }
            }
        }
        (Value::Seq(items), Value::Seq(more)) => items.extend(more),
        (_, value) => {
            let over = Node { at: over.at, value };
            let zero_overrides = POINTER_NUMBERS.contains(&key) || key == "init";
            if zero_overrides && !matches!(over.value, Value::Null) || !is_empty(&over) {
                *base = over;
            }
        }
    }
}

fn is_empty(node: &Node) -> bool {
    match &node.value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Int(n) => *n == 0,
        Value::Float(f) => *f == 0.0,
        Value::Str(s) => s.is_empty(),
        Value::Seq(items) => items.is_empty(),
        Value::Map(entries) => entries.is_empty(),
    }
}

/// `environment`, `labels`, `sysctls`: as mappings, a later non-empty value winning.
fn merge_key_values(base: &mut Node, over: Node) {
    let mut merged = key_values(base);
    for (key, value) in key_values(&over) {
        match merged.iter_mut().find(|(k, _)| *k == key) {
            Some(existing) => {
                if !is_empty(&value) {
                    existing.1 = value;
                }
            }
            None => merged.push((key, value)),
        }
    }
    base.value = Value::Map(
        merged
            .into_iter()
            .map(|(key, value)| Entry {
                key,
                key_at: value.at,
                value,
            })
            .collect(),
    );
}

fn key_values(node: &Node) -> Vec<(String, Node)> {
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|item| {
                let text = scalar_text(item)?;
                let (key, value) = match text.split_once('=') {
                    Some((key, value)) => (key.to_owned(), Value::Str(value.to_owned())),
                    None => (text, Value::Null),
                };
                Some((key, Node { at: item.at, value }))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn field<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.value {
        Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
        _ => None,
    }
}

fn driver(node: &Node) -> String {
    field(node, "driver")
        .and_then(scalar_text)
        .unwrap_or_default()
}

/// One driver's options merge; a different driver replaces the whole setting.
fn merge_logging(base: &mut Node, over: Node) {
    if matches!(over.value, Value::Null) {
        return;
    }
    if matches!(base.value, Value::Null) {
        *base = over;
        return;
    }
    let (base_driver, over_driver) = (driver(base), driver(&over));
    if base_driver == over_driver || base_driver.is_empty() || over_driver.is_empty() {
        let entries = map_entries(base);
        if base_driver.is_empty() {
            if let Some(over_entry) = field(&over, "driver") {
                entries.retain(|e| e.key != "driver");
                entries.push(Entry {
                    key: "driver".into(),
                    key_at: over_entry.at,
                    value: over_entry.clone(),
                });
            }
        }
        if let Some(options) = field(&over, "options").cloned() {
            match entries.iter_mut().find(|e| e.key == "options") {
                Some(existing) => merge_key_values(&mut existing.value, options),
                None => entries.push(Entry {
                    key: "options".into(),
                    key_at: options.at,
                    value: options,
                }),
            }
        }
    } else {
        *base = over;
    }
}

/// Networks as a mapping; one with settings in the later file takes its aliases and
/// addresses.
fn merge_service_networks(base: &mut Node, over: Node) {
    let as_map = |node: &Node| -> Vec<Entry> {
        match &node.value {
            Value::Map(entries) => entries.clone(),
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| {
                    Some(Entry {
                        key: scalar_text(item)?,
                        key_at: item.at,
                        value: Node {
                            at: item.at,
                            value: Value::Null,
                        },
                    })
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut merged = as_map(base);
    for entry in as_map(&over) {
        match merged.iter_mut().find(|e| e.key == entry.key) {
            Some(existing) => {
                if is_empty(&entry.value) {
                    continue;
                }
                if matches!(existing.value.value, Value::Null) {
                    existing.value = entry.value;
                    continue;
                }
                let target = map_entries(&mut existing.value);
                let aliases = field(&entry.value, "aliases").cloned();
                target.retain(|e| e.key != "aliases");
                if let Some(aliases) = aliases {
                    target.push(Entry {
                        key: "aliases".into(),
                        key_at: aliases.at,
                        value: aliases,
                    });
                }
                for address in ["ipv4_address", "ipv6_address"] {
                    if let Some(value) = field(&entry.value, address).filter(|v| !is_empty(v)) {
                        target.retain(|e| e.key != address);
                        target.push(Entry {
                            key: address.into(),
                            key_at: value.at,
                            value: value.clone(),
                        });
                    }
                }
            }
            None => merged.push(entry),
        }
    }
    base.value = Value::Map(merged);
}

/// Ports by published port (none counts as 0), sorted by it; short syntax is written long,
/// with its protocol and mode, as the CLI reads it.
fn merge_ports(base: Node, over: Node, path: &str) -> Result<Node, ComposeError> {
    let at = base.at;
    let mut merged: Vec<(u16, Node)> = Vec::new();
    for node in [base, over] {
        let Value::Seq(items) = node.value else {
            continue;
        };
        for (index, item) in items.into_iter().enumerate() {
            for (published, entry) in port_entries(item, &format!("{path}[{index}]"))? {
                match merged.iter_mut().find(|(key, _)| *key == published) {
                    Some(existing) => existing.1 = entry,
                    None => merged.push((published, entry)),
                }
            }
        }
    }
    merged.sort_by_key(|(published, _)| *published);
    Ok(Node {
        at,
        value: Value::Seq(merged.into_iter().map(|(_, entry)| entry).collect()),
    })
}

/// One `ports` item as the CLI holds it: each port it names, with its published port.
fn port_entries(item: Node, path: &str) -> Result<Vec<(u16, Node)>, ComposeError> {
    if let Value::Map(_) = &item.value {
        let published = field(&item, "published")
            .and_then(scalar_text)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        return Ok(vec![(published, item)]);
    }
    let at = item.at;
    let wrapped = Node {
        at,
        value: Value::Seq(vec![item]),
    };
    let node = |value| Node { at, value };
    let entry = |key: &str, value| Entry {
        key: key.into(),
        key_at: at,
        value: node(value),
    };
    Ok(ports(&wrapped, path)?
        .into_iter()
        .map(|c: PortConfig| {
            let mut fields = vec![entry("target", Value::Int(i64::from(c.target)))];
            if let Some(published) = c.published {
                fields.push(entry("published", Value::Int(i64::from(published))));
            }
            let protocol = match c.protocol {
                Protocol::Tcp => "tcp",
                Protocol::Udp => "udp",
                Protocol::Sctp => "sctp",
            };
            let mode = match c.mode {
                PublishMode::Ingress => "ingress",
                PublishMode::Host => "host",
            };
            fields.push(entry("protocol", Value::Str(protocol.into())));
            fields.push(entry("mode", Value::Str(mode.into())));
            (c.published.unwrap_or(0), node(Value::Map(fields)))
        })
        .collect())
}

fn volume_target(item: &Node) -> String {
    match &item.value {
        Value::Str(text) => {
            let parts: Vec<&str> = text.split(':').collect();
            match parts.as_slice() {
                [only] => (*only).to_owned(),
                [_, target, ..] => (*target).to_owned(),
                [] => String::new(),
            }
        }
        _ => field(item, "target")
            .and_then(scalar_text)
            .unwrap_or_default(),
    }
}

fn object_source(item: &Node) -> String {
    match &item.value {
        Value::Str(text) => text.clone(),
        _ => field(item, "source")
            .and_then(scalar_text)
            .unwrap_or_default(),
    }
}

/// A list merged by `key_of`, the later entry winning, sorted by key.
fn merge_keyed(base: Node, over: Node, key_of: fn(&Node) -> String) -> Node {
    let at = base.at;
    let items = |node: Node| match node.value {
        Value::Seq(items) => items,
        _ => Vec::new(),
    };
    let mut merged: Vec<(String, Node)> = Vec::new();
    for item in items(base).into_iter().chain(items(over)) {
        let key = key_of(&item);
        match merged.iter_mut().find(|(k, _)| *k == key) {
            Some(existing) => existing.1 = item,
            None => merged.push((key, item)),
        }
    }
    merged.sort_by(|a, b| a.0.cmp(&b.0));
    Node {
        at,
        value: Value::Seq(merged.into_iter().map(|(_, item)| item).collect()),
    }
}

/// `node` as block YAML that loads back to the same tree. Strings are double-quoted, and
/// with `literal_dollars` every `$` is doubled so a later interpolation leaves it alone.
pub fn to_yaml(node: &Node, literal_dollars: bool) -> String {
    let mut out = String::new();
    write_node(&mut out, node, 0, literal_dollars);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn quoted(text: &str, literal_dollars: bool) -> String {
    let text = if literal_dollars {
        text.replace('$', "$$")
    } else {
        text.to_owned()
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20
                || c == '\u{7f}'
                || c == '\u{85}'
                || c == '\u{2028}'
                || c == '\u{2029}' =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn plain_key(key: &str) -> bool {
    let reserved = [
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~",
    ];
    key.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !reserved.contains(&key.to_ascii_lowercase().as_str())
}

fn scalar(value: &Value, literal_dollars: bool) -> Option<String> {
    Some(match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Float(f) if f.is_finite() => format!("{f:?}"),
        Value::Float(f) if f.is_nan() => ".nan".into(),
        Value::Float(f) => (if *f > 0.0 { ".inf" } else { "-.inf" }).into(),
        Value::Str(s) => quoted(s, literal_dollars),
        Value::Seq(items) if items.is_empty() => "[]".into(),
        Value::Map(entries) if entries.is_empty() => "{}".into(),
        _ => return None,
    })
}

fn write_node(out: &mut String, node: &Node, indent: usize, literal_dollars: bool) {
    let pad = " ".repeat(indent);
    match &node.value {
        Value::Map(entries) if !entries.is_empty() => {
            for entry in entries {
                let key = if plain_key(&entry.key) {
                    entry.key.clone()
                } else {
                    quoted(&entry.key, false)
                };
                match scalar(&entry.value.value, literal_dollars) {
                    Some(text) => out.push_str(&format!("{pad}{key}: {text}\n")),
                    None => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write_node(out, &entry.value, indent + 2, literal_dollars);
                    }
                }
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for item in items {
                match scalar(&item.value, literal_dollars) {
                    Some(text) => out.push_str(&format!("{pad}- {text}\n")),
                    None => {
                        // The item's first line goes after the dash.
                        let mut inner = String::new();
                        write_node(&mut inner, item, indent + 2, literal_dollars);
                        let inner = inner.trim_start_matches(' ');
                        out.push_str(&format!("{pad}- {inner}"));
                    }
                }
            }
        }
        other => {
            let text = scalar(other, literal_dollars).unwrap_or_default();
            out.push_str(&format!("{pad}{text}\n"));
        }
    }
}
