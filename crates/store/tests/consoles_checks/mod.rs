//! Consoles sharing a database, checked on either backend: `first` and `second` are two
//! stores (two consoles) on the same database.

use std::time::Duration;

use flotilla_store::{AuditFilter, AuditOutcome, NewAuditEvent, StackAttempt, Store};

fn event(action: &str, target: &str) -> NewAuditEvent {
    NewAuditEvent {
        actor: "olga".into(),
        client_addr: "127.0.0.1".into(),
        action: action.into(),
        target: target.into(),
        request: "{}".into(),
    }
}

async fn outcome(store: &Store, id: &str) -> (AuditOutcome, Option<String>) {
    let events = store
        .audit_events(&AuditFilter {
            limit: 1000,
            ..AuditFilter::default()
        })
        .await
        .expect("events");
    let event = events.into_iter().find(|e| e.id == id).expect("event");
    (event.outcome, event.error)
}

/// Rows of a console that stopped heartbeating are marked interrupted once it is stale;
/// rows of live consoles and young rows are left alone.
pub async fn orphaned_actions_are_marked_interrupted(first: &Store, second: &Store) {
    let now = flotilla_store::now_millis();
    first.console_alive().await.expect("alive");
    second.console_alive().await.expect("alive");
    let orphan = first
        .audit_begin(&event("stack.deploy", "prod/web"))
        .await
        .expect("begin");
    let ten_s = 10_000;
    second
        .mark_interrupted(false, now + ten_s)
        .await
        .expect("mark");
    assert_eq!(outcome(first, &orphan).await.0, AuditOutcome::Pending);
    assert!(second
        .interrupted_deploy("prod/web")
        .await
        .expect("query")
        .is_none());

    // `first` stops heartbeating: 30 s on, it is stale and its row can never finish.
    let mine = second
        .audit_begin(&event("stack.deploy", "prod/api"))
        .await
        .expect("begin");
    // Earlier checks on this database may have left rows of their own consoles too.
    assert!(
        second
            .mark_interrupted(false, now + 3 * ten_s)
            .await
            .expect("mark")
            >= 1
    );
    let (marked, why) = outcome(first, &orphan).await;
    assert_eq!(marked, AuditOutcome::Interrupted);
    assert!(why.unwrap_or_default().contains("console stopped"));
    assert_eq!(
        outcome(second, &mine).await.0,
        AuditOutcome::Pending,
        "its own row stays"
    );
    let interrupted = second
        .interrupted_deploy("prod/web")
        .await
        .expect("query")
        .expect("the web deploy was interrupted");
    assert_eq!(interrupted.id, orphan);

    // A later deploy that finishes is the stack's newest: nothing is interrupted any more.
    let again = first
        .audit_begin(&event("stack.deploy", "prod/web"))
        .await
        .expect("begin");
    first.audit_finish(&again, Ok(())).await.expect("finish");
    assert!(first
        .interrupted_deploy("prod/web")
        .await
        .expect("query")
        .is_none());

    // A console alone on its database (SQLite) marks every other console's rows at start.
    assert!(first.mark_interrupted(true, now).await.expect("mark") >= 1);
    assert_eq!(outcome(second, &mine).await.0, AuditOutcome::Interrupted);

    // At the end of a shutdown, a console marks what it did not finish itself.
    let unfinished = first
        .audit_begin(&event("node.drain", "node2"))
        .await
        .expect("begin");
    assert_eq!(first.mark_own_interrupted().await.expect("mark"), 1);
    assert_eq!(
        outcome(first, &unfinished).await.0,
        AuditOutcome::Interrupted
    );
    first.console_stopped().await.expect("stopped");
}

