use thiserror::Error;

/// What went wrong talking to a Docker engine, phrased for the operator who has to fix it.
#[derive(Debug, Error)]
pub enum EngineError {
    #[error("`{endpoint}` is not a Docker engine address: {reason}")]
    InvalidEndpoint { endpoint: String, reason: String },

    #[error("cannot reach the Docker engine at {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },

    #[error("TLS with the Docker engine at {endpoint} failed: {reason}")]
    Tls { endpoint: String, reason: String },

    #[error("{endpoint} answered, but not as a Docker engine: {reason}")]
    NotDocker { endpoint: String, reason: String },

    #[error("the Docker engine at {endpoint} is not part of a swarm")]
    NotInSwarm { endpoint: String },

    #[error(
        "the Docker engine at {endpoint} is a swarm worker; swarm state is only available from a manager"
    )]
    NotAManager { endpoint: String },

    #[error("failed to {action} on {endpoint}: {message}")]
    Api {
        action: String,
        endpoint: String,
        /// HTTP status the engine answered with, when it answered at all.
        status: Option<u16>,
        message: String,
    },
}

impl EngineError {
    /// Turns a bollard error into ours, keeping what the operator needs: the action that
    /// failed, on which engine, and the engine's own message.
    pub(crate) fn from_bollard(action: &str, endpoint: &str, err: bollard::errors::Error) -> Self {
        use bollard::errors::Error as B;
        match err {
            B::DockerResponseServerError {
                status_code,
                message,
            } => {
                if status_code == 503 && message.contains("not part of a swarm") {
                    return Self::NotInSwarm {
                        endpoint: endpoint.to_owned(),
                    };
                }
                if status_code == 503 && message.contains("not a swarm manager") {
                    return Self::NotAManager {
                        endpoint: endpoint.to_owned(),
                    };
                }
                Self::Api {
                    action: action.to_owned(),
                    endpoint: endpoint.to_owned(),
                    status: Some(status_code),
                    message,
                }
            }
            B::SocketNotFoundError(path) => Self::Unreachable {
                endpoint: endpoint.to_owned(),
                reason: format!("no socket at {path}"),
            },
            B::HyperResponseError { .. }
            | B::IOError { .. }
            | B::RequestTimeoutError
            | B::HyperLegacyError { .. } => Self::Unreachable {
                endpoint: endpoint.to_owned(),
                reason: err.to_string(),
            },
            other => Self::Api {
                action: action.to_owned(),
                endpoint: endpoint.to_owned(),
                status: None,
                message: other.to_string(),
            },
        }
    }

    /// Classifies the first exchange with an engine: no answer, a TLS failure, or an
    /// answer that is not the Docker Engine API.
    pub(crate) fn from_handshake(endpoint: &str, tls: bool, err: bollard::errors::Error) -> Self {
        let chain = error_chain(&err);
        let lower = chain.to_lowercase();
        if tls
            && ["tls", "handshake", "alert", "pem", "private key", "cert"]
                .iter()
                .any(|word| lower.contains(word))
        {
            return Self::Tls {
                endpoint: endpoint.to_owned(),
                reason: chain,
            };
        }
        match Self::from_bollard("negotiate the API version", endpoint, err) {
            unreachable @ Self::Unreachable { .. } => {
                if lower.contains("invalid http")
                    || lower.contains("parse")
                    || lower.contains("protocol")
                {
                    Self::NotDocker {
                        endpoint: endpoint.to_owned(),
                        reason: "it does not speak HTTP as the Docker Engine API does".into(),
                    }
                } else {
                    unreachable
                }
            }
            // What a stranger answered is not repeated: it could be anything it holds.
            Self::Api { status, .. } => Self::NotDocker {
                endpoint: endpoint.to_owned(),
                reason: match status {
                    Some(status) => format!("it answered HTTP {status} to GET /version"),
                    None => "its answer to GET /version is not the Docker Engine API's".into(),
                },
            },
            other => other,
        }
    }

    /// The engine refused a write made against a stale object version.
    pub fn is_out_of_sequence(&self) -> bool {
        matches!(self, Self::Api { message, .. } if message.contains("update out of sequence"))
    }

    /// True when the engine did not answer at all (as opposed to answering with an error).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }

    /// The object is still used by another (a network by a task that has not let go yet).
    pub fn is_in_use(&self) -> bool {
        matches!(self, Self::Api { message, .. } if message.contains("in use"))
    }

    /// The engine is in no swarm (leaving one it already left, say).
    pub fn is_not_in_swarm(&self) -> bool {
        match self {
            Self::NotInSwarm { .. } => true,
            Self::Api { message, .. } => message.contains("not part of a swarm"),
            _ => false,
        }
    }

    /// The engine is no manager of a swarm, so it cannot answer for one: the caller should
    /// look for another manager.
    pub fn is_not_a_manager(&self) -> bool {
        matches!(self, Self::NotAManager { .. }) || self.is_not_in_swarm()
    }

    /// The engine was asked about an object it does not have.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::Api {
                status: Some(404),
                ..
            }
        )
    }
}

/// An error with its sources, so "connection error" is followed by what really failed.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_version_is_recognised_for_the_one_retry() {
        let stale = EngineError::Api {
            action: "update node n1".into(),
            endpoint: "unix:///a.sock".into(),
            status: Some(500),
            message: "rpc error: code = Unknown desc = update out of sequence".into(),
        };
        assert!(stale.is_out_of_sequence());
        let other = EngineError::Api {
            action: "update node n1".into(),
            endpoint: "unix:///a.sock".into(),
            status: Some(400),
            message: "invalid role".into(),
        };
        assert!(!other.is_out_of_sequence());
    }
}
