//! What an admin does to a whole swarm from its page: add a registered host, show and
//! rotate the join tokens, dissolve it.

use leptos::prelude::*;

use super::hosts::list_hosts;
use super::swarms::JoinSwarm;
use crate::components::{ConfirmByName, ErrorNotice, Loading};
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TokensView {
    pub worker: String,
    pub manager: String,
}

/// `docker swarm join-token`: admins only, since a token admits a machine to the swarm.
#[server(endpoint = "swarm/tokens")]
pub async fn join_tokens(swarm: String) -> Result<TokensView, AppError> {
    let caller = crate::auth::ssr::authorize::<JoinTokens>().await?;
    // A token admits a machine to the swarm: who read one is kept.
    let tokens = caller
        .audited("swarm.join-tokens", &swarm, serde_json::json!({}), async {
            caller.fleet.join_tokens(&swarm).await
        })
        .await?;
    Ok(TokensView {
        worker: tokens.worker,
        manager: tokens.manager,
    })
}

#[server(endpoint = "swarm/rotate")]
pub async fn rotate_token(swarm: String, kind: String) -> Result<TokensView, AppError> {
    use flotilla_fleet::TokenKind;
    let caller = crate::auth::ssr::authorize::<RotateToken>().await?;
    let which = match kind.as_str() {
        "worker" => TokenKind::Worker,
        "manager" => TokenKind::Manager,
        other => {
            return Err(AppError::invalid(
                "kind",
                format!("`{other}` is not worker or manager"),
            ))
        }
    };
    let request = serde_json::json!({ "kind": kind });
    let tokens = caller
        .audited("swarm.rotate-token", &swarm, request, async {
            caller.fleet.rotate_join_token(&swarm, which).await
        })
        .await?;
    Ok(TokensView {
        worker: tokens.worker,
        manager: tokens.manager,
    })
}

/// Every registered host leaves the swarm, then the console forgets it.
#[server(endpoint = "swarm/dissolve")]
pub async fn dissolve_swarm(swarm: String, confirm: String) -> Result<(), AppError> {
    let caller = crate::auth::ssr::authorize::<DissolveSwarm>().await?;
    caller
        .audited("swarm.dissolve", &swarm, serde_json::json!({}), async {
            caller.fleet.dissolve_swarm(&swarm, confirm.trim()).await
        })
        .await
}

#[component]
pub fn AddHostPanel(swarm: String, changes: RwSignal<u32>) -> impl IntoView {
    let join = ServerAction::<JoinSwarm>::new();
    let hosts = Resource::new(move || join.version().get(), |_| list_hosts());
    let swarm = StoredValue::new(swarm);
    Effect::new(move |_| {
        if join.value().get().is_some_and(|r| r.is_ok()) {
            changes.update(|n| *n += 1);
        }
    });
    view! {
        <h2>"Add a host"</h2>
        <Loading>
            {move || {
                let swarm = swarm.get_value();
                Suspend::new(async move {
                    let free: Vec<_> = hosts.await?.into_iter().filter(|h| h.is_free()).collect();
                    if free.is_empty() {
                        return Ok::<_, AppError>(view! { <p class="hint" id="no-free-hosts">"Every registered host is in a swarm. "<a href="/hosts">"Register another"</a>"."</p> }.into_any());
                    }
                    Ok(view! {
                        <ActionForm action=join attr:id="add-host-form" attr:class="inline">
                            <input type="hidden" name="swarm" value=swarm.clone()/>
                            <select name="host">
                                {free.into_iter().map(|h| view! { <option value=h.name.clone()>{h.name.clone()}</option> }).collect_view()}
                            </select>
                            <select name="role">
                                <option value="worker">"as worker"</option>
                                <option value="manager">"as manager"</option>
                            </select>
                            <input type="text" name="advertise_addr" placeholder="advertise address (blank: engine picks)"/>
                            <button type="submit" disabled=move || join.pending().get()>"Join"</button>
                        </ActionForm>
                    }.into_any())
                })
            }}
        </Loading>
        {move || join.value().get().and_then(Result::err).map(|error| view! {
            <ErrorNotice error id="join-error"/>
        })}
    }
}

