//! The sampler: every round, each running task's container counters read from the engine
//! of the node it runs on (a registered host; container statistics are node-local, and
//! Flotilla needs no agent where it already talks to the engine), turned into rates against
//! the round before, and stored per task, per service and per node.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flotilla_engine::{ContainerStats, DockerClient, TaskState};
use flotilla_store::{Retention, Sample, Subject, SubjectKind, SwarmRecord};
use tokio::sync::Semaphore;

use crate::{Fleet, Result};

/// How the sampler runs.
#[derive(Debug, Clone, Copy)]
pub struct SamplerConfig {
    pub interval: Duration,
    /// Statistics requests in flight at once on one engine. An engine answers each when its
    /// collector next reads the container (every second, one-shot or not), so requests wait
    /// side by side rather than queue: a round takes about a second up to this many
    /// containers per node.
    pub per_engine: usize,
    pub retention: Retention,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(15),
            per_engine: 50,
            retention: Retention::default(),
        }
    }
}

/// What the sampler has done, for `/metrics` and the benchmark.
#[derive(Debug, Default)]
pub struct SamplerCounters {
    pub rounds: AtomicU64,
    /// Rounds not started because the one before overran its interval.
    pub skipped: AtomicU64,
    pub last_round_ms: AtomicU64,
    pub last_tasks: AtomicU64,
    pub engine_requests: AtomicU64,
    pub engine_errors: AtomicU64,
    /// Each swarm's services and nodes as the last round found them.
    latest: std::sync::Mutex<HashMap<String, Vec<Aggregate>>>,
}

/// A service's or node's figures from the last round.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub swarm: String,
    /// `service` or `node`.
    pub kind: &'static str,
    /// A service's name, a node's ID.
    pub name: String,
    /// Percent of one core; `None` until two rounds gave a rate.
    pub cpu_percent: Option<f64>,
    pub memory: i64,
    pub memory_limit: i64,
    /// Bytes per second: network received and sent, block device read and written.
    pub rates: [Option<f64>; 4],
}

impl SamplerCounters {
    /// Every swarm's services and nodes as the last round found them.
    pub fn latest(&self) -> Vec<Aggregate> {
        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest.values().flatten().cloned().collect()
    }

    fn set_latest(&self, swarm_id: &str, aggregates: Vec<Aggregate>) {
        let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        latest.insert(swarm_id.to_owned(), aggregates);
    }
}

/// One round's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Tasks whose counters were read.
    pub tasks: usize,
    /// Engine requests made.
    pub requests: usize,
    pub errors: usize,
}

/// The previous reading of each container, for rates.
#[derive(Debug, Default)]
pub struct Readings(HashMap<String, (Instant, ContainerStats)>);

/// A task as the round reads it.
struct Running {
    task_id: String,
    container: String,
    service: String,
    node_id: String,
}

#[derive(Default)]
struct Sum {
    cpu: Option<f64>,
    memory: i64,
    /// A service's tasks each have their limit; a node's share its memory.
    limit_sum: i64,
    limit_max: i64,
    rates: [Option<f64>; 4],
}

impl Sum {
    fn add(&mut self, reading: &Reading) {
        if let Some(cpu) = reading.cpu {
            self.cpu = Some(self.cpu.unwrap_or(0.0) + cpu);
        }
        self.memory += reading.memory;
        self.limit_sum += reading.limit;
        self.limit_max = self.limit_max.max(reading.limit);
        for (sum, rate) in self.rates.iter_mut().zip(reading.rates) {
            if let Some(rate) = rate {
                *sum = Some(sum.unwrap_or(0.0) + rate);
            }
        }
    }

    fn sample(&self, subject: i64, at: i64) -> Sample {
        let whole = |v: Option<f64>| v.map(|v| v.round() as i64);
        Sample {
            subject,
            at,
            cpu: self.cpu.map(|c| (c * 100.0).round() as i64),
            memory: self.memory,
            net_rx: whole(self.rates[0]),
            net_tx: whole(self.rates[1]),
            block_read: whole(self.rates[2]),
            block_write: whole(self.rates[3]),
        }
    }
}

