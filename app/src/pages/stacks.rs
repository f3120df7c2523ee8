//! Stacks: the list on a swarm's page, and a stack's own page with its services' progress,
//! its history (diff, redeploy any version) and removal. Deploying goes through the editor.

use flotilla_stack::{ServiceProgress, StackPlan, StackSummary, StackVersionInfo};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::stack_editor::StackEditor;

#[server(endpoint = "stacks/list")]
pub async fn list_stacks(swarm: String) -> Result<Vec<StackSummary>, ServerFnError> {
    use crate::auth::ssr::{fleet, fleet_error, require};
    require(flotilla_store::Role::Viewer).await?;
    fleet()?.stacks(&swarm).await.map_err(fleet_error)
}

/// `input` is the JSON body the API takes: `{"compose", "env", "files", "prune"}`.
#[server(endpoint = "stacks/plan")]
pub async fn plan_stack(
    swarm: String,
    stack: String,
    input: String,
) -> Result<StackPlan, ServerFnError> {
    use crate::auth::ssr::{bad_input, fleet, fleet_error, require};
    // A plan shows the running specs, environment values included: operators only.
    require(flotilla_store::Role::Operator).await?;
    let input = serde_json::from_str(&input).map_err(|e| bad_input(format!("input: {e}")))?;
    fleet()?
        .plan_stack(&swarm, &stack, &input)
        .await
        .map_err(fleet_error)
}

#[server(endpoint = "stacks/deploy")]
pub async fn deploy_stack(
    swarm: String,
    stack: String,
    input: String,
) -> Result<StackPlan, ServerFnError> {
    use crate::auth::ssr::{audited_fleet, bad_input, fleet, require};
    let principal = require(flotilla_store::Role::Operator).await?;
    let input: flotilla_stack::StackInput =
        serde_json::from_str(&input).map_err(|e| bad_input(format!("input: {e}")))?;
    let fleet = fleet()?;
    let request = serde_json::json!({
        "compose_bytes": input.compose.len(),
        "env": input.env.keys().collect::<Vec<_>>(),
        "files": input.files.keys().collect::<Vec<_>>(),
        "prune": input.prune,
    });
    audited_fleet(
        &principal,
        "stack.deploy",
        &format!("{swarm}/{stack}"),
        request,
        fleet.deploy_stack(&swarm, &stack, &input, &principal.name),
    )
    .await
}

#[server(endpoint = "stacks/progress")]
pub async fn stack_progress(
    swarm: String,
    stack: String,
) -> Result<Vec<ServiceProgress>, ServerFnError> {
    use crate::auth::ssr::{fleet, fleet_error, require};
    require(flotilla_store::Role::Viewer).await?;
    fleet()?
        .stack_progress(&swarm, &stack)
        .await
        .map_err(fleet_error)
}

#[server(endpoint = "stacks/networks")]
pub async fn stack_networks(
    swarm: String,
    stack: String,
) -> Result<Vec<flotilla_stack::StackNetwork>, ServerFnError> {
    use crate::auth::ssr::{fleet, fleet_error, require};
    require(flotilla_store::Role::Viewer).await?;
    fleet()?
        .stack_networks(&swarm, &stack)
        .await
        .map_err(fleet_error)
}

#[server(endpoint = "stacks/versions")]
pub async fn stack_versions(
    swarm: String,
    stack: String,
) -> Result<Vec<StackVersionInfo>, ServerFnError> {
    use crate::auth::ssr::{fleet, fleet_error, require};
    require(flotilla_store::Role::Viewer).await?;
    fleet()?
        .stack_versions(&swarm, &stack)
        .await
        .map_err(fleet_error)
}

#[server(endpoint = "stacks/diff")]
pub async fn diff_versions(
    swarm: String,
    stack: String,
    from: i64,
    to: i64,
) -> Result<String, ServerFnError> {
    use crate::auth::ssr::{fleet, fleet_error, require};
    require(flotilla_store::Role::Viewer).await?;
    fleet()?
        .diff_stack_versions(&swarm, &stack, from, to)
        .await
        .map_err(fleet_error)
}

/// A version's whole input (variables and files included) for the editor: operators only.
#[server(endpoint = "stacks/source")]
pub async fn stack_source(
    swarm: String,
    stack: String,
    version: i64,
) -> Result<flotilla_stack::StackInput, ServerFnError> {
    use crate::auth::ssr::{fleet, fleet_error, require};
    require(flotilla_store::Role::Operator).await?;
    fleet()?
        .stack_version_input(&swarm, &stack, version)
        .await
        .map_err(fleet_error)
}

