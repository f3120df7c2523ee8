//! The stack editor: the compose text checked as it is typed by the same check the server
//! runs (compiled to WASM, so no round trip), variables, attached files, then a plan of what
//! would change, then the deploy and its progress until the stack converges.

use std::collections::BTreeMap;

use flotilla_stack::{Change, ImageResolution, PlannedObject, ResolveImage, StackInput, StackPlan};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::hooks::use_params_map;

use super::compose_input::{check, name_problem, Check, ComposeInput};
use super::progress::ProgressTable;
use crate::components::ErrorNotice;
use crate::error::{AppError, ErrorCode};

/// What a deploy keeps in the audit log: sizes and names, never variable values or files.
#[cfg(feature = "ssr")]
pub fn audit_request(input: &StackInput) -> serde_json::Value {
    serde_json::json!({
        "compose_bytes": input.compose.len(),
        "env": input.env.keys().collect::<Vec<_>>(),
        "files": input.files.keys().collect::<Vec<_>>(),
        "prune": input.prune,
        "resolve_image": input.resolve_image.as_str(),
    })
}

#[server(endpoint = "stacks/plan", input = Json)]
pub async fn plan_stack(
    swarm: String,
    stack: String,
    input: StackInput,
) -> Result<StackPlan, AppError> {
    let caller = crate::auth::ssr::authorize::<PlanStack>().await?;
    // A plan reads the running specs, variable values included: audited like a change.
    caller
        .audited(
            "stack.plan",
            &format!("{swarm}/{stack}"),
            audit_request(&input),
            caller
                .fleet
                .plan_stack(&swarm, &stack, &input, caller.principal.role),
        )
        .await
}

#[server(endpoint = "stacks/deploy", input = Json)]
pub async fn deploy_stack(
    swarm: String,
    stack: String,
    input: StackInput,
) -> Result<StackPlan, AppError> {
    let caller = crate::auth::ssr::authorize::<DeployStack>().await?;
    caller
        .audited(
            "stack.deploy",
            &format!("{swarm}/{stack}"),
            audit_request(&input),
            caller.fleet.deploy_stack(
                &swarm,
                &stack,
                &input,
                (&caller.principal.name, caller.principal.role),
            ),
        )
        .await
}

/// A version's whole input (variables and files included) for the editor — the newest when
/// `version` is none; operators only, since it holds variable values.
#[server(endpoint = "stacks/source")]
pub async fn stack_source(
    swarm: String,
    stack: String,
    version: Option<i64>,
) -> Result<StackInput, AppError> {
    let caller = crate::auth::ssr::authorize::<StackSource>().await?;
    let request = serde_json::json!({ "version": version });
    caller
        .audited(
            "stack.source",
            &format!("{swarm}/{stack}"),
            request,
            async {
                match version {
                    Some(version) => {
                        caller
                            .fleet
                            .stack_version_input(&swarm, &stack, version)
                            .await
                    }
                    None => caller.fleet.latest_stack_input(&swarm, &stack).await,
                }
            },
        )
        .await
}

