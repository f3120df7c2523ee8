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

#[component]
pub fn RegistriesPage() -> impl IntoView {
    let save = ServerAction::<SaveRegistry>::new();
    let remove = ServerAction::<RemoveRegistry>::new();
    let registries = Resource::new(
        move || (save.version().get(), remove.version().get()),
        |_| list_registries(),
    );
    view! {
        <h1>"Registries"</h1>
        <p class="hint">"Where private images come from. A deploy hands each service the credentials of its image's registry, as "
            <code>"docker stack deploy --with-registry-auth"</code>" does, so every node can pull."</p>
        <Loading text="Reading the registries…">
            {move || Suspend::new(async move {
                let rows = registries.await?;
                Ok::<_, AppError>(if rows.is_empty() {
                    view! { <p class="notice" id="registries-empty">"No registries yet: images come from where the nodes can pull without a login."</p> }.into_any()
                } else {
                    view! { <RegistryTable rows remove/> }.into_any()
                })
            })}
        </Loading>
        {move || remove.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error id="registry-remove-error"/> })}
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
fn RegistryTable(rows: Vec<RegistryRow>, remove: ServerAction<RemoveRegistry>) -> impl IntoView {
    view! {
        <DataTable id="registries" headers=&["Address", "User", "Saved", ""]>
            {rows.into_iter().map(|row| {
                let address = row.address.clone();
                view! {
                    <tr class="registry-row" data-address=row.address.clone()>
                        <td><code>{row.address.clone()}</code></td>
                        <td>{row.username.clone()}</td>
                        <td>{crate::views::utc_time(row.updated_at)}</td>
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
