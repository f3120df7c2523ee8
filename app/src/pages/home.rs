//! The home page: the swarm behind the configured engine, node by node, with the tasks on each.

use leptos::prelude::*;

use crate::overview::{task_matches, NodeView, OverviewState, SwarmOverview, TaskView};

#[cfg(feature = "ssr")]
mod ssr {
    use std::sync::Arc;

    use leptos::prelude::*;

    pub use crate::engine::Engine;

    pub fn engine() -> Result<Arc<Engine>, ServerFnError> {
        use_context::<Arc<Engine>>()
            .ok_or_else(|| ServerFnError::new("the server was started without an engine"))
    }
}

/// Reads the swarm from the engine. Expected trouble (engine down, not a manager, no swarm)
/// is a state the page explains, not an error.
#[server(endpoint = "swarm/overview")]
pub async fn get_overview() -> Result<OverviewState, ServerFnError> {
    use flotilla_engine::{EngineError, LocalSwarmState};
    use flotilla_store::Role;

    use self::ssr::*;

    crate::auth::ssr::require(Role::Viewer).await?;
    let engine = engine()?;
    let endpoint = engine.endpoint().to_string();
    // Engines answer "not a swarm manager" both outside a swarm and on a worker, so ask
    // the engine where it stands before asking for the swarm.
    let connected = async {
        let client = engine.client().await?;
        Ok::<_, EngineError>((client, client.engine_info().await?))
    };
    let (client, info) = match connected.await {
        Ok(connected) => connected,
        Err(err) => {
            return Ok(OverviewState::Unreachable {
                endpoint,
                message: err.to_string(),
            })
        }
    };
    if !info.is_manager {
        return Ok(match info.swarm_state {
            LocalSwarmState::Inactive => OverviewState::NotInSwarm {
                endpoint,
                engine_version: info.engine_version,
            },
            _ => OverviewState::Worker { endpoint },
        });
    }
    let loaded = async {
        let swarm = client.inspect_swarm().await?;
        let (nodes, services, tasks) = tokio::try_join!(
            client.list_nodes(),
            client.list_services(),
            client.list_current_tasks()
        )?;
        Ok::<_, EngineError>(SwarmOverview::assemble(
            endpoint.clone(),
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
        Err(err) if err.is_unreachable() => Ok(OverviewState::Unreachable {
            endpoint,
            message: err.to_string(),
        }),
        Err(err) => {
            tracing::warn!(%err, "reading the swarm failed");
            Err(ServerFnError::new(err))
        }
    }
}

/// `docker swarm init` on the console's engine, advertising `advertise_addr`.
#[server(endpoint = "swarm/init")]
pub async fn init_swarm(advertise_addr: String) -> Result<String, ServerFnError> {
    use flotilla_engine::SwarmInit;
    use flotilla_store::Role;

    use self::ssr::*;

    let principal = crate::auth::ssr::require(Role::Admin).await?;
    let address: std::net::IpAddr = advertise_addr.trim().parse().map_err(|_| {
        crate::auth::ssr::bad_input(format!(
            "advertise address: `{}` is not an IP address (for example 192.168.1.10)",
            advertise_addr.trim()
        ))
    })?;
    let engine = engine()?;
    let client = engine.client().await.map_err(ServerFnError::new)?;
    let listen_addr = match address {
        std::net::IpAddr::V4(v4) => format!("{v4}:2377"),
        std::net::IpAddr::V6(v6) => format!("[{v6}]:2377"),
    };
    let init = SwarmInit {
        advertise_addr: address.to_string(),
        listen_addr,
    };
    let request = serde_json::json!({
        "advertise_addr": init.advertise_addr,
        "listen_addr": init.listen_addr,
    });
    let node_id = crate::auth::ssr::audited(
        &principal,
        "swarm.init",
        &engine.endpoint().to_string(),
        request,
        async {
            client
                .init_swarm(&init)
                .await
                .map_err(|err| err.to_string())
        },
    )
    .await?;
    tracing::info!(%node_id, %address, "initialised a swarm");
    Ok(node_id)
}

#[component]
pub fn HomePage() -> impl IntoView {
    let init = ServerAction::<InitSwarm>::new();
    let refreshes = RwSignal::new(0u32);
    let overview = Resource::new(
        move || (init.version().get(), refreshes.get()),
        |_| get_overview(),
    );
    view! {
        <Transition fallback=|| view! { <p class="notice">"Reading the swarm…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(OverviewState::Ready(swarm)) => {
                        view! { <SwarmPanel swarm refreshes/> }.into_any()
                    }
                    Ok(OverviewState::NotInSwarm { endpoint, engine_version }) => {
                        view! { <InitSwarmPanel endpoint engine_version init/> }.into_any()
                    }
                    Ok(OverviewState::Worker { endpoint }) => view! {
                        <p class="notice warn" id="engine-message">
                            "The Docker engine at " {endpoint}
                            " is a swarm worker. Point Flotilla at a manager (DOCKER_HOST) to see the swarm."
                        </p>
                    }
                    .into_any(),
                    Ok(OverviewState::Unreachable { message, .. }) => view! {
                        <p class="notice error" id="engine-message">{message}</p>
                        <button on:click=move |_| refreshes.update(|n| *n += 1)>"Try again"</button>
                    }
                    .into_any(),
                    Err(err) => view! {
                        <p class="notice error" id="engine-message">{err.to_string()}</p>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn InitSwarmPanel(
    endpoint: String,
    engine_version: String,
    init: ServerAction<InitSwarm>,
) -> impl IntoView {
    view! {
        <section class="panel">
            <p class="notice warn" id="engine-message">
                "The Docker engine at " {endpoint} " (Docker " {engine_version} ") is not part of a swarm."
            </p>
            <ActionForm action=init attr:class="init-swarm">
                <label>
                    "Advertise address "
                    <input type="text" name="advertise_addr" value="127.0.0.1" required/>
                </label>
                <button type="submit">"Initialise a swarm"</button>
            </ActionForm>
            {move || {
                init.value()
                    .get()
                    .and_then(Result::err)
                    .map(|err| view! { <p class="notice error" id="init-error">{err.to_string()}</p> })
            }}
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
            <crate::pages::login::LogoutButton/>
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
