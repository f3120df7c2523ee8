//! Charts drawn on the server as SVG with plotters: a time series chart with units on both
//! axes and the time in the viewer's zone, optionally stacked (tasks of a service), and a
//! sparkline. A gap in the samples (an engine that stopped answering) stays a gap: lines
//! break where samples are missing, never fall to zero. An empty chart says why.

mod time;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub use time::local_label;

/// What the values measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Percent of one CPU core.
    CorePercent,
    Bytes,
    BytesPerSecond,
}

impl Unit {
    /// `12 %`, `3.4 MiB`, `120 KiB/s`.
    pub fn format(self, value: f64) -> String {
        match self {
            Self::CorePercent => format!("{value:.0} %"),
            Self::Bytes => bytes(value),
            Self::BytesPerSecond => format!("{}/s", bytes(value)),
        }
    }
}

fn bytes(value: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = value.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

struct Palette {
    background: RGBColor,
    text: RGBColor,
    grid: RGBColor,
    series: [RGBColor; 8],
}

impl Theme {
    fn palette(self) -> Palette {
        let series = [
            RGBColor(0x3b, 0x82, 0xf6),
            RGBColor(0xf5, 0x9e, 0x0b),
            RGBColor(0x10, 0xb9, 0x81),
            RGBColor(0xef, 0x44, 0x44),
            RGBColor(0x8b, 0x5c, 0xf6),
            RGBColor(0x06, 0xb6, 0xd4),
            RGBColor(0xec, 0x48, 0x99),
            RGBColor(0x84, 0xcc, 0x16),
        ];
        match self {
            Self::Light => Palette {
                background: RGBColor(0xff, 0xff, 0xff),
                text: RGBColor(0x1f, 0x29, 0x37),
                grid: RGBColor(0xe5, 0xe7, 0xeb),
                series,
            },
            Self::Dark => Palette {
                background: RGBColor(0x11, 0x18, 0x27),
                text: RGBColor(0xe5, 0xe7, 0xeb),
                grid: RGBColor(0x37, 0x41, 0x51),
                series,
            },
        }
    }
}

/// One line (or layer, when stacked): `(Unix seconds, value)` in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(i64, f64)>,
}

/// A chart to draw.
#[derive(Debug, Clone)]
pub struct Chart<'a> {
    pub title: &'a str,
    pub unit: Unit,
    /// The time shown, Unix seconds.
    pub from: i64,
    pub to: i64,
    /// Seconds between samples: a longer silence is a gap.
    pub step: i64,
    pub series: &'a [Series],
    /// Layers on top of each other (tasks of a service), or lines.
    pub stacked: bool,
    /// Why there are no samples, said in the chart when there are none.
    pub empty: &'a str,
    /// The viewer's offset from UTC, for the time axis.
    pub utc_offset_minutes: i32,
    pub theme: Theme,
    pub size: (u32, u32),
}

/// Runs of points with no silence longer than twice the step between them.
fn runs(points: &[(i64, f64)], step: i64) -> Vec<&[(i64, f64)]> {
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..points.len() {
        if points[i].0 - points[i - 1].0 > 2 * step.max(1) {
            runs.push(&points[start..i]);
            start = i;
        }
    }
    if start < points.len() {
        runs.push(&points[start..]);
    }
    runs
}

/// Each layer's top edge: the sum of it and the layers under it, at each time any layer has
/// a sample.
fn stack(series: &[Series]) -> Vec<Vec<(i64, f64)>> {
    let mut times: Vec<i64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    times.sort_unstable();
    times.dedup();
    let mut below = vec![0.0; times.len()];
    series
        .iter()
        .map(|s| {
            let mut layer = Vec::new();
            for (i, at) in times.iter().enumerate() {
                let value = s
                    .points
                    .binary_search_by_key(at, |p| p.0)
                    .map_or(0.0, |k| s.points[k].1);
                below[i] += value;
                layer.push((*at, below[i]));
            }
            layer
        })
        .collect()
}

/// The chart as an SVG document.
pub fn chart_svg(chart: &Chart) -> String {
    let mut out = String::new();
    {
        let palette = chart.theme.palette();
        let root = SVGBackend::with_string(&mut out, chart.size).into_drawing_area();
        // Drawing into a string cannot fail; a chart that could not be drawn is left as is.
        let _ = draw(&root, chart, &palette);
        let _ = root.present();
    }
    out
}

