//! The same checks on both backends: SQLite in a temporary directory, and a real PostgreSQL
//! server this harness starts (Debian's `postgresql`) on loopback and stops afterwards.

mod consoles_checks;
mod metrics_checks;
mod postgres;

use flotilla_store::{AuditFilter, AuditOutcome, Backend, NewAuditEvent, Role, Store, StoreError};
use postgres::Postgres;

async fn accounts_and_audit_survive_a_reopen(url: &str, backend: Backend) {
    let store = Store::open(url).await.expect("open");
    assert_eq!(store.backend(), backend);
    assert_eq!(store.count_users().await.expect("count"), 0);

    let admin = store
        .add_user("alice", "correct horse", Role::Admin)
        .await
        .expect("add");
    assert!(matches!(
        store.add_user("alice", "other", Role::Viewer).await,
        Err(StoreError::UserExists(name)) if name == "alice"
    ));
    assert_eq!(
        store
            .verify_password("alice", "correct horse")
            .await
            .expect("verify"),
        Some(admin.clone())
    );
    assert_eq!(
        store
            .verify_password("alice", "wrong")
            .await
            .expect("verify"),
        None
    );
    assert_eq!(
        store
            .verify_password("nobody", "correct horse")
            .await
            .expect("verify"),
        None
    );

    let id = store
        .audit_begin(&NewAuditEvent {
            actor: "alice".into(),
            client_addr: "127.0.0.1".into(),
            action: "swarm.init".into(),
            target: "unix:///run/x.sock".into(),
            request: r#"{"advertise_addr":"10.0.0.1"}"#.into(),
        })
        .await
        .expect("audit begin");
    assert_eq!(
        store
            .audit_events(&AuditFilter::default())
            .await
            .expect("events")[0]
            .outcome,
        AuditOutcome::Pending
    );
    store
        .audit_finish(&id, Err("engine said no".into()))
        .await
        .expect("audit finish");
    drop(store);

    // Everything is still there after the console restarts, migrations run again harmlessly.
    let store = Store::open(url).await.expect("reopen");
    assert_eq!(store.count_users().await.expect("count"), 1);
    store
        .set_password("alice", "new secret")
        .await
        .expect("reset");
    assert!(store
        .verify_password("alice", "new secret")
        .await
        .expect("verify")
        .is_some());
    assert!(matches!(
        store.set_password("bob", "x").await,
        Err(StoreError::NoSuchUser(_))
    ));
    let events = store
        .audit_events(&AuditFilter::default())
        .await
        .expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].id, id);
    assert_eq!(events[0].outcome, AuditOutcome::Error);
    assert_eq!(events[0].error.as_deref(), Some("engine said no"));
    assert!(events[0].finished_at.is_some());
    let by = |actor: &str, outcome| AuditFilter {
        actor: Some(actor.into()),
        outcome,
        ..AuditFilter::default()
    };
    assert_eq!(
        store
            .audit_events(&by("alice", Some(AuditOutcome::Error)))
            .await
            .expect("filter")
            .len(),
        1
    );
    assert!(store
        .audit_events(&by("alice", Some(AuditOutcome::Ok)))
        .await
        .expect("filter")
        .is_empty());
    assert!(store
        .audit_events(&by("bob", None))
        .await
        .expect("filter")
        .is_empty());

    let token = store
        .create_token("ci", Role::Operator)
        .await
        .expect("token");
    assert!(token.starts_with("flt_") && token.len() > 60, "{token}");
    assert!(matches!(
        store.create_token("ci", Role::Viewer).await,
        Err(StoreError::TokenExists(_))
    ));
    let found = store
        .find_token(&token)
        .await
        .expect("find")
        .expect("live token");
    assert_eq!((found.name.as_str(), found.role), ("ci", Role::Operator));
    assert_eq!(
        store.find_token("flt_not-a-token").await.expect("find"),
        None
    );
    store.revoke_token("ci").await.expect("revoke");
    assert_eq!(
        store.find_token(&token).await.expect("find"),
        None,
        "a revoked token is dead"
    );
    assert!(matches!(
        store.revoke_token("ci").await,
        Err(StoreError::NoSuchToken(_))
    ));
    let replacement = store
        .create_token("ci", Role::Viewer)
        .await
        .expect("name free again");
    assert_ne!(replacement, token);
    // The metrics scope is for tokens only.
    let scrape = store
        .create_token("prometheus", Role::Metrics)
        .await
        .expect("metrics token");
    let found = store
        .find_token(&scrape)
        .await
        .expect("find")
        .expect("live");
    assert_eq!(found.role, Role::Metrics);
    assert!(store
        .add_user("prom", "a long password", Role::Metrics)
        .await
        .is_err());
    hosts_and_swarms(&store).await;
    stack_versions(&store).await;
    users_and_tokens_from_the_console(&store).await;
}

