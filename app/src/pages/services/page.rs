//! A service's own page: what its spec says, its tasks with their history, the operator's
//! actions (scale, redeploy, image, roll back), and its logs.

use flotilla_stack::{ServiceActionResult, ServiceDetail, TaskRow};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::logs::LogsPanel;
use crate::components::{DataTable, ErrorNotice, Loading};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    use flotilla_fleet::{Recording, ServiceAction, MAX_REPLICAS};
    use flotilla_stack::ServiceActionResult;

    pub use crate::auth::ssr::{authorize, Caller};
    use crate::error::AppError;

    /// Replicas as typed: a whole number from 0 to the maximum, or a clear refusal.
    pub fn parse_replicas(text: &str) -> Result<u64, AppError> {
        let text = text.trim();
        text.parse::<u64>()
            .ok()
            .filter(|n| *n <= MAX_REPLICAS)
            .ok_or_else(|| {
                AppError::invalid(
                    "replicas",
                    format!("`{text}` is not a whole number from 0 to {MAX_REPLICAS}"),
                )
            })
    }

    /// The audit target of an action on a service.
    fn target(swarm: &str, service: &str) -> String {
        format!("{swarm}/{service}")
    }

    fn recording(caller: &Caller, record: bool) -> Option<Recording<'_>> {
        record.then_some(Recording {
            by: &caller.principal.name,
            from: "in the console",
        })
    }

    /// Does `action` to `service` for `caller`, audited.
    pub async fn act(
        caller: &Caller,
        swarm: &str,
        service: &str,
        action: ServiceAction,
        record: bool,
    ) -> Result<ServiceActionResult, AppError> {
        let request = action.audit_request(record);
        caller
            .audited(
                action.audit_name(),
                &target(swarm, service),
                request,
                async {
                    caller
                        .fleet
                        .act_on_service(swarm, service, &action, recording(caller, record))
                        .await
                },
            )
            .await
    }
}

#[server(endpoint = "services/detail")]
pub async fn get_service(swarm: String, service: String) -> Result<ServiceDetail, AppError> {
    let caller = ssr::authorize::<GetService>().await?;
    // Variable values can be secrets: operators see them, viewers their names.
    let values = caller.principal.role.allows(flotilla_store::Role::Operator);
    Ok(caller
        .fleet
        .service_detail(&swarm, &service, values)
        .await?)
}

#[server(endpoint = "services/scale")]
pub async fn scale_service(
    swarm: String,
    service: String,
    replicas: String,
    record: bool,
) -> Result<ServiceActionResult, AppError> {
    let caller = ssr::authorize::<ScaleService>().await?;
    let replicas = ssr::parse_replicas(&replicas)?;
    let action = flotilla_fleet::ServiceAction::Scale { replicas };
    ssr::act(&caller, &swarm, &service, action, record).await
}

#[server(endpoint = "services/redeploy")]
pub async fn redeploy_service(
    swarm: String,
    service: String,
) -> Result<ServiceActionResult, AppError> {
    let caller = ssr::authorize::<RedeployService>().await?;
    let action = flotilla_fleet::ServiceAction::Redeploy;
    ssr::act(&caller, &swarm, &service, action, false).await
}

#[server(endpoint = "services/image")]
pub async fn update_service_image(
    swarm: String,
    service: String,
    image: String,
    record: bool,
) -> Result<ServiceActionResult, AppError> {
    let caller = ssr::authorize::<UpdateServiceImage>().await?;
    let image = image.trim().to_owned();
    let action = flotilla_fleet::ServiceAction::Image { image };
    ssr::act(&caller, &swarm, &service, action, record).await
}

#[server(endpoint = "services/rollback")]
pub async fn rollback_service(
    swarm: String,
    service: String,
) -> Result<ServiceActionResult, AppError> {
    let caller = ssr::authorize::<RollbackService>().await?;
    let action = flotilla_fleet::ServiceAction::Rollback;
    ssr::act(&caller, &swarm, &service, action, false).await
}

#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let names = move || {
        let params = params.read();
        (
            params.get("swarm").unwrap_or_default(),
            params.get("service").unwrap_or_default(),
        )
    };
    view! {
        {move || {
            let (swarm, service) = names();
            view! { <ServiceView swarm service/> }
        }}
    }
}

/// How often the page reads the service again while it is open.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(2);

