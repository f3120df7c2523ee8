//! One live state per watched swarm, shared by every viewer: read in full when the first
//! viewer comes, then kept current from the manager's event stream and the container events
//! of the nodes registered as hosts ([`follow`]), and dropped a while after the last viewer
//! goes. However many pages watch a swarm, the engines see the requests of one.

mod follow;
mod reading;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use flotilla_live::{Delta, Snapshot, Staleness};
use flotilla_stack::ServiceRow;
use tokio::sync::{broadcast, watch, Notify};

use crate::{Fleet, Result};

/// How long a swarm stays followed after its last viewer left: a reload or the next page
/// finds it current instead of reading it again.
const LINGER: Duration = Duration::from_secs(30);

/// Changes kept for viewers that fall behind; one further behind gets a fresh snapshot.
const BACKLOG: usize = 256;

/// Where the follower publishes and viewers read.
#[derive(Debug)]
pub(crate) struct Publisher {
    state: watch::Sender<Arc<Snapshot>>,
    changes: broadcast::Sender<Arc<Delta>>,
    /// The services list's rows, once read.
    rows: watch::Sender<Option<Arc<Vec<ServiceRow>>>>,
    /// Changes the console made (counted), and how many of them the rows include: the rows
    /// serve a list only once they include every change the console made, so whoever just
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
            rows: watch::Sender::new(None),
            touched: AtomicU64::new(0),
            rows_include: AtomicU64::new(0),
            poke: Notify::new(),
        }
    }

    /// The console's changes so far: a reading started now includes them.
    fn changes_so_far(&self) -> u64 {
        self.touched.load(Ordering::SeqCst)
    }

    /// Publishes rows read after the console's first `includes` changes.
    fn publish_rows(&self, rows: &[ServiceRow], includes: u64) {
        self.rows_include.fetch_max(includes, Ordering::SeqCst);
        self.rows.send_if_modified(|current| {
            if current.as_deref().is_some_and(|c| c == rows) {
                return false;
            }
            *current = Some(Arc::new(rows.to_vec()));
            true
        });
    }

    fn current(&self) -> Arc<Snapshot> {
        self.state.borrow().clone()
    }

    /// Makes `next` (nodes, services, tasks as read, and its staleness) the state, and sends
    /// viewers what changed; a reading that changes nothing sends nothing.
    fn publish(&self, mut next: Snapshot) {
        let current = self.current();
        next.swarm.clone_from(&current.swarm);
        if next.api_version.is_empty() {
            next.api_version.clone_from(&current.api_version);
        }
        next.seq = current.seq + 1;
        let delta = current.delta_to(&next);
        if delta.is_empty()
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
        self.publish(next);
    }
}

/// A followed swarm; following stops when the last [`LiveWatch`] of it is gone.
#[derive(Debug)]
struct Followed {
    publisher: Arc<Publisher>,
    follower: tokio::task::AbortHandle,
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
    /// The state now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.followed.publisher.current()
    }

    /// The services list's rows as last read; none while the swarm cannot be read.
    pub fn service_rows(&self) -> Option<Arc<Vec<ServiceRow>>> {
        let publisher = &self.followed.publisher;
        let fresh = publisher.current().stale.is_none()
            && publisher.rows_include.load(Ordering::SeqCst) >= publisher.changes_so_far();
        fresh
            .then(|| self.followed.publisher.rows.borrow().clone())
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
        let followed = self.followed.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                tokio::time::sleep(LINGER).await;
                drop(followed);
            });
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
                    });
                    swarms.insert(record.id.clone(), Arc::downgrade(&followed));
                    followed
                }
            }
        };
        let mut state = followed.publisher.state.subscribe();
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            state.wait_for(|s| s.seq > 0 || s.stale.is_some()),
        )
        .await;
        Ok(LiveWatch { followed })
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
