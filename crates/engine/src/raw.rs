//! Engine API calls made as plain JSON, for what must cross unchanged. bollard's models read
//! a service's health check under the wrong key (`HealthCheck`; the engine writes
//! `Healthcheck`), so a spec read and written back through them loses it — a scale would
//! silently drop every health check. Service specs are therefore read and written here, byte
//! for byte as the engine has them, over the same pooled connection as everything else.

use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{header, Method, Request};
use serde_json::Value;

use crate::transport::{Body, Sender};
use crate::{EngineError, Result};

/// The largest answer read (a list of a thousand services is a few megabytes).
const MAX_ANSWER: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub(crate) struct Raw {
    pub(crate) send: Sender,
    pub(crate) base: String,
    pub(crate) timeout: Duration,
}

impl std::fmt::Debug for Raw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Raw").field("base", &self.base).finish()
    }
}

impl Raw {
    /// `method path_and_query` answered with a body to read as it comes (a log stream).
    /// Only the answer's head is bounded in time.
    pub(crate) async fn stream(
        &self,
        method: Method,
        path_and_query: &str,
        (endpoint, action): (&str, &str),
    ) -> Result<hyper::body::Incoming> {
        let request = Request::builder()
            .method(method)
            .uri(format!("{}{path_and_query}", self.base))
            .body(Body::Left(Full::new(Bytes::new())))
            .map_err(|e| EngineError::Api {
                action: action.to_owned(),
                endpoint: endpoint.to_owned(),
                status: None,
                message: e.to_string(),
            })?;
        let response = tokio::time::timeout(self.timeout, (self.send)(request))
            .await
            .map_err(|_| EngineError::Unreachable {
                endpoint: endpoint.to_owned(),
                reason: format!("no answer to {action} within {} s", self.timeout.as_secs()),
            })?
            .map_err(|err| EngineError::from_bollard(action, endpoint, err))?;
        if !response.status().is_success() {
            let status = response.status().as_u16();
            let bytes = Limited::new(response.into_body(), 64 * 1024)
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            return Err(refusal(status, &bytes, (endpoint, action)));
        }
        Ok(response.into_body())
    }

    /// Like [`Self::stream`], read as `decode` turns the bytes into items; an answer that
    /// breaks off ends the items with an error naming `what` (`log`, `event`).
    pub(crate) async fn decoded_stream<T: Send + 'static>(
        &self,
        path_and_query: &str,
        (endpoint, action): (&str, &str),
        what: &'static str,
        decode: impl FnMut(&[u8]) -> Vec<T> + Send + 'static,
    ) -> Result<BoxStream<'static, Result<T>>> {
        let body = self
            .stream(Method::GET, path_and_query, (endpoint, action))
            .await?;
        let endpoint = endpoint.to_owned();
        let items = stream::unfold(
            (body, decode, Vec::new().into_iter(), false),
            move |(mut body, mut decode, mut pending, ended)| {
                let endpoint = endpoint.clone();
                async move {
                    loop {
                        if let Some(item) = pending.next() {
                            return Some((Ok(item), (body, decode, pending, ended)));
                        }
                        if ended {
                            return None;
                        }
                        match body.frame().await {
                            Some(Ok(frame)) => {
                                if let Ok(data) = frame.into_data() {
                                    pending = decode(&data).into_iter();
                                }
                            }
                            Some(Err(err)) => {
                                let failed = Err(EngineError::Unreachable {
                                    endpoint,
                                    reason: format!("the {what} stream broke: {err}"),
                                });
                                return Some((failed, (body, decode, pending, true)));
                            }
                            None => return None,
                        }
                    }
                }
            },
        );
        Ok(items.boxed())
    }

    /// `method path_and_query` (already carrying the `/v1.xx` prefix) with `body` as JSON;
    /// the answer's JSON (`Null` for an empty answer). `endpoint` and `action` name the call
    /// in errors.
    pub(crate) async fn json(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
        headers: &[(&str, String)],
        (endpoint, action): (&str, &str),
    ) -> Result<Value> {
        let failed = |status: Option<u16>, message: String| EngineError::Api {
            action: action.to_owned(),
            endpoint: endpoint.to_owned(),
            status,
            message,
        };
        let payload = match body {
            Some(body) => {
                Bytes::from(serde_json::to_vec(body).map_err(|e| failed(None, e.to_string()))?)
            }
            None => Bytes::new(),
        };
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path_and_query}", self.base))
            .header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Body::Left(Full::new(payload)))
            .map_err(|e| failed(None, e.to_string()))?;
        let exchange = async {
            let response = (self.send)(request)
                .await
                .map_err(|err| EngineError::from_bollard(action, endpoint, err))?;
            let status = response.status();
            let bytes = Limited::new(response.into_body(), MAX_ANSWER)
                .collect()
                .await
                .map_err(|err| EngineError::Unreachable {
                    endpoint: endpoint.to_owned(),
                    reason: format!("reading the answer to {action}: {err}"),
                })?
                .to_bytes();
            Ok::<_, EngineError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| EngineError::Unreachable {
                endpoint: endpoint.to_owned(),
                reason: format!("no answer to {action} within {} s", self.timeout.as_secs()),
            })??;
        if !status.is_success() {
            return Err(refusal(status.as_u16(), &bytes, (endpoint, action)));
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|err| {
            failed(
                Some(status.as_u16()),
                format!("the answer is not JSON: {err}"),
            )
        })
    }
}

/// The engine's refusal (an error status, with its JSON `message` or its text) as an error.
fn refusal(status: u16, answer: &[u8], (endpoint, action): (&str, &str)) -> EngineError {
    let message = serde_json::from_slice::<Value>(answer)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(answer).trim().to_owned());
    EngineError::from_bollard(
        action,
        endpoint,
        bollard::errors::Error::DockerResponseServerError {
            status_code: status,
            message,
        },
    )
}
