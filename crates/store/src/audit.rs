use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{new_id, now_millis, Result, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditOutcome {
    /// Recorded before the action ran; stays so if the console died during it.
    Pending,
    Ok,
    Error,
    /// The console stopped, or the request was cancelled, before the action finished.
    Interrupted,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "ok" => Self::Ok,
            "error" => Self::Error,
            "interrupted" => Self::Interrupted,
            _ => Self::Pending,
        }
    }
}

/// Which audit events to list; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<AuditOutcome>,
    pub target: Option<String>,
    /// At most this many, newest first (0 means 100).
    pub limit: i64,
}

/// What is about to happen: who, from where, to what, with which (redacted) request.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub actor: String,
    pub client_addr: String,
    pub action: String,
    pub target: String,
    pub request: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub client_addr: String,
    pub action: String,
    pub target: String,
    pub request: String,
    pub outcome: AuditOutcome,
    pub error: Option<String>,
    pub finished_at: Option<i64>,
}

impl Store {
    /// Writes the event as pending before the action touches anything; returns its ID.
    pub async fn audit_begin(&self, event: &NewAuditEvent) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO audit_events (id, at, actor, client_addr, action, target, request, outcome, \
             console_id) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)",
        )
        .bind(&id)
        .bind(now_millis())
        .bind(&event.actor)
        .bind(&event.client_addr)
        .bind(&event.action)
        .bind(&event.target)
        .bind(&event.request)
        .bind(self.console_id())
        .execute(self.pool())
        .await?;
        Ok(id)
    }

    /// Records how the action ended: `Ok(())` or the error the operator saw.
    pub async fn audit_finish(
        &self,
        id: &str,
        result: std::result::Result<(), String>,
    ) -> Result<()> {
        let (outcome, error) = match result {
            Ok(()) => (AuditOutcome::Ok, None),
            Err(message) => (AuditOutcome::Error, Some(message)),
        };
        sqlx::query(
            "UPDATE audit_events SET outcome = $1, error = $2, finished_at = $3 WHERE id = $4",
        )
        .bind(outcome.as_str())
        .bind(error)
        .bind(now_millis())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Runs `action` between `audit_begin` and `audit_finish`: the row is on disk before the
    /// action touches anything. The outer error is the audit log's, the inner the action's.
    /// Dropped before the end (the client went away and the request with it), the row says
    /// interrupted rather than pending.
    pub async fn audited<T, E: std::fmt::Display>(
        &self,
        event: &NewAuditEvent,
        action: impl std::future::Future<Output = std::result::Result<T, E>>,
    ) -> Result<std::result::Result<T, E>> {
        let id = self.audit_begin(event).await?;
        let mut unfinished = Unfinished {
            store: Some(self.clone()),
            id: id.clone(),
        };
        let result = action.await;
        unfinished.store = None;
        let outcome = result.as_ref().map(drop).map_err(ToString::to_string);
        self.audit_finish(&id, outcome).await?;
        Ok(result)
    }

    /// Marks event `id` interrupted with `why`, unless it has ended.
    pub async fn audit_interrupt(&self, id: &str, why: &str) -> Result<()> {
        sqlx::query(
            "UPDATE audit_events SET outcome = 'interrupted', error = $1, finished_at = $2 \
             WHERE id = $3 AND outcome = 'pending'",
        )
        .bind(why)
        .bind(now_millis())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The newest deploy of `target` (`swarm/stack`: a deploy, a redeploy, a call of the
    /// stack's webhook) when it was interrupted: a stack whose last deploy never finished.
    pub async fn interrupted_deploy(&self, target: &str) -> Result<Option<AuditEvent>> {
        let row = sqlx::query(
            "SELECT id, at, actor, client_addr, action, target, request, outcome, error, finished_at \
             FROM audit_events WHERE target = $1 AND action IN ('stack.deploy', 'stack.redeploy', 'webhook.call') \
             ORDER BY at DESC, id LIMIT 1",
        )
        .bind(target)
        .fetch_optional(self.pool())
        .await?;
        let event = row.as_ref().map(event_from).transpose()?;
        Ok(event.filter(|event| event.outcome == AuditOutcome::Interrupted))
    }

    /// The newest events that match `filter`, newest first.
    pub async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, client_addr, action, target, request, outcome, error, finished_at \
             FROM audit_events \
             WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR outcome = $3) \
             AND ($5 = '' OR target = $5) \
             ORDER BY at DESC, id LIMIT $4",
        )
        .bind(filter.actor.clone().unwrap_or_default())
        .bind(filter.action.clone().unwrap_or_default())
        .bind(filter.outcome.map(AuditOutcome::as_str).unwrap_or_default())
        .bind(if filter.limit > 0 { filter.limit } else { 100 })
        .bind(filter.target.clone().unwrap_or_default())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(event_from).collect()
    }
}

fn event_from(row: &sqlx::any::AnyRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        client_addr: row.try_get("client_addr")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        request: row.try_get("request")?,
        outcome: AuditOutcome::parse(&row.try_get::<String, _>("outcome")?),
        error: row.try_get("error")?,
        finished_at: row.try_get("finished_at")?,
    })
}

/// Marks its event interrupted when dropped while still armed (holding the store).
struct Unfinished {
    store: Option<Store>,
    id: String,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        let Some(store) = self.store.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let id = std::mem::take(&mut self.id);
        runtime.spawn(async move {
            let why = "the request was cancelled before the action finished";
            if let Err(err) = store.audit_interrupt(&id, why).await {
                tracing::warn!(%err, %id, "audit log: cannot mark an event interrupted");
            }
        });
    }
}
