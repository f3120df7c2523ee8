//! Metrics storage checks that run on both databases (SQLite in `metrics_test.rs`,
//! PostgreSQL in `store_test.rs`).

use flotilla_store::{Retention, Sample, Store, Subject, SubjectKind};

pub fn subject(name: &str) -> Subject {
    Subject {
        swarm_id: "swarm1".into(),
        kind: SubjectKind::Task,
        name: name.into(),
        service: "shop_web".into(),
        node: "node1".into(),
        memory_limit: 1 << 30,
    }
}

pub fn sample(subject: i64, at: i64, cpu: i64) -> Sample {
    Sample {
        subject,
        at,
        cpu: Some(cpu),
        memory: 1000 + cpu,
        net_rx: Some(10),
        net_tx: Some(20),
        block_read: Some(0),
        block_write: Some(0),
    }
}

/// Two hours of samples become minute and hour averages once, and each resolution goes
/// when older than its retention.
pub async fn downsampling_with_a_controlled_clock(store: &Store) {
    let task = subject("t1");
    let id = task.id();
    store
        .save_metric_subjects(&[task], 0)
        .await
        .expect("subjects");
    // Two hours of samples every 15 s: CPU 100 % (10000) in the first minute, then 50 %.
    let start = 1_800_000_000 / 3600 * 3600;
    let samples: Vec<Sample> = (0..480)
        .map(|i| sample(id, start + i * 15, if i < 4 { 10_000 } else { 5_000 }))
        .collect();
    store.add_metric_samples(&samples).await.expect("samples");
    let retention = Retention::default();
    let now = start + 2 * 3600;
    store
        .downsample_metrics(now, &retention)
        .await
        .expect("downsample");

    let minutes = store
        .metric_samples(&[id], 60, (start, now))
        .await
        .expect("minutes");
    assert_eq!(minutes.len(), 120, "every whole minute");
    assert_eq!(minutes[0].cpu, Some(10_000));
    assert_eq!(minutes[1].cpu, Some(5_000));
    let hours = store
        .metric_samples(&[id], 3600, (start, now))
        .await
        .expect("hours");
    assert_eq!(hours.len(), 2);
    // (10000 + 59 × 5000) / 60, truncated as the databases cast it.
    assert_eq!(hours[0].cpu, Some((10_000 + 59 * 5_000) / 60));

    // Downsampling again adds nothing twice.
    store
        .downsample_metrics(now, &retention)
        .await
        .expect("again");
    assert_eq!(
        store
            .metric_samples(&[id], 60, (start, now))
            .await
            .expect("minutes")
            .len(),
        120
    );

    // Seven hours on, the raw samples are gone and the averages stay; 91 days on, all is.
    let later = now + 7 * 3600;
    store
        .downsample_metrics(later, &retention)
        .await
        .expect("later");
    assert!(store
        .metric_samples(&[id], 0, (start, later))
        .await
        .expect("raw")
        .is_empty());
    assert_eq!(
        store
            .metric_samples(&[id], 60, (start, later))
            .await
            .expect("m")
            .len(),
        120
    );
    let much_later = now + 91 * 86_400;
    store
        .downsample_metrics(much_later, &retention)
        .await
        .expect("much later");
    for resolution in [0, 60, 3600] {
        assert!(store
            .metric_samples(&[id], resolution, (start, much_later))
            .await
            .expect("samples")
            .is_empty());
    }
}
