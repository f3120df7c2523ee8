//! What an operator does to a service: scale it, redeploy it (new tasks, same spec), give it
//! another image, roll it back. Each writes against the service's current version and reads
//! it again when someone else got there first. A scale or an image update of a service whose
//! stack was deployed here is recorded in the stack file as a new version, so the next deploy
//! of the file keeps it.

use flotilla_engine::{retry_on_stale_version, DockerClient, ServiceRecord};
use flotilla_stack::{Field, ModeKind, Recorded, ServiceActionResult, StackInput, LABEL_IMAGE};
use flotilla_store::SwarmRecord;
use serde_json::{json, Value};

use super::{image_of, stack_of};
use crate::stacks::version_input;
use crate::{Fleet, FleetError, Result};

/// The most replicas a scale may ask for.
pub const MAX_REPLICAS: u64 = 10_000;

/// What an operator asks of a service, wherever the asking comes from (a page, the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceAction {
    Scale {
        replicas: u64,
    },
    Image {
        image: String,
    },
    /// New tasks, same spec.
    Redeploy,
    /// Back to the engine's previous spec.
    Rollback,
}

impl ServiceAction {
    /// The action's name in the audit log.
    pub fn audit_name(&self) -> &'static str {
        match self {
            Self::Scale { .. } => "service.scale",
            Self::Image { .. } => "service.image",
            Self::Redeploy => "service.redeploy",
            Self::Rollback => "service.rollback",
        }
    }

    /// What the audit log keeps of the request; `record` is whether a scale or an image
    /// update is to be written into the stack file.
    pub fn audit_request(&self, record: bool) -> Value {
        match self {
            Self::Scale { replicas } => json!({ "replicas": replicas, "record": record }),
            Self::Image { image } => json!({ "image": image, "record": record }),
            Self::Redeploy | Self::Rollback => json!({}),
        }
    }
}

/// Who changed a service and from where, noted in the stack version that records it.
#[derive(Debug, Clone, Copy)]
pub struct Recording<'a> {
    pub by: &'a str,
    /// "on the service page", "through the API".
    pub from: &'a str,
}

/// A new stack version that writes a change into the file, ready to store.
struct Prepared {
    stack: String,
    input: StackInput,
}

fn replicas_of(spec: &Value) -> u64 {
    spec.pointer("/Mode/Replicated/Replicas")
        .and_then(Value::as_u64)
        .unwrap_or(1)
}

/// Reads the service again unless this is the first attempt, which uses what was read.
async fn current(
    client: &DockerClient,
    found: &ServiceRecord,
    attempt: u32,
) -> flotilla_engine::Result<ServiceRecord> {
    if attempt == 0 {
        Ok(found.clone())
    } else {
        client.service(&found.id).await
    }
}

impl Fleet {
    /// The stack version that writes `value` as `field` of `service` into its stack's newest
    /// file, checked to say exactly that; `None` when the service's stack was not deployed
    /// here (there is no file to keep true).
    async fn prepare_record(
        &self,
        swarm: &SwarmRecord,
        service: &ServiceRecord,
        field: Field,
        value: &str,
    ) -> Result<Option<Prepared>> {
        let Some(stack) = stack_of(&service.spec) else {
            return Ok(None);
        };
        let Some(latest) = self.store.latest_stack_version(&swarm.id, &stack).await? else {
            return Ok(None);
        };
        let mut input = version_input(&latest)?;
        let key = service
            .name()
            .strip_prefix(&format!("{stack}_"))
            .unwrap_or(service.name())
            .to_owned();
        let refused = |reason: String| {
            FleetError::invalid(
                "record",
                format!("cannot record this in stack {stack}'s file: {reason}; do it without recording, or edit the file"),
            )
        };
        match flotilla_stack::record(&input.compose, &key, field, value).map_err(refused)? {
            Recorded::Text(text) => input.compose = text,
            Recorded::Variable { name, value } => {
                input.env.insert(name, value);
            }
        }
        let checked = self
            .check(&stack, &input)
            .await
            .map_err(|e| refused(e.to_string()))?;
        let spec = checked
            .objects
            .services
            .get(service.name())
            .ok_or_else(|| refused(format!("the file no longer makes {}", service.name())))?;
        let written = match field {
            Field::Replicas => replicas_of(spec).to_string(),
            Field::Image => image_of(spec),
        };
        if written != value {
            return Err(refused(format!(
                "the file would say {written}, not {value}"
            )));
        }
        Ok(Some(Prepared { stack, input }))
    }

