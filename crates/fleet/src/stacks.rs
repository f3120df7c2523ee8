//! Stacks: a compose file planned against a swarm and deployed as `docker stack deploy`
//! does, then listed, watched until it converges, and removed.

use std::collections::{BTreeMap, HashMap, HashSet};

use flotilla_compose::{model::Warning, Variables};
use flotilla_engine::{DockerClient, FileObjectKind, NodeState, StoredObject};
use flotilla_stack::{
    Change, Current, Plan, ServiceProgress, StackInput, StackNetwork, StackObjects, StackPlan,
    StackSummary, StackVersionInfo, TaskLine, LABEL_NAMESPACE,
};
use futures::future::try_join_all;
use serde_json::Value;

use crate::{Fleet, FleetError, Result};

fn label(stack: &str) -> String {
    format!("{LABEL_NAMESPACE}={stack}")
}

fn warning_text(warning: &Warning) -> String {
    format!(
        "line {}, column {}: {}: {}",
        warning.at.line, warning.at.column, warning.path, warning.message
    )
}

/// Swarm service names are DNS labels.
const MAX_SERVICE_NAME: usize = 63;

/// Parses and converts `input` for `stack`; nothing touches a swarm.
pub fn check_stack(stack: &str, input: &StackInput) -> Result<(StackObjects, Vec<String>)> {
    flotilla_stack::check_stack_name(stack).map_err(|m| FleetError::invalid("stack", m))?;
    let dotenv = input
        .files
        .get(".env")
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned());
    let variables = Variables::new(&input.env, dotenv.as_deref()).map_err(FleetError::Compose)?;
    let compose = flotilla_compose::parse(&input.compose, &variables, &input.files)
        .map_err(FleetError::Compose)?;
    for service in &compose.services {
        let name = flotilla_stack::scoped(stack, &service.name);
        if name.len() > MAX_SERVICE_NAME {
            return Err(FleetError::Compose(flotilla_compose::ComposeError {
                at: service.at,
                path: format!("services.{}", service.name),
                message: format!(
                    "`{name}` is longer than the {MAX_SERVICE_NAME} characters swarm allows in a service name"
                ),
            }));
        }
    }
    let warnings = compose.sorted_warnings().iter().map(warning_text).collect();
    Ok((
        flotilla_stack::convert(stack, &compose, &input.files),
        warnings,
    ))
}

fn version_input(version: &flotilla_store::StackVersion) -> Result<StackInput> {
    let broken = |err: serde_json::Error| {
        FleetError::Conflict(format!(
            "version {} is stored damaged: {err}",
            version.version
        ))
    };
    let env = serde_json::from_str(&version.env).map_err(broken)?;
    let files = flotilla_stack::files_from_json(&version.files).map_err(broken)?;
    Ok(StackInput {
        compose: version.compose.clone(),
        env,
        files,
        prune: version.prune,
    })
}

/// The swarm's objects as the planner compares them, plus IDs and versions to act on.
struct Swarmside {
    current: Current,
    services: HashMap<String, StoredObject>,
    secrets: HashMap<String, StoredObject>,
    configs: HashMap<String, StoredObject>,
}

