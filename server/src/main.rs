//! The `flotilla` binary: serves the console.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use app::engine::Engine;
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use clap::{Parser, Subcommand};
use flotilla_engine::Endpoint;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

#[derive(Debug, Parser)]
#[command(name = "flotilla", version, about = "A web console for Docker Swarm")]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Without a subcommand, flotilla serves with these options.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the console (the default).
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FLOTILLA_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// The Docker engine to manage, as in DOCKER_HOST (default: the local socket).
    #[arg(long, env = "DOCKER_HOST")]
    docker_host: Option<String>,
    /// Where the built site (pkg/flotilla.js, .wasm, .css and public files) lives.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    site_root: PathBuf,
    /// Where Flotilla keeps its data.
    #[arg(long, env = "FLOTILLA_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Serve(args)) => serve(args).await,
        None => serve(cli.serve).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("flotilla: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let endpoint = match &args.docker_host {
        Some(host) if !host.trim().is_empty() => host.parse::<Endpoint>(),
        _ => Endpoint::from_env(),
    }
    .map_err(|err| format!("DOCKER_HOST: {err}"))?;
    std::fs::create_dir_all(&args.data_dir).map_err(|err| {
        format!(
            "cannot create data directory {}: {err}",
            args.data_dir.display()
        )
    })?;
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
    let engine = Arc::new(Engine::new(endpoint.clone()));
    let routes = generate_route_list(App);
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            {
                let engine = engine.clone();
                move || provide_context(engine.clone())
            },
            {
                let leptos_options = leptos_options.clone();
                move || shell(leptos_options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(leptos_options);

    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", args.addr))?;
    tracing::info!(
        "serving the console on http://{} for the engine at {endpoint}",
        args.addr
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|err| format!("server error: {err}"))
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
