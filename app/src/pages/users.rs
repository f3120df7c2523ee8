//! Users and API tokens, administered by admins: users added, given another role, a new
//! password, disabled and enabled again; tokens made (with a role and an optional expiry,
//! their text shown once), listed and revoked. The last enabled admin cannot be demoted or
//! disabled (the store refuses it in the statement that would do it). Every change is
//! audited; passwords and token texts never are.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{DataTable, ErrorNotice, Loading};
use crate::error::AppError;
use crate::views::utc_time;

/// A user as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub name: String,
    /// admin, operator or viewer.
    pub role: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// When disabled (unix milliseconds); `None` while the user may log in.
    pub disabled_at: Option<i64>,
    /// The caller is this user.
    pub you: bool,
}

/// A token as the page lists it: never its text nor its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub name: String,
    /// admin, operator, viewer or metrics.
    pub role: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub expired: bool,
}

/// A token just made: its text is in this answer and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub name: String,
    pub role: String,
    pub expires_at: Option<i64>,
    pub token: String,
}

/// The longest a token made here may live.
pub const MAX_TOKEN_DAYS: u32 = 3650;

#[cfg(feature = "ssr")]
mod ssr {
    use flotilla_store::{Role, StoreError};

    use crate::error::{AppError, ErrorCode, FieldAt};

    /// A refusal of `field`, with the message as the check wrote it.
    pub fn bad(field: &str, message: String) -> AppError {
        AppError {
            code: ErrorCode::Invalid,
            message,
            field: Some(FieldAt {
                path: field.to_owned(),
                line: None,
                column: None,
            }),
        }
    }

    /// A store error with the code a page and a script decide on.
    pub fn store_error(err: StoreError) -> AppError {
        match err {
            StoreError::UserExists(_) | StoreError::TokenExists(_) => {
                AppError::new(ErrorCode::Conflict, err.to_string())
            }
            StoreError::LastAdmin(_) => AppError::new(ErrorCode::Conflict, err.to_string()),
            StoreError::NoSuchUser(_) | StoreError::NoSuchToken(_) => {
                AppError::new(ErrorCode::NotFound, err.to_string())
            }
            StoreError::BadRole(_) => bad("role", err.to_string()),
            StoreError::Invalid(message) => bad("role", message),
            other => AppError::from(other),
        }
    }

    /// A user's role from a form: admin, operator or viewer.
    pub fn user_role(role: &str) -> Result<Role, AppError> {
        match role.parse::<Role>() {
            Ok(Role::Metrics) | Err(_) => Err(bad(
                "role",
                format!("`{role}` is not a user's role: use admin, operator or viewer"),
            )),
            Ok(role) => Ok(role),
        }
    }

    pub fn user_name(name: &str) -> Result<String, AppError> {
        let name = name.trim();
        flotilla_store::check_name("user name", name).map_err(|m| bad("name", m))?;
        Ok(name.to_owned())
    }

    pub fn password(password: &str) -> Result<(), AppError> {
        flotilla_store::check_password(password).map_err(|m| bad("password", m))
    }

    /// Days from a form: empty for none, else 1 to [`super::MAX_TOKEN_DAYS`].
    pub fn expiry_days(days: &str) -> Result<Option<u32>, AppError> {
        let days = days.trim();
        if days.is_empty() {
            return Ok(None);
        }
        match days.parse::<u32>() {
            Ok(n) if (1..=super::MAX_TOKEN_DAYS).contains(&n) => Ok(Some(n)),
            _ => Err(bad(
                "expiry_days",
                format!(
                    "expiry: `{days}` is not a whole number of days from 1 to {}; leave it empty for none",
                    super::MAX_TOKEN_DAYS
                ),
            )),
        }
    }
}

#[server(endpoint = "users/list")]
pub async fn list_users() -> Result<Vec<UserRow>, AppError> {
    let caller = crate::auth::ssr::authorize::<ListUsers>().await?;
    let users = caller.store.list_users().await.map_err(ssr::store_error)?;
    Ok(users
        .into_iter()
        .map(|user| UserRow {
            you: user.name == caller.principal.name,
            name: user.name,
            role: user.role.as_str().to_owned(),
            created_at: user.created_at,
            disabled_at: user.disabled_at,
        })
        .collect())
}

#[server(endpoint = "users/add")]
pub async fn add_user(name: String, password: String, role: String) -> Result<String, AppError> {
    let caller = crate::auth::ssr::authorize::<AddUser>().await?;
    let name = ssr::user_name(&name)?;
    ssr::password(&password)?;
    let role = ssr::user_role(&role)?;
    // Who and which role; never the password.
    let request = serde_json::json!({ "name": name, "role": role.as_str() });
    caller
        .audited("user.add", &name, request, async {
            caller
                .store
                .add_user(&name, &password, role)
                .await
                .map_err(ssr::store_error)
        })
        .await?;
    Ok(format!("added {role} {name}"))
}

