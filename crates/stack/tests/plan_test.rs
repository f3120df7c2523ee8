//! The plan from compose text to what a swarm holds, on specs shaped like the engine's.

use std::collections::BTreeMap;

use flotilla_compose::{Files, Variables};
use flotilla_stack::{
    convert, diff_specs, keep_resolved_images, plan, Change, Current, StackObjects,
};
use serde_json::{json, Value};

fn objects(compose: &str) -> StackObjects {
    let variables = Variables::new(&BTreeMap::new(), None).expect("variables");
    let parsed = flotilla_compose::parse(compose, &variables, &Files::new()).expect("compose");
    convert("shop", &parsed, &Files::new())
}

/// A spec as the engine stores it: the request plus the defaults it fills in.
fn stored(mut spec: Value) -> Value {
    let defaults = json!({
        "UpdateConfig": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5_000_000_000u64, "MaxFailureRatio": 0, "Order": "stop-first"},
        "RollbackConfig": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5_000_000_000u64, "MaxFailureRatio": 0, "Order": "stop-first"},
        "EndpointSpec": {"Mode": "vip"},
    });
    let map = spec.as_object_mut().expect("object");
    for (key, value) in defaults.as_object().expect("defaults") {
        map.entry(key.clone()).or_insert(value.clone());
    }
    let task = map["TaskTemplate"].as_object_mut().expect("task");
    task.insert("ForceUpdate".into(), json!(0));
    task.insert("Runtime".into(), json!("container"));
    task.insert(
        "RestartPolicy".into(),
        json!({"Condition": "any", "Delay": 5_000_000_000u64, "MaxAttempts": 0}),
    );
    let container = task["ContainerSpec"].as_object_mut().expect("container");
    container.insert("Isolation".into(), json!("default"));
    container.insert("StopGracePeriod".into(), json!(10_000_000_000u64));
    container.insert(
        "Privileges".into(),
        json!({"CredentialSpec": null, "SELinuxContext": null, "NoNewPrivileges": false}),
    );
    if let Some(replicated) = map["Mode"]
        .get_mut("Replicated")
        .and_then(Value::as_object_mut)
    {
        replicated.entry("Replicas").or_insert(json!(1));
    }
    spec
}

fn current_of(objects: &StackObjects) -> Current {
    Current {
        networks: objects
            .networks
            .keys()
            .map(|n| (n.clone(), "swarm".to_owned()))
            .collect(),
        services: objects
            .services
            .iter()
            .map(|(n, s)| (n.clone(), stored(s.clone())))
            .collect(),
        ..Current::default()
    }
}

const WEB: &str = "services:\n  web:\n    image: nginx:1\n";

#[test]
fn what_the_engine_fills_in_is_no_change() {
    let deployed = objects(WEB);
    let again = plan(&objects(WEB), &current_of(&deployed), false);
    assert!(
        again.objects.iter().all(|o| o.change == Change::Unchanged),
        "{again:#?}"
    );
}

#[test]
fn zero_replicas_against_a_file_without_replicas_is_a_change() {
    let deployed =
        objects("services:\n  web:\n    image: nginx:1\n    deploy:\n      replicas: 0\n");
    let changes = diff_specs(
        &current_of(&deployed).services["shop_web"],
        &objects(WEB).services["shop_web"],
    );
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].path, "Mode.Replicated.Replicas");
    assert_eq!(
        (changes[0].before.clone(), changes[0].after.clone()),
        (Some(json!(0)), Some(json!(1)))
    );
}

#[test]
fn an_explicit_zero_against_a_nonzero_engine_default_is_a_change() {
    let deployed = objects(WEB);
    let wanted = objects("services:\n  web:\n    image: nginx:1\n    deploy:\n      update_config:\n        parallelism: 0\n");
    let changes = diff_specs(
        &current_of(&deployed).services["shop_web"],
        &wanted.services["shop_web"],
    );
    assert_eq!(
        changes.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(),
        ["UpdateConfig.Parallelism"]
    );
}

#[test]
fn a_changed_field_is_named_with_before_and_after() {
    let deployed = objects(WEB);
    let wanted = objects("services:\n  web:\n    image: nginx:2\n    environment: [A=1]\n");
    let result = plan(&wanted, &current_of(&deployed), false);
    let web = result
        .objects
        .iter()
        .find(|o| o.name == "shop_web")
        .expect("web");
    assert_eq!(web.change, Change::Update);
    let paths: Vec<_> = web.fields.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Labels.com.docker.stack.image",
            "TaskTemplate.ContainerSpec.Env",
            "TaskTemplate.ContainerSpec.Image"
        ]
    );
}

#[test]
fn a_mode_cannot_change_and_says_so() {
    let deployed =
        objects("services:\n  web:\n    image: nginx:1\n    deploy:\n      mode: global\n");
    let result = plan(&objects(WEB), &current_of(&deployed), false);
    assert_eq!(result.problems.len(), 1, "{result:#?}");
    assert!(result.problems[0].contains("cannot change its mode from Global to Replicated"));
}

#[test]
fn a_registry_digest_the_cli_recorded_is_kept_when_the_image_is_the_same() {
    let deployed = objects(WEB);
    let mut current = current_of(&deployed);
    let pinned = "nginx:1@sha256:0123456789abcdef";
    current.services.get_mut("shop_web").expect("web")["TaskTemplate"]["ContainerSpec"]["Image"] =
        json!(pinned);
    let mut wanted = objects(WEB);
    keep_resolved_images(&mut wanted, &current);
    assert_eq!(
        wanted.services["shop_web"]["TaskTemplate"]["ContainerSpec"]["Image"],
        json!(pinned)
    );
    assert!(plan(&wanted, &current, false)
        .objects
        .iter()
        .all(|o| o.change == Change::Unchanged));
    let mut newer = objects("services:\n  web:\n    image: nginx:2\n");
    keep_resolved_images(&mut newer, &current);
    assert_eq!(
        newer.services["shop_web"]["TaskTemplate"]["ContainerSpec"]["Image"],
        json!("nginx:2")
    );
}

#[test]
fn networks_external_predefined_missing_and_local() {
    let wanted = objects(
        "services:\n  web:\n    image: nginx:1\n    networks: [outside, hostnet, front]\nnetworks:\n  outside:\n    external: true\n  hostnet:\n    external: true\n    name: host\n  front: {}\n",
    );
    let current = Current {
        networks: [("shop_front".to_owned(), "local".to_owned())].into(),
        ..Current::default()
    };
    let result = plan(&wanted, &current, false);
    assert_eq!(result.problems.len(), 2, "{:#?}", result.problems);
    assert!(result.problems[0].contains("`outside` is declared external but does not exist"));
    assert!(result.problems[1].contains("`shop_front` already exists, local-scoped"));
}

#[test]
fn prune_removes_only_what_the_file_dropped() {
    let deployed = objects("services:\n  web:\n    image: nginx:1\n  old:\n    image: nginx:1\n");
    let current = current_of(&deployed);
    let kept = plan(&objects(WEB), &current, false);
    assert_eq!(kept.count(Change::Remove), 0);
    let pruned = plan(&objects(WEB), &current, true);
    let removed: Vec<_> = pruned
        .objects
        .iter()
        .filter(|o| o.change == Change::Remove)
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(removed, ["shop_old"]);
}
