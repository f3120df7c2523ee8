//! Services as an operator works them, on a real two-node swarm, checked with the docker
//! CLI: scale (recorded in the stack file, byte for byte but the one value), fifty scales at
//! once, a variable changed instead of the text, drift after a CLI scale, a health check
//! that survives a scale, redeploy, image update and rollback, bad input refused with
//! nothing changed, and logs followed as they are written.

#[path = "stack_support/mod.rs"]
#[allow(dead_code)]
mod stack_support;
#[path = "../../engine/tests/support/mod.rs"]
#[allow(dead_code)] // shared with suites that use all of it
mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use flotilla_fleet::{Fleet, LogRequest, Recording, StackInput};
use flotilla_stack::ServiceQuery;
use flotilla_store::Role;
use futures::StreamExt;
use support::{eventually, Sandbox};

const BY: Recording<'static> = Recording {
    by: "alice",
    from: "in a test",
};

fn shop() -> String {
    "# the shop, as its team writes it\nservices:\n  web:\n    image: local/busybox:1   # pinned\n    command: [\"sh\", \"-c\", \"while true; do echo tick $$(date +%s); sleep 1; done\"]\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 5s\n    deploy:\n      replicas: 2 # two\n  worker:\n    image: local/busybox:1\n    command: [\"sleep\", \"3600\"]\n    deploy:\n      replicas: ${WORKERS:-1}\n  agent:\n    image: local/busybox:1\n    command: [\"sleep\", \"3600\"]\n    deploy:\n      mode: global\n".to_owned()
}

fn inspect(sandbox: &Sandbox, service: &str, format: &str) -> String {
    sandbox
        .docker(1, &["service", "inspect", service, "--format", format])
        .trim()
        .to_owned()
}

