//! Interpolation checked against the docker CLI itself: `docker stack config` interpolates
//! a compose file without needing an engine. For each template, the CLI's rendering of the
//! raw template must equal its rendering of our result (with `$` escaped as `$$`), and a
//! template the CLI refuses must be refused here too.

use std::process::Command;

use flotilla_compose::interpolate;

const ENV: [(&str, &str); 3] = [("FOO", "first"), ("EMPTY", ""), ("lower", "small")];

fn lookup(name: &str) -> Option<&'static str> {
    ENV.iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| *value)
}

/// A compose file whose one environment value is `value`, YAML single-quoted.
fn compose_file(value: &str) -> String {
    format!(
        "version: \"3.8\"\nservices:\n  probe:\n    image: busybox\n    environment:\n      V: '{}'\n",
        value.replace('\'', "''")
    )
}

/// The docker CLI to compare with: `DOCKER_CLI`, else the recent CLI this machine keeps in
/// /usr/local/bin (Debian's 20.10 has no `stack config`), else `docker` on the PATH.
fn docker_cli() -> String {
    std::env::var("DOCKER_CLI").unwrap_or_else(|_| {
        let local = "/usr/local/bin/docker";
        if std::path::Path::new(local).exists() {
            local
        } else {
            "docker"
        }
        .to_owned()
    })
}

/// `docker stack config` on `file`: Ok(rendered YAML) or Err(stderr).
fn cli_render(dir: &std::path::Path, name: &str, file: &str) -> Result<String, String> {
    let path = dir.join(name);
    std::fs::write(&path, file).expect("write compose file");
    let mut command = Command::new(docker_cli());
    command
        .args(["-H", "unix:///nonexistent.sock", "stack", "config", "-c"])
        .arg(&path)
        .env_remove("UNSET");
    for (key, value) in ENV {
        command.env(key, value);
    }
    let output = command.output().expect("run the docker CLI");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn interpolation_matches_docker_stack_config() {
    let templates = [
        "$FOO",
        "${FOO}",
        "x${FOO}y $lower.",
        "$UNSET|${UNSET}",
        "$$FOO costs $$5",
        "${UNSET:-d}",
        "${EMPTY:-d}",
        "${FOO:-d}",
        "${UNSET-d}",
        "${EMPTY-d}",
        "${UNSET:-a b:c}",
        "${FOO:?need it}",
        "${EMPTY?no}",
        "$UNSET-fallback",
        "$FOO-fallback",
        "${UNSET:?a-b}",
        "$FOO:8080",
        "café ${FOO} ☕",
        "${UNSET:-é}",
        "$UNSET-x}y",
        "${FOO}${lower}$$${EMPTY:-e}",
        // Refused by both.
        "${UNSET:?set UNSET first}",
        "${EMPTY:?no}",
        "${UNSET?no}",
        "cost: $5",
        "${}",
        "${FOO",
        "${FOO bar}",
        "${FOO:x}",
        "trailing $",
    ];
    let dir = std::env::temp_dir().join(format!("flotilla-compose-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    if let Err(err) = cli_render(&dir, "plain.yml", &compose_file("plain")) {
        panic!(
            "{} cannot run `docker stack config` (Debian's 20.10 CLI lacks it; set DOCKER_CLI to a newer one): {err}",
            docker_cli()
        );
    }
    let mut mismatches = Vec::new();
    for template in templates {
        let cli = cli_render(&dir, "raw.yml", &compose_file(template));
        let ours = interpolate(template, lookup);
        match (&cli, &ours) {
            (Ok(cli), Ok(ours)) => {
                let escaped = cli_render(&dir, "ours.yml", &compose_file(&ours.replace('$', "$$")));
                if escaped.as_ref() != Ok(cli) {
                    mismatches.push(format!(
                        "{template:?}: CLI {cli:?}, ours {ours:?} ({escaped:?})"
                    ));
                }
            }
            (Err(_), Err(_)) => {}
            _ => mismatches.push(format!("{template:?}: CLI {cli:?}, ours {ours:?}")),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        mismatches.is_empty(),
        "differences from the CLI:\n{}",
        mismatches.join("\n")
    );
}

/// A compose file whose one service publishes `port` (YAML text, e.g. `"8000:80"` or `8080`).
fn ports_file(port: &str) -> String {
    format!(
        "version: \"3.8\"\nservices:\n  probe:\n    image: busybox\n    ports:\n      - {port}\n"
    )
}

/// The ports of service `probe` in compose text, through our loader.
fn probe_ports(text: &str) -> Result<Vec<flotilla_compose::PortConfig>, String> {
    let root = flotilla_compose::load(text).map_err(|err| err.to_string())?;
    let mut node = &root;
    for key in ["services", "probe", "ports"] {
        let flotilla_compose::Value::Map(entries) = &node.value else {
            return Err(format!("{key}: not a mapping"));
        };
        node = &entries
            .iter()
            .find(|e| e.key == key)
            .ok_or_else(|| format!("no {key}"))?
            .value;
    }
    flotilla_compose::ports(node, "services.probe.ports").map_err(|err| err.to_string())
}

#[test]
fn short_port_syntax_reads_as_docker_stack_config_writes_it_long() {
    let specs = [
        "\"3000\"",
        "\"3000-3002\"",
        "\"8000:80\"",
        "\"9090-9091:8080-8081\"",
        "\"127.0.0.1:8001:8001\"",
        "\"127.0.0.1:5000-5001:5000-5001\"",
        "\"6060:6060/udp\"",
        "\"[::1]:6060:6060\"",
        "\"8000-8001:80\"",
        "\"0:80\"",
        "\":80\"",
        "\"80/sctp\"",
        "8080",
        "\"53:53/UDP\"",
        // Refused by both.
        "\"80:8000-8001\"",
        "\"70000:80\"",
        "\"a:80\"",
        "\"1.2.3:80:80\"",
        "\"3002-3000\"",
        "\"80:\"",
        "\"80/xyz\"",
        "\"9090-9092:8080-8081\"",
    ];
    let dir = std::env::temp_dir().join(format!("flotilla-ports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut mismatches = Vec::new();
    for spec in specs {
        let file = ports_file(spec);
        let cli = cli_render(&dir, "ports.yml", &file).and_then(|rendered| probe_ports(&rendered));
        let ours = probe_ports(&file);
        match (&cli, &ours) {
            (Ok(cli), Ok(ours)) if cli == ours => {}
            (Err(_), Err(_)) => {}
            _ => mismatches.push(format!("{spec}: CLI {cli:?}, ours {ours:?}")),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        mismatches.is_empty(),
        "differences from the CLI:\n{}",
        mismatches.join("\n")
    );
}
