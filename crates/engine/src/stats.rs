//! A container's resource counters, read once (`docker stats --no-stream` without its wait):
//! `GET /containers/{id}/stats?stream=false&one-shot=true`. The engine answers at once, with
//! counters only; rates come from two readings (see [`ContainerStats::rates_since`]).

use hyper::Method;
use serde_json::Value;

use crate::service::percent_encode;
use crate::{DockerClient, Result};

/// The counters of one reading.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ContainerStats {
    /// CPU time the container used, in nanoseconds since it started.
    pub cpu_ns: u64,
    /// CPU time the whole host used, in nanoseconds (the engine's clock for rates).
    pub system_ns: u64,
    pub online_cpus: u64,
    /// Memory in use without the page cache it could drop, as `docker stats` counts it.
    pub memory_used: u64,
    /// The container's memory limit (the host's memory when it has none).
    pub memory_limit: u64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
}

/// Rates between two readings of one container.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StatsRates {
    /// Percent of one core (200 is two cores busy).
    pub cpu_percent: f64,
    /// Bytes per second.
    pub net_rx: f64,
    pub net_tx: f64,
    pub block_read: f64,
    pub block_write: f64,
}

fn number(value: Option<&Value>) -> u64 {
    value.and_then(Value::as_u64).unwrap_or(0)
}

impl ContainerStats {
    /// Reads the engine's answer, cgroup v1 or v2.
    pub fn from_json(stats: &Value) -> Self {
        let memory = &stats["memory_stats"];
        let usage = number(memory.get("usage"));
        // cgroup v1 names it total_inactive_file, v2 inactive_file (docker/cli's
        // calculateMemUsageUnixNoCache).
        let inactive = memory
            .pointer("/stats/total_inactive_file")
            .or_else(|| memory.pointer("/stats/inactive_file"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let (mut net_rx, mut net_tx) = (0, 0);
        if let Some(networks) = stats.get("networks").and_then(Value::as_object) {
            for network in networks.values() {
                net_rx += number(network.get("rx_bytes"));
                net_tx += number(network.get("tx_bytes"));
            }
        }
        let (mut block_read, mut block_write) = (0, 0);
        if let Some(entries) = stats
            .pointer("/blkio_stats/io_service_bytes_recursive")
            .and_then(Value::as_array)
        {
            for entry in entries {
                let value = number(entry.get("value"));
                match entry
                    .get("op")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase)
                {
                    Some(op) if op == "read" => block_read += value,
                    Some(op) if op == "write" => block_write += value,
                    _ => {}
                }
            }
        }
        let cpu = &stats["cpu_stats"];
        let online = number(cpu.get("online_cpus")).max(
            cpu.pointer("/cpu_usage/percpu_usage")
                .and_then(Value::as_array)
                .map_or(0, |per| per.len() as u64),
        );
        Self {
            cpu_ns: number(cpu.pointer("/cpu_usage/total_usage")),
            system_ns: number(cpu.get("system_cpu_usage")),
            online_cpus: online.max(1),
            memory_used: usage.saturating_sub(if inactive < usage { inactive } else { 0 }),
            memory_limit: number(memory.get("limit")),
            net_rx,
            net_tx,
            block_read,
            block_write,
        }
    }

    /// The rates from `earlier` to this reading, `seconds` apart on the console's clock;
    /// `None` when the counters went back (a restarted container) or no time passed.
    pub fn rates_since(&self, earlier: &Self, seconds: f64) -> Option<StatsRates> {
        let system = self.system_ns.checked_sub(earlier.system_ns)?;
        let cpu = self.cpu_ns.checked_sub(earlier.cpu_ns)?;
        if system == 0 || seconds <= 0.0 {
            return None;
        }
        let per_second = |now: u64, then: u64| now.checked_sub(then).map(|d| d as f64 / seconds);
        Some(StatsRates {
            // As docker stats: the container's share of all host CPU time, times the cores.
            cpu_percent: cpu as f64 / system as f64 * self.online_cpus as f64 * 100.0,
            net_rx: per_second(self.net_rx, earlier.net_rx)?,
            net_tx: per_second(self.net_tx, earlier.net_tx)?,
            block_read: per_second(self.block_read, earlier.block_read)?,
            block_write: per_second(self.block_write, earlier.block_write)?,
        })
    }
}

impl DockerClient {
    /// One reading of a container's counters.
    pub async fn container_stats(&self, id: &str) -> Result<ContainerStats> {
        let answer = self
            .raw_json(
                Method::GET,
                &format!(
                    "/containers/{}/stats?stream=false&one-shot=true",
                    percent_encode(id)
                ),
                None,
                &format!("read the statistics of container {id}"),
            )
            .await?;
        Ok(ContainerStats::from_json(&answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn memory_leaves_out_the_page_cache_as_docker_stats_does() {
        let v1 = json!({"memory_stats": {"usage": 1000, "limit": 4000, "stats": {"total_inactive_file": 300}}});
        assert_eq!(ContainerStats::from_json(&v1).memory_used, 700);
        let v2 = json!({"memory_stats": {"usage": 1000, "stats": {"inactive_file": 100}}});
        assert_eq!(ContainerStats::from_json(&v2).memory_used, 900);
    }

    #[test]
    fn cpu_is_a_share_of_one_core() {
        let at = |cpu: u64, system: u64| ContainerStats {
            cpu_ns: cpu,
            system_ns: system,
            online_cpus: 2,
            ..ContainerStats::default()
        };
        // One of two cores busy for the whole interval: the host's clock ran 2 × 15 s.
        let rates = at(15_000_000_000, 30_000_000_000)
            .rates_since(&at(0, 0), 15.0)
            .expect("rates");
        assert!((rates.cpu_percent - 100.0).abs() < 1e-9);
        assert!(at(0, 10).rates_since(&at(5, 0), 1.0).is_none(), "a restart");
    }
}