async fn deployed(fleet: &Fleet) -> StackInput {
    let input = StackInput {
        compose: shop(),
        ..StackInput::default()
    };
    fleet
        .deploy_stack("svc", "shop", &input, ("alice", Role::Operator))
        .await
        .expect("deploy");
    input
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_works_services_and_the_file_stays_true() {
    let sandbox = Sandbox::up("fltsvc", "10.226.0", 2);
    sandbox.form_swarm();
    let work = tempfile::tempdir().expect("tempdir");
    let fleet = stack_support::fleet_adopting(&sandbox, "svc", work.path()).await;
    deployed(&fleet).await;

    // The list: every service with its stack, mode and counts, filtered on the server.
    let page = fleet
        .services(
            "svc",
            &ServiceQuery {
                filter: "shop_w".into(),
                ..ServiceQuery::default()
            },
        )
        .await
        .expect("list");
    let names: Vec<&str> = page.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["shop_web", "shop_worker"]);
    assert_eq!(page.rows[0].stack.as_deref(), Some("shop"));

    // Scale, recorded: the new version's file differs from the old one in that value only.
    let scaled = fleet
        .scale_service("svc", "shop_web", 4, Some(BY))
        .await
        .expect("scale");
    assert_eq!(scaled.recorded_version, Some(2));
    assert_eq!(
        inspect(&sandbox, "shop_web", "{{.Spec.Mode.Replicated.Replicas}}"),
        "4"
    );
    let v2 = fleet
        .stack_version_input("svc", "shop", 2)
        .await
        .expect("v2");
    assert_eq!(
        v2.compose,
        shop().replace("replicas: 2 # two", "replicas: 4 # two")
    );
    let versions = fleet.stack_versions("svc", "shop").await.expect("versions");
    assert_eq!(versions[0].note, "scaled shop_web 2 → 4 by alice in a test");
    // The health check is still there (a spec read back through bollard would lose it).
    assert_eq!(
        inspect(
            &sandbox,
            "shop_web",
            "{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck.Test}}"
        ),
        r#"["CMD","true"]"#
    );
    // Deploying the newest version now changes nothing.
    let plan = fleet
        .plan_stack("svc", "shop", &v2, Role::Operator)
        .await
        .expect("plan");
    assert!(
        plan.plan
            .objects
            .iter()
            .all(|o| o.change == flotilla_stack::Change::Unchanged),
        "{:#?}",
        plan.plan.objects
    );

    // A value from a variable: the variable changes, the text does not.
    let scaled = fleet
        .scale_service("svc", "shop_worker", 2, Some(BY))
        .await
        .expect("scale worker");
    let v3 = fleet
        .stack_version_input("svc", "shop", scaled.recorded_version.expect("recorded"))
        .await
        .expect("v3");
    assert_eq!(v3.compose, v2.compose);
    assert_eq!(v3.env.get("WORKERS").map(String::as_str), Some("2"));

    // Fifty scales at once all land, and the service ends at one of the values asked for.
    let asked: BTreeSet<u64> = (1..=50).map(|i| i % 5 + 1).collect();
    let results = futures::future::join_all(
        (1..=50u64).map(|i| fleet.scale_service("svc", "shop_worker", i % 5 + 1, Some(BY))),
    )
    .await;
    for result in &results {
        assert!(result.is_ok(), "{result:?}");
    }
    let replicas: u64 = inspect(
        &sandbox,
        "shop_worker",
        "{{.Spec.Mode.Replicated.Replicas}}",
    )
    .parse()
    .expect("replicas");
    assert!(asked.contains(&replicas));
    let newest = fleet.stack_versions("svc", "shop").await.expect("versions")[0].version;
    let file = fleet
        .stack_version_input("svc", "shop", newest)
        .await
        .expect("newest");
    assert_eq!(
        file.env.get("WORKERS").map(String::as_str),
        Some(replicas.to_string().as_str()),
        "the file says what the swarm runs"
    );

    // Bad input changes nothing.
    let before = inspect(&sandbox, "shop_web", "{{json .Spec}}");
    for (what, err) in [
        (
            "global",
            fleet
                .scale_service("svc", "shop_agent", 3, Some(BY))
                .await
                .err(),
        ),
        (
            "huge",
            fleet
                .scale_service("svc", "shop_web", 1_000_000, Some(BY))
                .await
                .err(),
        ),
        (
            "missing",
            fleet
                .scale_service("svc", "shop_nope", 3, Some(BY))
                .await
                .err(),
        ),
        (
            "spaces",
            fleet
                .update_service_image("svc", "shop_web", "busybox latest", Some(BY))
                .await
                .err(),
        ),
    ] {
        let err = err.unwrap_or_else(|| panic!("{what} was not refused"));
        println!("{what}: {err}");
        assert!(
            matches!(err.code(), "invalid" | "engine_error" | "not_found"),
            "{what}: {err}"
        );
    }
    assert_eq!(inspect(&sandbox, "shop_web", "{{json .Spec}}"), before);

    // Drift: a scale by the CLI shows, with the value on each side.
    sandbox.docker(1, &["service", "scale", "--detach", "shop_web=3"]);
    let drift = fleet.stack_drift("svc", "shop").await.expect("drift");
    assert_eq!(drift.len(), 1);
    assert_eq!(drift[0].service, "shop_web");
    assert_eq!(drift[0].fields[0].path, "Mode.Replicated.Replicas");
    assert_eq!(
        (
            drift[0].fields[0].before.clone(),
            drift[0].fields[0].after.clone()
        ),
        (Some(3.into()), Some(4.into()))
    );
    // Planning the newest version again names what it would undo; a plan keeping the
    // swarm's value undoes nothing.
    let newest = fleet
        .stack_version_input("svc", "shop", versions_now(&fleet).await)
        .await
        .expect("newest");
    let plan = fleet
        .plan_stack("svc", "shop", &newest, Role::Operator)
        .await
        .expect("plan");
    assert_eq!(plan.undoes.len(), 1, "{:#?}", plan.undoes);
    assert_eq!(plan.undoes[0].service, "shop_web");
    assert_eq!(plan.undoes[0].fields[0].after, Some(4.into()));
    let keeping = StackInput {
        compose: newest
            .compose
            .replace("replicas: 4 # two", "replicas: 3 # two"),
        ..newest.clone()
    };
    let plan = fleet
        .plan_stack("svc", "shop", &keeping, Role::Operator)
        .await
        .expect("plan");
    assert!(plan.undoes.is_empty(), "{:#?}", plan.undoes);
    // The service page counts its tasks (an inspected service has no status of its own).
    eventually("three running", Duration::from_secs(60), || async {
        let detail = fleet
            .service_detail("svc", "shop_web", true)
            .await
            .expect("detail");
        (detail.row.desired == 3 && detail.row.running == 3).then_some(())
    })
    .await;

    // Redeploy makes new tasks from the same spec.
    let tasks = |sandbox: &Sandbox| -> BTreeSet<String> {
        sandbox
            .docker(
                1,
                &[
                    "service",
                    "ps",
                    "-q",
                    "--filter",
                    "desired-state=running",
                    "shop_web",
                ],
            )
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let old_tasks = tasks(&sandbox);
    fleet
        .redeploy_service("svc", "shop_web")
        .await
        .expect("redeploy");
    eventually("every task replaced", Duration::from_secs(90), || async {
        let now = tasks(&sandbox);
        (now.len() == 3 && now.is_disjoint(&old_tasks)).then_some(())
    })
    .await;

    // An image update, then a rollback to the image before.
    sandbox.docker(1, &["tag", "local/busybox:1", "local/busybox:2"]);
    sandbox.docker(2, &["tag", "local/busybox:1", "local/busybox:2"]);
    fleet
        .update_service_image("svc", "shop_web", "local/busybox:2", None)
        .await
        .expect("image");
    assert_eq!(
        inspect(
            &sandbox,
            "shop_web",
            "{{.Spec.TaskTemplate.ContainerSpec.Image}}"
        ),
        "local/busybox:2"
    );
    eventually("the update settles", Duration::from_secs(90), || async {
        let state = inspect(
            &sandbox,
            "shop_web",
            "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}",
        );
        (state == "completed").then_some(())
    })
    .await;
    fleet
        .rollback_service("svc", "shop_web")
        .await
        .expect("rollback");
    assert_eq!(
        inspect(
            &sandbox,
            "shop_web",
            "{{.Spec.TaskTemplate.ContainerSpec.Image}}"
        ),
        "local/busybox:1"
    );

    // Logs: a line written now arrives while following.
    let mut lines = fleet
        .service_logs(
            "svc",
            "shop_web",
            None,
            &LogRequest {
                follow: true,
                tail: Some(0),
                timestamps: true,
                ..LogRequest::default()
            },
        )
        .await
        .expect("logs");
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next())
        .await
        .expect("a line within seconds")
        .expect("a line")
        .expect("no error");
    assert!(line.text.starts_with("tick "), "{line:?}");
    assert!(line.task_id.is_some() && line.timestamp.is_some());
}

/// The newest recorded version of the test's stack.
async fn versions_now(fleet: &Fleet) -> i64 {
    fleet.stack_versions("svc", "shop").await.expect("versions")[0].version
}
