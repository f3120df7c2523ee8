//! `flotilla user …` as an administrator types it, against a fresh SQLite data directory.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use flotilla_store::{Role, Store};

fn flotilla(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flotilla"))
        .args(args)
        .env("FLOTILLA_DATA_DIR", data_dir)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start flotilla");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("flotilla ran")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn users_and_tokens_are_managed_from_the_shell() {
    let data_dir = std::env::temp_dir().join(format!("flotilla-user-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);

    let added = flotilla(
        &data_dir,
        &["user", "add", "alice", "--role", "admin"],
        "first secret\n",
    );
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        data_dir.join("flotilla.db").exists(),
        "the database is created on first use"
    );

    let again = flotilla(
        &data_dir,
        &["user", "add", "alice", "--role", "viewer"],
        "other secret\n",
    );
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("a user named `alice` already exists"),
        "{}",
        stderr(&again)
    );

    let short = flotilla(
        &data_dir,
        &["user", "add", "bob", "--role", "viewer"],
        "short\n",
    );
    assert!(
        stderr(&short).contains("password: at least 8 characters"),
        "{}",
        stderr(&short)
    );
    let bad_role = flotilla(
        &data_dir,
        &["user", "add", "bob", "--role", "root"],
        "long enough\n",
    );
    assert!(
        stderr(&bad_role).contains("--role: `root` is not a role"),
        "{}",
        stderr(&bad_role)
    );
    let bad_name = flotilla(
        &data_dir,
        &["user", "add", "bob smith", "--role", "viewer"],
        "long enough\n",
    );
    assert!(
        stderr(&bad_name).contains("user name `bob smith`"),
        "{}",
        stderr(&bad_name)
    );

    let reset = flotilla(
        &data_dir,
        &["user", "reset-password", "alice"],
        "second secret\n",
    );
    assert!(reset.status.success(), "{}", stderr(&reset));
    let unknown = flotilla(
        &data_dir,
        &["user", "reset-password", "carol"],
        "second secret\n",
    );
    assert!(
        stderr(&unknown).contains("no user named `carol`"),
        "{}",
        stderr(&unknown)
    );

    let store = Store::open_in(&data_dir)
        .await
        .expect("open the same database");
    assert_eq!(
        store.count_users().await.expect("count"),
        1,
        "refused commands added nobody"
    );
    assert!(store
        .verify_password("alice", "first secret")
        .await
        .expect("verify")
        .is_none());
    let alice = store
        .verify_password("alice", "second secret")
        .await
        .expect("verify");
    assert_eq!(alice.map(|user| user.role), Some(Role::Admin));

    let created = flotilla(
        &data_dir,
        &["token", "create", "deploy-bot", "--role", "operator"],
        "",
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let token = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    let found = store
        .find_token(&token)
        .await
        .expect("find")
        .expect("the printed token works");
    assert_eq!(found.role, Role::Operator);
    let revoked = flotilla(&data_dir, &["token", "revoke", "deploy-bot"], "");
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    assert_eq!(store.find_token(&token).await.expect("find"), None);
    let missing = flotilla(&data_dir, &["token", "revoke", "deploy-bot"], "");
    assert!(
        stderr(&missing).contains("no live token named `deploy-bot`"),
        "{}",
        stderr(&missing)
    );

    // Every command that changed something, and every refused one that reached the store,
    // is in the audit log; no password is.
    let events = store
        .audit_events(&flotilla_store::AuditFilter::default())
        .await
        .expect("audit");
    let mut actions: Vec<(String, String)> = events
        .iter()
        .map(|e| (e.action.clone(), format!("{:?}", e.outcome)))
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        [
            ("token.create", "Ok"),
            ("token.revoke", "Error"),
            ("token.revoke", "Ok"),
            ("user.add", "Error"),
            ("user.add", "Ok"),
            ("user.reset-password", "Error"),
            ("user.reset-password", "Ok"),
        ]
        .map(|(a, o)| (a.to_owned(), o.to_owned()))
    );
    assert!(events
        .iter()
        .all(|e| !e.request.contains("secret") && e.actor.starts_with("cli:")));
    drop(store);
    let _ = std::fs::remove_dir_all(&data_dir);
}
