use flotilla_engine::EngineError;
use flotilla_store::StoreError;
use thiserror::Error;

/// Why a fleet operation did not happen. Each kind maps to one HTTP status and one stable
/// code for API clients; the message is for the operator.
#[derive(Debug, Error)]
pub enum FleetError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Store(StoreError),
    /// A compose file that cannot be deployed, with where the problem is.
    #[error("{0}")]
    Compose(flotilla_compose::ComposeError),
}

impl From<StoreError> for FleetError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NoSuchHost(_)
            | StoreError::NoSuchSwarm(_)
            | StoreError::NoSuchStackVersion(_) => Self::NotFound(err.to_string()),
            StoreError::HostExists(_) | StoreError::SwarmExists(_) => {
                Self::Conflict(err.to_string())
            }
            StoreError::Invalid(message) => Self::Invalid {
                field: "name".into(),
                message,
            },
            other => Self::Store(other),
        }
    }
}

impl FleetError {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The stable machine-readable code API clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } | Self::Compose(_) => "invalid",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Engine(EngineError::InvalidEndpoint { .. }) => "invalid",
            Self::Engine(EngineError::Unreachable { .. }) => "engine_unreachable",
            Self::Engine(EngineError::Tls { .. }) => "engine_tls",
            Self::Engine(EngineError::NotDocker { .. }) => "not_docker",
            Self::Engine(_) => "engine_error",
            Self::Store(_) => "internal",
        }
    }

    /// The HTTP status the code stands for.
    pub fn status(&self) -> u16 {
        match self.code() {
            "invalid" => 422,
            "not_found" => 404,
            "conflict" => 409,
            "internal" => 500,
            _ => 502,
        }
    }

    /// The form field at fault, when one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Compose(err) => Some(&err.path),
            Self::Engine(EngineError::InvalidEndpoint { .. }) => Some("url"),
            _ => None,
        }
    }
}
