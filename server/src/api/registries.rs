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
use serde::Deserialize;
use serde_json::json;

use super::{audited, json_body, Api, ApiError};

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

async fn list(State(api): State<Api>) -> Result<Json<Vec<RegistrySummary>>, ApiError> {
    Ok(Json(api.fleet.registries().await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    username: String,
    /// A password or an access token; never shown back.
    password: String,
}

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
async fn rotate_hook(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path(registry): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let token = audited(
        &api,
        &principal,
        client,
        ("registry.hook", registry.clone()),
        json!({}),
        api.fleet.rotate_registry_hook(&registry),
    )
    .await?;
    Ok(Json(json!({
        "registry": registry,
        "token": token,
        "path": format!("/hooks/registry/{token}"),
    })))
}

async fn push_settings(
    State(api): State<Api>,
    Path((swarm, stack)): Path<(String, String)>,
) -> Result<Json<PushSettings>, ApiError> {
    Ok(Json(api.fleet.push_settings(&swarm, &stack).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PushSwitch {
    /// The service's name in the stack file; none for the whole stack.
    #[serde(default)]
    service: Option<String>,
    on: bool,
}

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
