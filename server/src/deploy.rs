//! `flotilla deploy`: a pipeline's `docker stack deploy`, through a console's API. It reads
//! the compose files and every file they reference (configs, secrets, env files) from disk,
//! relative to the first compose file, as `docker stack deploy -c` does; merges several
//! `-c` files as the CLI merges them; prints the plan, deploys, and follows the stack until
//! it converges (unless `--detach`).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use flotilla_compose::{
    file_key, load, load_interpolated, merge_files, to_yaml, Node, Value, Variables,
};
use flotilla_stack::{ImageResolution, PlannedObject, ServiceProgress};
use serde::Deserialize;
use serde_json::json;

/// A compose file, an env file or a referenced file may be this big; the console refuses
/// bigger bodies anyway.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The console's address, e.g. `https://flotilla.example.com`.
    #[arg(long, env = "FLOTILLA_URL")]
    url: String,
    /// A file holding an API token of an operator or an admin (`flotilla token create`).
    #[arg(long, env = "FLOTILLA_TOKEN_FILE")]
    token_file: PathBuf,
    /// The swarm, by the name the console knows it by.
    #[arg(long)]
    swarm: String,
    /// A compose file; later ones override earlier ones, as with `docker stack deploy`.
    #[arg(short = 'c', long = "compose-file", required = true)]
    compose_files: Vec<PathBuf>,
    /// Variables for the compose files (the process environment wins over it).
    #[arg(long)]
    env_file: Option<PathBuf>,
    /// A file to attach besides those the compose files reference.
    #[arg(long = "file")]
    files: Vec<PathBuf>,
    /// Remove the stack's services that the file no longer has.
    #[arg(long)]
    prune: bool,
    /// Print the plan and change nothing.
    #[arg(long)]
    plan: bool,
    /// Do not wait for the stack to converge.
    #[arg(short = 'd', long)]
    detach: bool,
    /// Pin images to registry digests: always, changed or never (`--resolve-image`).
    #[arg(long, default_value = "always", value_parser = ["always", "changed", "never"])]
    resolve_image: String,
    /// Seconds to wait for the stack to converge.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// The stack's name.
    stack: String,
}

/// A failure, already worded for the pipeline's log.
type Failed = String;

fn read_capped(path: &Path) -> Result<Vec<u8>, Failed> {
    let meta = std::fs::metadata(path).map_err(|err| format!("{}: {err}", path.display()))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{}: {} bytes; a file may be at most {} MiB",
            path.display(),
            meta.len(),
            MAX_FILE_BYTES >> 20
        ));
    }
    std::fs::read(path).map_err(|err| format!("{}: {err}", path.display()))
}

fn read_text(path: &Path) -> Result<String, Failed> {
    String::from_utf8(read_capped(path)?).map_err(|_| format!("{}: not UTF-8 text", path.display()))
}

/// What goes to the console: the compose text, the variables it uses, the files.
struct Input {
    compose: String,
    env: BTreeMap<String, String>,
    files: BTreeMap<String, Vec<u8>>,
    /// For errors: which file a line and column belong to.
    shown_as: String,
}

/// The process environment's values of the variables `text` uses.
fn used_variables(text: &str, path: &Path) -> Result<BTreeMap<String, String>, Failed> {
    let asked = RefCell::new(BTreeSet::new());
    let record = |name: &str| -> Option<&'static str> {
        asked.borrow_mut().insert(name.to_owned());
        None
    };
    load_interpolated(text, record).map_err(|err| {
        format!(
            "{}:{}:{}: {}",
            path.display(),
            err.at.line,
            err.at.column,
            err.message
        )
    })?;
    Ok(asked
        .into_inner()
        .into_iter()
        .filter_map(|name| std::env::var(&name).ok().map(|value| (name, value)))
        .collect())
}

