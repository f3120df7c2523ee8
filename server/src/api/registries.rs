//! `/api/v1/registries…` (admins: registries hold credentials that reach every private
//! image) and `/api/v1/swarms/{swarm}/stacks/{stack}/push-redeploy` (which services follow
//! their tags). `{registry}` is the address as image names start: `10.0.0.5:5000`.

use app::auth::ssr::{ClientAddr, Principal};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::routing::{get, post, put, MethodRouter};
use axum::{Extension, Json};
use flotilla_fleet::{PushSettings, RegistrySummary};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::ErrorBody;
use super::{audited, json_body, Api, ApiError};
use utoipa::ToSchema;

/// These routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, save, remove, rotate_hook, push_settings, set_push_redeploy))]
pub(super) struct Doc;

pub(super) fn endpoints() -> Vec<(Method, &'static str, MethodRouter<Api>)> {
    vec![
        (Method::GET, "/registries", get(list)),
        (Method::PUT, "/registries/{registry}", put(save)),
        (
            Method::DELETE,
            "/registries/{registry}",
            axum::routing::delete(remove),
        ),
        (
            Method::POST,
            "/registries/{registry}/hook",
            post(rotate_hook),
        ),
        (
            Method::GET,
            "/swarms/{swarm}/stacks/{stack}/push-redeploy",
            get(push_settings),
        ),
        (
            Method::PUT,
            "/swarms/{swarm}/stacks/{stack}/push-redeploy",
            put(set_push_redeploy),
        ),
    ]
}

#[utoipa::path(
    get,
    path = "/api/v1/registries",
    tag = "registries",
    summary = "The registries with saved credentials (never the secret)",
    responses((status = 200, description = "OK", body = Vec<RegistrySummary>), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn list(State(api): State<Api>) -> Result<Json<Vec<RegistrySummary>>, ApiError> {
    Ok(Json(api.fleet.registries().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Credentials {
    username: String,
    /// A password or an access token; never shown back.
    password: String,
}

#[utoipa::path(
    put,
    path = "/api/v1/registries/{registry}",
    tag = "registries",
    summary = "Save a registry's credentials, checked by a login first",
    params(("registry" = String, Path, description = "The registry's address, e.g. `10.0.0.1:5000`")),
    request_body = Credentials,
    responses((status = 200, description = "OK", body = RegistrySummary), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn save(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path(registry): Path<String>,
    body: Result<Json<Credentials>, JsonRejection>,
) -> Result<Json<RegistrySummary>, ApiError> {
    let credentials = json_body(body)?;
    let saved = audited(
        &api,
        &principal,
        client,
        ("registry.save", registry.clone()),
        json!({ "username": credentials.username }),
        api.fleet
            .save_registry(&registry, &credentials.username, &credentials.password),
    )
    .await?;
    Ok(Json(saved))
}

#[utoipa::path(
    delete,
    path = "/api/v1/registries/{registry}",
    tag = "registries",
    summary = "Forget a registry's credentials",
    params(("registry" = String, Path, description = "The registry's address, e.g. `10.0.0.1:5000`")),
    responses((status = 204, description = "Removed"), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn remove(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path(registry): Path<String>,
) -> Result<StatusCode, ApiError> {
    audited(
        &api,
        &principal,
        client,
        ("registry.remove", registry.clone()),
        json!({}),
        api.fleet.remove_registry(&registry),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new notification token (shown this once), and the path the registry is to post to.
#[utoipa::path(
    post,
    path = "/api/v1/registries/{registry}/hook",
    tag = "registries",
    summary = "A new push-notification token for the registry, shown once",
    params(("registry" = String, Path, description = "The registry's address, e.g. `10.0.0.1:5000`")),
    responses((status = 200, description = "OK", body = HookToken), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn rotate_hook(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path(registry): Path<String>,
) -> Result<Json<HookToken>, ApiError> {
    let token = audited(
        &api,
        &principal,
        client,
        ("registry.hook", registry.clone()),
        json!({}),
        api.fleet.rotate_registry_hook(&registry),
    )
    .await?;
    Ok(Json(HookToken {
        path: format!("/hooks/registry/{token}"),
        registry,
        token,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
struct HookToken {
    registry: String,
    /// Shown this once; only its hash is kept.
    token: String,
    /// Where the registry posts its notifications, on this console.
    path: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/swarms/{swarm}/stacks/{stack}/push-redeploy",
    tag = "registries",
    summary = "Which of the stack's services redeploy when their tag is pushed",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("stack" = String, Path, description = "The stack's name")),
    responses((status = 200, description = "OK", body = PushSettings), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn push_settings(
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
) -> Result<Json<PushSettings>, ApiError> {
    Ok(Json(api.fleet.push_settings(&swarm, &stack).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PushSwitch {
    /// The service's name in the stack file; none for the whole stack.
    #[serde(default)]
    service: Option<String>,
    on: bool,
}

#[utoipa::path(
    put,
    path = "/api/v1/swarms/{swarm}/stacks/{stack}/push-redeploy",
    tag = "registries",
    summary = "Turn redeploy-on-push on or off for a service or the whole stack",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("stack" = String, Path, description = "The stack's name")),
    request_body = PushSwitch,
    responses((status = 200, description = "OK", body = PushSettings), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn set_push_redeploy(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
    body: Result<Json<PushSwitch>, JsonRejection>,
) -> Result<Json<PushSettings>, ApiError> {
    let switch = json_body(body)?;
    let settings = audited(
        &api,
        &principal,
        client,
        ("stack.push-redeploy", format!("{swarm}/{stack}")),
        json!({ "service": switch.service, "on": switch.on }),
        api.fleet.set_push_redeploy(
            &swarm,
            (&stack, switch.service.as_deref()),
            switch.on,
            &principal.name,
        ),
    )
    .await?;
    Ok(Json(settings))
}
