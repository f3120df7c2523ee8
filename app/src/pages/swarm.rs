//! One swarm's page: its nodes with the tasks on each, the nodes table with its actions,
//! adding hosts, join tokens, and dissolving it. The swarm's name is in the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::hosts::list_hosts;
use super::nodes::NodesTable;
use super::stacks::StacksPanel;
use super::swarms::JoinSwarm;
use crate::overview::{task_matches, NodeView, OverviewState, SwarmOverview, TaskView};

/// Reads the swarm through one of its managers. An unreachable swarm is a state the page
/// explains, not an error.
#[server(endpoint = "swarm/overview")]
pub async fn get_overview(swarm: String) -> Result<OverviewState, ServerFnError> {
    use flotilla_fleet::FleetError;

    use crate::auth::ssr::{fleet, fleet_error, require};

    require(flotilla_store::Role::Viewer).await?;
    let fleet = fleet()?;
    let record = fleet.swarm(&swarm).await.map_err(fleet_error)?;
    let loaded = async {
        let client = fleet.manager(&record).await?;
        let endpoint = client.endpoint().to_owned();
        let swarm = client.inspect_swarm().await?;
        let (nodes, services, tasks) = tokio::try_join!(
            client.list_nodes(),
            client.list_services(),
            client.list_current_tasks()
        )?;
        Ok::<_, FleetError>(SwarmOverview::assemble(
            endpoint,
            client.api_version(),
            swarm,
            nodes,
            services,
            tasks,
        ))
    }
    .await;
    match loaded {
        Ok(overview) => Ok(OverviewState::Ready(overview)),
        // No manager answering is a state of the swarm, not a failure of the page.
        Err(err @ (FleetError::Engine(_) | FleetError::Conflict(_))) => {
            Ok(OverviewState::Unreachable {
                swarm: record.name,
                message: err.to_string(),
            })
        }
        Err(err) => Err(fleet_error(err)),
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TokensView {
    pub worker: String,
    pub manager: String,
}

/// `docker swarm join-token`: admins only, since a token admits a machine to the swarm.
#[server(endpoint = "swarm/tokens")]
pub async fn join_tokens(swarm: String) -> Result<TokensView, ServerFnError> {
    use crate::auth::ssr::{fleet, fleet_error, require};
    require(flotilla_store::Role::Admin).await?;
    let tokens = fleet()?.join_tokens(&swarm).await.map_err(fleet_error)?;
    Ok(TokensView {
        worker: tokens.worker,
        manager: tokens.manager,
    })
}

#[server(endpoint = "swarm/rotate")]
pub async fn rotate_token(swarm: String, kind: String) -> Result<TokensView, ServerFnError> {
    use crate::auth::ssr::{audited_fleet, bad_input, fleet, require};
    use flotilla_engine::TokenKind;
    let principal = require(flotilla_store::Role::Admin).await?;
    let which = match kind.as_str() {
        "worker" => TokenKind::Worker,
        "manager" => TokenKind::Manager,
        other => {
            return Err(bad_input(format!(
                "kind: `{other}` is not worker or manager"
            )))
        }
    };
    let fleet = fleet()?;
    let request = serde_json::json!({ "kind": kind });
    let tokens = audited_fleet(&principal, "swarm.rotate-token", &swarm, request, async {
        fleet.rotate_join_token(&swarm, which).await
    })
    .await?;
    Ok(TokensView {
        worker: tokens.worker,
        manager: tokens.manager,
    })
}

/// Every registered host leaves the swarm, then the console forgets it.
#[server(endpoint = "swarm/dissolve")]
pub async fn dissolve_swarm(swarm: String, confirm: String) -> Result<(), ServerFnError> {
    use crate::auth::ssr::{audited_fleet, fleet, require};
    let principal = require(flotilla_store::Role::Admin).await?;
    let fleet = fleet()?;
    audited_fleet(
        &principal,
        "swarm.dissolve",
        &swarm,
        serde_json::json!({}),
        async { fleet.dissolve_swarm(&swarm, confirm.trim()).await },
    )
    .await
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
                    Err(err) => view! {
                        <p class="notice error" id="engine-message">{err.to_string()}</p>
                    }
                    .into_any(),
                }
            })}
        </Transition>
        <NodesTable swarm=swarm.clone() changes/>
        <StacksPanel swarm=swarm.clone() changes/>
        <AddHostPanel swarm=swarm.clone() changes/>
        <TokensPanel swarm=swarm.clone()/>
        <DissolvePanel swarm/>
    }
}

