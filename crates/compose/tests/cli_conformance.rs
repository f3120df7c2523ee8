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