fn env_text(env: &BTreeMap<String, String>) -> String {
    env.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

#[component]
pub fn NewStackPage() -> impl IntoView {
    let params = use_params_map();
    let swarm = move || params.read().get("swarm").unwrap_or_default();
    view! {
        {move || {
            let swarm = swarm();
            let back = format!("/swarms/{swarm}");
            view! {
                <h1>"Deploy a stack to "<a href=back>{swarm.clone()}</a></h1>
                <StackEditor swarm stack=None initial=None/>
            }
        }}
    }
}

/// The editor on a stack's page, filled with the newest version (variables and files
/// included) when asked for.
#[component]
pub fn EditPanel(swarm: String, stack: String) -> impl IntoView {
    let source = ServerAction::<StackSource>::new();
    let open = {
        let (swarm, stack) = (swarm.clone(), stack.clone());
        move |_| {
            source.dispatch(StackSource {
                swarm: swarm.clone(),
                stack: stack.clone(),
                version: None,
            });
        }
    };
    view! {
        <h2>"Change"</h2>
        <p class="actions"><button class="secondary" id="edit-stack" on:click=open
            disabled=move || source.pending().get()>"Edit and redeploy"</button></p>
        {move || source.value().get().map(|loaded| match loaded {
            Ok(initial) => view! {
                <StackEditor swarm=swarm.clone() stack=Some(stack.clone()) initial=Some(initial)/>
            }.into_any(),
            // A stack the CLI deployed has no recorded version: start from an empty editor.
            Err(error) if error.code == ErrorCode::NoVersion => view! {
                <p class="notice">{format!("{} Paste its compose file to deploy it from here.", error.message)}</p>
                <StackEditor swarm=swarm.clone() stack=Some(stack.clone()) initial=None/>
            }.into_any(),
            Err(error) => view! { <ErrorNotice error id="edit-error"/> }.into_any(),
        })}
    }
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
    let resolve_image = RwSignal::new(initial.resolve_image);
    let plan = ServerAction::<PlanStack>::new();
    let deploy = ServerAction::<DeployStack>::new();

    let checked = Memo::new(move |_| {
        files.with(|files| check(&name.get(), &compose.get(), &env.get(), files))
    });
    // Every edit counts; a plan belongs to the count it was asked at, so a plan of text that
    // has changed since is never shown nor deployed.
    let edits = RwSignal::new(0u64);
    Effect::new(move |_| {
        name.track();
        compose.track();
        env.track();
        files.track();
        prune.track();
        resolve_image.track();
        edits.update(|n| *n += 1);
    });
    let planned_at = RwSignal::new(None::<u64>);
    let current_plan = move || {
        (planned_at.get() == Some(edits.get()) && !plan.pending().get())
            .then(|| plan.value().get())
            .flatten()
    };
    let input = move || StackInput {
        compose: compose.get_untracked(),
        env: flotilla_compose::parse_dotenv(&env.get_untracked()).unwrap_or_default(),
        files: files.get_untracked(),
        prune: prune.get_untracked(),
        resolve_image: resolve_image.get_untracked(),
    };
    let make_plan = {
        let swarm = swarm.clone();
        move |_| {
            planned_at.set(Some(edits.get_untracked()));
            plan.dispatch(PlanStack {
                swarm: swarm.clone(),
                stack: name.get_untracked(),
                input: input(),
            });
        }
    };
    let start_deploy = {
        let swarm = swarm.clone();
        move |_| {
            // What was planned is being done: the next deploy needs a new plan.
            planned_at.set(None);
            deploy.dispatch(DeployStack {
                swarm: swarm.clone(),
                stack: name.get_untracked(),
                input: input(),
            });
        }
    };
    let busy = move || plan.pending().get() || deploy.pending().get();
    let named = Memo::new(move |_| name_problem(&name.get()));
    let valid = move || matches!(checked.get(), Check::Valid { .. }) && named.get().is_none();
    let error_line = Signal::derive(move || match checked.get() {
        Check::Invalid { line, .. } => line,
        Check::Valid { .. } => None,
    });
    let can_deploy = move || {
        !busy()
            && valid()
            && current_plan().is_some_and(|p| p.is_ok_and(|p| p.plan.problems.is_empty()))
    };
    let progress_changes = RwSignal::new(0u32);
    Effect::new(move |_| {
        deploy.version().track();
        progress_changes.update(|n| *n += 1);
    });

    view! {
        <section class="stack-editor" id="stack-editor">
            <label>"Stack name"
                <input id="stack-name-input" prop:value=move || name.get() disabled=fixed_name
                    on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            {move || named.get().map(|problem| view! {
                <p class="notice error" id="name-validation">{format!("stack name: {problem}")}</p>
            })}
            <label for="compose">"docker-compose.yml"</label>
            <ComposeInput compose env error_line/>
            {move || match checked.get() {
                Check::Valid { services, warnings } => view! {
                    <div id="validation" class="notice ok" data-valid="true">
                        {format!("Valid: {services} service{}.", if services == 1 { "" } else { "s" })}
                        <ul class="warnings">
                            {warnings.into_iter().map(|w| view! { <li class="warning">{w}</li> }).collect_view()}
                        </ul>
                    </div>
                }.into_any(),
                Check::Invalid { message, line } => view! {
                    <div id="validation" class="notice error" data-valid="false"
                        data-line=line.map(|l| l.to_string())>{message}</div>
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
            <label>"Pin images to their registry digests (the CLI's --resolve-image)"
                <select id="resolve-image"
                    on:change=move |ev| resolve_image.set(ResolveImage::parse(&event_target_value(&ev)).unwrap_or_default())>
                    {[
                        (ResolveImage::Always, "always: every image, at every deploy"),
                        (ResolveImage::Changed, "changed: only images the file changes"),
                        (ResolveImage::Never, "never: run the tags"),
                    ].into_iter().map(|(mode, text)| view! {
                        <option value=mode.as_str() selected=move || resolve_image.get() == mode>{text}</option>
                    }).collect_view()}
                </select>
            </label>
            <p class="actions">
                <button id="plan" on:click=make_plan disabled=move || busy() || !valid()>"Plan"</button>
                <button id="deploy" on:click=start_deploy disabled=move || !can_deploy()>"Deploy"</button>
            </p>
            {move || current_plan().map(|result| match result {
                Ok(plan) => view! { <PlanView plan/> }.into_any(),
                Err(error) => view! { <ErrorNotice error id="plan-error"/> }.into_any(),
            })}
            {move || deploy.value().get().map(|result| match result {
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
                Err(error) => view! { <ErrorNotice error id="deploy-error"/> }.into_any(),
            })}
        </section>
    }
}

#[component]
pub(super) fn PlanView(plan: StackPlan) -> impl IntoView {
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
            {(!plan.undoes.is_empty()).then(|| view! {
                <div class="notice warn" id="plan-undoes">
                    <p>"This deploy undoes changes made since the newest version:"</p>
                    <super::page::UndoneDrift drifts=plan.undoes.clone()/>
                </div>
            })}
            {(!plan.privileges.is_empty()).then(|| view! {
                <p class="hint">"Reaches the nodes themselves:"</p>
                <ul class="privileges">
                    {plan.privileges.iter().map(|p| view! {
                        <li class="privilege" data-service=p.service.clone()>{format!("{} {}", p.service, p.what)}</li>
                    }).collect_view()}
                </ul>
            })}
            <crate::components::DataTable headers=&["Change", "Kind", "Name", "Fields"]>
                {plan.plan.objects.into_iter().map(plan_row).collect_view()}
            </crate::components::DataTable>
            {(!plan.images.is_empty()).then(|| view! {
                <h3>"Images"</h3>
                <crate::components::DataTable headers=&["Service", "Image", "Digest on the registry"]>
                    {plan.images.into_iter().map(image_row).collect_view()}
                </crate::components::DataTable>
            })}
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

fn image_row(image: ImageResolution) -> impl IntoView {
    let found = image.digest.clone().unwrap_or_default();
    let service = image.service.clone();
    view! {
        <tr class="image-row" data-service=service data-digest=found>
            <td>{image.service}</td>
            <td><code>{image.image}</code></td>
            <td>
                {image.digest.map(|d| view! { <code class="digest">{d}</code> })}
                {image.note.map(|n| view! { <span class="hint">{format!(" {n}")}</span> })}
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