#[server(endpoint = "users/role")]
pub async fn set_user_role(name: String, role: String) -> Result<String, AppError> {
    let caller = crate::auth::ssr::authorize::<SetUserRole>().await?;
    let role = ssr::user_role(&role)?;
    let request = serde_json::json!({ "name": name, "role": role.as_str() });
    caller
        .audited("user.role", &name, request, async {
            caller
                .store
                .set_role(&name, role)
                .await
                .map_err(ssr::store_error)
        })
        .await?;
    Ok(format!("the role of {name} is now {role}"))
}

/// Sets a new password and ends every session the user has.
#[server(endpoint = "users/password")]
pub async fn reset_user_password(name: String, password: String) -> Result<String, AppError> {
    let caller = crate::auth::ssr::authorize::<ResetUserPassword>().await?;
    ssr::password(&password)?;
    caller
        .audited(
            "user.reset-password",
            &name,
            serde_json::json!({ "name": name }),
            async {
                caller
                    .store
                    .set_password(&name, &password)
                    .await
                    .map_err(ssr::store_error)
            },
        )
        .await?;
    Ok(format!("password of {name} reset; their sessions ended"))
}

/// Disables a user: no login, and their sessions end at once.
#[server(endpoint = "users/disable")]
pub async fn disable_user(name: String) -> Result<String, AppError> {
    let caller = crate::auth::ssr::authorize::<DisableUser>().await?;
    caller
        .audited(
            "user.disable",
            &name,
            serde_json::json!({ "name": name }),
            async {
                caller
                    .store
                    .set_disabled(&name, true)
                    .await
                    .map_err(ssr::store_error)
            },
        )
        .await?;
    Ok(format!("{name} disabled; their sessions ended"))
}

#[server(endpoint = "users/enable")]
pub async fn enable_user(name: String) -> Result<String, AppError> {
    let caller = crate::auth::ssr::authorize::<EnableUser>().await?;
    caller
        .audited(
            "user.enable",
            &name,
            serde_json::json!({ "name": name }),
            async {
                caller
                    .store
                    .set_disabled(&name, false)
                    .await
                    .map_err(ssr::store_error)
            },
        )
        .await?;
    Ok(format!("{name} enabled"))
}

#[server(endpoint = "tokens/list")]
pub async fn list_tokens() -> Result<Vec<TokenRow>, AppError> {
    let caller = crate::auth::ssr::authorize::<ListTokens>().await?;
    let now = flotilla_store::now_millis();
    let tokens = caller.store.list_tokens().await.map_err(ssr::store_error)?;
    Ok(tokens
        .into_iter()
        .map(|token| TokenRow {
            expired: token.is_expired(now),
            name: token.name,
            role: token.role.as_str().to_owned(),
            created_at: token.created_at,
            expires_at: token.expires_at,
        })
        .collect())
}

/// Makes a token and returns its text, shown this once; only its hash is kept.
#[server(endpoint = "tokens/create")]
pub async fn create_api_token(
    name: String,
    role: String,
    expiry_days: String,
) -> Result<NewToken, AppError> {
    let caller = crate::auth::ssr::authorize::<CreateApiToken>().await?;
    let name = name.trim().to_owned();
    flotilla_store::check_name("token name", &name).map_err(|m| ssr::bad("name", m))?;
    let role: flotilla_store::Role = role.parse().map_err(ssr::store_error)?;
    let days = ssr::expiry_days(&expiry_days)?;
    let expires_at = days.map(|days| flotilla_store::now_millis() + i64::from(days) * 86_400_000);
    let request =
        serde_json::json!({ "name": name, "role": role.as_str(), "expires_in_days": days });
    let token = caller
        .audited("token.create", &name, request, async {
            caller
                .store
                .create_expiring_token(&name, role, expires_at)
                .await
                .map_err(ssr::store_error)
        })
        .await?;
    Ok(NewToken {
        name,
        role: role.as_str().to_owned(),
        expires_at,
        token,
    })
}

#[server(endpoint = "tokens/revoke")]
pub async fn revoke_api_token(name: String) -> Result<String, AppError> {
    let caller = crate::auth::ssr::authorize::<RevokeApiToken>().await?;
    caller
        .audited(
            "token.revoke",
            &name,
            serde_json::json!({ "name": name }),
            async {
                caller
                    .store
                    .revoke_token(&name)
                    .await
                    .map_err(ssr::store_error)
            },
        )
        .await?;
    Ok(format!("token {name} revoked"))
}

