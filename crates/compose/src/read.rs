//! Typed reading of the YAML tree: each reader names the key path and location of what it
//! refuses and says what it expected, so every model field gets the same error quality.

use std::collections::BTreeMap;

use crate::yaml::child_path;
use crate::{parse_bytes, parse_duration, ComposeError, Entry, Location, Node, Value};

pub(crate) type Result<T> = std::result::Result<T, ComposeError>;

/// A mapping being read, with the keys it may have.
pub(crate) struct Table<'a> {
    pub path: String,
    pub at: Location,
    entries: &'a [Entry],
}

/// A value with where it came from.
#[derive(Clone, Copy)]
pub(crate) struct Field<'a> {
    pub node: &'a Node,
    pub key_at: Location,
}

pub(crate) fn expected(node: &Node, path: &str, what: &str) -> ComposeError {
    ComposeError::at(
        node.at,
        path,
        format!("expected {what}, found {}", node.value.kind()),
    )
}

const EMPTY: &[Entry] = &[];

impl<'a> Table<'a> {
    /// `node` must be a mapping; `null` reads as an empty one when `null_ok`.
    pub fn new(node: &'a Node, path: &str, what: &str, null_ok: bool) -> Result<Self> {
        let entries = match &node.value {
            Value::Map(entries) => entries.as_slice(),
            Value::Null if null_ok => EMPTY,
            _ => return Err(expected(node, path, what)),
        };
        Ok(Self {
            path: path.to_owned(),
            at: node.at,
            entries,
        })
    }