fn name_of(object: &StoredObject) -> String {
    object
        .spec
        .get("Name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
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
        objects.into_iter().map(|o| (name_of(&o), o)).collect()
    };
    let network_names: HashMap<&str, &str> = networks
        .iter()
        .map(|n| (n.id.as_str(), n.name.as_str()))
        .collect();
    let services = services
        .into_iter()
        .map(|mut service| {
            comparable_spec(&mut service.spec, &network_names);
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

/// A stored service spec in the terms a compose file produces: networks by name rather
/// than ID, secrets and configs by name alone.
fn comparable_spec(spec: &mut Value, network_names: &HashMap<&str, &str>) {
    if let Some(Value::Array(networks)) = spec.pointer_mut("/TaskTemplate/Networks") {
        for network in networks {
            if let Some(Value::String(target)) = network.get_mut("Target") {
                if let Some(name) = network_names.get(target.as_str()) {
                    *target = (*name).to_owned();
                }
            }
        }
    }
    for (list, id_key) in [
        ("/TaskTemplate/ContainerSpec/Secrets", "SecretID"),
        ("/TaskTemplate/ContainerSpec/Configs", "ConfigID"),
    ] {
        if let Some(Value::Array(references)) = spec.pointer_mut(list) {
            for reference in references.iter_mut().filter_map(Value::as_object_mut) {
                reference.remove(id_key);
            }
        }
    }
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
        let (mut objects, warnings) = check_stack(stack, input)?;
        let record = self.swarm(swarm).await?;
        let client = self.manager(&record).await?;
        let side = read_swarm(&client, stack).await?;
        flotilla_stack::keep_resolved_images(&mut objects, &side.current);
        let mut plan = flotilla_stack::plan(&objects, &side.current, input.prune);
        // The engine never returns a secret's data; the last version deployed here knows it.
        if let Some(last) = self.store().latest_stack_version(&record.id, stack).await? {
            let (before, _) = check_stack(stack, &version_input(&last)?)?;
            for (name, spec) in &objects.secrets {
                let changed = before
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
            warnings,
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
            return Err(FleetError::Conflict(plan.problems.join("; ")));
        }
        check_specs(&objects)?;
        apply(&client, &objects, &side, &plan).await?;
        let env = serde_json::to_string(&input.env).unwrap_or_default();
        let files = flotilla_stack::files_to_json(&input.files);
        let version = self
            .store()
            .add_stack_version(&flotilla_store::NewStackVersion {
                swarm_id: &record.id,
                stack,
                compose: &input.compose,
                env: &env,
                files: &files,
                prune: input.prune,
                deployed_by,
            })
            .await?;
        Ok(StackPlan {
            plan,
            warnings,
            applied: true,
            version: Some(version.version),
        })
    }

    /// The stack's deploys, newest first.
    pub async fn stack_versions(&self, swarm: &str, stack: &str) -> Result<Vec<StackVersionInfo>> {
        let record = self.swarm(swarm).await?;
        let versions = self.store().stack_versions(&record.id, stack).await?;
        versions
            .into_iter()
            .map(|v| {
                let input = version_input(&v)?;
                Ok(StackVersionInfo {
                    version: v.version,
                    deployed_by: v.deployed_by,
                    deployed_at: v.deployed_at,
                    compose: v.compose,
                    env_names: input.env.into_keys().collect(),
                    file_names: input.files.into_keys().collect(),
                    prune: v.prune,
                })
            })
            .collect()
    }

    /// What was deployed as `version`, ready to deploy again.
    pub async fn stack_version_input(
        &self,
        swarm: &str,
        stack: &str,
        version: i64,
    ) -> Result<StackInput> {
        let record = self.swarm(swarm).await?;
        version_input(
            &self
                .store()
                .stack_version(&record.id, stack, version)
                .await?,
        )
    }

    /// A line diff of the compose text from version `from` to version `to`.
    pub async fn diff_stack_versions(
        &self,
        swarm: &str,
        stack: &str,
        from: i64,
        to: i64,
    ) -> Result<String> {
        let record = self.swarm(swarm).await?;
        let (old, new) = futures::try_join!(
            self.store().stack_version(&record.id, stack, from),
            self.store().stack_version(&record.id, stack, to),
        )?;
        Ok(similar::TextDiff::from_lines(&old.compose, &new.compose)
            .unified_diff()
            .header(&format!("version {from}"), &format!("version {to}"))
            .to_string())
    }

    /// Stacks on the swarm, made by Flotilla or by `docker stack deploy`.
    pub async fn stacks(&self, swarm: &str) -> Result<Vec<StackSummary>> {
        let client = self.manager(&self.swarm(swarm).await?).await?;
        let services = client.service_specs(Some(LABEL_NAMESPACE)).await?;
        let mut stacks: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for service in &services {
            let stack = service
                .spec
                .get("Labels")
                .and_then(|labels| labels.get(LABEL_NAMESPACE))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            stacks.entry(stack).or_default().push(name_of(service));
        }
        Ok(stacks
            .into_iter()
            .map(|(name, mut services)| {
                services.sort();
                StackSummary { name, services }
            })
            .collect())
    }

    /// Each service of `stack` against its current spec.
    pub async fn stack_progress(&self, swarm: &str, stack: &str) -> Result<Vec<ServiceProgress>> {
        let client = self.manager(&self.swarm(swarm).await?).await?;
        let label = label(stack);
        let (services, nodes) =
            futures::try_join!(client.service_specs(Some(&label)), client.list_nodes())?;
        // The CLI's progress ignores tasks on nodes that are down: they will not report back.
        let nodes_up: HashSet<String> = nodes
            .iter()
            .filter(|n| n.state != NodeState::Down)
            .map(|n| n.id.clone())
            .collect();
        let hostnames: HashMap<String, String> =
            nodes.into_iter().map(|n| (n.id, n.hostname)).collect();
        let progress = services.iter().map(|service| {
            let (client, hostnames, nodes_up) = (&client, &hostnames, &nodes_up);
            async move {
                let tasks = client.service_tasks(&service.id, true).await?;
                let mode = |name: &str| service.spec.pointer(&format!("/Mode/{name}"));
                let job = mode("ReplicatedJob").or(mode("GlobalJob")).is_some();
                let global = mode("Global").or(mode("GlobalJob")).is_some();
                // A job is done when its tasks complete; a service when its tasks run.
                let counted = if job { "complete" } else { "running" };
                let desired = if global {
                    tasks
                        .iter()
                        .filter(|t| t.desired_state == counted && nodes_up.contains(&t.node_id))
                        .map(|t| t.node_id.as_str())
                        .collect::<HashSet<_>>()
                        .len() as u64
                } else if let Some(job) = mode("ReplicatedJob") {
                    job.get("TotalCompletions")
                        .and_then(Value::as_u64)
                        .unwrap_or(1)
                } else {
                    mode("Replicated")
                        .and_then(|r| r.get("Replicas"))
                        .and_then(Value::as_u64)
                        .unwrap_or(1)
                };
                let running = tasks
                    .iter()
                    .filter(|t| t.state == counted && (job || t.desired_state == "running"))
                    .filter(|t| !global || nodes_up.contains(&t.node_id))
                    .count() as u64;
                let errors = tasks
                    .iter()
                    .filter(|t| matches!(t.state.as_str(), "failed" | "rejected"))
                    .map(|t| {
                        format!(
                            "{}: {}",
                            t.state,
                            if t.error.is_empty() {
                                &t.message
                            } else {
                                &t.error
                            }
                        )
                    })
                    .collect();
                let mut lines: Vec<TaskLine> = tasks
                    .iter()
                    .map(|t| TaskLine {
                        slot: t.slot,
                        node: hostnames
                            .get(&t.node_id)
                            .cloned()
                            .unwrap_or_else(|| t.node_id.clone()),
                        state: t.state.clone(),
                        desired_state: t.desired_state.clone(),
                        error: t.error.clone(),
                    })
                    .collect();
                lines.sort_by(|a, b| (a.slot, &a.node).cmp(&(b.slot, &b.node)));
                Ok::<_, FleetError>(ServiceProgress {
                    service: name_of(service),
                    global,
                    desired,
                    running,
                    errors,
                    tasks: lines,
                })
            }
        });
        let mut progress = try_join_all(progress).await?;
        progress.sort_by(|a, b| a.service.cmp(&b.service));
        Ok(progress)
    }

    /// The stack's networks (made by it; external ones belong to others).
    pub async fn stack_networks(&self, swarm: &str, stack: &str) -> Result<Vec<StackNetwork>> {
        let client = self.manager(&self.swarm(swarm).await?).await?;
        let mut networks: Vec<StackNetwork> = client
            .networks()
            .await?
            .into_iter()
            .filter(|n| n.labels.get(LABEL_NAMESPACE).map(String::as_str) == Some(stack))
            .map(|n| StackNetwork {
                name: n.name,
                driver: n.driver,
                scope: n.scope,
            })
            .collect();
        networks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(networks)
    }

    /// Removes the stack's services, then its secrets, configs and networks, as
    /// `docker stack rm` does. Returns the names removed; an absent stack removes nothing.
    pub async fn remove_stack(&self, swarm: &str, stack: &str) -> Result<Vec<String>> {
        let client = self.manager(&self.swarm(swarm).await?).await?;
        let label = label(stack);
        let mut removed = Vec::new();
        let services = client.service_specs(Some(&label)).await?;
        try_join_all(services.iter().map(|s| client.remove_service(&s.id))).await?;
        removed.extend(services.iter().map(name_of));
        for kind in [FileObjectKind::Secret, FileObjectKind::Config] {
            let objects = client.file_objects(kind, Some(&label)).await?;
            try_join_all(
                objects
                    .iter()
                    .map(|o| client.remove_file_object(kind, &o.id)),
            )
            .await?;
            removed.extend(objects.iter().map(name_of));
        }
        let networks: Vec<_> = client
            .networks()
            .await?
            .into_iter()
            .filter(|n| n.labels.get(LABEL_NAMESPACE).map(String::as_str) == Some(stack))
            .collect();
        try_join_all(
            networks
                .iter()
                .map(|n| remove_network_when_free(&client, &n.id)),
        )
        .await?;
        removed.extend(networks.into_iter().map(|n| n.name));
        Ok(removed)
    }
}

/// Seconds a removed service's tasks get to let go of the stack's networks.
const NETWORK_RELEASE_SECS: u64 = 60;

/// Removes a network once the tasks of the services just removed have left it.
async fn remove_network_when_free(client: &DockerClient, id: &str) -> Result<()> {
    let deadline =
        tokio::time::Instant::now() + std::time::Duration::from_secs(NETWORK_RELEASE_SECS);
    loop {
        match client.remove_network(id).await {
            Err(err)
                if err.to_string().contains("is in use")
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            other => return other.map_err(FleetError::from),
        }
    }
}

fn planned(plan: &Plan, kind: &str, name: &str) -> Change {
    plan.objects
        .iter()
        .find(|o| o.kind == kind && o.name == name)
        .map_or(Change::Unchanged, |o| o.change)
}

/// Every spec checked against the Engine API's shapes before the first change.
fn check_specs(objects: &StackObjects) -> Result<()> {
    let groups = [
        ("network", &objects.networks),
        ("secret", &objects.secrets),
        ("config", &objects.configs),
        ("service", &objects.services),
    ];
    for (kind, specs) in groups {
        for (name, spec) in specs {
            flotilla_engine::check_spec(kind, spec)
                .map_err(|message| FleetError::invalid("compose", format!("{name}: {message}")))?;
        }
    }
    Ok(())
}

/// Awaits every request of a group, so none is cut off half-sent when another fails; all
/// failures are reported.
async fn all_of<T>(
    requests: impl IntoIterator<Item = impl std::future::Future<Output = Result<T>>>,
) -> Result<Vec<T>> {
    let (mut done, mut failed) = (Vec::new(), Vec::new());
    for result in futures::future::join_all(requests).await {
        match result {
            Ok(value) => done.push(value),
            Err(err) => failed.push(err),
        }
    }
    match failed.len() {
        0 => Ok(done),
        1 => Err(failed.remove(0)),
        _ => Err(FleetError::Conflict(
            failed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )),
    }
}

/// Carries the plan out as the CLI does: prune first, then networks, then secrets and
/// configs, then services (which refer to all of those), each group concurrently.
async fn apply(
    client: &DockerClient,
    objects: &StackObjects,
    side: &Swarmside,
    plan: &Plan,
) -> Result<()> {
    let pruned = plan
        .objects
        .iter()
        .filter(|o| o.kind == "service" && o.change == Change::Remove)
        .filter_map(|o| side.services.get(&o.name))
        .map(|s| async move { client.remove_service(&s.id).await.map_err(FleetError::from) });
    all_of(pruned).await?;
    all_of(
        objects
            .networks
            .iter()
            .filter(|(name, _)| planned(plan, "network", name) == Change::Create)
            .map(|(_, request)| async move {
                client
                    .create_network(request)
                    .await
                    .map_err(FleetError::from)
            }),
    )
    .await?;
    let (secret_ids, config_ids) = futures::join!(
        all_of(put_file_objects(
            client,
            &objects.secrets,
            &side.secrets,
            FileObjectKind::Secret
        )),
        all_of(put_file_objects(
            client,
            &objects.configs,
            &side.configs,
            FileObjectKind::Config
        )),
    );
    let (secret_ids, config_ids) = (secret_ids?, config_ids?);
    let mut ids: HashMap<String, String> = side
        .secrets
        .iter()
        .chain(side.configs.iter())
        .map(|(name, o)| (name.clone(), o.id.clone()))
        .collect();
    ids.extend(secret_ids.into_iter().chain(config_ids));
    let services = objects.services.iter().filter_map(|(name, spec)| {
        let change = planned(plan, "service", name);
        (change != Change::Unchanged).then(|| {
            let spec = with_reference_ids(spec.clone(), &ids);
            let existing = side.services.get(name).cloned();
            async move {
                match existing {
                    None => client
                        .create_service_spec(&spec)
                        .await
                        .map(drop)
                        .map_err(FleetError::from),
                    Some(old) => update_service(client, old, spec).await,
                }
            }
        })
    });
    all_of(services).await?;
    Ok(())
}

/// Creates each secret (or config) that is new and updates each that exists, yielding
/// `(name, id)`.
fn put_file_objects<'a>(
    client: &'a DockerClient,
    specs: &'a BTreeMap<String, Value>,
    existing: &'a HashMap<String, StoredObject>,
    kind: FileObjectKind,
) -> Vec<impl std::future::Future<Output = Result<(String, String)>> + 'a> {
    specs
        .iter()
        .map(move |(name, spec)| async move {
            let id = match existing.get(name) {
                Some(old) => client
                    .update_file_object(kind, &old.id, old.version, spec)
                    .await
                    .map(|()| old.id.clone()),
                None => client.create_file_object(kind, spec).await,
            }?;
            Ok((name.clone(), id))
        })
        .collect()
}

/// Fills `SecretID`/`ConfigID` in the service's references from the names.
fn with_reference_ids(mut spec: Value, ids: &HashMap<String, String>) -> Value {
    for (list, name_key, id_key) in [
        (
            "/TaskTemplate/ContainerSpec/Secrets",
            "SecretName",
            "SecretID",
        ),
        (
            "/TaskTemplate/ContainerSpec/Configs",
            "ConfigName",
            "ConfigID",
        ),
    ] {
        if let Some(Value::Array(references)) = spec.pointer_mut(list) {
            for reference in references {
                let id = reference
                    .get(name_key)
                    .and_then(Value::as_str)
                    .and_then(|name| ids.get(name))
                    .cloned();
                if let (Some(id), Value::Object(map)) = (id, reference) {
                    map.insert(id_key.to_owned(), Value::String(id));
                }
            }
        }
    }
    spec
}

/// Updates against the version read; keeps `ForceUpdate` as the CLI does, so an unchanged
/// spec does not restart tasks. A concurrent change gets one retry with a fresh version.
async fn update_service(client: &DockerClient, old: StoredObject, mut spec: Value) -> Result<()> {
    if let (Some(force), Some(Value::Object(task))) = (
        old.spec.pointer("/TaskTemplate/ForceUpdate").cloned(),
        spec.get_mut("TaskTemplate"),
    ) {
        task.insert("ForceUpdate".to_owned(), force);
    }
    match client
        .update_service_spec(&old.id, old.version, &spec)
        .await
    {
        Err(err) if err.is_out_of_sequence() => {
            let name = name_of(&old);
            let fresh = client
                .service_specs(None)
                .await?
                .into_iter()
                .find(|s| s.id == old.id)
                .ok_or_else(|| FleetError::NotFound(format!("service {name} is gone")))?;
            client
                .update_service_spec(&fresh.id, fresh.version, &spec)
                .await?;
            Ok(())
        }
        other => other.map(drop).map_err(FleetError::from),
    }
}
