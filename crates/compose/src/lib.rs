//! The compose file model Flotilla deploys from. Pure: no I/O, no async runtime, so the same
//! code validates in the browser (wasm32) and converts on the server.

mod compose;
mod deploy;
mod dotenv;
mod interpolate;
mod merge;
pub mod model;
mod mounts;
mod objects;
mod ports;
mod read;
mod service;
mod service_keys;
mod units;
mod yaml;

use std::fmt;

pub use compose::{file_key, parse, Files};
pub use deploy::parse_cpus;
pub use dotenv::{parse_dotenv, Variables};
pub use interpolate::{interpolate, InterpolationError, MAX_VALUE_BYTES};
pub use merge::{merge_files, to_yaml};
pub use model::Compose;
pub use ports::{parse_port_spec, ports, PortConfig, Protocol, PublishMode};
pub use units::{parse_bytes, parse_duration};
pub use yaml::{load, Entry, Location, Node, Value};

/// Something wrong in a compose file, with where it is: line, column and the key path
/// (`services.api.deploy.replicas`), and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeError {
    pub at: Location,
    pub path: String,
    pub message: String,
}

impl ComposeError {
    pub(crate) fn at(at: Location, path: &str, message: impl Into<String>) -> Self {
        Self {
            at,
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ComposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: ", self.at.line, self.at.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ComposeError {}

/// The most all string values of a file may add up to once variables are substituted.
pub const MAX_INTERPOLATED_BYTES: usize = 8 * 1024 * 1024;

/// The top-level sections whose values the CLI interpolates (not `version`, not `x-…`).
const INTERPOLATED_SECTIONS: [&str; 5] = ["services", "networks", "volumes", "secrets", "configs"];

/// Loads compose text and substitutes variables in every string value of the sections the
/// CLI interpolates. `lookup` answers `None` for an unset variable.
pub fn load_interpolated<'a>(
    text: &str,
    lookup: impl Fn(&str) -> Option<&'a str> + Copy,
) -> Result<Node, ComposeError> {
    let mut root = load(text)?;
    let mut total = 0;
    if let Value::Map(entries) = &mut root.value {
        for entry in entries
            .iter_mut()
            .filter(|e| INTERPOLATED_SECTIONS.contains(&e.key.as_str()))
        {
            interpolate_node(&mut entry.value, &entry.key, lookup, &mut total)?;
        }
    }
    Ok(root)
}

/// Substitutes in `node` and below; `total` counts the bytes of every string so far.
fn interpolate_node<'a>(
    node: &mut Node,
    path: &str,
    lookup: impl Fn(&str) -> Option<&'a str> + Copy,
    total: &mut usize,
) -> Result<(), ComposeError> {
    match &mut node.value {
        Value::Str(text) => {
            *text = interpolate(text, lookup)
                .map_err(|err| ComposeError::at(node.at, path, err.to_string()))?;
            *total += text.len();
            if *total > MAX_INTERPOLATED_BYTES {
                return Err(ComposeError::at(
                    node.at,
                    path,
                    format!(
                        "with their variables substituted the file's values exceed {} MiB",
                        MAX_INTERPOLATED_BYTES / 1024 / 1024
                    ),
                ));
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate_node(item, &format!("{path}[{i}]"), lookup, total)?;
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                let path = yaml::child_path(path, &entry.key);
                interpolate_node(&mut entry.value, &path, lookup, total)?;
            }
        }
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {}
    }
    Ok(())
}
