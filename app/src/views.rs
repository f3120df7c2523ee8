//! What the swarm and host pages show, in types both the server and the browser know.

use serde::{Deserialize, Serialize};

/// A registry as pages show it: never its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryRow {
    pub address: String,
    pub username: String,
    /// Unix milliseconds.
    pub updated_at: i64,
    /// Whether it has a token for its push notifications.
    pub hook: bool,
}

/// A registered host and what its engine said just now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostRow {
    pub name: String,
    pub url: String,
    pub tls: bool,
    /// Name of the managed swarm it belongs to, if any.
    pub swarm: Option<String>,
    pub engine: Result<EngineRow, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineRow {
    pub version: String,
    pub api_version: String,
    pub os: String,
    pub arch: String,
    pub cpus: u32,
    pub memory: String,
    /// `inactive`, `active`, `pending`, …
    pub swarm_state: String,
}

impl HostRow {
    /// Free to start or join a swarm.
    pub fn is_free(&self) -> bool {
        matches!(&self.engine, Ok(engine) if engine.swarm_state == "inactive")
    }

    /// A guess at the address other hosts reach this one on: the IP of a tcp:// URL.
    pub fn suggested_advertise_addr(&self) -> String {
        let Some(authority) = self.url.strip_prefix("tcp://") else {
            return String::new();
        };
        let host = authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host);
        match host.parse::<std::net::IpAddr>() {
            Ok(ip) if !ip.is_loopback() => ip.to_string(),
            _ => String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwarmRow {
    pub id: String,
    pub name: String,
    pub managers: usize,
    pub workers: usize,
    pub error: Option<String>,
}

/// One node as the nodes table shows it (`docker node ls` plus resources and host).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeRow {
    pub id: String,
    pub hostname: String,
    pub role: String,
    /// leader / reachable / unreachable for managers.
    pub manager_status: Option<String>,
    pub availability: String,
    pub state: String,
    pub engine_version: String,
    pub cpus: f64,
    pub memory: String,
    pub labels: Vec<(String, String)>,
    pub host: Option<String>,
}

/// `text` safe in a URL (a query value, a data URL): all but unreserved characters escaped.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Bytes as `docker info` prints them: 1.94GiB.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{value:.2}{}", UNITS[unit])
    }
}

/// Unix milliseconds as `2026-11-25 19:55 UTC`, the same on the server and in the browser.
pub fn utc_time(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_like_docker_info() {
        assert_eq!(human_bytes(512), "512B");
        assert_eq!(human_bytes(2 * 1024 * 1024 * 1024), "2.00GiB");
    }

    #[test]
    fn utc_time_reads_like_a_calendar() {
        assert_eq!(utc_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_time(1_795_636_500_000), "2026-11-25 19:55 UTC");
        assert_eq!(utc_time(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn advertise_address_comes_from_a_tcp_url() {
        let row = |url: &str| HostRow {
            name: "h".into(),
            url: url.into(),
            tls: false,
            swarm: None,
            engine: Err("down".into()),
        };
        assert_eq!(
            row("tcp://10.0.0.3:2376").suggested_advertise_addr(),
            "10.0.0.3"
        );
        assert_eq!(row("tcp://127.0.0.1:2375").suggested_advertise_addr(), "");
        assert_eq!(row("unix:///run/a.sock").suggested_advertise_addr(), "");
    }
}
