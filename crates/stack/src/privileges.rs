//! What in a stack reaches the nodes themselves. A service that bind-mounts a host path (the
//! Docker socket, `/etc`), adds capabilities, sets kernel parameters or joins the host's
//! network makes whoever deploys it root on every node it lands on; a deploy policy can ask
//! for an admin before such a stack goes out. Read from the specs that would be deployed, so
//! a stored version deployed again is judged like a new file.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::StackObjects;

/// One way a stack reaches the nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Privilege {
    /// The service's full name (`shop_web`), or the volume's for a volume definition.
    pub service: String,
    /// What it does, e.g. "bind-mounts /var/run/docker.sock".
    pub what: String,
}

fn texts(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Every privilege the stack's services would have, in service order.
pub fn privileges(objects: &StackObjects) -> Vec<Privilege> {
    let mut found = Vec::new();
    for (service, spec) in &objects.services {
        let mut note = |what: String| {
            found.push(Privilege {
                service: service.clone(),
                what,
            })
        };
        let container = spec.pointer("/TaskTemplate/ContainerSpec");
        let container = container.unwrap_or(&Value::Null);
        for mount in container
            .get("Mounts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let source = mount.get("Source").and_then(Value::as_str).unwrap_or("");
            match mount.get("Type").and_then(Value::as_str) {
                Some("bind") => note(format!("bind-mounts the host's {source}")),
                Some("volume") => {
                    let options = mount.pointer("/VolumeOptions/DriverConfig/Options");
                    if let Some(device) = options
                        .and_then(|o| o.get("device"))
                        .and_then(Value::as_str)
                    {
                        note(format!(
                            "mounts volume {source} made from the host's {device}"
                        ));
                    }
                }
                _ => {}
            }
        }
        for capability in texts(container.get("CapabilityAdd")) {
            note(format!("adds the capability {capability}"));
        }
        if let Some(sysctls) = container.get("Sysctls").and_then(Value::as_object) {
            for name in sysctls.keys() {
                note(format!("sets the kernel parameter {name}"));
            }
        }
        for network in spec
            .pointer("/TaskTemplate/Networks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if network.get("Target").and_then(Value::as_str) == Some("host") {
                note("joins the host's network".to_owned());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    #[test]
    fn what_reaches_the_node_is_named() {
        let mut services = BTreeMap::new();
        services.insert(
            "ops_agent".to_owned(),
            json!({"TaskTemplate": {
                "ContainerSpec": {
                    "Mounts": [
                        {"Type": "bind", "Source": "/var/run/docker.sock", "Target": "/s"},
                        {"Type": "volume", "Source": "ops_data", "Target": "/d"},
                        {"Type": "volume", "Source": "ops_etc", "Target": "/e",
                         "VolumeOptions": {"DriverConfig": {"Options": {"type": "none", "o": "bind", "device": "/etc"}}}}
                    ],
                    "CapabilityAdd": ["NET_ADMIN"],
                    "Sysctls": {"net.ipv4.ip_forward": "1"}
                },
                "Networks": [{"Target": "host"}]
            }}),
        );
        services.insert(
            "ops_web".to_owned(),
            json!({"TaskTemplate": {"ContainerSpec": {"Image": "nginx"}}}),
        );
        let objects = StackObjects {
            services,
            ..StackObjects::default()
        };
        let found: Vec<String> = privileges(&objects)
            .into_iter()
            .map(|p| format!("{}: {}", p.service, p.what))
            .collect();
        assert_eq!(
            found,
            [
                "ops_agent: bind-mounts the host's /var/run/docker.sock",
                "ops_agent: mounts volume ops_etc made from the host's /etc",
                "ops_agent: adds the capability NET_ADMIN",
                "ops_agent: sets the kernel parameter net.ipv4.ip_forward",
                "ops_agent: joins the host's network",
            ]
        );
    }
}
