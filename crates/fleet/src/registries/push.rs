//! Redeploy on push, as Docker Cloud's "autoredeploy": a registry notifies the console of
//! every push (distribution's notifications, `POST /hooks/registry/{token}`), and each service
//! that runs the pushed repository and tag and follows it (alone, or with its whole stack) is
//! updated to the tag's new digest, recorded as a new stack version.
//!
//! The event is only a hint: the digest deployed is the one the registry gives for the tag
//! when asked with the saved credentials, so a forged or replayed event can at most make the
//! console ask, and a service already on that digest is left alone. Events seen before (by
//! the registry's event ID) are ignored outright.

use std::collections::{BTreeMap, BTreeSet};

use flotilla_engine::{retry_on_stale_version, RegistryAuth};
use flotilla_stack::{ImageRef, LABEL_NAMESPACE};
use flotilla_store::{PushRedeploy, Registry, StoreError};
use serde::{Deserialize, Serialize};

use crate::services::image_of;
use crate::stacks::{pin_spec, version_input, RESOLVE_TIME_LIMIT};
use crate::{Fleet, FleetError, Result};

/// Events one notification may carry; distribution sends a handful at most.
pub const MAX_PUSH_EVENTS: usize = 100;

#[derive(Debug, Deserialize)]
struct Envelope {
    events: Vec<Event>,
}

#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    action: String,
    target: Target,
    #[serde(default)]
    actor: Actor,
    #[serde(default)]
    request: Request,
}

#[derive(Debug, Default, Deserialize)]
struct Target {
    #[serde(default)]
    repository: String,
    #[serde(default)]
    tag: String,
}

#[derive(Debug, Default, Deserialize)]
struct Actor {
    #[serde(default)]
    name: String,
}

#[derive(Debug, Default, Deserialize)]
struct Request {
    #[serde(default)]
    addr: String,
}

/// One service a push concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRedeployed {
    pub swarm: String,
    pub service: String,
    /// What it runs now (or still, when nothing changed).
    pub image: String,
    /// `redeployed`, `unchanged` (already on that digest) or `failed`.
    pub outcome: String,
    pub version: Option<i64>,
    pub error: Option<String>,
}

/// What a notification did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOutcome {
    pub registry: String,
    /// `repository:tag` of each new push acted on.
    pub pushes: Vec<String>,
    /// Events skipped, each with why (a pull, a blob, a replay).
    pub ignored: Vec<String>,
    pub services: Vec<PushRedeployed>,
}

/// Whether redeploy-on-push is on for a stack, and for which of its services.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct PushSettings {
    pub whole_stack: bool,
    /// Service names as the stack file has them.
    pub services: Vec<String>,
}

pub(crate) fn check_name(field: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(FleetError::invalid(
            field,
            format!("`{name}` is not a name: letters, digits, `_`, `.` and `-`"),
        ))
    }
}

impl Fleet {
    /// Makes the registry at `address` a new notification token, which stops the one before.
    pub async fn rotate_registry_hook(&self, address: &str) -> Result<String> {
        match self.store.rotate_registry_hook(address).await {
            Err(StoreError::NoSuchRegistry(_)) => {
                Err(FleetError::NotFound(format!("no registry at `{address}`")))
            }
            other => Ok(other?),
        }
    }

    /// Turns redeploy-on-push on or off for `service` of `stack` (none: the whole stack).
    pub async fn set_push_redeploy(
        &self,
        swarm: &str,
        (stack, service): (&str, Option<&str>),
        on: bool,
        by: &str,
    ) -> Result<PushSettings> {
        check_name("stack", stack)?;
        if let Some(service) = service {
            check_name("service", service)?;
        }
        let record = self.swarm(swarm).await?;
        let entry = PushRedeploy {
            swarm_id: record.id.clone(),
            stack: stack.to_owned(),
            service: service.unwrap_or_default().to_owned(),
        };
        self.store.set_push_redeploy(&entry, by, on).await?;
        self.push_settings(swarm, stack).await
    }

    pub async fn push_settings(&self, swarm: &str, stack: &str) -> Result<PushSettings> {
        let record = self.swarm(swarm).await?;
        let rows = self.store.push_redeploys(Some((&record.id, stack))).await?;
        Ok(PushSettings {
            whole_stack: rows.iter().any(|r| r.service.is_empty()),
            services: rows
                .into_iter()
                .filter(|r| !r.service.is_empty())
                .map(|r| r.service)
                .collect(),
        })
    }