/// One task's figures this round.
struct Reading {
    cpu: Option<f64>,
    memory: i64,
    limit: i64,
    rates: [Option<f64>; 4],
}

impl Fleet {
    /// Samples every swarm every `config.interval` until the process ends. A round that
    /// overruns makes the next one skip, never queue.
    pub async fn run_sampler(&self, config: SamplerConfig) {
        let mut readings = Readings::default();
        let mut every = tokio::time::interval(config.interval);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut last_downsample = Instant::now();
        loop {
            every.tick().await;
            let started = Instant::now();
            let now = flotilla_store::now_millis() / 1000;
            match tokio::time::timeout(
                config.interval,
                self.sample_round(&mut readings, now, &config),
            )
            .await
            {
                Ok(Ok(_)) => {}
                Ok(Err(err)) => tracing::warn!(%err, "a metrics round failed"),
                Err(_) => tracing::warn!("a metrics round took longer than its interval"),
            }
            let took = started.elapsed();
            let counters = &self.sampler;
            counters.rounds.fetch_add(1, Ordering::Relaxed);
            counters
                .last_round_ms
                .store(took.as_millis() as u64, Ordering::Relaxed);
            if took >= config.interval {
                counters.skipped.fetch_add(1, Ordering::Relaxed);
            }
            if last_downsample.elapsed() >= Duration::from_secs(60) {
                last_downsample = Instant::now();
                if let Err(err) = self.store.downsample_metrics(now, &config.retention).await {
                    tracing::warn!(%err, "cannot downsample the metrics");
                }
            }
        }
    }

    pub fn sampler_counters(&self) -> &SamplerCounters {
        &self.sampler
    }

    /// One round over every swarm, stored as taken at `now` (Unix seconds).
    pub async fn sample_round(
        &self,
        readings: &mut Readings,
        now: i64,
        config: &SamplerConfig,
    ) -> Result<RoundReport> {
        let mut report = RoundReport::default();
        let mut seen = Vec::new();
        for swarm in self.store.swarms().await? {
            match self.sample_swarm(&swarm, readings, now, config).await {
                Ok((round, containers)) => {
                    report.tasks += round.tasks;
                    report.requests += round.requests;
                    report.errors += round.errors;
                    seen.extend(containers);
                }
                Err(err) => {
                    report.errors += 1;
                    tracing::warn!(swarm = %swarm.name, %err, "cannot sample the swarm");
                }
            }
        }
        // Readings of containers gone would otherwise pile up.
        readings.0.retain(|id, _| seen.contains(id));
        let counters = &self.sampler;
        counters
            .last_tasks
            .store(report.tasks as u64, Ordering::Relaxed);
        counters
            .engine_requests
            .fetch_add(report.requests as u64, Ordering::Relaxed);
        counters
            .engine_errors
            .fetch_add(report.errors as u64, Ordering::Relaxed);
        Ok(report)
    }

