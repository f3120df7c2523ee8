//! Following one swarm: a full reading, then the manager's service and node events and the
//! container events of every node registered as a host, each change answered by reading only
//! what it can have changed, coalesced over a few milliseconds. Tasks still on their way
//! (pending, preparing, starting) are looked at again shortly, since swarm sends no task
//! events; a slow reconcile catches anything missed. A lost manager marks the state stale and
//! is retried with backoff, through any manager of the swarm.

use std::sync::Arc;
use std::time::Duration;

use flotilla_engine::{DockerClient, EngineEvent};
use flotilla_live::Snapshot;
use flotilla_store::{now_millis, SwarmRecord};
use futures::stream::{BoxStream, SelectAll, StreamExt};
use tokio::time::Instant;

use super::{reading, Listing, Publisher};
use crate::{Fleet, FleetError, Result};

/// Changes arriving within this long are read together.
const COALESCE: Duration = Duration::from_millis(15);
/// How soon tasks still on their way are looked at again …
const SETTLE_EVERY: Duration = Duration::from_millis(400);
/// … for this long after the last event …
const SETTLE_FOR: Duration = Duration::from_secs(15);
/// … and then less often, for as long as a slow pull of a large image (or one from a registry
/// that never answers) may take to end.
const SETTLE_SLOWLY_EVERY: Duration = Duration::from_secs(2);
const SETTLE_SLOWLY_FOR: Duration = Duration::from_secs(120);
/// Tasks a service or node change makes appear a moment after its event, and on nodes
/// without a registered host no container event tells of them: tasks are looked at again
/// this long after such an event, whatever the last look found.
const FOLLOW_UP_FOR: Duration = Duration::from_secs(3);
/// A full reading this often, in case an event was missed.
const RECONCILE: Duration = Duration::from_secs(20);
/// Waits between attempts to reach a lost swarm.
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_LAST: Duration = Duration::from_secs(5);

/// The container events that change a task: it started, ended, or its health changed.
const CONTAINER_EVENTS: &[&str] = &["start", "die", "oom", "health_status"];

pub(super) async fn follow(fleet: Fleet, record: SwarmRecord, publisher: Arc<Publisher>) {
    let mut retry = RETRY_FIRST;
    let mut down_since = None;
    loop {
        let Err(err) =
            follow_manager(&fleet, &record, &publisher, &mut down_since, &mut retry).await;
        fleet.engine_failed(&record, &err);
        let since = *down_since.get_or_insert_with(now_millis);
        tracing::info!(swarm = record.name, error = %err, "live state lost its manager");
        publisher.stale(since, err.to_string());
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(RETRY_LAST);
    }
}

/// Everything, through `client`: the snapshot, and the lists.
async fn read_all(client: &DockerClient) -> Result<(Snapshot, Listing)> {
    let (nodes, (services, rows), networks, tasks) = tokio::try_join!(
        reading::nodes(client),
        reading::services(client),
        reading::networks(client),
        reading::tasks(client)
    )?;
    let mut snapshot = Snapshot {
        endpoint: client.endpoint().to_owned(),
        api_version: client.api_version(),
        read_at: now_millis(),
        nodes,
        services,
        tasks,
        ..Snapshot::default()
    };
    let mut listing = Listing {
        services: rows,
        networks,
        failures: Vec::new(),
    };
    read_tasks_listing(client, &mut snapshot, &mut listing, false).await?;
    Ok((snapshot, listing))
}

/// Brings the listing up to the snapshot's tasks (reading them first when `again`): the
/// running counts, and why services fall short, if any does.
async fn read_tasks_listing(
    client: &DockerClient,
    state: &mut Snapshot,
    listing: &mut Listing,
    again: bool,
) -> Result<()> {
    if again {
        state.tasks = reading::tasks(client).await?;
    }
    reading::count_running(&mut listing.services, &state.tasks);
    listing.failures = if reading::short(state) {
        reading::failures(client).await?
    } else {
        Vec::new()
    };
    Ok(())
}

/// The task events of every node registered as a host of the swarm (its engine's own
/// container events), and how many hosts there are; a node without one is seen through the
/// manager alone.
async fn container_events(
    fleet: &Fleet,
    record: &SwarmRecord,
) -> (
    SelectAll<BoxStream<'static, flotilla_engine::Result<EngineEvent>>>,
    usize,
) {
    let mut all = SelectAll::new();
    let Ok(hosts) = fleet.store.swarm_hosts(&record.id).await else {
        return (all, 0);
    };
    let wanted = hosts.len();
    for host in hosts {
        let Ok(client) = fleet.client(&host).await else {
            continue;
        };
        let filters: &[(&str, &[&str])] = &[
            ("type", &["container"]),
            ("event", CONTAINER_EVENTS),
            ("label", &["com.docker.swarm.task.id"]),
        ];
        if let Ok(events) = client.events(filters).await {
            all.push(events);
        }
    }
    (all, wanted)
}