#[component]
fn AddHostPanel(swarm: String, changes: RwSignal<u32>) -> impl IntoView {
    let join = ServerAction::<JoinSwarm>::new();
    let hosts = Resource::new(move || join.version().get(), |_| list_hosts());
    Effect::new(move |_| {
        if join.value().get().is_some_and(|r| r.is_ok()) {
            changes.update(|n| *n += 1);
        }
    });
    view! {
        <h2>"Add a host"</h2>
        <Transition fallback=|| ()>
            {move || {
                let swarm = swarm.clone();
                Suspend::new(async move {
                    let free: Vec<_> = hosts.await.unwrap_or_default().into_iter().filter(|h| h.is_free()).collect();
                    if free.is_empty() {
                        return view! { <p class="hint" id="no-free-hosts">"Every registered host is in a swarm. "<a href="/hosts">"Register another"</a>"."</p> }.into_any();
                    }
                    view! {
                        <ActionForm action=join attr:id="add-host-form" attr:class="inline">
                            <input type="hidden" name="swarm" value=swarm.clone()/>
                            <select name="host">
                                {free.into_iter().map(|h| view! { <option value=h.name.clone()>{h.name.clone()}</option> }).collect_view()}
                            </select>
                            <select name="role">
                                <option value="worker">"as worker"</option>
                                <option value="manager">"as manager"</option>
                            </select>
                            <input type="text" name="advertise_addr" placeholder="advertise address (blank: engine picks)"/>
                            <button type="submit">"Join"</button>
                        </ActionForm>
                    }.into_any()
                })
            }}
        </Transition>
        {move || join.value().get().and_then(Result::err).map(|err| view! {
            <p class="notice error" id="join-error">{err.to_string()}</p>
        })}
    }
}

#[component]
fn TokensPanel(swarm: String) -> impl IntoView {
    let shown = RwSignal::new(None::<Result<TokensView, String>>);
    let show = {
        let swarm = swarm.clone();
        move |_| {
            let swarm = swarm.clone();
            leptos::task::spawn_local(async move {
                shown.set(Some(join_tokens(swarm).await.map_err(|e| e.to_string())));
            });
        }
    };
    let rotate = move |kind: &'static str| {
        let swarm = swarm.clone();
        move |_| {
            let swarm = swarm.clone();
            leptos::task::spawn_local(async move {
                shown.set(Some(
                    rotate_token(swarm, kind.into())
                        .await
                        .map_err(|e| e.to_string()),
                ));
            });
        }
    };
    view! {
        <h2>"Join tokens"</h2>
        <p class="actions">
            <button class="secondary" id="show-tokens" on:click=show>"Show join tokens"</button>
            <button class="secondary" id="rotate-worker" on:click=rotate("worker")>"Rotate worker token"</button>
            <button class="secondary" id="rotate-manager" on:click=rotate("manager")>"Rotate manager token"</button>
        </p>
        {move || shown.get().map(|tokens| match tokens {
            Ok(tokens) => view! {
                <dl class="tokens" id="tokens">
                    <dt>"Worker"</dt><dd><code id="worker-token">{tokens.worker}</code></dd>
                    <dt>"Manager"</dt><dd><code id="manager-token">{tokens.manager}</code></dd>
                </dl>
            }.into_any(),
            Err(err) => view! { <p class="notice error" id="tokens-error">{err}</p> }.into_any(),
        })}
    }
}

#[component]
fn DissolvePanel(swarm: String) -> impl IntoView {
    let confirm = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<(), String>>);
    let matches = {
        let swarm = swarm.clone();
        move || confirm.get() == swarm
    };
    let dissolve = {
        let swarm = swarm.clone();
        move |_| {
            let swarm = swarm.clone();
            let typed = confirm.get_untracked();
            leptos::task::spawn_local(async move {
                result.set(Some(
                    dissolve_swarm(swarm, typed)
                        .await
                        .map_err(|e| e.to_string()),
                ));
            });
        }
    };
    view! {
        <section class="danger-zone">
            <h2>"Dissolve this swarm"</h2>
            <p>"Every registered host leaves the swarm; its services and their tasks stop. Type "
                <code>{swarm.clone()}</code>" to confirm."</p>
            <input type="text" id="dissolve-confirm" bind:value=confirm/>
            <button class="danger" id="dissolve" on:click=dissolve disabled=move || !matches()>"Dissolve"</button>
            {move || result.get().map(|r| match r {
                Ok(()) => view! { <p class="notice" id="dissolve-result">"Dissolved. "<a href="/">"Back to swarms"</a></p> }.into_any(),
                Err(err) => view! { <p class="notice error" id="dissolve-result">{err}</p> }.into_any(),
            })}
        </section>
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
                <ul>{swarm.unplaced.into_iter().map(|task| view! { <TaskRow task visible=Signal::stored(true)/> }).collect_view()}</ul>
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
                <span class=format!("state state-{}", node.state)>{node.state.clone()}</span>
            </header>
            <dl>
                <dt>"Role"</dt><dd class="role">{role}</dd>
                <dt>"Availability"</dt><dd>{node.availability.clone()}</dd>
                <dt>"Engine"</dt><dd>{node.engine_version.clone()}</dd>
                <dt>"Address"</dt><dd>{node.address.clone()}</dd>
            </dl>
            <ul class="tasks">
                {node.tasks.iter().cloned().map(|task| {
                    let (node, shown_task) = (matcher.clone(), task.clone());
                    let visible = Signal::derive(move || task_matches(&node, &shown_task, &query.get()));
                    view! { <TaskRow task visible/> }
                }).collect_view()}
            </ul>
        </article>
    }
}

#[component]
fn TaskRow(task: TaskView, visible: Signal<bool>) -> impl IntoView {
    view! {
        <li class=format!("task task-{}", task.state) class:hidden=move || !visible.get() data-service=task.service.clone()>
            <span class="task-name">{task.name()}</span>
            <span class="task-image">{task.image.clone()}</span>
            <span class="task-state">{task.state.clone()}</span>
            {task.error.clone().map(|err| view! { <span class="task-error">{err}</span> })}
        </li>
    }
}
