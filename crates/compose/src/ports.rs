//! A service's `ports`, short (`"127.0.0.1:8000-8001:80/udp"`) and long syntax, read into
//! the port configs `docker stack deploy` publishes. Host IPs are accepted and dropped, as
//! the CLI drops them: swarm publishes on every interface.

use std::net::IpAddr;

use crate::yaml::child_path;
use crate::{ComposeError, Node, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishMode {
    /// Through the routing mesh, on every node.
    Ingress,
    /// Only on the node where the task runs.
    Host,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortConfig {
    pub target: u16,
    /// `None` lets swarm pick a port (the CLI writes 0 as none too).
    pub published: Option<u16>,
    pub protocol: Protocol,
    pub mode: PublishMode,
}

/// How many ports one service may publish or expose, ranges counted port by port: each
/// becomes a port config in the service spec, and a range like `0-65535` would become
/// 65,536 of them.
pub const MAX_PORTS_PER_SERVICE: usize = 1_000;

fn protocol(text: &str) -> Result<Protocol, String> {
    match text.to_ascii_lowercase().as_str() {
        "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        "sctp" => Ok(Protocol::Sctp),
        _ => Err(format!("`{text}` is not a protocol: use tcp, udp or sctp")),
    }
}

/// `80` or `8000-8010`, inclusive.
fn port_range(text: &str) -> Result<(u16, u16), String> {
    if text.starts_with('-') {
        return Err(format!("`{text}` is not a port number (0 to 65535)"));
    }
    let port = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("`{p}` is not a port number (0 to 65535)"))
    };
    let (start, end) = match text.split_once('-') {
        Some((start, end)) => (port(start)?, port(end)?),
        None => {
            let p = port(text)?;
            (p, p)
        }
    };
    if start > end {
        return Err(format!("`{text}`: a range must go from low to high"));
    }
    Ok((start, end))
}

/// One short-syntax entry: `[[IP:]HOST:]CONTAINER[/PROTOCOL]`, ports or ranges.
pub fn parse_port_spec(spec: &str) -> Result<Vec<PortConfig>, String> {
    let (addresses, proto) = match spec.rsplit_once('/') {
        Some((addresses, proto)) => (addresses, protocol(proto)?),
        None => (spec, Protocol::Tcp),
    };
    let parts: Vec<&str> = addresses.split(':').collect();
    let n = parts.len();
    let container = parts[n - 1];
    let (ip, host) = match n {
        1 => (String::new(), ""),
        2 => (String::new(), parts[0]),
        // An IPv6 host IP holds colons of its own: everything before HOST:CONTAINER.
        _ => (parts[..n - 2].join(":"), parts[n - 2]),
    };
    if !ip.is_empty() {
        let bare = ip.trim_start_matches('[').trim_end_matches(']');
        bare.parse::<IpAddr>()
            .map_err(|_| format!("`{ip}` is not an IP address"))?;
    }
    if container.is_empty() {
        return Err(format!("`{spec}` names no container port"));
    }
    let (target_start, target_end) = port_range(container)?;
    let published = if host.is_empty() {
        None
    } else {
        Some(port_range(host)?)
    };
    let widest = published
        .map_or(0, |(start, end)| end - start)
        .max(target_end - target_start);
    if usize::from(widest) >= MAX_PORTS_PER_SERVICE {
        return Err(format!(
            "`{spec}` names {} ports; a service may publish at most {MAX_PORTS_PER_SERVICE}",
            usize::from(widest) + 1
        ));
    }
    let config = |target: u16, published: Option<u16>| PortConfig {
        target,
        published: published.filter(|p| *p != 0),
        protocol: proto,
        mode: PublishMode::Ingress,
    };
    match published {
        None => Ok((target_start..=target_end)
            .map(|t| config(t, None))
            .collect()),
        // One container port behind a range of published ones: one config per published port.
        Some((host_start, host_end)) if target_start == target_end => Ok((host_start..=host_end)
            .map(|h| config(target_start, Some(h)))
            .collect()),
        Some((host_start, host_end)) => {
            if host_end - host_start != target_end - target_start {
                return Err(format!(
                    "`{spec}`: the published and container ranges differ in length"
                ));
            }
            Ok((target_start..=target_end)
                .zip(host_start..=host_end)
                .map(|(t, h)| config(t, Some(h)))
                .collect())
        }
    }
}

