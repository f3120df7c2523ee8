//! One live state per watched swarm, shared by every viewer: read in full when the first
//! viewer comes, then kept current from the manager's event stream and the container events
//! of the nodes registered as hosts ([`follow`]), and dropped a while after the last viewer
//! goes. However many pages watch a swarm, the engines see the requests of one.

mod follow;
mod reading;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use flotilla_engine::NetworkSummary;
use flotilla_live::{Delta, LiveTask, Snapshot, Staleness};
use flotilla_stack::ServiceRow;
use tokio::sync::{broadcast, watch, Notify};

use crate::{Fleet, Result};

/// How long a swarm stays followed after its last viewer left: a reload or the next page
/// finds it current instead of reading it again.
const LINGER: Duration = Duration::from_secs(30);

/// Changes kept for viewers that fall behind; one further behind gets a fresh snapshot.
const BACKLOG: usize = 256;

/// What the lists read from a swarm's live state, besides what the visualizer shows.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Listing {
    /// The services list's rows, by name.
    pub services: Vec<ServiceRow>,
    pub networks: Vec<NetworkSummary>,
    /// The failed and rejected tasks of current specs, read while a service falls short of
    /// its tasks (they say why); empty when every service has what it wants.
    pub failures: Vec<LiveTask>,
}

/// Where the follower publishes and viewers read.
#[derive(Debug)]
pub(crate) struct Publisher {
    state: watch::Sender<Arc<Snapshot>>,
    changes: broadcast::Sender<Arc<Delta>>,
    /// The lists, once read.
    listing: watch::Sender<Option<Arc<Listing>>>,
    /// Changes the console made (counted), and how many of them the listing includes: it
    /// serves a list only once it includes every change the console made, so whoever just
    /// scaled or deployed never sees the list from before.
    touched: AtomicU64,
    rows_include: AtomicU64,
    /// Wakes the follower to read again after such a change.
    poke: Notify,
}

impl Publisher {
    fn new(swarm: &str) -> Self {
        Self {
            state: watch::Sender::new(Arc::new(Snapshot {
                swarm: swarm.to_owned(),
                ..Snapshot::default()
            })),
            changes: broadcast::Sender::new(BACKLOG),
            listing: watch::Sender::new(None),
            touched: AtomicU64::new(0),
            rows_include: AtomicU64::new(0),
            poke: Notify::new(),
        }
    }

    /// The console's changes so far: a reading started now includes them.
    fn changes_so_far(&self) -> u64 {
        self.touched.load(Ordering::SeqCst)
    }

    /// Publishes lists read after the console's first `includes` changes; true when the
    /// failures in them changed, which viewers of a stack's progress need to hear of even
    /// when no task they can see did.
    fn publish_listing(&self, listing: &Listing, includes: u64) -> bool {
        self.rows_include.fetch_max(includes, Ordering::SeqCst);
        let mut failures_changed = false;
        self.listing.send_if_modified(|current| {
            if current.as_deref().is_some_and(|c| c == listing) {
                return false;
            }
            failures_changed = current
                .as_deref()
                .is_none_or(|c| c.failures != listing.failures);
            *current = Some(Arc::new(listing.clone()));
            true
        });
        failures_changed
    }

    fn current(&self) -> Arc<Snapshot> {
        self.state.borrow().clone()
    }

    /// Makes `next` (nodes, services, tasks as read, and its staleness) the state, and sends
    /// viewers what changed; a reading that changes nothing sends nothing, unless `anyway`.
    fn publish(&self, mut next: Snapshot, anyway: bool) {
        let current = self.current();
        next.swarm.clone_from(&current.swarm);
        if next.api_version.is_empty() {
            next.api_version.clone_from(&current.api_version);
        }
        next.seq = current.seq + 1;
        let delta = current.delta_to(&next);
        if !anyway
            && delta.is_empty()
            && current.stale == next.stale
            && current.endpoint == next.endpoint
            && current.seq > 0
        {
            return;
        }
        self.state.send_replace(Arc::new(next));
        // No viewer at the moment is fine: they read the state when they come.
        let _ = self.changes.send(Arc::new(delta));
    }

    /// Marks the state stale from `since`, keeping what was last read.
    fn stale(&self, since: i64, reason: String) {
        let mut next = (*self.current()).clone();
        if next.stale.as_ref().is_some_and(|s| s.reason == reason) {
            return;
        }
        next.stale = Some(Staleness { since, reason });
        self.publish(next, false);
    }
}

/// A followed swarm; following stops [`LINGER`] after its last [`LiveWatch`] is gone.
#[derive(Debug)]
struct Followed {
    publisher: Arc<Publisher>,
    follower: tokio::task::AbortHandle,
    viewers: AtomicUsize,
    /// When the last viewer left.
    left_at: Mutex<tokio::time::Instant>,
    /// Told when the viewers drop to none.
    idle: Notify,
}

