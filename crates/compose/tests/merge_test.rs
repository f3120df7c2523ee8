//! Merging `-c a.yml -c b.yml` as the docker CLI does, and writing the result back as YAML
//! that loads to the same tree.

use flotilla_compose::{load, load_interpolated, merge_files, to_yaml};

fn merged(files: &[&str]) -> String {
    let nodes = files.iter().map(|f| load(f).expect("loads")).collect();
    to_yaml(&merge_files(nodes).expect("merges"), false)
}

fn same(text: &str) -> String {
    to_yaml(&load(text).expect("loads"), false)
}

#[test]
fn a_later_file_overrides_scalars_merges_mappings_and_appends_lists() {
    let base = r#"
services:
  web:
    image: shop/web:1
    environment:
      - A=1
      - B=2
    labels: {team: shop}
    dns: [1.1.1.1]
    command: ["serve", "--port", "80"]
    read_only: true
    deploy:
      replicas: 3
      placement:
        constraints: [node.role == worker]
      resources:
        limits: {memory: 64M}
  db:
    image: postgres:16
networks:
  front: {driver: overlay, attachable: true}
"#;
    let over = r#"
services:
  web:
    image: shop/web:2
    environment:
      B: "20"
      C: "3"
      A: ""
    dns: [8.8.8.8]
    command: ["serve", "--port", "81"]
    read_only: false
    deploy:
      replicas: 0
      placement:
        constraints: [node.labels.zone == a]
      resources:
        limits: {cpus: "0.5"}
  cache:
    image: redis:7
networks:
  front: {driver: overlay}
"#;
    let expected = r#"
services:
  cache:
    image: redis:7
  db:
    image: postgres:16
  web:
    image: shop/web:2
    environment:
      A: "1"
      B: "20"
      C: "3"
    labels: {team: shop}
    dns: [1.1.1.1, 8.8.8.8]
    command: ["serve", "--port", "81"]
    read_only: true
    deploy:
      replicas: 0
      placement:
        constraints: [node.role == worker, node.labels.zone == a]
      resources:
        limits: {memory: 64M, cpus: "0.5"}
networks:
  front: {driver: overlay}
"#;
    assert_eq!(merged(&[base, over]), same(expected));
}

#[test]
fn ports_volumes_secrets_and_configs_merge_by_their_keys_sorted() {
    let base = r#"
services:
  web:
    image: web
    ports: ["8080:80", "9000:9000/udp", "443"]
    volumes: ["data:/var/lib/data", "/tmp/a:/cache:ro"]
    secrets: [db_password, {source: api_key, target: key}]
    configs: [{source: app, target: /etc/app.conf}]
"#;
    let over = r#"
services:
  web:
    ports:
      - {target: 81, published: 8080}
      - "7000-7001:70-71"
    volumes: ["other:/cache"]
    secrets: [{source: db_password, target: pw}]
"#;
    let expected = r#"
services:
  web:
    image: web
    ports:
      - {target: 443, protocol: tcp, mode: ingress}
      - {target: 70, published: 7000, protocol: tcp, mode: ingress}
      - {target: 71, published: 7001, protocol: tcp, mode: ingress}
      - {target: 81, published: 8080}
      - {target: 9000, published: 9000, protocol: udp, mode: ingress}
    volumes: ["other:/cache", "data:/var/lib/data"]
    secrets: [{source: api_key, target: key}, {source: db_password, target: pw}]
    configs: [{source: app, target: /etc/app.conf}]
"#;
    assert_eq!(merged(&[base, over]), same(expected));
}

#[test]
fn logging_keeps_options_under_one_driver_and_networks_take_the_later_aliases() {
    let base = r#"
services:
  web:
    image: web
    logging: {driver: json-file, options: {max-size: 10m}}
    networks:
      front: {aliases: [www]}
      back:
"#;
    let over = r#"
services:
  web:
    logging: {options: {max-file: "3"}}
    networks:
      front: {aliases: [shop]}
      extra:
"#;
    let expected = r#"
services:
  web:
    image: web
    logging: {driver: json-file, options: {max-size: 10m, max-file: "3"}}
    networks:
      front: {aliases: [shop]}
      back:
      extra:
"#;
    assert_eq!(merged(&[base, over]), same(expected));
    let other_driver = "services:\n  web:\n    logging: {driver: syslog}\n";
    let expected = "services:\n  web:\n    image: web\n    logging: {driver: syslog}\n    networks:\n      front: {aliases: [www]}\n      back:\n";
    assert_eq!(merged(&[base, other_driver]), same(expected));
}

#[test]
fn written_yaml_loads_back_to_the_same_tree_and_keeps_dollars_literal() {
    let text = "services:\n  \"80\":\n    image: \"a \\\"quoted\\\" \\\\ value\"\n    command: [\"sh\", \"-c\", \"echo $$HOME\\n\\tdone\"]\n    environment: {\"yes\": \"no\", EMPTY: \"\", N: 3, F: 1.5, NONE: null}\n    x-list: [[1, 2], [], {}, {a: [b]}]\n";
    let first = load(text).expect("loads");
    let again = load(&to_yaml(&first, false)).expect("loads back");
    assert_eq!(to_yaml(&first, false), to_yaml(&again, false));
    // After interpolation `$$` is one `$`; written with dollars doubled, the same text
    // interpolates to it again.
    let lookup = |_: &str| None;
    let interpolated = load_interpolated(text, lookup).expect("interpolates");
    let written = to_yaml(&interpolated, true);
    let reloaded = load_interpolated(&written, lookup).expect("interpolates again");
    assert_eq!(to_yaml(&interpolated, false), to_yaml(&reloaded, false));
    assert!(to_yaml(&interpolated, false).contains("echo $HOME"));
}