/// The paths `tree` names: configs' and secrets' `file`, services' `env_file`.
fn referenced_files(tree: &Node) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let get = |node: &Node, key: &str| -> Option<Node> {
        match &node.value {
            Value::Map(entries) => entries
                .iter()
                .find(|e| e.key == key)
                .map(|e| e.value.clone()),
            _ => None,
        }
    };
    let text = |node: &Node| match &node.value {
        Value::Str(s) => Some(s.clone()),
        _ => None,
    };
    for section in ["configs", "secrets"] {
        if let Some(Node {
            value: Value::Map(entries),
            ..
        }) = get(tree, section)
        {
            for entry in entries {
                if let Some(path) = get(&entry.value, "file").as_ref().and_then(text) {
                    found.push((format!("{section}.{}.file", entry.key), path));
                }
            }
        }
    }
    if let Some(Node {
        value: Value::Map(services),
        ..
    }) = get(tree, "services")
    {
        for service in services {
            let field = format!("services.{}.env_file", service.key);
            match get(&service.value, "env_file").map(|n| n.value) {
                Some(Value::Str(path)) => found.push((field, path)),
                Some(Value::Seq(items)) => {
                    for item in items {
                        let path =
                            text(&item).or_else(|| get(&item, "path").as_ref().and_then(text));
                        if let Some(path) = path {
                            found.push((field.clone(), path));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    found
}

fn gather(args: &DeployArgs) -> Result<Input, Failed> {
    let first = &args.compose_files[0];
    let base_dir = first.parent().map(Path::to_path_buf).unwrap_or_default();
    let dotenv = args.env_file.as_deref().map(read_text).transpose()?;
    let mut files = BTreeMap::new();
    if let Some(text) = &dotenv {
        files.insert(".env".to_owned(), text.clone().into_bytes());
    }
    let (compose, env, tree, shown_as) = if let [only] = args.compose_files.as_slice() {
        let text = read_text(only)?;
        let env = used_variables(&text, only)?;
        let tree = load(&text).map_err(|err| {
            format!(
                "{}:{}:{}: {}",
                only.display(),
                err.at.line,
                err.at.column,
                err.message
            )
        })?;
        (text, env, tree, only.display().to_string())
    } else {
        // As the CLI: each file interpolated, then merged; the result has no variables left.
        let mut nodes = Vec::new();
        let mut env = BTreeMap::new();
        for path in &args.compose_files {
            let text = read_text(path)?;
            env.extend(used_variables(&text, path)?);
            nodes.push((path, text));
        }
        let variables = Variables::new(&env, dotenv.as_deref()).map_err(|err| {
            format!(
                "{}:{}:{}: {}",
                args.env_file
                    .as_deref()
                    .unwrap_or(Path::new(".env"))
                    .display(),
                err.at.line,
                err.at.column,
                err.message
            )
        })?;
        let loaded = nodes
            .iter()
            .map(|(path, text)| {
                load_interpolated(text, |name| variables.get(name)).map_err(|err| {
                    format!(
                        "{}:{}:{}: {}: {}",
                        path.display(),
                        err.at.line,
                        err.at.column,
                        err.path,
                        err.message
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let merged =
            merge_files(loaded).map_err(|err| format!("merging the compose files: {err}"))?;
        let names: Vec<String> = args
            .compose_files
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        (
            to_yaml(&merged, true),
            BTreeMap::new(),
            merged,
            format!("the merge of {}", names.join(" and ")),
        )
    };
    for (field, reference) in referenced_files(&tree) {
        let key = file_key(&reference);
        if files.contains_key(&key) {
            continue;
        }
        let on_disk = base_dir.join(&reference);
        let bytes = read_capped(&on_disk).map_err(|err| format!("{shown_as}: {field}: {err}"))?;
        files.insert(key, bytes);
    }
    for extra in &args.files {
        let relative = extra.strip_prefix(&base_dir).unwrap_or(extra);
        files.insert(file_key(&relative.to_string_lossy()), read_capped(extra)?);
    }
    Ok(Input {
        compose,
        env,
        files,
        shown_as,
    })
}

#[derive(Debug, Deserialize)]
struct Outcome {
    applied: bool,
    version: Option<i64>,
    created: Vec<PlannedObject>,
    updated: Vec<PlannedObject>,
    removed: Vec<PlannedObject>,
    unchanged: Vec<PlannedObject>,
    problems: Vec<String>,
    warnings: Vec<String>,
    images: Vec<ImageResolution>,
}

#[derive(Debug, Deserialize)]
struct Refusal {
    error: RefusalDetail,
}

#[derive(Debug, Deserialize)]
struct RefusalDetail {
    code: String,
    message: String,
    #[serde(default)]
    details: serde_json::Value,
}

struct Console {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Console {
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        shown_as: &str,
    ) -> Result<T, Failed> {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|err| format!("{}: {err}", self.base))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|err| format!("{}: {err}", self.base))?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|err| {
                format!("{}: an answer this client does not read ({err})", self.base)
            });
        }
        match serde_json::from_str::<Refusal>(&text) {
            Ok(Refusal { error }) => {
                let line = error.details["line"].as_u64();
                let column = error.details["column"].as_u64().unwrap_or(1);
                Err(match line {
                    Some(line) => format!("{shown_as}:{line}:{column}: {}", error.message),
                    None => format!("{} ({}, {status})", error.message, error.code),
                })
            }
            Err(_) => Err(format!(
                "{}: {status}: {}",
                self.base,
                text.chars().take(200).collect::<String>()
            )),
        }
    }
}

fn print_plan(stack: &str, outcome: &Outcome) {
    println!("Plan for stack {stack}:");
    for (verb, objects) in [
        ("create", &outcome.created),
        ("update", &outcome.updated),
        ("remove", &outcome.removed),
    ] {
        for object in objects {
            println!("  {verb} {} {}", object.kind, object.name);
            for field in &object.fields {
                let show = |v: &Option<serde_json::Value>| {
                    v.as_ref().map_or("(none)".to_owned(), |v| v.to_string())
                };
                println!(
                    "      {}: {} → {}",
                    field.path,
                    show(&field.before),
                    show(&field.after)
                );
            }
        }
    }
    if !outcome.unchanged.is_empty() {
        println!("  {} unchanged", outcome.unchanged.len());
    }
    for image in &outcome.images {
        match (&image.digest, &image.note) {
            (Some(digest), _) => println!(
                "  image {} ({}) pinned to {digest}",
                image.image, image.service
            ),
            (None, Some(note)) => println!("  image {} ({}): {note}", image.image, image.service),
            (None, None) => {}
        }
    }
    for warning in &outcome.warnings {
        println!("warning: {warning}");
    }
    for problem in &outcome.problems {
        println!("problem: {problem}");
    }
}

/// Follows the stack until every service runs what it asks for; a service whose tasks keep
/// failing for `grace` after the deploy fails the wait.
async fn follow(console: &Console, args: &DeployArgs, shown_as: &str) -> Result<(), Failed> {
    let path = format!("/swarms/{}/stacks/{}/progress", args.swarm, args.stack);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.timeout);
    let grace = Duration::from_secs(30).min(Duration::from_secs(args.timeout));
    let mut shown = BTreeMap::new();
    loop {
        let services: Vec<ServiceProgress> = console
            .call(reqwest::Method::GET, &path, None, shown_as)
            .await?;
        for service in &services {
            let line = format!(
                "{}: {}/{}",
                service.service, service.running, service.desired
            );
            if shown.get(&service.service) != Some(&line) {
                println!("{line}");
                shown.insert(service.service.clone(), line);
            }
        }
        let waiting: Vec<&ServiceProgress> = services.iter().filter(|s| !s.converged()).collect();
        if waiting.is_empty() {
            println!(
                "stack {} converged in {:.1} s",
                args.stack,
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        let failing: Vec<String> = waiting
            .iter()
            .filter(|s| !s.errors.is_empty())
            .map(|s| format!("{}: {}", s.service, s.errors.join("; ")))
            .collect();
        if !failing.is_empty() && started.elapsed() >= grace {
            return Err(format!(
                "the stack does not converge: {}",
                failing.join(" | ")
            ));
        }
        if Instant::now() >= deadline {
            let names: Vec<&str> = waiting.iter().map(|s| s.service.as_str()).collect();
            return Err(format!(
                "not converged after {} s: {}",
                args.timeout,
                names.join(", ")
            ));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

pub async fn run(args: DeployArgs) -> Result<(), Failed> {
    let token = read_text(&args.token_file)?.trim().to_owned();
    if token.is_empty() {
        return Err(format!("{}: no token in it", args.token_file.display()));
    }
    let input = gather(&args)?;
    let console = Console {
        client: reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(180))
            .build()
            .map_err(|err| err.to_string())?,
        base: args.url.trim_end_matches('/').to_owned(),
        token,
    };
    let files: BTreeMap<&String, String> = input
        .files
        .iter()
        .map(|(key, bytes)| (key, base64::engine::general_purpose::STANDARD.encode(bytes)))
        .collect();
    let body = json!({
        "compose": input.compose,
        "env": input.env,
        "files": files,
        "prune": args.prune,
        "resolve_image": args.resolve_image,
    });
    let stack_path = format!("/swarms/{}/stacks/{}", args.swarm, args.stack);
    let planned: Outcome = console
        .call(
            reqwest::Method::POST,
            &format!("{stack_path}/plan"),
            Some(&body),
            &input.shown_as,
        )
        .await?;
    print_plan(&args.stack, &planned);
    if !planned.problems.is_empty() {
        return Err(format!(
            "the plan has {} problem(s); nothing was changed",
            planned.problems.len()
        ));
    }
    if args.plan {
        return Ok(());
    }
    let deployed: Outcome = console
        .call(
            reqwest::Method::PUT,
            &stack_path,
            Some(&body),
            &input.shown_as,
        )
        .await?;
    if !deployed.applied {
        print_plan(&args.stack, &deployed);
        return Err("the console did not apply the plan".into());
    }
    println!(
        "deployed stack {} as version {}",
        args.stack,
        deployed
            .version
            .map_or("(none)".to_owned(), |v| v.to_string())
    );
    if args.detach {
        return Ok(());
    }
    follow(&console, &args, &input.shown_as).await
}
