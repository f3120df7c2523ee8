//! One error across the wire: every server function and every `/api/v1` route answers with
//! an [`AppError`] — a stable [`ErrorCode`] the UI and scripts decide on, a message for the
//! operator, and the field at fault (with line and column in a compose file) when there is
//! one. The HTTP status follows from the code, in one place.

use std::fmt;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What kind of failure, stable for clients to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request itself is wrong: a field, a file, a value.
    Invalid,
    /// Nobody is logged in, or the token is unknown.
    Unauthorized,
    /// The caller's role does not allow this.
    Forbidden,
    NotFound,
    /// A stack runs but no deploy of it was recorded here.
    NoVersion,
    /// The request contradicts the current state.
    Conflict,
    /// A deploy's plan found reasons not to go ahead; nothing changed.
    PlanRefused,
    TooManyRequests,
    PayloadTooLarge,
    /// No registered host answers as a manager of the swarm.
    NoManager,
    EngineUnreachable,
    EngineTls,
    NotDocker,
    EngineError,
    /// Several requests of one step failed; the message lists each.
    SeveralFailed,
    /// The console has no capacity for this right now; try again.
    Busy,
    Internal,
    /// The browser could not reach the console (never sent by the server).
    Network,
}

impl ErrorCode {
    const ALL: [Self; 18] = [
        Self::Invalid,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::NoVersion,
        Self::Conflict,
        Self::PlanRefused,
        Self::TooManyRequests,
        Self::PayloadTooLarge,
        Self::NoManager,
        Self::EngineUnreachable,
        Self::EngineTls,
        Self::NotDocker,
        Self::EngineError,
        Self::SeveralFailed,
        Self::Busy,
        Self::Internal,
        Self::Network,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invalid => "invalid",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::NoVersion => "no_version",
            Self::Conflict => "conflict",
            Self::PlanRefused => "plan_refused",
            Self::TooManyRequests => "too_many_requests",
            Self::PayloadTooLarge => "payload_too_large",
            Self::NoManager => "no_manager",
            Self::EngineUnreachable => "engine_unreachable",
            Self::EngineTls => "engine_tls",
            Self::NotDocker => "not_docker",
            Self::EngineError => "engine_error",
            Self::SeveralFailed => "several_failed",
            Self::Busy => "busy",
            Self::Internal => "internal",
            Self::Network => "network",
        }
    }

    /// The code named `text`, as `as_str` spells it.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == text)
    }

    /// The HTTP status the code stands for.
    pub fn status(self) -> u16 {
        match self {
            Self::Invalid => 422,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound | Self::NoVersion => 404,
            Self::Conflict | Self::PlanRefused => 409,
            Self::TooManyRequests => 429,
            Self::PayloadTooLarge => 413,
            Self::NoManager | Self::Busy => 503,
            Self::EngineUnreachable
            | Self::EngineTls
            | Self::NotDocker
            | Self::EngineError
            | Self::SeveralFailed => 502,
            Self::Internal | Self::Network => 500,
        }
    }

    /// The swarm's engines could not be asked: a state the pages explain, not a bad request.
    pub fn is_engine_unreachable(self) -> bool {
        matches!(
            self,
            Self::NoManager | Self::EngineUnreachable | Self::EngineTls
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where in the request the problem is: a form field, or a key path in a compose file with
/// its line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldAt {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldAt>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A bad form field, named in the message and in `field`.
    pub fn invalid(field: &str, message: impl fmt::Display) -> Self {
        Self {
            code: ErrorCode::Invalid,
            message: format!("{field}: {message}"),
            field: Some(FieldAt {
                path: field.to_owned(),
                line: None,
                column: None,
            }),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(err: ServerFnErrorErr) -> Self {
        let code = match &err {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => ErrorCode::Invalid,
            ServerFnErrorErr::Request(_) => ErrorCode::Network,
            _ => ErrorCode::Internal,
        };
        Self::new(code, err.to_string())
    }
}

#[cfg(feature = "ssr")]
mod from_server_side {
    use flotilla_fleet::FleetError;
    use flotilla_store::StoreError;

    use super::*;

    impl From<FleetError> for AppError {
        fn from(err: FleetError) -> Self {
            let code = ErrorCode::parse(err.code()).unwrap_or(ErrorCode::Internal);
            let field = match &err {
                FleetError::Compose(compose) => Some(FieldAt {
                    path: compose.path.clone(),
                    line: Some(compose.at.line as u32),
                    column: Some(compose.at.column as u32),
                }),
                other => other.field().map(|path| FieldAt {
                    path: path.to_owned(),
                    line: None,
                    column: None,
                }),
            };
            Self {
                code,
                message: err.to_string(),
                field,
            }
        }
    }

    impl From<StoreError> for AppError {
        fn from(err: StoreError) -> Self {
            FleetError::from(err).into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_have_a_status() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert!((400..600).contains(&code.status()), "{code}");
            let json = serde_json::to_string(&code).expect("code");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn every_fleet_code_is_a_wire_code() {
        use flotilla_fleet::FleetError;
        let kinds = [
            FleetError::NotFound("x".into()),
            FleetError::NoVersion { stack: "s".into() },
            FleetError::Conflict("x".into()),
            FleetError::PlanProblems(vec!["p".into()]),
            FleetError::NoManager {
                swarm: "s".into(),
                reason: None,
            },
            FleetError::Several(vec![]),
            FleetError::Busy("b".into()),
            FleetError::DamagedVersion {
                stack: "s".into(),
                version: 1,
                reason: "r".into(),
            },
        ];
        for err in kinds {
            assert!(ErrorCode::parse(err.code()).is_some(), "{}", err.code());
        }
    }
}
