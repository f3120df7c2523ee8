//! `GET /metrics`: the console's own figures for Prometheus (OpenMetrics text), for a token
//! of the `metrics` scope (`flotilla token create NAME --role metrics`) or an admin: HTTP
//! requests and their latencies by route, requests to each engine and their failures, open
//! streams, deploy durations, the sampler's rounds and skips, and each service's and node's
//! figures from the last round. Routes are the access table's templates, so the number of
//! series stays bounded whatever paths are asked for.

use std::sync::Arc;
use std::time::Instant;

use app::access::{self, Lookup};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use flotilla_fleet::Fleet;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::api::StreamLimit;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EngineLabels {
    swarm: String,
    host: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StreamLabels {
    kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SubjectLabels {
    swarm: String,
    name: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

/// What lives from one scrape to the next: the HTTP figures, and what else is read.
#[derive(Clone)]
pub struct ConsoleMetrics {
    requests: Family<HttpLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    fleet: Arc<Fleet>,
    streams: Vec<StreamLimit>,
}

/// The route a request counts under: an access-table template, or a coarse kind of page.
fn route_of(method: &Method, path: &str) -> String {
    match access::lookup(method, path) {
        Lookup::Listed(entry) => entry.path.to_owned(),
        _ if path.starts_with("/pkg/") => "/pkg".into(),
        _ if path.starts_with("/hooks/registry/") => "/hooks/registry/{token}".into(),
        _ if matches!(path, "/healthz" | "/readyz" | "/metrics") => path.into(),
        _ if path.starts_with("/api/") => "/api (unknown)".into(),
        _ => "page".into(),
    }
}

impl ConsoleMetrics {
    pub fn new(fleet: Arc<Fleet>, streams: Vec<StreamLimit>) -> Self {
        Self {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            fleet,
            streams,
        }
    }

    /// Counts every request and how long its answer took.
    pub async fn track(State(metrics): State<Self>, request: Request, next: Next) -> Response {
        let method = request.method().clone();
        let route = route_of(&method, request.uri().path());
        let started = Instant::now();
        let response = next.run(request).await;
        metrics
            .latency
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.clone(),
            })
            .observe(started.elapsed().as_secs_f64());
        metrics
            .requests
            .get_or_create(&HttpLabels {
                method: method.to_string(),
                route,
                status: response.status().as_u16(),
            })
            .inc();
        response
    }

    /// The scrape: the guard has admitted the caller (a `metrics` token or an admin).
    pub async fn scrape(State(metrics): State<Self>) -> Response {
        match metrics.render().await {
            Ok(text) => (
                [(
                    header::CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )],
                text,
            )
                .into_response(),
            Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, err).into_response(),
        }
    }

    async fn render(&self) -> Result<String, String> {
        let mut registry = Registry::with_prefix("flotilla");
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            self.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by route",
            self.latency.clone(),
        );

        let engine_requests = Family::<EngineLabels, Counter>::default();
        let engine_errors = Family::<EngineLabels, Counter>::default();
        for line in self
            .fleet
            .engine_requests()
            .await
            .map_err(|e| e.to_string())?
        {
            let labels = EngineLabels {
                swarm: line.swarm,
                host: line.host,
            };
            engine_requests.get_or_create(&labels).inc_by(line.requests);
            engine_errors.get_or_create(&labels).inc_by(line.errors);
        }
        registry.register(
            "engine_requests",
            "Requests sent to each registered engine",
            engine_requests,
        );
        registry.register(
            "engine_errors",
            "Requests to each engine that got no answer or a 5xx",
            engine_errors,
        );

        let streams = Family::<StreamLabels, Gauge>::default();
        for limit in &self.streams {
            streams
                .get_or_create(&StreamLabels {
                    kind: limit.kind().to_owned(),
                })
                .set(i64::try_from(limit.open_count()).unwrap_or(i64::MAX));
        }
        registry.register("open_streams", "Log and live streams open now", streams);

        registry.register(
            "deploy_duration_seconds",
            "Time from a stack deploy's plan to the swarm accepting every object",
            self.fleet.deploy_durations(),
        );

        let sampler = self.fleet.sampler_counters();
        let load = |v: &std::sync::atomic::AtomicU64| v.load(std::sync::atomic::Ordering::Relaxed);
        let counter = |value: u64| {
            let c = Counter::<u64>::default();
            c.inc_by(value);
            c
        };
        registry.register(
            "sampler_rounds",
            "Metrics rounds run",
            counter(load(&sampler.rounds)),
        );
        registry.register(
            "sampler_skipped_rounds",
            "Metrics rounds skipped because the one before overran",
            counter(load(&sampler.skipped)),
        );
        let last = Gauge::<i64>::default();
        last.set(i64::try_from(load(&sampler.last_round_ms)).unwrap_or(i64::MAX));
        registry.register(
            "sampler_last_round_milliseconds",
            "Wall time of the last metrics round",
            last,
        );

        let gauges = |help: &'static str| {
            (
                help,
                Family::<SubjectLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default(),
            )
        };
        let mut figures = [
            (
                "service_cpu_percent",
                gauges("CPU of a service's tasks, percent of one core"),
            ),
            (
                "service_memory_bytes",
                gauges("Memory a service's tasks use"),
            ),
            (
                "service_network_receive_bytes_per_second",
                gauges("Network received by a service's tasks"),
            ),
            (
                "service_network_transmit_bytes_per_second",
                gauges("Network sent by a service's tasks"),
            ),
            (
                "node_cpu_percent",
                gauges("CPU of a node's tasks, percent of one core"),
            ),
            ("node_memory_bytes", gauges("Memory a node's tasks use")),
            (
                "node_network_receive_bytes_per_second",
                gauges("Network received by a node's tasks"),
            ),
            (
                "node_network_transmit_bytes_per_second",
                gauges("Network sent by a node's tasks"),
            ),
        ];
        for aggregate in sampler.latest() {
            let labels = SubjectLabels {
                swarm: aggregate.swarm.clone(),
                name: aggregate.name.clone(),
            };
            let values = [
                aggregate.cpu_percent,
                Some(aggregate.memory as f64),
                aggregate.rates[0],
                aggregate.rates[1],
            ];
            let offset = if aggregate.kind == "node" { 4 } else { 0 };
            for (i, value) in values.into_iter().enumerate() {
                if let Some(value) = value {
                    figures[offset + i].1 .1.get_or_create(&labels).set(value);
                }
            }
        }
        for (name, (help, family)) in figures.iter_mut() {
            registry.register(*name, *help, family.clone());
        }

        let mut text = String::new();
        encode(&mut text, &registry).map_err(|err| err.to_string())?;
        Ok(text)
    }
}
