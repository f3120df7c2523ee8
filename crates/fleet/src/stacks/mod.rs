//! Stacks: a compose file planned against a swarm and deployed as `docker stack deploy`
//! does ([`apply`]), its recorded versions ([`history`]), and what runs of it: list,
//! progress, networks and removal ([`running`]).

mod apply;
mod drift;
mod history;
mod images;
mod interrupted;
mod running;

pub(crate) use history::version_input;
pub(crate) use images::{pin_spec, UnansweredRegistries, RESOLVE_TIME_LIMIT};

use std::collections::HashMap;
use std::time::Duration;

use flotilla_engine::{DockerClient, FileObjectKind, StoredObject};
use flotilla_stack::{
    Checked, Current, Plan, Privilege, StackInput, StackObjects, StackPlan, LABEL_NAMESPACE,
};
use flotilla_store::Role;

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
    privileges: Vec<Privilege>,
    objects: StackObjects,
    record: flotilla_store::SwarmRecord,
    client: DockerClient,
    side: Swarmside,
    warnings: Vec<String>,
    /// Drift this deploy would undo.
    undoes: Vec<flotilla_stack::Drift>,
    images: Vec<flotilla_stack::ImageResolution>,
    auths: crate::registries::RegistryAuths,
}

/// How long one file may take to check. The compose model's own limits keep a check far
/// below this; it is the last line, so no file holds a checking slot for long.
const CHECK_TIME_LIMIT: Duration = Duration::from_secs(10);

impl Fleet {
    /// Checks `input` as `stack` on a blocking thread, at most [`Fleet::CHECKS_AT_ONCE`] at a
    /// time and each within [`CHECK_TIME_LIMIT`]: parsing is CPU work, and a hostile file must
    /// cost one core for a while, never the async workers that serve everyone else.
    pub(crate) async fn check(&self, stack: &str, input: &StackInput) -> Result<Checked> {
        let permit = tokio::time::timeout(CHECK_TIME_LIMIT, self.checks.clone().acquire_owned())
            .await
            .map_err(|_| FleetError::Busy("other stack files are being checked".into()))?
            .map_err(|_| FleetError::Busy("the console is shutting down".into()))?;
        let (stack, input) = (stack.to_owned(), input.clone());
        let checking = tokio::task::spawn_blocking(move || {
            // The slot is free again only when the check really ends.
            let _permit = permit;
            flotilla_stack::check(&stack, &input.compose, &input.env, &input.files)
        });
        match tokio::time::timeout(CHECK_TIME_LIMIT, checking).await {
            Ok(Ok(checked)) => Ok(checked?),
            Ok(Err(panicked)) => Err(FleetError::Busy(format!(
                "checking the file failed: {panicked}"
            ))),
            Err(_) => Err(FleetError::Busy(format!(
                "checking the file took longer than {} s",
                CHECK_TIME_LIMIT.as_secs()
            ))),
        }
    }

    /// What deploying `input` as `stack` would change on the swarm, for a caller whose
    /// role is `role`; changes nothing.
    pub async fn plan_stack(
        &self,
        swarm: &str,
        stack: &str,
        input: &StackInput,
        role: Role,
    ) -> Result<StackPlan> {
        let Planned {
            plan,
            privileges,
            warnings,
            undoes,
            images,
            ..
        } = self.planned(swarm, stack, input, role).await?;
        Ok(StackPlan {
            plan,
            warnings,
            privileges,
            undoes,
            images,
            applied: false,
            version: None,
        })
    }

    /// The plan, with what it was made from: the objects wanted and the swarm's state. A
    /// stack that reaches the nodes is a problem when the swarm's deploy policy asks for a
    /// higher role than `role`.
    async fn planned(
        &self,
        swarm: &str,
        stack: &str,
        input: &StackInput,
        role: Role,
    ) -> Result<Planned> {
        let checked = self.check(stack, input).await?;
        let mut objects = checked.objects;
        let record = self.swarm(swarm).await?;
        let (client, side) = self
            .with_manager(&record, |client| async move {
                let side = read_swarm(&client, stack).await?;
                Ok((client, side))
            })
            .await?;
        let auths = self.registry_auths().await?;
        let resolved = self
            .resolve_images(
                &client,
                (&mut objects, &side.current),
                input.resolve_image,
                &auths,
            )
            .await;
        let mut plan = flotilla_stack::plan(&objects, &side.current, input.prune);
        plan.problems.extend(resolved.problems);
        let mut warnings = checked.warnings;
        warnings.extend(resolved.warnings);
        let mut undoes = Vec::new();
        if let Some(last) = self.store().latest_stack_version(&record.id, stack).await? {
            let mut before = self.check(stack, &history::version_input(&last)?).await?;
            flotilla_stack::keep_resolved_images(&mut before.objects, &side.current);
            let drifted = flotilla_stack::drifted(&flotilla_stack::plan(
                &before.objects,
                &side.current,
                false,
            ));
            undoes = self
                .drift_with_causes(&record, &last, flotilla_stack::undone(&drifted, &plan))
                .await?;
            // The engine never returns a secret's data; the last version deployed here knows it.
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
        let privileges = flotilla_stack::privileges(&objects);
        if !role.allows(record.privileged_deploys) {
            for privilege in &privileges {
                plan.problems.push(format!(
                    "{} {}: on swarm {} that needs an {} (its deploy policy)",
                    privilege.service, privilege.what, record.name, record.privileged_deploys
                ));
            }
        }
        Ok(Planned {
            plan,
            privileges,
            objects,
            record,
            client,
            side,
            warnings,
            undoes,
            images: resolved.images,
            auths,
        })
    }

    /// Deploys `input` as `stack` for `deployed_by`, whose role is `role`: plans first, and
    /// touches nothing when the plan has problems. Independent objects are created
    /// concurrently.
    pub async fn deploy_stack(
        &self,
        swarm: &str,
        stack: &str,
        input: &StackInput,
        by: (&str, Role),
    ) -> Result<StackPlan> {
        self.deploy_stack_noted(swarm, stack, input, by, "").await
    }

    /// [`Fleet::deploy_stack`], with `note` kept on the version it records.
    pub async fn deploy_stack_noted(
        &self,
        swarm: &str,
        stack: &str,
        input: &StackInput,
        (deployed_by, role): (&str, Role),
        note: &str,
    ) -> Result<StackPlan> {
        let record = self.swarm(swarm).await?;
        let _serial = self.lock_stack(&record.id, Some(stack.to_owned())).await?;
        // Kept before anything else: a deploy cut short anywhere can be planned again.
        self.record_attempt(&record, stack, input, deployed_by)
            .await?;
        let started = std::time::Instant::now();
        let Planned {
            plan,
            privileges,
            objects,
            record,
            client,
            side,
            warnings,
            undoes,
            images,
            auths,
        } = self.planned(swarm, stack, input, role).await?;
        if !plan.problems.is_empty() {
            return Err(FleetError::PlanProblems(plan.problems));
        }
        apply::check_specs(&objects)?;
        let applied = apply::apply(&client, (&objects, &auths), &side, &plan).await;
        self.live_touched(&record.id);
        if let Err(err) = &applied {
            self.engine_failed(&record, err);
        }
        applied?;
        self.deploy_durations
            .observe(started.elapsed().as_secs_f64());
        let version = self
            .record_version(&record, stack, input, (deployed_by, note))
            .await?;
        Ok(StackPlan {
            plan,
            warnings,
            privileges,
            undoes,
            images,
            applied: true,
            version: Some(version),
        })
    }
}
