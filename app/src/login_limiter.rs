//! Failed logins, counted per (account, client address) and per client address over a
//! sliding window. Consoles sharing a database also count each other's failures
//! ([`shared_keys`], noted in the database by the login function). A guess is reserved under the same lock as the check, so simultaneous
//! guesses cannot all slip past the limit; an account cannot be locked by someone else's
//! address; and the table is bounded, so hostile names cannot grow it.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{AppError, ErrorCode};

const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Wrong passwords for one account from one address before it must wait.
const PER_ACCOUNT_AND_CLIENT: usize = 5;
/// Wrong passwords from one address, whichever accounts, before it must wait.
const PER_CLIENT: usize = 20;
/// Keys kept at most; beyond it the least recently used quiet ones go first.
const MAX_KEYS: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// Account names are checked (at most 64 characters) before they get here.
    Pair(String, IpAddr),
    Client(IpAddr),
}

/// The names under which a failed login is noted in the database for the other consoles:
/// the pair's and the address's (the address's alone for a name that cannot be an account).
pub fn shared_keys(account: Option<&str>, client: IpAddr) -> Vec<String> {
    let mut keys: Vec<String> = account
        .map(|account| format!("pair {account} {client}"))
        .into_iter()
        .collect();
    keys.push(format!("client {client}"));
    keys
}

/// How long a failure counts.
pub const FAILURES_COUNT_FOR: Duration = WINDOW;

impl Key {
    fn limit(&self) -> usize {
        match self {
            Self::Pair(..) => PER_ACCOUNT_AND_CLIENT,
            Self::Client(_) => PER_CLIENT,
        }
    }
}

#[derive(Debug)]
struct Window {
    failures: VecDeque<Instant>,
    /// Guesses being checked right now; they count against the limit until they end.
    pending: usize,
    last_used: Instant,
}

impl Window {
    fn new(now: Instant) -> Self {
        Self {
            failures: VecDeque::new(),
            pending: 0,
            last_used: now,
        }
    }

    fn forget_old(&mut self, now: Instant) {
        while self
            .failures
            .front()
            .is_some_and(|at| now.duration_since(*at) >= WINDOW)
        {
            self.failures.pop_front();
        }
    }

    fn quiet(&self) -> bool {
        self.failures.is_empty() && self.pending == 0
    }
}

#[derive(Debug, Default)]
pub struct LoginLimiter {
    windows: Mutex<HashMap<Key, Window>>,
}

fn refused() -> AppError {
    AppError::new(
        ErrorCode::TooManyRequests,
        "too many failed logins for this account from this address, or from this address; try again in 15 minutes",
    )
}

impl LoginLimiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Window>> {
        self.windows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves a guess at `account` from `client`, or refuses it when either count is at
    /// its limit (guesses being checked count too).
    pub fn begin(&self, account: &str, client: IpAddr) -> Result<Attempt<'_>, AppError> {
        self.begin_counting(account, client, &[])
    }

    /// [`LoginLimiter::begin`], counting also `elsewhere`: the failures other consoles noted
    /// under [`shared_keys`] of the same account and address, in that order.
    pub fn begin_counting(
        &self,
        account: &str,
        client: IpAddr,
        elsewhere: &[usize],
    ) -> Result<Attempt<'_>, AppError> {
        let keys = vec![Key::Pair(account.to_owned(), client), Key::Client(client)];
        self.reserve(keys, elsewhere)
    }

    /// Reserves a guess from `client` for a name that cannot be an account.
    pub fn begin_unnamed(&self, client: IpAddr) -> Result<Attempt<'_>, AppError> {
        self.begin_unnamed_counting(client, &[])
    }

    /// [`LoginLimiter::begin_unnamed`], counting also the address's failures elsewhere.
    pub fn begin_unnamed_counting(
        &self,
        client: IpAddr,
        elsewhere: &[usize],
    ) -> Result<Attempt<'_>, AppError> {
        self.reserve(vec![Key::Client(client)], elsewhere)
    }

    fn reserve(&self, keys: Vec<Key>, elsewhere: &[usize]) -> Result<Attempt<'_>, AppError> {
        let now = Instant::now();
        let mut windows = self.lock();
        for (i, key) in keys.iter().enumerate() {
            let others = elsewhere.get(i).copied().unwrap_or(0);
            let here = windows.get_mut(key).map_or(0, |window| {
                window.forget_old(now);
                window.failures.len() + window.pending
            });
            if here.saturating_add(others) >= key.limit() {
                return Err(refused());
            }
        }
        if windows.len() + keys.len() > MAX_KEYS {
            make_room(&mut windows, now, keys.len());
            if windows.len() + keys.len() > MAX_KEYS {
                return Err(refused());
            }
        }
        for key in &keys {
            let window = windows
                .entry(key.clone())
                .or_insert_with(|| Window::new(now));
            window.pending += 1;
            window.last_used = now;
        }
        Ok(Attempt {
            limiter: self,
            keys,
            ended: false,
        })
    }

    /// How many keys are kept (for tests of the bound).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Drops windows with nothing left in them, then the least recently used idle ones, down to
