//! Loading compose YAML: anchors, merge keys, and errors that say where.

use flotilla_compose::{load, load_interpolated, ComposeError, Location, Node, Value};

fn get<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
    path.iter().fold(node, |node, key| match &node.value {
        Value::Map(entries) => {
            &entries
                .iter()
                .find(|e| e.key == *key)
                .unwrap_or_else(|| panic!("no key {key}"))
                .value
        }
        other => panic!("{key}: not a mapping but {other:?}"),
    })
}

fn keys(node: &Node) -> Vec<&str> {
    match &node.value {
        Value::Map(entries) => entries.iter().map(|e| e.key.as_str()).collect(),
        other => panic!("not a mapping: {other:?}"),
    }
}

fn error(text: &str) -> ComposeError {
    load(text).expect_err("should be refused")
}

#[test]
fn anchors_aliases_and_merge_keys_resolve_like_the_cli() {
    let text = r#"
version: "3.8"
x-defaults: &defaults
  image: busybox
  restart: always
  labels: &labels
    team: core
x-more: &more
  image: alpine
  user: nobody
services:
  api:
    <<: [*defaults, *more]
    image: api:1
  web:
    <<: *defaults
    labels: *labels
"#;
    let root = load(text).expect("load");
    let api = get(&root, &["services", "api"]);
    assert_eq!(keys(api), vec!["image", "restart", "labels", "user"]);
    assert_eq!(
        get(api, &["image"]).value,
        Value::Str("api:1".into()),
        "explicit keys win"
    );
    assert_eq!(get(api, &["user"]).value, Value::Str("nobody".into()));
    let web = get(&root, &["services", "web"]);
    assert_eq!(get(web, &["image"]).value, Value::Str("busybox".into()));
    assert_eq!(
        get(web, &["labels", "team"]).value,
        Value::Str("core".into())
    );
    assert_eq!(
        get(&root, &["services"]).at,
        Location {
            line: 12,
            column: 3
        }
    );
}

#[test]
fn scalars_keep_their_yaml_types() {
    let root = load("a: 1\nb: 1.5\nc: true\nd: yes\ne: ~\nf: '1'\ng: 0o17\n").expect("load");
    assert_eq!(get(&root, &["a"]).value, Value::Int(1));
    assert_eq!(get(&root, &["b"]).value, Value::Float(1.5));
    assert_eq!(get(&root, &["c"]).value, Value::Bool(true));
    assert_eq!(
        get(&root, &["d"]).value,
        Value::Str("yes".into()),
        "YAML 1.2: yes is a string"
    );
    assert_eq!(get(&root, &["e"]).value, Value::Null);
    assert_eq!(get(&root, &["f"]).value, Value::Str("1".into()));
    assert_eq!(get(&root, &["g"]).value, Value::Int(15));
}

#[test]
fn errors_name_line_column_and_path() {
    let bad_yaml = error("services:\n  web:\n    image: [busybox\n");
    assert!(bad_yaml.message.starts_with("invalid YAML"), "{bad_yaml}");
    assert!(bad_yaml.at.line >= 3, "{bad_yaml}");

    let duplicate = error("services:\n  web:\n    image: a\n    image: b\n");
    assert_eq!(duplicate.at.line, 4, "{duplicate}");

    let list = error("- a\n- b\n");
    assert_eq!(
        list.message,
        "the top level must be a mapping, found a list"
    );

    let number_key = error("services:\n  web:\n    environment:\n      1: x\n");
    assert_eq!(number_key.path, "services.web.environment");
    assert_eq!(number_key.at, Location { line: 4, column: 7 });
    assert!(
        number_key.message.contains("keys must be strings"),
        "{number_key}"
    );

    let merge = error("services:\n  web:\n    <<: [a, b]\n");
    assert_eq!(merge.path, "services.web.<<");
    assert_eq!(
        merge.to_string(),
        "line 3, column 10: services.web.<<: a merge key takes a mapping or a list of mappings, found a string"
    );
    assert_eq!(error("").message, "the file is empty");
}

#[test]
fn interpolation_applies_to_values_of_the_cli_sections_with_the_path_in_errors() {
    let text = "version: \"$V\"\nx-note: $$kept\nservices:\n  web:\n    image: \"busybox:${TAG:-1}\"\n    environment:\n      - HOME=$$HOME\n      - NAME=${NAME:?set NAME}\n";
    let named = |name: &str| match name {
        "NAME" => Some("flotilla"),
        _ => None,
    };
    let root = load_interpolated(text, named).expect("interpolate");
    assert_eq!(
        get(&root, &["version"]).value,
        Value::Str("$V".into()),
        "version is not interpolated"
    );
    assert_eq!(
        get(&root, &["services", "web", "image"]).value,
        Value::Str("busybox:1".into())
    );
    let Value::Seq(env) = &get(&root, &["services", "web", "environment"]).value else {
        panic!("environment is a list");
    };
    assert_eq!(env[0].value, Value::Str("HOME=$HOME".into()));
    assert_eq!(env[1].value, Value::Str("NAME=flotilla".into()));

    let err = load_interpolated(text, |_| None).expect_err("NAME is required");
    assert_eq!(err.path, "services.web.environment[1]");
    assert_eq!(err.at, Location { line: 8, column: 9 });
    assert_eq!(
        err.message,
        "required variable NAME is missing a value: set NAME"
    );
}

#[test]
fn an_alias_bomb_is_refused_not_expanded() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
        let previous = ["a", "b", "c", "d", "e", "f", "g", "h"][i];
        text.push_str(&format!(
            "{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"
        ));
    }
    let err = error(&text);
    assert!(err.message.contains("alias"), "{err}");
}

#[test]
fn leading_zero_integers_are_octal_as_the_cli_reads_them() {
    let root =
        load("a: 0440\nb: &m 0440\nc: !!int 0440\nd: 440\ne: 0o440\nf: -010\n").expect("yaml");
    let Value::Map(entries) = root.value else {
        panic!("mapping")
    };
    let values: Vec<Value> = entries.into_iter().map(|e| e.value.value).collect();
    assert_eq!(
        values,
        vec![
            Value::Int(288),
            Value::Int(288),
            Value::Int(288),
            Value::Int(440),
            Value::Int(288),
            Value::Int(-8)
        ]
    );
}
