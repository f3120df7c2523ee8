//! `flotilla serve`: the console's HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;

use app::auth::ssr::LoginLimiter;
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use flotilla_fleet::{Fleet, NewHostRequest};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::ServeArgs;

pub async fn serve(args: ServeArgs) -> Result<(), String> {
    // Opened at start so migrations run (and a bad DATABASE_URL fails) before serving.
    let database_url = args.database.url()?;
    let store = Arc::new(args.database.open().await?);
    tracing::info!(backend = ?store.backend(), "database ready");
    let fleet = Arc::new(Fleet::new(store.clone()));
    if let Some(url) = args
        .register_host
        .as_deref()
        .filter(|url| !url.trim().is_empty())
    {
        register_first_host(&fleet, url).await;
    }
    let site_pkg = args.site_root.join("pkg");
    if !site_pkg.join("flotilla.js").exists() {
        tracing::warn!(
            "{} has no flotilla.js: the page will render but not hydrate (build with scripts/build-site.sh)",
            site_pkg.display()
        );
    }

    let leptos_options = LeptosOptions::builder()
        .output_name("flotilla")
        .site_root(args.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .build();
    let routes = generate_route_list(App);
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest("/api/v1", crate::api::routes(fleet.clone(), store.clone()))
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            {
                let (fleet, store, limiter) = (
                    fleet.clone(),
                    store.clone(),
                    Arc::new(LoginLimiter::default()),
                );
                move || {
                    provide_context(fleet.clone());
                    provide_context(store.clone());
                    provide_context(limiter.clone());
                }
            },
            {
                let leptos_options = leptos_options.clone();
                move || shell(leptos_options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(leptos_options)
        .layer(axum::middleware::from_fn(
            crate::error_status::status_from_code,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(crate::guard::Gate::new(store.clone())),
            crate::guard::guard,
        ));
    let app =
        crate::sessions::with_sessions(app, &store, &database_url, args.secure_cookies).await?;

    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", args.addr))?;
    tracing::info!("serving the console on http://{}", args.addr);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|err| format!("server error: {err}"))
}

/// Registers `url` as host `local` when the console has no hosts yet and it answers.
async fn register_first_host(fleet: &Fleet, url: &str) {
    match fleet.store().hosts().await {
        Ok(hosts) if hosts.is_empty() => {}
        Ok(_) => return,
        Err(err) => {
            tracing::warn!(%err, "cannot list hosts");
            return;
        }
    }
    let request = NewHostRequest {
        name: "local".into(),
        url: url.to_owned(),
        tls: None,
        save_anyway: false,
    };
    match fleet.register_host(&request).await {
        Ok(_) => tracing::info!(%url, "registered the local engine as host `local`"),
        Err(err) => tracing::warn!(%url, %err, "did not register the local engine"),
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
