//! The `flotilla` binary: serves the console.

mod api;
mod audit;
#[cfg(test)]
mod endpoints_test;
mod error_status;
mod guard;
mod serve;
mod sessions;
mod token;
mod user;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use flotilla_store::Store;

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
    /// Manage console users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Print who may call what: every endpoint under /api with the access it needs (JSON).
    Endpoints,
}

/// Where Flotilla keeps its data: SQLite under the data directory, or DATABASE_URL.
#[derive(Debug, clap::Args)]
struct DatabaseArgs {
    /// Directory for the SQLite database (flotilla.db) and other state.
    #[arg(long, env = "FLOTILLA_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// A postgres://… URL to use PostgreSQL instead of SQLite.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
}

impl DatabaseArgs {
    /// The database URL: DATABASE_URL, else SQLite in the data directory (created if missing).
    fn url(&self) -> Result<String, String> {
        match self
            .database_url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
        {
            Some(url) => Ok(url.to_owned()),
            None => {
                std::fs::create_dir_all(&self.data_dir).map_err(|err| {
                    format!(
                        "cannot create data directory {}: {err}",
                        self.data_dir.display()
                    )
                })?;
                Ok(format!(
                    "sqlite://{}",
                    self.data_dir.join("flotilla.db").display()
                ))
            }
        }
    }

    async fn open(&self) -> Result<Store, String> {
        Store::open(&self.url()?)
            .await
            .map_err(|err| err.to_string())
    }
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FLOTILLA_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// An engine URL to register as host `local` at start when no host is registered yet
    /// (`make run` passes the local engine), so a first start has a host to build on.
    #[arg(long, env = "FLOTILLA_REGISTER_HOST")]
    register_host: Option<String>,
    /// Where the built site (pkg/flotilla.js, .wasm, .css and public files) lives.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    site_root: PathBuf,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Mark the session cookie Secure (set this when users reach the console over HTTPS).
    #[arg(long, env = "FLOTILLA_SECURE_COOKIES")]
    secure_cookies: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        // Logs go to stderr so command output (a new token) stays clean on stdout.
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Serve(args)) => serve::serve(args).await,
        Some(Command::User(command)) => user::run(command).await,
        Some(Command::Token(command)) => token::run(command).await,
        Some(Command::Endpoints) => serde_json::to_string_pretty(app::access::ENDPOINTS)
            .map(|json| println!("{json}"))
            .map_err(|err| err.to_string()),
        None => serve::serve(cli.serve).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("flotilla: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
