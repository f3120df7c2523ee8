//! A stack's own page: its services' progress, its networks, its history, the editor to
//! change it, and removal.

use flotilla_stack::StackNetwork;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::editor::EditPanel;
use super::history::History;
use super::progress::ProgressTable;
use super::remove::RemovePanel;
use crate::components::{DataTable, Loading};
use crate::error::AppError;

#[server(endpoint = "stacks/networks")]
pub async fn stack_networks(swarm: String, stack: String) -> Result<Vec<StackNetwork>, AppError> {
    let caller = crate::auth::ssr::authorize::<StackNetworks>().await?;
    Ok(caller.fleet.stack_networks(&swarm, &stack).await?)
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
