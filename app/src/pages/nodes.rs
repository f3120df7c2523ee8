//! A swarm's nodes: the `docker node ls` table, with promote/demote (admins), availability
//! and labels (operators), and removal (admins).

use leptos::prelude::*;

use crate::components::{DataTable, ErrorNotice, Loading};
use crate::error::AppError;
use crate::views::NodeRow;

#[cfg(feature = "ssr")]
mod ssr {
    use flotilla_fleet::{NodeAction, NodeEntry};

    use crate::auth::ssr::Caller;
    use crate::error::AppError;
    use crate::views::{human_bytes, NodeRow};

    /// Applies `change` to `node` of `swarm`, audited as `node.{action}`.
    pub async fn change_node(
        caller: &Caller,
        (swarm, node): (&str, &str),
        action: &str,
        change: &NodeAction,
        request: serde_json::Value,
    ) -> Result<(), AppError> {
        caller
            .audited(&format!("node.{action}"), node, request, async {
                caller
                    .fleet
                    .change_node(swarm, node, change)
                    .await
                    .map(drop)
            })
            .await
    }

    pub fn node_row(entry: NodeEntry) -> NodeRow {
        let node = entry.node;
        NodeRow {
            id: node.id,
            hostname: node.hostname,
            role: node.role.as_str().into(),
            manager_status: node.manager_status.map(|status| status.as_str().into()),
            availability: node.availability.as_str().into(),
            state: node.state.as_str().into(),
            engine_version: node.engine_version,
            cpus: node.cpus,
            memory: human_bytes(node.memory_bytes),
            labels: node.labels.into_iter().collect(),
            host: entry.host,
        }
    }
}

#[server(endpoint = "nodes/list")]
pub async fn list_nodes(swarm: String) -> Result<Vec<NodeRow>, AppError> {
    let caller = crate::auth::ssr::authorize::<ListNodes>().await?;
    let entries = caller.fleet.nodes(&swarm).await?;
    Ok(entries.into_iter().map(ssr::node_row).collect())
}

/// What an operator changes on a node: `active`, `pause`, `drain`, `label-add` (with `key`
/// and `value`) or `label-rm` (with `key`).
#[server(endpoint = "nodes/update")]
pub async fn update_node(
    swarm: String,
    node: String,
    action: String,
    key: Option<String>,
    value: Option<String>,
) -> Result<(), AppError> {
    use flotilla_fleet::{NodeAction, NodeAvailability};

    let caller = crate::auth::ssr::authorize::<UpdateNode>().await?;
    let key = key.unwrap_or_default().trim().to_owned();
    let change = match action.as_str() {
        "label-add" => NodeAction::AddLabel {
            key: key.clone(),
            value: value.unwrap_or_default().trim().to_owned(),
        },
        "label-rm" => NodeAction::RemoveLabel(key.clone()),
        other => match NodeAvailability::from_api(other) {
            Some(availability) => NodeAction::Availability(availability),
            None => {
                return Err(AppError::invalid(
                    "action",
                    format!("`{other}` is not one of active, pause, drain, label-add, label-rm"),
                ))
            }
        },
    };
    let request = serde_json::json!({ "swarm": swarm, "action": action, "key": key });
    ssr::change_node(&caller, (&swarm, &node), &action, &change, request).await
}

/// What an admin changes on a node: its role, `promote` to manager or `demote` to worker.
#[server(endpoint = "nodes/role")]
pub async fn change_node_role(swarm: String, node: String, action: String) -> Result<(), AppError> {
    use flotilla_fleet::NodeAction;

    let caller = crate::auth::ssr::authorize::<ChangeNodeRole>().await?;
    let change = match action.as_str() {
        "promote" => NodeAction::Promote,
        "demote" => NodeAction::Demote,
        other => {
            return Err(AppError::invalid(
                "action",
                format!("`{other}` is not promote or demote"),
            ))
        }
    };
    let request = serde_json::json!({ "swarm": swarm, "action": action });
    ssr::change_node(&caller, (&swarm, &node), &action, &change, request).await
}

/// Drain, leave, remove — or, for a node that is down, force-remove.
#[server(endpoint = "nodes/remove")]
pub async fn remove_node(swarm: String, node: String, force: bool) -> Result<(), AppError> {
    let caller = crate::auth::ssr::authorize::<RemoveNode>().await?;
    let request = serde_json::json!({ "swarm": swarm, "force": force });
    caller
        .audited("node.remove", &node, request, async {
            caller.fleet.remove_node(&swarm, &node, force).await
        })
        .await
}

/// Which of the node actions was dispatched last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Update,
    Role,
    Remove,
}

/// The node actions, shared by every row of the table.
#[derive(Clone, Copy)]
struct NodeActions {
    update: ServerAction<UpdateNode>,
    role: ServerAction<ChangeNodeRole>,
    remove: ServerAction<RemoveNode>,
    last: RwSignal<Option<Last>>,
}

impl NodeActions {
    fn versions(&self) -> usize {
        self.update.version().get() + self.role.version().get() + self.remove.version().get()
    }

    /// The error of the last action, if it failed.
    fn error(&self) -> Option<AppError> {
        let result = match self.last.get()? {
            Last::Update => self.update.value().get(),
            Last::Role => self.role.value().get(),
            Last::Remove => self.remove.value().get(),
        };
        result.and_then(Result::err)
    }
}