#[component]
fn ServiceView(swarm: String, service: String) -> impl IntoView {
    let scale = ServerAction::<ScaleService>::new();
    let redeploy = ServerAction::<RedeployService>::new();
    let image = ServerAction::<UpdateServiceImage>::new();
    let rollback = ServerAction::<RollbackService>::new();
    let ticks = RwSignal::new(0u64);
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(move || ticks.update(|n| *n += 1), REFRESH);
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = REFRESH;
    let (swarm, service) = (StoredValue::new(swarm), StoredValue::new(service));
    let detail = Resource::new(
        move || {
            (
                ticks.get(),
                scale.version().get(),
                redeploy.version().get(),
                image.version().get(),
                rollback.version().get(),
            )
        },
        move |_| get_service(swarm.get_value(), service.get_value()),
    );
    let last_error = move || {
        [
            scale.value().get().and_then(Result::err),
            redeploy.value().get().and_then(Result::err),
            image.value().get().and_then(Result::err),
            rollback.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    let recorded = move || {
        [scale.value().get(), image.value().get()]
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .find_map(|r| r.recorded_version)
    };
    let back = format!("/swarms/{}", swarm.get_value());
    view! {
        <h1>"Service "<span id="service-name">{service.get_value()}</span>" on "<a href=back>{swarm.get_value()}</a></h1>
        {move || last_error().map(|error| view! { <ErrorNotice error id="action-error"/> })}
        {move || recorded().map(|v| view! {
            <p class="notice ok" id="recorded">{format!("Recorded in the stack file as version {v}.")}</p>
        })}
        <Loading text="Reading the service…" error_id="service-error">
            {move || Suspend::new(async move {
                let detail = detail.await?;
                Ok::<_, AppError>(view! {
                    <Summary detail=detail.clone() swarm=swarm.get_value()/>
                    <Actions detail=detail.clone() swarm=swarm.get_value() scale redeploy image rollback/>
                    <Tasks tasks=detail.tasks/>
                })
            })}
        </Loading>
        <crate::pages::metrics::MetricsPanel swarm=swarm.get_value() kind="service" name=service.get_value()/>
        <LogsPanel swarm=swarm.get_value() service=service.get_value()/>
        <crate::pages::webhooks::WebhooksPanel swarm=swarm.get_value() stack=String::new() service=service.get_value()/>
    }
}

#[component]
fn Summary(detail: ServiceDetail, swarm: String) -> impl IntoView {
    let row = detail.row.clone();
    let line = |items: &[String]| {
        if items.is_empty() {
            "—".to_owned()
        } else {
            items.join(", ")
        }
    };
    view! {
        <dl class="summary" id="service-summary" data-running=row.running.to_string() data-desired=row.desired.to_string()>
            <dt>"Stack"</dt><dd>{row.stack.clone().map(|stack| {
                let href = format!("/swarms/{swarm}/stacks/{stack}");
                view! { <a href=href id="service-stack">{stack}</a> }
            })}</dd>
            <dt>"Mode"</dt><dd id="service-mode">{row.mode.clone()}</dd>
            <dt>"Tasks"</dt><dd id="service-running">{format!("{} running of {}", row.running, row.desired)}</dd>
            <dt>"Image"</dt><dd id="service-image" title=row.digest.clone().unwrap_or_default()>{row.image.clone()}</dd>
            <dt>"Update"</dt><dd id="service-update" data-state=row.update.as_ref().map(|u| u.state.clone())>
                {row.update.as_ref().map(|u| format!("{}{}", u.label(), if u.message.is_empty() { String::new() } else { format!(": {}", u.message) }))}
            </dd>
            <dt>"Ports"</dt><dd>{line(&row.ports)}</dd>
            <dt>"Command"</dt><dd><code>{line(&detail.command)}</code></dd>
            <dt>"Environment"</dt><dd id="service-env">
                {detail.env.iter().map(|var| view! {
                    <code class="env" data-name=var.name.clone()>{match &var.value {
                        Some(value) => format!("{}={value}", var.name),
                        None => var.name.clone(),
                    }}</code>" "
                }).collect_view()}
            </dd>
            <dt>"Mounts"</dt><dd>{line(&detail.mounts)}</dd>
            <dt>"Networks"</dt><dd>{line(&detail.networks)}</dd>
            <dt>"Placement"</dt><dd>{line(&detail.constraints)}</dd>
            <dt>"Limits"</dt><dd>{line(&detail.limits)}</dd>
            <dt>"Reservations"</dt><dd>{line(&detail.reservations)}</dd>
            <dt>"Updates"</dt><dd>{line(&detail.update_config)}</dd>
            <dt>"Rollbacks"</dt><dd>{line(&detail.rollback_config)}</dd>
            <dt>"Health check"</dt><dd>{detail.healthcheck.clone().unwrap_or_else(|| "—".into())}</dd>
        </dl>
    }
}

#[component]
fn Actions(
    detail: ServiceDetail,
    swarm: String,
    scale: ServerAction<ScaleService>,
    redeploy: ServerAction<RedeployService>,
    image: ServerAction<UpdateServiceImage>,
    rollback: ServerAction<RollbackService>,
) -> impl IntoView {
    let row = detail.row;
    let (swarm, service) = (StoredValue::new(swarm), StoredValue::new(row.name.clone()));
    let replicated = row.mode == "replicated";
    let in_stack = row.stack.is_some();
    let record = RwSignal::new(true);
    let wanted = RwSignal::new(row.desired.to_string());
    let busy = move || {
        scale.pending().get()
            || redeploy.pending().get()
            || image.pending().get()
            || rollback.pending().get()
    };
    let scale_to = move |replicas: String| {
        scale.dispatch(ScaleService {
            swarm: swarm.get_value(),
            service: service.get_value(),
            replicas,
            record: in_stack && record.get_untracked(),
        });
    };
    let desired = row.desired;
    let new_image = RwSignal::new(row.image.clone());
    view! {
        <h2>"Actions"</h2>
        <div class="actions service-actions">
            {replicated.then(|| view! {
                <button class="secondary" id="scale-down" disabled=move || busy() || desired == 0
                    on:click=move |_| scale_to(desired.saturating_sub(1).to_string())>"−"</button>
                <input type="text" id="replicas" class="replicas" inputmode="numeric" bind:value=wanted/>
                <button class="secondary" id="scale-up" disabled=busy
                    on:click=move |_| scale_to((desired + 1).to_string())>"+"</button>
                <button id="scale" disabled=busy on:click=move |_| scale_to(wanted.get_untracked())>"Scale"</button>
            })}
            <button class="secondary" id="redeploy-service" disabled=busy on:click=move |_| {
                redeploy.dispatch(RedeployService { swarm: swarm.get_value(), service: service.get_value() });
            }>"Redeploy"</button>
            {detail.can_roll_back.then(|| view! {
                <button class="secondary" id="rollback-service" disabled=busy on:click=move |_| {
                    rollback.dispatch(RollbackService { swarm: swarm.get_value(), service: service.get_value() });
                }>"Roll back"</button>
            })}
        </div>
        <div class="actions">
            <input type="text" id="new-image" class="image-input" bind:value=new_image/>
            <button class="secondary" id="update-image" disabled=busy on:click=move |_| {
                image.dispatch(UpdateServiceImage {
                    swarm: swarm.get_value(),
                    service: service.get_value(),
                    image: new_image.get_untracked(),
                    record: in_stack && record.get_untracked(),
                });
            }>"Update image"</button>
        </div>
        {in_stack.then(|| view! {
            <label class="inline">
                <input type="checkbox" id="record" prop:checked=move || record.get()
                    on:change=move |ev| record.set(event_target_checked(&ev))/>
                " Record scales and image updates in the stack file (a new version)"
            </label>
        })}
    }
}

#[component]
fn Tasks(tasks: Vec<TaskRow>) -> impl IntoView {
    view! {
        <h2>"Tasks"</h2>
        <DataTable id="service-tasks" headers=&["Task", "Node", "State", "Desired", "Error", "Exit", "Image", "Changed"]>
            {tasks.into_iter().map(|task| {
                let name = task.slot.map_or_else(|| task.id.chars().take(12).collect(), |slot| format!("{slot} ({})", task.id.chars().take(8).collect::<String>()));
                view! {
                    <tr class="task-row" class:history=!task.current data-state=task.state.clone()
                        data-current=task.current.to_string() data-node=task.node.clone() data-image=task.image.clone()>
                        <td>{name}</td>
                        <td>{task.node.clone()}</td>
                        <td>{task.state.clone()}</td>
                        <td>{task.desired_state.clone()}</td>
                        <td class="task-error">{task.error.clone()}</td>
                        <td>{task.exit_code.map(|c| c.to_string())}</td>
                        <td>{task.image.split('@').next().unwrap_or_default().to_owned()}</td>
                        <td>{task.changed_at.chars().take(19).collect::<String>().replace('T', " ")}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}
