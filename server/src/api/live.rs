//! `GET /api/v1/swarms/{swarm}/live`: a swarm's live state as server-sent events — a
//! `snapshot` first, then a `delta` per change (see `flotilla_live`). A viewer that falls
//! behind the changes kept for it gets a fresh `snapshot` instead of a backlog, so a slow
//! client costs a bounded amount of memory. Each user (or token) holds a bounded number open.
//! The stream ends when its session logs out, and when its caller is no longer admitted (a new
//! password, a removed user, a revoked token: checked again every few seconds).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use app::auth::ssr::Principal;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Extension;
use flotilla_fleet::LiveWatch;
use flotilla_live::{Delta, Snapshot};
use futures::StreamExt;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tower_sessions::Session;

use super::streams::StreamPlace;
use super::ErrorBody;
use super::{Api, ApiError};

/// How often an open stream checks that its caller is still admitted.
const RECHECK: Duration = Duration::from_secs(5);

/// These routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(live))]
pub(super) struct Doc;

pub(super) fn endpoints() -> Vec<(Method, &'static str, MethodRouter<Api>)> {
    vec![(Method::GET, "/swarms/{swarm}/live", get(live))]
}

/// One viewer's stream: what it has seen, and what could end it.
struct Feed {
    _place: StreamPlace,
    api: Api,
    /// What admitted the caller, to admit it again while the stream stays open.
    credentials: (Session, HeaderMap),
    recheck: tokio::time::Interval,
    watch: LiveWatch,
    changes: Receiver<Arc<Delta>>,
    /// The `seq` of the state the viewer has.
    seq: u64,
    first: Option<Arc<Snapshot>>,
    ends: Receiver<String>,
    session: Option<String>,
}

fn snapshot_event(snapshot: &Snapshot) -> Event {
    Event::default()
        .event("snapshot")
        .data(serde_json::to_string(snapshot).unwrap_or_default())
}

impl Feed {
    /// The next event for the viewer; none once its session ended.
    async fn next(&mut self) -> Option<Event> {
        if let Some(snapshot) = self.first.take() {
            self.seq = snapshot.seq;
            return Some(snapshot_event(&snapshot));
        }
        loop {
            tokio::select! {
                change = self.changes.recv() => match change {
                    Ok(delta) if delta.seq <= self.seq => {}
                    Ok(delta) if delta.base == self.seq => {
                        self.seq = delta.seq;
                        let data = serde_json::to_string(&*delta).unwrap_or_default();
                        return Some(Event::default().event("delta").data(data));
                    }
                    // A change was missed (the viewer fell behind): start it over.
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        let snapshot = self.watch.snapshot();
                        self.seq = snapshot.seq;
                        return Some(snapshot_event(&snapshot));
                    }
                    Err(RecvError::Closed) => return None,
                },
                ended = self.ends.recv() => match ended {
                    Ok(id) if Some(&id) == self.session.as_ref() => return None,
                    Err(RecvError::Closed) => return None,
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                },
                _ = self.recheck.tick() => {
                    let (session, headers) = &self.credentials;
                    let admitted =
                        crate::guard::authenticate(&self.api.store, session, headers).await;
                    if !matches!(admitted, Ok(Some(_))) {
                        tracing::info!("live stream ended: its caller is no longer admitted");
                        return None;
                    }
                }
            }
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/swarms/{swarm}/live",
    tag = "swarms",
    summary = "The swarm's nodes, services and tasks as server-sent events: a snapshot, then changes",
    params(("swarm" = String, Path, description = "The swarm's name or ID")),
    responses((status = 200, description = "`text/event-stream`: `snapshot` then `change` events", content_type = "text/event-stream", body = String), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn live(
    Extension(principal): Extension<Principal>,
    State(api): State<Api>,
    Path(swarm): Path<String>,
    session: Session,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let place = api.live_streams.open(&principal.name)?;
    let watch = api.fleet.watch_swarm(&swarm).await?;
    let (snapshot, changes) = watch.subscribe();
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    recheck.reset();
    let feed = Feed {
        _place: place,
        api: api.clone(),
        credentials: (session.clone(), headers),
        recheck,
        watch,
        changes,
        seq: 0,
        first: Some(snapshot),
        ends: api.session_ends.subscribe(),
        session: session.id().map(|id| id.to_string()),
    };
    let events = futures::stream::unfold(feed, |mut feed| async move {
        feed.next().await.map(|event| (event, feed))
    })
    .map(Ok::<_, Infallible>);
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
