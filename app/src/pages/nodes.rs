//! A swarm's nodes: the `docker node ls` table, with promote/demote, availability, labels
//! and removal.

use leptos::prelude::*;

use crate::views::NodeRow;

#[cfg(feature = "ssr")]
mod ssr {
    use flotilla_engine::{ManagerReachability, NodeAvailability, NodeRole, NodeState};
    use flotilla_fleet::NodeEntry;

    use crate::views::{human_bytes, NodeRow};

    pub fn node_row(entry: NodeEntry) -> NodeRow {
        let node = entry.node;
        NodeRow {
            id: node.id,
            hostname: node.hostname,
            role: match node.role {
                NodeRole::Manager => "manager",
                NodeRole::Worker => "worker",
            }
            .into(),
            manager_status: node.manager_status.map(|status| {
                match status {
                    ManagerReachability::Leader => "leader",
                    ManagerReachability::Reachable => "reachable",
                    ManagerReachability::Unreachable => "unreachable",
                    ManagerReachability::Unknown => "unknown",
                }
                .into()
            }),
            availability: match node.availability {
                NodeAvailability::Active => "active",
                NodeAvailability::Pause => "pause",
                NodeAvailability::Drain => "drain",
            }
            .into(),
            state: match node.state {
                NodeState::Ready => "ready",
                NodeState::Down => "down",
                NodeState::Disconnected => "disconnected",
                NodeState::Unknown => "unknown",
            }
            .into(),
            engine_version: node.engine_version,
            cpus: node.cpus,
            memory: human_bytes(node.memory_bytes),
            labels: node.labels.into_iter().collect(),
            host: entry.host,
        }
    }
}

#[server(endpoint = "nodes/list")]
pub async fn list_nodes(swarm: String) -> Result<Vec<NodeRow>, ServerFnError> {
    use crate::auth::ssr::{fleet, fleet_error, require};
    require(flotilla_store::Role::Viewer).await?;
    let entries = fleet()?.nodes(&swarm).await.map_err(fleet_error)?;
    Ok(entries.into_iter().map(ssr::node_row).collect())
}

/// One node action: `promote`, `demote`, `active`, `pause`, `drain`, `label-add`
/// (with `key` and `value`) or `label-rm` (with `key`).
#[server(endpoint = "nodes/update")]
pub async fn update_node(
    swarm: String,
    node: String,
    action: String,
    key: Option<String>,
    value: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::auth::ssr::{audited_fleet, bad_input, fleet, require};
    use flotilla_engine::NodeAvailability;
    use flotilla_fleet::NodeAction;
    use flotilla_store::Role;

    let key = key.unwrap_or_default().trim().to_owned();
    let (needed, change) = match action.as_str() {
        "promote" => (Role::Admin, NodeAction::Promote),
        "demote" => (Role::Admin, NodeAction::Demote),
        "active" => (
            Role::Operator,
            NodeAction::Availability(NodeAvailability::Active),
        ),
        "pause" => (
            Role::Operator,
            NodeAction::Availability(NodeAvailability::Pause),
        ),
        "drain" => (
            Role::Operator,
            NodeAction::Availability(NodeAvailability::Drain),
        ),
        "label-add" => (
            Role::Operator,
            NodeAction::AddLabel {
                key: key.clone(),
                value: value.unwrap_or_default().trim().to_owned(),
            },
        ),
        "label-rm" => (Role::Operator, NodeAction::RemoveLabel(key.clone())),
        other => return Err(bad_input(format!("action: `{other}` is not a node action"))),
    };
    let principal = require(needed).await?;
    let fleet = fleet()?;
    let request = serde_json::json!({ "swarm": swarm, "action": action, "key": key });
    audited_fleet(
        &principal,
        &format!("node.{action}"),
        &node,
        request,
        async { fleet.change_node(&swarm, &node, &change).await.map(drop) },
    )
    .await
}

/// Drain, leave, remove — or, for a node that is down, force-remove.
#[server(endpoint = "nodes/remove")]
pub async fn remove_node(swarm: String, node: String, force: bool) -> Result<(), ServerFnError> {
    use crate::auth::ssr::{audited_fleet, fleet, require};
    let principal = require(flotilla_store::Role::Admin).await?;
    let fleet = fleet()?;
    let request = serde_json::json!({ "swarm": swarm, "force": force });
    audited_fleet(&principal, "node.remove", &node, request, async {
        fleet.remove_node(&swarm, &node, force).await
    })
    .await
}

