//! The shapes the console, its API and the browser exchange about stacks.

use std::collections::BTreeMap;

use flotilla_compose::Files;
use serde::{Deserialize, Serialize};

use crate::{Plan, Privilege};

/// What a deploy or a plan takes: the same body the API's `PUT …/stacks/{stack}` takes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct StackInput {
    pub compose: String,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Attached files by relative path, base64 in JSON; `.env` among them supplies
    /// variables.
    #[serde(default, with = "base64_files")]
    #[cfg_attr(feature = "utoipa", schema(value_type = BTreeMap<String, String>))]
    pub files: Files,
    #[serde(default)]
    pub prune: bool,
    /// Whether the deploy pins images to their registry digests (`--resolve-image`).
    #[serde(default)]
    pub resolve_image: crate::ResolveImage,
}

/// The attached files alone as JSON (`{"path": "<base64>"}`), as a version stores them.
pub fn files_to_json(files: &Files) -> String {
    let mut out = Vec::new();
    // Writing JSON into memory cannot fail.
    let _ = base64_files::serialize(files, &mut serde_json::Serializer::new(&mut out));
    String::from_utf8(out).unwrap_or_default()
}

pub fn files_from_json(text: &str) -> Result<Files, serde_json::Error> {
    base64_files::deserialize(&mut serde_json::Deserializer::from_str(text))
}

/// Attached files travel as base64 text in JSON bodies and in the version history.
mod base64_files {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{BTreeMap, Files};

    pub fn serialize<S: Serializer>(files: &Files, serializer: S) -> Result<S::Ok, S::Error> {
        let encoded: BTreeMap<&String, String> = files
            .iter()
            .map(|(path, bytes)| {
                (
                    path,
                    base64::engine::general_purpose::STANDARD.encode(bytes),
                )
            })
            .collect();
        encoded.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Files, D::Error> {
        let encoded = BTreeMap::<String, String>::deserialize(deserializer)?;
        encoded
            .into_iter()
            .map(|(path, text)| {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map_err(|err| {
                        serde::de::Error::custom(format!("files.{path}: not base64: {err}"))
                    })?;
                Ok((flotilla_compose::file_key(&path), bytes))
            })
            .collect()
    }
}

/// A plan, with the file's warnings; after a deploy, what was done.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StackPlan {
    pub plan: Plan,
    pub warnings: Vec<String>,
    /// What in the stack reaches the nodes themselves (see [`crate::privileges`]).
    #[serde(default)]
    pub privileges: Vec<Privilege>,
    /// Changes made to the running services since the stack's newest version (drift) that
    /// this deploy would undo, each field as the swarm has it and as the deploy would make it.
    #[serde(default)]
    pub undoes: Vec<crate::Drift>,
    /// Each service's image and the digest it resolves to (see [`crate::ResolveImage`]).
    #[serde(default)]
    pub images: Vec<crate::ImageResolution>,
    pub applied: bool,
    /// The version number this deploy was recorded as.
    pub version: Option<i64>,
}

/// One deploy in a stack's history.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct StackVersionInfo {
    pub version: i64,
    pub deployed_by: String,
    /// Unix milliseconds.
    pub deployed_at: i64,
    pub compose: String,
    /// Variable names only: their values may be secrets.
    pub env_names: Vec<String>,
    pub file_names: Vec<String>,
    pub prune: bool,
    #[serde(default)]
    pub resolve_image: crate::ResolveImage,
    /// Why this version was made, when it was not a deploy of a new file.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct StackSummary {
    pub name: String,
    pub services: Vec<String>,
}

/// One of a stack's networks.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct StackNetwork {
    pub name: String,
    pub driver: String,
    pub scope: String,
}

/// A stack's newest deploy, when it never finished: the console stopped, or the request was
/// cancelled, while it ran. It recorded no version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InterruptedDeploy {
    /// Unix milliseconds, when it started.
    pub at: i64,
    pub by: String,
    pub why: String,
    /// What deploying its input again would still change; `None` when its input was not
    /// kept (it started before this console kept inputs) or cannot be planned now.
    pub left: Option<StackPlan>,
    /// Why there is no plan, when there is none.
    pub no_plan: Option<String>,
}
