//! The stack editor: the compose text checked as it is typed by the same parser the server
//! uses (compiled to WASM, so no round trip), variables, attached files, then a plan of
//! what would change, then the deploy and its progress until the stack converges.

use std::collections::BTreeMap;

use flotilla_stack::{Change, PlannedObject, StackInput, StackPlan};
use leptos::prelude::*;

use super::stacks::{deploy_stack, plan_stack, ProgressTable};

/// What the browser can say about the text before asking the server.
#[derive(Debug, Clone, PartialEq)]
enum Check {
    Valid {
        services: usize,
        warnings: Vec<String>,
    },
    Invalid(String),
}

fn check(stack: &str, compose: &str, env: &str, files: &flotilla_compose::Files) -> Check {
    if let Err(message) = flotilla_stack::check_stack_name(stack) {
        return Check::Invalid(format!("stack name: {message}"));
    }
    let env = match flotilla_compose::parse_dotenv(env) {
        Ok(env) => env,
        Err(err) => return Check::Invalid(format!("variables, {err}")),
    };
    let dotenv = files
        .get(".env")
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned());
    let variables = match flotilla_compose::Variables::new(&env, dotenv.as_deref()) {
        Ok(variables) => variables,
        Err(err) => return Check::Invalid(format!(".env, {err}")),
    };
    match flotilla_compose::parse(compose, &variables, files) {
        Ok(parsed) => Check::Valid {
            services: parsed.services.len(),
            warnings: parsed
                .sorted_warnings()
                .iter()
                .map(|w| {
                    format!(
                        "line {}, column {}: {}: {}",
                        w.at.line, w.at.column, w.path, w.message
                    )
                })
                .collect(),
        },
        Err(err) => Check::Invalid(err.to_string()),
    }
}