    /// The address of the registry whose notification token is `token`.
    pub async fn hook_registry(&self, token: &str) -> Result<String> {
        let unknown = || FleetError::NotFound("no registry has this notification token".into());
        if token.len() > 128 {
            return Err(unknown());
        }
        let registry = self
            .store
            .registry_by_hook(token)
            .await?
            .ok_or_else(unknown)?;
        Ok(registry.address)
    }

    /// Acts on a registry's notification sent with `token`: an unknown token is
    /// [`FleetError::NotFound`] and nothing is read.
    pub async fn registry_push(&self, token: &str, body: &[u8]) -> Result<PushOutcome> {
        let unknown = || FleetError::NotFound("no registry has this notification token".into());
        if token.len() > 128 {
            return Err(unknown());
        }
        let registry = self
            .store
            .registry_by_hook(token)
            .await?
            .ok_or_else(unknown)?;
        let envelope: Envelope = serde_json::from_slice(body).map_err(|err| {
            FleetError::invalid("events", format!("not a registry notification: {err}"))
        })?;
        if envelope.events.len() > MAX_PUSH_EVENTS {
            return Err(FleetError::invalid(
                "events",
                format!("more than {MAX_PUSH_EVENTS} events in one notification"),
            ));
        }
        let mut outcome = PushOutcome {
            registry: registry.address.clone(),
            ..PushOutcome::default()
        };
        // Each tag once, however many events name it: the registry is asked for its digest.
        let mut pushes: BTreeMap<(String, String), String> = BTreeMap::new();
        for event in envelope.events {
            if event.action != "push" || event.target.tag.is_empty() {
                outcome.ignored.push(format!(
                    "{}: {} of {} without a tag",
                    event.id, event.action, event.target.repository
                ));
                continue;
            }
            if event.id.is_empty() || event.id.len() > 128 {
                outcome.ignored.push("an event without a usable ID".into());
                continue;
            }
            let named = format!(
                "{}/{}:{}",
                registry.address, event.target.repository, event.target.tag
            );
            if ImageRef::parse(&named).is_none_or(|r| r.tag.is_none() || r.digest.is_some()) {
                outcome
                    .ignored
                    .push(format!("{}: not a repository and tag", event.id));
                continue;
            }
            if !self.store.first_registry_event(&event.id).await? {
                outcome.ignored.push(format!("{}: seen before", event.id));
                continue;
            }
            let source = format!(
                "event {} (pushed by {} from {})",
                event.id,
                if event.actor.name.is_empty() {
                    "?"
                } else {
                    &event.actor.name
                },
                if event.request.addr.is_empty() {
                    "?"
                } else {
                    &event.request.addr
                },
            );
            pushes.insert((event.target.repository, event.target.tag), source);
        }
        if pushes.is_empty() {
            return Ok(outcome);
        }
        let followers = self.store.push_redeploys(None).await?;
        for ((repository, tag), source) in pushes {
            outcome.pushes.push(format!("{repository}:{tag}"));
            let done = self
                .redeploy_followers(&registry, (&repository, &tag), &source, &followers)
                .await;
            outcome.services.extend(done);
        }
        Ok(outcome)
    }

