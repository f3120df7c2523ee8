//! Stacks: the list on a swarm's page ([`StacksPanel`]), a stack's own page ([`page`]) with
//! its services' progress, networks, history and removal, and the editor that plans and
//! deploys ([`editor`]).

mod compose_input;
pub mod editor;
pub mod history;
pub mod images;
pub mod interrupted;
pub mod page;
pub mod progress;
pub mod remove;

use flotilla_stack::StackSummary;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub use editor::audit_request;
pub use editor::NewStackPage;
pub use page::StackPage;

use crate::components::{DataTable, Loading};
use crate::error::AppError;

#[server(endpoint = "stacks/list")]
pub async fn list_stacks(swarm: String) -> Result<Vec<StackSummary>, AppError> {
    let caller = crate::auth::ssr::authorize::<ListStacks>().await?;
    Ok(caller.fleet.stacks(&swarm).await?)
}

/// The swarm page's list of stacks, CLI-made ones included.
#[component]
pub fn StacksPanel(swarm: String, changes: RwSignal<u32>) -> impl IntoView {
    let stacks = {
        let swarm = swarm.clone();
        Resource::new(move || changes.get(), move |_| list_stacks(swarm.clone()))
    };
    let new_href = format!("/swarms/{swarm}/stacks/new");
    let swarm = StoredValue::new(swarm);
    view! {
        <h2>"Stacks"</h2>
        <p class="actions"><a class="button" id="new-stack" href=new_href>"Deploy a stack"</a></p>
        <Loading>
            {move || {
                let swarm = swarm.get_value();
                Suspend::new(async move {
                    let stacks = stacks.await?;
                    if stacks.is_empty() {
                        return Ok::<_, AppError>(view! { <p class="notice" id="no-stacks">"No stacks yet."</p> }.into_any());
                    }
                    Ok(view! {
                        <DataTable id="stacks" headers=&["Stack", "Services"]>
                            {stacks.into_iter().map(|s| {
                                let href = format!("/swarms/{swarm}/stacks/{}", s.name);
                                view! {
                                    <tr class="stack-row" data-stack=s.name.clone()>
                                        <td><a href=href>{s.name.clone()}</a></td>
                                        <td>{s.services.join(", ")}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </DataTable>
                    }.into_any())
                })
            }}
        </Loading>
    }
}
