//! Images pinned to their registry digests as `docker stack deploy --resolve-image` pins
//! them: the manager's engine asks each image's registry (with the registry's credentials,
//! when it is registered) for the digest its tag has now, every image of a stack at once and
//! each within [`RESOLVE_TIME_LIMIT`]. An image that cannot be looked up keeps its tag, with
//! the CLI's warning; a registered registry that refuses its credentials or does not have the
//! image is a plan problem, so the deploy stops before anything changes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use flotilla_engine::{DockerClient, EngineError, ImageDistribution};
use flotilla_stack::{Current, ImageRef, ImageResolution, ResolveImage, StackObjects};
use serde_json::{json, Value};

use crate::registries::RegistryAuths;
use crate::services::image_of;
use crate::Fleet;

/// How long one image's look-up may take. A registry that does not answer (a public one from
/// a machine without internet waits 20 s on DNS) must not hold a deploy up.
pub(crate) const RESOLVE_TIME_LIMIT: Duration = Duration::from_secs(5);

/// How long a registry that did not answer in time is not asked again: a stack's plan, then
/// its deploy, then the next edit's plan would otherwise each wait the full limit.
const UNANSWERED_FOR: Duration = Duration::from_secs(60);

/// Registries that lately did not answer a look-up in time, with when that was.
#[derive(Debug, Default)]
pub(crate) struct UnansweredRegistries(std::sync::Mutex<HashMap<String, Instant>>);

impl UnansweredRegistries {
    fn lately(&self, registry: &str) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, at| at.elapsed() < UNANSWERED_FOR);
        map.contains_key(registry)
    }

    fn mark(&self, registry: &str) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(registry.to_owned(), Instant::now());
    }

    fn answered(&self, registry: &str) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(registry);
    }
}

