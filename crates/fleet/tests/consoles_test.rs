//! Two consoles on one PostgreSQL database deploy one stack at the same time: the deploys
//! take the stack's database lock one after the other, the versions are numbered 1 to 20
//! without gaps or duplicates, and the swarm runs the newest. Needs root; `make test`
//! provides it.

#[path = "../../store/tests/postgres/mod.rs"]
mod postgres;
#[path = "../../engine/tests/support/mod.rs"]
#[allow(dead_code)] // shared with suites that use all of it
mod support;

use std::sync::Arc;

use flotilla_fleet::{Fleet, NewHostRequest, StackInput};
use flotilla_stack::ResolveImage;
use flotilla_store::{Role, SecretKey, Store};
use postgres::Postgres;
use support::Sandbox;

const DEPLOYS: usize = 20;

fn round(n: usize) -> StackInput {
    StackInput {
        compose: format!(
            "services:\n  app:\n    image: local/busybox:1\n    command: [sleep, '3600']\n    environment:\n      ROUND: '{n}'\n"
        ),
        resolve_image: ResolveImage::Never,
        ..StackInput::default()
    }
}

#[tokio::test]
async fn twenty_deploys_of_one_stack_from_two_consoles_end_in_consecutive_versions() {
    let sandbox = Sandbox::up("fltcon", "10.237.0", 1);
    sandbox.form_swarm();
    let postgres = Postgres::start();
    let key = SecretKey::generate();
    let console = || async {
        let store = Store::open(&postgres.url).await.expect("store");
        Arc::new(Fleet::new(Arc::new(store.sealed_with(&key))))
    };
    let (first, second) = (console().await, console().await);
    let url = sandbox.endpoint(1).to_string();
    first
        .register_host(&NewHostRequest {
            name: "node1".into(),
            url: url.clone(),
            tls: None,
            save_anyway: false,
        })
        .await
        .expect("register");
    first.adopt_swarm("prod", &url, None).await.expect("adopt");

    let deploys = (1..=DEPLOYS).map(|n| {
        let fleet = if n % 2 == 0 { &second } else { &first };
        async move {
            fleet
                .deploy_stack("prod", "web", &round(n), ("ci", Role::Admin))
                .await
        }
    });
    for (n, result) in futures::future::join_all(deploys)
        .await
        .into_iter()
        .enumerate()
    {
        if let Err(err) = result {
            panic!("deploy {} failed: {err}", n + 1);
        }
    }

    let mut versions: Vec<i64> = second
        .stack_versions("prod", "web")
        .await
        .expect("versions")
        .iter()
        .map(|v| v.version)
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, (1..=DEPLOYS as i64).collect::<Vec<_>>());
    let newest = first
        .latest_stack_input("prod", "web")
        .await
        .expect("newest");
    let newest_round = newest
        .compose
        .split("ROUND: '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a round")
        .to_owned();
    let running = sandbox.docker(
        1,
        &[
            "service",
            "inspect",
            "web_app",
            "--format",
            "{{json .Spec.TaskTemplate.ContainerSpec.Env}}",
        ],
    );
    assert_eq!(
        running.trim(),
        format!("[\"ROUND={newest_round}\"]"),
        "the swarm runs the newest version"
    );
}
