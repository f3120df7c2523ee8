//! Compose YAML as a tree that remembers where every value came from, with anchors and
//! aliases resolved (saphyr, with its alias-expansion budget) and merge keys (`<<`) applied
//! as go-yaml does for the docker CLI: keys written in the mapping win over merged ones, and
//! among merged mappings the earlier wins.

use std::collections::HashSet;

use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};

use crate::ComposeError;

/// 1-based line and column in the compose text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub at: Location,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// In file order; keys are unique.
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_at: Location,
    pub value: Node,
}

impl Value {
    /// What the value is, for "expected a mapping, found a list" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

fn location(node: &MarkedYamlOwned) -> Location {
    Location {
        line: node.span.start.line(),
        // saphyr counts columns from 0.
        column: node.span.start.col() + 1,
    }
}

/// `services.api` + `ports` → `services.api.ports`; list items are `[2]`.
pub(crate) fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Deepest nesting a compose file may have. Real files nest about ten levels; the limit
/// keeps a hostile file from overflowing the stack of the recursive YAML reader.
const MAX_NESTING: usize = 100;

/// Keys one mapping may have. A service has about a hundred keys it may use; tens of
/// thousands are an attack on the parser, not a stack.
const MAX_KEYS: usize = 10_000;

/// An upper bound on the block nesting of `text`, line by line: each level needs more
/// indentation (a list may share its parent key's column once) or a compact `- `, `? ` or
/// `: ` on the same line. Flow collections are capped by saphyr itself.
fn nesting_bound(text: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        let compact =
            rest.matches("- ").count() + rest.matches("? ").count() + rest.matches(": ").count();
        (2 * indent + compact > 2 * MAX_NESTING).then_some((i + 1, indent + 1))
    })
}

/// Parses compose text into a tree. The top level must be a mapping, as the CLI requires.
pub fn load(text: &str) -> Result<Node, ComposeError> {
    if let Some((line, column)) = nesting_bound(text) {
        return Err(ComposeError::at(
            Location { line, column },
            "",
            format!("nested too deeply: compose files may nest at most {MAX_NESTING} levels"),
        ));
    }
    let documents = MarkedYamlOwned::load_from_str(text).map_err(|err| ComposeError {
        at: Location {
            line: err.marker().line(),
            column: err.marker().col() + 1,
        },
        path: String::new(),
        message: format!("invalid YAML: {}", err.info()),
    })?;
    let Some(document) = documents.into_iter().next() else {
        return Err(ComposeError::at(
            Location { line: 1, column: 1 },
            "",
            "the file is empty",
        ));
    };
    let root = convert(document, "", &Source::new(text))?;
    if !matches!(root.value, Value::Map(_)) {
        return Err(ComposeError::at(
            root.at,
            "",
            format!(
                "the top level must be a mapping, found {}",
                root.value.kind()
            ),
        ));
    }
    Ok(root)
}

fn convert(node: MarkedYamlOwned, path: &str, source: &Source) -> Result<Node, ComposeError> {
    let at = location(&node);
    let value = match node.data {
        YamlDataOwned::Value(ScalarOwned::Integer(n)) => Value::Int(
            source
                .go_octal(node.span.start.index(), node.span.end.index())
                .unwrap_or(n),
        ),
        YamlDataOwned::Value(scalar) => scalar_value(scalar),
        YamlDataOwned::Representation(text, _, _) => Value::Str(text),
        // saphyr gives a tagged scalar's inner value no position: keep the tag's.
        YamlDataOwned::Tagged(_, inner) => {
            let inner = convert(*inner, path, source)?;
            return Ok(if inner.at.line == 0 {
                Node { at, ..inner }
            } else {
                inner
            });
        }
        YamlDataOwned::Sequence(items) => Value::Seq(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| convert(item, &format!("{path}[{i}]"), source))
                .collect::<Result<_, _>>()?,
        ),
        YamlDataOwned::Mapping(pairs) => {
            Value::Map(mapping(pairs.into_iter().collect(), path, source)?)
        }
        YamlDataOwned::Alias(_) | YamlDataOwned::BadValue => {
            return Err(ComposeError::at(at, path, "unresolved YAML alias"))
        }
    };
    Ok(Node { at, value })
}

