//! Each service of a stack against its current spec: running of desired, errors of failed
//! tasks, and where each task landed. Refreshed as the swarm's live state changes.

use flotilla_stack::ServiceProgress;
use leptos::prelude::*;

use crate::components::{DataTable, Loading};
use crate::error::AppError;

#[server(endpoint = "stacks/progress")]
pub async fn stack_progress(
    swarm: String,
    stack: String,
) -> Result<Vec<ServiceProgress>, AppError> {
    let caller = crate::auth::ssr::authorize::<StackProgress>().await?;
    Ok(caller.fleet.stack_progress(&swarm, &stack).await?)
}

#[component]
pub fn ProgressTable(swarm: String, stack: String, changes: RwSignal<u32>) -> impl IntoView {
    // Asked again whenever the swarm's live state changes, which the server answers from that
    // state: no change, no request, and no engine request in any case.
    let ticks = RwSignal::new(0u64);
    crate::live_stream::on_live_events(&swarm, move |_, _| {
        ticks.update(|n| *n += 1);
        true
    });
    let progress = Resource::new(
        move || (changes.get(), ticks.get()),
        move |_| stack_progress(swarm.clone(), stack.clone()),
    );
    view! {
        <h2>"Services"</h2>
        <Loading>
            {move || Suspend::new(async move {
                let services = progress.await?;
                Ok::<_, AppError>(view! { <ProgressRows services/> })
            })}
        </Loading>
    }
}

#[component]
fn ProgressRows(services: Vec<ServiceProgress>) -> impl IntoView {
    let converged = !services.is_empty() && services.iter().all(ServiceProgress::converged);
    view! {
        <div class="progress" data-converged=converged.to_string() id="progress">
            <DataTable headers=&["Service", "Running", "Desired", "Errors", "Tasks"]>
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
                                <ul class="task-lines">
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
            </DataTable>
        </div>
    }
}