fn draw<'a>(
    root: &'a DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    chart: &Chart,
    palette: &Palette,
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    root.fill(&palette.background)?;
    let text = |size: u32| ("sans-serif", size).into_font().color(&palette.text);
    let has_data = chart.series.iter().any(|s| !s.points.is_empty());
    let layers: Vec<Vec<(i64, f64)>> = if chart.stacked {
        stack(chart.series)
    } else {
        chart.series.iter().map(|s| s.points.clone()).collect()
    };
    let top = layers
        .iter()
        .flat_map(|l| l.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    let floor = match chart.unit {
        Unit::CorePercent => 10.0,
        Unit::Bytes | Unit::BytesPerSecond => 1024.0,
    };
    let y_top = (top * 1.1).max(floor);
    let (from, to) = (chart.from, chart.to.max(chart.from + 1));
    let offset = chart.utc_offset_minutes;
    let span = to - from;
    let mut built = ChartBuilder::on(root)
        .caption(chart.title, text(14))
        .margin(8)
        .x_label_area_size(22)
        .y_label_area_size(64)
        .build_cartesian_2d(from..to, 0.0..y_top)?;
    built
        .configure_mesh()
        .light_line_style(palette.grid)
        .bold_line_style(palette.grid)
        .axis_style(palette.text)
        .label_style(text(11))
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|at| local_label(*at, offset, span))
        .y_label_formatter(&|v| chart.unit.format(*v))
        .draw()?;
    if !has_data {
        let (w, h) = chart.size;
        let centre = Pos::new(HPos::Center, VPos::Center);
        root.draw(&Text::new(
            format!("No data: {}", chart.empty),
            (
                i32::try_from(w / 2).unwrap_or(0),
                i32::try_from(h / 2).unwrap_or(0),
            ),
            text(13).pos(centre),
        ))?;
        return Ok(());
    }
    // Stacked layers are painted from the top one down, each hiding the part of the one
    // before that is its own.
    let order: Vec<usize> = if chart.stacked {
        (0..layers.len()).rev().collect()
    } else {
        (0..layers.len()).collect()
    };
    for index in order {
        let colour = palette.series[index % palette.series.len()];
        let label = chart.series[index].label.clone();
        for run in runs(&layers[index], chart.step) {
            if chart.stacked {
                built.draw_series(AreaSeries::new(
                    run.iter().copied(),
                    0.0,
                    colour.mix(0.55).filled(),
                ))?;
            } else {
                built.draw_series(LineSeries::new(run.iter().copied(), colour.stroke_width(2)))?;
            }
        }
        built
            .draw_series(std::iter::empty::<Circle<(i64, f64), u32>>())?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], colour.filled()));
    }
    if chart.series.len() > 1 {
        built
            .configure_series_labels()
            .background_style(palette.background.mix(0.8))
            .border_style(palette.grid)
            .label_font(text(11))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
    }
    Ok(())
}

/// A small line without axes, for lists; an empty one is a flat, faint rule.
pub fn sparkline_svg(
    points: &[(i64, f64)],
    (from, to, step): (i64, i64, i64),
    theme: Theme,
    size: (u32, u32),
) -> String {
    let mut out = String::new();
    {
        let palette = theme.palette();
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        let top = points.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(1.0);
        if let Ok(mut chart) =
            ChartBuilder::on(&root).build_cartesian_2d(from..to.max(from + 1), 0.0..top * 1.1)
        {
            let colour = palette.series[0];
            for run in runs(points, step) {
                let _ =
                    chart.draw_series(LineSeries::new(run.iter().copied(), colour.stroke_width(1)));
            }
            if points.is_empty() {
                let middle = top * 0.05;
                let _ = chart.draw_series(LineSeries::new(
                    [(from, middle), (to, middle)],
                    palette.grid.stroke_width(1),
                ));
            }
        }
        let _ = root.present();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silences_break_the_line() {
        let points = [(0, 1.0), (15, 1.0), (30, 1.0), (120, 1.0), (135, 1.0)];
        let runs = runs(&points, 15);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1], &points[3..]);
    }

    #[test]
    fn layers_add_up() {
        let series = [
            Series {
                label: "a".into(),
                points: vec![(0, 1.0), (15, 2.0)],
            },
            Series {
                label: "b".into(),
                points: vec![(15, 3.0)],
            },
        ];
        assert_eq!(stack(&series)[1], vec![(0, 1.0), (15, 5.0)]);
    }

    #[test]
    fn units_read_as_people_write_them() {
        assert_eq!(Unit::Bytes.format(3.5 * 1024.0 * 1024.0), "3.5 MiB");
        assert_eq!(Unit::BytesPerSecond.format(512.0), "512 B/s");
        assert_eq!(Unit::CorePercent.format(99.6), "100 %");
    }
}
