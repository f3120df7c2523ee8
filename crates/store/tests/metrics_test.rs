//! Metrics storage with a controlled clock: raw samples become minute and hour averages,
//! each resolution goes when it is older than its retention, and what 90 days of a 3-node
//! swarm with 100 tasks leave on disk is estimated and printed.

mod metrics_checks;

use flotilla_store::{Retention, Sample, Store, Subject, SubjectKind};
use metrics_checks::{sample, subject};

#[tokio::test]
async fn raw_samples_become_minute_and_hour_averages_and_expire() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_in(dir.path()).await.expect("store");
    metrics_checks::downsampling_with_a_controlled_clock(&store).await;
}

/// 90 days of a 3-node swarm running 100 tasks in 10 services, sampled every 15 s: what the
/// retention keeps is written (raw 6 h, minutes 7 days, hours 90 days) for a tenth of the
/// tasks and extrapolated, with the services and nodes in full.
#[tokio::test]
async fn ninety_days_of_a_hundred_tasks_stay_under_100_mb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_in(dir.path()).await.expect("store");
    let empty = store.sqlite_bytes().await.expect("size").expect("sqlite");
    let now = 1_800_000_000;
    let retention = Retention::default();
    let write = |names: Vec<String>, kind: SubjectKind| {
        let store = &store;
        async move {
            let subjects: Vec<Subject> = names
                .iter()
                .map(|n| Subject { kind, ..subject(n) })
                .collect();
            store
                .save_metric_subjects(&subjects, now)
                .await
                .expect("subjects");
            let mut batch = Vec::new();
            for s in &subjects {
                let id = s.id();
                let rows = [
                    (0, 15, retention.raw),
                    (60, 60, retention.minutes),
                    (3600, 3600, retention.hours),
                ];
                for (resolution, step, kept) in rows {
                    let mut at = now - kept;
                    while at < now {
                        batch.push((resolution, sample(id, at, 1234 + at % 5000)));
                        at += step;
                    }
                }
            }
            batch
        }
    };
    let tasks = write(
        (0..10).map(|i| format!("task{i}")).collect(),
        SubjectKind::Task,
    )
    .await;
    let rest = write(
        (0..10)
            .map(|i| format!("svc{i}"))
            .chain((0..3).map(|i| format!("node{i}")))
            .collect(),
        SubjectKind::Service,
    )
    .await;
    // Raw rows go in through the store's own insert; averages as downsampling writes them.
    let insert = |rows: Vec<(i64, Sample)>| {
        let store = &store;
        async move {
            for resolution in [0, 60, 3600] {
                let picked: Vec<Sample> = rows
                    .iter()
                    .filter(|(r, _)| *r == resolution)
                    .map(|(_, s)| *s)
                    .collect();
                store
                    .add_metric_samples_at(resolution, &picked)
                    .await
                    .expect("insert");
            }
        }
    };
    insert(tasks).await;
    let after_tasks = store.sqlite_bytes().await.expect("size").expect("sqlite");
    insert(rest).await;
    let after_all = store.sqlite_bytes().await.expect("size").expect("sqlite");
    let per_ten_tasks = after_tasks - empty;
    let estimate = empty + per_ten_tasks * 10 + (after_all - after_tasks);
    println!(
        "90 days, 3 nodes, 100 tasks in 10 services: about {:.1} MB ({:.1} MB per 10 tasks)",
        estimate as f64 / 1e6,
        per_ten_tasks as f64 / 1e6
    );
    assert!(estimate < 100_000_000, "{estimate} bytes");
}
