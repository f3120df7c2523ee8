//! Hosts: the Docker engines the console may use, registered by URL.

use leptos::prelude::*;

use crate::components::{DataTable, ErrorNotice, Loading};
use crate::error::AppError;
use crate::views::{EngineRow, HostRow};

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use flotilla_fleet::{EngineInfo, Fleet, HostStatus};

    use crate::views::{human_bytes, EngineRow, HostRow};

    pub fn engine_row(info: EngineInfo) -> EngineRow {
        EngineRow {
            version: info.engine_version,
            api_version: info.api_version,
            os: info.os,
            arch: info.arch,
            cpus: info.cpus,
            memory: human_bytes(info.memory_bytes),
            swarm_state: info.swarm_state.as_str().into(),
        }
    }

    pub async fn host_rows(fleet: &Fleet) -> Result<Vec<HostRow>, flotilla_fleet::FleetError> {
        let swarms = fleet.swarms().await?;
        let statuses = fleet.host_statuses().await?;
        Ok(statuses
            .into_iter()
            .map(|status: HostStatus| HostRow {
                swarm: status
                    .swarm_id
                    .and_then(|id| swarms.iter().find(|s| s.id == id).map(|s| s.name.clone())),
                name: status.name,
                url: status.url,
                tls: status.tls,
                engine: status.engine.map(engine_row),
            })
            .collect())
    }
}

#[server(endpoint = "hosts/list")]
pub async fn list_hosts() -> Result<Vec<HostRow>, AppError> {
    let caller = crate::auth::ssr::authorize::<ListHosts>().await?;
    Ok(ssr::host_rows(&caller.fleet).await?)
}

/// Asks every host's engine again now (otherwise every 30 seconds).
#[server(endpoint = "hosts/check")]
pub async fn check_hosts() -> Result<Vec<HostRow>, AppError> {
    let caller = crate::auth::ssr::authorize::<CheckHosts>().await?;
    caller.fleet.refresh_hosts().await?;
    Ok(ssr::host_rows(&caller.fleet).await?)
}

/// Registers a host; TLS material is stored and never sent back.
#[server(endpoint = "hosts/add")]
pub async fn add_host(
    name: String,
    url: String,
    tls_ca: String,
    tls_cert: String,
    tls_key: String,
    save_anyway: Option<String>,
) -> Result<HostRow, AppError> {
    use flotilla_store::TlsMaterial;

    let caller = crate::auth::ssr::authorize::<AddHost>().await?;
    let tls = [&tls_ca, &tls_cert, &tls_key]
        .iter()
        .any(|pem| !pem.trim().is_empty())
        .then(|| TlsMaterial {
            ca: tls_ca.trim().to_owned(),
            cert: tls_cert.trim().to_owned(),
            key: tls_key.trim().to_owned(),
        });
    let request = flotilla_fleet::NewHostRequest {
        name: name.trim().to_owned(),
        url: url.trim().to_owned(),
        save_anyway: save_anyway.is_some(),
        tls,
    };
    let audit = serde_json::json!({
        "name": request.name, "url": request.url, "tls": request.tls.is_some(),
        "save_anyway": request.save_anyway,
    });
    let status = caller
        .audited("host.add", &request.name, audit, async {
            caller.fleet.register_host(&request).await
        })
        .await?;
    Ok(HostRow {
        name: status.name,
        url: status.url,
        tls: status.tls,
        swarm: None,
        engine: status.engine.map(ssr::engine_row),
    })
}

#[server(endpoint = "hosts/remove")]
pub async fn remove_host(name: String) -> Result<(), AppError> {
    let caller = crate::auth::ssr::authorize::<RemoveHost>().await?;
    caller
        .audited("host.remove", &name, serde_json::json!({}), async {
            caller.fleet.remove_host(&name).await
        })
        .await
}

