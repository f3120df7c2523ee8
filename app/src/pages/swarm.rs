//! One swarm's page: its nodes with the tasks on each, the nodes table, its stacks, and the
//! admin panels (see [`super::swarm_admin`]). The swarm's name is in the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::nodes::NodesTable;
use super::services::ServicesPanel;
use super::stacks::StacksPanel;
use super::swarm_admin::{AddHostPanel, DeployPolicyPanel, DissolvePanel, TokensPanel};
use crate::components::ErrorNotice;
use crate::error::AppError;
use crate::overview::{task_matches, NodeView, OverviewState, SwarmOverview, TaskView};

/// Reads the swarm through one of its managers. An unreachable swarm is a state the page
/// explains, not an error.
#[server(endpoint = "swarm/overview")]
pub async fn get_overview(swarm: String) -> Result<OverviewState, AppError> {
    let caller = crate::auth::ssr::authorize::<GetOverview>().await?;
    match caller.fleet.swarm_state(&swarm).await {
        Ok(state) => Ok(OverviewState::Ready(SwarmOverview::assemble(state))),
        Err(err) if err.is_swarm_unreachable() => Ok(OverviewState::Unreachable {
            swarm,
            message: err.to_string(),
        }),
        Err(err) => Err(err.into()),
    }
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
fn SwarmPanel(swarm: SwarmOverview, refreshes: RwSignal<u32>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let total = swarm.nodes.iter().map(|n| n.tasks.len()).sum::<usize>();
    let nodes = swarm.nodes.clone();
    let shown = move || {
        let query = query.get();
        nodes
            .iter()
            .flat_map(|node| node.tasks.iter().map(move |task| (node, task)))
            .filter(|(node, task)| task_matches(node, task, &query))
            .count()
    };
    view! {
        <section class="swarm-summary" id="swarm">
            <div><span class="label">"Swarm"</span><code id="swarm-id">{swarm.swarm_id.clone()}</code></div>
            <div><span class="label">"Managers"</span><strong id="manager-count">{swarm.managers}</strong></div>
            <div><span class="label">"Workers"</span><strong id="worker-count">{swarm.workers}</strong></div>
            <div><span class="label">"Engine"</span>{swarm.endpoint.clone()}" · API "{swarm.api_version.clone()}</div>
            <button class="refresh" on:click=move |_| refreshes.update(|n| *n += 1)>"Refresh"</button>
        </section>
        <div class="toolbar">
            <input
                type="search"
                id="task-filter"
                placeholder="Filter by node, service, image or state"
                bind:value=query
            />
            <span id="task-count">{move || format!("{} of {total} tasks", shown())}</span>
        </div>
        <section class="nodes">
            {swarm.nodes.into_iter().map(|node| view! { <NodeCard node query/> }).collect_view()}
        </section>
        {(!swarm.unplaced.is_empty()).then(|| view! {
            <section class="unplaced">
                <h2>"Not yet placed"</h2>
                <ul class="task-cards">{swarm.unplaced.into_iter().map(|task| view! { <TaskCard task visible=Signal::stored(true)/> }).collect_view()}</ul>
            </section>
        })}
    }
}

#[component]
fn NodeCard(node: NodeView, query: RwSignal<String>) -> impl IntoView {
    let matcher = node.clone();
    let card_matcher = node.clone();
    let card_visible = move || {
        let query = query.get();
        query.trim().is_empty()
            || card_matcher
                .hostname
                .to_lowercase()
                .contains(&query.trim().to_lowercase())
            || card_matcher
                .tasks
                .iter()
                .any(|t| task_matches(&card_matcher, t, &query))
    };
    let role = match &node.manager_status {
        Some(status) => format!("{} · {status}", node.role),
        None => node.role.clone(),
    };
    view! {
        <article class="node" data-hostname=node.hostname.clone() class:hidden=move || !card_visible()>
            <header>
                <h2 class="hostname">{node.hostname.clone()}</h2>
                <span class=format!("pill state-{}", node.state)>{node.state.clone()}</span>
            </header>
            <dl>
                <dt>"Role"</dt><dd class="role">{role}</dd>
                <dt>"Availability"</dt><dd>{node.availability.clone()}</dd>
                <dt>"Engine"</dt><dd>{node.engine_version.clone()}</dd>
                <dt>"Address"</dt><dd>{node.address.clone()}</dd>
            </dl>
            <ul class="task-cards">
                {node.tasks.iter().cloned().map(|task| {
                    let (node, shown_task) = (matcher.clone(), task.clone());
                    let visible = Signal::derive(move || task_matches(&node, &shown_task, &query.get()));
                    view! { <TaskCard task visible/> }
                }).collect_view()}
            </ul>
        </article>
    }
}

#[component]
fn TaskCard(task: TaskView, visible: Signal<bool>) -> impl IntoView {
    view! {
        <li class=format!("task-card task-{}", task.state) class:hidden=move || !visible.get() data-service=task.service.clone()>
            <span class="task-name">{task.name()}</span>
            <span class="task-image">{task.image.clone()}</span>
            <span class="task-state">{task.state.clone()}</span>
            {task.error.clone().map(|err| view! { <span class="task-card-error">{err}</span> })}
        </li>
    }
}
