//! Stacks: a compose file planned against a swarm and deployed as `docker stack deploy`
//! does ([`apply`]), its recorded versions ([`history`]), and what runs of it: list,
//! progress, networks and removal ([`running`]).

mod apply;
mod history;
mod running;

use std::collections::HashMap;

use flotilla_engine::{DockerClient, FileObjectKind, StoredObject};
use flotilla_stack::{Current, Plan, StackInput, StackObjects, StackPlan, LABEL_NAMESPACE};

use crate::{Fleet, FleetError, Result};

fn label(stack: &str) -> String {
    format!("{LABEL_NAMESPACE}={stack}")
}

/// The swarm's objects as the planner compares them, plus IDs and versions to act on.
struct Swarmside {
    current: Current,
    services: HashMap<String, StoredObject>,
    secrets: HashMap<String, StoredObject>,
    configs: HashMap<String, StoredObject>,
}

async fn read_swarm(client: &DockerClient, stack: &str) -> Result<Swarmside> {
    let label = label(stack);
    let (networks, secrets, configs, services) = futures::try_join!(
        client.networks(),
        client.file_objects(FileObjectKind::Secret, None),
        client.file_objects(FileObjectKind::Config, None),
        client.service_specs(Some(&label)),
    )?;
    let by_name = |objects: Vec<StoredObject>| -> HashMap<String, StoredObject> {
        objects
            .into_iter()
            .map(|o| (o.name().to_owned(), o))
            .collect()
    };
    let network_names: HashMap<&str, &str> = networks
        .iter()
        .map(|n| (n.id.as_str(), n.name.as_str()))
        .collect();
    let services = services
        .into_iter()
        .map(|mut service| {
            flotilla_stack::comparable_spec(&mut service.spec, &network_names);
            service
        })
        .collect();
    let (secrets, configs, services) = (by_name(secrets), by_name(configs), by_name(services));
    let specs = |objects: &HashMap<String, StoredObject>| {
        objects
            .iter()
            .map(|(name, o)| (name.clone(), o.spec.clone()))
            .collect()
    };
    Ok(Swarmside {
        current: Current {
            networks: networks.into_iter().map(|n| (n.name, n.scope)).collect(),
            secrets: specs(&secrets),
            configs: specs(&configs),
            services: specs(&services),
        },
        services,
        secrets,
        configs,
    })
}

/// A plan with what it was made from, for the deploy that follows it.
struct Planned {
    plan: Plan,
    objects: StackObjects,
    record: flotilla_store::SwarmRecord,
    client: DockerClient,
    side: Swarmside,
    warnings: Vec<String>,
}

impl Fleet {
    /// What deploying `input` as `stack` would change on the swarm; changes nothing.
    pub async fn plan_stack(
        &self,
        swarm: &str,
        stack: &str,
        input: &StackInput,
    ) -> Result<StackPlan> {
        let Planned { plan, warnings, .. } = self.planned(swarm, stack, input).await?;
        Ok(StackPlan {
            plan,
            warnings,
            applied: false,
            version: None,
        })
    }

    /// The plan, with what it was made from: the objects wanted and the swarm's state.
    async fn planned(&self, swarm: &str, stack: &str, input: &StackInput) -> Result<Planned> {
        let checked = flotilla_stack::check(stack, &input.compose, &input.env, &input.files)?;
        let mut objects = checked.objects;
        let record = self.swarm(swarm).await?;
        let (client, side) = self
            .with_manager(&record, |client| async move {
                let side = read_swarm(&client, stack).await?;
                Ok((client, side))
            })
            .await?;
        flotilla_stack::keep_resolved_images(&mut objects, &side.current);
        let mut plan = flotilla_stack::plan(&objects, &side.current, input.prune);
        // The engine never returns a secret's data; the last version deployed here knows it.
        if let Some(last) = self.store().latest_stack_version(&record.id, stack).await? {
            let before = history::version_input(&last)?;
            let before = flotilla_stack::check(stack, &before.compose, &before.env, &before.files)?;
            for (name, spec) in &objects.secrets {
                let changed = before
                    .objects
                    .secrets
                    .get(name)
                    .is_some_and(|old| old.get("Data") != spec.get("Data"));
                if changed && side.secrets.contains_key(name) {
                    plan.problems.push(format!(
                        "secret `{name}` has new content, and swarm secrets cannot change: give the new content a new name (for example `name: {name}_v2`)"
                    ));
                }
            }
        }
        Ok(Planned {
            plan,
            objects,
            record,
            client,
            side,
            warnings: checked.warnings,
        })
    }

    /// Deploys `input` as `stack`: plans first, and touches nothing when the plan has
    /// problems. Independent objects are created concurrently.
    pub async fn deploy_stack(
        &self,
        swarm: &str,
        stack: &str,
        input: &StackInput,
        deployed_by: &str,
    ) -> Result<StackPlan> {
        let Planned {
            plan,
            objects,
            record,
            client,
            side,
            warnings,
        } = self.planned(swarm, stack, input).await?;
        if !plan.problems.is_empty() {
            return Err(FleetError::PlanProblems(plan.problems));
        }
        apply::check_specs(&objects)?;
        let applied = apply::apply(&client, &objects, &side, &plan).await;
        if let Err(err) = &applied {
            self.engine_failed(&record, err);
        }
        applied?;
        let version = self
            .record_version(&record, stack, input, deployed_by)
            .await?;
        Ok(StackPlan {
            plan,
            warnings,
            applied: true,
            version: Some(version),
        })
    }
}