/// A service's `ports` list: short syntax strings or numbers, and long syntax mappings.
pub fn ports(node: &Node, path: &str) -> Result<Vec<PortConfig>, ComposeError> {
    let Value::Seq(items) = &node.value else {
        return Err(ComposeError::at(
            node.at,
            path,
            format!("expected a list of ports, found {}", node.value.kind()),
        ));
    };
    let mut configs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        let fail = |message: String| ComposeError::at(item.at, &item_path, message);
        match &item.value {
            Value::Str(spec) => configs.extend(parse_port_spec(spec).map_err(fail)?),
            Value::Int(port) => configs.extend(parse_port_spec(&port.to_string()).map_err(fail)?),
            Value::Map(entries) => configs.push(long_port(entries, &item_path, item)?),
            other => {
                return Err(fail(format!(
                    "expected a port (\"8080:80\" or a mapping with target), found {}",
                    other.kind()
                )))
            }
        }
        if configs.len() > MAX_PORTS_PER_SERVICE {
            return Err(fail(format!(
                "with this entry the service publishes {} ports; a service may publish at most {MAX_PORTS_PER_SERVICE}",
                configs.len()
            )));
        }
    }
    Ok(configs)
}

fn long_port(
    entries: &[crate::Entry],
    path: &str,
    item: &Node,
) -> Result<PortConfig, ComposeError> {
    let mut config = PortConfig {
        target: 0,
        published: None,
        protocol: Protocol::Tcp,
        mode: PublishMode::Ingress,
    };
    let mut has_target = false;
    for entry in entries {
        let at_path = child_path(path, &entry.key);
        let fail = |message: String| ComposeError::at(entry.value.at, &at_path, message);
        let number = |node: &Node| match &node.value {
            Value::Int(n) => u16::try_from(*n)
                .map_err(|_| fail(format!("{n} is not a port number (0 to 65535)"))),
            Value::Str(text) => text
                .parse::<u16>()
                .map_err(|_| fail(format!("`{text}` is not a port number (0 to 65535)"))),
            other => Err(fail(format!(
                "expected a port number, found {}",
                other.kind()
            ))),
        };
        let text = |node: &Node| match &node.value {
            Value::Str(text) => Ok(text.clone()),
            other => Err(fail(format!("expected a string, found {}", other.kind()))),
        };
        match entry.key.as_str() {
            "target" => {
                config.target = number(&entry.value)?;
                has_target = true;
            }
            "published" => config.published = Some(number(&entry.value)?).filter(|p| *p != 0),
            "protocol" => config.protocol = protocol(&text(&entry.value)?).map_err(fail)?,
            "mode" => {
                config.mode = match text(&entry.value)?.as_str() {
                    "ingress" => PublishMode::Ingress,
                    "host" => PublishMode::Host,
                    other => {
                        return Err(fail(format!(
                            "`{other}` is not a publish mode: use ingress or host"
                        )))
                    }
                }
            }
            other => {
                return Err(ComposeError::at(
                    entry.key_at,
                    path,
                    format!(
                        "unknown key `{other}`: a port takes target, published, protocol and mode"
                    ),
                ))
            }
        }
    }
    if !has_target {
        return Err(ComposeError::at(item.at, path, "a port needs a target"));
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service_ports(yaml: &str) -> Result<Vec<PortConfig>, ComposeError> {
        let root = crate::load(&format!("ports:\n{yaml}")).expect("yaml");
        let Value::Map(entries) = &root.value else {
            panic!("mapping")
        };
        ports(&entries[0].value, "services.web.ports")
    }

    #[test]
    fn long_syntax_with_host_mode() {
        let configs = service_ports(
            "  - target: 80\n    published: 8080\n    protocol: udp\n    mode: host\n",
        )
        .expect("ports");
        assert_eq!(
            configs,
            vec![PortConfig {
                target: 80,
                published: Some(8080),
                protocol: Protocol::Udp,
                mode: PublishMode::Host
            }]
        );
    }

    #[test]
    fn port_counts_are_bounded_before_anything_is_expanded() {
        let err = parse_port_spec("0-65535").expect_err("whole range");
        assert!(err.contains("names 65536 ports"), "{err}");
        assert!(
            parse_port_spec("8000-8999:8000-8999").is_ok(),
            "1,000 ports pass"
        );
        let err = service_ports("  - 1-600\n  - 2000-2600\n").expect_err("two ranges");
        assert_eq!(
            (err.path.as_str(), err.at.line),
            ("services.web.ports[1]", 3)
        );
        assert!(err.message.contains("1201 ports"), "{err}");
    }

    #[test]
    fn long_syntax_errors_say_where() {
        let err = service_ports("  - target: 80\n    publish: 8080\n").expect_err("typo");
        assert_eq!(err.path, "services.web.ports[0]");
        assert_eq!((err.at.line, err.at.column), (3, 5));
        assert!(err.message.starts_with("unknown key `publish`"), "{err}");
        let err = service_ports("  - published: 8080\n").expect_err("no target");
        assert_eq!(err.message, "a port needs a target");
        let err = service_ports("  - target: 80\n    mode: global\n").expect_err("mode");
        assert_eq!(err.path, "services.web.ports[0].mode");
        let err = service_ports("  - true\n").expect_err("bool");
        assert!(err.message.contains("found a boolean"), "{err}");
    }
}
