//! Metrics: the sampler ([`sampler`]) and the series the charts draw, per service (its tasks
//! stacked) and per node, over a chosen range at the resolution kept for it.

mod console;
mod sampler;

use std::collections::BTreeMap;

use flotilla_charts::Series;
use flotilla_store::{subject_id, Sample, SubjectKind};

pub(crate) use console::deploy_histogram;
pub use console::{EngineRequests, DEPLOY_BUCKETS};
pub use sampler::{Aggregate, Readings, RoundReport, SamplerConfig, SamplerCounters};

use crate::{Fleet, FleetError, Result};

/// The ranges a chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricRange {
    Minutes15,
    Hour,
    Day,
    Week,
    Days90,
}

impl MetricRange {
    pub const ALL: [Self; 5] = [
        Self::Minutes15,
        Self::Hour,
        Self::Day,
        Self::Week,
        Self::Days90,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minutes15 => "15m",
            Self::Hour => "1h",
            Self::Day => "24h",
            Self::Week => "7d",
            Self::Days90 => "90d",
        }
    }

    pub fn seconds(self) -> i64 {
        match self {
            Self::Minutes15 => 900,
            Self::Hour => 3600,
            Self::Day => 86_400,
            Self::Week => 7 * 86_400,
            Self::Days90 => 90 * 86_400,
        }
    }

    /// The samples it reads: raw, minute or hour averages (the store's resolutions).
    pub fn resolution(self) -> i64 {
        match self {
            Self::Minutes15 | Self::Hour => 0,
            Self::Day => 60,
            Self::Week | Self::Days90 => 3600,
        }
    }
}

/// What two charts (CPU and memory) of one subject show.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricCharts {
    pub from: i64,
    pub to: i64,
    /// Seconds between samples: a longer silence is drawn as a gap.
    pub step: i64,
    /// Percent of one core.
    pub cpu: Vec<Series>,
    /// Bytes.
    pub memory: Vec<Series>,
    /// Network receive and send, bytes per second.
    pub network: Vec<Series>,
    /// Why there are no samples, when there are none.
    pub empty: String,
}

/// Tasks drawn one by one; the rest are summed as one layer.
const MOST_LAYERS: usize = 8;

fn series_of(
    samples: &[Sample],
    subjects: &[(i64, String)],
    value: impl Fn(&Sample) -> Option<f64>,
) -> Vec<Series> {
    let mut by_subject: BTreeMap<i64, Vec<(i64, f64)>> = BTreeMap::new();
    for sample in samples {
        if let Some(v) = value(sample) {
            by_subject
                .entry(sample.subject)
                .or_default()
                .push((sample.at, v));
        }
    }
    let mut series: Vec<Series> = subjects
        .iter()
        .filter_map(|(id, label)| {
            by_subject.remove(id).map(|points| Series {
                label: label.clone(),
                points,
            })
        })
        .collect();
    if series.len() > MOST_LAYERS {
        let rest = series.split_off(MOST_LAYERS - 1);
        let mut summed: BTreeMap<i64, f64> = BTreeMap::new();
        for s in &rest {
            for (at, v) in &s.points {
                *summed.entry(*at).or_default() += v;
            }
        }
        series.push(Series {
            label: format!("{} other tasks", rest.len()),
            points: summed.into_iter().collect(),
        });
    }
    series
}

impl Fleet {
    fn step_for(&self, range: MetricRange) -> i64 {
        match range.resolution() {
            0 => self.metrics_interval_seconds(),
            other => other,
        }
    }

    /// The interval the sampler runs at, in seconds (15 unless configured).
    pub fn metrics_interval_seconds(&self) -> i64 {
        i64::try_from(self.metrics_interval.as_secs())
            .unwrap_or(15)
            .max(1)
    }

