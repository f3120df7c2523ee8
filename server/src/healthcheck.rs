//! `flotilla healthcheck`: the container's `HEALTHCHECK` (a `FROM scratch` image has no curl).
//! Asks the console listening on FLOTILLA_ADDR for /healthz; exits 0 when it answers 200.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// The address the console listens on; an unspecified one (0.0.0.0) is asked on loopback.
    #[arg(long, env = "FLOTILLA_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
}

pub async fn run(args: HealthcheckArgs) -> Result<(), String> {
    let mut addr = args.addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(4))
        .build()
        .map_err(|err| err.to_string())?;
    let url = format!("http://{addr}/healthz");
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|err| format!("{url}: {err}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("{url}: {}", response.status()))
    }
}
