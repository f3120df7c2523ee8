//! Registry credentials as the engine takes them: checked with `POST /auth` (what `docker
//! login` asks the daemon), and passed with a service create or update as `X-Registry-Auth`
//! (what `docker stack deploy --with-registry-auth` does), so every node can pull.

use base64::Engine as _;
use hyper::Method;
use serde_json::json;

use crate::{DockerClient, Result};

/// One registry's credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryAuth {
    /// `host[:port]`, as image references name the registry.
    pub server: String,
    pub username: String,
    /// A password or an access token.
    pub secret: String,
}

impl std::fmt::Debug for RegistryAuth {
    // The secret is a credential: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryAuth")
            .field("server", &self.server)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl RegistryAuth {
    fn body(&self) -> serde_json::Value {
        json!({
            "username": self.username,
            "password": self.secret,
            "serveraddress": self.server,
        })
    }

    /// The `X-Registry-Auth` header's value: the credentials as JSON in URL-safe base64, as
    /// the CLI encodes them.
    pub fn header(&self) -> String {
        base64::engine::general_purpose::URL_SAFE.encode(self.body().to_string())
    }
}

/// What a registry says an image reference stands for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDistribution {
    /// `sha256:…` of the manifest (or the index of a multi-platform image).
    pub digest: String,
    /// `(architecture, os)` of each platform the image has.
    pub platforms: Vec<(String, String)>,
}

impl DockerClient {
    /// Asks the image's registry, through the engine, for the digest its reference has now
    /// (`GET /distribution/{name}/json`, what `docker stack deploy --resolve-image` asks).
    /// `image` must be a checked reference: it goes into the path as it is, as the CLI sends
    /// it.
    pub async fn distribution(
        &self,
        image: &str,
        auth: Option<&RegistryAuth>,
    ) -> Result<ImageDistribution> {
        let answer = self
            .raw_json_with(
                Method::GET,
                &format!("/distribution/{image}/json"),
                None,
                auth,
                &format!("look up {image} on its registry"),
            )
            .await?;
        let text = |value: Option<&serde_json::Value>| {
            value
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let platforms = answer
            .get("Platforms")
            .and_then(serde_json::Value::as_array)
            .map(|platforms| {
                platforms
                    .iter()
                    .map(|p| (text(p.get("architecture")), text(p.get("os"))))
                    .collect()
            })
            .unwrap_or_default();
        Ok(ImageDistribution {
            digest: text(answer.pointer("/Descriptor/digest")),
            platforms,
        })
    }

    /// Has the engine log in to the registry (`docker login`): an error says why it refused.
    pub async fn check_login(&self, auth: &RegistryAuth) -> Result<()> {
        self.raw_json(
            Method::POST,
            "/auth",
            Some(&auth.body()),
            &format!("log in to {}", auth.server),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_the_credentials_in_url_safe_base64() {
        let auth = RegistryAuth {
            server: "10.0.0.1:5000".into(),
            username: "ci".into(),
            secret: "p?ss>>word".into(),
        };
        let header = auth.header();
        assert!(!header.contains('+') && !header.contains('/'), "{header}");
        let decoded = base64::engine::general_purpose::URL_SAFE
            .decode(&header)
            .expect("base64");
        let value: serde_json::Value = serde_json::from_slice(&decoded).expect("json");
        assert_eq!(value["serveraddress"], "10.0.0.1:5000");
        assert_eq!(value["password"], "p?ss>>word");
        assert!(!format!("{auth:?}").contains("p?ss"));
    }
}
