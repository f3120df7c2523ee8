//! A stack's images as its page shows them: each service's tag, the digest its tasks run on
//! each node, and, when asked (never polled), whether the registry has a newer digest.

use std::collections::{BTreeMap, HashMap};

use flotilla_stack::{
    split_digest, ImageCheck, ImageRef, NodeDigest, ServiceImages, LABEL_NAMESPACE,
};

use crate::services::image_of;
use crate::stacks::RESOLVE_TIME_LIMIT;
use crate::{Fleet, Result};

impl Fleet {
    pub async fn stack_images(&self, swarm: &str, stack: &str) -> Result<Vec<ServiceImages>> {
        let record = self.swarm(swarm).await?;
        let settings = self.push_settings(swarm, stack).await?;
        let label = format!("{LABEL_NAMESPACE}={stack}");
        let (services, tasks, nodes) = self
            .with_manager(&record, |client| async move {
                Ok(futures::try_join!(
                    client.service_specs(Some(&label)),
                    client.list_current_tasks(),
                    client.list_nodes(),
                )?)
            })
            .await?;
        let hostnames: HashMap<&str, &str> = nodes
            .iter()
            .map(|n| (n.id.as_str(), n.hostname.as_str()))
            .collect();
        let mut images: Vec<ServiceImages> = services
            .iter()
            .map(|service| {
                let (tag, digest) = split_digest(&image_of(&service.spec));
                let mut by_node: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
                for task in tasks.iter().filter(|t| t.service_id == service.id) {
                    let node = task
                        .node_id
                        .as_deref()
                        .map(|id| hostnames.get(id).copied().unwrap_or(id).to_owned())
                        .unwrap_or_else(|| "(not placed)".to_owned());
                    *by_node
                        .entry((node, split_digest(&task.image).1))
                        .or_default() += 1;
                }
                let key = service
                    .name()
                    .strip_prefix(&format!("{stack}_"))
                    .unwrap_or(service.name())
                    .to_owned();
                ServiceImages {
                    service: service.name().to_owned(),
                    follows_pushes: settings.whole_stack || settings.services.contains(&key),
                    key,
                    tag,
                    digest,
                    nodes: by_node
                        .into_iter()
                        .map(|((node, digest), tasks)| NodeDigest {
                            node,
                            digest,
                            tasks,
                        })
                        .collect(),
                }
            })
            .collect();
        images.sort_by(|a, b| a.service.cmp(&b.service));
        Ok(images)
    }

    /// Asks each service's registry what its tag is now, every tag at once, each within the
    /// look-up time limit.
    pub async fn check_newer_images(&self, swarm: &str, stack: &str) -> Result<Vec<ImageCheck>> {
        let record = self.swarm(swarm).await?;
        let client = self.manager(&record).await?;
        // Only the specs: where tasks run does not matter to what the registry has.
        let label = format!("{LABEL_NAMESPACE}={stack}");
        let services = client.service_specs(Some(&label)).await?;
        let auths = self.registry_auths().await?;
        let checks = services.iter().map(|service| {
            let (client, auths) = (&client, &auths);
            let (tag, digest) = split_digest(&image_of(&service.spec));
            async move {
                let mut check = ImageCheck {
                    service: service.name().to_owned(),
                    tag: tag.clone(),
                    running: digest,
                    latest: None,
                    newer: false,
                    note: None,
                };
                if ImageRef::parse(&tag).is_none() {
                    check.note = Some("not an image reference a registry can be asked about".into());
                    return check;
                }
                let asked = tokio::time::timeout(
                    RESOLVE_TIME_LIMIT,
                    client.distribution(&tag, auths.for_image(&tag)),
                )
                .await;
                match asked {
                    Ok(Ok(found)) => {
                        match &check.running {
                            Some(running) => check.newer = *running != found.digest,
                            None => {
                                check.note = Some(
                                    "the service is not pinned: each node pulled what the tag was when it started its tasks".into(),
                                )
                            }
                        }
                        check.latest = Some(found.digest);
                    }
                    Ok(Err(err)) => check.note = Some(err.to_string()),
                    Err(_) => {
                        check.note = Some(format!(
                            "the registry did not answer within {} s",
                            RESOLVE_TIME_LIMIT.as_secs()
                        ))
                    }
                }
                check
            }
        });
        let mut checks = futures::future::join_all(checks).await;
        checks.sort_by(|a, b| a.service.cmp(&b.service));
        Ok(checks)
    }
}
