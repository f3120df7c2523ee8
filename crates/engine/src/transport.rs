//! How requests reach an engine. bollard's own transports turn connection pooling off, so
//! every request would open a new connection (and, over TLS, make a new handshake); ours keep
//! idle connections for reuse. TLS material stays in memory: no key ever touches the disk.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bollard::{BollardRequest, ClientVersion, Docker};
use futures::future::BoxFuture;
use hyper::body::Incoming;
use hyper::Response;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::ClientTls;

/// How long an idle connection is kept for the next request.
const IDLE_KEPT: Duration = Duration::from_secs(30);
/// Idle connections kept per engine; more concurrent requests open more, briefly.
const IDLE_PER_ENGINE: usize = 8;

/// Connects to one unix socket, whatever host the request names.
#[derive(Clone)]
struct UnixSocket(Arc<str>);

/// A unix stream as hyper's client wants it.
struct UnixConnection(TokioIo<tokio::net::UnixStream>);

impl Connection for UnixConnection {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for UnixConnection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for UnixConnection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl tower_service::Service<hyper::Uri> for UnixSocket {
    type Response = UnixConnection;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<UnixConnection>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: hyper::Uri) -> Self::Future {
        let path = self.0.clone();
        Box::pin(async move {
            let stream = tokio::net::UnixStream::connect(&*path).await?;
            Ok(UnixConnection(TokioIo::new(stream)))
        })
    }
}

/// The body type bollard's requests carry (bollard does not name it publicly).
pub(crate) trait BodyOf {
    type Body;
}

impl<B> BodyOf for hyper::Request<B> {
    type Body = B;
}

pub(crate) type Body = <BollardRequest as BodyOf>::Body;

fn pooled<C>(connector: C) -> Client<C, Body>
where
    C: tower_service::Service<hyper::Uri> + Clone + Send + Sync + 'static,
    C::Response: Connection + hyper::rt::Read + hyper::rt::Write + Send + Unpin + 'static,
    C::Future: Send + Unpin + 'static,
    C::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(IDLE_KEPT)
        .pool_max_idle_per_host(IDLE_PER_ENGINE)
        .build(connector)
}

/// Sends one request to the engine and answers with its response: what bollard's calls and
/// the raw JSON calls (see [`crate::raw`]) both go through.
pub(crate) type Sender = Arc<
    dyn Fn(BollardRequest) -> BoxFuture<'static, Result<Response<Incoming>, bollard::errors::Error>>
        + Send
        + Sync,
>;

/// Requests sent to one engine, and those that failed (no answer, or a 5xx), since the
/// client was made.
#[derive(Debug, Default)]
pub struct RequestCounts {
    pub requests: std::sync::atomic::AtomicU64,
    pub errors: std::sync::atomic::AtomicU64,
}

/// The ways to one engine: bollard's client, and the same pooled sender for raw requests.
pub(crate) struct EngineLink {
    pub docker: Docker,
    pub send: Sender,
    /// Scheme and host the request paths are appended to.
    pub base: String,
    pub counts: Arc<RequestCounts>,
}

/// A bollard client whose requests go through `client`, against `base` (scheme and host).
fn docker_over<C>(
    client: Client<C, Body>,
    base: &str,
    timeout: u64,
    version: &ClientVersion,
) -> Result<EngineLink, bollard::errors::Error>
where
    C: tower_service::Service<hyper::Uri> + Clone + Send + Sync + 'static,
    C::Response: Connection + hyper::rt::Read + hyper::rt::Write + Send + Unpin + 'static,
    C::Future: Send + Unpin + 'static,
    C::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let client = Arc::new(client);
    let counts = Arc::new(RequestCounts::default());
    let counting = counts.clone();
    let send: Sender = Arc::new(move |request: BollardRequest| {
        let (client, counts) = (client.clone(), counting.clone());
        Box::pin(async move {
            use std::sync::atomic::Ordering::Relaxed;
            counts.requests.fetch_add(1, Relaxed);
            let answer = client.request(request).await;
            if answer
                .as_ref()
                .map_or(true, |response| response.status().is_server_error())
            {
                counts.errors.fetch_add(1, Relaxed);
            }
            answer.map_err(bollard::errors::Error::from)
        })
    });
    let for_bollard = send.clone();
    let docker = Docker::connect_with_custom_transport(
        move |request: BollardRequest| for_bollard(request),
        Some(base),
        timeout,
        version,
    )?;
    Ok(EngineLink {
        docker,
        send,
        base: base.to_owned(),
        counts,
    })
}

/// An engine on a unix socket.
pub(crate) fn unix(
    path: &str,
    timeout: u64,
    version: &ClientVersion,
) -> Result<EngineLink, bollard::errors::Error> {
    // The host is a placeholder: every connection goes to the socket.
    docker_over(
        pooled(UnixSocket(path.into())),
        "http://docker",
        timeout,
        version,
    )
}

/// An engine on plain `tcp://HOST:PORT`.
pub(crate) fn http(
    authority: &str,
    timeout: u64,
    version: &ClientVersion,
) -> Result<EngineLink, bollard::errors::Error> {
    docker_over(
        pooled(HttpConnector::new()),
        &format!("http://{authority}"),
        timeout,
        version,
    )
}

/// Why TLS material cannot be used, in the operator's terms.
pub(crate) fn tls_config(tls: &ClientTls) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    let mut any_ca = false;
    for ca in CertificateDer::pem_slice_iter(tls.ca.as_bytes()) {
        let ca = ca.map_err(|err| format!("ca.pem: {err}"))?;
        roots
            .add(ca)
            .map_err(|err| format!("ca.pem: not a CA certificate: {err}"))?;
        any_ca = true;
    }
    if !any_ca {
        return Err("ca.pem: no certificate in it".into());
    }
    let chain = CertificateDer::pem_slice_iter(tls.cert.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| format!("cert.pem: {err}"))?;
    if chain.is_empty() {
        return Err("cert.pem: no certificate in it".into());
    }
    let key = PrivateKeyDer::from_pem_slice(tls.key.as_bytes())
        .map_err(|err| format!("key.pem: {err}"))?;
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|err| format!("cert.pem and key.pem: {err}"))
}

/// An engine on `tcp://HOST:PORT` with `--tlsverify`.
pub(crate) fn https(
    authority: &str,
    config: rustls::ClientConfig,
    timeout: u64,
    version: &ClientVersion,
) -> Result<EngineLink, bollard::errors::Error> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    let connector = hyper_rustls::HttpsConnector::from((http, config));
    docker_over(
        pooled(connector),
        &format!("https://{authority}"),
        timeout,
        version,
    )
}
