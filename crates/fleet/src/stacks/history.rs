//! Every deploy made here is kept: its compose text, variables, files, who and when. Any
//! version can be read back, compared with another, and deployed again.

use flotilla_stack::{StackInput, StackVersionInfo};
use flotilla_store::{NewStackVersion, StackVersion, SwarmRecord};

use crate::{Fleet, FleetError, Result};

pub(crate) fn version_input(version: &StackVersion) -> Result<StackInput> {
    let damaged = |err: serde_json::Error| FleetError::DamagedVersion {
        stack: version.stack.clone(),
        version: version.version,
        reason: err.to_string(),
    };
    let env = serde_json::from_str(&version.env).map_err(damaged)?;
    let files = flotilla_stack::files_from_json(&version.files).map_err(damaged)?;
    Ok(StackInput {
        compose: version.compose.clone(),
        env,
        files,
        prune: version.prune,
        // A version stored before the choice existed was deployed as the CLI's default.
        resolve_image: flotilla_stack::ResolveImage::parse(&version.resolve_image)
            .unwrap_or_default(),
    })
}

impl Fleet {
    /// Records a deploy of `input` as the stack's next version; returns its number.
    pub(crate) async fn record_version(
        &self,
        swarm: &SwarmRecord,
        stack: &str,
        input: &StackInput,
        (deployed_by, note): (&str, &str),
    ) -> Result<i64> {
        let env = serde_json::to_string(&input.env).unwrap_or_default();
        let files = flotilla_stack::files_to_json(&input.files);
        let version = self
            .store()
            .add_stack_version(&NewStackVersion {
                swarm_id: &swarm.id,
                stack,
                compose: &input.compose,
                env: &env,
                files: &files,
                prune: input.prune,
                resolve_image: input.resolve_image.as_str(),
                deployed_by,
                note,
            })
            .await?;
        Ok(version.version)
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
                    resolve_image: input.resolve_image,
                    note: v.note,
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

    /// What was deployed last, for the editor; [`FleetError::NoVersion`] for a stack that
    /// runs but was deployed another way.
    pub async fn latest_stack_input(&self, swarm: &str, stack: &str) -> Result<StackInput> {
        let record = self.swarm(swarm).await?;
        match self.store().latest_stack_version(&record.id, stack).await? {
            Some(version) => version_input(&version),
            None => Err(FleetError::NoVersion {
                stack: stack.to_owned(),
            }),
        }
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
}