/// What resolving a stack's images found.
#[derive(Debug, Default)]
pub(super) struct Resolved {
    pub images: Vec<ImageResolution>,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

/// Why a look-up gave no digest.
enum Failure {
    /// The registry did not answer, or not in time: the tag is deployed, with a warning.
    Unanswered(String),
    /// The registry answered no: its credentials or the image are wrong.
    Refused(String),
}

fn failure(err: EngineError) -> Failure {
    match err {
        EngineError::Api {
            status, message, ..
        } => {
            let lower = message.to_ascii_lowercase();
            let refused = matches!(status, Some(401 | 403 | 404))
                || ["unauthorized", "denied", "manifest unknown", "not found"]
                    .iter()
                    .any(|word| lower.contains(word));
            if refused
                && !["no such host", "i/o timeout", "connection refused"]
                    .iter()
                    .any(|word| lower.contains(word))
            {
                Failure::Refused(message)
            } else {
                Failure::Unanswered(message)
            }
        }
        other => Failure::Unanswered(other.to_string()),
    }
}

/// The CLI's words for an image deployed by its tag (`digestWarning`).
fn digest_warning(image: &str, why: &str) -> String {
    format!(
        "image {image} could not be accessed on a registry to record its digest ({why}). Each \
         node will access {image} independently, possibly leading to different nodes running \
         different versions of the image."
    )
}

/// `Placement.Platforms` as the CLI records them from a look-up (`arm` without its
/// architecture: nodes report `armv7l` and would never match).
fn platforms(distribution: &ImageDistribution) -> Value {
    let list: Vec<Value> = distribution
        .platforms
        .iter()
        .map(|(arch, os)| {
            let arch = if arch.eq_ignore_ascii_case("arm") {
                ""
            } else {
                arch.as_str()
            };
            let mut platform = serde_json::Map::new();
            if !arch.is_empty() {
                platform.insert("Architecture".into(), json!(arch));
            }
            if !os.is_empty() {
                platform.insert("OS".into(), json!(os));
            }
            Value::Object(platform)
        })
        .collect();
    Value::Array(list)
}

impl Fleet {
    /// Pins the stack's images to their digests as `mode` says, on the objects a deploy will
    /// send. Images on a registered registry are looked up in every mode: that is how a wrong
    /// password or a missing image stops the deploy before it changes anything.
    pub(super) async fn resolve_images(
        &self,
        client: &DockerClient,
        (objects, current): (&mut StackObjects, &Current),
        mode: ResolveImage,
        auths: &RegistryAuths,
    ) -> Resolved {
        let kept: BTreeSet<String> = match mode {
            ResolveImage::Always => BTreeSet::new(),
            ResolveImage::Changed | ResolveImage::Never => {
                flotilla_stack::keep_resolved_images(objects, current)
                    .into_iter()
                    .collect()
            }
        };
        // Service → (image as the spec names it, whether to pin it).
        let mut wanted: BTreeMap<String, (String, bool)> = BTreeMap::new();
        for (name, spec) in &objects.services {
            let image = image_of(spec);
            let pin = mode != ResolveImage::Never && !kept.contains(name);
            let registered = auths.for_image(&image).is_some();
            if (pin || registered) && ImageRef::parse(&image).is_some() {
                wanted.insert(name.clone(), (image, pin));
            }
        }
        let unique: BTreeSet<&String> = wanted.values().map(|(image, _)| image).collect();
        let lookups = unique.into_iter().map(|image| async move {
            let registry = flotilla_stack::image_registry(image).to_owned();
            if self.unanswered_registries.lately(&registry) {
                let why = format!(
                    "{registry} did not answer a look-up within {} s in the last minute",
                    RESOLVE_TIME_LIMIT.as_secs()
                );
                return (image.clone(), Err(Failure::Unanswered(why)));
            }
            let auth = auths.for_image(image);
            let answer =
                tokio::time::timeout(RESOLVE_TIME_LIMIT, client.distribution(image, auth)).await;
            let result = match answer {
                Ok(Ok(found)) if !found.digest.is_empty() => {
                    self.unanswered_registries.answered(&registry);
                    Ok(found)
                }
                Ok(Ok(_)) => Err(Failure::Unanswered(format!("{registry} gave no digest"))),
                Ok(Err(err)) => Err(failure(err)),
                Err(_) => {
                    self.unanswered_registries.mark(&registry);
                    Err(Failure::Unanswered(format!(
                        "{registry} did not answer within {} s",
                        RESOLVE_TIME_LIMIT.as_secs()
                    )))
                }
            };
            (image.clone(), result)
        });
        let answers: HashMap<String, Result<ImageDistribution, Failure>> =
            futures::future::join_all(lookups)
                .await
                .into_iter()
                .collect();

        let mut resolved = Resolved::default();
        let mut warned = BTreeSet::new();
        for (service, (image, pin)) in wanted {
            let registry = flotilla_stack::image_registry(&image).to_owned();
            let mut line = ImageResolution {
                service: service.clone(),
                image: image.clone(),
                digest: None,
                note: None,
            };
            match answers.get(&image) {
                Some(Ok(found)) => {
                    line.digest = Some(found.digest.clone());
                    if pin {
                        if let Some(spec) = objects.services.get_mut(&service) {
                            pin_spec(spec, &image, found);
                        }
                    } else {
                        line.note = Some("kept: this deploy does not pin images".into());
                    }
                }
                Some(Err(Failure::Refused(message))) if auths.for_image(&image).is_some() => {
                    resolved.problems.push(format!(
                        "service {service}: registry {registry} refused image {image} with the \
                         credentials saved for it: {message} (check the image's name and tag, \
                         or the registry's password on the Registries page)"
                    ));
                    line.note = Some(message.clone());
                }
                Some(Err(Failure::Refused(why) | Failure::Unanswered(why))) => {
                    line.note = Some(why.clone());
                    if pin && warned.insert(image.clone()) {
                        resolved.warnings.push(digest_warning(&image, why));
                    }
                }
                None => {}
            }
            resolved.images.push(line);
        }
        resolved
    }
}

/// The spec's image pinned to the digest found, with the image's platforms, as the CLI's
/// `resolveContainerSpecImage` sets them.
pub(crate) fn pin_spec(spec: &mut Value, image: &str, found: &ImageDistribution) {
    let pinned = flotilla_stack::pinned_image(image, &found.digest);
    if let Some(slot) = spec.pointer_mut("/TaskTemplate/ContainerSpec/Image") {
        *slot = json!(pinned);
    }
    if found.platforms.is_empty() {
        return;
    }
    if let Some(task) = spec.get_mut("TaskTemplate").and_then(Value::as_object_mut) {
        let placement = task
            .entry("Placement")
            .or_insert_with(|| json!({}))
            .as_object_mut();
        if let Some(placement) = placement {
            placement.insert("Platforms".into(), platforms(found));
        }
    }
}