/// The compose text, to read integers as the CLI's YAML library does: a leading zero makes
/// an octal number (`mode: 0440` is 288), where YAML 1.2 would read decimal.
struct Source<'a> {
    text: &'a str,
    /// Byte offset of each character: saphyr's spans count characters.
    char_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            char_starts: text.char_indices().map(|(i, _)| i).collect(),
        }
    }

    fn go_octal(&self, start: usize, end: usize) -> Option<i64> {
        let byte = |index: usize| {
            self.char_starts
                .get(index)
                .copied()
                .unwrap_or(self.text.len())
        };
        let text = self.text.get(byte(start)..byte(end))?;
        // `&anchor 0440` and `!!int 0440` span their anchor or tag too.
        let plain = text.split_whitespace().last()?;
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(rest) => (-1, rest),
            None => (1, plain.strip_prefix('+').unwrap_or(plain)),
        };
        let octal = digits
            .strip_prefix('0')
            .filter(|d| !d.is_empty() && d.bytes().all(|b| (b'0'..=b'7').contains(&b)))?;
        i64::from_str_radix(octal, 8).ok().map(|n| sign * n)
    }
}

fn scalar_value(scalar: ScalarOwned) -> Value {
    match scalar {
        ScalarOwned::Null => Value::Null,
        ScalarOwned::Boolean(b) => Value::Bool(b),
        ScalarOwned::Integer(i) => Value::Int(i),
        ScalarOwned::FloatingPoint(f) => Value::Float(f.into_inner()),
        ScalarOwned::String(s) => Value::Str(s),
    }
}

fn mapping(
    pairs: Vec<(MarkedYamlOwned, MarkedYamlOwned)>,
    path: &str,
    source: &Source,
) -> Result<Vec<Entry>, ComposeError> {
    if pairs.len() > MAX_KEYS {
        let at = pairs
            .first()
            .map_or(Location { line: 1, column: 1 }, |(key, _)| location(key));
        return Err(ComposeError::at(
            at,
            path,
            format!(
                "{} keys in one mapping; at most {MAX_KEYS} are read",
                pairs.len()
            ),
        ));
    }
    let mut entries: Vec<Entry> = Vec::with_capacity(pairs.len());
    let mut merged: Vec<Entry> = Vec::new();
    for (key, value) in pairs {
        let key_at = location(&key);
        let key = match key.data {
            YamlDataOwned::Value(ScalarOwned::String(key)) => key,
            YamlDataOwned::Value(other) => {
                return Err(ComposeError::at(
                    key_at,
                    path,
                    format!(
                        "keys must be strings, found {} (quote it)",
                        scalar_value(other).kind()
                    ),
                ))
            }
            _ => return Err(ComposeError::at(key_at, path, "keys must be strings")),
        };
        if key == "<<" {
            merged.extend(merge_sources(
                convert(value, &child_path(path, "<<"), source)?,
                path,
            )?);
            continue;
        }
        let value = convert(value, &child_path(path, &key), source)?;
        entries.push(Entry { key, key_at, value });
    }
    let mut seen: HashSet<String> = entries.iter().map(|e| e.key.clone()).collect();
    for entry in merged {
        if seen.insert(entry.key.clone()) {
            if entries.len() == MAX_KEYS {
                return Err(ComposeError::at(
                    entry.key_at,
                    path,
                    format!("merge keys bring this mapping over {MAX_KEYS} keys"),
                ));
            }
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// The entries a merge key brings: one mapping, or a list of them (earlier ones win).
fn merge_sources(source: Node, path: &str) -> Result<Vec<Entry>, ComposeError> {
    let not_a_map = |node: &Node| {
        ComposeError::at(
            node.at,
            &child_path(path, "<<"),
            format!(
                "a merge key takes a mapping or a list of mappings, found {}",
                node.value.kind()
            ),
        )
    };
    match source.value {
        Value::Map(entries) => Ok(entries),
        Value::Seq(items) => {
            let mut out: Vec<Entry> = Vec::new();
            let mut seen = HashSet::new();
            for item in items {
                let Value::Map(entries) = item.value else {
                    return Err(not_a_map(&item));
                };
                for entry in entries {
                    if seen.insert(entry.key.clone()) {
                        out.push(entry);
                    }
                }
            }
            Ok(out)
        }
        _ => Err(not_a_map(&source)),
    }
}