    /// CPU and memory of `service`'s tasks, stacked, over `range` up to `now` (Unix s).
    pub async fn service_metrics(
        &self,
        swarm: &str,
        service: &str,
        range: MetricRange,
        now: i64,
    ) -> Result<MetricCharts> {
        let record = self.swarm(swarm).await?;
        let tasks = self
            .store
            .metric_subjects(&record.id, SubjectKind::Task, Some(service))
            .await?;
        let labelled: Vec<(i64, String)> = tasks
            .iter()
            .map(|(id, t)| (*id, format!("task {}", &t.name[..t.name.len().min(10)])))
            .collect();
        let whole = subject_id(&record.id, SubjectKind::Service, service);
        let empty = if tasks.is_empty() {
            "no samples of this service yet: tasks are read every round on nodes whose engine is registered as a host"
        } else {
            "no samples in this range"
        };
        self.charts(&labelled, (whole, "all tasks"), range, now, empty)
            .await
    }

    /// CPU and memory of node `node_id`, over `range` up to `now`.
    pub async fn node_metrics(
        &self,
        swarm: &str,
        node_id: &str,
        range: MetricRange,
        now: i64,
    ) -> Result<MetricCharts> {
        let record = self.swarm(swarm).await?;
        let registered = self
            .store
            .hosts()
            .await?
            .iter()
            .any(|h| h.node_id.as_deref() == Some(node_id));
        let id = subject_id(&record.id, SubjectKind::Node, node_id);
        let empty = if registered {
            "no samples in this range"
        } else {
            "no metrics: register this node's engine as a host"
        };
        self.charts(&[], (id, "node"), range, now, empty).await
    }

    /// CPU (per layer when `layers` has subjects, else of `whole`), memory and network.
    async fn charts(
        &self,
        layers: &[(i64, String)],
        (whole, whole_label): (i64, &str),
        range: MetricRange,
        now: i64,
        empty: &str,
    ) -> Result<MetricCharts> {
        let from = now - range.seconds();
        let mut ids: Vec<i64> = layers.iter().map(|l| l.0).collect();
        ids.push(whole);
        let samples = self
            .store
            .metric_samples(&ids, range.resolution(), (from, now))
            .await?;
        let drawn: Vec<(i64, String)> = if layers.is_empty() {
            vec![(whole, whole_label.to_owned())]
        } else {
            layers.to_vec()
        };
        let whole_only = [(whole, whole_label.to_owned())];
        let cpu = series_of(&samples, &drawn, |s| s.cpu.map(|c| c as f64 / 100.0));
        let memory = series_of(&samples, &drawn, |s| Some(s.memory as f64));
        let mut network = series_of(&samples, &whole_only, |s| s.net_rx.map(|v| v as f64));
        for line in &mut network {
            line.label = "received".into();
        }
        let mut sent = series_of(&samples, &whole_only, |s| s.net_tx.map(|v| v as f64));
        for line in &mut sent {
            line.label = "sent".into();
        }
        network.extend(sent);
        let has_any = !samples.is_empty();
        Ok(MetricCharts {
            from,
            to: now,
            step: self.step_for(range),
            cpu,
            memory,
            network,
            empty: if has_any {
                String::new()
            } else {
                empty.to_owned()
            },
        })
    }

    /// CPU over the last hour for each service (`SubjectKind::Service`) or node of a swarm,
    /// by name: the sparklines of lists.
    pub async fn cpu_sparklines(
        &self,
        swarm: &str,
        kind: SubjectKind,
        now: i64,
    ) -> Result<BTreeMap<String, Vec<(i64, f64)>>> {
        if kind == SubjectKind::Task {
            return Err(FleetError::invalid(
                "kind",
                "sparklines are of services or nodes",
            ));
        }
        let record = self.swarm(swarm).await?;
        let subjects = self.store.metric_subjects(&record.id, kind, None).await?;
        let ids: Vec<i64> = subjects.iter().map(|(id, _)| *id).collect();
        let samples = self
            .store
            .metric_samples(&ids, 0, (now - 3600, now))
            .await?;
        let names: BTreeMap<i64, &str> = subjects
            .iter()
            .map(|(id, s)| (*id, s.name.as_str()))
            .collect();
        let mut lines: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
        for sample in samples {
            if let (Some(name), Some(cpu)) = (names.get(&sample.subject), sample.cpu) {
                lines
                    .entry((*name).to_owned())
                    .or_default()
                    .push((sample.at, cpu as f64 / 100.0));
            }
        }
        Ok(lines)
    }
}
