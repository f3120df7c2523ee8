//! What the console costs an engine: the fleet keeps one client per host and remembers each
//! swarm's manager, so a swarm page view is the three reads it shows (nodes, services,
//! tasks) — no new connection, no `/version`, no `/info`. Counted on a proxy in front of the
//! manager's socket.

#[path = "../../engine/tests/support/mod.rs"]
#[allow(dead_code)] // shared with suites that use all of it
mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use flotilla_fleet::{Fleet, NewHostRequest};
use flotilla_store::Store;
use support::Sandbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

/// A unix socket that forwards to an engine's socket and notes each request line it passes.
struct CountingProxy {
    path: PathBuf,
    requests: Arc<Mutex<Vec<String>>>,
    connections: Arc<AtomicUsize>,
}

impl CountingProxy {
    fn start(upstream: &Path, path: PathBuf) -> Self {
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("proxy socket");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (seen, opened, upstream) = (requests.clone(), connections.clone(), upstream.to_owned());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                opened.fetch_add(1, Ordering::SeqCst);
                let Ok(engine) = UnixStream::connect(&upstream).await else {
                    continue;
                };
                tokio::spawn(forward(client, engine, seen.clone()));
            }
        });
        Self {
            path,
            requests,
            connections,
        }
    }

    fn url(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// The request lines seen since the last call.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.requests.lock().expect("requests"))
    }
}

/// Copies both ways; request lines (`GET /v1.41/nodes HTTP/1.1`) going to the engine are
/// noted. The console only sends small bodies here, so a line never spans two reads.
async fn forward(client: UnixStream, engine: UnixStream, seen: Arc<Mutex<Vec<String>>>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut engine_read, mut engine_write) = engine.into_split();
    let upstream = async move {
        let mut buffer = vec![0u8; 64 * 1024];
        while let Ok(n) = client_read.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&buffer[..n]);
            for line in text.split("\r\n").filter(|l| l.ends_with(" HTTP/1.1")) {
                seen.lock().expect("requests").push(line.to_owned());
            }
            if engine_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
    };
    let downstream = async move {
        let _ = tokio::io::copy(&mut engine_read, &mut client_write).await;
    };
    tokio::join!(upstream, downstream);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_swarm_view_costs_the_engine_only_the_reads_it_shows() {
    let sandbox = Sandbox::up("fltreq", "10.221.0", 1);
    sandbox.form_swarm();
    let work = tempfile::tempdir().expect("tempdir");
    let socket = sandbox.endpoint(1).to_string();
    let proxy = CountingProxy::start(
        Path::new(socket.trim_start_matches("unix://")),
        work.path().join("engine.sock"),
    );
    let fleet = Fleet::new(Arc::new(Store::open_in(work.path()).await.expect("store")));
    fleet
        .register_host(&NewHostRequest {
            name: "node1".into(),
            url: proxy.url(),
            tls: None,
            save_anyway: false,
        })
        .await
        .expect("register");
    fleet
        .adopt_swarm("prod", &proxy.url(), None)
        .await
        .expect("adopt");
    fleet.swarm_state("prod").await.expect("first view");
    let connections = proxy.connections.load(Ordering::SeqCst);
    proxy.take();

    const VIEWS: usize = 100;
    for _ in 0..VIEWS {
        let state = fleet.swarm_state("prod").await.expect("view");
        assert_eq!(state.nodes.len(), 1);
    }
    let requests = proxy.take();
    let per_view = requests.len() as f64 / VIEWS as f64;
    println!(
        "{VIEWS} swarm views: {} engine requests ({per_view:.2} per view), {} new connections",
        requests.len(),
        proxy.connections.load(Ordering::SeqCst) - connections
    );
    assert!(
        requests
            .iter()
            .all(|r| !r.contains("/info") && !r.contains("/version")),
        "no engine info or version negotiation per view: {requests:?}"
    );
    // Nodes, services and tasks for each view, plus at most one swarm inspect for each time
    // the remembered manager is proven again (every 10 s).
    assert!(
        requests.len() <= VIEWS * 3 + 3,
        "{} requests for {VIEWS} views: {requests:?}",
        requests.len()
    );
    assert!(
        proxy.connections.load(Ordering::SeqCst) - connections <= 3,
        "connections are kept and reused"
    );
}

