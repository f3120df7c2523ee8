//! Drift: services of a stack whose running spec no longer matches the stack's newest
//! version — scaled with the docker CLI, rolled back, changed without recording — found with
//! the same plan a deploy makes.

use flotilla_stack::{Change, ConsoleChange, Drift, FieldChange};
use flotilla_store::{AuditFilter, Role};
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
        let mut drifts = Vec::new();
        for object in plan.plan.objects {
            if object.kind != "service" || object.change != Change::Update {
                continue;
            }
            let changes = self
                .store
                .audit_events(&AuditFilter {
                    target: Some(format!("{}/{}", record.name, object.name)),
                    limit: 1,
                    ..AuditFilter::default()
                })
                .await?;
            drifts.push(Drift {
                service: object.name,
                version: latest.version,
                fields: object.fields.into_iter().map(redacted).collect(),
                last_change: changes
                    .first()
                    .filter(|e| e.action.starts_with("service."))
                    .map(|e| ConsoleChange {
                        action: e.action.clone(),
                        actor: e.actor.clone(),
                        at: e.at,
                    }),
            });
        }
        Ok(drifts)
    }
}