/// An action whose future is dropped (the client went away) is recorded as interrupted.
pub async fn a_cancelled_action_is_recorded_as_interrupted(store: &Store) {
    let cancelled = event("stack.deploy", "prod/cancelled");
    let audited = store.audited(&cancelled, std::future::pending::<Result<(), String>>());
    assert!(tokio::time::timeout(Duration::from_millis(200), audited)
        .await
        .is_err());
    for _ in 0..50 {
        if let Some(event) = store
            .interrupted_deploy("prod/cancelled")
            .await
            .expect("query")
        {
            assert!(event.error.unwrap_or_default().contains("cancelled"));
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the cancelled deploy is still pending");
}

/// A stack's webhook call cut short is the stack's interrupted deploy; a service hook's call
/// is audited against the service, not the stack.
pub async fn a_cancelled_webhook_call_shows_on_its_stack(store: &Store) {
    for target in ["prod/hooked", "prod/hooked/web"] {
        let call = event("webhook.call", target);
        let audited = store.audited(&call, std::future::pending::<Result<(), String>>());
        assert!(tokio::time::timeout(Duration::from_millis(100), audited)
            .await
            .is_err());
    }
    for _ in 0..50 {
        let found = store
            .interrupted_deploy("prod/hooked")
            .await
            .expect("query");
        if let Some(event) = found {
            assert_eq!(
                (event.action.as_str(), event.target.as_str()),
                ("webhook.call", "prod/hooked")
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the cancelled webhook call is still pending");
}

/// The newest attempt of a stack replaces the one before; stacks keep their own.
pub async fn attempts_keep_the_newest_input(store: &Store) {
    let attempt = |compose: &str| StackAttempt {
        compose: compose.into(),
        env: r#"{"TAG":"1"}"#.into(),
        files: "{}".into(),
        prune: true,
        resolve_image: "never".into(),
        attempted_by: "olga".into(),
        attempted_at: 0,
    };
    assert!(store
        .stack_attempt("s1", "web")
        .await
        .expect("read")
        .is_none());
    store
        .record_attempt("s1", "web", &attempt("a"))
        .await
        .expect("record");
    store
        .record_attempt("s1", "web", &attempt("b"))
        .await
        .expect("record");
    store
        .record_attempt("s1", "api", &attempt("c"))
        .await
        .expect("record");
    let newest = store
        .stack_attempt("s1", "web")
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(newest.compose, "b");
    assert_eq!(newest.env, r#"{"TAG":"1"}"#);
    assert!(newest.prune && newest.attempted_at > 0);
    assert_eq!(
        store
            .stack_attempt("s1", "api")
            .await
            .expect("read")
            .expect("kept")
            .compose,
        "c"
    );
}

#[allow(dead_code)] // PostgreSQL only: store_test
/// On PostgreSQL, a shared lock held by one console makes the other wait until it is dropped.
pub async fn shared_locks_exclude_other_consoles(first: &Store, second: &Store) {
    let held = first.shared_lock("stack:s1/web").await.expect("lock");
    let waiting = tokio::time::timeout(
        Duration::from_millis(300),
        second.shared_lock("stack:s1/web"),
    )
    .await;
    assert!(waiting.is_err(), "the second console got a held lock");
    let other = tokio::time::timeout(Duration::from_secs(5), second.shared_lock("stack:s1/api"))
        .await
        .expect("another stack's lock is free")
        .expect("lock");
    drop(other);
    drop(held);
    let taken = tokio::time::timeout(Duration::from_secs(5), second.shared_lock("stack:s1/web"))
        .await
        .expect("released when dropped")
        .expect("lock");
    drop(taken);
}

/// A failure one console notes counts for the others, not twice for itself; a right
/// password clears the pair's.
pub async fn login_failures_are_shared(first: &Store, second: &Store) {
    let keys = vec!["pair ada 10.0.0.1".to_owned(), "client 10.0.0.1".to_owned()];
    first.record_login_failure(&keys).await.expect("note");
    first.record_login_failure(&keys).await.expect("note");
    let since = flotilla_store::now_millis() - 60_000;
    assert_eq!(
        second
            .login_failures_elsewhere(&keys, since)
            .await
            .expect("count"),
        [2, 2]
    );
    assert_eq!(
        first
            .login_failures_elsewhere(&keys, since)
            .await
            .expect("count"),
        [0, 0]
    );
    let later = flotilla_store::now_millis() + 1;
    assert_eq!(
        second
            .login_failures_elsewhere(&keys, later)
            .await
            .expect("count"),
        [0, 0]
    );
    second.clear_login_failures(&keys[0]).await.expect("clear");
    assert_eq!(
        second
            .login_failures_elsewhere(&keys, since)
            .await
            .expect("count"),
        [0, 2]
    );
    first.forget_login_failures(later).await.expect("forget");
    assert_eq!(
        second
            .login_failures_elsewhere(&keys, since)
            .await
            .expect("count"),
        [0, 0]
    );
}
