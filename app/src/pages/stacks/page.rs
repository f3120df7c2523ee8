//! A stack's own page: its services' progress, its networks, its history, the editor to
//! change it, and removal.

use flotilla_stack::{Drift, StackNetwork};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::editor::EditPanel;
use super::history::History;
use super::progress::ProgressTable;
use super::remove::RemovePanel;
use crate::components::{DataTable, Loading};
use crate::error::AppError;
use crate::pages::services::ServicesPanel;

#[server(endpoint = "stacks/networks")]
pub async fn stack_networks(swarm: String, stack: String) -> Result<Vec<StackNetwork>, AppError> {
    let caller = crate::auth::ssr::authorize::<StackNetworks>().await?;
    Ok(caller.fleet.stack_networks(&swarm, &stack).await?)
}

/// The stack's services whose running spec differs from its newest version.
#[server(endpoint = "stacks/drift")]
pub async fn stack_drift(swarm: String, stack: String) -> Result<Vec<Drift>, AppError> {
    let caller = crate::auth::ssr::authorize::<StackDrift>().await?;
    Ok(caller.fleet.stack_drift(&swarm, &stack).await?)
}

#[component]
pub fn StackPage() -> impl IntoView {
    let params = use_params_map();
    let names = move || {
        let params = params.read();
        (
            params.get("swarm").unwrap_or_default(),
            params.get("stack").unwrap_or_default(),
        )
    };
    view! {
        {move || {
            let (swarm, stack) = names();
            view! { <StackView swarm stack/> }
        }}
    }
}

#[component]
fn StackView(swarm: String, stack: String) -> impl IntoView {
    let changes = RwSignal::new(0u32);
    let back = format!("/swarms/{swarm}");
    view! {
        <h1>"Stack "<span id="stack-name">{stack.clone()}</span>" on "<a href=back>{swarm.clone()}</a></h1>
        <super::interrupted::InterruptedNotice swarm=swarm.clone() stack=stack.clone() changes/>
        <ProgressTable swarm=swarm.clone() stack=stack.clone() changes/>
        <DriftPanel swarm=swarm.clone() stack=stack.clone() changes/>
        <ServicesPanel swarm=swarm.clone() stack=stack.clone()
            path=format!("/swarms/{swarm}/stacks/{stack}") changes/>
        <super::images::ImagesPanel swarm=swarm.clone() stack=stack.clone() changes/>
        <NetworksTable swarm=swarm.clone() stack=stack.clone() changes/>
        <History swarm=swarm.clone() stack=stack.clone() changes/>
        <crate::pages::webhooks::WebhooksPanel swarm=swarm.clone() stack=stack.clone() service=String::new()/>
        <EditPanel swarm=swarm.clone() stack=stack.clone()/>
        <RemovePanel swarm stack/>
    }
}

#[component]
fn NetworksTable(swarm: String, stack: String, changes: RwSignal<u32>) -> impl IntoView {
    let networks = Resource::new(
        move || changes.get(),
        move |_| stack_networks(swarm.clone(), stack.clone()),
    );
    view! {
        <h2>"Networks"</h2>
        <Loading>
            {move || Suspend::new(async move {
                let networks = networks.await?;
                Ok::<_, AppError>(view! {
                    <DataTable id="networks" headers=&["Network", "Driver", "Scope"]>
                        {networks.into_iter().map(|n| view! {
                            <tr class="network-row" data-name=n.name.clone()>
                                <td>{n.name.clone()}</td><td>{n.driver}</td><td>{n.scope}</td>
                            </tr>
                        }).collect_view()}
                    </DataTable>
                })
            })}
        </Loading>
    }
}

/// Where the swarm no longer runs what the newest version says, and who changed it last.
#[component]
fn DriftPanel(swarm: String, stack: String, changes: RwSignal<u32>) -> impl IntoView {
    let drift = Resource::new(
        move || changes.get(),
        move |_| stack_drift(swarm.clone(), stack.clone()),
    );
    view! {
        <Loading>
            {move || Suspend::new(async move {
                let drifts = drift.await?;
                Ok::<_, AppError>((!drifts.is_empty()).then(|| view! {
                    <section class="notice warn" id="drift">
                        <strong>"Not as the newest version says:"</strong>
                        <ul>
                            {drifts.into_iter().map(|d| {
                                let fields = d.fields.iter().map(|f| format!("{} {} on the swarm, {} in version {}", field_name(&f.path), shown(&f.before), shown(&f.after), d.version)).collect::<Vec<_>>().join("; ");
                                view! { <li class="drift" data-service=d.service.clone()>{format!("{}: {fields} — {}", d.service, cause(&d))}</li> }
                            }).collect_view()}
                        </ul>
                        <p class="hint">"Redeploying the newest version puts these back as the file says."</p>
                    </section>
                }))
            })}
        </Loading>
    }
}

/// What a deploy would undo: each drifted field, from the swarm's value to the deploy's.
#[component]
pub(super) fn UndoneDrift(drifts: Vec<Drift>) -> impl IntoView {
    view! {
        <ul class="undone">
            {drifts.into_iter().map(|d| {
                let fields = d.fields.iter().map(|f| format!("{} {} → {}", field_name(&f.path), shown(&f.before), shown(&f.after))).collect::<Vec<_>>().join("; ");
                view! { <li class="undone-drift" data-service=d.service.clone()>{format!("{}: {fields} ({})", d.service, cause(&d))}</li> }
            }).collect_view()}
        </ul>
    }
}

fn shown(value: &Option<serde_json::Value>) -> String {
    value.as_ref().map_or("—".to_owned(), |v| v.to_string())
}

/// The spec fields people scale and update by their everyday names; the rest by path.
fn field_name(path: &str) -> &str {
    match path {
        "Mode.Replicated.Replicas" => "replicas",
        "TaskTemplate.ContainerSpec.Image" => "image",
        "TaskTemplate.ForceUpdate" => "forced updates",
        other => other,
    }
}

/// Who changed the service and how, as far as the console knows.
fn cause(drift: &Drift) -> String {
    let Some(change) = &drift.last_change else {
        return "changed outside Flotilla".to_owned();
    };
    let what = match change.action.as_str() {
        "service.scale" => "scaled",
        "service.image" => "image changed",
        "service.redeploy" => "redeployed",
        "service.rollback" => "rolled back",
        other => other,
    };
    format!(
        "{what} by {} in the console at {}",
        change.actor,
        crate::views::utc_time(change.at)
    )
}
