//! A stack's or a service's redeploy webhooks: made, listed, rotated and revoked by operators
//! on its page. The URL holds the secret, so it is shown once, when made or rotated.

use flotilla_stack::{WebhookInfo, WebhookSecret};
use leptos::prelude::*;

use crate::components::{DataTable, ErrorNotice, Loading};
use crate::error::AppError;
use crate::views::utc_time;

/// What a hook is for: a stack (`service` empty) or one service.
#[cfg(feature = "ssr")]
fn target_name(stack: &str, service: &str) -> String {
    if service.is_empty() {
        stack.to_owned()
    } else {
        service.to_owned()
    }
}

#[server(endpoint = "webhooks/list")]
/// The hooks of `stack` (with `service` empty) or of `service`.
pub async fn list_webhooks(
    swarm: String,
    stack: String,
    service: String,
) -> Result<Vec<WebhookInfo>, AppError> {
    let caller = crate::auth::ssr::authorize::<ListWebhooks>().await?;
    let hooks = if service.is_empty() {
        let mut hooks = caller.fleet.stack_webhooks(&swarm, &stack).await?;
        hooks.retain(|hook| hook.service.is_none());
        hooks
    } else {
        caller.fleet.service_webhooks(&swarm, &service).await?
    };
    Ok(hooks)
}

#[server(endpoint = "webhooks/create")]
pub async fn create_webhook(
    swarm: String,
    stack: String,
    service: String,
) -> Result<WebhookSecret, AppError> {
    let caller = crate::auth::ssr::authorize::<CreateWebhook>().await?;
    let by = caller.principal.name.clone();
    caller
        .audited(
            "webhook.create",
            &format!("{swarm}/{}", target_name(&stack, &service)),
            serde_json::json!({ "stack": stack, "service": service }),
            async {
                if service.is_empty() {
                    caller.fleet.create_stack_webhook(&swarm, &stack, &by).await
                } else {
                    caller
                        .fleet
                        .create_service_webhook(&swarm, &service, &by)
                        .await
                }
            },
        )
        .await
}

#[server(endpoint = "webhooks/rotate")]
pub async fn rotate_webhook(swarm: String, id: String) -> Result<WebhookSecret, AppError> {
    let caller = crate::auth::ssr::authorize::<RotateWebhook>().await?;
    caller
        .audited(
            "webhook.rotate",
            &format!("{swarm}/{id}"),
            serde_json::json!({}),
            async { caller.fleet.rotate_webhook(&swarm, &id).await },
        )
        .await
}

#[server(endpoint = "webhooks/revoke")]
pub async fn revoke_webhook(swarm: String, id: String) -> Result<(), AppError> {
    let caller = crate::auth::ssr::authorize::<RevokeWebhook>().await?;
    caller
        .audited(
            "webhook.revoke",
            &format!("{swarm}/{id}"),
            serde_json::json!({}),
            async { caller.fleet.revoke_webhook(&swarm, &id).await },
        )
        .await
}

/// Where this page was served from, for the hook's full URL.
fn page_origin() -> String {
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return origin;
    }
    String::new()
}

/// The hooks panel of a stack's page (`service` empty) or of a service's page.
#[component]
pub fn WebhooksPanel(swarm: String, stack: String, service: String) -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let rotate = ServerAction::<RotateWebhook>::new();
    let revoke = ServerAction::<RevokeWebhook>::new();
    let names = StoredValue::new((swarm, stack, service));
    let hooks = Resource::new(
        move || {
            (
                create.version().get(),
                rotate.version().get(),
                revoke.version().get(),
            )
        },
        move |_| {
            let (swarm, stack, service) = names.get_value();
            list_webhooks(swarm, stack, service)
        },
    );
    let for_service = !names.with_value(|(_, _, service)| service.is_empty());
    let what = if for_service {
        "forces new tasks of this service; with "
    } else {
        "deploys this stack's newest version again (its tags resolved to the digests they have now)."
    };
    let make = move |_| {
        let (swarm, stack, service) = names.get_value();
        create.dispatch(CreateWebhook {
            swarm,
            stack,
            service,
        });
    };
    // The secret of the hook just made or rotated, whichever came last.
    let shown = RwSignal::new(None::<Result<WebhookSecret, AppError>>);
    Effect::new(move |_| {
        if let Some(result) = create.value().get() {
            shown.set(Some(result));
        }
    });
    Effect::new(move |_| {
        if let Some(result) = rotate.value().get() {
            shown.set(Some(result));
        }
    });
    view! {
        <section class="webhooks" id="webhooks">
            <h2>"Webhooks"</h2>
            <p class="hint">"A " <code>"POST"</code> " to a webhook's URL " {what}
                {for_service.then(|| view! { <code>"?tag=T"</code> " it switches the image to tag T and writes that into the stack file." })}
                " Each call is audited with its address; a hook takes a few calls a minute."</p>
            <Loading>
                {move || Suspend::new(async move {
                    let rows = hooks.await?;
                    Ok::<_, AppError>(if rows.is_empty() {
                        view! { <p class="notice" id="webhooks-empty">"No webhooks."</p> }.into_any()
                    } else {
                        view! {
                            <DataTable id="webhook-list" headers=&["Webhook", "Made by", "Made", "Last called", ""]>
                                {rows.into_iter().map(|hook| webhook_row(hook, names.with_value(|n| n.0.clone()), rotate, revoke)).collect_view()}
                            </DataTable>
                        }.into_any()
                    })
                })}
            </Loading>
            <p class="actions">
                <button class="secondary" id="create-webhook" on:click=make disabled=move || create.pending().get()>"New webhook"</button>
            </p>
            {move || revoke.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error id="webhook-revoke-error"/> })}
            {move || shown.get().map(|result| match result {
                Ok(secret) => {
                    let url = format!("{}/hooks/{}", page_origin(), secret.token);
                    let example = if for_service {
                        format!("curl -fsS -X POST '{url}?tag=NEW_TAG'")
                    } else {
                        format!("curl -fsS -X POST '{url}'")
                    };
                    view! {
                        <div class="notice ok" id="webhook-secret" data-id=secret.hook.id.clone() data-url=url.clone()>
                            <p>"The webhook's URL is its secret, shown once: copy it now."</p>
                            <pre><code>{example}</code></pre>
                        </div>
                    }.into_any()
                }
                Err(error) => view! { <ErrorNotice error id="webhook-error"/> }.into_any(),
            })}
        </section>
    }
}

fn webhook_row(
    hook: WebhookInfo,
    swarm: String,
    rotate: ServerAction<RotateWebhook>,
    revoke: ServerAction<RevokeWebhook>,
) -> impl IntoView {
    let id = hook.id.clone();
    let (swarm_again, id_again) = (swarm.clone(), id.clone());
    let short = id.chars().take(8).collect::<String>();
    view! {
        <tr class="webhook" data-id=hook.id.clone()>
            <td><code>{short}</code></td>
            <td>{hook.created_by.clone()}</td>
            <td>{utc_time(hook.created_at)}</td>
            <td class="last-called">{hook.last_called_at.map(utc_time).unwrap_or_else(|| "never".into())}</td>
            <td class="actions">
                <button class="secondary rotate-webhook" on:click=move |_| { rotate.dispatch(RotateWebhook { swarm: swarm.clone(), id: id.clone() }); }>"Rotate"</button>
                <button class="danger revoke-webhook" on:click=move |_| { revoke.dispatch(RevokeWebhook { swarm: swarm_again.clone(), id: id_again.clone() }); }>"Revoke"</button>
            </td>
        </tr>
    }
}
