//! `/api/v1`: JSON endpoints for automation, authenticated and authorised by the guard like
//! the UI (a session, or `Authorization: Bearer` with a token from `flotilla token create`,
//! held to the access table), and calling the same fleet operations the pages do.

use std::net::IpAddr;
use std::sync::Arc;

use app::auth::ssr::{ClientAddr, Principal, SessionEnds};
use app::error::{AppError, ErrorCode, FieldAt};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Extension, Json, Router};
use flotilla_fleet::{Fleet, NodeEntry, SwarmSummary};
use flotilla_store::{NewAuditEvent, Store, TlsMaterial};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

mod live;
mod openapi;
mod registries;
mod services;
mod stacks;
mod streams;

pub use openapi::document as openapi_document;
pub use streams::StreamLimit;

#[derive(Clone)]
struct Api {
    fleet: Arc<Fleet>,
    store: Arc<Store>,
    log_streams: StreamLimit,
    live_streams: StreamLimit,
    session_ends: SessionEnds,
}

/// The open streams of each kind, each with how many one principal may hold open.
#[derive(Debug, Clone)]
pub struct StreamLimits {
    pub logs: StreamLimit,
    pub live: StreamLimit,
}

/// Where these routes are mounted.
pub const PREFIX: &str = "/api/v1";

/// Every route with its method: the router is built from this list, and tests hold it
/// against the access table and the OpenAPI document.
fn endpoints() -> Vec<(Method, &'static str, MethodRouter<Api>)> {
    let mut all = vec![
        (Method::GET, "/swarms", get(list_swarms)),
        (Method::POST, "/swarms", post(adopt_swarm)),
        (Method::GET, "/swarms/{swarm}/nodes", get(list_nodes)),
        (Method::GET, "/openapi.json", get(openapi::openapi_json)),
    ];
    all.extend(stacks::endpoints());
    all.extend(services::endpoints());
    all.extend(live::endpoints());
    all.extend(registries::endpoints());
    all
}

/// `(method, full path)` of every route, as the access table names them.
#[cfg(test)]
pub fn declared() -> Vec<(Method, String)> {
    endpoints()
        .into_iter()
        .map(|(method, path, _)| (method, format!("{PREFIX}{path}")))
        .collect()
}

pub fn routes<S: Clone + Send + Sync + 'static>(
    fleet: Arc<Fleet>,
    store: Arc<Store>,
    limits: StreamLimits,
    session_ends: SessionEnds,
) -> Router<S> {
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, (_, path, handler)| {
            router.route(path, handler)
        })
        .fallback(|| async { ApiError(AppError::new(ErrorCode::NotFound, "no such endpoint")) })
        .with_state(Api {
            fleet,
            store,
            log_streams: limits.logs,
            live_streams: limits.live,
            session_ends,
        })
}

/// How every refusal is written; `ApiError` builds it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
struct ErrorDetail {
    /// Stable: `invalid`, `not_found`, `forbidden`, `conflict`, `too_many_requests`, …
    code: String,
    message: String,
    /// The field the error is about, with its line and column in a compose file.
    #[schema(value_type = Option<Object>)]
    field: Option<serde_json::Value>,
    /// `{"field"}`, or `{"line", "column", "path", "field"}`.
    #[schema(value_type = Object)]
    details: serde_json::Value,
}

/// `{"error": {"code", "message", "field", "details"}}` with the status the code stands for.
/// `details` repeats `field` in the shape the API has documented since its first version:
/// `{"field"}`, or `{"line", "column", "path", "field"}` for a place in a compose file.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(err: E) -> Self {
        Self(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let AppError {
            code,
            message,
            field,
        } = self.0;
        let details = match &field {
            Some(FieldAt {
                path,
                line: Some(line),
                column,
            }) => json!({ "line": line, "column": column, "path": path, "field": path }),
            Some(field) => json!({ "field": field.path }),
            None => json!({}),
        };
        let body = json!({
            "error": { "code": code, "message": message, "field": field, "details": details }
        });
        let status =
            StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }
}

/// A body that is not the JSON a route takes: 422 naming what is wrong, or 413 when too big.
fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(value)| value).map_err(|rejection| {
        let code = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ErrorCode::PayloadTooLarge
        } else {
            ErrorCode::Invalid
        };
        ApiError(AppError::new(code, rejection.body_text()))
    })
}

/// Runs `run` with its audit row written first and its outcome after.
async fn audited<T, E>(
    api: &Api,
    principal: &Principal,
    client: IpAddr,
    (action, target): (&str, String),
    request: serde_json::Value,
    run: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, ApiError>
where
    E: std::fmt::Display + Into<AppError>,
{
    let event = NewAuditEvent {
        actor: principal.name.clone(),
        client_addr: client.to_string(),
        action: action.to_owned(),
        target,
        request: request.to_string(),
    };
    api.store
        .audited(&event, run)
        .await
        .map_err(|err| ApiError(AppError::internal(format!("audit log: {err}"))))?
        .map_err(ApiError::from)
}

#[utoipa::path(
    get,
    path = "/api/v1/swarms",
    tag = "swarms",
    summary = "Every managed swarm with its managers and workers",
    responses((status = 200, description = "OK", body = Vec<SwarmSummary>), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn list_swarms(State(api): State<Api>) -> Result<Json<Vec<SwarmSummary>>, ApiError> {
    Ok(Json(api.fleet.swarm_summaries().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AdoptRequest {
    name: String,
    /// A manager's engine URL.
    manager: String,
    tls: Option<TlsRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TlsRequest {
    ca: String,
    cert: String,
    key: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct Adopted {
    id: String,
    name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/swarms",
    tag = "swarms",
    summary = "Adopt a running swarm through one of its managers",
    request_body = AdoptRequest,
    responses((status = 201, description = "Adopted", body = Adopted), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn adopt_swarm(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    body: Result<Json<AdoptRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Adopted>), ApiError> {
    let request = json_body(body)?;
    let audit = json!({ "manager": request.manager, "tls": request.tls.is_some() });
    let tls = request.tls.map(|tls| TlsMaterial {
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
    });
    let swarm = audited(
        &api,
        &principal,
        client,
        ("swarm.adopt", request.name.clone()),
        audit,
        api.fleet.adopt_swarm(&request.name, &request.manager, tls),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Adopted {
            id: swarm.id,
            name: swarm.name,
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/swarms/{swarm}/nodes",
    tag = "swarms",
    summary = "The swarm's nodes, with the registered host of each",
    params(("swarm" = String, Path, description = "The swarm's name or ID")),
    responses((status = 200, description = "OK", body = Vec<NodeEntry>), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn list_nodes(
    State(api): State<Api>,
    Path(swarm): Path<String>,
) -> Result<Json<Vec<NodeEntry>>, ApiError> {
    Ok(Json(api.fleet.nodes(&swarm).await?))
}
