//! Registries: where private images come from, with the credentials the nodes pull with.
//! An engine logs in before a registry is saved; the password never comes back to a page.

use leptos::prelude::*;

use crate::components::{DataTable, ErrorNotice, Loading};
use crate::error::AppError;
use crate::views::RegistryRow;

#[server(endpoint = "registries/list")]
pub async fn list_registries() -> Result<Vec<RegistryRow>, AppError> {
    let caller = crate::auth::ssr::authorize::<ListRegistries>().await?;
    Ok(caller
        .fleet
        .registries()
        .await?
        .into_iter()
        .map(ssr::row)
        .collect())
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::views::RegistryRow;

    pub fn row(registry: flotilla_fleet::RegistrySummary) -> RegistryRow {
        RegistryRow {
            address: registry.address,
            username: registry.username,
            updated_at: registry.updated_at,
            hook: registry.hook,
        }
    }
}

/// Saves a registry (or its new credentials) once an engine has logged in with them.
#[server(endpoint = "registries/save")]
pub async fn save_registry(
    address: String,
    username: String,
    password: String,
) -> Result<RegistryRow, AppError> {
    let caller = crate::auth::ssr::authorize::<SaveRegistry>().await?;
    let address = address.trim().to_owned();
    // The password is a credential: the audit log keeps who and where, never it.
    let audit = serde_json::json!({ "address": address, "username": username.trim() });
    let saved = caller
        .audited("registry.save", &address, audit, async {
            caller
                .fleet
                .save_registry(&address, &username, &password)
                .await
        })
        .await?;
    Ok(ssr::row(saved))
}

#[server(endpoint = "registries/remove")]
pub async fn remove_registry(address: String) -> Result<(), AppError> {
    let caller = crate::auth::ssr::authorize::<RemoveRegistry>().await?;
    caller
        .audited("registry.remove", &address, serde_json::json!({}), async {
            caller.fleet.remove_registry(&address).await
        })
        .await
}

/// Gives the registry a new push-notification token and returns it (shown this once); the
/// one before stops working.
#[server(endpoint = "registries/hook")]
pub async fn rotate_registry_hook(address: String) -> Result<String, AppError> {
    let caller = crate::auth::ssr::authorize::<RotateRegistryHook>().await?;
    caller
        .audited("registry.hook", &address, serde_json::json!({}), async {
            caller.fleet.rotate_registry_hook(&address).await
        })
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

#[component]
pub fn RegistriesPage() -> impl IntoView {
    let save = ServerAction::<SaveRegistry>::new();
    let remove = ServerAction::<RemoveRegistry>::new();
    let hook = ServerAction::<RotateRegistryHook>::new();
    let registries = Resource::new(
        move || {
            (
                save.version().get(),
                remove.version().get(),
                hook.version().get(),
            )
        },
        |_| list_registries(),
    );
    view! {
        <h1>"Registries"</h1>
        <p class="hint">"Where private images come from. A deploy hands each service the credentials of its image's registry, as "
            <code>"docker stack deploy --with-registry-auth"</code>" does, so every node can pull, and pins each image to its digest. "
            "With a hook URL in the registry's notifications, a push of a new build redeploys the services that follow their tag (on their stack's page)."</p>
        <Loading text="Reading the registries…">
            {move || Suspend::new(async move {
                let rows = registries.await?;
                Ok::<_, AppError>(if rows.is_empty() {
                    view! { <p class="notice" id="registries-empty">"No registries yet: images come from where the nodes can pull without a login."</p> }.into_any()
                } else {
                    view! { <RegistryTable rows remove hook/> }.into_any()
                })
            })}
        </Loading>
        {move || remove.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error id="registry-remove-error"/> })}
        {move || hook.value().get().map(|result| match result {
            Ok(token) => {
                let url = format!("{}/hooks/registry/{token}", page_origin());
                let snippet = format!(
                    "notifications:\n  endpoints:\n    - name: flotilla\n      url: {url}\n      timeout: 2s\n      ignoredmediatypes:\n        - application/octet-stream\n"
                );
                view! {
                    <div class="notice ok" id="registry-hook">
                        <p>"The registry's push notifications go to this URL. It is shown once: copy it now. Add to the registry's "<code>"config.yml"</code>":"</p>
                        <pre id="registry-hook-config"><code>{snippet}</code></pre>
                        <p class="hint" id="registry-hook-url" data-url=url.clone()>{url.clone()}</p>
                    </div>
                }.into_any()
            }
            Err(error) => view! { <ErrorNotice error id="registry-hook-error"/> }.into_any(),
        })}
        <h2>"Add a registry, or give one new credentials"</h2>
        <ActionForm action=save attr:id="registry-form" attr:class="stacked">
            <label>"Address "<input type="text" name="address" required placeholder="registry.example.com or 10.0.0.5:5000"/></label>
            <label>"User "<input type="text" name="username" required autocomplete="off"/></label>
            <label>"Password or token "<input type="password" name="password" required autocomplete="new-password"/></label>
            <button type="submit" disabled=move || save.pending().get()>"Log in and save"</button>
        </ActionForm>
        {move || save.value().get().map(|result| match result {
            Ok(saved) => view! { <p class="notice ok" id="registry-saved">{format!("Logged in to {} as {}; saved.", saved.address, saved.username)}</p> }.into_any(),
            Err(error) => view! { <ErrorNotice error id="registry-error"/> }.into_any(),
        })}
    }
}

#[component]
fn RegistryTable(
    rows: Vec<RegistryRow>,
    remove: ServerAction<RemoveRegistry>,
    hook: ServerAction<RotateRegistryHook>,
) -> impl IntoView {
    view! {
        <DataTable id="registries" headers=&["Address", "User", "Saved", "Push notifications", ""]>
            {rows.into_iter().map(|row| {
                let address = row.address.clone();
                let hooked = row.address.clone();
                view! {
                    <tr class="registry-row" data-address=row.address.clone()>
                        <td><code>{row.address.clone()}</code></td>
                        <td>{row.username.clone()}</td>
                        <td>{crate::views::utc_time(row.updated_at)}</td>
                        <td>
                            {if row.hook { "hook URL made " } else { "none " }}
                            <button class="secondary hook" disabled=move || hook.pending().get()
                                on:click=move |_| { hook.dispatch(RotateRegistryHook { address: hooked.clone() }); }>
                                {if row.hook { "New hook URL" } else { "Make a hook URL" }}
                            </button>
                        </td>
                        <td>
                            <button class="secondary danger" disabled=move || remove.pending().get()
                                on:click=move |_| { remove.dispatch(RemoveRegistry { address: address.clone() }); }>
                                "Remove"
                            </button>
                        </td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}
