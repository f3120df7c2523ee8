//! `flotilla serve`: the console's HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;

use app::auth::ssr::SetupCode;
use app::login_limiter::LoginLimiter;
use app::{shell, App};
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use flotilla_fleet::{Fleet, NewHostRequest};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::ServeArgs;

pub async fn serve(args: ServeArgs) -> Result<(), String> {
    let origins = crate::origins::PublicOrigins::new(&args.public_url, args.addr)
        .map_err(|err| format!("--public-url: {err}"))?;
    let proxies = crate::client_addr::TrustedProxies(args.trusted_proxies.clone());
    // Opened at start so migrations run (and a bad DATABASE_URL fails) before serving.
    let database_url = args.database.url()?;
    let store = Arc::new(args.database.open().await?);
    tracing::info!(backend = ?store.backend(), "database ready");
    crate::drain::recover(&store).await?;
    tokio::spawn(crate::drain::heartbeat(store.clone()));
    let drain = crate::drain::Drain::new();
    let interval = std::time::Duration::from_secs(args.metrics_interval.max(1).into());
    let fleet = Arc::new(Fleet::new(store.clone()).with_metrics_interval(interval));
    if args.metrics_interval > 0 {
        let (fleet, config) = (
            fleet.clone(),
            flotilla_fleet::SamplerConfig {
                interval,
                ..flotilla_fleet::SamplerConfig::default()
            },
        );
        tokio::spawn(async move { fleet.run_sampler(config).await });
    }
    if let Some(url) = args
        .register_host
        .as_deref()
        .filter(|url| !url.trim().is_empty())
    {
        register_first_host(&fleet, url).await?;
    }
    tokio::spawn(refresh_hosts(fleet.clone()));
    let site_pkg = args.site_root.join("pkg");
    // A release build names the site's files by their content and lists the names here.
    let hash_file = std::path::absolute(args.site_root.join("hash.txt"))
        .map_err(|err| format!("--site-root (LEPTOS_SITE_ROOT): {err}"))?;
    let hashed = hash_file.exists();
    if !hashed && !site_pkg.join("flotilla.js").exists() {
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
        .hash_files(hashed)
        .hash_file(hash_file.to_string_lossy().into_owned().into())
        .build();
    let configured_code = match &args.setup_code_file {
        Some(path) => Some(crate::setting_file(
            "--setup-code-file (FLOTILLA_SETUP_CODE_FILE)",
            path,
        )?),
        None => args.setup_code.clone(),
    };
    let setup_code = Arc::new(SetupCode::new(
        first_setup_code(&store, configured_code).await?,
    ));
    let session_ends = app::auth::ssr::SessionEnds::default();
    let streams = crate::api::StreamLimits {
        logs: crate::api::StreamLimit::new("log", args.max_log_streams.into()),
        live: crate::api::StreamLimit::new("live", args.max_live_streams.into()),
    };
    let metrics = crate::prometheus::ConsoleMetrics::new(
        fleet.clone(),
        vec![streams.logs.clone(), streams.live.clone()],
    );
    let routes = generate_route_list(App);
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest_service("/pkg", crate::assets::service(&site_pkg, hashed))
        .merge(
            Router::new()
                .route("/readyz", get(crate::drain::readyz))
                .with_state(crate::drain::Readiness {
                    drain: drain.clone(),
                    store: store.clone(),
                    fleet: fleet.clone(),
                    last: Arc::default(),
                }),
        )
        .merge(crate::hooks::routes(fleet.clone(), store.clone()))
        .merge(
            Router::new()
                .route("/metrics", get(crate::prometheus::ConsoleMetrics::scrape))
                .with_state(metrics.clone()),
        )
        .nest(
            "/api/v1",
            crate::api::routes(
                fleet.clone(),
                store.clone(),
                streams.clone(),
                session_ends.clone(),
            ),
        )
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            {
                let (fleet, store, limiter, setup_code, session_ends) = (
                    fleet.clone(),
                    store.clone(),
                    Arc::new(LoginLimiter::default()),
                    setup_code.clone(),
                    session_ends.clone(),
                );
                let api_document = app::ApiDocument(
                    serde_json::to_string(&crate::api::openapi_document())
                        .unwrap_or_default()
                        .into(),
                );
                move || {
                    provide_context(api_document.clone());
                    provide_context(session_ends.clone());
                    provide_context(fleet.clone());
                    provide_context(store.clone());
                    provide_context(limiter.clone());
                    provide_context(setup_code.clone());
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
        .layer(DefaultBodyLimit::max(crate::guard::MAX_BODY_BYTES))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            crate::guard::MAX_BODY_BYTES,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(crate::guard::Gate::new(store.clone(), origins, proxies)),
            crate::guard::guard,
        ))
        .layer(axum::middleware::from_fn(crate::headers::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::prometheus::ConsoleMetrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            drain.clone(),
            crate::drain::Drain::layer,
        ));
    let app =
        crate::sessions::with_sessions(app, &store, &database_url, args.secure_cookies).await?;

    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|err| format!("--addr (FLOTILLA_ADDR) {}: cannot listen: {err}", args.addr))?;
    tracing::info!("serving the console on http://{}", args.addr);
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown({
        let drain = drain.clone();
        async move {
            shutdown_signal().await;
            tracing::info!("draining: no new requests, streams closed, running ones finish");
            drain.start();
        }
    });
    let overrun = async {
        drain.started().await;
        tokio::time::sleep(crate::drain::DRAIN_LIMIT).await;
    };
    let served = tokio::select! {
        served = std::future::IntoFuture::into_future(server) => {
            served.map_err(|err| format!("server error: {err}"))
        }
        () = overrun => {
            tracing::warn!("requests still running after the drain limit are given up");
            Ok(())
        }
    };
    crate::drain::finish(&store).await;
    served
}

