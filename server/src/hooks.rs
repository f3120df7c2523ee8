//! Calls from machines that hold a secret URL instead of a login; no session or origin is
//! asked for, and an unknown token answers 404 before any body is read.
//!
//! - `POST /hooks/registry/{token}`: where a registry sends its push notifications (its
//!   `notifications: endpoints:` setting), the token made on the Registries page. Each
//!   service redeployed is audited with the event's source.
//! - `POST /hooks/{token}[?tag=T]`: a redeploy webhook made on a stack's or a service's page
//!   (see `flotilla_fleet::webhooks`), at most [`CALLS_PER_MINUTE`] calls a minute per hook.

use std::sync::Arc;
use std::time::Duration;

use app::auth::ssr::ClientAddr;
use app::error::{AppError, ErrorCode};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use flotilla_fleet::{CalledWebhook, Fleet, FleetError, PushOutcome};
use flotilla_store::{NewAuditEvent, Store};
use serde_json::json;
use tokio::sync::Semaphore;

use std::num::NonZeroU32;

use axum::extract::Query;
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::Deserialize;

use crate::api::ApiError;

/// Where the hooks are mounted; the guard lets these through to check their own tokens.
pub const PREFIX: &str = "/hooks/";

/// A notification's largest body: distribution sends a few events of ~1 KiB each.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Notifications handled at once; more are told to come back (registries retry).
const AT_ONCE: usize = 4;

/// How long one notification may take, redeploys included.
const TIME_LIMIT: Duration = Duration::from_secs(60);

/// Calls a redeploy webhook takes a minute; a pipeline deploys a few times an hour.
pub const CALLS_PER_MINUTE: u32 = 6;

/// Calls in a burst, within [`CALLS_PER_MINUTE`].
const CALLS_AT_ONCE: u32 = 3;

#[derive(Clone)]
struct Hooks {
    fleet: Arc<Fleet>,
    store: Arc<Store>,
    slots: Arc<Semaphore>,
    /// Keyed by hook ID, so only hooks that exist take room.
    calls: Arc<DefaultKeyedRateLimiter<String>>,
}

fn call_quota() -> Quota {
    let per_minute = NonZeroU32::new(CALLS_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(CALLS_AT_ONCE).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

pub fn routes<S: Clone + Send + Sync + 'static>(fleet: Arc<Fleet>, store: Arc<Store>) -> Router<S> {
    Router::new()
        .route("/hooks/registry/{token}", post(registry_push))
        .route("/hooks/{token}", post(webhook))
        .with_state(Hooks {
            fleet,
            store,
            slots: Arc::new(Semaphore::new(AT_ONCE)),
            calls: Arc::new(DefaultKeyedRateLimiter::keyed(call_quota())),
        })
}

fn busy(message: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "error": { "code": "busy", "message": message } })),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct WebhookQuery {
    tag: Option<String>,
}

async fn webhook(
    State(hooks): State<Hooks>,
    Path(token): Path<String>,
    query: Result<Query<WebhookQuery>, axum::extract::rejection::QueryRejection>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
) -> Result<Response, ApiError> {
    let CalledWebhook { hook, audit_target } = hooks.fleet.webhook_for(&token).await?;
    let Query(query) = query.map_err(|err| AppError::invalid("query", err.body_text()))?;
    if hooks.calls.check_key(&hook.id).is_err() {
        return Err(AppError::new(
            ErrorCode::TooManyRequests,
            format!("this webhook takes {CALLS_PER_MINUTE} calls a minute; try again shortly"),
        )
        .into());
    }
    if hooks.calls.len() > 10_000 {
        hooks.calls.retain_recent();
    }
    let Ok(_slot) = hooks.slots.clone().try_acquire_owned() else {
        return Ok(busy("other hooks are being handled; retry"));
    };
    let actor = format!("webhook:{}", hook.id);
    let event = NewAuditEvent {
        actor: actor.clone(),
        client_addr: client.to_string(),
        action: "webhook.call".into(),
        target: audit_target,
        request: json!({ "tag": query.tag }).to_string(),
    };
    let from = client.to_string();
    let handling = async {
        tokio::time::timeout(
            TIME_LIMIT,
            hooks
                .fleet
                .fire_webhook(&hook.id, query.tag.as_deref(), (&actor, &from)),
        )
        .await
        .map_err(|_| {
            FleetError::Busy(format!(
                "the redeploy took longer than {} s",
                TIME_LIMIT.as_secs()
            ))
        })?
    };
    let done = hooks
        .store
        .audited(&event, handling)
        .await
        .map_err(|err| AppError::internal(format!("audit log: {err}")))??;
    Ok(Json(done).into_response())
}

async fn registry_push(
    State(hooks): State<Hooks>,
    Path(token): Path<String>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    body: Body,
) -> Result<Response, ApiError> {
    let address = hooks.fleet.hook_registry(&token).await?;
    let Ok(_slot) = hooks.slots.clone().try_acquire_owned() else {
        return Ok(busy("other notifications are being handled; retry"));
    };
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            AppError::new(
                ErrorCode::PayloadTooLarge,
                format!("a notification may be at most {} KiB", MAX_BODY_BYTES >> 10),
            )
        })?;
    let actor = format!("registry:{address}");
    let event = NewAuditEvent {
        actor: actor.clone(),
        client_addr: client.to_string(),
        action: "registry.push".into(),
        target: address.clone(),
        request: json!({ "bytes": body.len() }).to_string(),
    };
    let handling = async {
        tokio::time::timeout(TIME_LIMIT, hooks.fleet.registry_push(&token, &body))
            .await
            .map_err(|_| {
                FleetError::Busy(format!(
                    "the notification took longer than {} s",
                    TIME_LIMIT.as_secs()
                ))
            })?
    };
    let handled = hooks
        .store
        .audited(&event, handling)
        .await
        .map_err(|err| AppError::internal(format!("audit log: {err}")))??;
    audit_redeploys(&hooks.store, &actor, &client.to_string(), &handled).await;
    Ok(Json(handled).into_response())
}

/// One audit row per service a push concerned, with what it runs and the event it came from.
async fn audit_redeploys(store: &Store, actor: &str, client: &str, outcome: &PushOutcome) {
    for service in &outcome.services {
        if service.outcome == "unchanged" {
            continue;
        }
        let event = NewAuditEvent {
            actor: actor.to_owned(),
            client_addr: client.to_owned(),
            action: "service.redeploy-on-push".into(),
            target: format!("{}/{}", service.swarm, service.service),
            request: json!({
                "image": service.image,
                "pushes": outcome.pushes,
                "version": service.version,
            })
            .to_string(),
        };
        let written = async {
            let id = store.audit_begin(&event).await?;
            let result = match &service.error {
                None => Ok(()),
                Some(error) => Err(error.clone()),
            };
            store.audit_finish(&id, result).await
        }
        .await;
        if let Err(err) = written {
            tracing::error!(%err, "cannot audit a redeploy on push");
        }
    }
}
