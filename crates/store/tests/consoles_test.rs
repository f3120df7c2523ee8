//! Consoles sharing a SQLite database (PostgreSQL: see store_test).

mod consoles_checks;

use flotilla_store::Store;

#[tokio::test]
async fn consoles_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = Store::open_in(dir.path()).await.expect("store");
    let second = Store::open_in(dir.path()).await.expect("store");
    consoles_checks::orphaned_actions_are_marked_interrupted(&first, &second).await;
    consoles_checks::a_cancelled_action_is_recorded_as_interrupted(&first).await;
    consoles_checks::a_cancelled_webhook_call_shows_on_its_stack(&first).await;
    consoles_checks::attempts_keep_the_newest_input(&first).await;
    consoles_checks::login_failures_are_shared(&first, &second).await;
}
