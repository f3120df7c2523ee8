//! Who a hook acts for: a hook stops answering once its creator may no longer deploy.
//! Needs only the store, no engine.

use std::sync::Arc;

use flotilla_fleet::Fleet;
use flotilla_store::{Role, Store};

async fn store_with_swarm(dir: &tempfile::TempDir) -> Arc<Store> {
    let store = Arc::new(Store::open_in(dir.path()).await.expect("store"));
    store.add_swarm("swarm-id", "prod").await.expect("swarm");
    store
}

#[tokio::test]
async fn a_hook_answers_only_while_its_creator_may_deploy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_with_swarm(&dir).await;
    let fleet = Fleet::new(store.clone());
    store
        .add_user("olga", "a long enough password", Role::Operator)
        .await
        .expect("user");
    let (_, token) = store
        .create_webhook("swarm-id", ("web", ""), "olga")
        .await
        .expect("hook");

    assert!(
        fleet.webhook_for(&token).await.is_ok(),
        "an operator's hook answers"
    );
    store.set_disabled("olga", true).await.expect("disable");
    assert!(
        fleet.webhook_for(&token).await.is_err(),
        "a disabled user's hook is unknown"
    );
    store.set_disabled("olga", false).await.expect("enable");
    assert!(
        fleet.webhook_for(&token).await.is_ok(),
        "enabled again, it answers"
    );
    store.set_role("olga", Role::Viewer).await.expect("demote");
    assert!(
        fleet.webhook_for(&token).await.is_err(),
        "a viewer's hook is unknown"
    );
}

#[tokio::test]
async fn a_hook_made_with_a_token_dies_with_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_with_swarm(&dir).await;
    let fleet = Fleet::new(store.clone());
    store
        .create_token("ci", Role::Operator)
        .await
        .expect("token");
    let (_, hook) = store
        .create_webhook("swarm-id", ("web", "api"), "token:ci")
        .await
        .expect("hook");

    assert!(fleet.webhook_for(&hook).await.is_ok());
    store.revoke_token("ci").await.expect("revoke");
    assert!(
        fleet.webhook_for(&hook).await.is_err(),
        "the token is gone, so is the hook"
    );
    assert!(fleet.webhook_for("flthook_unknown").await.is_err());
}