    async fn store_record(
        &self,
        swarm: &SwarmRecord,
        prepared: Option<Prepared>,
        recording: Option<Recording<'_>>,
        note: String,
    ) -> Result<Option<i64>> {
        match (prepared, recording) {
            (Some(prepared), Some(recording)) => {
                let note = format!("{note} by {} {}", recording.by, recording.from);
                let version = self
                    .record_version(
                        swarm,
                        &prepared.stack,
                        &prepared.input,
                        (recording.by, &note),
                    )
                    .await?;
                Ok(Some(version))
            }
            _ => Ok(None),
        }
    }

    /// Does `action` to `service`; a scale or an image update is recorded in the stack file
    /// when `record` says who asked.
    pub async fn act_on_service(
        &self,
        swarm: &str,
        service: &str,
        action: &ServiceAction,
        record: Option<Recording<'_>>,
    ) -> Result<ServiceActionResult> {
        match action {
            ServiceAction::Scale { replicas } => {
                self.scale_service(swarm, service, *replicas, record).await
            }
            ServiceAction::Image { image } => {
                self.update_service_image(swarm, service, image, record)
                    .await
            }
            ServiceAction::Redeploy => self.redeploy_service(swarm, service).await,
            ServiceAction::Rollback => self.rollback_service(swarm, service).await,
        }
    }

    /// `docker service scale SERVICE=N`, recorded in the stack file when `record` says who.
    pub async fn scale_service(
        &self,
        swarm: &str,
        service: &str,
        replicas: u64,
        record: Option<Recording<'_>>,
    ) -> Result<ServiceActionResult> {
        if replicas > MAX_REPLICAS {
            return Err(FleetError::invalid(
                "replicas",
                format!(
                    "{replicas} is more than the {MAX_REPLICAS} replicas a service may ask for"
                ),
            ));
        }
        let swarm = self.swarm(swarm).await?;
        let client = self.manager(&swarm).await?;
        let found = client.service(service).await?;
        let name = found.name().to_owned();
        match ModeKind::of(&found.spec) {
            Some(ModeKind::Replicated) | None => {}
            Some(ModeKind::Global) => {
                return Err(FleetError::invalid(
                    "replicas",
                    format!("{name} is a global service: it runs one task on every eligible node and has no replicas to scale"),
                ))
            }
            Some(ModeKind::ReplicatedJob | ModeKind::GlobalJob) => {
                return Err(FleetError::invalid(
                    "replicas",
                    format!("{name} is a job: it runs to completion; change its completions in the stack file"),
                ))
            }
        }
        let _serial = self.lock_stack(&swarm.id, stack_of(&found.spec)).await?;
        let prepared = match record {
            Some(_) => {
                self.prepare_record(&swarm, &found, Field::Replicas, &replicas.to_string())
                    .await?
            }
            None => None,
        };
        let before = replicas_of(&found.spec);
        let warnings = retry_on_stale_version(|attempt| {
            let (client, found) = (&client, &found);
            async move {
                let mut now = current(client, found, attempt).await?;
                if let Some(Value::Object(mode)) = now.spec.get_mut("Mode") {
                    mode.insert("Replicated".into(), json!({ "Replicas": replicas }));
                }
                // No credentials: the engine keeps those the service was given.
                client
                    .update_service_spec(&now.id, now.version, &now.spec, None)
                    .await
            }
        })
        .await;
        let warnings = self.engine_result(&swarm, warnings)?;
        let recorded = self
            .store_record(
                &swarm,
                prepared,
                record,
                format!("scaled {name} {before} → {replicas}"),
            )
            .await?;
        Ok(ServiceActionResult {
            service: name,
            warnings,
            recorded_version: recorded,
        })
    }

