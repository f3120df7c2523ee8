//! Carrying a plan out as the CLI does: prune first, then networks, then secrets and
//! configs, then services (which refer to all of those), each group concurrently.

use std::collections::{BTreeMap, HashMap};

use flotilla_engine::{
    retry_on_stale_version, DockerClient, FileObjectKind, RegistryAuth, StoredObject,
};
use flotilla_stack::{Change, Plan, StackObjects};
use serde_json::Value;

use super::Swarmside;
use crate::registries::RegistryAuths;
use crate::{FleetError, Result};

fn planned(plan: &Plan, kind: &str, name: &str) -> Change {
    plan.objects
        .iter()
        .find(|o| o.kind == kind && o.name == name)
        .map_or(Change::Unchanged, |o| o.change)
}

/// Every spec checked against the Engine API's shapes before the first change.
pub(super) fn check_specs(objects: &StackObjects) -> Result<()> {
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
        _ => Err(FleetError::Several(failed)),
    }
}

pub(super) async fn apply(
    client: &DockerClient,
    (objects, auths): (&StackObjects, &RegistryAuths),
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
            let spec = flotilla_stack::with_reference_ids(spec.clone(), &ids);
            let existing = side.services.get(name).cloned();
            let image = spec
                .pointer("/TaskTemplate/ContainerSpec/Image")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let auth = auths.for_image(image);
            async move {
                match existing {
                    None => client
                        .create_service_spec(&spec, auth)
                        .await
                        .map(drop)
                        .map_err(FleetError::from),
                    Some(old) => update_service(client, old, spec, auth).await,
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

/// Updates against the version read, keeping `ForceUpdate` as the CLI does so an unchanged
/// spec does not restart tasks; a concurrent change makes it read the service again.
async fn update_service(
    client: &DockerClient,
    old: StoredObject,
    spec: Value,
    auth: Option<&RegistryAuth>,
) -> Result<()> {
    let old = &old;
    retry_on_stale_version(|attempt| {
        let mut spec = spec.clone();
        async move {
            let current = if attempt == 0 {
                old.clone()
            } else {
                client.service_spec(&old.id).await?
            };
            flotilla_stack::keep_force_update(&current.spec, &mut spec);
            client
                .update_service_spec(&current.id, current.version, &spec, auth)
                .await
                .map(drop)
        }
    })
    .await
    .map_err(FleetError::from)
}
