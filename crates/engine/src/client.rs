use std::fmt;
use std::str::FromStr;

use bollard::{Docker, API_DEFAULT_VERSION};

use crate::raw::Raw;
use crate::transport;

use crate::{EngineError, Result};

/// Seconds a single Engine API request may take before we call the engine unreachable.
const REQUEST_TIMEOUT_SECS: u64 = 30;

/// Where a Docker engine listens, in the notation of `DOCKER_HOST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `unix:///var/run/docker.sock`
    Unix(String),
    /// `tcp://host:port`, plain HTTP.
    Tcp(String),
}

/// A path that is no socket is refused before connecting, with one message whether the path
/// is missing or is some other file: which files exist is none of the caller's business.
fn check_socket(endpoint: &str, path: &str) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => Ok(()),
        _ => Err(EngineError::Unreachable {
            endpoint: endpoint.to_owned(),
            reason: format!("no Docker engine socket at {path}"),
        }),
    }
}

impl FromStr for Endpoint {
    type Err = EngineError;

    fn from_str(text: &str) -> Result<Self> {
        let text = text.trim();
        let invalid = |reason: &str| EngineError::InvalidEndpoint {
            endpoint: text.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(path) = text.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(invalid("a unix socket path must be absolute"));
            }
            return Ok(Self::Unix(path.to_owned()));
        }
        if text.starts_with('/') {
            return Ok(Self::Unix(text.to_owned()));
        }
        if let Some(authority) = text.strip_prefix("tcp://") {
            let authority = authority.trim_end_matches('/');
            let (host, port) = authority
                .rsplit_once(':')
                .ok_or_else(|| invalid("expected tcp://HOST:PORT"))?;
            if host.is_empty() || port.parse::<u16>().is_err() {
                return Err(invalid(
                    "expected tcp://HOST:PORT with a port from 1 to 65535",
                ));
            }
            return Ok(Self::Tcp(authority.to_owned()));
        }
        Err(invalid(
            "use unix:///path/to/docker.sock or tcp://host:port",
        ))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "unix://{path}"),
            Self::Tcp(authority) => write!(f, "tcp://{authority}"),
        }
    }
}

/// PEM client material for an engine started with `--tlsverify` (`docker --tlsverify
/// --tlscacert ca.pem --tlscert cert.pem --tlskey key.pem`).
#[derive(Clone)]
pub struct ClientTls {
    pub ca: String,
    pub cert: String,
    pub key: String,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientTls { .. }")
    }
}

/// A connection to one Docker engine, speaking the highest API version both sides know.
/// Clones share the engine's pool of kept connections.
#[derive(Debug, Clone)]
pub struct DockerClient {
    pub(crate) docker: Docker,
    pub(crate) endpoint: String,
    pub(crate) raw: Raw,
    pub(crate) counts: std::sync::Arc<crate::transport::RequestCounts>,
}

impl DockerClient {
    /// Connects and negotiates the API version, so old engines (20.10 speaks 1.41) and new
    /// ones (which refuse anything below 1.44) both work.
    pub async fn connect(endpoint: &Endpoint) -> Result<Self> {
        Self::connect_with(endpoint, None).await
    }

    /// Like [`connect`](Self::connect), with TLS client material for `tcp://` engines.
    pub async fn connect_with(endpoint: &Endpoint, tls: Option<&ClientTls>) -> Result<Self> {
        let name = endpoint.to_string();
        let link = match (endpoint, tls) {
            (Endpoint::Unix(path), _) => {
                check_socket(&name, path)?;
                transport::unix(path, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
            }
            (Endpoint::Tcp(authority), None) => {
                transport::http(authority, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
            }
            (Endpoint::Tcp(authority), Some(tls)) => {
                let config = transport::tls_config(tls).map_err(|reason| EngineError::Tls {
                    endpoint: name.clone(),
                    reason,
                })?;
                transport::https(authority, config, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
            }
        }
        .map_err(|err| EngineError::from_bollard("connect", &name, err))?;
        let docker = link
            .docker
            .negotiate_version()
            .await
            .map_err(|err| EngineError::from_handshake(&name, tls.is_some(), err))?;
        Ok(Self {
            docker,
            endpoint: name,
            raw: Raw {
                send: link.send,
                base: link.base,
                timeout: std::time::Duration::from_secs(REQUEST_TIMEOUT_SECS),
            },
            counts: link.counts,
        })
    }

    /// `(requests, failed)` sent through this client: failed ones had no answer or a 5xx.
    pub fn request_counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.counts.requests.load(Relaxed),
            self.counts.errors.load(Relaxed),
        )
    }

    /// The address this client talks to, for messages.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The negotiated Engine API version, e.g. `1.41`.
    pub fn api_version(&self) -> String {
        let version = self.docker.client_version();
        format!("{}.{}", version.major_version, version.minor_version)
    }

    /// A JSON call to `path` (after the API version prefix), for what bollard's models would
    /// change on the way (see [`crate::raw`]).
    pub(crate) async fn raw_json(
        &self,
        method: hyper::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        action: &str,
    ) -> Result<serde_json::Value> {
        self.raw_json_with(method, path, body, None, action).await
    }

    /// [`Self::raw_json`] carrying a registry's credentials for the engine to pull with.
    pub(crate) async fn raw_json_with(
        &self,
        method: hyper::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        auth: Option<&crate::RegistryAuth>,
        action: &str,
    ) -> Result<serde_json::Value> {
        let path = format!("/v{}{path}", self.api_version());
        let headers: Vec<(&str, String)> = auth
            .map(|auth| ("X-Registry-Auth", auth.header()))
            .into_iter()
            .collect();
        self.raw
            .json(method, &path, body, &headers, (&self.endpoint, action))
            .await
    }

    pub(crate) fn api_error(
        &self,
        action: &str,
    ) -> impl FnOnce(bollard::errors::Error) -> EngineError + '_ {
        let action = action.to_owned();
        move |err| EngineError::from_bollard(&action, &self.endpoint, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_docker_host_notations() {
        assert_eq!(
            "unix:///var/run/docker.sock".parse::<Endpoint>().ok(),
            Some(Endpoint::Unix("/var/run/docker.sock".into()))
        );
        assert_eq!(
            "/run/node2.sock".parse::<Endpoint>().ok(),
            Some(Endpoint::Unix("/run/node2.sock".into()))
        );
        assert_eq!(
            "tcp://10.0.0.2:2375".parse::<Endpoint>().ok(),
            Some(Endpoint::Tcp("10.0.0.2:2375".into()))
        );
    }

    #[test]
    fn refuses_addresses_the_docker_cli_would_refuse() {
        for bad in [
            "",
            "unix://relative.sock",
            "tcp://host",
            "tcp://:2375",
            "tcp://h:99999",
            "http//x",
        ] {
            let err = bad.parse::<Endpoint>().expect_err(bad);
            assert!(
                matches!(err, EngineError::InvalidEndpoint { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn displays_as_docker_host() {
        let endpoint: Endpoint = "unix:///a.sock".parse().expect("valid");
        assert_eq!(endpoint.to_string(), "unix:///a.sock");
    }
}