fn env_text(env: &BTreeMap<String, String>) -> String {
    env.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

#[component]
pub fn StackEditor(
    swarm: String,
    /// The stack being changed; `None` asks for a name.
    stack: Option<String>,
    initial: Option<StackInput>,
) -> impl IntoView {
    let initial = initial.unwrap_or_default();
    let fixed_name = stack.is_some();
    let name = RwSignal::new(stack.unwrap_or_default());
    let compose = RwSignal::new(initial.compose.clone());
    let env = RwSignal::new(env_text(&initial.env));
    let files = RwSignal::new(initial.files.clone());
    let file_dir = RwSignal::new(String::new());
    let prune = RwSignal::new(initial.prune);
    let plan = RwSignal::new(None::<Result<StackPlan, String>>);
    let deployed = RwSignal::new(None::<Result<StackPlan, String>>);
    let busy = RwSignal::new(false);
    let progress_changes = RwSignal::new(0u32);

    let checked = Memo::new(move |_| {
        files.with(|files| check(&name.get(), &compose.get(), &env.get(), files))
    });
    // Any edit makes the last plan stale: it must be made again before deploying.
    let edits = RwSignal::new(0u64);
    Effect::new(move |_| {
        name.track();
        compose.track();
        env.track();
        files.track();
        prune.track();
        edits.update(|n| *n += 1);
        plan.set(None);
    });
    let input_json = move || {
        let input = StackInput {
            compose: compose.get_untracked(),
            env: flotilla_compose::parse_dotenv(&env.get_untracked()).unwrap_or_default(),
            files: files.get_untracked(),
            prune: prune.get_untracked(),
        };
        serde_json::to_string(&input).unwrap_or_default()
    };
    let make_plan = {
        let swarm = swarm.clone();
        move |_| {
            let (swarm, stack, input) = (swarm.clone(), name.get_untracked(), input_json());
            let asked = edits.get_untracked();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = plan_stack(swarm, stack, input)
                    .await
                    .map_err(|e| e.to_string());
                // A plan for text that has changed since is not the plan of this text.
                if edits.get_untracked() == asked {
                    plan.set(Some(result));
                }
                busy.set(false);
            });
        }
    };
    let deploy = {
        let swarm = swarm.clone();
        move |_| {
            let (swarm, stack, input) = (swarm.clone(), name.get_untracked(), input_json());
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = deploy_stack(swarm, stack, input)
                    .await
                    .map_err(|e| e.to_string());
                // What was planned is done: the next deploy needs a new plan.
                plan.set(None);
                deployed.set(Some(result));
                progress_changes.update(|n| *n += 1);
                busy.set(false);
            });
        }
    };
    let can_deploy = move || {
        !busy.get()
            && matches!(checked.get(), Check::Valid { .. })
            && plan
                .get()
                .is_some_and(|p| p.is_ok_and(|p| p.plan.problems.is_empty()))
    };

    view! {
        <section class="stack-editor" id="stack-editor">
            <label>"Stack name"
                <input id="stack-name-input" prop:value=move || name.get() disabled=fixed_name
                    on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <label>"docker-compose.yml"
                <textarea id="compose" rows="18" spellcheck="false" prop:value=move || compose.get()
                    on:input=move |ev| compose.set(event_target_value(&ev))></textarea>
            </label>
            {move || match checked.get() {
                Check::Valid { services, warnings } => view! {
                    <div id="validation" class="notice ok" data-valid="true">
                        {format!("Valid: {services} service{}.", if services == 1 { "" } else { "s" })}
                        <ul class="warnings">
                            {warnings.into_iter().map(|w| view! { <li class="warning">{w}</li> }).collect_view()}
                        </ul>
                    </div>
                }.into_any(),
                Check::Invalid(message) => view! {
                    <div id="validation" class="notice error" data-valid="false">{message}</div>
                }.into_any(),
            }}
            <label>"Variables (NAME=value, one per line)"
                <textarea id="env" rows="4" spellcheck="false" prop:value=move || env.get()
                    on:input=move |ev| env.set(event_target_value(&ev))></textarea>
            </label>
            <fieldset>
                <legend>"Attached files (configs, secrets, env files, .env)"</legend>
                <label>"Folder in the compose file's paths (e.g. conf)"
                    <input id="file-dir" prop:value=move || file_dir.get()
                        on:input=move |ev| file_dir.set(event_target_value(&ev))/>
                </label>
                <input type="file" id="files" multiple on:change=move |ev| attach(ev, file_dir.get_untracked(), files)/>
                <ul id="attached">
                    {move || files.get().into_iter().map(|(path, bytes)| {
                        let (remove, shown) = (path.clone(), path.clone());
                        view! {
                            <li class="attached" data-path=path>
                                <code>{shown}</code>{format!(" ({} bytes) ", bytes.len())}
                                <button class="secondary" on:click=move |_| files.update(|f| { f.remove(&remove); })>"Detach"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </fieldset>
            <label class="inline">
                <input type="checkbox" id="prune" prop:checked=move || prune.get()
                    on:change=move |ev| prune.set(event_target_checked(&ev))/>
                "Prune: remove the stack's services that are no longer in the file"
            </label>
            <p class="actions">
                <button id="plan" on:click=make_plan
                    disabled=move || busy.get() || !matches!(checked.get(), Check::Valid { .. })>"Plan"</button>
                <button id="deploy" on:click=deploy disabled=move || !can_deploy()>"Deploy"</button>
            </p>
            {move || plan.get().map(|result| match result {
                Ok(plan) => view! { <PlanView plan/> }.into_any(),
                Err(err) => view! { <p class="notice error" id="plan-error">{err}</p> }.into_any(),
            })}
            {move || deployed.get().map(|result| match result {
                Ok(done) => {
                    let stack = name.get_untracked();
                    let href = format!("/swarms/{}/stacks/{stack}", swarm.clone());
                    view! {
                        <p class="notice ok" id="deploy-done">
                            {format!("Deployed as version {}. ", done.version.unwrap_or_default())}
                            <a href=href>"Open the stack"</a>
                        </p>
                        <ProgressTable swarm=swarm.clone() stack changes=progress_changes/>
                    }.into_any()
                }
                Err(err) => view! { <p class="notice error" id="deploy-error">{err}</p> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn PlanView(plan: StackPlan) -> impl IntoView {
    let counts = [
        Change::Create,
        Change::Update,
        Change::Remove,
        Change::Unchanged,
    ]
    .map(|c| plan.plan.count(c));
    view! {
        <div id="plan-result">
            <p class="plan-summary">
                {format!("{} to create, {} to update, {} to remove, {} unchanged.", counts[0], counts[1], counts[2], counts[3])}
            </p>
            <ul class="problems">
                {plan.plan.problems.iter().map(|p| view! { <li class="notice error problem">{p.clone()}</li> }).collect_view()}
            </ul>
            <ul class="warnings">
                {plan.warnings.iter().map(|w| view! { <li class="warning">{w.clone()}</li> }).collect_view()}
            </ul>
            <table>
                <thead><tr><th>"Change"</th><th>"Kind"</th><th>"Name"</th><th>"Fields"</th></tr></thead>
                <tbody>{plan.plan.objects.into_iter().map(plan_row).collect_view()}</tbody>
            </table>
        </div>
    }
}

fn plan_row(object: PlannedObject) -> impl IntoView {
    let change = match object.change {
        Change::Create => "create",
        Change::Update => "update",
        Change::Remove => "remove",
        Change::Unchanged => "unchanged",
    };
    let show =
        |v: &Option<serde_json::Value>| v.as_ref().map_or("—".to_owned(), |v| v.to_string());
    view! {
        <tr class="plan-row" data-kind=object.kind.clone() data-name=object.name.clone() data-change=change>
            <td class=format!("change change-{change}")>{change}</td>
            <td>{object.kind.clone()}</td>
            <td>{object.name.clone()}</td>
            <td>
                <ul class="fields">
                    {object.fields.iter().map(|f| view! {
                        <li class="field" data-path=f.path.clone()>
                            <code>{f.path.clone()}</code>": "{show(&f.before)}" → "{show(&f.after)}
                        </li>
                    }).collect_view()}
                </ul>
            </td>
        </tr>
    }
}

/// Reads the chosen files in the browser and attaches them under `dir/name`.
#[cfg(feature = "hydrate")]
fn attach(ev: leptos::ev::Event, dir: String, files: RwSignal<flotilla_compose::Files>) {
    use wasm_bindgen::JsCast;
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(list) = input.files() else { return };
    for index in 0..list.length() {
        let Some(file) = list.get(index) else {
            continue;
        };
        let key = flotilla_compose::file_key(&format!("{dir}/{}", file.name()));
        leptos::task::spawn_local(async move {
            if let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                files.update(|f| {
                    f.insert(key, bytes);
                });
            }
        });
    }
}

/// Files are only read in the browser.
#[cfg(not(feature = "hydrate"))]
fn attach(_ev: leptos::ev::Event, _dir: String, _files: RwSignal<flotilla_compose::Files>) {}