/// The actions a user's row dispatches.
#[derive(Clone, Copy)]
struct UserActions {
    role: ServerAction<SetUserRole>,
    password: ServerAction<ResetUserPassword>,
    disable: ServerAction<DisableUser>,
    enable: ServerAction<EnableUser>,
}

const USER_ROLES: [&str; 3] = ["admin", "operator", "viewer"];
const TOKEN_ROLES: [&str; 4] = ["viewer", "operator", "admin", "metrics"];

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <h1>"Users and tokens"</h1>
        <UsersSection/>
        <TokensSection/>
    }
}

#[component]
fn UsersSection() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let actions = UserActions {
        role: ServerAction::new(),
        password: ServerAction::new(),
        disable: ServerAction::new(),
        enable: ServerAction::new(),
    };
    let users = Resource::new(
        move || {
            (
                add.version().get(),
                actions.role.version().get(),
                actions.password.version().get(),
                actions.disable.version().get(),
                actions.enable.version().get(),
            )
        },
        |_| list_users(),
    );
    // What the last user action came to, whichever it was.
    let outcome = RwSignal::new(None::<Result<String, AppError>>);
    Effect::new(move |_| {
        if let Some(result) = add.value().get() {
            outcome.set(Some(result));
        }
    });
    Effect::new(move |_| {
        if let Some(result) = actions.role.value().get() {
            outcome.set(Some(result));
        }
    });
    Effect::new(move |_| {
        if let Some(result) = actions.password.value().get() {
            outcome.set(Some(result));
        }
    });
    Effect::new(move |_| {
        if let Some(result) = actions.disable.value().get() {
            outcome.set(Some(result));
        }
    });
    Effect::new(move |_| {
        if let Some(result) = actions.enable.value().get() {
            outcome.set(Some(result));
        }
    });
    view! {
        <section class="users" id="users">
            <h2>"Users"</h2>
            <p class="hint">"Admins manage users, hosts, swarms and tokens; operators deploy, scale and read logs; viewers read. "
                "A new password or disabling ends the user's sessions at once. The last enabled admin cannot be demoted or disabled."</p>
            <Loading text="Reading the users…" error_id="users-load-error">
                {move || Suspend::new(async move {
                    let rows = users.await?;
                    Ok::<_, AppError>(view! {
                        <DataTable id="user-list" headers=&["User", "Role", "Added", "Status", "New password", ""]>
                            {rows.into_iter().map(|row| user_row(row, actions)).collect_view()}
                        </DataTable>
                    })
                })}
            </Loading>
            {move || outcome.get().map(|result| match result {
                Ok(done) => view! { <p class="notice ok" id="user-done">{done}</p> }.into_any(),
                Err(error) => view! { <ErrorNotice error id="user-error"/> }.into_any(),
            })}
            <h3>"Add a user"</h3>
            <ActionForm action=add attr:id="user-form" attr:class="stacked">
                <label>"Name "<input type="text" id="user-name" name="name" required maxlength="64" autocomplete="off"/></label>
                <label>"Password "<input type="password" id="user-password" name="password" required minlength="8" autocomplete="new-password"/></label>
                <label>"Role "
                    <select id="user-role" name="role">
                        <option value="viewer" selected>"viewer"</option>
                        <option value="operator">"operator"</option>
                        <option value="admin">"admin"</option>
                    </select>
                </label>
                <button type="submit" id="add-user" disabled=move || add.pending().get()>"Add user"</button>
            </ActionForm>
        </section>
    }
}

fn user_row(row: UserRow, actions: UserActions) -> impl IntoView {
    let name = StoredValue::new(row.name.clone());
    let new_password = RwSignal::new(String::new());
    let disabled = row.disabled_at.is_some();
    let current = row.role.clone();
    let change_role = move |ev| {
        let role = event_target_value(&ev);
        actions.role.dispatch(SetUserRole {
            name: name.get_value(),
            role,
        });
    };
    let reset = move |_| {
        actions.password.dispatch(ResetUserPassword {
            name: name.get_value(),
            password: new_password.get_untracked(),
        });
        new_password.set(String::new());
    };
    let toggle = move |_| {
        if disabled {
            actions.enable.dispatch(EnableUser {
                name: name.get_value(),
            });
        } else {
            actions.disable.dispatch(DisableUser {
                name: name.get_value(),
            });
        }
    };
    view! {
        <tr class="user" data-name=row.name.clone() data-role=row.role.clone()
            data-disabled=if disabled { "true" } else { "false" } data-you=row.you.then_some("true")>
            <td>{row.name.clone()}{row.you.then(|| view! { <span class="hint">" (you)"</span> })}</td>
            <td>
                <select class="user-role" on:change=change_role disabled=move || actions.role.pending().get()>
                    {USER_ROLES.iter().map(|role| view! {
                        <option value=*role selected=*role == current>{*role}</option>
                    }).collect_view()}
                </select>
            </td>
            <td>{utc_time(row.created_at)}</td>
            <td class="status">{match row.disabled_at {
                Some(at) => format!("disabled {}", utc_time(at)),
                None => "enabled".to_owned(),
            }}</td>
            <td>
                <input type="password" class="new-password" autocomplete="new-password" placeholder="at least 8 characters"
                    bind:value=new_password/>
                <button class="secondary reset-password" on:click=reset
                    disabled=move || actions.password.pending().get()>"Set password"</button>
            </td>
            <td class="actions">
                {if disabled {
                    view! { <button class="secondary enable-user" on:click=toggle>"Enable"</button> }.into_any()
                } else {
                    view! { <button class="danger disable-user" on:click=toggle>"Disable"</button> }.into_any()
                }}
            </td>
        </tr>
    }
}

