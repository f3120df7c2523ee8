//! One swarm's page: its nodes with the tasks on each, the nodes table, its stacks, and the
//! admin panels (see [`super::swarm_admin`]). The swarm's name is in the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::nodes::NodesTable;
use super::services::ServicesPanel;
use super::stacks::StacksPanel;
use super::swarm_admin::{AddHostPanel, DeployPolicyPanel, DissolvePanel, TokensPanel};
use super::visualizer::Visualizer;
use crate::components::ErrorNotice;
use crate::error::AppError;
use crate::overview::{OverviewState, SwarmHeadline};

/// The swarm as its live state has it (see `flotilla_fleet::LiveWatch`). An unreachable swarm
/// is a state the page explains, not an error.
#[server(endpoint = "swarm/overview")]
pub async fn get_overview(swarm: String) -> Result<OverviewState, AppError> {
    let caller = crate::auth::ssr::authorize::<GetOverview>().await?;
    let record = caller.fleet.swarm(&swarm).await?;
    let state = caller.fleet.watch_swarm(&swarm).await?.snapshot();
    Ok(match &state.stale {
        Some(stale) => OverviewState::Unreachable {
            swarm,
            message: format!(
                "engine unreachable since {}: {}",
                crate::views::utc_time(stale.since),
                stale.reason
            ),
        },
        None => OverviewState::Ready(SwarmHeadline::from_live(record.id, &state)),
    })
}

#[component]
pub fn SwarmPage() -> impl IntoView {
    let params = use_params_map();
    let swarm = move || params.read().get("swarm").unwrap_or_default();
    view! {
        {move || {
            let name = swarm();
            view! { <SwarmView swarm=name/> }
        }}
    }
}

#[component]
fn SwarmView(swarm: String) -> impl IntoView {
    let changes = RwSignal::new(0u32);
    let overview = {
        let swarm = swarm.clone();
        Resource::new(move || changes.get(), move |_| get_overview(swarm.clone()))
    };
    view! {
        <h1>"Swarm "<span id="swarm-name">{swarm.clone()}</span></h1>
        <Transition fallback=|| view! { <p class="notice">"Reading the swarm…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(OverviewState::Ready(swarm)) => {
                        view! { <SwarmPanel swarm refreshes=changes/> }.into_any()
                    }
                    Ok(OverviewState::Unreachable { message, .. }) => view! {
                        <p class="notice error" id="engine-message">{message}</p>
                        <button on:click=move |_| changes.update(|n| *n += 1)>"Try again"</button>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error id="engine-message"/> }.into_any(),
                }
            })}
        </Transition>
        <Visualizer swarm=swarm.clone()/>
        <NodesTable swarm=swarm.clone() changes/>
        <StacksPanel swarm=swarm.clone() changes/>
        <ServicesPanel swarm=swarm.clone() path=format!("/swarms/{swarm}") changes/>
        <AddHostPanel swarm=swarm.clone() changes/>
        <TokensPanel swarm=swarm.clone()/>
        <DeployPolicyPanel swarm=swarm.clone()/>
        <DissolvePanel swarm/>
    }
}

#[component]
fn SwarmPanel(swarm: SwarmHeadline, refreshes: RwSignal<u32>) -> impl IntoView {
    view! {
        <section class="swarm-summary" id="swarm">
            <div><span class="label">"Swarm"</span><code id="swarm-id">{swarm.swarm_id.clone()}</code></div>
            <div><span class="label">"Managers"</span><strong id="manager-count">{swarm.managers}</strong></div>
            <div><span class="label">"Workers"</span><strong id="worker-count">{swarm.workers}</strong></div>
            <div><span class="label">"Engine"</span>{swarm.endpoint.clone()}" · API "{swarm.api_version.clone()}</div>
            <button class="refresh" on:click=move |_| refreshes.update(|n| *n += 1)>"Refresh"</button>
        </section>
    }
}
