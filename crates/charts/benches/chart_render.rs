//! `make bench`: a 7-day chart (hour averages of 8 stacked task layers, 168 points each, and
//! the same at minute resolution, 10,080 points each) drawn as SVG. Goal: ≤ 20 ms. Prints
//! p50 and p99 and the SVG's size.

use std::time::{Duration, Instant};

use flotilla_charts::{chart_svg, Chart, Series, Theme, Unit};

fn main() {
    let to = 1_800_000_000;
    for (step, what) in [(3600, "hour averages"), (60, "minute averages")] {
        let points = 7 * 86_400 / step;
        let series: Vec<Series> = (0..8)
            .map(|layer| Series {
                label: format!("task {layer}"),
                points: (0..points)
                    .map(|i| {
                        (
                            to - 7 * 86_400 + i * step,
                            10.0 + ((i * (layer + 3)) % 40) as f64,
                        )
                    })
                    .collect(),
            })
            .collect();
        let chart = Chart {
            title: "CPU (% of one core)",
            unit: Unit::CorePercent,
            from: to - 7 * 86_400,
            to,
            step,
            series: &series,
            stacked: true,
            empty: "",
            utc_offset_minutes: 60,
            theme: Theme::Light,
            size: (640, 220),
        };
        let bytes = chart_svg(&chart).len();
        let mut times: Vec<Duration> = (0..50)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(chart_svg(&chart));
                started.elapsed()
            })
            .collect();
        times.sort();
        let ms = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
        println!(
            "7-day chart, 8 stacked tasks, {what} ({points} points each): p50 {:.1} ms, p99 {:.1} ms, {} KB (goal ≤ 20 ms)",
            ms(0.5),
            ms(0.99),
            bytes / 1000
        );
    }
}