/// Holds `followed` while anyone watches it and for [`LINGER`] after the last one left: one
/// task per followed swarm, however many viewers come and go.
async fn keep(followed: Arc<Followed>) {
    loop {
        if followed.viewers.load(Ordering::SeqCst) > 0 {
            followed.idle.notified().await;
            continue;
        }
        let left_at = *followed.left_at.lock().unwrap_or_else(|p| p.into_inner());
        let until = left_at + LINGER;
        if tokio::time::Instant::now() >= until {
            return;
        }
        tokio::time::sleep_until(until).await;
    }
}

impl Drop for Followed {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

/// The followed swarms by swarm ID.
#[derive(Debug, Default)]
pub(crate) struct LiveSwarms(Mutex<HashMap<String, Weak<Followed>>>);

/// A viewer's hold on a swarm's live state.
#[derive(Debug)]
pub struct LiveWatch {
    followed: Arc<Followed>,
}

impl LiveWatch {
    fn new(followed: Arc<Followed>) -> Self {
        followed.viewers.fetch_add(1, Ordering::SeqCst);
        Self { followed }
    }

    /// The state now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.followed.publisher.current()
    }

    /// The lists as last read; none while the swarm cannot be read, or before the reading
    /// that includes the console's last change.
    pub fn listing(&self) -> Option<Arc<Listing>> {
        let publisher = &self.followed.publisher;
        let fresh = publisher.current().stale.is_none()
            && publisher.rows_include.load(Ordering::SeqCst) >= publisher.changes_so_far();
        fresh
            .then(|| self.followed.publisher.listing.borrow().clone())
            .flatten()
    }

    /// The changes from now on, and the state they start from: a change whose `base` is
    /// older than the state's `seq` is already in it.
    pub fn subscribe(&self) -> (Arc<Snapshot>, broadcast::Receiver<Arc<Delta>>) {
        let changes = self.followed.publisher.changes.subscribe();
        (self.snapshot(), changes)
    }
}

impl Drop for LiveWatch {
    fn drop(&mut self) {
        let followed = &self.followed;
        *followed.left_at.lock().unwrap_or_else(|p| p.into_inner()) = tokio::time::Instant::now();
        if followed.viewers.fetch_sub(1, Ordering::SeqCst) == 1 {
            followed.idle.notify_one();
        }
    }
}

impl Fleet {
    /// A hold on `swarm`'s live state, following it from now on if nobody did; waits (a few
    /// seconds at most) for the first reading, so the state is never empty for lack of time.
    pub async fn watch_swarm(&self, swarm: &str) -> Result<LiveWatch> {
        let record = self.swarm(swarm).await?;
        let followed = {
            let mut swarms = self.live.0.lock().unwrap_or_else(|p| p.into_inner());
            swarms.retain(|_, followed| followed.strong_count() > 0);
            match swarms.get(&record.id).and_then(Weak::upgrade) {
                Some(followed) => followed,
                None => {
                    let publisher = Arc::new(Publisher::new(&record.name));
                    let follower = tokio::spawn(follow::follow(
                        self.clone(),
                        record.clone(),
                        publisher.clone(),
                    ))
                    .abort_handle();
                    let followed = Arc::new(Followed {
                        publisher,
                        follower,
                        viewers: AtomicUsize::new(0),
                        left_at: Mutex::new(tokio::time::Instant::now()),
                        idle: Notify::new(),
                    });
                    tokio::spawn(keep(followed.clone()));
                    swarms.insert(record.id.clone(), Arc::downgrade(&followed));
                    followed
                }
            }
        };
        let watch = LiveWatch::new(followed);
        let mut state = watch.followed.publisher.state.subscribe();
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            state.wait_for(|s| s.seq > 0 || s.stale.is_some()),
        )
        .await;
        Ok(watch)
    }

    /// Tells the live state of swarm `swarm_id`, if followed, that the console changed it:
    /// until it has read the swarm again, lists are read from the engine.
    pub(crate) fn live_touched(&self, swarm_id: &str) {
        let followed = {
            let swarms = self.live.0.lock().unwrap_or_else(|p| p.into_inner());
            swarms.get(swarm_id).and_then(Weak::upgrade)
        };
        if let Some(followed) = followed {
            followed.publisher.touched.fetch_add(1, Ordering::SeqCst);
            followed.publisher.poke.notify_one();
        }
    }

    /// How many swarms are followed now (each costs one event stream per engine).
    pub fn followed_swarms(&self) -> usize {
        let swarms = self.live.0.lock().unwrap_or_else(|p| p.into_inner());
        swarms.values().filter(|f| f.strong_count() > 0).count()
    }
}