#[component]
pub fn NodesTable(swarm: String, changes: RwSignal<u32>) -> impl IntoView {
    let update = ServerAction::<UpdateNode>::new();
    let remove = ServerAction::<RemoveNode>::new();
    let nodes = {
        let swarm = swarm.clone();
        Resource::new(
            move || {
                (
                    changes.get(),
                    update.version().get(),
                    remove.version().get(),
                )
            },
            move |_| list_nodes(swarm.clone()),
        )
    };
    Effect::new(move |_| {
        if update.version().get() + remove.version().get() > 0 {
            changes.update(|n| *n += 1);
        }
    });
    let error = move || {
        update
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| remove.value().get().and_then(Result::err))
            .map(|err| err.to_string())
    };
    view! {
        <h2>"Nodes"</h2>
        {move || error().map(|err| view! { <p class="notice error" id="node-error">{err}</p> })}
        <Transition fallback=|| view! { <p class="notice">"Listing nodes…"</p> }>
            {move || {
                let swarm = swarm.clone();
                Suspend::new(async move {
                    match nodes.await {
                        Ok(rows) => view! {
                            <table class="grid" id="nodes">
                                <thead><tr>
                                    <th>"Hostname"</th><th>"Role"</th><th>"Availability"</th><th>"State"</th>
                                    <th>"Engine"</th><th>"CPUs"</th><th>"Memory"</th><th>"Labels"</th>
                                    <th>"Host"</th><th>"Actions"</th>
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|row| view! {
                                        <NodeLine row swarm=swarm.clone() update remove/>
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
fn NodeLine(
    row: NodeRow,
    swarm: String,
    update: ServerAction<UpdateNode>,
    remove: ServerAction<RemoveNode>,
) -> impl IntoView {
    let act = {
        let (swarm, node) = (swarm.clone(), row.id.clone());
        move |action: &'static str| {
            let (swarm, node) = (swarm.clone(), node.clone());
            move |_| {
                update.dispatch(UpdateNode {
                    swarm: swarm.clone(),
                    node: node.clone(),
                    action: action.into(),
                    key: None,
                    value: None,
                });
            }
        }
    };
    let label = RwSignal::new(String::new());
    let add_label = {
        let (swarm, node) = (swarm.clone(), row.id.clone());
        move |_| {
            let text = label.get_untracked();
            let (key, value) = text.split_once('=').unwrap_or((&text, ""));
            update.dispatch(UpdateNode {
                swarm: swarm.clone(),
                node: node.clone(),
                action: "label-add".into(),
                key: Some(key.to_owned()),
                value: Some(value.to_owned()),
            });
            label.set(String::new());
        }
    };
    let down = row.state == "down";
    let remove_node = {
        let (swarm, node) = (swarm.clone(), row.id.clone());
        move |_| {
            remove.dispatch(RemoveNode {
                swarm: swarm.clone(),
                node: node.clone(),
                force: down,
            });
        }
    };
    let role = match &row.manager_status {
        Some(status) => format!("{} ({status})", row.role),
        None => row.role.clone(),
    };
    let is_manager = row.role == "manager";
    view! {
        <tr class="node-row" data-hostname=row.hostname.clone() data-role=row.role.clone()
            data-availability=row.availability.clone() data-state=row.state.clone()>
            <td>{row.hostname.clone()}</td>
            <td class="role">{role}</td>
            <td class="availability">{row.availability.clone()}</td>
            <td class=format!("state state-{}", row.state)>{row.state.clone()}</td>
            <td>{row.engine_version.clone()}</td>
            <td>{format!("{}", row.cpus)}</td>
            <td>{row.memory.clone()}</td>
            <td class="labels">
                {row.labels.iter().map(|(key, value)| {
                    let (swarm, node, key_rm) = (swarm.clone(), row.id.clone(), key.clone());
                    view! {
                        <span class="label-chip" data-key=key.clone()>{format!("{key}={value}")}
                            <button class="link" title="Remove label" on:click=move |_| {
                                update.dispatch(UpdateNode {
                                    swarm: swarm.clone(), node: node.clone(), action: "label-rm".into(),
                                    key: Some(key_rm.clone()), value: None,
                                });
                            }>"×"</button>
                        </span>
                    }
                }).collect_view()}
                <input type="text" class="label-input" placeholder="key=value" bind:value=label/>
                <button class="secondary add-label" on:click=add_label>"Add"</button>
            </td>
            <td>{row.host.clone().unwrap_or_else(|| "—".into())}</td>
            <td class="node-actions">
                {if is_manager {
                    view! { <button class="secondary demote" on:click=act("demote")>"Demote"</button> }.into_any()
                } else {
                    view! { <button class="secondary promote" on:click=act("promote")>"Promote"</button> }.into_any()
                }}
                <button class="secondary drain" on:click=act("drain")>"Drain"</button>
                <button class="secondary pause" on:click=act("pause")>"Pause"</button>
                <button class="secondary activate" on:click=act("active")>"Activate"</button>
                <button class="danger remove" on:click=remove_node>
                    {if down { "Force remove" } else { "Remove" }}
                </button>
            </td>
        </tr>
    }
}
