//! Consoles sharing one database, and the actions a stopped one left unfinished.
//!
//! Each console says it is alive every [`HEARTBEAT`]. An audit row still `pending` whose
//! console has not been seen for [`STALE_AFTER`] can never finish: it is marked interrupted.

use std::time::Duration;

use crate::{now_millis, Result, Store};

/// How often a serving console says it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// A console not seen for this long has stopped.
pub const STALE_AFTER: Duration = Duration::from_secs(20);

const STOPPED: &str = "the console stopped before the action finished";

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// This process's ID among the consoles sharing the database.
    pub fn console_id(&self) -> &str {
        &self.console_id
    }

    /// Says this console is alive (see [`HEARTBEAT`]).
    pub async fn console_alive(&self) -> Result<()> {
        let now = now_millis();
        sqlx::query(
            "INSERT INTO consoles (id, started_at, seen_at) VALUES ($1, $2, $2) \
             ON CONFLICT (id) DO UPDATE SET seen_at = $2",
        )
        .bind(self.console_id())
        .bind(now)
        .execute(self.pool())
        .await?;
        // Long-gone consoles are forgotten; their rows were marked long ago.
        sqlx::query("DELETE FROM consoles WHERE seen_at < $1")
            .bind(now - millis(Duration::from_secs(86_400)))
            .execute(self.pool())
            .await?;
        // Failed logins count for 15 minutes; an hour is kept for the curious.
        self.forget_login_failures(now - millis(Duration::from_secs(3_600)))
            .await
    }

    /// Says this console has stopped, so others need not wait for it to go stale.
    pub async fn console_stopped(&self) -> Result<()> {
        sqlx::query("DELETE FROM consoles WHERE id = $1")
            .bind(self.console_id())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Marks interrupted every pending audit row that no console will finish: rows of
    /// consoles not seen for [`STALE_AFTER`], or, with `sole_console` (SQLite: one console per
    /// database file), of any console but this one. Rows younger than [`STALE_AFTER`] are
    /// left to their writer (a command-line action does not heartbeat), unless `sole_console`.
    /// `now` is Unix milliseconds. Returns how many were marked.
    pub async fn mark_interrupted(&self, sole_console: bool, now: i64) -> Result<u64> {
        // Alone, every other console counts as stopped and every row as old enough.
        let cutoff = if sole_console {
            i64::MAX
        } else {
            now - millis(STALE_AFTER)
        };
        let marked = sqlx::query(
            "UPDATE audit_events SET outcome = 'interrupted', error = $1, finished_at = $2 \
             WHERE outcome = 'pending' AND at < $3 \
             AND (console_id IS NULL OR (console_id <> $4 \
                  AND console_id NOT IN (SELECT id FROM consoles WHERE seen_at >= $5)))",
        )
        .bind(STOPPED)
        .bind(now)
        .bind(cutoff)
        .bind(self.console_id())
        .bind(cutoff)
        .execute(self.pool())
        .await?;
        Ok(marked.rows_affected())
    }

    /// Marks this console's own pending rows interrupted: at the end of a shutdown, for the
    /// actions that did not finish in time.
    pub async fn mark_own_interrupted(&self) -> Result<u64> {
        let marked = sqlx::query(
            "UPDATE audit_events SET outcome = 'interrupted', error = $1, finished_at = $2 \
             WHERE outcome = 'pending' AND console_id = $3",
        )
        .bind(STOPPED)
        .bind(now_millis())
        .bind(self.console_id())
        .execute(self.pool())
        .await?;
        Ok(marked.rows_affected())
    }
}

impl Store {
    /// Whether the database answers a trivial query (readiness).
    pub async fn answers(&self) -> bool {
        sqlx::query("SELECT 1").execute(self.pool()).await.is_ok()
    }
}
