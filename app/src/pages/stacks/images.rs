//! A stack's images: each service's tag, the digest its tasks run on each node, a check of
//! the registry for a newer digest (on demand), and whether a push of the tag redeploys it.

use flotilla_stack::{ImageCheck, ServiceImages};
use leptos::prelude::*;

use crate::components::{DataTable, ErrorNotice, Loading};
use crate::error::AppError;

#[server(endpoint = "stacks/images")]
/// The stack's images, and whether the whole stack follows its tags.
pub async fn stack_images(
    swarm: String,
    stack: String,
) -> Result<(Vec<ServiceImages>, bool), AppError> {
    let caller = crate::auth::ssr::authorize::<StackImages>().await?;
    let images = caller.fleet.stack_images(&swarm, &stack).await?;
    let whole = caller
        .fleet
        .push_settings(&swarm, &stack)
        .await?
        .whole_stack;
    Ok((images, whole))
}

/// Asks the registries now; nothing polls this.
#[server(endpoint = "stacks/images/check")]
pub async fn check_images(swarm: String, stack: String) -> Result<Vec<ImageCheck>, AppError> {
    let caller = crate::auth::ssr::authorize::<CheckImages>().await?;
    Ok(caller.fleet.check_newer_images(&swarm, &stack).await?)
}

/// Turns redeploy-on-push on or off for one service (`service` empty: the whole stack).
#[server(endpoint = "stacks/push-redeploy")]
pub async fn set_push_redeploy(
    swarm: String,
    stack: String,
    service: String,
    on: bool,
) -> Result<(), AppError> {
    let caller = crate::auth::ssr::authorize::<SetPushRedeploy>().await?;
    let service = (!service.is_empty()).then_some(service);
    caller
        .audited(
            "stack.push-redeploy",
            &format!("{swarm}/{stack}"),
            serde_json::json!({ "service": service, "on": on }),
            async {
                caller
                    .fleet
                    .set_push_redeploy(
                        &swarm,
                        (&stack, service.as_deref()),
                        on,
                        &caller.principal.name,
                    )
                    .await
                    .map(drop)
            },
        )
        .await
}

fn short(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    format!("{}…", &hex[..hex.len().min(12)])
}

#[component]
pub fn ImagesPanel(swarm: String, stack: String, changes: RwSignal<u32>) -> impl IntoView {
    let switch = ServerAction::<SetPushRedeploy>::new();
    let check = ServerAction::<CheckImages>::new();
    let images = {
        let (swarm, stack) = (swarm.clone(), stack.clone());
        Resource::new(
            move || (changes.get(), switch.version().get()),
            move |_| stack_images(swarm.clone(), stack.clone()),
        )
    };

    let ask = {
        let (swarm, stack) = (swarm.clone(), stack.clone());
        move |_: leptos::ev::MouseEvent| {
            check.dispatch(CheckImages {
                swarm: swarm.clone(),
                stack: stack.clone(),
            });
        }
    };
    let names = StoredValue::new((swarm, stack));
    view! {
        <h2>"Images"</h2>
        <Loading>
            {move || {
                let (swarm, stack) = names.get_value();
                let (for_swarm, for_stack) = (swarm.clone(), stack.clone());
                let whole = move |on: bool| {
                    switch.dispatch(SetPushRedeploy {
                        swarm: for_swarm.clone(),
                        stack: for_stack.clone(),
                        service: String::new(),
                        on,
                    });
                };
                Suspend::new(async move {
                    let (rows, all_follow) = images.await?;
                    Ok::<_, AppError>(view! {
                        <label class="inline">
                            <input type="checkbox" id="push-redeploy-stack" prop:checked=all_follow
                                disabled=move || switch.pending().get()
                                on:change=move |ev| whole(event_target_checked(&ev))/>
                            "Redeploy the whole stack when a new build of its tags is pushed"
                        </label>
                        <DataTable id="images" headers=&["Service", "Tag", "Pinned to", "Running on", "Redeploy on push"]>
                            {rows.into_iter().map(|row| image_row(row, (&swarm, &stack), switch)).collect_view()}
                        </DataTable>
                    })
                })
            }}
        </Loading>
        {move || switch.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error id="push-redeploy-error"/> })}
        <p class="actions">
            <button class="secondary" id="check-images" on:click=ask disabled=move || check.pending().get()>
                "Check the registries for newer digests"
            </button>
        </p>
        {move || check.value().get().map(|result| match result {
            Ok(checks) => view! {
                <ul id="image-checks">
                    {checks.into_iter().map(|c| {
                        let text = match (&c.latest, c.newer) {
                            (Some(latest), true) => format!("{}: newer on the registry: {} (runs {})", c.service, short(latest), c.running.as_deref().map(short).unwrap_or_default()),
                            (Some(latest), false) => format!("{}: up to date ({})", c.service, short(latest)),
                            (None, _) => format!("{}: not checked", c.service),
                        };
                        let note = c.note.clone().map(|n| format!(" — {n}")).unwrap_or_default();
                        view! { <li class="image-check" data-service=c.service.clone() data-newer=c.newer.to_string()>{text}{note}</li> }
                    }).collect_view()}
                </ul>
            }.into_any(),
            Err(error) => view! { <ErrorNotice error id="image-check-error"/> }.into_any(),
        })}
    }
}

fn image_row(
    row: ServiceImages,
    (swarm, stack): (&str, &str),
    switch: ServerAction<SetPushRedeploy>,
) -> impl IntoView {
    let (swarm, stack, key) = (swarm.to_owned(), stack.to_owned(), row.key.clone());
    let nodes = row
        .nodes
        .iter()
        .map(|n| {
            let digest = n.digest.as_deref().map_or("the tag".to_owned(), short);
            format!(
                "{}: {} ({} task{})",
                n.node,
                digest,
                n.tasks,
                if n.tasks == 1 { "" } else { "s" }
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    view! {
        <tr class="image-service" data-service=row.service.clone()
            data-digest=row.digest.clone().unwrap_or_default()>
            <td>{row.service.clone()}</td>
            <td><code>{row.tag.clone()}</code></td>
            <td>{row.digest.as_deref().map_or("— (runs the tag)".to_owned(), short)}</td>
            <td class="image-nodes">{nodes}</td>
            <td>
                <input type="checkbox" class="push-redeploy" prop:checked=row.follows_pushes
                    disabled=move || switch.pending().get()
                    on:change=move |ev| {
                        switch.dispatch(SetPushRedeploy {
                            swarm: swarm.clone(),
                            stack: stack.clone(),
                            service: key.clone(),
                            on: event_target_checked(&ev),
                        });
                    }/>
            </td>
        </tr>
    }
}