/// Roles, disabling and expiring tokens: the last enabled admin stays, whatever two admins
/// do at once; a disabled user cannot log in; an expired or revoked token is not found; the
/// token list shows what a page needs and never a token's text or hash.
async fn users_and_tokens_from_the_console(store: &Store) {
    // alice (from above) is the only admin so far.
    assert!(matches!(
        store.set_role("alice", Role::Operator).await,
        Err(StoreError::LastAdmin(name)) if name == "alice"
    ));
    assert!(matches!(
        store.set_disabled("alice", true).await,
        Err(StoreError::LastAdmin(_))
    ));
    assert!(matches!(
        store.set_role("nobody", Role::Viewer).await,
        Err(StoreError::NoSuchUser(_))
    ));
    assert!(matches!(
        store.set_disabled("nobody", true).await,
        Err(StoreError::NoSuchUser(_))
    ));
    assert!(store.set_role("alice", Role::Metrics).await.is_err());

    store
        .add_user("olga", "olga password", Role::Operator)
        .await
        .expect("add olga");
    store.set_role("olga", Role::Admin).await.expect("promote");
    // Two admins demoting each other at once: one of them stays an admin.
    let (a, b) = tokio::join!(
        store.set_role("alice", Role::Viewer),
        store.set_role("olga", Role::Viewer)
    );
    assert!(a.is_ok() != b.is_ok(), "exactly one demotion: {a:?} {b:?}");
    let admins = |users: Vec<flotilla_store::User>| {
        users
            .into_iter()
            .filter(|u| u.role == Role::Admin && !u.is_disabled())
            .map(|u| u.name)
            .collect::<Vec<_>>()
    };
    let left = admins(store.list_users().await.expect("users"));
    assert_eq!(left.len(), 1, "{left:?}");
    let other = if left[0] == "alice" { "olga" } else { "alice" };
    store.set_role(other, Role::Admin).await.expect("again");
    // The same with disabling.
    let epochs: Vec<(String, i64)> = store
        .list_users()
        .await
        .expect("users")
        .into_iter()
        .map(|u| (u.name, u.session_epoch))
        .collect();
    let (a, b) = tokio::join!(
        store.set_disabled("alice", true),
        store.set_disabled("olga", true)
    );
    assert!(a.is_ok() != b.is_ok(), "exactly one disabled: {a:?} {b:?}");
    let left = admins(store.list_users().await.expect("users"));
    assert_eq!(left.len(), 1, "{left:?}");
    let disabled = if left[0] == "alice" { "olga" } else { "alice" };
    let password = if disabled == "alice" {
        "new secret"
    } else {
        "olga password"
    };
    let before = store
        .find_user(disabled)
        .await
        .expect("find")
        .expect("kept");
    assert!(before.is_disabled());
    let epoch = epochs
        .iter()
        .find(|(n, _)| n == disabled)
        .expect("listed")
        .1;
    assert_eq!(
        before.session_epoch,
        epoch + 1,
        "disabling ends the sessions"
    );
    assert_eq!(
        store
            .verify_password(disabled, password)
            .await
            .expect("verify"),
        None,
        "a disabled user cannot log in"
    );
    // Disabling again changes nothing; a disabled admin does not count as the last one.
    store
        .set_disabled(disabled, true)
        .await
        .expect("idempotent");
    assert!(matches!(
        store.set_disabled(&left[0], true).await,
        Err(StoreError::LastAdmin(_))
    ));
    store
        .set_role(disabled, Role::Viewer)
        .await
        .expect("demote a disabled admin");
    store.set_disabled(disabled, false).await.expect("enable");
    let after = store
        .verify_password(disabled, password)
        .await
        .expect("verify");
    let after = after.expect("enabled users log in again");
    assert_eq!(after.role, Role::Viewer);
    assert_eq!(
        after.session_epoch, before.session_epoch,
        "enabling starts none"
    );
    assert!(matches!(
        store.set_disabled("nobody", false).await,
        Err(StoreError::NoSuchUser(_))
    ));
    let listed = store.list_users().await.expect("users");
    let names: Vec<&str> = listed.iter().map(|u| u.name.as_str()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");

    // Tokens that expire, are revoked, and are listed without their secret.
    let now = flotilla_store::now_millis();
    let expired = store
        .create_expiring_token("old", Role::Viewer, Some(now - 1))
        .await
        .expect("expired token");
    assert_eq!(
        store.find_token(&expired).await.expect("find"),
        None,
        "an expired token is dead"
    );
    let day = 86_400_000;
    let live = store
        .create_expiring_token("deploy", Role::Operator, Some(now + day))
        .await
        .expect("expiring token");
    let found = store.find_token(&live).await.expect("find").expect("live");
    assert_eq!(
        (found.role, found.expires_at),
        (Role::Operator, Some(now + day))
    );
    let revoked = store
        .create_token("gone", Role::Admin)
        .await
        .expect("token");
    store.revoke_token("gone").await.expect("revoke");
    assert_eq!(store.find_token(&revoked).await.expect("find"), None);
    let tokens = store.list_tokens().await.expect("tokens");
    let deploy = tokens.iter().find(|t| t.name == "deploy").expect("listed");
    assert_eq!(deploy.role, Role::Operator);
    assert_eq!(deploy.expires_at, Some(now + day));
    assert!((now - 60_000..=now + 60_000).contains(&deploy.created_at));
    assert!(!deploy.is_expired(now));
    let old = tokens
        .iter()
        .find(|t| t.name == "old")
        .expect("expired, listed");
    assert!(old.is_expired(now));
    assert!(
        tokens.iter().all(|t| !t.name.starts_with("gone")),
        "revoked tokens are not listed"
    );
    let shown = format!("{tokens:?}");
    for secret in [&expired, &live, &revoked] {
        use sha2::Digest;
        let hash: String = sha2::Sha256::digest(secret.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(
            !shown.contains(secret.as_str()) && !shown.contains(&hash),
            "{shown}"
        );
    }
    store
        .revoke_token("old")
        .await
        .expect("an expired token can be revoked");
}

/// Each deploy is the stack's next version, kept whole and found again by number.
async fn stack_versions(store: &Store) {
    let deploy = |compose: &'static str| flotilla_store::NewStackVersion {
        swarm_id: "cluster9",
        stack: "shop",
        compose,
        env: r#"{"TAG":"1"}"#,
        files: "{}",
        prune: compose.contains("v2"),
        resolve_image: "never",
        deployed_by: "alice",
        note: "",
    };
    let first = store
        .add_stack_version(&deploy("services: {} # v1"))
        .await
        .expect("v1");
    let second = store
        .add_stack_version(&deploy("services: {} # v2"))
        .await
        .expect("v2");
    assert_eq!((first.version, second.version), (1, 2));
    let listed = store
        .stack_versions("cluster9", "shop")
        .await
        .expect("list");
    assert_eq!(listed, vec![second.clone(), first.clone()]);
    assert_eq!(
        store
            .stack_version("cluster9", "shop", 1)
            .await
            .expect("v1"),
        first
    );
    assert!(store.stack_version("cluster9", "shop", 3).await.is_err());
    assert!(store
        .stack_versions("cluster9", "other")
        .await
        .expect("none")
        .is_empty());
    assert!(second.prune && !first.prune);
}

/// Hosts keep their TLS material and membership; swarms are found by name or ID.
async fn hosts_and_swarms(store: &Store) {
    use flotilla_store::{NewHost, TlsMaterial};
    let tls = TlsMaterial {
        ca: "ca".into(),
        cert: "cert".into(),
        key: "key".into(),
    };
    let host = store
        .add_host(&NewHost {
            name: "node1".into(),
            url: "tcp://10.0.0.1:2376".into(),
            tls: Some(tls.clone()),
        })
        .await
        .expect("add host");
    assert!(matches!(
        store
            .add_host(&NewHost {
                name: "other".into(),
                url: "tcp://10.0.0.1:2376".into(),
                tls: None,
            })
            .await,
        Err(StoreError::HostExists(_))
    ));
    assert!(matches!(
        store
            .add_host(&NewHost {
                name: "bad name".into(),
                url: "unix:///x.sock".into(),
                tls: None,
            })
            .await,
        Err(StoreError::Invalid(_))
    ));
    let swarm = store.add_swarm("cluster1", "prod").await.expect("swarm");
    assert_eq!(
        store.add_swarm("cluster1", "prod").await.expect("again"),
        swarm
    );
    assert!(matches!(
        store.add_swarm("cluster2", "prod").await,
        Err(StoreError::SwarmExists(_))
    ));
    store
        .set_host_membership(&host.id, Some("cluster1"), Some("node-a"))
        .await
        .expect("membership");
    let found = store.find_host("node1").await.expect("find host");
    assert_eq!(found.tls, Some(tls));
    assert_eq!(found.node_id.as_deref(), Some("node-a"));
    assert_eq!(store.swarm_hosts("cluster1").await.expect("hosts").len(), 1);
    assert_eq!(
        store.find_swarm("cluster1").await.expect("by id").name,
        "prod"
    );
    store.remove_swarm("cluster1").await.expect("remove swarm");
    assert!(store
        .find_host("node1")
        .await
        .expect("kept")
        .swarm_id
        .is_none());
    assert!(matches!(
        store.find_swarm("prod").await,
        Err(StoreError::NoSuchSwarm(_))
    ));
    store.remove_host("node1").await.expect("remove host");
    assert!(store.hosts().await.expect("hosts").is_empty());
}

#[tokio::test]
async fn sqlite_keeps_accounts_and_audit() {
    let dir = std::env::temp_dir().join(format!("flotilla-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}", dir.join("flotilla.db").display());
    accounts_and_audit_survive_a_reopen(&url, Backend::Sqlite).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres_keeps_accounts_and_audit() {
    let postgres = Postgres::start();
    accounts_and_audit_survive_a_reopen(&postgres.url, Backend::Postgres).await;
    let store = Store::open(&postgres.url).await.expect("reopen");
    metrics_checks::downsampling_with_a_controlled_clock(&store).await;
    let second = Store::open(&postgres.url).await.expect("a second console");
    consoles_checks::orphaned_actions_are_marked_interrupted(&store, &second).await;
    consoles_checks::a_cancelled_action_is_recorded_as_interrupted(&store).await;
    consoles_checks::a_cancelled_webhook_call_shows_on_its_stack(&store).await;
    consoles_checks::attempts_keep_the_newest_input(&store).await;
    consoles_checks::shared_locks_exclude_other_consoles(&store, &second).await;
    consoles_checks::login_failures_are_shared(&store, &second).await;
}

#[tokio::test]
async fn an_unknown_database_url_is_refused() {
    assert!(matches!(
        Store::open("mysql://x").await,
        Err(StoreError::BadUrl(_))
    ));
    assert_eq!("operator".parse::<Role>().ok(), Some(Role::Operator));
    assert!(matches!(
        "root".parse::<Role>(),
        Err(StoreError::BadRole(_))
    ));
    assert!(Role::Admin.allows(Role::Operator) && !Role::Viewer.allows(Role::Operator));
}

/// TLS keys and stack variables and files are sealed in the database once the store has a
/// key; values written before are sealed at the next start; without the key nothing opens.
#[tokio::test]
async fn secrets_are_sealed_at_rest() {
    use flotilla_store::{NewHost, NewStackVersion, SecretKey, TlsMaterial};
    let dir = std::env::temp_dir().join(format!("flotilla-sealed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}", dir.join("flotilla.db").display());
    let raw = |sql: &str| {
        let out = std::process::Command::new("sqlite3")
            .arg(dir.join("flotilla.db"))
            .arg(sql)
            .output()
            .expect("sqlite3 (make test installs it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let tls = TlsMaterial {
        ca: "ca".into(),
        cert: "cert".into(),
        key: "-----BEGIN PRIVATE KEY----- old".into(),
    };
    let version = |env: &'static str| NewStackVersion {
        swarm_id: "c1",
        stack: "vault",
        compose: "services: {}",
        env,
        files: r#"{"./token.txt":"c2VjcmV0"}"#,
        prune: false,
        resolve_image: "always",
        deployed_by: "alice",
        note: "",
    };
    // Written before sealing existed.
    let plain = Store::open(&url).await.expect("open");
    plain
        .add_host(&NewHost {
            name: "old".into(),
            url: "tcp://10.0.0.1:2376".into(),
            tls: Some(tls.clone()),
        })
        .await
        .expect("host");
    plain
        .add_stack_version(&version(r#"{"TOKEN":"hunter2-old"}"#))
        .await
        .expect("v1");
    assert!(raw("SELECT tls_key FROM hosts").contains("PRIVATE KEY"));

    let key = SecretKey::generate();
    let sealed = Store::open(&url).await.expect("reopen").sealed_with(&key);
    assert_eq!(sealed.seal_plaintext().await.expect("seal"), 2);
    assert_eq!(sealed.seal_plaintext().await.expect("again"), 0);
    sealed
        .add_stack_version(&version(r#"{"TOKEN":"hunter2-new"}"#))
        .await
        .expect("v2");
    let stored = raw("SELECT tls_key, env, files FROM hosts, stack_versions");
    for secret in ["PRIVATE KEY", "hunter2", "c2VjcmV0"] {
        assert!(
            !stored.contains(secret),
            "{secret} in the database: {stored}"
        );
    }
    assert_eq!(sealed.find_host("old").await.expect("host").tls, Some(tls));
    let versions = sealed
        .stack_versions("c1", "vault")
        .await
        .expect("versions");
    assert_eq!(versions[0].env, r#"{"TOKEN":"hunter2-new"}"#);
    assert_eq!(versions[1].env, r#"{"TOKEN":"hunter2-old"}"#);

    let keyless = Store::open(&url).await.expect("reopen");
    assert!(matches!(
        keyless.find_host("old").await,
        Err(StoreError::Sealing(_))
    ));
    let wrong = Store::open(&url)
        .await
        .expect("reopen")
        .sealed_with(&SecretKey::generate());
    assert!(wrong.stack_versions("c1", "vault").await.is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