    async fn sample_swarm(
        &self,
        swarm: &SwarmRecord,
        readings: &mut Readings,
        now: i64,
        config: &SamplerConfig,
    ) -> Result<(RoundReport, Vec<String>)> {
        let (tasks, services) = self
            .with_manager(swarm, |client| async move {
                Ok(futures::try_join!(
                    client.list_current_tasks(),
                    client.list_services()
                )?)
            })
            .await?;
        let names: HashMap<&str, &str> = services
            .iter()
            .map(|s| (s.id.as_str(), s.name.as_str()))
            .collect();
        let running: Vec<Running> = tasks
            .iter()
            .filter(|t| t.state == TaskState::Running)
            .filter_map(|t| {
                Some(Running {
                    task_id: t.id.clone(),
                    container: t.container_id.clone()?,
                    service: names.get(t.service_id.as_str())?.to_string(),
                    node_id: t.node_id.clone()?,
                })
            })
            .collect();
        let mut engines: HashMap<String, (DockerClient, Arc<Semaphore>)> = HashMap::new();
        // By node ID over every host: a worker's engine does not know its swarm's ID.
        for host in self.store.hosts().await? {
            let Some(node_id) = host
                .node_id
                .clone()
                .filter(|id| running.iter().any(|t| &t.node_id == id))
            else {
                continue;
            };
            if let Ok(client) = self.client(&host).await {
                engines.insert(
                    node_id,
                    (client, Arc::new(Semaphore::new(config.per_engine))),
                );
            }
        }
        let reads = running.iter().filter_map(|task| {
            let (client, slots) = engines.get(&task.node_id)?;
            Some(async move {
                let _slot = slots.acquire().await.ok()?;
                let read = client.container_stats(&task.container).await;
                Some((task, read, Instant::now()))
            })
        });
        let answers: Vec<_> = futures::future::join_all(reads)
            .await
            .into_iter()
            .flatten()
            .collect();

        let mut report = RoundReport {
            requests: answers.len(),
            ..RoundReport::default()
        };
        let (mut subjects, mut samples) = (Vec::new(), Vec::new());
        let mut by_service: HashMap<&str, Sum> = HashMap::new();
        let mut by_node: HashMap<&str, Sum> = HashMap::new();
        let mut seen = Vec::new();
        for (task, read, at) in answers {
            let stats = match read {
                Ok(stats) => stats,
                Err(_) => {
                    report.errors += 1;
                    continue;
                }
            };
            report.tasks += 1;
            seen.push(task.container.clone());
            let rates = readings.0.get(&task.container).and_then(|(then, earlier)| {
                stats.rates_since(earlier, at.duration_since(*then).as_secs_f64())
            });
            readings.0.insert(task.container.clone(), (at, stats));
            let reading = Reading {
                cpu: rates.map(|r| r.cpu_percent),
                memory: stats.memory_used as i64,
                limit: stats.memory_limit as i64,
                rates: match rates {
                    Some(r) => [
                        Some(r.net_rx),
                        Some(r.net_tx),
                        Some(r.block_read),
                        Some(r.block_write),
                    ],
                    None => [None; 4],
                },
            };
            let subject = Subject {
                swarm_id: swarm.id.clone(),
                kind: SubjectKind::Task,
                name: task.task_id.clone(),
                service: task.service.clone(),
                node: task.node_id.clone(),
                memory_limit: reading.limit,
            };
            let mut one = Sum::default();
            one.add(&reading);
            samples.push(one.sample(subject.id(), now));
            subjects.push(subject);
            by_service.entry(&task.service).or_default().add(&reading);
            by_node.entry(&task.node_id).or_default().add(&reading);
        }
        let mut aggregates = Vec::new();
        for (kind, sums) in [
            (SubjectKind::Service, &by_service),
            (SubjectKind::Node, &by_node),
        ] {
            for (name, sum) in sums {
                let memory_limit = if kind == SubjectKind::Node {
                    sum.limit_max
                } else {
                    sum.limit_sum
                };
                aggregates.push(Aggregate {
                    swarm: swarm.name.clone(),
                    kind: kind.as_str(),
                    name: (*name).to_owned(),
                    cpu_percent: sum.cpu,
                    memory: sum.memory,
                    memory_limit,
                    rates: sum.rates,
                });
                let subject = Subject {
                    swarm_id: swarm.id.clone(),
                    kind,
                    name: (*name).to_owned(),
                    service: String::new(),
                    node: String::new(),
                    memory_limit,
                };
                samples.push(sum.sample(subject.id(), now));
                subjects.push(subject);
            }
        }
        self.sampler.set_latest(&swarm.id, aggregates);
        self.store.save_metric_subjects(&subjects, now).await?;
        self.store.add_metric_samples(&samples).await?;
        Ok((report, seen))
    }
}