#[component]
fn TokensSection() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    // What the last token action came to; a token made shows itself instead.
    let outcome = RwSignal::new(None::<Result<String, AppError>>);
    Effect::new(move |_| match create.value().get() {
        Some(Err(error)) => outcome.set(Some(Err(error))),
        Some(Ok(_)) => outcome.set(None),
        None => {}
    });
    Effect::new(move |_| {
        if let Some(result) = revoke.value().get() {
            outcome.set(Some(result));
        }
    });
    view! {
        <section class="tokens" id="tokens">
            <h2>"API tokens"</h2>
            <p class="hint">"For automation: send " <code>"Authorization: Bearer TOKEN"</code>
                " to " <code>"/api/v1"</code> ". A token acts with its role; a metrics token reads "
                <code>"/metrics"</code> " and nothing else. Its text is shown once, when made; only its hash is kept."</p>
            <Loading text="Reading the tokens…" error_id="tokens-load-error">
                {move || Suspend::new(async move {
                    let rows = tokens.await?;
                    Ok::<_, AppError>(if rows.is_empty() {
                        view! { <p class="notice" id="tokens-empty">"No tokens."</p> }.into_any()
                    } else {
                        view! {
                            <DataTable id="token-list" headers=&["Token", "Role", "Made", "Expires", ""]>
                                {rows.into_iter().map(|row| token_row(row, revoke)).collect_view()}
                            </DataTable>
                        }.into_any()
                    })
                })}
            </Loading>
            {move || outcome.get().map(|result| match result {
                Ok(done) => view! { <p class="notice ok" id="token-done">{done}</p> }.into_any(),
                Err(error) => view! { <ErrorNotice error id="token-error"/> }.into_any(),
            })}
            <h3>"Make a token"</h3>
            <ActionForm action=create attr:id="token-form" attr:class="stacked">
                <label>"Name "<input type="text" id="token-name" name="name" required maxlength="64" autocomplete="off" placeholder="ci-deploy"/></label>
                <label>"Role "
                    <select id="token-role" name="role">
                        {TOKEN_ROLES.iter().map(|role| view! { <option value=*role>{*role}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Expires after "
                    <input type="number" id="token-expiry-days" name="expiry_days" min="1" max=MAX_TOKEN_DAYS.to_string() step="1" placeholder="never"/>
                    " days (empty: never)"
                </label>
                <button type="submit" id="create-token" disabled=move || create.pending().get()>"Make token"</button>
            </ActionForm>
            {move || create.value().get().and_then(Result::ok).map(|made| {
                    let expiry = made.expires_at.map_or_else(|| "never expires".to_owned(), |at| format!("expires {}", utc_time(at)));
                    view! {
                        <div class="notice ok" id="token-secret" data-token=made.token.clone() data-name=made.name.clone()>
                            <p>{format!("Token {} ({}, {expiry}). It is shown only this once: copy it now.", made.name, made.role)}</p>
                            <pre><code>{made.token.clone()}</code></pre>
                        </div>
                    }
            })}
        </section>
    }
}

fn token_row(row: TokenRow, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    let name = row.name.clone();
    let expires = match row.expires_at {
        None => "never".to_owned(),
        Some(at) if row.expired => format!("expired {}", utc_time(at)),
        Some(at) => utc_time(at),
    };
    view! {
        <tr class="token" data-name=row.name.clone() data-role=row.role.clone()
            data-expired=if row.expired { "true" } else { "false" }>
            <td><code>{row.name.clone()}</code></td>
            <td>{row.role.clone()}</td>
            <td>{utc_time(row.created_at)}</td>
            <td class="expires">{expires}</td>
            <td class="actions">
                <button class="danger revoke-token" disabled=move || revoke.pending().get()
                    on:click=move |_| { revoke.dispatch(RevokeApiToken { name: name.clone() }); }>"Revoke"</button>
            </td>
        </tr>
    }
}