/// Engine requests seen while `during` runs and the live state then settles.
async fn requests_while(
    proxy: &CountingProxy,
    during: impl std::future::Future<Output = ()>,
) -> usize {
    proxy.take();
    during.await;
    proxy.take().len()
}

/// A one-node sandbox swarm adopted as `prod` by a new fleet that reaches it only through a
/// counting proxy (kept, with the fleet's data, in the returned temporary directory).
async fn adopted_through_proxy(
    name: &str,
    subnet: &str,
) -> (Sandbox, tempfile::TempDir, CountingProxy, Fleet) {
    let sandbox = Sandbox::up(name, subnet, 1);
    sandbox.form_swarm();
    let work = tempfile::tempdir().expect("tempdir");
    let socket = sandbox.endpoint(1).to_string();
    let proxy = CountingProxy::start(
        Path::new(socket.trim_start_matches("unix://")),
        work.path().join("engine.sock"),
    );
    let fleet = Fleet::new(Arc::new(Store::open_in(work.path()).await.expect("store")));
    fleet
        .adopt_swarm("prod", &proxy.url(), None)
        .await
        .expect("adopt");
    (sandbox, work, proxy, fleet)
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_viewers_cost_the_engine_what_one_does() {
    let (sandbox, _work, proxy, fleet) = adopted_through_proxy("fltlive", "10.229.0").await;
    sandbox.docker(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--name",
            "web",
            "--replicas",
            "1",
            "local/busybox:1",
            "sleep",
            "3600",
        ],
    );
    let first = fleet.watch_swarm("prod").await.expect("watch");
    assert_eq!(first.snapshot().nodes.len(), 1);
    assert!(first.snapshot().stale.is_none());

    // A scale by the CLI reaches the watcher as a change, with the tasks that came of it.
    let scale_to = |replicas: usize| {
        let (sandbox, watch) = (&sandbox, &first);
        async move {
            let (_, mut changes) = watch.subscribe();
            sandbox.docker(
                1,
                &["service", "scale", "--detach", &format!("web={replicas}")],
            );
            let started = std::time::Instant::now();
            let seen = tokio::time::timeout(std::time::Duration::from_secs(10), async {
                loop {
                    let _ = changes.recv().await;
                    let running = watch
                        .snapshot()
                        .tasks
                        .values()
                        .filter(|t| t.state == "running")
                        .count();
                    if running == replicas {
                        return started.elapsed();
                    }
                }
            })
            .await
            .expect("the scale reached the live state");
            println!("web={replicas}: every task running in the live state after {seen:?}");
            // Let the follow-up reads of the settling tasks end.
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    };
    let one = requests_while(&proxy, scale_to(3)).await;
    let many: Vec<_> = futures::future::join_all((0..50).map(|_| fleet.watch_swarm("prod")))
        .await
        .into_iter()
        .map(|w| w.expect("watch"))
        .collect();
    let fifty = requests_while(&proxy, scale_to(1)).await;
    println!("engine requests for one scale: {one} with 1 viewer, {fifty} with 51 viewers");
    assert_eq!(fleet.followed_swarms(), 1, "one live state for the swarm");
    // The reads follow the swarm's changes, not the viewers: a scale costs the same with one
    // viewer as with fifty (up to a reconcile or a settling read falling in one window).
    assert!(
        fifty <= one + 4,
        "{fifty} requests with 51 viewers, {one} with 1"
    );
    drop(many);
}

#[tokio::test(flavor = "multi_thread")]
async fn stack_pages_read_the_live_state_with_the_reasons_tasks_fail() {
    let (_sandbox, _work, proxy, fleet) = adopted_through_proxy("fltprog", "10.231.0").await;
    let _watch = fleet.watch_swarm("prod").await.expect("watch");
    // Nothing answers on port 9 of the sandbox's loopback, so that pull fails at once.
    let input = flotilla_fleet::StackInput {
        compose: "services:\n  web:\n    image: local/busybox:1\n    command: [sleep, \"3600\"]\n    deploy:\n      replicas: 2\n  broken:\n    image: 127.0.0.1:9/missing:1\n".into(),
        ..Default::default()
    };
    fleet
        .deploy_stack(
            "prod",
            "shop",
            &input,
            ("alice", flotilla_store::Role::Admin),
        )
        .await
        .expect("deploy");

    let progress = support::eventually(
        "web running and broken's failure known",
        std::time::Duration::from_secs(30),
        || async {
            let progress = fleet.stack_progress("prod", "shop").await.ok()?;
            let web = progress.iter().find(|p| p.service == "shop_web")?;
            let broken = progress.iter().find(|p| p.service == "shop_broken")?;
            (web.converged() && !broken.errors.is_empty()).then_some(progress)
        },
    )
    .await;
    println!("{progress:#?}");
    let broken = &progress[0];
    assert_eq!((broken.running, broken.desired), (0, 1));
    assert!(
        broken
            .errors
            .iter()
            .any(|e| e.contains("127.0.0.1:9/missing")),
        "the error names the image: {:?}",
        broken.errors
    );
    assert_eq!(
        fleet
            .stack_networks("prod", "shop")
            .await
            .expect("networks")[0]
            .name,
        "shop_default"
    );

    // Any number of stack pages cost the engine nothing more once the state is read.
    const VIEWS: usize = 100;
    proxy.take();
    for _ in 0..VIEWS {
        fleet
            .stack_progress("prod", "shop")
            .await
            .expect("progress");
        fleet
            .stack_networks("prod", "shop")
            .await
            .expect("networks");
        fleet.stacks("prod").await.expect("stacks");
    }
    let requests = proxy.take();
    println!(
        "{VIEWS} stack views: {} engine requests while a task keeps failing: {requests:?}",
        requests.len()
    );
    // The failing service keeps the follower reading its tasks; the views add nothing.
    assert!(
        requests.len() < VIEWS,
        "{} requests for {VIEWS} views",
        requests.len()
    );

    // A rolling update to an image whose registry takes its time to fail (it accepts the
    // connection and never answers, as an unreachable public registry does here): the
    // failure still shows, however long after the last event it comes.
    let silent = std::net::TcpListener::bind("10.231.0.1:0").expect("listen on the bridge");
    let silent_at = silent.local_addr().expect("address");
    std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().take(64).collect();
        std::thread::sleep(std::time::Duration::from_secs(600));
        drop(held);
    });
    let broken_update = flotilla_fleet::StackInput {
        compose: input
            .compose
            .replace("local/busybox:1", &format!("{silent_at}/missing:2")),
        ..Default::default()
    };
    fleet
        .deploy_stack(
            "prod",
            "shop",
            &broken_update,
            ("alice", flotilla_store::Role::Admin),
        )
        .await
        .expect("deploy the bad image");
    let started = std::time::Instant::now();
    let errors = support::eventually(
        "the update's failure known",
        std::time::Duration::from_secs(120),
        || async {
            let progress = fleet.stack_progress("prod", "shop").await.ok()?;
            let web = progress.iter().find(|p| p.service == "shop_web")?;
            (!web.errors.is_empty()).then(|| web.errors.clone())
        },
    )
    .await;
    println!(
        "the update's failure known after {:?}: {errors:?}",
        started.elapsed()
    );
    assert!(errors.iter().any(|e| e.contains("missing:2")), "{errors:?}");
}