#[component]
pub fn TokensPanel(swarm: String) -> impl IntoView {
    let show = ServerAction::<JoinTokens>::new();
    let rotate = ServerAction::<RotateToken>::new();
    // Whichever answered last is what the panel shows.
    let shown = RwSignal::new(None::<Result<TokensView, AppError>>);
    Effect::new(move |_| {
        if let Some(result) = show.value().get() {
            shown.set(Some(result));
        }
    });
    Effect::new(move |_| {
        if let Some(result) = rotate.value().get() {
            shown.set(Some(result));
        }
    });
    let rotate_kind = {
        let swarm = swarm.clone();
        move |kind: &'static str| {
            let swarm = swarm.clone();
            move |_| {
                rotate.dispatch(RotateToken {
                    swarm: swarm.clone(),
                    kind: kind.into(),
                });
            }
        }
    };
    let busy = move || show.pending().get() || rotate.pending().get();
    view! {
        <h2>"Join tokens"</h2>
        <p class="actions">
            <button class="secondary" id="show-tokens" disabled=busy
                on:click=move |_| { show.dispatch(JoinTokens { swarm: swarm.clone() }); }>"Show join tokens"</button>
            <button class="secondary" id="rotate-worker" disabled=busy on:click=rotate_kind("worker")>"Rotate worker token"</button>
            <button class="secondary" id="rotate-manager" disabled=busy on:click=rotate_kind("manager")>"Rotate manager token"</button>
        </p>
        {move || shown.get().map(|tokens| match tokens {
            Ok(tokens) => view! {
                <dl class="tokens" id="tokens">
                    <dt>"Worker"</dt><dd><code id="worker-token">{tokens.worker}</code></dd>
                    <dt>"Manager"</dt><dd><code id="manager-token">{tokens.manager}</code></dd>
                </dl>
            }.into_any(),
            Err(error) => view! { <ErrorNotice error id="tokens-error"/> }.into_any(),
        })}
    }
}

#[component]
pub fn DissolvePanel(swarm: String) -> impl IntoView {
    let dissolve = ServerAction::<DissolveSwarm>::new();
    let confirmed = {
        let swarm = swarm.clone();
        Callback::new(move |typed: String| {
            dissolve.dispatch(DissolveSwarm {
                swarm: swarm.clone(),
                confirm: typed,
            });
        })
    };
    view! {
        <section class="danger-zone">
            <h2>"Dissolve this swarm"</h2>
            <p>"Every registered host leaves the swarm; its services and their tasks stop. Type "
                <code>{swarm.clone()}</code>" to confirm."</p>
            <ConfirmByName name=swarm label="Dissolve" input_id="dissolve-confirm" button_id="dissolve"
                mismatch_id="dissolve-mismatch" pending=dissolve.pending() on_confirm=confirmed/>
            {move || dissolve.value().get().map(|r| match r {
                Ok(()) => view! { <p class="notice" id="dissolve-result">"Dissolved. "<a href="/">"Back to swarms"</a></p> }.into_any(),
                Err(error) => view! { <ErrorNotice error id="dissolve-result"/> }.into_any(),
            })}
        </section>
    }
}

/// Who may deploy stacks that reach the nodes themselves on this swarm: `admin` or `operator`.
#[server(endpoint = "swarm/privileged-deploys")]
pub async fn privileged_deploys(swarm: String) -> Result<String, AppError> {
    let caller = crate::auth::ssr::authorize::<PrivilegedDeploys>().await?;
    let record = caller.fleet.swarm(&swarm).await?;
    Ok(record.privileged_deploys.as_str().to_owned())
}

#[server(endpoint = "swarm/set-privileged-deploys")]
pub async fn set_privileged_deploys(swarm: String, role: String) -> Result<String, AppError> {
    use flotilla_store::Role;
    let caller = crate::auth::ssr::authorize::<SetPrivilegedDeploys>().await?;
    let role = match role.as_str() {
        "admin" => Role::Admin,
        "operator" => Role::Operator,
        other => {
            return Err(AppError::invalid(
                "role",
                format!("`{other}` is not admin or operator"),
            ))
        }
    };
    let request = serde_json::json!({ "privileged_deploys": role.as_str() });
    caller
        .audited("swarm.deploy-policy", &swarm, request, async {
            caller.fleet.set_privileged_deploys(&swarm, role).await
        })
        .await?;
    Ok(role.as_str().to_owned())
}

/// The swarm's deploy policy: who may deploy what reaches the nodes themselves.
#[component]
pub fn DeployPolicyPanel(swarm: String) -> impl IntoView {
    let set = ServerAction::<SetPrivilegedDeploys>::new();
    let current = {
        let swarm = swarm.clone();
        Resource::new(
            move || set.version().get(),
            move |_| privileged_deploys(swarm.clone()),
        )
    };
    let swarm = StoredValue::new(swarm);
    view! {
        <h2>"Deploy policy"</h2>
        <p class="hint">"A stack that bind-mounts host paths, adds capabilities, sets kernel parameters or joins the host's network makes whoever deploys it root on the nodes."</p>
        <Loading>
            {move || Suspend::new(async move {
                let role = current.await?;
                let choice = RwSignal::new(role.clone());
                Ok::<_, AppError>(view! {
                    <form class="inline" id="deploy-policy" on:submit=move |ev| {
                        ev.prevent_default();
                        set.dispatch(SetPrivilegedDeploys {
                            swarm: swarm.get_value(),
                            role: choice.get_untracked(),
                        });
                    }>
                        <label>"Such stacks may be deployed by "
                            <select id="privileged-deploys" data-current=role bind:value=choice>
                                <option value="admin">"admins only"</option>
                                <option value="operator">"operators and admins"</option>
                            </select>
                        </label>
                        <button type="submit" class="secondary" disabled=move || set.pending().get()>"Save"</button>
                    </form>
                })
            })}
        </Loading>
        {move || set.value().get().and_then(Result::err).map(|error| view! {
            <ErrorNotice error id="deploy-policy-error"/>
        })}
    }
}