/// How often every registered host is asked how it is (the hosts page shows the answers).
const HOST_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

async fn refresh_hosts(fleet: Arc<Fleet>) {
    let mut every = tokio::time::interval(HOST_REFRESH);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(err) = fleet.refresh_hosts().await {
            tracing::warn!(%err, "cannot refresh the hosts' states");
        }
    }
}

/// The setup code: the configured one, or, while the console has no user, a new random one
/// printed in the log for whoever starts the console to read.
async fn first_setup_code(
    store: &flotilla_store::Store,
    configured: Option<String>,
) -> Result<String, String> {
    if let Some(code) = configured.filter(|c| !c.trim().is_empty()) {
        return Ok(code.trim().to_owned());
    }
    let code = flotilla_store::random_code();
    if store.count_users().await.map_err(|err| err.to_string())? == 0 {
        tracing::warn!("no users yet: create the first admin at /setup with the setup code {code}");
    }
    Ok(code)
}

/// Registers `url` as host `local` when the consoles have no hosts yet. An engine asked for
/// that does not answer (a socket not mounted or not readable) stops the start.
async fn register_first_host(fleet: &Fleet, url: &str) -> Result<(), String> {
    let hosts = fleet
        .store()
        .hosts()
        .await
        .map_err(|err| format!("database: {err}"))?;
    if !hosts.is_empty() {
        return Ok(());
    }
    let request = NewHostRequest {
        name: "local".into(),
        url: url.to_owned(),
        tls: None,
        save_anyway: false,
    };
    match fleet.register_host(&request).await {
        Ok(_) => {
            tracing::info!(%url, "registered the local engine as host `local`");
            Ok(())
        }
        // Consoles sharing a database start together: the first to register wins.
        Err(_) if !fleet.store().hosts().await.unwrap_or_default().is_empty() => Ok(()),
        Err(err) => Err(format!(
            "--register-host (FLOTILLA_REGISTER_HOST) {url}: {}",
            one_line(&err.to_string())
        )),
    }
}

/// `text` on one line, for messages that stop the start.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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
