//! `/api/v1/swarms/{swarm}/stacks…`: the deploy step of a CI pipeline. The body of a
//! deploy or plan is `{"compose", "env", "files" (base64), "prune", "resolve_image"}`; an invalid file is a
//! 422 naming line, column and key path, and nothing on the swarm changes.

use std::net::IpAddr;

use app::auth::ssr::{ClientAddr, Principal};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::{Extension, Json};
use flotilla_fleet::{ServiceProgress, StackInput, StackPlan, StackSummary, StackVersionInfo};
use flotilla_stack::{Change, ImageResolution, PlannedObject, Privilege};
use serde::Serialize;
use serde_json::json;

use super::ErrorBody;
use super::{audited, json_body, Api, ApiError};
use utoipa::ToSchema;

/// These routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_stacks,
    plan_stack,
    deploy_stack,
    redeploy_version,
    remove_stack,
    progress,
    versions
))]
pub(super) struct Doc;

pub(super) fn endpoints() -> Vec<(Method, &'static str, MethodRouter<Api>)> {
    const STACK: &str = "/swarms/{swarm}/stacks/{stack}";
    vec![
        (Method::GET, "/swarms/{swarm}/stacks", get(list_stacks)),
        (Method::PUT, STACK, put(deploy_stack)),
        (Method::DELETE, STACK, delete(remove_stack)),
        (
            Method::POST,
            "/swarms/{swarm}/stacks/{stack}/plan",
            post(plan_stack),
        ),
        (
            Method::GET,
            "/swarms/{swarm}/stacks/{stack}/progress",
            get(progress),
        ),
        (
            Method::GET,
            "/swarms/{swarm}/stacks/{stack}/versions",
            get(versions),
        ),
        (
            Method::POST,
            "/swarms/{swarm}/stacks/{stack}/versions/{version}/deploy",
            post(redeploy_version),
        ),
    ]
}

/// A deploy's or plan's answer: each object under what happens (or would happen) to it.
#[derive(Debug, Serialize, ToSchema)]
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
    /// What in the stack reaches the nodes themselves.
    privileges: Vec<Privilege>,
    /// Each service's image and the registry digest it was (or would be) pinned to.
    images: Vec<ImageResolution>,
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
            privileges: result.privileges,
            images: result.images,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/swarms/{swarm}/stacks",
    tag = "stacks",
    summary = "The stacks on the swarm",
    params(("swarm" = String, Path, description = "The swarm's name or ID")),
    responses((status = 200, description = "OK", body = Vec<StackSummary>), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn list_stacks(
    State(api): State<Api>,
    Path(swarm): Path<String>,
) -> Result<Json<Vec<StackSummary>>, ApiError> {
    Ok(Json(api.fleet.stacks(&swarm).await?))
}

/// A plan reads the running specs, variable values included: audited like a change.
#[utoipa::path(
    post,
    path = "/api/v1/swarms/{swarm}/stacks/{stack}/plan",
    tag = "stacks",
    summary = "What a deploy of this input would do; nothing changes",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("stack" = String, Path, description = "The stack's name")),
    request_body = StackInput,
    responses((status = 200, description = "OK", body = Outcome), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn plan_stack(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
    input: Result<Json<StackInput>, JsonRejection>,
) -> Result<Json<Outcome>, ApiError> {
    let input = json_body(input)?;
    let plan = audited(
        &api,
        &principal,
        client,
        ("stack.plan", format!("{swarm}/{stack}")),
        app::audit_request(&input),
        api.fleet.plan_stack(&swarm, &stack, &input, principal.role),
    )
    .await?;
    Ok(Json(plan.into()))
}

#[utoipa::path(
    put,
    path = "/api/v1/swarms/{swarm}/stacks/{stack}",
    tag = "stacks",
    summary = "Deploy (create or update) a stack, as `docker stack deploy`",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("stack" = String, Path, description = "The stack's name")),
    request_body = StackInput,
    responses((status = 200, description = "Deployed, or refused with the plan's problems", body = Outcome), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn deploy_stack(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
    input: Result<Json<StackInput>, JsonRejection>,
) -> Result<Json<Outcome>, ApiError> {
    let input = json_body(input)?;
    let request = app::audit_request(&input);
    deploy(
        &api,
        &principal,
        client,
        (&swarm, &stack),
        &input,
        ("stack.deploy", request),
    )
    .await
}

/// A deploy, audited under `action`: the same for a new file and for an earlier version.
async fn deploy(
    api: &Api,
    principal: &Principal,
    client: IpAddr,
    (swarm, stack): (&str, &str),
    input: &StackInput,
    (action, request): (&str, serde_json::Value),
) -> Result<Json<Outcome>, ApiError> {
    let result = audited(
        api,
        principal,
        client,
        (action, format!("{swarm}/{stack}")),
        request,
        api.fleet
            .deploy_stack(swarm, stack, input, (&principal.name, principal.role)),
    )
    .await?;
    Ok(Json(result.into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/swarms/{swarm}/stacks/{stack}/versions/{version}/deploy",
    tag = "stacks",
    summary = "Deploy a recorded version again",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("stack" = String, Path, description = "The stack's name"), ("version" = i64, Path, description = "The version's number")),
    responses((status = 200, description = "OK", body = Outcome), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn redeploy_version(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path((swarm, stack, version)): Path<(String, String, i64)>,
) -> Result<Json<Outcome>, ApiError> {
    let input = api
        .fleet
        .stack_version_input(&swarm, &stack, version)
        .await?;
    let mut request = app::audit_request(&input);
    request["version"] = json!(version);
    deploy(
        &api,
        &principal,
        client,
        (&swarm, &stack),
        &input,
        ("stack.redeploy", request),
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/api/v1/swarms/{swarm}/stacks/{stack}",
    tag = "stacks",
    summary = "Remove a stack, as `docker stack rm`",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("stack" = String, Path, description = "The stack's name")),
    responses((status = 200, description = "OK", body = Removed), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn remove_stack(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
) -> Result<Json<Removed>, ApiError> {
    let removed = audited(
        &api,
        &principal,
        client,
        ("stack.remove", format!("{swarm}/{stack}")),
        json!({}),
        api.fleet.remove_stack(&swarm, &stack),
    )
    .await?;
    Ok(Json(Removed { stack, removed }))
}

#[derive(Debug, Serialize, ToSchema)]
struct Removed {
    stack: String,
    /// What was removed: services, networks, configs and secrets (none on a retry).
    removed: Vec<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/swarms/{swarm}/stacks/{stack}/progress",
    tag = "stacks",
    summary = "Each service's tasks: how far the stack has converged",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("stack" = String, Path, description = "The stack's name")),
    responses((status = 200, description = "OK", body = Vec<ServiceProgress>), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn progress(
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
) -> Result<Json<Vec<ServiceProgress>>, ApiError> {
    Ok(Json(api.fleet.stack_progress(&swarm, &stack).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/swarms/{swarm}/stacks/{stack}/versions",
    tag = "stacks",
    summary = "The stack's recorded versions, newest first",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("stack" = String, Path, description = "The stack's name")),
    responses((status = 200, description = "OK", body = Vec<StackVersionInfo>), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn versions(
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
) -> Result<Json<Vec<StackVersionInfo>>, ApiError> {
    Ok(Json(api.fleet.stack_versions(&swarm, &stack).await?))
}
