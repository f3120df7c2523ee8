//! What the pages show about images: what each deploy resolved, what runs where, and
//! whether a registry has something newer.

use serde::{Deserialize, Serialize};

/// What a plan found out about one service's image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ImageResolution {
    pub service: String,
    /// As the file names it.
    pub image: String,
    /// The digest the registry gave for it, when one was asked for and answered.
    pub digest: Option<String>,
    /// Why there is no digest, when one was asked for.
    pub note: Option<String>,
}

/// A service's image and the digest its tasks run on each node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ServiceImages {
    /// The service's full name (`shop_web`).
    pub service: String,
    /// Its name in the stack file (`web`).
    pub key: String,
    /// The reference without its digest: what a push to the registry moves.
    pub tag: String,
    /// The digest the service is pinned to, if it is.
    pub digest: Option<String>,
    pub nodes: Vec<NodeDigest>,
    /// Whether a push of its tag redeploys it (alone or with its stack).
    pub follows_pushes: bool,
}

/// The tasks of a service on one node, by the digest they run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct NodeDigest {
    pub node: String,
    /// `None` when the task names only the tag: each node resolved it on its own.
    pub digest: Option<String>,
    pub tasks: usize,
}

/// A service's tag asked of its registry now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ImageCheck {
    pub service: String,
    pub tag: String,
    pub running: Option<String>,
    /// What the registry has for the tag now.
    pub latest: Option<String>,
    /// The registry has a digest the service does not run.
    pub newer: bool,
    /// Why there is no answer, when there is none.
    pub note: Option<String>,
}