#[component]
pub fn HostsPage() -> impl IntoView {
    let add = ServerAction::<AddHost>::new();
    let remove = ServerAction::<RemoveHost>::new();
    let check = ServerAction::<CheckHosts>::new();
    let hosts = Resource::new(
        move || {
            (
                add.version().get(),
                remove.version().get(),
                check.version().get(),
            )
        },
        |_| list_hosts(),
    );
    let failed = move || add.value().get().and_then(Result::err);
    view! {
        <h1>"Hosts"</h1>
        <p class="hint">"Docker engines this console may use, as they answered when last asked (every 30 seconds). "
            <a href="/swarms/new">"Create a swarm"</a>" from them once registered."</p>
        <p class="actions">
            <button class="secondary" id="check-hosts" disabled=move || check.pending().get()
                on:click=move |_| { check.dispatch(CheckHosts {}); }>"Check now"</button>
        </p>
        {move || check.value().get().and_then(Result::err).map(|error| view! {
            <ErrorNotice error id="check-error"/>
        })}
        <Loading text="Asking the hosts…">
            {move || Suspend::new(async move {
                let rows = hosts.await?;
                Ok::<_, AppError>(if rows.is_empty() {
                    view! { <p class="notice" id="hosts-empty">"No hosts yet. Register one below."</p> }.into_any()
                } else {
                    view! { <HostTable rows remove/> }.into_any()
                })
            })}
        </Loading>
        <h2>"Register a host"</h2>
        <ActionForm action=add attr:id="host-form" attr:class="stacked">
            <label>"Name "<input type="text" name="name" required placeholder="node1"/></label>
            <label>"Engine URL "<input type="text" name="url" required
                placeholder="unix:///var/run/docker.sock or tcp://10.0.0.2:2376"/></label>
            <details>
                <summary>"TLS (tcp:// with --tlsverify)"</summary>
                <label>"CA certificate (ca.pem) "<textarea name="tls_ca" rows="3"></textarea></label>
                <label>"Client certificate (cert.pem) "<textarea name="tls_cert" rows="3"></textarea></label>
                <label>"Client key (key.pem) "<textarea name="tls_key" rows="3"></textarea></label>
            </details>
            {move || failed().map(|_| view! {
                <label class="save-anyway">
                    <input type="checkbox" name="save_anyway" value="on"/>
                    " Save anyway (the engine can be checked later)"
                </label>
            })}
            <button type="submit">"Check and register"</button>
        </ActionForm>
        {move || failed().map(|error| view! { <ErrorNotice error id="host-error"/> })}
    }
}

#[component]
fn HostTable(rows: Vec<HostRow>, remove: ServerAction<RemoveHost>) -> impl IntoView {
    view! {
        <DataTable id="hosts" headers=&["Name", "URL", "Engine", "OS / arch", "CPUs", "Memory", "Swarm", ""]>
                {rows.into_iter().map(|row| {
                    let name = row.name.clone();
                    let swarm = match (&row.engine, &row.swarm) {
                        (_, Some(swarm)) => swarm.clone(),
                        (Ok(EngineRow { swarm_state, .. }), None) => swarm_state.clone(),
                        (Err(_), None) => "—".into(),
                    };
                    view! {
                        <tr class="host-row" data-name=row.name.clone()>
                            <td>{row.name.clone()}</td>
                            <td><code>{row.url.clone()}</code>{row.tls.then_some(" 🔒")}</td>
                            {match row.engine {
                                Ok(engine) => view! {
                                    <td class="engine">{engine.version}" (API "{engine.api_version}")"</td>
                                    <td>{engine.os}" / "{engine.arch}</td>
                                    <td>{engine.cpus}</td>
                                    <td>{engine.memory}</td>
                                }.into_any(),
                                Err(err) => view! {
                                    <td colspan="4" class="engine error">{err}</td>
                                }.into_any(),
                            }}
                            <td class="swarm">{swarm}</td>
                            <td><button class="secondary" on:click=move |_| {
                                remove.dispatch(RemoveHost { name: name.clone() });
                            }>"Remove"</button></td>
                        </tr>
                    }
                }).collect_view()}
        </DataTable>
        {move || remove.value().get().and_then(Result::err).map(|error| view! {
            <ErrorNotice error id="remove-error"/>
        })}
    }
}
