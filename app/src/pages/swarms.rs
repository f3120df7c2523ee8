//! The swarms this console manages: the list, adopting an existing swarm, and the server
//! functions that create one host by host.

use leptos::prelude::*;

use crate::components::{DataTable, ErrorNotice, Loading};
use crate::error::AppError;
use crate::views::SwarmRow;

#[server(endpoint = "swarms/list")]
pub async fn list_swarms() -> Result<Vec<SwarmRow>, AppError> {
    let caller = crate::auth::ssr::authorize::<ListSwarms>().await?;
    let summaries = caller.fleet.swarm_summaries().await?;
    Ok(summaries
        .into_iter()
        .map(|s| SwarmRow {
            id: s.id,
            name: s.name,
            managers: s.managers,
            workers: s.workers,
            error: s.error,
        })
        .collect())
}

/// Step one of creating a swarm: `docker swarm init` on the first manager.
#[server(endpoint = "swarms/init")]
pub async fn init_swarm(
    name: String,
    host: String,
    advertise_addr: String,
) -> Result<String, AppError> {
    let caller = crate::auth::ssr::authorize::<InitSwarm>().await?;
    let request = serde_json::json!({ "host": host, "advertise_addr": advertise_addr });
    let swarm = caller
        .audited("swarm.init", &name, request, async {
            caller
                .fleet
                .init_swarm(name.trim(), &host, &advertise_addr)
                .await
        })
        .await?;
    Ok(swarm.id)
}

/// Each further step: `docker swarm join` of one host, as manager or worker.
#[server(endpoint = "swarms/join")]
pub async fn join_swarm(
    swarm: String,
    host: String,
    role: String,
    advertise_addr: String,
) -> Result<(), AppError> {
    use flotilla_fleet::JoinRole;
    let caller = crate::auth::ssr::authorize::<JoinSwarm>().await?;
    let role = match role.as_str() {
        "manager" => JoinRole::Manager,
        "worker" => JoinRole::Worker,
        other => {
            return Err(AppError::invalid(
                "role",
                format!("`{other}` is not manager or worker"),
            ))
        }
    };
    let request =
        serde_json::json!({ "host": host, "role": role, "advertise_addr": advertise_addr });
    caller
        .audited("swarm.join", &swarm, request, async {
            caller
                .fleet
                .join_host(&swarm, &host, role, &advertise_addr)
                .await
        })
        .await
}

#[server(endpoint = "swarms/adopt")]
pub async fn adopt_swarm(name: String, manager: String) -> Result<String, AppError> {
    let caller = crate::auth::ssr::authorize::<AdoptSwarm>().await?;
    let request = serde_json::json!({ "manager": manager });
    let swarm = caller
        .audited("swarm.adopt", name.trim(), request, async {
            caller
                .fleet
                .adopt_swarm(name.trim(), manager.trim(), None)
                .await
        })
        .await?;
    Ok(swarm.name)
}

#[component]
pub fn SwarmsPage() -> impl IntoView {
    let adopt = ServerAction::<AdoptSwarm>::new();
    let swarms = Resource::new(move || adopt.version().get(), |_| list_swarms());
    view! {
        <h1>"Swarms"</h1>
        <p class="actions">
            <a class="button" href="/hosts">"Hosts"</a>
            <a class="button" id="new-swarm" href="/swarms/new">"Create a swarm"</a>
        </p>
        <Loading text="Asking the swarms…">
            {move || Suspend::new(async move {
                let rows = swarms.await?;
                Ok::<_, AppError>(if rows.is_empty() {
                    view! {
                        <p class="notice" id="swarms-empty">
                            "No swarms yet. Register hosts, then create a swarm from them — or adopt one you already run."
                        </p>
                    }.into_any()
                } else {
                    view! { <SwarmTable rows/> }.into_any()
                })
            })}
        </Loading>
        <h2>"Adopt an existing swarm"</h2>
        <ActionForm action=adopt attr:id="adopt-form" attr:class="inline">
            <label>"Name "<input type="text" name="name" required/></label>
            <label>"A manager's engine URL "<input type="text" name="manager" required
                placeholder="unix:///var/run/docker.sock"/></label>
            <button type="submit" disabled=move || adopt.pending().get()>"Adopt"</button>
        </ActionForm>
        {move || adopt.value().get().map(|result| match result {
            Ok(name) => view! {
                <p class="notice" id="adopt-result">"Adopted "<a href=format!("/swarms/{name}")>{name.clone()}</a></p>
            }.into_any(),
            Err(error) => view! { <ErrorNotice error id="adopt-result"/> }.into_any(),
        })}
    }
}

#[component]
fn SwarmTable(rows: Vec<SwarmRow>) -> impl IntoView {
    view! {
        <DataTable id="swarms" headers=&["Name", "ID", "Managers", "Workers"]>
            {rows.into_iter().map(|row| view! {
                <tr class="swarm-row" data-name=row.name.clone()>
                    <td><a href=format!("/swarms/{}", row.name)>{row.name.clone()}</a></td>
                    <td><code>{row.id.chars().take(12).collect::<String>()}</code></td>
                    {match row.error {
                        None => view! {
                            <td class="managers">{row.managers}</td>
                            <td class="workers">{row.workers}</td>
                        }.into_any(),
                        Some(err) => view! { <td colspan="2" class="error">{err}</td> }.into_any(),
                    }}
                </tr>
            }).collect_view()}
        </DataTable>
    }
}
