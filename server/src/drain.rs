//! Stopping without losing work, and saying when the console can take work.
//!
//! On SIGTERM (or Ctrl-C) the console drains: the listener closes, requests that still
//! arrive on open connections get 503, live and log streams end, and requests in flight (a
//! deploy) get until [`DRAIN_LIMIT`] to finish. Whatever is still running then is recorded
//! as interrupted in the audit log before the process exits, within 10 s of the signal.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use flotilla_fleet::Fleet;
use flotilla_store::Store;
use futures::StreamExt;
use tokio::sync::watch;

/// How long requests in flight get to finish after the signal.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(8);
/// How long a readiness probe waits for an engine.
const ENGINE_PROBE_LIMIT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Drain {
    draining: Arc<watch::Sender<bool>>,
}

impl Drain {
    pub fn new() -> Self {
        Self {
            draining: Arc::new(watch::channel(false).0),
        }
    }

    pub fn start(&self) {
        self.draining.send_replace(true);
    }

    pub fn is_draining(&self) -> bool {
        *self.draining.borrow()
    }

    /// Resolves once draining has started.
    pub async fn started(&self) {
        let mut draining = self.draining.subscribe();
        let _ = draining.wait_for(|draining| *draining).await;
    }

    /// Refuses requests once draining, and ends streamed answers (live views, logs) when it
    /// starts, so open streams do not hold the shutdown.
    pub async fn layer(State(drain): State<Drain>, request: Request, next: Next) -> Response {
        if drain.is_draining() {
            return shutting_down();
        }
        let response = next.run(request).await;
        let streamed = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|t| t.to_str().ok())
            .is_some_and(|t| t.starts_with("text/event-stream") || t.contains("ndjson"));
        if !streamed {
            return response;
        }
        let (parts, body) = response.into_parts();
        let ends = Box::pin(async move { drain.started().await });
        let body = Body::from_stream(body.into_data_stream().take_until(ends));
        Response::from_parts(parts, body)
    }
}

fn shutting_down() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONNECTION, "close"), (header::RETRY_AFTER, "1")],
        "the console is shutting down\n",
    )
        .into_response()
}

/// What `/readyz` reads. Anyone may probe it, so one check serves every probe for
/// [`READY_FOR`]: probes cannot make the console ping its engines more often than that.
#[derive(Clone)]
pub struct Readiness {
    pub drain: Drain,
    pub store: Arc<Store>,
    pub fleet: Arc<Fleet>,
    pub last: Arc<tokio::sync::Mutex<Option<(Instant, Readied)>>>,
}

/// The last check's answer: ready, or why not.
type Readied = Result<(), &'static str>;

const READY_FOR: Duration = Duration::from_secs(2);

/// `/readyz`: 200 when the console can serve: not draining, the database answers, and at
/// least one engine answers when any host is registered. 503 with the reason otherwise.
pub async fn readyz(State(ready): State<Readiness>) -> Response {
    if ready.drain.is_draining() {
        return shutting_down();
    }
    let mut last = ready.last.lock().await;
    let answer = match *last {
        Some((at, answer)) if at.elapsed() < READY_FOR => answer,
        _ => {
            let answer = check(&ready).await;
            *last = Some((Instant::now(), answer));
            answer
        }
    };
    match answer {
        Ok(()) => "ready\n".into_response(),
        Err(why) => not_ready(why),
    }
}

async fn check(ready: &Readiness) -> Readied {
    if !ready.store.answers().await {
        return Err("the database does not answer");
    }
    match ready.fleet.any_engine_answers(ENGINE_PROBE_LIMIT).await {
        Ok(None | Some(true)) => Ok(()),
        Ok(Some(false)) => Err("no registered engine answers"),
        Err(_) => Err("the hosts cannot be listed"),
    }
}

fn not_ready(why: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("not ready: {why}\n"),
    )
        .into_response()
}

/// Says this console is alive every [`flotilla_store::HEARTBEAT`], and marks interrupted the
/// actions of consoles that stopped without finishing them.
pub async fn heartbeat(store: Arc<Store>) {
    let mut every = tokio::time::interval(flotilla_store::HEARTBEAT);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(err) = store.console_alive().await {
            tracing::warn!(%err, "cannot say this console is alive");
        }
        match store
            .mark_interrupted(false, flotilla_store::now_millis())
            .await
        {
            Ok(0) => {}
            Ok(marked) => tracing::warn!(marked, "actions of a stopped console marked interrupted"),
            Err(err) => tracing::warn!(%err, "cannot mark stopped consoles' actions"),
        }
    }
}

/// At start: this console is alive, and on SQLite (one console per database file) every
/// action left pending by an earlier run is marked interrupted at once.
pub async fn recover(store: &Store) -> Result<(), String> {
    store
        .console_alive()
        .await
        .map_err(|err| format!("database: {err}"))?;
    let sole = store.backend() == flotilla_store::Backend::Sqlite;
    let marked = store
        .mark_interrupted(sole, flotilla_store::now_millis())
        .await
        .map_err(|err| format!("database: {err}"))?;
    if marked > 0 {
        tracing::warn!(
            marked,
            "actions left unfinished by a console that stopped are marked interrupted"
        );
    }
    Ok(())
}

/// After the server stopped: what did not finish is interrupted, and this console is gone.
pub async fn finish(store: &Store) {
    match store.mark_own_interrupted().await {
        Ok(0) => {}
        Ok(marked) => tracing::warn!(
            marked,
            "actions still running at shutdown marked interrupted"
        ),
        Err(err) => tracing::warn!(%err, "cannot mark unfinished actions"),
    }
    if let Err(err) = store.console_stopped().await {
        tracing::warn!(%err, "cannot say this console stopped");
    }
}
