use flotilla_engine::EngineError;
use flotilla_stack::CheckError;
use flotilla_store::StoreError;
use thiserror::Error;

/// Why a fleet operation did not happen. Each kind has one stable code for API clients and
/// the UI to decide on ([`code`](Self::code)); the message is for the operator.
#[derive(Debug, Error)]
pub enum FleetError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A compose file that cannot be deployed, with where the problem is.
    #[error("{0}")]
    Compose(flotilla_compose::ComposeError),
    #[error("{0}")]
    NotFound(String),
    /// The stack runs, but no deploy of it was recorded here (the docker CLI made it).
    #[error("stack {stack} has no version recorded here: it was deployed another way")]
    NoVersion { stack: String },
    /// The request contradicts the swarm's or the console's state.
    #[error("{0}")]
    Conflict(String),
    /// The plan found reasons not to deploy; nothing was changed.
    #[error("{}", .0.join("; "))]
    PlanProblems(Vec<String>),
    /// None of the swarm's registered hosts answers as one of its managers.
    #[error("no registered host is a reachable manager of swarm {swarm}{}", reason_suffix(.reason))]
    NoManager {
        swarm: String,
        /// What the last host tried answered, when it answered anything.
        reason: Option<String>,
    },
    /// A stored stack version cannot be read back.
    #[error("version {version} of stack {stack} is stored damaged: {reason}")]
    DamagedVersion {
        stack: String,
        version: i64,
        reason: String,
    },
    /// The console has no capacity for this now; trying again later may work.
    #[error("{0}")]
    Busy(String),
    /// Several requests of one step failed; each is reported.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<FleetError>),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Store(StoreError),
}

fn reason_suffix(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|reason| format!(" ({reason})"))
        .unwrap_or_default()
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

impl From<CheckError> for FleetError {
    fn from(err: CheckError) -> Self {
        match err {
            CheckError::StackName(message) => Self::invalid("stack", message),
            CheckError::Dotenv(err) | CheckError::Compose(err) => Self::Compose(err),
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

    /// The stable machine-readable code API clients and the UI branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } | Self::Compose(_) => "invalid",
            Self::NotFound(_) => "not_found",
            Self::NoVersion { .. } => "no_version",
            Self::Conflict(_) => "conflict",
            Self::PlanProblems(_) => "plan_refused",
            Self::NoManager { .. } => "no_manager",
            Self::Several(_) => "several_failed",
            Self::Busy(_) => "busy",
            Self::Engine(EngineError::InvalidEndpoint { .. }) => "invalid",
            Self::Engine(EngineError::Unreachable { .. }) => "engine_unreachable",
            Self::Engine(EngineError::Tls { .. }) => "engine_tls",
            Self::Engine(EngineError::NotDocker { .. }) => "not_docker",
            // The engine has no such object: the request named something that is not there.
            Self::Engine(EngineError::Api {
                status: Some(404), ..
            }) => "not_found",
            Self::Engine(_) => "engine_error",
            Self::DamagedVersion { .. } | Self::Store(_) => "internal",
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

    /// The swarm could not be reached through any manager: a state of the swarm the pages
    /// explain, not a failure of the request.
    pub fn is_swarm_unreachable(&self) -> bool {
        matches!(self, Self::NoManager { .. } | Self::Engine(_))
    }
}
