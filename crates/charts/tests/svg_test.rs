//! The SVG is a valid document that carries what it was given: parsed here, not matched as
//! text.

use flotilla_charts::{chart_svg, sparkline_svg, Chart, Series, Theme, Unit};

fn chart<'a>(series: &'a [Series], stacked: bool, theme: Theme) -> Chart<'a> {
    Chart {
        title: "CPU <of> & core",
        unit: Unit::CorePercent,
        from: 1_800_000_000,
        to: 1_800_003_600,
        step: 15,
        series,
        stacked,
        empty: "no samples yet",
        utc_offset_minutes: 60,
        theme,
        size: (640, 220),
    }
}

fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_owned())
        .collect()
}

#[test]
fn a_chart_is_valid_svg_with_its_series_units_and_local_times() {
    let series = vec![
        Series {
            label: "task a".into(),
            points: (0..240).map(|i| (1_800_000_000 + i * 15, 40.0)).collect(),
        },
        Series {
            label: "task b".into(),
            // Silent for ten minutes in the middle: a gap, not zeros.
            points: (0..240)
                .filter(|i| !(100..140).contains(i))
                .map(|i| (1_800_000_000 + i * 15, 60.0))
                .collect(),
        },
    ];
    let svg = chart_svg(&chart(&series, true, Theme::Light));
    let doc = roxmltree::Document::parse(&svg).expect("valid SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let texts = texts(&doc);
    assert!(texts.iter().any(|t| t == "CPU <of> & core"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "task a") && texts.iter().any(|t| t == "task b"));
    assert!(
        texts.iter().any(|t| t.ends_with(" %")),
        "units on the y axis: {texts:?}"
    );
    // 1_800_000_000 is 2027-01-15 08:00 UTC: 09:00 an hour east.
    assert!(
        texts.iter().any(|t| t.starts_with("09:")),
        "local times: {texts:?}"
    );
    // Stacked layers are filled areas, one per layer, in the series' colours.
    for colour in ["#3B82F6", "#F59E0B"] {
        let filled = doc
            .descendants()
            .filter(|n| n.attribute("fill") == Some(colour))
            .count();
        assert!(filled >= 1, "no area in {colour}");
    }
}

#[test]
fn an_empty_chart_says_why() {
    let svg = chart_svg(&chart(&[], false, Theme::Dark));
    let doc = roxmltree::Document::parse(&svg).expect("valid SVG");
    assert!(texts(&doc).iter().any(|t| t == "No data: no samples yet"));
}

#[test]
fn lines_break_where_samples_are_missing() {
    let series = vec![Series {
        label: "node".into(),
        // Ten samples, then silence for five minutes, then ten more.
        points: (0..10_i32)
            .chain(30..40)
            .map(|i| (1_800_000_000 + i64::from(i) * 15, f64::from(i)))
            .collect(),
    }];
    let svg = chart_svg(&chart(&series, false, Theme::Light));
    let doc = roxmltree::Document::parse(&svg).expect("valid SVG");
    let lines = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some("#3B82F6"))
        .count();
    assert_eq!(lines, 2, "one line before the silence, one after");
    let spark = sparkline_svg(
        &series[0].points,
        (1_800_000_000, 1_800_000_600, 15),
        Theme::Light,
        (120, 24),
    );
    roxmltree::Document::parse(&spark).expect("valid sparkline");
}
