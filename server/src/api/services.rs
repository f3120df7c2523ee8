//! `/api/v1/swarms/{swarm}/services…`: list, inspect, scale, redeploy, change the image of,
//! roll back, and follow the logs of services. `{service}` is a service's full name or ID,
//! as the docker CLI takes it.

use std::convert::Infallible;
use std::net::IpAddr;
use std::time::Duration;

use app::auth::ssr::{ClientAddr, Principal};
use app::error::AppError;
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Extension, Json};
use flotilla_fleet::{LogRequest, Recording, ServiceAction, MAX_REPLICAS};
use flotilla_stack::{
    ServiceActionResult, ServiceDetail, ServicePage, ServiceQuery, SortKey, TaskRow,
};
use flotilla_store::Role;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

use super::ErrorBody;
use super::{audited, json_body, Api, ApiError};
use utoipa::{IntoParams, ToSchema};

/// These routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, detail, tasks, scale, redeploy, image, rollback, logs))]
pub(super) struct Doc;

pub(super) fn endpoints() -> Vec<(Method, &'static str, MethodRouter<Api>)> {
    const SERVICE: &str = "/swarms/{swarm}/services/{service}";
    vec![
        (Method::GET, "/swarms/{swarm}/services", get(list)),
        (Method::GET, SERVICE, get(detail)),
        (
            Method::GET,
            "/swarms/{swarm}/services/{service}/tasks",
            get(tasks),
        ),
        (
            Method::POST,
            "/swarms/{swarm}/services/{service}/scale",
            post(scale),
        ),
        (
            Method::POST,
            "/swarms/{swarm}/services/{service}/redeploy",
            post(redeploy),
        ),
        (
            Method::POST,
            "/swarms/{swarm}/services/{service}/image",
            post(image),
        ),
        (
            Method::POST,
            "/swarms/{swarm}/services/{service}/rollback",
            post(rollback),
        ),
        (
            Method::GET,
            "/swarms/{swarm}/services/{service}/logs",
            get(logs),
        ),
    ]
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    #[serde(default)]
    q: String,
    stack: Option<String>,
    sort: Option<String>,
    #[serde(default)]
    desc: bool,
    /// From 1.
    page: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/swarms/{swarm}/services",
    tag = "services",
    summary = "The swarm's services, filtered, sorted and a page at a time",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ListParams),
    responses((status = 200, description = "OK", body = ServicePage), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn list(
    State(api): State<Api>,
    Path(swarm): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Json<ServicePage>, ApiError> {
    let sort = match params.sort.as_deref() {
        None => SortKey::Name,
        Some(text) => SortKey::parse(text).ok_or_else(|| {
            ApiError(AppError::invalid(
                "sort",
                format!("`{text}` is not one of name, stack, mode, running, image, updated"),
            ))
        })?,
    };
    let query = ServiceQuery {
        filter: params.q,
        stack: params.stack,
        sort,
        descending: params.desc,
        page: params.page.unwrap_or(1).saturating_sub(1),
    };
    Ok(Json(api.fleet.services(&swarm, &query).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/swarms/{swarm}/services/{service}",
    tag = "services",
    summary = "One service: spec, update state, tasks; variable values for operators",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("service" = String, Path, description = "The service's name or ID")),
    responses((status = 200, description = "OK", body = ServiceDetail), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn detail(
    Extension(principal): Extension<Principal>,
    State(api): State<Api>,
    Path((swarm, service)): Path<(String, String)>,
) -> Result<Json<ServiceDetail>, ApiError> {
    // Variable values can be secrets: operators see them, viewers their names.
    let values = principal.role.allows(Role::Operator);
    Ok(Json(
        api.fleet.service_detail(&swarm, &service, values).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/swarms/{swarm}/services/{service}/tasks",
    tag = "services",
    summary = "The service's tasks, as `docker service ps`",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("service" = String, Path, description = "The service's name or ID")),
    responses((status = 200, description = "OK", body = Vec<TaskRow>), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn tasks(
    State(api): State<Api>,
    Path((swarm, service)): Path<(String, String)>,
) -> Result<Json<Vec<TaskRow>>, ApiError> {
    Ok(Json(
        api.fleet
            .service_detail(&swarm, &service, false)
            .await?
            .tasks,
    ))
}

fn default_record() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ScaleRequest {
    #[schema(value_type = u64, maximum = 10000)]
    replicas: Value,
    #[serde(default = "default_record")]
    record: bool,
}

/// Replicas as sent: a whole number from 0 to the maximum, nothing else.
fn replicas(value: &Value) -> Result<u64, ApiError> {
    value
        .as_u64()
        .filter(|n| *n <= MAX_REPLICAS)
        .ok_or_else(|| {
            ApiError(AppError::invalid(
                "replicas",
                format!("{value} is not a whole number from 0 to {MAX_REPLICAS}"),
            ))
        })
}

/// Does `action` to `service` for `principal`, audited.
async fn act(
    api: &Api,
    (principal, client): (&Principal, IpAddr),
    (swarm, service): (&str, &str),
    action: ServiceAction,
    record: bool,
) -> Result<Json<ServiceActionResult>, ApiError> {
    let recording = record.then_some(Recording {
        by: &principal.name,
        from: "through the API",
    });
    let result = audited(
        api,
        principal,
        client,
        (action.audit_name(), format!("{swarm}/{service}")),
        action.audit_request(record),
        api.fleet.act_on_service(swarm, service, &action, recording),
    )
    .await?;
    Ok(Json(result))
}

#[utoipa::path(
    post,
    path = "/api/v1/swarms/{swarm}/services/{service}/scale",
    tag = "services",
    summary = "Scale to a number of replicas, written into the stack file unless `record` is false",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("service" = String, Path, description = "The service's name or ID")),
    request_body = ScaleRequest,
    responses((status = 200, description = "OK", body = ServiceActionResult), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn scale(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path((swarm, service)): Path<(String, String)>,
    body: Result<Json<ScaleRequest>, JsonRejection>,
) -> Result<Json<ServiceActionResult>, ApiError> {
    let request = json_body(body)?;
    let action = ServiceAction::Scale {
        replicas: replicas(&request.replicas)?,
    };
    act(
        &api,
        (&principal, client),
        (&swarm, &service),
        action,
        request.record,
    )
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/swarms/{swarm}/services/{service}/redeploy",
    tag = "services",
    summary = "New tasks from the same spec (`docker service update --force`)",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("service" = String, Path, description = "The service's name or ID")),
    responses((status = 200, description = "OK", body = ServiceActionResult), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn redeploy(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path((swarm, service)): Path<(String, String)>,
) -> Result<Json<ServiceActionResult>, ApiError> {
    let action = ServiceAction::Redeploy;
    act(
        &api,
        (&principal, client),
        (&swarm, &service),
        action,
        false,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ImageRequest {
    image: String,
    #[serde(default = "default_record")]
    record: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/swarms/{swarm}/services/{service}/image",
    tag = "services",
    summary = "Switch the image, written into the stack file unless `record` is false",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("service" = String, Path, description = "The service's name or ID")),
    request_body = ImageRequest,
    responses((status = 200, description = "OK", body = ServiceActionResult), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn image(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path((swarm, service)): Path<(String, String)>,
    body: Result<Json<ImageRequest>, JsonRejection>,
) -> Result<Json<ServiceActionResult>, ApiError> {
    let request = json_body(body)?;
    let action = ServiceAction::Image {
        image: request.image.trim().to_owned(),
    };
    act(
        &api,
        (&principal, client),
        (&swarm, &service),
        action,
        request.record,
    )
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/swarms/{swarm}/services/{service}/rollback",
    tag = "services",
    summary = "Back to the spec before the last update (`docker service rollback`)",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("service" = String, Path, description = "The service's name or ID")),
    responses((status = 200, description = "OK", body = ServiceActionResult), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn rollback(
    Extension(principal): Extension<Principal>,
    Extension(ClientAddr(client)): Extension<ClientAddr>,
    State(api): State<Api>,
    Path((swarm, service)): Path<(String, String)>,
) -> Result<Json<ServiceActionResult>, ApiError> {
    let action = ServiceAction::Rollback;
    act(
        &api,
        (&principal, client),
        (&swarm, &service),
        action,
        false,
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogParams {
    #[serde(default)]
    follow: bool,
    tail: Option<u32>,
    /// Unix seconds, or an age: `10m`, `1h`, `2d`.
    since: Option<String>,
    #[serde(default)]
    timestamps: bool,
    /// One task of the service (its ID or a prefix).
    task: Option<String>,
}

/// `since` as unix seconds.
fn since(text: &str) -> Result<i64, ApiError> {
    let bad = || {
        ApiError(AppError::invalid(
            "since",
            format!("`{text}` is not unix seconds or an age like 10m, 1h, 2d"),
        ))
    };
    if let Ok(at) = text.parse::<i64>() {
        return Ok(at);
    }
    let unit = text.chars().last().ok_or_else(bad)?;
    let number: i64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    number
        .checked_mul(scale)
        .and_then(|seconds| (flotilla_store::now_millis() / 1000).checked_sub(seconds))
        .ok_or_else(bad)
}

#[utoipa::path(
    get,
    path = "/api/v1/swarms/{swarm}/services/{service}/logs",
    tag = "services",
    summary = "The service's logs: text, or server-sent events when following",
    params(("swarm" = String, Path, description = "The swarm's name or ID"), ("service" = String, Path, description = "The service's name or ID"), LogParams),
    responses((status = 200, description = "One line per log line (`text/plain`), or `text/event-stream` with `follow=true`", content_type = "text/plain", body = String), (status = "4XX", description = "Refused: `{\"error\": {code, message, field, details}}`", body = ErrorBody))
)]
async fn logs(
    Extension(principal): Extension<Principal>,
    State(api): State<Api>,
    Path((swarm, service)): Path<(String, String)>,
    Query(params): Query<LogParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let request = LogRequest {
        follow: params.follow,
        tail: params.tail,
        since: params.since.as_deref().map(since).transpose()?,
        timestamps: params.timestamps,
    };
    let place = api.log_streams.open(&principal.name)?;
    let lines = api
        .fleet
        .service_logs(&swarm, &service, params.task.as_deref(), &request)
        .await?;
    // The place is held as long as the stream is, and freed when the client goes.
    let lines = lines.map(move |line| {
        let _held = &place;
        match line {
            Ok(line) => json!({
                "stderr": line.stderr,
                "timestamp": line.timestamp,
                "task": line.task_id.map(|id| id.chars().take(12).collect::<String>()),
                "text": line.text,
            }),
            Err(err) => json!({ "stderr": true, "timestamp": null, "task": null, "text": format!("(log stream ended: {err})") }),
        }
    });
    let wants_events = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    if wants_events {
        let events = lines.map(|line| Ok::<_, Infallible>(Event::default().data(line.to_string())));
        // Frequent keep-alives let a closed page be noticed, and its engine stream closed,
        // within a second.
        return Ok(Sse::new(events)
            .keep_alive(KeepAlive::new().interval(Duration::from_millis(500)))
            .into_response());
    }
    /// What the plain stream carries: a line, a keep-alive, or the end of the lines.
    enum Item {
        Line(Value),
        Tick,
        End,
    }
    let ticks = futures::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        Some((Item::Tick, ()))
    });
    let lines = lines
        .map(Item::Line)
        .chain(futures::stream::once(async { Item::End }));
    let body = futures::stream::select(lines, ticks)
        .take_while(|item| std::future::ready(!matches!(item, Item::End)))
        .map(|item| {
            Ok::<_, Infallible>(match item {
                Item::Line(line) => format!("{line}\n"),
                _ => "\n".to_owned(),
            })
        });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(body),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_must_be_a_sane_whole_number() {
        assert_eq!(replicas(&json!(5)).ok(), Some(5));
        for bad in [
            json!(-1),
            json!("5"),
            json!(2.5),
            json!(MAX_REPLICAS + 1),
            json!(null),
        ] {
            assert!(replicas(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn since_takes_seconds_or_an_age_and_nothing_else() {
        let now = flotilla_store::now_millis() / 1000;
        assert_eq!(since("1700000000").ok(), Some(1_700_000_000));
        assert!((since("10m").unwrap() - (now - 600)).abs() <= 1);
        for bad in ["", "m", "1é", "é", "10x", "-", "99999999999999999d", "1.5h"] {
            assert!(since(bad).is_err(), "{bad}");
        }
    }
}
