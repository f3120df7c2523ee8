//! Merging checked against the docker CLI itself: `docker stack config -c a -c b` renders
//! the CLI's merge; rendering our merged file alone must give the same text.

use std::path::Path;
use std::process::Command;

use flotilla_compose::{load_interpolated, merge_files, to_yaml};

/// As in `cli_conformance`: the recent CLI this machine keeps (Debian's 20.10 has no
/// `stack config`), unless `DOCKER_CLI` names another.
fn docker_cli() -> String {
    std::env::var("DOCKER_CLI").unwrap_or_else(|_| {
        let local = "/usr/local/bin/docker";
        if Path::new(local).exists() {
            local
        } else {
            "docker"
        }
        .to_owned()
    })
}

fn render(dir: &Path, files: &[(&str, &str)]) -> String {
    let mut command = Command::new(docker_cli());
    command.args(["-H", "unix:///nonexistent.sock", "stack", "config"]);
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write compose file");
        command.arg("-c").arg(&path);
    }
    command.env("TAG", "7").env("PORT", "8443");
    let output = command.output().expect("run the docker CLI");
    assert!(
        output.status.success(),
        "the CLI refused {files:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn ours(files: &[(&str, &str)]) -> String {
    let lookup = |name: &str| match name {
        "TAG" => Some("7"),
        "PORT" => Some("8443"),
        _ => None,
    };
    let nodes = files
        .iter()
        .map(|(_, text)| load_interpolated(text, lookup).expect("loads"))
        .collect();
    to_yaml(&merge_files(nodes).expect("merges"), true)
}

const CASES: &[&[(&str, &str)]] = &[
    &[
        (
            "base.yml",
            r#"
version: "3.8"
services:
  web:
    image: shop/web:1
    environment: ["A=1", "B=2", "D"]
    labels: {team: shop}
    dns: [1.1.1.1]
    command: ["serve", "--port", "80"]
    read_only: true
    deploy:
      replicas: 3
      labels: [tier=front]
      placement:
        constraints: [node.role == worker]
      resources:
        limits: {memory: 64M}
      update_config: {parallelism: 2, delay: 10s}
  db:
    image: postgres:16
networks:
  front: {driver: overlay, attachable: true}
volumes:
  data: {}
"#,
        ),
        (
            "override.yml",
            r#"
version: "3.8"
services:
  web:
    image: "shop/web:${TAG}"
    environment:
      B: "20"
      C: "3"
      A: ""
    dns: [8.8.8.8]
    entrypoint: /bin/sh
    command: serve --port 81
    read_only: false
    deploy:
      replicas: 0
      labels: {tier: back, extra: "yes"}
      placement:
        constraints: [node.labels.zone == a]
      resources:
        limits: {cpus: "0.5"}
      update_config: {parallelism: 0}
  cache:
    image: redis:7
    command: ["redis-server", "--save", "$$NOPE"]
networks:
  front: {driver: overlay}
volumes:
  data: {driver: local, labels: [a=b]}
"#,
        ),
    ],
    &[
        (
            "base.yml",
            r#"
version: "3.8"
services:
  web:
    image: web
    ports: ["8080:80", "9000:9000/udp", "443", "${PORT}:8443"]
    volumes: ["data:/var/lib/data", "/tmp/a:/cache:ro"]
    secrets: [db_password, {source: api_key, target: key}]
    configs: [{source: app, target: /etc/app.conf}]
    logging: {driver: json-file, options: {max-size: 10m}}
    networks:
      front: {aliases: [www]}
      back:
    ulimits: {nofile: {soft: 100, hard: 200}, nproc: 50}
secrets:
  db_password: {external: true}
  api_key: {external: true}
configs:
  app: {external: true}
networks:
  front: {}
  back: {}
  extra: {}
volumes:
  data: {}
"#,
        ),
        (
            "ports.yml",
            r#"
version: "3.8"
services:
  web:
    ports:
      - {target: 81, published: 8080}
      - "7000-7001:70-71"
    volumes: ["other:/cache", {type: tmpfs, target: /run}]
    secrets: [{source: db_password, target: pw}]
    logging: {options: {max-file: "3"}}
    networks:
      front: {aliases: [shop]}
      extra:
    ulimits: {nofile: 1000}
volumes:
  other: {}
"#,
        ),
        (
            "logging.yml",
            r#"
version: "3.8"
services:
  web:
    logging: {driver: syslog}
    healthcheck: {test: ["CMD", "true"], retries: 0}
"#,
        ),
    ],
];

#[test]
fn our_merge_renders_as_the_clis() {
    let dir = std::env::temp_dir().join(format!("flotilla-merge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for files in CASES {
        let cli = render(&dir, files);
        let merged = ours(files);
        let again = render(&dir, &[("merged.yml", &merged)]);
        assert_eq!(
            again,
            cli,
            "files {:?}\nours:\n{merged}",
            files.iter().map(|f| f.0).collect::<Vec<_>>()
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
