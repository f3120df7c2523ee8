//! Create a swarm from registered hosts: init on the first manager, then join the others,
//! one request per host so the page shows each host's progress and can retry one.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::hosts::list_hosts;
use super::swarms::{init_swarm, join_swarm};
use crate::views::HostRow;

#[derive(Debug, Clone, PartialEq)]
enum StepStatus {
    Waiting,
    Running,
    Done,
    Failed(String),
}

impl StepStatus {
    fn name(&self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed(_) => "failed",
        }
    }
}

#[derive(Debug, Clone)]
struct Step {
    host: String,
    role: String,
    advertise_addr: String,
    status: RwSignal<StepStatus>,
}

/// One host's choices on the form.
#[derive(Debug, Clone, Copy)]
struct Choice {
    role: RwSignal<String>,
    advertise_addr: RwSignal<String>,
}

async fn run_join(swarm: String, step: Step) {
    step.status.set(StepStatus::Running);
    let result = join_swarm(
        swarm,
        step.host.clone(),
        step.role.clone(),
        step.advertise_addr.clone(),
    )
    .await;
    step.status.set(match result {
        Ok(()) => StepStatus::Done,
        Err(err) => StepStatus::Failed(err.to_string()),
    });
}

#[component]
pub fn CreateSwarmPage() -> impl IntoView {
    let hosts = Resource::new(|| (), |_| list_hosts());
    view! {
        <h1>"Create a swarm"</h1>
        <Transition fallback=|| view! { <p class="notice">"Asking the hosts…"</p> }>
            {move || Suspend::new(async move {
                match hosts.await {
                    Ok(rows) => view! { <CreateForm hosts=rows/> }.into_any(),
                    Err(err) => view! { <p class="notice error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CreateForm(hosts: Vec<HostRow>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let (free, busy): (Vec<HostRow>, Vec<HostRow>) = hosts.into_iter().partition(HostRow::is_free);
    let choices: Vec<(HostRow, Choice)> = free
        .into_iter()
        .enumerate()
        .map(|(i, host)| {
            let choice = Choice {
                role: RwSignal::new(if i == 0 { "manager" } else { "worker" }.to_owned()),
                advertise_addr: RwSignal::new(host.suggested_advertise_addr()),
            };
            (host, choice)
        })
        .collect();
    let steps = RwSignal::new(Vec::<Step>::new());
    let error = RwSignal::new(None::<String>);
    let created = RwSignal::new(None::<String>);
    let picked = {
        let choices = choices.clone();
        move || {
            choices
                .iter()
                .filter(|(_, c)| c.role.get() != "skip")
                .map(|(host, c)| Step {
                    host: host.name.clone(),
                    role: c.role.get(),
                    advertise_addr: c.advertise_addr.get(),
                    status: RwSignal::new(StepStatus::Waiting),
                })
                .collect::<Vec<_>>()
        }
    };
    let managers = {
        let choices = choices.clone();
        move || {
            choices
                .iter()
                .filter(|(_, c)| c.role.get() == "manager")
                .count()
        }
    };
    // Once init has succeeded the swarm exists: what remains is retrying joins. A failed
    // init changed nothing, so the form may be corrected and submitted again.
    let can_start = move || {
        steps.with(|steps| {
            steps
                .first()
                .is_none_or(|init| matches!(init.status.get(), StepStatus::Failed(_)))
        })
    };
    let create = move |_| {
        let mut plan = picked();
        // The first manager initialises; managers join before workers so the swarm has
        // its quorum before it grows.
        plan.sort_by_key(|step| step.role != "manager");
        let swarm = name.get_untracked().trim().to_owned();
        if plan.first().is_none_or(|step| step.role != "manager") {
            error.set(Some("pick at least one manager".into()));
            return;
        }
        error.set(None);
        steps.set(plan.clone());
        spawn_local(async move {
            let first = plan[0].clone();
            first.status.set(StepStatus::Running);
            match init_swarm(
                swarm.clone(),
                first.host.clone(),
                first.advertise_addr.clone(),
            )
            .await
            {
                Ok(_) => first.status.set(StepStatus::Done),
                Err(err) => {
                    first.status.set(StepStatus::Failed(err.to_string()));
                    return;
                }
            }
            for step in plan.into_iter().skip(1) {
                run_join(swarm.clone(), step).await;
            }
            created.set(Some(swarm));
        });
    };
    view! {
        <section class="panel wide">
            <label>"Swarm name "<input type="text" id="swarm-name" bind:value=name required/></label>
            <table class="data" id="create-hosts">
                <thead><tr><th>"Host"</th><th>"Engine"</th><th>"Role"</th><th>"Advertise address"</th></tr></thead>
                <tbody>
                    {choices.iter().map(|(host, choice)| {
                        let engine = host.engine.as_ref().map(|e| format!("{} · {} CPUs · {}", e.version, e.cpus, e.memory)).unwrap_or_default();
                        view! {
                            <tr class="create-host" data-host=host.name.clone()>
                                <td>{host.name.clone()}<br/><code>{host.url.clone()}</code></td>
                                <td>{engine}</td>
                                <td><select class="role" bind:value=choice.role>
                                    <option value="manager">"manager"</option>
                                    <option value="worker">"worker"</option>
                                    <option value="skip">"not in this swarm"</option>
                                </select></td>
                                <td><input type="text" class="advertise" bind:value=choice.advertise_addr
                                    placeholder="blank: the engine picks its address"/></td>
                            </tr>
                        }
                    }).collect_view()}
                    {busy.into_iter().map(|host| {
                        let reason = match &host.engine {
                            Ok(engine) => format!("already in a swarm ({})", engine.swarm_state),
                            Err(err) => err.clone(),
                        };
                        view! {
                            <tr class="create-host unavailable" data-host=host.name.clone()>
                                <td>{host.name.clone()}</td><td colspan="3" class="reason">{reason}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {move || (managers() % 2 == 0 && managers() > 0).then(|| view! {
                <p class="notice warn" id="even-managers">
                    {format!("{} managers: an even count tolerates no more failures than one fewer. Use 1, 3 or 5.", managers())}
                </p>
            })}
            <button id="create-swarm" on:click=create disabled=move || !can_start()>"Create swarm"</button>
            {move || error.get().map(|err| view! { <p class="notice error" id="create-error">{err}</p> })}
            <ol id="create-progress">
                {move || steps.get().into_iter().enumerate().map(|(i, step)| {
                    let retry = step.clone();
                    let swarm = name.get_untracked().trim().to_owned();
                    view! {
                        <li class="step" data-host=step.host.clone() data-status=move || step.status.get().name()>
                            <strong>{step.host.clone()}</strong>
                            {format!(" — {} {}", if i == 0 { "init as" } else { "join as" }, step.role)}
                            <span class="step-status">{move || match step.status.get() {
                                StepStatus::Failed(err) => format!(": failed: {err}"),
                                other => format!(": {}", other.name()),
                            }}</span>
                            {move || (i > 0 && matches!(retry.status.get(), StepStatus::Failed(_))).then(|| {
                                let (swarm, retry) = (swarm.clone(), retry.clone());
                                view! {
                                    <button class="retry" on:click=move |_| {
                                        spawn_local(run_join(swarm.clone(), retry.clone()));
                                    }>"Retry"</button>
                                }
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
            {move || created.get().map(|swarm| view! {
                <p class="notice" id="create-done">"Swarm "<a href=format!("/swarms/{swarm}")>{swarm.clone()}</a>" is up."</p>
            })}
        </section>
    }
}