/// What an event can have changed.
#[derive(Debug, Default, Clone, Copy)]
struct Dirty {
    nodes: bool,
    services: bool,
    tasks: bool,
}

impl Dirty {
    fn mark(&mut self, event: &EngineEvent) {
        match event.kind.as_str() {
            // A node that comes or goes changes what a global service wants.
            "node" => (self.nodes, self.services) = (true, true),
            // Networks are read with the services (the stack page lists them).
            "service" | "network" => self.services = true,
            _ => {}
        }
        // Either can move tasks: a scale makes them, a drain stops them.
        self.tasks = true;
    }
}

/// Follows through one manager until it is lost; returns why.
async fn follow_manager(
    fleet: &Fleet,
    record: &SwarmRecord,
    publisher: &Publisher,
    down_since: &mut Option<i64>,
    retry: &mut Duration,
) -> Result<std::convert::Infallible> {
    let client = fleet.manager(record).await?;
    // Subscribed before the reading, so no change falls between the two.
    // Objects made, changed or removed; a network's connects and disconnects are its
    // containers', which the task readings see.
    let mut events = client
        .events(&[
            ("type", &["service", "node", "network"]),
            ("event", &["create", "update", "remove", "destroy"]),
        ])
        .await?;
    let (mut containers, mut hosts) = container_events(fleet, record).await;
    let includes = publisher.changes_so_far();
    let (mut state, mut listing) = read_all(&client).await?;
    let failures_changed = publisher.publish_listing(&listing, includes);
    publisher.publish(state.clone(), failures_changed);
    (*down_since, *retry) = (None, RETRY_FIRST);
    let mut dirty = Dirty::default();
    let mut next_read: Option<Instant> = None;
    // When an event last said something moved: settling tasks are looked at for a while after.
    let mut last_change = Instant::now();
    let mut follow_up_until = Instant::now();
    let mut reconcile = tokio::time::interval_at(Instant::now() + RECONCILE, RECONCILE);
    loop {
        let wake = next_read.unwrap_or_else(|| Instant::now() + RECONCILE);
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => {
                    dirty.mark(&event);
                    next_read.get_or_insert_with(|| Instant::now() + COALESCE);
                    last_change = Instant::now();
                    follow_up_until = Instant::now() + FOLLOW_UP_FOR;
                }
                Some(Err(err)) => return Err(err.into()),
                None => return Err(FleetError::Engine(flotilla_engine::EngineError::Unreachable {
                    endpoint: client.endpoint().to_owned(),
                    reason: "the manager closed its event stream".into(),
                })),
            },
            Some(_) = containers.next() => {
                dirty.tasks = true;
                next_read.get_or_insert_with(|| Instant::now() + COALESCE);
                last_change = Instant::now();
            }
            () = publisher.poke.notified() => {
                dirty = Dirty { nodes: true, services: true, tasks: true };
                next_read = Some(Instant::now());
                last_change = Instant::now();
                follow_up_until = Instant::now() + FOLLOW_UP_FOR;
            }
            () = tokio::time::sleep_until(wake), if next_read.is_some() => {
                next_read = None;
                let includes = publisher.changes_so_far();
                let wanted = std::mem::take(&mut dirty);
                if wanted.nodes {
                    state.nodes = reading::nodes(&client).await?;
                }
                if wanted.services {
                    let ((services, rows), networks) =
                        tokio::try_join!(reading::services(&client), reading::networks(&client))?;
                    state.services = services;
                    (listing.services, listing.networks) = (rows, networks);
                }
                read_tasks_listing(&client, &mut state, &mut listing, wanted.tasks).await?;
                // The listing goes first: whoever a change in the state wakes reads it next.
                let failures_changed = publisher
                    .publish_listing(&listing, if wanted.services { includes } else { 0 });
                state.read_at = now_millis();
                publisher.publish(state.clone(), failures_changed);
                let now = Instant::now();
                let settling = state.tasks.values().any(reading::settling);
                let since_change = now - last_change;
                let soon = (settling && since_change < SETTLE_FOR) || now < follow_up_until;
                let later = settling && since_change < SETTLE_SLOWLY_FOR;
                if soon || later {
                    dirty.tasks = true;
                    next_read = Some(now + if soon { SETTLE_EVERY } else { SETTLE_SLOWLY_EVERY });
                }
            }
            _ = reconcile.tick() => {
                // A host's engine that went away (restarted, unreachable) is listened to again
                // once it answers; the reading below catches what it said meanwhile.
                if containers.len() < hosts {
                    (containers, hosts) = container_events(fleet, record).await;
                }
                let includes = publisher.changes_so_far();
                (state, listing) = read_all(&client).await?;
                let failures_changed = publisher.publish_listing(&listing, includes);
                publisher.publish(state.clone(), failures_changed);
            }
        }
    }
}
