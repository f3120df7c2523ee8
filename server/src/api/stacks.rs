//! `/api/v1/swarms/{swarm}/stacks…`: the deploy step of a CI pipeline. The body of a
//! deploy or plan is `{"compose", "env", "files" (base64), "prune"}`; an invalid file is a
//! 422 naming line, column and key path, and nothing on the swarm changes.

use std::net::SocketAddr;

use app::auth::ssr::Principal;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use flotilla_fleet::{
    FleetError, ServiceProgress, StackInput, StackPlan, StackSummary, StackVersionInfo,
};
use flotilla_stack::{Change, PlannedObject};
use flotilla_store::{NewAuditEvent, Role};
use serde::Serialize;
use serde_json::json;

use super::{require, Api, ApiError};

pub(super) fn routes() -> Router<Api> {
    Router::new()
        .route("/swarms/{swarm}/stacks", get(list_stacks))
        .route(
            "/swarms/{swarm}/stacks/{stack}",
            put(deploy_stack).delete(remove_stack),
        )
        .route("/swarms/{swarm}/stacks/{stack}/plan", post(plan_stack))
        .route("/swarms/{swarm}/stacks/{stack}/progress", get(progress))
        .route("/swarms/{swarm}/stacks/{stack}/versions", get(versions))
        .route(
            "/swarms/{swarm}/stacks/{stack}/versions/{version}/deploy",
            post(redeploy_version),
        )
}

/// A deploy's or plan's answer: each object under what happens (or would happen) to it.
#[derive(Debug, Serialize)]
struct Outcome {
    stack: String,
    applied: bool,
    version: Option<i64>,
    created: Vec<PlannedObject>,
    updated: Vec<PlannedObject>,
    removed: Vec<PlannedObject>,
    unchanged: Vec<PlannedObject>,
    problems: Vec<String>,
    warnings: Vec<String>,
}

impl From<StackPlan> for Outcome {
    fn from(result: StackPlan) -> Self {
        let pick = |change: Change| -> Vec<PlannedObject> {
            result
                .plan
                .objects
                .iter()
                .filter(|o| o.change == change)
                .cloned()
                .collect()
        };
        Self {
            stack: result.plan.stack.clone(),
            applied: result.applied,
            version: result.version,
            created: pick(Change::Create),
            updated: pick(Change::Update),
            removed: pick(Change::Remove),
            unchanged: pick(Change::Unchanged),
            problems: result.plan.problems.clone(),
            warnings: result.warnings,
        }
    }
}

fn body(body: Result<Json<StackInput>, JsonRejection>) -> Result<StackInput, ApiError> {
    body.map(|Json(input)| input).map_err(|rejection| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            rejection.body_text(),
        )
    })
}

/// What the audit log keeps of a deploy: sizes and names, never variable values or files.
fn audit_request(input: &StackInput) -> serde_json::Value {
    json!({
        "compose_bytes": input.compose.len(),
        "env": input.env.keys().collect::<Vec<_>>(),
        "files": input.files.keys().collect::<Vec<_>>(),
        "prune": input.prune,
    })
}

async fn audited<T>(
    api: &Api,
    principal: &Principal,
    client: SocketAddr,
    action: &str,
    target: String,
    request: serde_json::Value,
    run: impl std::future::Future<Output = Result<T, FleetError>>,
) -> Result<T, ApiError> {
    let event = NewAuditEvent {
        actor: principal.name.clone(),
        client_addr: client.ip().to_string(),
        action: action.to_owned(),
        target,
        request: request.to_string(),
    };
    Ok(api.store.audited(&event, run).await.map_err(|err| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            err.to_string(),
        )
    })??)
}

async fn list_stacks(
    Extension(principal): Extension<Principal>,
    State(api): State<Api>,
    Path(swarm): Path<String>,
) -> Result<Json<Vec<StackSummary>>, ApiError> {
    require(&principal, Role::Viewer)?;
    Ok(Json(api.fleet.stacks(&swarm).await?))
}

async fn plan_stack(
    Extension(principal): Extension<Principal>,
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
    input: Result<Json<StackInput>, JsonRejection>,
) -> Result<Json<Outcome>, ApiError> {
    // A plan shows the running specs, environment values included: operators only.
    require(&principal, Role::Operator)?;
    let input = body(input)?;
    Ok(Json(
        api.fleet.plan_stack(&swarm, &stack, &input).await?.into(),
    ))
}

async fn deploy_stack(
    Extension(principal): Extension<Principal>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
    input: Result<Json<StackInput>, JsonRejection>,
) -> Result<Json<Outcome>, ApiError> {
    require(&principal, Role::Operator)?;
    let input = body(input)?;
    let request = audit_request(&input);
    deploy(
        &api,
        &principal,
        client,
        (&swarm, &stack),
        &input,
        "stack.deploy",
        request,
    )
    .await
}

/// A deploy, audited under `action`: the same for a new file and for an earlier version.
async fn deploy(
    api: &Api,
    principal: &Principal,
    client: SocketAddr,
    (swarm, stack): (&str, &str),
    input: &StackInput,
    action: &str,
    request: serde_json::Value,
) -> Result<Json<Outcome>, ApiError> {
    let result = audited(
        api,
        principal,
        client,
        action,
        format!("{swarm}/{stack}"),
        request,
        api.fleet.deploy_stack(swarm, stack, input, &principal.name),
    )
    .await?;
    Ok(Json(result.into()))
}

async fn redeploy_version(
    Extension(principal): Extension<Principal>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    State(api): State<Api>,
    Path((swarm, stack, version)): Path<(String, String, i64)>,
) -> Result<Json<Outcome>, ApiError> {
    require(&principal, Role::Operator)?;
    let input = api
        .fleet
        .stack_version_input(&swarm, &stack, version)
        .await?;
    let mut request = audit_request(&input);
    request["version"] = json!(version);
    deploy(
        &api,
        &principal,
        client,
        (&swarm, &stack),
        &input,
        "stack.redeploy",
        request,
    )
    .await
}

async fn remove_stack(
    Extension(principal): Extension<Principal>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require(&principal, Role::Operator)?;
    let removed = audited(
        &api,
        &principal,
        client,
        "stack.remove",
        format!("{swarm}/{stack}"),
        json!({}),
        api.fleet.remove_stack(&swarm, &stack),
    )
    .await?;
    Ok(Json(json!({ "stack": stack, "removed": removed })))
}

async fn progress(
    Extension(principal): Extension<Principal>,
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
) -> Result<Json<Vec<ServiceProgress>>, ApiError> {
    require(&principal, Role::Viewer)?;
    Ok(Json(api.fleet.stack_progress(&swarm, &stack).await?))
}

async fn versions(
    Extension(principal): Extension<Principal>,
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
) -> Result<Json<Vec<StackVersionInfo>>, ApiError> {
    require(&principal, Role::Viewer)?;
    Ok(Json(api.fleet.stack_versions(&swarm, &stack).await?))
}
