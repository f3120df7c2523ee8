//! The swarms this console manages: the list, adopting an existing swarm, and the server
//! functions that create one host by host.

use leptos::prelude::*;

use crate::views::SwarmRow;

#[server(endpoint = "swarms/list")]
pub async fn list_swarms() -> Result<Vec<SwarmRow>, ServerFnError> {
    use crate::auth::ssr::{fleet, fleet_error, require};
    require(flotilla_store::Role::Viewer).await?;
    let summaries = fleet()?.swarm_summaries().await.map_err(fleet_error)?;
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
) -> Result<String, ServerFnError> {
    use crate::auth::ssr::{audited_fleet, fleet, require};
    let principal = require(flotilla_store::Role::Admin).await?;
    let fleet = fleet()?;
    let request = serde_json::json!({ "host": host, "advertise_addr": advertise_addr });
    let swarm = audited_fleet(&principal, "swarm.init", &name, request, async {
        fleet.init_swarm(name.trim(), &host, &advertise_addr).await
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
) -> Result<(), ServerFnError> {
    use crate::auth::ssr::{audited_fleet, bad_input, fleet, require};
    use flotilla_fleet::JoinRole;
    let principal = require(flotilla_store::Role::Admin).await?;
    let role = match role.as_str() {
        "manager" => JoinRole::Manager,
        "worker" => JoinRole::Worker,
        other => {
            return Err(bad_input(format!(
                "role: `{other}` is not manager or worker"
            )))
        }
    };
    let fleet = fleet()?;
    let request =
        serde_json::json!({ "host": host, "role": role, "advertise_addr": advertise_addr });
    audited_fleet(&principal, "swarm.join", &swarm, request, async {
        fleet.join_host(&swarm, &host, role, &advertise_addr).await
    })
    .await
}

#[server(endpoint = "swarms/adopt")]
pub async fn adopt_swarm(name: String, manager: String) -> Result<String, ServerFnError> {
    use crate::auth::ssr::{audited_fleet, fleet, require};
    let principal = require(flotilla_store::Role::Admin).await?;
    let fleet = fleet()?;
    let request = serde_json::json!({ "manager": manager });
    let swarm = audited_fleet(&principal, "swarm.adopt", name.trim(), request, async {
        fleet.adopt_swarm(name.trim(), manager.trim(), None).await
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
        <Transition fallback=|| view! { <p class="notice">"Asking the swarms…"</p> }>
            {move || Suspend::new(async move {
                match swarms.await {
                    Ok(rows) if rows.is_empty() => view! {
                        <p class="notice" id="swarms-empty">
                            "No swarms yet. Register hosts, then create a swarm from them — or adopt one you already run."
                        </p>
                    }.into_any(),
                    Ok(rows) => view! { <SwarmTable rows/> }.into_any(),
                    Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <h2>"Adopt an existing swarm"</h2>
        <ActionForm action=adopt attr:id="adopt-form" attr:class="inline">
            <label>"Name "<input type="text" name="name" required/></label>
            <label>"A manager's engine URL "<input type="text" name="manager" required
                placeholder="unix:///var/run/docker.sock"/></label>
            <button type="submit">"Adopt"</button>
        </ActionForm>
        {move || adopt.value().get().map(|result| match result {
            Ok(name) => view! {
                <p class="notice" id="adopt-result">"Adopted "<a href=format!("/swarms/{name}")>{name.clone()}</a></p>
            }.into_any(),
            Err(err) => view! { <p class="notice error" id="adopt-result">{err.to_string()}</p> }.into_any(),
        })}
    }
}

#[component]
fn SwarmTable(rows: Vec<SwarmRow>) -> impl IntoView {
    view! {
        <table class="grid" id="swarms">
            <thead><tr><th>"Name"</th><th>"ID"</th><th>"Managers"</th><th>"Workers"</th></tr></thead>
            <tbody>
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
            </tbody>
        </table>
    }
}
