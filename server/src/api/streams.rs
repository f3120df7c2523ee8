//! Long-lived streams (logs, live views) counted per principal: each user or token may hold
//! `limit` of a kind open at once, so no caller can tie up the console's connections or the
//! engines' with streams it never closes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::error::{AppError, ErrorCode};

/// Open streams of one kind by principal.
#[derive(Debug, Clone)]
pub struct StreamLimit {
    /// What the streams are (`log`, `live`), for messages and the log.
    kind: &'static str,
    open: Arc<Mutex<HashMap<String, usize>>>,
    limit: usize,
}

/// One open stream; closing it (dropping) frees the place.
#[derive(Debug)]
pub struct StreamPlace {
    streams: StreamLimit,
    owner: String,
}

impl StreamLimit {
    /// `log` or `live`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Streams of this kind open now, across every user and token.
    pub fn open_count(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum()
    }

    pub fn new(kind: &'static str, limit: usize) -> Self {
        Self {
            kind,
            open: Arc::default(),
            limit,
        }
    }

    /// A place for one more stream of `owner`'s, or why there is none.
    pub fn open(&self, owner: &str) -> Result<StreamPlace, AppError> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(owner.to_owned()).or_default();
        if *count >= self.limit {
            return Err(AppError::new(
                ErrorCode::TooManyRequests,
                format!(
                    "{owner} has {} {} streams open; close one first",
                    self.limit, self.kind
                ),
            ));
        }
        *count += 1;
        let total: usize = open.values().sum();
        drop(open);
        tracing::info!(user = owner, open = total, "{} stream opened", self.kind);
        Ok(StreamPlace {
            streams: self.clone(),
            owner: owner.to_owned(),
        })
    }

    /// How many streams are open, in all.
    pub fn count(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum()
    }
}

impl Drop for StreamPlace {
    fn drop(&mut self) {
        {
            let mut open = self.streams.open.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(count) = open.get_mut(&self.owner) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    open.remove(&self.owner);
                }
            }
        }
        tracing::info!(
            user = self.owner,
            open = self.streams.count(),
            "{} stream closed",
            self.streams.kind
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_counted_per_user_and_freed() {
        let streams = StreamLimit::new("log", 3);
        let held: Vec<_> = (0..10).filter_map(|_| streams.open("ada").ok()).collect();
        assert_eq!(held.len(), 3);
        let refused = streams.open("ada").expect_err("a fourth");
        assert!(refused.to_string().contains("3 log streams"), "{refused}");
        assert!(
            streams.open("bob").is_ok(),
            "another user has places of his own"
        );
        drop(held);
        assert_eq!(streams.count(), 0);
        assert!(streams.open("ada").is_ok());
    }
}