#[server(endpoint = "stacks/redeploy")]
pub async fn redeploy_version(
    swarm: String,
    stack: String,
    version: i64,
) -> Result<StackPlan, ServerFnError> {
    use crate::auth::ssr::{audited_fleet, fleet, fleet_error, require};
    let principal = require(flotilla_store::Role::Operator).await?;
    let fleet = fleet()?;
    let input = fleet
        .stack_version_input(&swarm, &stack, version)
        .await
        .map_err(fleet_error)?;
    audited_fleet(
        &principal,
        "stack.redeploy",
        &format!("{swarm}/{stack}"),
        serde_json::json!({ "version": version }),
        fleet.deploy_stack(&swarm, &stack, &input, &principal.name),
    )
    .await
}

/// Removes the stack; `confirm` must repeat its name.
#[server(endpoint = "stacks/remove")]
pub async fn remove_stack(
    swarm: String,
    stack: String,
    confirm: String,
) -> Result<Vec<String>, ServerFnError> {
    use crate::auth::ssr::{audited_fleet, bad_input, fleet, require};
    let principal = require(flotilla_store::Role::Operator).await?;
    if confirm != stack {
        return Err(bad_input(format!(
            "confirm: type the stack's name, {stack}, to remove it"
        )));
    }
    let fleet = fleet()?;
    audited_fleet(
        &principal,
        "stack.remove",
        &format!("{swarm}/{stack}"),
        serde_json::json!({}),
        fleet.remove_stack(&swarm, &stack),
    )
    .await
}

