//! Drift: services of a stack whose running spec no longer matches the stack's newest
//! version — scaled with the docker CLI, rolled back, changed without recording — found with
//! the same plan a deploy makes, and told with the console's own last change to each.

use flotilla_stack::{ConsoleChange, Drift, FieldChange};
use flotilla_store::{AuditEvent, AuditFilter, AuditOutcome, Role, StackVersion, SwarmRecord};
use serde_json::json;

use crate::{Fleet, Result};

/// Field paths whose values are secrets to viewers.
fn redacted(field: FieldChange) -> FieldChange {
    if field.path.starts_with("TaskTemplate.ContainerSpec.Env") {
        let shown = |v: &Option<serde_json::Value>| v.as_ref().map(|_| json!("(hidden)"));
        FieldChange {
            before: shown(&field.before),
            after: shown(&field.after),
            path: field.path,
        }
    } else {
        field
    }
}

impl Fleet {
    /// The stack's drifted services, with what differs; none for a stack deployed elsewhere.
    pub async fn stack_drift(&self, swarm: &str, stack: &str) -> Result<Vec<Drift>> {
        let record = self.swarm(swarm).await?;
        let Some(latest) = self.store.latest_stack_version(&record.id, stack).await? else {
            return Ok(Vec::new());
        };
        let input = super::version_input(&latest)?;
        // A read-only plan: the deploy policy is not in question here.
        let plan = self.plan_stack(swarm, stack, &input, Role::Admin).await?;
        let mut drifted: Vec<_> = flotilla_stack::drifted(&plan.plan).into_iter().collect();
        drifted.sort_by(|a, b| a.0.cmp(&b.0));
        self.drift_with_causes(&record, &latest, drifted).await
    }

    /// Drifted fields by service as [`Drift`]s: env values hidden, and the console's change
    /// that explains each service's drift named (none when the change came from elsewhere).
    pub(super) async fn drift_with_causes(
        &self,
        record: &SwarmRecord,
        newest: &StackVersion,
        drifted: Vec<(String, Vec<FieldChange>)>,
    ) -> Result<Vec<Drift>> {
        let mut drifts = Vec::with_capacity(drifted.len());
        for (service, fields) in drifted {
            let changes = self
                .store
                .audit_events(&AuditFilter {
                    target: Some(format!("{}/{service}", record.name)),
                    limit: 1,
                    ..AuditFilter::default()
                })
                .await?;
            drifts.push(Drift {
                service,
                version: newest.version,
                last_change: changes
                    .first()
                    .filter(|event| explains(event, newest.deployed_at, &fields))
                    .map(|e| ConsoleChange {
                        action: e.action.clone(),
                        actor: e.actor.clone(),
                        at: e.at,
                    }),
                fields: fields.into_iter().map(redacted).collect(),
            });
        }
        Ok(drifts)
    }
}

/// Whether the console's `event` is why a service runs `fields` (the swarm's side): a service
/// action that succeeded after the newest version was recorded (one recorded in it is no
/// drift) and, for a scale or an image change, set the value the swarm has now.
fn explains(event: &AuditEvent, newest_at: i64, fields: &[FieldChange]) -> bool {
    if !event.action.starts_with("service.")
        || event.outcome != AuditOutcome::Ok
        || event.at <= newest_at
    {
        return false;
    }
    let request: serde_json::Value = serde_json::from_str(&event.request).unwrap_or_default();
    let set = |key: &str, path: &str| {
        fields
            .iter()
            .find(|f| f.path == path)
            .is_some_and(|f| f.before.as_ref() == request.get(key))
    };
    match event.action.as_str() {
        "service.scale" => set("replicas", "Mode.Replicated.Replicas"),
        "service.image" => set("image", "TaskTemplate.ContainerSpec.Image"),
        _ => true,
    }
}