    /// `docker service update --image IMAGE`, recorded in the stack file when `record` says
    /// who. A stack's service keeps its `com.docker.stack.image` label in step.
    pub async fn update_service_image(
        &self,
        swarm: &str,
        service: &str,
        image: &str,
        record: Option<Recording<'_>>,
    ) -> Result<ServiceActionResult> {
        flotilla_stack::check_image_reference(image)
            .map_err(|m| FleetError::invalid("image", m))?;
        let swarm = self.swarm(swarm).await?;
        let client = self.manager(&swarm).await?;
        let found = client.service(service).await?;
        let name = found.name().to_owned();
        let _serial = self.lock_stack(&swarm.id, stack_of(&found.spec)).await?;
        let prepared = match record {
            Some(_) => {
                self.prepare_record(&swarm, &found, Field::Image, image)
                    .await?
            }
            None => None,
        };
        let before = image_of(&found.spec);
        let auths = self.registry_auths().await?;
        let auth = auths.for_image(image);
        let warnings = retry_on_stale_version(|attempt| {
            let (client, found) = (&client, &found);
            async move {
                let mut now = current(client, found, attempt).await?;
                if let Some(target) = now.spec.pointer_mut("/TaskTemplate/ContainerSpec/Image") {
                    *target = json!(image);
                }
                if let Some(label) = now.spec.pointer_mut(&format!("/Labels/{LABEL_IMAGE}")) {
                    *label = json!(image);
                }
                client
                    .update_service_spec(&now.id, now.version, &now.spec, auth)
                    .await
            }
        })
        .await;
        let warnings = self.engine_result(&swarm, warnings)?;
        let recorded = self
            .store_record(
                &swarm,
                prepared,
                record,
                format!("{name}: image {before} → {image}"),
            )
            .await?;
        Ok(ServiceActionResult {
            service: name,
            warnings,
            recorded_version: recorded,
        })
    }

    /// `docker service update --force`: new tasks from the same spec.
    pub async fn redeploy_service(
        &self,
        swarm: &str,
        service: &str,
    ) -> Result<ServiceActionResult> {
        let swarm = self.swarm(swarm).await?;
        let client = self.manager(&swarm).await?;
        let found = client.service(service).await?;
        let warnings = retry_on_stale_version(|attempt| {
            let (client, found) = (&client, &found);
            async move {
                let mut now = current(client, found, attempt).await?;
                let force = now
                    .spec
                    .pointer("/TaskTemplate/ForceUpdate")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                if let Some(Value::Object(task)) = now.spec.get_mut("TaskTemplate") {
                    task.insert("ForceUpdate".into(), json!(force + 1));
                }
                // No credentials: the engine keeps those the service was given.
                client
                    .update_service_spec(&now.id, now.version, &now.spec, None)
                    .await
            }
        })
        .await;
        Ok(ServiceActionResult {
            service: found.name().to_owned(),
            warnings: self.engine_result(&swarm, warnings)?,
            recorded_version: None,
        })
    }

    /// `docker service rollback`: back to the spec before the last update.
    pub async fn rollback_service(
        &self,
        swarm: &str,
        service: &str,
    ) -> Result<ServiceActionResult> {
        let swarm = self.swarm(swarm).await?;
        let client = self.manager(&swarm).await?;
        let found = client.service(service).await?;
        if !found.has_previous {
            return Err(FleetError::Conflict(format!(
                "{} has no previous spec to roll back to",
                found.name()
            )));
        }
        let warnings = retry_on_stale_version(|attempt| {
            let (client, found) = (&client, &found);
            async move {
                let now = current(client, found, attempt).await?;
                client
                    .rollback_service(&now.id, now.version, &now.spec)
                    .await
            }
        })
        .await;
        Ok(ServiceActionResult {
            service: found.name().to_owned(),
            warnings: self.engine_result(&swarm, warnings)?,
            recorded_version: None,
        })
    }

    /// An engine result as the fleet's, forgetting a manager that failed.
    fn engine_result<T>(
        &self,
        swarm: &SwarmRecord,
        result: flotilla_engine::Result<T>,
    ) -> Result<T> {
        self.live_touched(&swarm.id);
        result.map_err(|err| {
            let err = FleetError::from(err);
            self.engine_failed(swarm, &err);
            err
        })
    }
}