    /// Every following service that runs `registry/repository:tag`, on every swarm.
    async fn redeploy_followers(
        &self,
        registry: &Registry,
        (repository, tag): (&str, &str),
        source: &str,
        followers: &[PushRedeploy],
    ) -> Vec<PushRedeployed> {
        let auth = RegistryAuth {
            server: registry.address.clone(),
            username: registry.username.clone(),
            secret: registry.secret.clone(),
        };
        let mut by_swarm: BTreeMap<&str, BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
        for f in followers {
            by_swarm
                .entry(&f.swarm_id)
                .or_default()
                .entry(&f.stack)
                .or_default()
                .insert(&f.service);
        }
        let tagged = format!("{}/{repository}:{tag}", registry.address);
        let mut done = Vec::new();
        for (swarm_id, stacks) in by_swarm {
            let failed = |service: String, error: String| PushRedeployed {
                swarm: swarm_id.to_owned(),
                service,
                image: tagged.clone(),
                outcome: "failed".into(),
                version: None,
                error: Some(error),
            };
            let record = match self.swarm(swarm_id).await {
                Ok(record) => record,
                Err(_) => continue, // a swarm no longer managed: its rows are stale.
            };
            let client = match self.manager(&record).await {
                Ok(client) => client,
                Err(err) => {
                    done.push(failed(String::new(), err.to_string()));
                    continue;
                }
            };
            for (stack, services) in stacks {
                let label = format!("{LABEL_NAMESPACE}={stack}");
                let specs = match client.service_specs(Some(&label)).await {
                    Ok(specs) => specs,
                    Err(err) => {
                        done.push(failed(stack.to_owned(), err.to_string()));
                        continue;
                    }
                };
                for service in specs {
                    let key = service
                        .name()
                        .strip_prefix(&format!("{stack}_"))
                        .unwrap_or(service.name());
                    let follows = services.contains("") || services.contains(key);
                    let runs = ImageRef::parse(&image_of(&service.spec)).is_some_and(|r| {
                        r.domain == registry.address
                            && r.path == repository
                            && r.tag.as_deref().unwrap_or("latest") == tag
                    });
                    if !(follows && runs) {
                        continue;
                    }
                    let name = service.name().to_owned();
                    let result = self
                        .redeploy_to_tag(&record, (&client, &service.id), (&tagged, &auth), source)
                        .await;
                    done.push(match result {
                        Ok(line) => PushRedeployed {
                            swarm: record.name.clone(),
                            ..line
                        },
                        Err(err) => PushRedeployed {
                            swarm: record.name.clone(),
                            ..failed(name, err.to_string())
                        },
                    });
                }
            }
            self.live_touched(&record.id);
        }
        done
    }

    /// Points one service at the digest `tagged` has on its registry now, unless it runs it.
    async fn redeploy_to_tag(
        &self,
        swarm: &flotilla_store::SwarmRecord,
        (client, id): (&flotilla_engine::DockerClient, &str),
        (tagged, auth): (&str, &RegistryAuth),
        source: &str,
    ) -> Result<PushRedeployed> {
        let found =
            tokio::time::timeout(RESOLVE_TIME_LIMIT, client.distribution(tagged, Some(auth)))
                .await
                .map_err(|_| {
                    FleetError::Busy(format!(
                        "{} did not give the digest of {tagged} within {} s",
                        auth.server,
                        RESOLVE_TIME_LIMIT.as_secs()
                    ))
                })??;
        let first = client.service(id).await?;
        let name = first.name().to_owned();
        let stack = crate::services::stack_of(&first.spec);
        let _serial = self.lock_stack(&swarm.id, stack.clone()).await?;
        let pinned = flotilla_stack::pinned_image(tagged, &found.digest);
        let running = image_of(&first.spec);
        if running == pinned {
            return Ok(PushRedeployed {
                swarm: swarm.name.clone(),
                service: name,
                image: running,
                outcome: "unchanged".into(),
                version: None,
                error: None,
            });
        }
        let updated = retry_on_stale_version(|attempt| {
            let first = &first;
            let found = &found;
            async move {
                let mut now = if attempt == 0 {
                    first.clone()
                } else {
                    client.service(id).await?
                };
                pin_spec(&mut now.spec, tagged, found);
                client
                    .update_service_spec(&now.id, now.version, &now.spec, Some(auth))
                    .await
            }
        })
        .await;
        self.live_touched(&swarm.id);
        updated?;
        let mut version = None;
        if let Some(stack) = &stack {
            if let Some(latest) = self.store.latest_stack_version(&swarm.id, stack).await? {
                let input = version_input(&latest)?;
                let by = format!("registry {}", auth.server);
                let note = format!(
                    "{name}: redeployed on push of {tagged} ({}), {source}",
                    found.digest
                );
                version = Some(
                    self.record_version(swarm, stack, &input, (&by, &note))
                        .await?,
                );
            }
        }
        Ok(PushRedeployed {
            swarm: swarm.name.clone(),
            service: name,
            image: pinned,
            outcome: "redeployed".into(),
            version,
            error: None,
        })
    }
}
