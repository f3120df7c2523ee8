//! `make bench`: the visualizer's board rendered on the server from synthetic states of
//! 30 nodes × 400 tasks and 100 nodes × 10,000 tasks (goal ≤ 100 ms and ≤ 2 MB of HTML at
//! the largest), and one task change applied to the largest (goal: well inside a 16 ms frame;
//! the browser's figure is measured by `end2end/bench/visualizer.mjs`). Prints p50 and p99.

use std::time::{Duration, Instant};

use flotilla_live::synthetic::synthetic;
use flotilla_live::{columns, Filter};

fn quantiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    (at(0.5), at(0.99))
}

fn main() {
    let filter = Filter::default();
    for (nodes, tasks, rounds) in [(30, 400, 200), (100, 10_000, 40)] {
        let state = synthetic(nodes, tasks);
        let html = app::board_html(&state, &filter);
        let times: Vec<Duration> = (0..rounds)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(app::board_html(&state, &filter));
                started.elapsed()
            })
            .collect();
        let (p50, p99) = quantiles(times);
        println!(
            "board render, {nodes:>3} nodes × {tasks:>6} tasks: p50 {p50:6.2} ms  p99 {p99:6.2} ms  {:7.1} KB of HTML",
            html.len() as f64 / 1024.0
        );
    }

    // One task changes state: the change applied and the board laid out again.
    let mut state = synthetic(100, 10_000);
    let times: Vec<Duration> = (0..200)
        .map(|i| {
            let mut next = state.clone();
            next.seq += 1;
            let task = next.tasks.get_mut("task004242").expect("task");
            task.state = if i % 2 == 0 { "failed" } else { "running" }.into();
            let delta = state.delta_to(&next);
            let started = Instant::now();
            assert!(state.apply(&delta));
            std::hint::black_box(columns(&state, &filter));
            started.elapsed()
        })
        .collect();
    let (p50, p99) = quantiles(times);
    println!("one change at 10,000 tasks, applied and laid out (native): p50 {p50:6.2} ms  p99 {p99:6.2} ms");
}
