//! Charts of a service (its tasks stacked) or a node: CPU, memory and network over a chosen
//! range, drawn on the server as SVG (plotters) in the viewer's theme and time zone, and
//! drawn again as new samples come in, without a page reload.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::Loading;
use crate::error::AppError;

/// The ranges offered, as the server takes them.
pub const RANGES: [&str; 5] = ["15m", "1h", "24h", "7d", "90d"];

/// The drawn charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawnCharts {
    pub cpu: String,
    pub memory: String,
    pub network: String,
    /// Why there is nothing to draw, when there is nothing.
    pub empty: String,
    /// Seconds between samples: how often drawing again is worth it.
    pub step: i64,
}

/// `kind` is `service` (by name) or `node` (by ID).
#[server(endpoint = "metrics/charts")]
pub async fn metric_charts(
    swarm: String,
    kind: String,
    name: String,
    range: String,
    dark: bool,
    utc_offset_minutes: i32,
) -> Result<DrawnCharts, AppError> {
    use flotilla_charts::{chart_svg, Chart, Theme, Unit};
    use flotilla_fleet::MetricRange;

    let caller = crate::auth::ssr::authorize::<MetricCharts>().await?;
    let range = MetricRange::parse(&range)
        .ok_or_else(|| AppError::invalid("range", format!("`{range}` is not one of {RANGES:?}")))?;
    if !(-14 * 60..=14 * 60).contains(&utc_offset_minutes) {
        return Err(AppError::invalid(
            "utc_offset_minutes",
            "a time zone is at most 14 hours from UTC",
        ));
    }
    let now = flotilla_store::now_millis() / 1000;
    let charts = match kind.as_str() {
        "service" => {
            caller
                .fleet
                .service_metrics(&swarm, &name, range, now)
                .await?
        }
        "node" => caller.fleet.node_metrics(&swarm, &name, range, now).await?,
        other => {
            return Err(AppError::invalid(
                "kind",
                format!("`{other}`: service or node"),
            ))
        }
    };
    // Drawing is CPU work: off the async workers.
    let drawn = tokio::task::spawn_blocking(move || {
        let theme = if dark { Theme::Dark } else { Theme::Light };
        let draw = |title: &str, unit: Unit, series: &[flotilla_charts::Series], stacked: bool| {
            chart_svg(&Chart {
                title,
                unit,
                from: charts.from,
                to: charts.to,
                step: charts.step,
                series,
                stacked,
                empty: &charts.empty,
                utc_offset_minutes,
                theme,
                size: (640, 220),
            })
        };
        let stacked = kind == "service";
        DrawnCharts {
            cpu: draw(
                "CPU (% of one core)",
                Unit::CorePercent,
                &charts.cpu,
                stacked,
            ),
            memory: draw("Memory", Unit::Bytes, &charts.memory, stacked),
            network: draw("Network", Unit::BytesPerSecond, &charts.network, false),
            empty: charts.empty.clone(),
            step: charts.step,
        }
    })
    .await
    .map_err(|err| AppError::internal(format!("drawing the charts failed: {err}")))?;
    Ok(drawn)
}