/// nine tenths of the bound: evicting in batches keeps a full table from costing a sort on
/// every new key.
fn make_room(windows: &mut HashMap<Key, Window>, now: Instant, needed: usize) {
    windows.retain(|_, window| {
        window.forget_old(now);
        !window.quiet()
    });
    let target = MAX_KEYS * 9 / 10;
    if windows.len() + needed <= target {
        return;
    }
    let mut by_age: Vec<(Instant, Key)> = windows
        .iter()
        .filter(|(_, w)| w.pending == 0)
        .map(|(key, w)| (w.last_used, key.clone()))
        .collect();
    by_age.sort_by_key(|(used, _)| *used);
    let excess = (windows.len() + needed).saturating_sub(target);
    for (_, key) in by_age.into_iter().take(excess) {
        windows.remove(&key);
    }
}

/// A reserved guess: it ends as a failure, a success, or (dropped) as if never made.
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    keys: Vec<Key>,
    ended: bool,
}

/// How a reserved guess ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Failed,
    Succeeded,
    Abandoned,
}

impl Attempt<'_> {
    pub fn failed(mut self) {
        self.end(Outcome::Failed);
    }

    /// A right password clears the account's failures from this address (not the
    /// address's own count: one good account must not reset an address's guessing).
    pub fn succeeded(mut self) {
        self.end(Outcome::Succeeded);
    }

    fn end(&mut self, outcome: Outcome) {
        self.ended = true;
        let now = Instant::now();
        let mut windows = self.limiter.lock();
        for key in &self.keys {
            let Some(window) = windows.get_mut(key) else {
                continue;
            };
            window.pending = window.pending.saturating_sub(1);
            match (outcome, key) {
                (Outcome::Failed, _) => window.failures.push_back(now),
                (Outcome::Succeeded, Key::Pair(..)) => window.failures.clear(),
                _ => {}
            }
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.end(Outcome::Abandoned);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn failures_noted_by_other_consoles_count_too() {
        let limiter = LoginLimiter::default();
        assert_eq!(shared_keys(Some("ada"), A).len(), 2);
        limiter.begin("ada", A).expect("allowed").failed();
        assert!(limiter.begin_counting("ada", A, &[3, 3]).is_ok());
        assert!(
            limiter.begin_counting("ada", A, &[4, 4]).is_err(),
            "1 here + 4 elsewhere"
        );
        assert!(
            limiter.begin_counting("bob", A, &[0, 19]).is_err(),
            "the address's 20"
        );
        assert!(limiter.begin_unnamed_counting(B, &[20]).is_err());
        assert!(limiter.begin_unnamed_counting(B, &[0]).is_ok());
    }

    #[test]
    fn five_failures_lock_the_account_for_that_address_only() {
        let limiter = LoginLimiter::default();
        for _ in 0..5 {
            limiter.begin("ada", A).expect("allowed").failed();
        }
        assert!(limiter.begin("ada", A).is_err());
        assert!(
            limiter.begin("ada", B).is_ok(),
            "another address is not locked out"
        );
    }

    #[test]
    fn simultaneous_guesses_are_reserved_before_they_are_checked() {
        let limiter = LoginLimiter::default();
        let held: Vec<_> = (0..41)
            .filter_map(|_| limiter.begin("ada", A).ok())
            .collect();
        assert_eq!(
            held.len(),
            5,
            "only five guesses may be in flight or failed"
        );
        drop(held);
        assert!(
            limiter.begin("ada", A).is_ok(),
            "abandoned guesses are released"
        );
    }

    #[test]
    fn a_success_clears_the_pair() {
        let limiter = LoginLimiter::default();
        for _ in 0..4 {
            limiter.begin("ada", A).expect("allowed").failed();
        }
        limiter.begin("ada", A).expect("allowed").succeeded();
        for _ in 0..4 {
            limiter
                .begin("ada", A)
                .expect("counting again from zero")
                .failed();
        }
    }

    #[test]
    fn the_table_stays_bounded() {
        let limiter = LoginLimiter::default();
        for i in 0..(MAX_KEYS as u32 + 500) {
            let client = IpAddr::V4(std::net::Ipv4Addr::from(i));
            if let Ok(attempt) = limiter.begin("x", client) {
                attempt.failed();
            }
        }
        assert!(limiter.len() <= MAX_KEYS);
    }
}