    /// Refuses keys outside `allowed`; `x-…` extension keys are always allowed.
    pub fn allow(&self, allowed: &[&str]) -> Result<()> {
        for entry in self.entries {
            if !allowed.contains(&entry.key.as_str()) && !entry.key.starts_with("x-") {
                return Err(ComposeError::at(
                    entry.key_at,
                    &child_path(&self.path, &entry.key),
                    format!("unknown key (allowed here: {})", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }

    pub fn entries(&self) -> impl Iterator<Item = &'a Entry> {
        self.entries.iter().filter(|e| !e.key.starts_with("x-"))
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.key == key)
    }

    pub fn key_at(&self, key: &str) -> Location {
        self.field(key).map_or(self.at, |f| f.key_at)
    }

    /// Where the value under `key` is (the mapping itself when the key is absent).
    pub fn value_at(&self, key: &str) -> Location {
        self.field(key).map_or(self.at, |f| f.node.at)
    }

    pub fn path_of(&self, key: &str) -> String {
        child_path(&self.path, key)
    }

    /// Where item `index` of the list under `key` is (or the key's value, if not a list).
    pub fn item_at(&self, key: &str, index: usize) -> Location {
        match self.field(key) {
            Some(Field { node, .. }) => match &node.value {
                Value::Seq(items) => items.get(index).map_or(node.at, |item| item.at),
                _ => node.at,
            },
            None => self.at,
        }
    }

    pub fn field(&self, key: &str) -> Option<Field<'a>> {
        self.entries.iter().find(|e| e.key == key).map(|e| Field {
            node: &e.value,
            key_at: e.key_at,
        })
    }

    fn read<T>(&self, key: &str, f: impl FnOnce(&Node, &str) -> Result<T>) -> Result<Option<T>> {
        match self.field(key) {
            Some(field) => f(field.node, &self.path_of(key)).map(Some),
            None => Ok(None),
        }
    }

    pub fn string(&self, key: &str) -> Result<Option<String>> {
        self.read(key, string)
    }

    pub fn string_or_default(&self, key: &str) -> Result<String> {
        Ok(self.string(key)?.unwrap_or_default())
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>> {
        self.read(key, boolean)
    }

    pub fn flag(&self, key: &str) -> Result<bool> {
        Ok(self.boolean(key)?.unwrap_or(false))
    }

    pub fn unsigned(&self, key: &str) -> Result<Option<u64>> {
        self.read(key, unsigned)
    }

    pub fn integer(&self, key: &str) -> Result<Option<i64>> {
        self.read(key, integer)
    }

    pub fn number(&self, key: &str) -> Result<Option<f64>> {
        self.read(key, number)
    }

    pub fn duration(&self, key: &str) -> Result<Option<i64>> {
        self.read(key, duration)
    }

    pub fn bytes(&self, key: &str) -> Result<Option<i64>> {
        self.read(key, bytes)
    }

    pub fn string_list(&self, key: &str) -> Result<Vec<String>> {
        Ok(self.read(key, string_list)?.unwrap_or_default())
    }

    pub fn string_or_list(&self, key: &str) -> Result<Vec<String>> {
        Ok(self.read(key, string_or_list)?.unwrap_or_default())
    }

    pub fn string_map(&self, key: &str) -> Result<BTreeMap<String, String>> {
        Ok(self.read(key, string_map)?.unwrap_or_default())
    }

    pub fn labels(&self, key: &str) -> Result<BTreeMap<String, String>> {
        Ok(self
            .read(key, mapping_or_list)?
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect())
    }
}

pub(crate) fn string(node: &Node, path: &str) -> Result<String> {
    match &node.value {
        Value::Str(text) => Ok(text.clone()),
        _ => Err(expected(node, path, "a string")),
    }
}

// Strings are cast as the CLI casts typed fields after interpolation, so
// `replicas: ${REPLICAS}` works; its casts read yes/no/on/off as booleans too.
pub(crate) fn boolean(node: &Node, path: &str) -> Result<bool> {
    match &node.value {
        Value::Bool(b) => Ok(*b),
        Value::Str(text) => match text.to_ascii_lowercase().as_str() {
            "y" | "yes" | "true" | "on" => Ok(true),
            "n" | "no" | "false" | "off" => Ok(false),
            _ => Err(ComposeError::at(
                node.at,
                path,
                format!("`{text}` is not a boolean: use true or false"),
            )),
        },
        _ => Err(expected(node, path, "true or false")),
    }
}

pub(crate) fn integer(node: &Node, path: &str) -> Result<i64> {
    match &node.value {
        Value::Int(n) => Ok(*n),
        Value::Str(text) => text
            .parse()
            .map_err(|_| ComposeError::at(node.at, path, format!("`{text}` is not an integer"))),
        _ => Err(expected(node, path, "an integer")),
    }
}

pub(crate) fn unsigned(node: &Node, path: &str) -> Result<u64> {
    let n = integer(node, path)?;
    u64::try_from(n).map_err(|_| {
        ComposeError::at(
            node.at,
            path,
            format!("expected a number of 0 or more, found {n}"),
        )
    })
}

pub(crate) fn number(node: &Node, path: &str) -> Result<f64> {
    match &node.value {
        Value::Int(n) => Ok(*n as f64),
        Value::Float(f) => Ok(*f),
        Value::Str(text) => text
            .parse()
            .map_err(|_| ComposeError::at(node.at, path, format!("`{text}` is not a number"))),
        _ => Err(expected(node, path, "a number")),
    }
}

/// Go duration notation; a bare integer is nanoseconds, as the CLI reads it.
pub(crate) fn duration(node: &Node, path: &str) -> Result<i64> {
    match &node.value {
        Value::Str(text) => {
            parse_duration(text).map_err(|message| ComposeError::at(node.at, path, message))
        }
        Value::Int(n) if *n >= 0 => Ok(*n),
        _ => Err(expected(node, path, "a duration such as 10s or 1m30s")),
    }
}

/// docker size notation; a bare integer is bytes.
pub(crate) fn bytes(node: &Node, path: &str) -> Result<i64> {
    match &node.value {
        Value::Str(text) => {
            parse_bytes(text).map_err(|message| ComposeError::at(node.at, path, message))
        }
        Value::Int(n) if *n >= 0 => Ok(*n),
        _ => Err(expected(node, path, "a size such as 512m or 1g")),
    }
}

pub(crate) fn string_list(node: &Node, path: &str) -> Result<Vec<String>> {
    let Value::Seq(items) = &node.value else {
        return Err(expected(node, path, "a list of strings"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| string(item, &format!("{path}[{i}]")))
        .collect()
}

pub(crate) fn string_or_list(node: &Node, path: &str) -> Result<Vec<String>> {
    match &node.value {
        Value::Str(text) => Ok(vec![text.clone()]),
        Value::Seq(_) => string_list(node, path),
        _ => Err(expected(node, path, "a string or a list of strings")),
    }
}

/// A scalar as the CLI turns it into text (`true`, `3`, `1.5`).
pub(crate) fn scalar_text(node: &Node, path: &str) -> Result<Option<String>> {
    match &node.value {
        Value::Null => Ok(None),
        Value::Str(text) => Ok(Some(text.clone())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Int(n) => Ok(Some(n.to_string())),
        Value::Float(f) => Ok(Some(f.to_string())),
        _ => Err(expected(node, path, "a string, number or boolean")),
    }
}

/// A mapping of strings (driver options, sysctls as a mapping).
pub(crate) fn string_map(node: &Node, path: &str) -> Result<BTreeMap<String, String>> {
    let table = Table::new(node, path, "a mapping", true)?;
    let mut map = BTreeMap::new();
    for entry in table.entries() {
        let value = scalar_text(&entry.value, &table.path_of(&entry.key))?.unwrap_or_default();
        map.insert(entry.key.clone(), value);
    }
    Ok(map)
}

/// `KEY: value` mappings or `KEY=value` lists (environment, labels, sysctls). A key with no
/// value (`KEY` or `KEY: null`) is `None`, apart from `KEY=`, which is `Some("")`.
pub(crate) fn mapping_or_list(node: &Node, path: &str) -> Result<BTreeMap<String, Option<String>>> {
    let mut map = BTreeMap::new();
    match &node.value {
        Value::Map(entries) => {
            for entry in entries {
                let value = scalar_text(&entry.value, &child_path(path, &entry.key))?;
                map.insert(entry.key.clone(), value);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{i}]");
                let text = string(item, &item_path)?;
                let (key, value) = match text.split_once('=') {
                    Some((key, value)) => (key.to_owned(), Some(value.to_owned())),
                    None => (text.clone(), None),
                };
                if key.is_empty() {
                    return Err(ComposeError::at(
                        item.at,
                        &item_path,
                        "expected KEY=value with a key",
                    ));
                }
                if map.contains_key(&key) {
                    return Err(ComposeError::at(
                        item.at,
                        &item_path,
                        format!("`{key}` is set twice"),
                    ));
                }
                map.insert(key, value);
            }
        }
        Value::Null => {}
        _ => return Err(expected(node, path, "a mapping or a list of KEY=value")),
    }
    Ok(map)
}

/// A command as a list, or as a string split the way a shell would split it.
pub(crate) fn shell_command(node: &Node, path: &str) -> Result<Vec<String>> {
    match &node.value {
        Value::Str(text) => shlex::split(text).ok_or_else(|| {
            ComposeError::at(node.at, path, "cannot split this command: check its quotes")
        }),
        Value::Seq(_) => string_list(node, path),
        _ => Err(expected(
            node,
            path,
            "a command string or a list of strings",
        )),
    }
}
