//! The `flotilla` binary: serves the console.

mod api;
mod assets;
mod audit;
mod client_addr;
mod deploy;
mod drain;
#[cfg(test)]
mod endpoints_test;
mod error_status;
mod guard;
mod headers;
mod healthcheck;
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
    /// What to log: a level (`info`, `debug`) or per-module directives as RUST_LOG takes
    /// them (`info,flotilla=debug`).
    #[arg(
        long,
        global = true,
        env = "FLOTILLA_LOG",
        default_value = "info,tower_http=warn"
    )]
    log: String,
    /// How log lines are written: `text` for people, `json` (one object a line) for
    /// collectors.
    #[arg(long, global = true, env = "FLOTILLA_LOG_FORMAT", default_value = "text",
          value_parser = ["text", "json"])]
    log_format: String,
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
    /// Exit 0 when the console on FLOTILLA_ADDR answers /healthz (the image's HEALTHCHECK).
    Healthcheck(healthcheck::HealthcheckArgs),
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
    /// A file holding the PostgreSQL password (a swarm secret, `/run/secrets/…`), for a
    /// DATABASE_URL written without one.
    #[arg(
        long,
        env = "FLOTILLA_DATABASE_PASSWORD_FILE",
        requires = "database_url"
    )]
    database_password_file: Option<PathBuf>,
    /// The key (32 bytes, base64) secrets are sealed with in the database. Unset, it is read
    /// from secret.key in the data directory, made there on first start. Consoles sharing a
    /// database must share it.
    #[arg(long, env = "FLOTILLA_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// A file holding the secret key (a swarm secret, `/run/secrets/…`), instead of
    /// FLOTILLA_SECRET_KEY.
    #[arg(long, env = "FLOTILLA_SECRET_KEY_FILE", conflicts_with = "secret_key")]
    secret_key_file: Option<PathBuf>,
}

/// The trimmed text of a file named by a `…_FILE` setting.
fn setting_file(setting: &str, path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|text| text.trim().to_owned())
        .map_err(|err| format!("{setting} {}: {err}", path.display()))
}

/// `url` with the password read from `path`, which it must not already carry.
fn with_password(url: &str, path: &std::path::Path) -> Result<String, String> {
    let setting = "--database-password-file (FLOTILLA_DATABASE_PASSWORD_FILE)";
    let password = setting_file(setting, path)?;
    let mut parsed = reqwest::Url::parse(url)
        .map_err(|err| format!("--database-url (DATABASE_URL): not a URL: {err}"))?;
    if parsed.password().is_some() {
        return Err(format!(
            "{setting}: DATABASE_URL already carries a password"
        ));
    }
    if parsed.username().is_empty() || parsed.set_password(Some(&password)).is_err() {
        return Err(format!(
            "{setting}: DATABASE_URL names no user to give the password to"
        ));
    }
    Ok(parsed.to_string())
}

impl DatabaseArgs {
    /// The database URL: DATABASE_URL, else SQLite in the data directory (created if missing).
    fn url(&self) -> Result<String, String> {
        match self
            .database_url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
        {
            Some(url) => match &self.database_password_file {
                Some(path) => with_password(url, path),
                None => Ok(url.to_owned()),
            },
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
        let url = self.url()?;
        let store = Store::open(&url)
            .await
            .map_err(|err| format!("{}: {err}", self.which(&url)))?
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

    /// Which setting names the database, for messages: the URL without its password.
    fn which(&self, url: &str) -> String {
        match &self.database_url {
            Some(configured) if !configured.trim().is_empty() => {
                let shown = match reqwest::Url::parse(url) {
                    Ok(mut parsed) if parsed.password().is_some() => {
                        let _ = parsed.set_password(Some("***"));
                        parsed.to_string()
                    }
                    Ok(parsed) => parsed.to_string(),
                    Err(_) => "(not a URL)".to_owned(),
                };
                format!("--database-url (DATABASE_URL) {shown}")
            }
            _ => format!("database {}", self.data_dir.join("flotilla.db").display()),
        }
    }

    /// The configured key, or the one in the data directory (made on first start).
    fn secret_key(&self) -> Result<flotilla_store::SecretKey, String> {
        use std::io::Write;
        if let Some(path) = &self.secret_key_file {
            let setting = "--secret-key-file (FLOTILLA_SECRET_KEY_FILE)";
            let key = setting_file(setting, path)?;
            return flotilla_store::SecretKey::from_base64(&key)
                .map_err(|err| format!("{setting} {}: {err}", path.display()));
        }
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
    /// A file holding the setup code (a swarm secret), instead of FLOTILLA_SETUP_CODE.
    #[arg(long, env = "FLOTILLA_SETUP_CODE_FILE", conflicts_with = "setup_code")]
    setup_code_file: Option<PathBuf>,
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return refuse_setting(err),
    };
    let filter = match tracing_subscriber::EnvFilter::try_new(&cli.log) {
        Ok(filter) => filter,
        Err(err) => {
            eprintln!("flotilla: --log (FLOTILLA_LOG) `{}`: {err}", cli.log);
            return std::process::ExitCode::FAILURE;
        }
    };
    // Logs go to stderr so command output (a new token) stays clean on stdout.
    // Colours only for a terminal: a container's log or a file gets plain text.
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter);
    if cli.log_format == "json" {
        logs.json().init();
    } else {
        logs.init();
    }
    let result = match cli.command {
        Some(Command::Serve(args)) => serve::serve(args).await,
        Some(Command::User(command)) => user::run(command).await,
        Some(Command::Token(command)) => token::run(command).await,
        Some(Command::Deploy(args)) => deploy::run(args).await,
        Some(Command::Healthcheck(args)) => healthcheck::run(args).await,
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

/// A bad setting stops the start with one line naming it (flag and variable); help and
/// version go out as clap writes them.
fn refuse_setting(err: clap::Error) -> std::process::ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) || err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        err.exit();
    }
    let setting = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => Some(arg.clone()),
        _ => None,
    };
    let env = setting.as_deref().and_then(|arg| {
        let long = arg.trim_start_matches('-').split([' ', '=']).next()?;
        let command = <Cli as clap::CommandFactory>::command();
        let env = command
            .get_arguments()
            .chain(command.get_subcommands().flat_map(|c| c.get_arguments()))
            .find(|a| a.get_long() == Some(long))?
            .get_env()?
            .to_string_lossy()
            .into_owned();
        Some(env)
    });
    let first = err.to_string();
    let line = first
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    match env {
        Some(env) => eprintln!("flotilla: {line} (or {env})"),
        None => eprintln!("flotilla: {line}"),
    }
    std::process::ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::with_password;

    #[test]
    fn the_password_file_fills_in_a_url_written_without_one() {
        let dir = std::env::temp_dir().join(format!("flotilla-pw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("password");
        std::fs::write(&file, "p@ss word/1\n").unwrap();
        let url = with_password("postgres://flotilla@db:5432/flotilla", &file).unwrap();
        assert_eq!(
            url,
            "postgres://flotilla:p%40ss%20word%2F1@db:5432/flotilla"
        );
        let twice = with_password("postgres://flotilla:old@db/flotilla", &file).unwrap_err();
        assert!(twice.contains("already carries a password"), "{twice}");
        let nobody = with_password("postgres://db/flotilla", &file).unwrap_err();
        assert!(nobody.contains("names no user"), "{nobody}");
        let missing = with_password("postgres://flotilla@db/flotilla", &dir.join("none"));
        assert!(missing.unwrap_err().starts_with("--database-password-file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
