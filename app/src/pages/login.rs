//! Logging in, logging out, and the one-time setup that creates the first admin.

use leptos::prelude::*;

use crate::components::ErrorNotice;
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use flotilla_store::Role;
    pub use tower_sessions::Session;

    pub use crate::auth::ssr::*;
    pub use crate::error::{AppError, ErrorCode};

    pub async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>()
            .await
            .map_err(|err| AppError::internal(format!("no session: {err}")))
    }

    /// Starts a session for `user` under a fresh ID, so an ID planted before login is useless.
    pub async fn log_in(session: &Session, user: &flotilla_store::User) -> Result<(), AppError> {
        let failed = |err: tower_sessions::session::Error| AppError::internal(err.to_string());
        session.cycle_id().await.map_err(failed)?;
        session
            .insert(SESSION_USER, user.name.clone())
            .await
            .map_err(failed)?;
        session
            .insert(SESSION_EPOCH, user.session_epoch)
            .await
            .map_err(failed)?;
        session
            .insert(SESSION_STARTED, flotilla_store::now_millis())
            .await
            .map_err(failed)
    }

    /// A name as the log shows it: escaped (no forged lines) and cut (no flooded log).
    pub fn shown(name: &str) -> String {
        name.chars().take(64).flat_map(char::escape_debug).collect()
    }

    pub fn wrong() -> AppError {
        AppError::new(ErrorCode::Forbidden, "wrong user name or password")
    }
}

#[server(endpoint = "login")]
pub async fn login(name: String, password: String) -> Result<(), AppError> {
    use self::ssr::*;

    let store = unauthenticated::<Login>().await?;
    let limiter = login_limiter()?;
    let ip = client_ip()
        .await
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let since = flotilla_store::now_millis()
        - i64::try_from(crate::login_limiter::FAILURES_COUNT_FOR.as_millis()).unwrap_or(0);
    // A name no user can have costs no hashing and takes no room in the limiter.
    if flotilla_store::check_name("user name", &name).is_err() {
        let keys = crate::login_limiter::shared_keys(None, ip);
        let elsewhere = store.login_failures_elsewhere(&keys, since).await?;
        limiter.begin_unnamed_counting(ip, &elsewhere)?.failed();
        store.record_login_failure(&keys).await?;
        tracing::warn!(user = %shown(&name), client = %ip, "failed login: not a user name");
        return Err(wrong());
    }
    let keys = crate::login_limiter::shared_keys(Some(&name), ip);
    let elsewhere = store.login_failures_elsewhere(&keys, since).await?;
    let attempt = limiter.begin_counting(&name, ip, &elsewhere)?;
    let anyone = Principal {
        name: name.clone(),
        role: Role::Viewer,
    };
    let user = audited(
        &store,
        &anyone,
        "user.login",
        &name,
        serde_json::json!({}),
        async {
            match store.verify_password(&name, &password).await {
                Ok(Some(user)) => Ok(user),
                Ok(None) => Err(wrong()),
                Err(err) => Err(AppError::from(err)),
            }
        },
    )
    .await;
    match user {
        Ok(user) => {
            attempt.succeeded();
            store.clear_login_failures(&keys[0]).await?;
            log_in(&session().await?, &user).await?;
            tracing::info!(user = %user.name, client = %ip, "logged in");
            leptos_axum::redirect("/");
            Ok(())
        }
        Err(err) if err.code == ErrorCode::Forbidden => {
            attempt.failed();
            store.record_login_failure(&keys).await?;
            tracing::warn!(user = %name, client = %ip, "failed login");
            Err(err)
        }
        Err(err) => Err(err),
    }
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use self::ssr::*;

    authorize::<Logout>().await?;
    let session = session().await?;
    if let Some(id) = session.id() {
        crate::auth::ssr::session_ends()?.ended(id.to_string());
    }
    session
        .flush()
        .await
        .map_err(|err| AppError::internal(err.to_string()))?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Creates the first admin with the setup code from the server's log; refused once any
/// user exists.
#[server(endpoint = "setup")]
pub async fn setup(
    name: String,
    password: String,
    confirm: String,
    code: String,
) -> Result<(), AppError> {
    use self::ssr::*;

    let store = unauthenticated::<Setup>().await?;
    let done = || {
        AppError::new(
            ErrorCode::Forbidden,
            "setup is done: an admin exists; log in instead",
        )
    };
    if store.count_users().await? > 0 {
        return Err(done());
    }
    if !setup_code()?.matches(&code) {
        let client = client_addr().await;
        tracing::warn!(%client, "setup refused: wrong setup code");
        return Err(AppError::invalid(
            "setup code",
            "not the code in the server's log (or FLOTILLA_SETUP_CODE)",
        ));
    }
    let name = name.trim().to_owned();
    flotilla_store::check_name("user name", &name)
        .map_err(|m| AppError::new(ErrorCode::Invalid, m))?;
    flotilla_store::check_password(&password).map_err(|m| AppError::new(ErrorCode::Invalid, m))?;
    if password != confirm {
        return Err(AppError::invalid(
            "confirm password",
            "does not match the password",
        ));
    }
    let first_admin = Principal {
        name: name.clone(),
        role: Role::Admin,
    };
    let admin = audited(
        &store,
        &first_admin,
        "user.setup",
        &name,
        serde_json::json!({ "name": name, "role": "admin" }),
        async {
            // Two setups at once make one admin; the other is told setup is done.
            match store.add_first_admin(&name, &password).await {
                Err(flotilla_store::StoreError::SetupDone) => Err(done()),
                other => other.map_err(AppError::from),
            }
        },
    )
    .await?;
    log_in(&session().await?, &admin).await?;
    tracing::info!(user = %name, "first admin created");
    leptos_axum::redirect("/");
    Ok(())
}

fn error_line<A>(action: ServerAction<A>) -> impl IntoView
where
    A: leptos::server_fn::ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    let value = action.value();
    move || {
        value
            .get()
            .and_then(Result::err)
            .map(|error| view! { <ErrorNotice error id="form-error"/> })
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    view! {
        <section class="panel auth">
            <h1>"Log in"</h1>
            <ActionForm action=login attr:class="stacked" attr:id="login-form">
                <label>"User name" <input type="text" name="name" autocomplete="username" required/></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required/></label>
                <button type="submit">"Log in"</button>
            </ActionForm>
            {error_line(login)}
        </section>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let setup = ServerAction::<Setup>::new();
    view! {
        <section class="panel auth">
            <h1>"Create the first admin"</h1>
            <p>"Flotilla has no users yet. The account made here administers users, hosts and swarms."</p>
            <ActionForm action=setup attr:class="stacked" attr:id="setup-form">
                <label>"User name" <input type="text" name="name" autocomplete="username" required/></label>
                <label>"Password" <input type="password" name="password" autocomplete="new-password" required/></label>
                <label>"Confirm password" <input type="password" name="confirm" autocomplete="new-password" required/></label>
                <label>"Setup code (printed in the server's log)" <input type="text" name="code" autocomplete="off" required/></label>
                <button type="submit">"Create admin"</button>
            </ActionForm>
            {error_line(setup)}
        </section>
    }
}

#[component]
pub fn LogoutButton() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <ActionForm action=logout attr:class="logout">
            <button type="submit" id="logout">"Log out"</button>
        </ActionForm>
    }
}