/// The swarm page's list of stacks, CLI-made ones included.
#[component]
pub fn StacksPanel(swarm: String, changes: RwSignal<u32>) -> impl IntoView {
    let stacks = {
        let swarm = swarm.clone();
        Resource::new(move || changes.get(), move |_| list_stacks(swarm.clone()))
    };
    let new_href = format!("/swarms/{swarm}/stacks/new");
    view! {
        <h2>"Stacks"</h2>
        <p class="actions"><a class="button" id="new-stack" href=new_href>"Deploy a stack"</a></p>
        <Transition fallback=|| ()>
            {move || {
                let swarm = swarm.clone();
                Suspend::new(async move {
                    match stacks.await {
                        Ok(stacks) if stacks.is_empty() => {
                            view! { <p class="notice" id="no-stacks">"No stacks yet."</p> }.into_any()
                        }
                        Ok(stacks) => view! {
                            <table id="stacks">
                                <thead><tr><th>"Stack"</th><th>"Services"</th></tr></thead>
                                <tbody>
                                    {stacks.into_iter().map(|s| {
                                        let href = format!("/swarms/{swarm}/stacks/{}", s.name);
                                        view! {
                                            <tr class="stack-row" data-stack=s.name.clone()>
                                                <td><a href=href>{s.name.clone()}</a></td>
                                                <td>{s.services.join(", ")}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
pub fn NewStackPage() -> impl IntoView {
    let params = use_params_map();
    let swarm = move || params.read().get("swarm").unwrap_or_default();
    view! {
        {move || {
            let swarm = swarm();
            let back = format!("/swarms/{swarm}");
            view! {
                <h1>"Deploy a stack to "<a href=back>{swarm.clone()}</a></h1>
                <StackEditor swarm stack=None initial=None/>
            }
        }}
    }
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
        <ProgressTable swarm=swarm.clone() stack=stack.clone() changes/>
        <NetworksTable swarm=swarm.clone() stack=stack.clone() changes/>
        <History swarm=swarm.clone() stack=stack.clone() changes/>
        <EditPanel swarm=swarm.clone() stack=stack.clone()/>
        <RemovePanel swarm stack/>
    }
}

/// Each service against its current spec, refreshed every second.
#[component]
pub fn ProgressTable(swarm: String, stack: String, changes: RwSignal<u32>) -> impl IntoView {
    let progress = RwSignal::new(None::<Result<Vec<ServiceProgress>, String>>);
    let load = move || {
        let (swarm, stack) = (swarm.clone(), stack.clone());
        leptos::task::spawn_local(async move {
            progress.set(Some(
                stack_progress(swarm, stack)
                    .await
                    .map_err(|e| e.to_string()),
            ));
        });
    };
    Effect::new({
        let load = load.clone();
        move |_| {
            changes.track();
            load();
        }
    });
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(load, std::time::Duration::from_secs(1));
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    }
    view! {
        <h2>"Services"</h2>
        {move || progress.get().map(|loaded| match loaded {
            Ok(services) => view! { <ProgressRows services/> }.into_any(),
            Err(err) => view! { <p class="notice error">{err}</p> }.into_any(),
        })}
    }
}

#[component]
pub fn ProgressRows(services: Vec<ServiceProgress>) -> impl IntoView {
    let converged = !services.is_empty() && services.iter().all(ServiceProgress::converged);
    view! {
        <table id="progress" data-converged=converged.to_string()>
            <thead><tr><th>"Service"</th><th>"Running"</th><th>"Desired"</th><th>"Errors"</th><th>"Tasks"</th></tr></thead>
            <tbody>
                {services.into_iter().map(|s| {
                    let desired = if s.global {
                        format!("{} (global)", s.desired)
                    } else {
                        s.desired.to_string()
                    };
                    view! {
                        <tr class="progress-row" data-service=s.service.clone()
                            data-running=s.running.to_string() data-desired=s.desired.to_string()
                            data-converged=s.converged().to_string()>
                            <td>{s.service.clone()}</td>
                            <td>{s.running}</td>
                            <td>{desired}</td>
                            <td class="task-error">{s.errors.join("; ")}</td>
                            <td>
                                <ul class="tasks">
                                    {s.tasks.iter().map(|t| {
                                        let slot = t.slot.map_or(String::new(), |n| format!("{n} "));
                                        let error = (!t.error.is_empty()).then(|| format!(" ({})", t.error));
                                        view! {
                                            <li class="task" data-node=t.node.clone() data-state=t.state.clone()>
                                                {format!("{slot}on {}: {}", t.node, t.state)}{error}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
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
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match networks.await {
                    Ok(networks) => view! {
                        <table id="networks">
                            <thead><tr><th>"Network"</th><th>"Driver"</th><th>"Scope"</th></tr></thead>
                            <tbody>
                                {networks.into_iter().map(|n| view! {
                                    <tr class="network-row" data-name=n.name.clone()>
                                        <td>{n.name.clone()}</td><td>{n.driver}</td><td>{n.scope}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn History(swarm: String, stack: String, changes: RwSignal<u32>) -> impl IntoView {
    let versions = {
        let (swarm, stack) = (swarm.clone(), stack.clone());
        Resource::new(
            move || changes.get(),
            move |_| stack_versions(swarm.clone(), stack.clone()),
        )
    };
    let diff = RwSignal::new(None::<Result<String, String>>);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let show_diff = {
        let (swarm, stack) = (swarm.clone(), stack.clone());
        move |from: i64, to: i64| {
            let (swarm, stack) = (swarm.clone(), stack.clone());
            leptos::task::spawn_local(async move {
                diff.set(Some(
                    diff_versions(swarm, stack, from, to)
                        .await
                        .map_err(|e| e.to_string()),
                ));
            });
        }
    };
    let busy = RwSignal::new(false);
    let redeploy = {
        let (swarm, stack) = (swarm.clone(), stack.clone());
        move |version: i64| {
            // One redeploy at a time: a double click must not deploy twice.
            if busy.get_untracked() {
                return;
            }
            busy.set(true);
            let (swarm, stack) = (swarm.clone(), stack.clone());
            leptos::task::spawn_local(async move {
                let result = redeploy_version(swarm, stack, version).await;
                outcome.set(Some(
                    result
                        .map(|p| {
                            format!(
                                "Version {version} deployed again as version {}.",
                                p.version.unwrap_or_default()
                            )
                        })
                        .map_err(|e| e.to_string()),
                ));
                busy.set(false);
                changes.update(|n| *n += 1);
            });
        }
    };
    view! {
        <h2>"History"</h2>
        {move || outcome.get().map(|o| match o {
            Ok(text) => view! { <p class="notice" id="redeploy-done">{text}</p> }.into_any(),
            Err(err) => view! { <p class="notice error" id="redeploy-error">{err}</p> }.into_any(),
        })}
        <Transition fallback=|| ()>
            {move || {
                let (show_diff, redeploy) = (show_diff.clone(), redeploy.clone());
                Suspend::new(async move {
                    let versions = match versions.await {
                        Ok(versions) => versions,
                        Err(err) => return view! { <p class="notice error">{err.to_string()}</p> }.into_any(),
                    };
                    if versions.is_empty() {
                        return view! { <p class="notice" id="no-versions">"Deployed outside Flotilla: no versions recorded yet."</p> }.into_any();
                    }
                    view! {
                        <table id="versions">
                            <thead><tr><th>"Version"</th><th>"By"</th><th>"When"</th><th>"Variables and files"</th><th></th></tr></thead>
                            <tbody>
                                {versions.into_iter().map(|v| {
                                    let (show_diff, redeploy) = (show_diff.clone(), redeploy.clone());
                                    let version = v.version;
                                    let attached = v.env_names.iter().chain(v.file_names.iter()).cloned().collect::<Vec<_>>().join(", ");
                                    view! {
                                        <tr class="version-row" data-version=version.to_string()>
                                            <td>{version}</td>
                                            <td>{v.deployed_by.clone()}</td>
                                            <td class="when" data-millis=v.deployed_at.to_string()>{crate::views::utc_time(v.deployed_at)}</td>
                                            <td>{attached}</td>
                                            <td class="actions">
                                                {(version > 1).then(|| view! {
                                                    <button class="secondary diff" data-version=version.to_string()
                                                        on:click=move |_| show_diff(version - 1, version)>"Diff with previous"</button>
                                                })}
                                                <button class="secondary redeploy" data-version=version.to_string()
                                                    disabled=move || busy.get()
                                                    on:click=move |_| redeploy(version)>"Redeploy"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                })
            }}
        </Transition>
        {move || diff.get().map(|d| match d {
            Ok(text) => view! { <pre id="version-diff">{text}</pre> }.into_any(),
            Err(err) => view! { <p class="notice error">{err}</p> }.into_any(),
        })}
    }
}

/// The editor, filled with the latest version (variables and files included).
#[component]
fn EditPanel(swarm: String, stack: String) -> impl IntoView {
    let source = RwSignal::new(None::<Result<flotilla_stack::StackInput, String>>);
    let open = {
        let (swarm, stack) = (swarm.clone(), stack.clone());
        move |_| {
            let (swarm, stack) = (swarm.clone(), stack.clone());
            leptos::task::spawn_local(async move {
                let latest = stack_versions(swarm.clone(), stack.clone())
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|v| {
                        v.first()
                            .map(|v| v.version)
                            .ok_or_else(|| "no version recorded: paste the compose file".to_owned())
                    });
                let loaded = match latest {
                    Ok(version) => stack_source(swarm, stack, version)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(err) => Err(err),
                };
                source.set(Some(loaded));
            });
        }
    };
    view! {
        <h2>"Change"</h2>
        <p class="actions"><button class="secondary" id="edit-stack" on:click=open>"Edit and redeploy"</button></p>
        {move || source.get().map(|loaded| match loaded {
            Ok(initial) => view! {
                <StackEditor swarm=swarm.clone() stack=Some(stack.clone()) initial=Some(initial)/>
            }.into_any(),
            // A stack the CLI deployed has no recorded version: start from an empty editor.
            Err(err) if err.contains("no version recorded") => view! {
                <p class="notice">{err}</p>
                <StackEditor swarm=swarm.clone() stack=Some(stack.clone()) initial=None/>
            }.into_any(),
            Err(err) => view! { <p class="notice error" id="edit-error">{err}</p> }.into_any(),
        })}
    }
}

#[component]
fn RemovePanel(swarm: String, stack: String) -> impl IntoView {
    let confirm = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<Vec<String>, String>>);
    let remove = {
        let (swarm, stack) = (swarm.clone(), stack.clone());
        move |_| {
            let (swarm, stack) = (swarm.clone(), stack.clone());
            let typed = confirm.get_untracked();
            leptos::task::spawn_local(async move {
                result.set(Some(
                    remove_stack(swarm, stack, typed)
                        .await
                        .map_err(|e| e.to_string()),
                ));
            });
        }
    };
    view! {
        <h2>"Remove"</h2>
        <p>"Removes the stack's services, networks, secrets and configs, as "<code>"docker stack rm"</code>" does. Type its name to confirm."</p>
        <p class="actions">
            <input id="remove-confirm" placeholder=stack.clone() prop:value=move || confirm.get()
                on:input=move |ev| confirm.set(event_target_value(&ev))/>
            <button class="danger" id="remove-stack" on:click=remove>"Remove stack"</button>
        </p>
        {move || result.get().map(|r| match r {
            Ok(removed) => view! { <p class="notice" id="remove-done">{format!("Removed {}.", removed.join(", "))}</p> }.into_any(),
            Err(err) => view! { <p class="notice error" id="remove-error">{err}</p> }.into_any(),
        })}
    }
}
