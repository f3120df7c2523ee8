//! Deploys that never finished. Each deploy keeps its input before it touches the swarm; a
//! stack whose newest deploy was interrupted (the console stopped, the request was
//! cancelled) can be planned again from that input, which shows what is left to do.

use flotilla_stack::{InterruptedDeploy, StackInput};
use flotilla_store::{Role, StackAttempt, StackVersion, SwarmRecord};

use crate::{Fleet, FleetError, Result};

impl Fleet {
    /// Keeps `input` as the newest deploy started for `stack`, before the swarm is touched.
    pub(crate) async fn record_attempt(
        &self,
        swarm: &SwarmRecord,
        stack: &str,
        input: &StackInput,
        by: &str,
    ) -> Result<()> {
        let attempt = StackAttempt {
            compose: input.compose.clone(),
            env: serde_json::to_string(&input.env).unwrap_or_default(),
            files: flotilla_stack::files_to_json(&input.files),
            prune: input.prune,
            resolve_image: input.resolve_image.as_str().to_owned(),
            attempted_by: by.to_owned(),
            attempted_at: 0,
        };
        Ok(self
            .store()
            .record_attempt(&swarm.id, stack, &attempt)
            .await?)
    }

    /// The stack's newest deploy when it was interrupted, with what is left of it planned
    /// for a caller whose role is `role` (the plan changes nothing).
    pub async fn interrupted_deploy(
        &self,
        swarm: &str,
        stack: &str,
        role: Role,
    ) -> Result<Option<InterruptedDeploy>> {
        let record = self.swarm(swarm).await?;
        let target = format!("{}/{stack}", record.name);
        let Some(event) = self.store().interrupted_deploy(&target).await? else {
            return Ok(None);
        };
        let attempt = self
            .store()
            .stack_attempt(&record.id, stack)
            .await?
            .filter(|attempt| attempt.attempted_at >= event.at);
        let (left, no_plan) = match attempt.map(|a| attempt_input(stack, &a)) {
            None => (
                None,
                Some("its input was not kept: deploy the file again".to_owned()),
            ),
            Some(Err(err)) => (None, Some(err.to_string())),
            Some(Ok(input)) => match self.plan_stack(swarm, stack, &input, role).await {
                Ok(plan) => (Some(plan), None),
                Err(err) => (None, Some(err.to_string())),
            },
        };
        Ok(Some(InterruptedDeploy {
            at: event.at,
            by: event.actor,
            why: event.error.unwrap_or_default(),
            left,
            no_plan,
        }))
    }

    /// The input of the stack's newest deploy, interrupted or not, for the editor.
    pub async fn attempted_stack_input(&self, swarm: &str, stack: &str) -> Result<StackInput> {
        let record = self.swarm(swarm).await?;
        match self.store().stack_attempt(&record.id, stack).await? {
            Some(attempt) => attempt_input(stack, &attempt),
            None => Err(FleetError::NoVersion {
                stack: stack.to_owned(),
            }),
        }
    }
}

/// An attempt's input, read back as a stored version's is (the same columns, sealed alike).
fn attempt_input(stack: &str, attempt: &StackAttempt) -> Result<StackInput> {
    super::history::version_input(&StackVersion {
        swarm_id: String::new(),
        stack: stack.to_owned(),
        version: 0,
        compose: attempt.compose.clone(),
        env: attempt.env.clone(),
        files: attempt.files.clone(),
        prune: attempt.prune,
        resolve_image: attempt.resolve_image.clone(),
        deployed_by: attempt.attempted_by.clone(),
        deployed_at: attempt.attempted_at,
        note: String::new(),
    })
}
