//! The `flotilla` binary: serves the console.

mod api;
mod audit;
mod client_addr;
mod deploy;
#[cfg(test)]
mod endpoints_test;
mod error_status;
mod guard;
mod headers;
mod hooks;
#[cfg(test)]
mod openapi_test;
mod origins;
mod prometheus;
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
    /// Deploy a stack through a console, as `docker stack deploy -c` would (for pipelines).
    Deploy(deploy::DeployArgs),
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
    /// The key (32 bytes, base64) secrets are sealed with in the database. Unset, it is read
    /// from secret.key in the data directory, made there on first start. Consoles sharing a
    /// database must share it.
    #[arg(long, env = "FLOTILLA_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
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
                private_dir(&self.data_dir)?;
                Ok(format!(
                    "sqlite://{}",
                    self.data_dir.join("flotilla.db").display()
                ))
            }
        }
    }

    async fn open(&self) -> Result<Store, String> {
        let store = Store::open(&self.url()?)
            .await
            .map_err(|err| err.to_string())?
            .sealed_with(&self.secret_key()?);
        let sealed = store
            .seal_plaintext()
            .await
            .map_err(|err| err.to_string())?;
        if sealed > 0 {
            tracing::info!(sealed, "sealed secrets stored before this version");
        }
        private_files(&self.data_dir)?;
        Ok(store)
    }

    /// The configured key, or the one in the data directory (made on first start).
    fn secret_key(&self) -> Result<flotilla_store::SecretKey, String> {
        use std::io::Write;
        if let Some(key) = self.secret_key.as_deref().filter(|k| !k.trim().is_empty()) {
            return flotilla_store::SecretKey::from_base64(key)
                .map_err(|err| format!("FLOTILLA_SECRET_KEY: {err}"));
        }
        private_dir(&self.data_dir)?;
        let path = self.data_dir.join("secret.key");
        let failed = |err: &dyn std::fmt::Display| format!("{}: {err}", path.display());
        match std::fs::read_to_string(&path) {
            Ok(text) => flotilla_store::SecretKey::from_base64(&text).map_err(|e| failed(&e)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key = flotilla_store::SecretKey::generate();
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(|e| failed(&e))?;
                writeln!(file, "{}", key.to_base64()).map_err(|e| failed(&e))?;
                Ok(key)
            }
            Err(err) => Err(failed(&err)),
        }
    }
}

/// The data directory holds password hashes, TLS keys and stack variables: only the console's
/// own user may enter it.
fn private_dir(dir: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let failed = |err: std::io::Error| format!("data directory {}: {err}", dir.display());
    std::fs::create_dir_all(dir).map_err(failed)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(failed)
}

/// Files an earlier version made readable to all are made private too.
fn private_files(dir: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    if !dir.exists() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(|err| format!("{}: {err}", dir.display()))? {
        let path = entry.map_err(|err| err.to_string())?.path();
        if path.is_file() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|err| format!("{}: {err}", path.display()))?;
        }
    }
    Ok(())
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
    /// Where users reach the console (scheme, host, port; several comma-separated). Requests
    /// naming another host are refused. Default: http://ADDR, and localhost on loopback.
    #[arg(long, env = "FLOTILLA_PUBLIC_URL", value_delimiter = ',')]
    public_url: Vec<String>,
    /// Reverse proxies whose X-Forwarded-For names the client (addresses or ranges like
    /// 10.0.0.0/8, comma-separated).
    #[arg(long, env = "FLOTILLA_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<client_addr::Cidr>,
    /// The code the first-admin setup page asks for. Unset, a random one is printed in the log
    /// when the console starts without users.
    #[arg(long, env = "FLOTILLA_SETUP_CODE", hide_env_values = true)]
    setup_code: Option<String>,
    /// Log streams one user (or token) may hold open at once; each holds an engine
    /// connection while it is open.
    #[arg(long, env = "FLOTILLA_MAX_LOG_STREAMS", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    max_log_streams: u16,
    /// Live views (the visualizer, a stack's progress) one user (or token) may hold open at
    /// once, across tabs.
    #[arg(long, env = "FLOTILLA_MAX_LIVE_STREAMS", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    max_live_streams: u16,
    /// Seconds between two rounds of the metrics sampler (container statistics of every
    /// running task, read from the engines of registered hosts); 0 turns sampling off.
    #[arg(long, env = "FLOTILLA_METRICS_INTERVAL", default_value_t = 15,
          value_parser = clap::value_parser!(u16).range(0..=3600))]
    metrics_interval: u16,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Whatever the console writes (the database, its journal) is its user's alone.
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    // Large buffers (request bodies, engine answers) go back to the system when freed, rather
    // than raising glibc's threshold and staying in the heap: memory follows the load down.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator's thresholds.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 4);
    }
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
        Some(Command::Deploy(args)) => deploy::run(args).await,
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
