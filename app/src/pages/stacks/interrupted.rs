//! A stack whose newest deploy never finished (the console stopped, or the request was
//! cancelled): the stack page says so, shows what is left to do, and deploys it again.

use flotilla_stack::{InterruptedDeploy, StackPlan};
use leptos::prelude::*;

use super::editor::PlanView;
use crate::components::Loading;
use crate::error::AppError;

/// The stack's interrupted deploy, if its newest deploy was one. What is left is planned
/// for operators only: a plan shows variable values.
#[server(endpoint = "stacks/interrupted")]
pub async fn stack_interruption(
    swarm: String,
    stack: String,
) -> Result<Option<InterruptedDeploy>, AppError> {
    use flotilla_store::Role;

    let caller = crate::auth::ssr::authorize::<StackInterruption>().await?;
    let role = caller.principal.role;
    let Some(mut interrupted) = caller
        .fleet
        .interrupted_deploy(&swarm, &stack, role)
        .await?
    else {
        return Ok(None);
    };
    if !role.allows(Role::Operator) {
        interrupted.left = None;
        interrupted.no_plan = Some("an operator sees what is left to do".into());
    }
    Ok(Some(interrupted))
}

/// Deploys the interrupted deploy's input again, as its author meant it.
#[server(endpoint = "stacks/finish-interrupted")]
pub async fn finish_interrupted(swarm: String, stack: String) -> Result<StackPlan, AppError> {
    let caller = crate::auth::ssr::authorize::<FinishInterrupted>().await?;
    let input = caller.fleet.attempted_stack_input(&swarm, &stack).await?;
    let mut request = super::audit_request(&input);
    request["resumed"] = serde_json::json!(true);
    caller
        .audited(
            "stack.deploy",
            &format!("{swarm}/{stack}"),
            request,
            caller.fleet.deploy_stack(
                &swarm,
                &stack,
                &input,
                (&caller.principal.name, caller.principal.role),
            ),
        )
        .await
}

#[component]
pub fn InterruptedNotice(swarm: String, stack: String, changes: RwSignal<u32>) -> impl IntoView {
    let finish = ServerAction::<FinishInterrupted>::new();
    let interrupted = {
        let (swarm, stack) = (swarm.clone(), stack.clone());
        Resource::new(
            move || (changes.get(), finish.version().get()),
            move |_| stack_interruption(swarm.clone(), stack.clone()),
        )
    };
    Effect::new(move |_| {
        if matches!(finish.value().get(), Some(Ok(_))) {
            changes.update(|n| *n += 1);
        }
    });
    let (swarm, stack) = (StoredValue::new(swarm), StoredValue::new(stack));
    view! {
        <Loading>
            {move || Suspend::new(async move {
                let interrupted = interrupted.await?;
                Ok::<_, AppError>(interrupted.map(|d| view! {
                    <section class="notice error" id="interrupted-deploy">
                        <p><strong>"The newest deploy did not finish."</strong>{format!(
                            " Started by {} at {}: {}. It recorded no version; the swarm may hold part of it.",
                            d.by, crate::views::utc_time(d.at), d.why
                        )}</p>
                        {d.no_plan.map(|why| view! { <p class="hint">{why}</p> })}
                        {d.left.map(|left| view! {
                            <p>"What is left to do:"</p>
                            {view! { <PlanView plan=left/> }.into_any()}
                            <p class="actions">
                                <button id="finish-deploy" disabled=move || finish.pending().get()
                                    on:click=move |_| { finish.dispatch(FinishInterrupted {
                                        swarm: swarm.get_value(),
                                        stack: stack.get_value(),
                                    }); }>"Deploy it again"</button>
                            </p>
                        }.into_any())}
                        {move || finish.value().get().and_then(Result::err).map(|error| view! {
                            <crate::components::ErrorNotice error id="finish-deploy-error"/>
                        })}
                    </section>
                }.into_any()))
            })}
        </Loading>
    }
}