/// CPU over the last hour as small lines, by name: services (`kind` `service`, the names
/// given) or nodes (`node`, every node of the swarm by ID when `names` is empty).
#[server(endpoint = "metrics/sparklines", input = leptos::server_fn::codec::Json)]
pub async fn cpu_sparklines(
    swarm: String,
    kind: String,
    names: Vec<String>,
    dark: bool,
) -> Result<std::collections::BTreeMap<String, String>, AppError> {
    use flotilla_charts::{sparkline_svg, Theme};
    use flotilla_store::SubjectKind;
    /// The most one call draws: a page of services, a swarm's nodes.
    const MOST_SPARKLINES: usize = 500;

    let caller = crate::auth::ssr::authorize::<CpuSparklines>().await?;
    if names.len() > MOST_SPARKLINES {
        return Err(AppError::invalid(
            "names",
            format!("at most {MOST_SPARKLINES} at once"),
        ));
    }
    let kind = match kind.as_str() {
        "service" => SubjectKind::Service,
        "node" => SubjectKind::Node,
        other => {
            return Err(AppError::invalid(
                "kind",
                format!("`{other}`: service or node"),
            ))
        }
    };
    let now = flotilla_store::now_millis() / 1000;
    let step = caller.fleet.metrics_interval_seconds();
    let mut lines = caller.fleet.cpu_sparklines(&swarm, kind, now).await?;
    if !names.is_empty() {
        lines.retain(|name, _| names.contains(name));
    }
    let theme = if dark { Theme::Dark } else { Theme::Light };
    let drawn = tokio::task::spawn_blocking(move || {
        lines
            .into_iter()
            .take(MOST_SPARKLINES)
            .map(|(name, points)| {
                let svg = sparkline_svg(&points, (now - 3600, now, step), theme, (120, 24));
                (name, svg)
            })
            .collect()
    })
    .await
    .map_err(|err| AppError::internal(format!("drawing failed: {err}")))?;
    Ok(drawn)
}

/// Nodes' CPU sparklines by node ID, shared by the visualizer's columns.
#[derive(Debug, Clone, Copy)]
pub struct NodeSparklines(pub RwSignal<std::collections::BTreeMap<String, String>>);

/// The viewer's dark preference and offset from UTC, read in the browser.
pub fn viewer() -> (bool, i32) {
    #[cfg(feature = "hydrate")]
    {
        let dark = web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches());
        // getTimezoneOffset is minutes *behind* UTC.
        let offset = -(js_sys::Date::new_0().get_timezone_offset() as i32);
        (dark, offset)
    }
    #[cfg(not(feature = "hydrate"))]
    (false, 0)
}

#[component]
pub fn MetricsPanel(swarm: String, kind: &'static str, name: String) -> impl IntoView {
    let range = RwSignal::new("1h".to_owned());
    let ticks = RwSignal::new(0u64);
    #[cfg(feature = "hydrate")]
    {
        // New samples come every round (15 s unless configured): draw again then.
        let handle = set_interval_with_handle(
            move || ticks.update(|n| *n += 1),
            std::time::Duration::from_secs(15),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    }
    let target = StoredValue::new((swarm, name));
    let charts = Resource::new(
        move || (range.get(), ticks.get()),
        move |(range, _)| {
            let ((swarm, name), (dark, offset)) = (target.get_value(), viewer());
            metric_charts(swarm, kind.to_owned(), name, range, dark, offset)
        },
    );
    view! {
        <section class="metrics" id="metrics" data-kind=kind>
            <h2>"Metrics"</h2>
            <p class="actions ranges">
                {RANGES.into_iter().map(|r| view! {
                    <button class="secondary range" data-range=r
                        class:selected=move || range.get() == r
                        on:click=move |_| range.set(r.to_owned())>{r}</button>
                }).collect_view()}
            </p>
            <Loading>
                {move || Suspend::new(async move {
                    let drawn = charts.await?;
                    let unregistered = drawn.empty.contains("register this node's engine");
                    Ok::<_, AppError>(view! {
                        {unregistered.then(|| view! {
                            <p class="notice" id="metrics-register">"No metrics: "
                                <a href="/hosts">"register this node's engine"</a>
                                " as a host, and its tasks are sampled from the next round."</p>
                        })}
                        <div class="charts" data-empty=(!drawn.empty.is_empty()).to_string()
                            data-range=range.get_untracked()>
                            <div class="chart" id="chart-cpu" inner_html=drawn.cpu></div>
                            <div class="chart" id="chart-memory" inner_html=drawn.memory></div>
                            <div class="chart" id="chart-network" inner_html=drawn.network></div>
                        </div>
                    })
                })}
            </Loading>
        </section>
    }
}
