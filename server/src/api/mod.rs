//! `/api/v1`: JSON endpoints for automation, authenticated by the guard like the UI (a
//! session, or `Authorization: Bearer` with a token from `flotilla token create`), and
//! calling the same fleet operations the pages do.

use std::net::SocketAddr;
use std::sync::Arc;

use app::auth::ssr::Principal;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use flotilla_fleet::{Fleet, FleetError, NodeEntry, SwarmSummary};
use flotilla_store::{NewAuditEvent, Role, Store, TlsMaterial};
use serde::{Deserialize, Serialize};
use serde_json::json;

mod stacks;

#[derive(Clone)]
struct Api {
    fleet: Arc<Fleet>,
    store: Arc<Store>,
}

pub fn routes<S: Clone + Send + Sync + 'static>(fleet: Arc<Fleet>, store: Arc<Store>) -> Router<S> {
    Router::new()
        .route("/swarms", get(list_swarms).post(adopt_swarm))
        .route("/swarms/{swarm}/nodes", get(list_nodes))
        .merge(stacks::routes())
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        })
        .with_state(Api { fleet, store })
}

/// `{"error": {"code", "message", "details"}}` with the status the code stands for.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: serde_json::Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: json!({}),
        }
    }
}

impl From<FleetError> for ApiError {
    fn from(err: FleetError) -> Self {
        let details = match (&err, err.field()) {
            (FleetError::Compose(compose), _) => json!({
                "line": compose.at.line,
                "column": compose.at.column,
                "path": compose.path,
                "field": compose.path,
            }),
            (_, Some(field)) => json!({ "field": field }),
            _ => json!({}),
        };
        Self {
            status: StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_GATEWAY),
            code: err.code(),
            message: err.to_string(),
            details,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": { "code": self.code, "message": self.message, "details": self.details }
        });
        (self.status, Json(body)).into_response()
    }
}

pub(crate) fn require(principal: &Principal, needed: Role) -> Result<(), ApiError> {
    if principal.role.allows(needed) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "{} is a {}; this needs {needed}",
                principal.name, principal.role
            ),
        ))
    }
}

async fn list_swarms(
    Extension(principal): Extension<Principal>,
    State(api): State<Api>,
) -> Result<Json<Vec<SwarmSummary>>, ApiError> {
    require(&principal, Role::Viewer)?;
    Ok(Json(api.fleet.swarm_summaries().await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdoptRequest {
    name: String,
    /// A manager's engine URL.
    manager: String,
    tls: Option<TlsRequest>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsRequest {
    ca: String,
    cert: String,
    key: String,
}

#[derive(Debug, Serialize)]
struct Adopted {
    id: String,
    name: String,
}

async fn adopt_swarm(
    Extension(principal): Extension<Principal>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    State(api): State<Api>,
    body: Result<Json<AdoptRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Adopted>), ApiError> {
    require(&principal, Role::Admin)?;
    let Json(request) = body.map_err(|rejection| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            rejection.body_text(),
        )
    })?;
    let event = NewAuditEvent {
        actor: principal.name.clone(),
        client_addr: client.ip().to_string(),
        action: "swarm.adopt".into(),
        target: request.name.clone(),
        request: json!({ "manager": request.manager, "tls": request.tls.is_some() }).to_string(),
    };
    let tls = request.tls.map(|tls| TlsMaterial {
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
    });
    let swarm = api
        .store
        .audited(
            &event,
            api.fleet.adopt_swarm(&request.name, &request.manager, tls),
        )
        .await
        .map_err(|err| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                err.to_string(),
            )
        })??;
    Ok((
        StatusCode::CREATED,
        Json(Adopted {
            id: swarm.id,
            name: swarm.name,
        }),
    ))
}

async fn list_nodes(
    Extension(principal): Extension<Principal>,
    State(api): State<Api>,
    Path(swarm): Path<String>,
) -> Result<Json<Vec<NodeEntry>>, ApiError> {
    require(&principal, Role::Viewer)?;
    Ok(Json(api.fleet.nodes(&swarm).await?))
}
