//! What the console says about redeploy webhooks (`POST /hooks/{token}`), shared by the
//! pages, the API and the fleet that makes them.

use serde::{Deserialize, Serialize};

/// A hook as its pages and the API list it; the token is never in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct WebhookInfo {
    pub id: String,
    pub stack: String,
    /// `None` for a stack's own hook.
    pub service: Option<String>,
    pub created_by: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub last_called_at: Option<i64>,
}

/// A hook just made or rotated, with the token that is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct WebhookSecret {
    pub hook: WebhookInfo,
    pub token: String,
}

/// What a call did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct WebhookOutcome {
    pub swarm: String,
    pub stack: String,
    pub service: Option<String>,
    /// The image a service's hook switched to.
    pub image: Option<String>,
    /// The stack version recorded.
    pub version: Option<i64>,
    pub warnings: Vec<String>,
}
