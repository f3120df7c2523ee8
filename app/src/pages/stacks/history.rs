//! A stack's recorded deploys: who deployed what when, the diff between a version and the
//! one before it, and one-click redeploy of any version (a rollback).

use flotilla_stack::{StackPlan, StackVersionInfo};
use leptos::prelude::*;

use super::page::UndoneDrift;
use crate::components::{DataTable, ErrorNotice, Loading};
use crate::error::AppError;

#[server(endpoint = "stacks/versions")]
pub async fn stack_versions(
    swarm: String,
    stack: String,
) -> Result<Vec<StackVersionInfo>, AppError> {
    let caller = crate::auth::ssr::authorize::<StackVersions>().await?;
    Ok(caller.fleet.stack_versions(&swarm, &stack).await?)
}

#[server(endpoint = "stacks/diff")]
pub async fn diff_versions(
    swarm: String,
    stack: String,
    from: i64,
    to: i64,
) -> Result<String, AppError> {
    let caller = crate::auth::ssr::authorize::<DiffVersions>().await?;
    Ok(caller
        .fleet
        .diff_stack_versions(&swarm, &stack, from, to)
        .await?)
}

/// Deploys a stored version again. Unless `confirm`ed, a redeploy that would undo changes
/// made to the services since the newest version (a scale, a rollback) is only planned, and
/// the plan, with what it undoes, comes back unapplied for the user to confirm.
#[server(endpoint = "stacks/redeploy")]
pub async fn redeploy_version(
    swarm: String,
    stack: String,
    version: i64,
    confirm: bool,
) -> Result<StackPlan, AppError> {
    let caller = crate::auth::ssr::authorize::<RedeployVersion>().await?;
    let input = caller
        .fleet
        .stack_version_input(&swarm, &stack, version)
        .await?;
    if !confirm {
        let plan = caller
            .audited(
                "stack.plan",
                &format!("{swarm}/{stack}"),
                serde_json::json!({ "version": version }),
                caller
                    .fleet
                    .plan_stack(&swarm, &stack, &input, caller.principal.role),
            )
            .await?;
        if !plan.undoes.is_empty() {
            return Ok(plan);
        }
    }
    caller
        .audited(
            "stack.redeploy",
            &format!("{swarm}/{stack}"),
            serde_json::json!({ "version": version }),
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
pub fn History(swarm: String, stack: String, changes: RwSignal<u32>) -> impl IntoView {
    let redeploy = ServerAction::<RedeployVersion>::new();
    let diff = ServerAction::<DiffVersions>::new();
    let versions = {
        let (swarm, stack) = (swarm.clone(), stack.clone());
        Resource::new(
            move || (changes.get(), redeploy.version().get()),
            move |_| stack_versions(swarm.clone(), stack.clone()),
        )
    };
    Effect::new(move |_| {
        if redeploy.version().get() > 0 {
            changes.update(|n| *n += 1);
        }
    });
    let (swarm, stack) = (StoredValue::new(swarm), StoredValue::new(stack));
    let show_diff = move |from: i64, to: i64| {
        diff.dispatch(DiffVersions {
            swarm: swarm.get_value(),
            stack: stack.get_value(),
            from,
            to,
        });
    };
    // The version asked for; the action's own input is gone once it resolves.
    let redeployed = RwSignal::new(0i64);
    let redeploy_version = move |version: i64, confirm: bool| {
        redeployed.set(version);
        redeploy.dispatch(RedeployVersion {
            swarm: swarm.get_value(),
            stack: stack.get_value(),
            version,
            confirm,
        });
    };
    view! {
        <h2>"History"</h2>
        {move || redeploy.value().get().map(|outcome| match outcome {
            Ok(plan) if !plan.applied => {
                let version = redeployed.get();
                view! {
                    <div class="notice warn" id="redeploy-undoes">
                        <p>{format!("Redeploying version {version} undoes changes made since version {}:",
                            plan.undoes.first().map_or(0, |d| d.version))}</p>
                        <UndoneDrift drifts=plan.undoes/>
                        <p class="actions">
                            <button id="confirm-redeploy" disabled=move || redeploy.pending().get()
                                on:click=move |_| redeploy_version(version, true)>{format!("Redeploy version {version} anyway")}</button>
                            <button class="secondary" on:click=move |_| redeploy.value().set(None)>"Cancel"</button>
                        </p>
                    </div>
                }.into_any()
            }
            Ok(plan) => {
                let version = redeployed.get();
                view! {
                    <p class="notice" id="redeploy-done">{format!(
                        "Version {version} deployed again as version {}.",
                        plan.version.unwrap_or_default()
                    )}</p>
                }.into_any()
            }
            Err(error) => view! { <ErrorNotice error id="redeploy-error"/> }.into_any(),
        })}
        <Loading>
            {move || Suspend::new(async move {
                let versions = versions.await?;
                if versions.is_empty() {
                    return Ok::<_, AppError>(view! { <p class="notice" id="no-versions">"Deployed outside Flotilla: no versions recorded yet."</p> }.into_any());
                }
                Ok(view! {
                    <DataTable id="versions" headers=&["Version", "By", "When", "Variables and files", "Note", ""]>
                        {versions.into_iter().map(|v| {
                            let version = v.version;
                            let attached = v.env_names.iter().chain(v.file_names.iter()).cloned().collect::<Vec<_>>().join(", ");
                            view! {
                                <tr class="version-row" data-version=version.to_string()>
                                    <td>{version}</td>
                                    <td>{v.deployed_by.clone()}</td>
                                    <td class="when" data-millis=v.deployed_at.to_string()>{crate::views::utc_time(v.deployed_at)}</td>
                                    <td>{attached}</td>
                                    <td class="note">{v.note.clone()}</td>
                                    <td class="actions">
                                        {(version > 1).then(|| view! {
                                            <button class="secondary diff" data-version=version.to_string()
                                                on:click=move |_| show_diff(version - 1, version)>"Diff with previous"</button>
                                        })}
                                        // One redeploy at a time: a double click must not deploy twice.
                                        <a class="button secondary download" data-version=version.to_string()
                                            download=format!("{}-v{version}.yml", stack.get_value())
                                            href=format!("data:text/yaml;charset=utf-8,{}", crate::views::percent_encode(&v.compose))>"Download"</a>
                                        <button class="secondary redeploy" data-version=version.to_string()
                                            disabled=move || redeploy.pending().get()
                                            on:click=move |_| redeploy_version(version, false)>"Redeploy"</button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </DataTable>
                }.into_any())
            })}
        </Loading>
        {move || diff.value().get().map(|d| match d {
            Ok(text) => view! { <pre id="version-diff">{text}</pre> }.into_any(),
            Err(error) => view! { <ErrorNotice error/> }.into_any(),
        })}
    }
}
