//! Redeploy webhooks, `POST /hooks/{token}`: a stack's hook deploys its newest version again
//! (so tags are resolved to the digests they have now); a service's forces new tasks, or with
//! a tag switches its image to that tag and writes the change into the stack file.

use flotilla_stack::{ImageRef, WebhookInfo, WebhookOutcome, WebhookSecret};
use flotilla_store::{Role, Webhook};

use crate::services::{image_of, stack_of};
use crate::{Fleet, FleetError, Recording, Result};

/// Hooks one swarm may have: each is a row and a secret to manage, and hundreds is plenty.
pub const MAX_WEBHOOKS_PER_SWARM: i64 = 200;

/// A hook found by its token, with what its call is audited against: `SWARM/STACK` for a
/// stack's hook, as the stack's deploys are (so a call cut short shows on the stack's page),
/// `SWARM/STACK/SERVICE` for a service's.
#[derive(Debug, Clone)]
pub struct CalledWebhook {
    pub hook: WebhookInfo,
    pub audit_target: String,
}

fn info(hook: Webhook) -> WebhookInfo {
    WebhookInfo {
        id: hook.id,
        stack: hook.stack,
        service: (!hook.service.is_empty()).then_some(hook.service),
        created_by: hook.created_by,
        created_at: hook.created_at,
        last_called_at: hook.last_called_at,
    }
}

/// A tag as distribution's grammar has it: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(tag: &str) -> Result<()> {
    let mut chars = tag.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if first_ok
        && tag.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        Ok(())
    } else {
        Err(FleetError::invalid(
            "tag",
            "a tag is up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`",
        ))
    }
}

/// `image` with its tag replaced by `tag` (and no digest): `shop/web:1@sha…` → `shop/web:2`.
fn retagged(image: &str, tag: &str) -> Result<String> {
    let reference = ImageRef::parse(image).ok_or_else(|| {
        FleetError::Conflict(format!(
            "the service's image `{image}` is not a reference a tag can be put on"
        ))
    })?;
    Ok(format!("{}:{tag}", reference.familiar_name()))
}

impl Fleet {
    async fn new_webhook(
        &self,
        swarm_id: &str,
        target: (&str, &str),
        by: &str,
    ) -> Result<WebhookSecret> {
        if self.store.webhook_count(swarm_id).await? >= MAX_WEBHOOKS_PER_SWARM {
            return Err(FleetError::Conflict(format!(
                "this swarm has {MAX_WEBHOOKS_PER_SWARM} webhooks already: revoke one first"
            )));
        }
        let (hook, token) = self.store.create_webhook(swarm_id, target, by).await?;
        Ok(WebhookSecret {
            hook: info(hook),
            token,
        })
    }

    /// Makes a hook that redeploys the newest version of `stack`, which must have one.
    pub async fn create_stack_webhook(
        &self,
        swarm: &str,
        stack: &str,
        by: &str,
    ) -> Result<WebhookSecret> {
        crate::registries::check_name("stack", stack)?;
        let record = self.swarm(swarm).await?;
        if self
            .store
            .latest_stack_version(&record.id, stack)
            .await?
            .is_none()
        {
            return Err(FleetError::NoVersion {
                stack: stack.to_owned(),
            });
        }
        self.new_webhook(&record.id, (stack, ""), by).await
    }

    /// Makes a hook that updates `service`, which must run on the swarm now.
    pub async fn create_service_webhook(
        &self,
        swarm: &str,
        service: &str,
        by: &str,
    ) -> Result<WebhookSecret> {
        crate::registries::check_name("service", service)?;
        let record = self.swarm(swarm).await?;
        let client = self.manager(&record).await?;
        let found = client.service(service).await?;
        let stack = stack_of(&found.spec).unwrap_or_default();
        self.new_webhook(&record.id, (&stack, found.name()), by)
            .await
    }

    /// The hooks of `stack`, its services' included.
    pub async fn stack_webhooks(&self, swarm: &str, stack: &str) -> Result<Vec<WebhookInfo>> {
        let record = self.swarm(swarm).await?;
        let hooks = self.store.webhooks(&record.id, stack).await?;
        Ok(hooks.into_iter().map(info).collect())
    }

    /// The hooks of one service.
    pub async fn service_webhooks(&self, swarm: &str, service: &str) -> Result<Vec<WebhookInfo>> {
        let record = self.swarm(swarm).await?;
        let hooks = self.store.service_webhooks(&record.id, service).await?;
        Ok(hooks.into_iter().map(info).collect())
    }

    /// Hook `id` of `swarm`, or not found: a hook of another swarm is not reachable by
    /// naming this one.
    async fn swarm_webhook(&self, swarm: &str, id: &str) -> Result<Webhook> {
        let record = self.swarm(swarm).await?;
        match self.store.webhook(id).await? {
            Some(hook) if hook.swarm_id == record.id => Ok(hook),
            _ => Err(FleetError::NotFound(format!(
                "no webhook {id} on swarm {swarm}"
            ))),
        }
    }

