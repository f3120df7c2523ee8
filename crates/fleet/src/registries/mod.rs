//! Image registries the nodes pull private images from. An admin saves one with its
//! credentials, which an engine checks by logging in before anything is stored; a deploy then
//! hands each service the credentials of its image's registry, as `docker stack deploy
//! --with-registry-auth` does.

mod images;
mod push;

use std::collections::HashMap;

use flotilla_engine::{EngineError, RegistryAuth};
use flotilla_store::StoreError;
use serde::{Deserialize, Serialize};

use crate::{Fleet, FleetError, Result};

pub(crate) use push::check_name;
pub use push::{PushOutcome, PushRedeployed, PushSettings, MAX_PUSH_EVENTS};

/// A registry as pages and the API show it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct RegistrySummary {
    pub address: String,
    pub username: String,
    /// Unix milliseconds.
    pub updated_at: i64,
    /// Whether it has a token for its push notifications (redeploy on push).
    #[serde(default)]
    pub hook: bool,
}

/// The credentials of every registry by address.
#[derive(Debug, Default, Clone)]
pub(crate) struct RegistryAuths(HashMap<String, RegistryAuth>);

impl RegistryAuths {
    /// The credentials for pulling `image`, if its registry is registered.
    pub(crate) fn for_image(&self, image: &str) -> Option<&RegistryAuth> {
        self.0.get(flotilla_stack::image_registry(image))
    }
}

/// `host[:port]` as image references name a registry: no scheme, no path.
fn check_address(address: &str) -> Result<()> {
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (address, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    if host_ok && port_ok && address == address.to_ascii_lowercase() {
        Ok(())
    } else {
        Err(FleetError::invalid(
            "address",
            format!(
                "`{address}` is not a registry address: write it as image names start, \
                 host[:port] in lowercase, without https:// or a path (10.0.0.5:5000, \
                 registry.example.com)"
            ),
        ))
    }
}

impl Fleet {
    pub async fn registries(&self) -> Result<Vec<RegistrySummary>> {
        Ok(self
            .store
            .registries()
            .await?
            .into_iter()
            .map(|r| RegistrySummary {
                address: r.address,
                username: r.username,
                updated_at: r.updated_at,
                hook: !r.hook_hash.is_empty(),
            })
            .collect())
    }

    /// Saves the registry at `address` (or its new credentials) once an engine has logged in
    /// to it with them: wrong credentials are refused and nothing is stored.
    pub async fn save_registry(
        &self,
        address: &str,
        username: &str,
        secret: &str,
    ) -> Result<RegistrySummary> {
        let address = address.trim();
        check_address(address)?;
        let username = username.trim();
        if username.is_empty() || username.len() > 255 {
            return Err(FleetError::invalid(
                "username",
                "it must have 1 to 255 characters",
            ));
        }
        if secret.is_empty() || secret.len() > 4096 {
            return Err(FleetError::invalid(
                "password",
                "a password or token of 1 to 4,096 characters is needed",
            ));
        }
        let auth = RegistryAuth {
            server: address.to_owned(),
            username: username.to_owned(),
            secret: secret.to_owned(),
        };
        self.check_login(&auth).await?;
        let saved = self.store.save_registry(address, username, secret).await?;
        Ok(RegistrySummary {
            address: saved.address,
            username: saved.username,
            updated_at: saved.updated_at,
            hook: !saved.hook_hash.is_empty(),
        })
    }

    pub async fn remove_registry(&self, address: &str) -> Result<()> {
        match self.store.remove_registry(address).await {
            Err(StoreError::NoSuchRegistry(_)) => {
                Err(FleetError::NotFound(format!("no registry at `{address}`")))
            }
            other => Ok(other?),
        }
    }

    /// Logs in through the first registered engine that answers: the engines are what pull,
    /// so their view of the registry is the one that counts.
    async fn check_login(&self, auth: &RegistryAuth) -> Result<()> {
        let mut unreachable = Vec::new();
        for host in self.store.hosts().await? {
            let client = match self.client(&host).await {
                Ok(client) => client,
                Err(err) => {
                    unreachable.push(format!("{}: {err}", host.name));
                    continue;
                }
            };
            return match client.check_login(auth).await {
                Ok(()) => Ok(()),
                Err(err @ EngineError::Unreachable { .. }) => {
                    unreachable.push(format!("{}: {err}", host.name));
                    continue;
                }
                Err(err) => {
                    let why = match err {
                        EngineError::Api { message, .. } => message,
                        other => other.to_string(),
                    };
                    Err(FleetError::invalid(
                        "password",
                        format!(
                            "{} refused the login of `{}` (checked by host {}): {why}",
                            auth.server, auth.username, host.name
                        ),
                    ))
                }
            };
        }
        Err(FleetError::invalid(
            "address",
            if unreachable.is_empty() {
                "no host is registered: an engine checks the login, so register one first"
                    .to_owned()
            } else {
                format!("no registered engine answered: {}", unreachable.join("; "))
            },
        ))
    }

    /// Every registry's credentials, for a deploy to hand to the engine.
    pub(crate) async fn registry_auths(&self) -> Result<RegistryAuths> {
        Ok(RegistryAuths(
            self.store
                .registries()
                .await?
                .into_iter()
                .map(|r| {
                    let auth = RegistryAuth {
                        server: r.address.clone(),
                        username: r.username,
                        secret: r.secret,
                    };
                    (r.address, auth)
                })
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_as_image_names_start() {
        for good in [
            "10.0.0.5:5000",
            "registry.example.com",
            "localhost:5000",
            "reg-1.local",
        ] {
            assert!(check_address(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "https://registry.example.com",
            "registry.example.com/path",
            "Registry.Example.com",
            "10.0.0.5:0",
            "10.0.0.5:99999",
            "-bad.example.com",
            "a b",
        ] {
            assert!(check_address(bad).is_err(), "{bad}");
        }
    }
}