#[component]
pub fn NodesTable(swarm: String, changes: RwSignal<u32>) -> impl IntoView {
    let actions = NodeActions {
        update: ServerAction::new(),
        role: ServerAction::new(),
        remove: ServerAction::new(),
        last: RwSignal::new(None),
    };
    let nodes = {
        let swarm = swarm.clone();
        Resource::new(
            move || (changes.get(), actions.versions()),
            move |_| list_nodes(swarm.clone()),
        )
    };
    let swarm = StoredValue::new(swarm);
    Effect::new(move |_| {
        if actions.versions() > 0 {
            changes.update(|n| *n += 1);
        }
    });
    view! {
        <h2>"Nodes"</h2>
        {move || actions.error().map(|error| view! { <ErrorNotice error id="node-error"/> })}
        <Loading text="Listing nodes…">
            {move || {
                let swarm = swarm.get_value();
                Suspend::new(async move {
                    let rows = nodes.await?;
                    Ok::<_, AppError>(view! {
                        <DataTable id="nodes" headers=&["Hostname", "Role", "Availability", "State", "Engine", "CPUs", "Memory", "Labels", "Host", "Actions"]>
                            {rows.into_iter().map(|row| view! {
                                <NodeLine row swarm=swarm.clone() actions/>
                            }).collect_view()}
                        </DataTable>
                    })
                })
            }}
        </Loading>
    }
}

#[component]
fn NodeLine(row: NodeRow, swarm: String, actions: NodeActions) -> impl IntoView {
    let node = row.id.clone();
    let node_href = format!("/swarms/{swarm}/nodes/{}", row.id);
    let update = {
        let (swarm, node) = (swarm.clone(), node.clone());
        move |action: &str, key: Option<String>, value: Option<String>| {
            actions.last.set(Some(Last::Update));
            actions.update.dispatch(UpdateNode {
                swarm: swarm.clone(),
                node: node.clone(),
                action: action.to_owned(),
                key,
                value,
            });
        }
    };
    let availability = {
        let update = update.clone();
        move |action: &'static str| {
            let update = update.clone();
            move |_| update(action, None, None)
        }
    };
    let role_change = {
        let (swarm, node) = (swarm.clone(), node.clone());
        move |action: &'static str| {
            let (swarm, node) = (swarm.clone(), node.clone());
            move |_| {
                actions.last.set(Some(Last::Role));
                actions.role.dispatch(ChangeNodeRole {
                    swarm: swarm.clone(),
                    node: node.clone(),
                    action: action.into(),
                });
            }
        }
    };
    let label = RwSignal::new(String::new());
    let add_label = {
        let update = update.clone();
        move |_| {
            let text = label.get_untracked();
            let (key, value) = text.split_once('=').unwrap_or((&text, ""));
            update("label-add", Some(key.to_owned()), Some(value.to_owned()));
            label.set(String::new());
        }
    };
    let down = row.state == "down";
    let remove_node = move |_| {
        actions.last.set(Some(Last::Remove));
        actions.remove.dispatch(RemoveNode {
            swarm: swarm.clone(),
            node: node.clone(),
            force: down,
        });
    };
    let role = match &row.manager_status {
        Some(status) => format!("{} ({status})", row.role),
        None => row.role.clone(),
    };
    let is_manager = row.role == "manager";
    view! {
        <tr class="node-row" data-hostname=row.hostname.clone() data-role=row.role.clone()
            data-availability=row.availability.clone() data-state=row.state.clone()>
            <td><a class="node-link" href=node_href>{row.hostname.clone()}</a></td>
            <td class="role">{role}</td>
            <td class="availability">{row.availability.clone()}</td>
            <td class=format!("state state-{}", row.state)>{row.state.clone()}</td>
            <td>{row.engine_version.clone()}</td>
            <td>{format!("{}", row.cpus)}</td>
            <td>{row.memory.clone()}</td>
            <td class="labels">
                {row.labels.iter().map(|(key, value)| {
                    let (update, key_rm) = (update.clone(), key.clone());
                    view! {
                        <span class="label-chip" data-key=key.clone()>{format!("{key}={value}")}
                            <button class="link" title="Remove label"
                                on:click=move |_| update("label-rm", Some(key_rm.clone()), None)>"×"</button>
                        </span>
                    }
                }).collect_view()}
                <input type="text" class="label-input" placeholder="key=value" bind:value=label/>
                <button class="secondary add-label" on:click=add_label>"Add"</button>
            </td>
            <td>{row.host.clone().unwrap_or_else(|| "—".into())}</td>
            <td class="node-actions">
                {if is_manager {
                    view! { <button class="secondary demote" on:click=role_change("demote")>"Demote"</button> }.into_any()
                } else {
                    view! { <button class="secondary promote" on:click=role_change("promote")>"Promote"</button> }.into_any()
                }}
                <button class="secondary drain" on:click=availability("drain")>"Drain"</button>
                <button class="secondary pause" on:click=availability("pause")>"Pause"</button>
                <button class="secondary activate" on:click=availability("active")>"Activate"</button>
                <button class="danger remove" on:click=remove_node>
                    {if down { "Force remove" } else { "Remove" }}
                </button>
            </td>
        </tr>
    }
}

/// A node's own page: its metrics (from its engine, when it is a registered host).
#[component]
pub fn NodePage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let names = move || {
        let params = params.read();
        (
            params.get("swarm").unwrap_or_default(),
            params.get("node").unwrap_or_default(),
        )
    };
    view! {
        {move || {
            let (swarm, node) = names();
            let back = format!("/swarms/{swarm}");
            view! {
                <h1>"Node "<code id="node-id">{node.clone()}</code>" of "<a href=back>{swarm.clone()}</a></h1>
                <crate::pages::metrics::MetricsPanel swarm kind="node" name=node/>
            }
        }}
    }
}