    /// A new token for hook `id`; the old one stops working.
    pub async fn rotate_webhook(&self, swarm: &str, id: &str) -> Result<WebhookSecret> {
        let hook = self.swarm_webhook(swarm, id).await?;
        let token = self
            .store
            .rotate_webhook(id)
            .await?
            .ok_or_else(|| FleetError::NotFound(format!("no webhook {id}")))?;
        Ok(WebhookSecret {
            hook: info(hook),
            token,
        })
    }

    /// Removes hook `id`; revoking one already gone is not an error (safe to retry).
    pub async fn revoke_webhook(&self, swarm: &str, id: &str) -> Result<()> {
        match self.swarm_webhook(swarm, id).await {
            Ok(_) => {
                self.store.revoke_webhook(id).await?;
                Ok(())
            }
            Err(FleetError::NotFound(_)) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// The hook whose token is `token`. Unknown tokens cost one indexed look-up of the
    /// token's hash, as known ones do. A hook acts for whoever made it: once they may no
    /// longer deploy (removed, disabled, demoted, their token revoked or expired), it is
    /// as unknown.
    pub async fn webhook_for(&self, token: &str) -> Result<CalledWebhook> {
        let unknown = || FleetError::NotFound("no webhook has this token".into());
        let hook = self.store.call_webhook(token).await?.ok_or_else(unknown)?;
        if !self.may_still_deploy(&hook.created_by).await? {
            return Err(unknown());
        }
        let swarm = self.swarm(&hook.swarm_id).await?.name;
        let audit_target = match hook.service.as_str() {
            "" => format!("{swarm}/{}", hook.stack),
            service => format!("{swarm}/{}/{service}", hook.stack),
        };
        Ok(CalledWebhook {
            hook: info(hook),
            audit_target,
        })
    }

    async fn may_still_deploy(&self, principal: &str) -> Result<bool> {
        if let Some(name) = principal.strip_prefix("token:") {
            let now = flotilla_store::now_millis();
            let tokens = self.store.list_tokens().await?;
            return Ok(tokens
                .iter()
                .any(|t| t.name == name && !t.is_expired(now) && t.role.allows(Role::Operator)));
        }
        Ok(self
            .store
            .find_user(principal)
            .await?
            .is_some_and(|user| !user.is_disabled() && user.role.allows(Role::Operator)))
    }

    /// Does what hook `id` is for, as `by` (the hook) called from `from`.
    pub async fn fire_webhook(
        &self,
        id: &str,
        tag: Option<&str>,
        (by, from): (&str, &str),
    ) -> Result<WebhookOutcome> {
        let hook = self
            .store
            .webhook(id)
            .await?
            .ok_or_else(|| FleetError::NotFound("no webhook has this token".into()))?;
        let record = self.swarm(&hook.swarm_id).await?;
        if let Some(tag) = tag {
            check_tag(tag)?;
        }
        if hook.service.is_empty() {
            if tag.is_some() {
                return Err(FleetError::invalid(
                    "tag",
                    "a stack's hook deploys its newest version again; `?tag=` is for a service's hook",
                ));
            }
            let input = self.latest_stack_input(&record.name, &hook.stack).await?;
            let note = format!("redeployed by webhook {from}");
            let plan = self
                .deploy_stack_noted(
                    &record.name,
                    &hook.stack,
                    &input,
                    (by, Role::Operator),
                    &note,
                )
                .await?;
            return Ok(WebhookOutcome {
                swarm: record.name,
                stack: hook.stack,
                service: None,
                image: None,
                version: plan.version,
                warnings: plan.warnings,
            });
        }
        let (done, image) = match tag {
            None => (
                self.redeploy_service(&record.name, &hook.service).await?,
                None,
            ),
            Some(tag) => {
                let client = self.manager(&record).await?;
                let found = client.service(&hook.service).await?;
                // The file's own spelling, when the stack wrote one: the spec's may be pinned.
                let written = found
                    .spec
                    .pointer(&format!("/Labels/{}", flotilla_stack::LABEL_IMAGE))
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| image_of(&found.spec));
                let image = retagged(&written, tag)?;
                let from = format!("by webhook {from}");
                let record_as = Recording { by, from: &from };
                let done = self
                    .update_service_image(&record.name, &hook.service, &image, Some(record_as))
                    .await?;
                (done, Some(image))
            }
        };
        Ok(WebhookOutcome {
            swarm: record.name,
            stack: hook.stack,
            service: Some(hook.service),
            image,
            version: done.recorded_version,
            warnings: done.warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_replaces_the_tag_and_drops_the_digest() {
        assert_eq!(retagged("local/busybox:1", "2").unwrap(), "local/busybox:2");
        assert_eq!(
            retagged("10.0.0.1:5000/shop/web:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "v2.1").unwrap(),
            "10.0.0.1:5000/shop/web:v2.1"
        );
        assert_eq!(retagged("busybox", "latest").unwrap(), "busybox:latest");
    }

    #[test]
    fn tags_follow_the_grammar() {
        assert!(check_tag("v1.2-rc_3").is_ok());
        for bad in ["", ".x", "-x", "a b", "a/b", "a:b", &"x".repeat(129)] {
            assert!(check_tag(bad).is_err(), "{bad:?}");
        }
    }
}
