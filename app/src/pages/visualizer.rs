//! The swarm's placement view, the visualizer: a column per node, a card per task (or, on a
//! crowded node, per service with counts), a legend with a stable colour per service that
//! highlights on hover or focus and scales with − / +. Rendered on the server from the swarm's
//! live state, then kept current in the browser by one server-sent-events stream of small
//! changes (`/api/v1/swarms/{swarm}/live`).

use flotilla_live::{columns, Card, Column, Filter, LegendEntry, Snapshot, Staleness};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::{Deserialize, Serialize};

use crate::components::{ErrorNotice, Loading};
use crate::error::AppError;
use crate::pages::services::page::ScaleService;

/// The board as the page first shows it, laid out on the server: its size follows the cards
/// drawn, not the tasks (at 10,000 tasks, a few hundred kilobytes rather than megabytes), since
/// the page carries it for hydration. The stream then brings the whole state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardStart {
    pub stale: Option<Staleness>,
    /// The swarm's stacks, for the filter.
    pub stacks: Vec<String>,
    pub columns: Vec<Column>,
    pub legend: Vec<LegendEntry>,
}

fn stacks_of(state: &Snapshot) -> Vec<String> {
    let mut stacks: Vec<String> = state
        .services
        .values()
        .filter_map(|s| s.stack.clone())
        .collect();
    stacks.sort();
    stacks.dedup();
    stacks
}

#[server(endpoint = "swarm/live")]
pub async fn live_board(
    swarm: String,
    stack: String,
    service: String,
    label: String,
) -> Result<BoardStart, AppError> {
    let caller = crate::auth::ssr::authorize::<LiveBoard>().await?;
    let state = caller.fleet.watch_swarm(&swarm).await?.snapshot();
    let filter = Filter {
        stack,
        service,
        node_label: label,
    };
    let (columns, legend) = columns(&state, &filter);
    Ok(BoardStart {
        stale: state.stale.clone(),
        stacks: stacks_of(&state),
        columns,
        legend,
    })
}

#[component]
pub fn Visualizer(swarm: String) -> impl IntoView {
    let query = use_query_map();
    let initial = {
        let swarm = swarm.clone();
        Resource::new(
            || (),
            move |_| {
                let (stack, service, label) = query.with_untracked(|q| {
                    (
                        q.get("stack").unwrap_or_default(),
                        q.get("service").unwrap_or_default(),
                        q.get("label").unwrap_or_default(),
                    )
                });
                live_board(swarm.clone(), stack, service, label)
            },
        )
    };
    let swarm = StoredValue::new(swarm);
    view! {
        <Loading text="Reading the swarm…">
            {move || Suspend::new(async move {
                let start = initial.await?;
                Ok::<_, AppError>(view! { <Board swarm=swarm.get_value() start/> })
            })}
        </Loading>
    }
}

/// `HH:MM:SS` (UTC) of unix milliseconds.
fn clock(millis: i64) -> String {
    let secs = millis.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// What identifies a column's whole look: when it changes, the column is drawn again.
fn column_key(column: &Column) -> String {
    let mut key = match &column.node {
        Some(node) => format!(
            "{}|{}|{}|{}|{}",
            node.id, node.state, node.availability, node.role, node.leader
        ),
        None => "unplaced".to_owned(),
    };
    for card in &column.cards {
        key.push('|');
        match card {
            Card::Task { task, .. } => {
                key.push_str(&format!("{}:{}:{}", task.id, task.state, task.since));
            }
            Card::Group {
                service_id, counts, ..
            } => key.push_str(&format!("{service_id}:{counts:?}")),
        }
    }
    key
}

#[component]
fn Board(swarm: String, start: BoardStart) -> impl IntoView {
    // The whole state, once the stream has brought it; until then the server's layout.
    let state = RwSignal::new(None::<Snapshot>);
    let start = StoredValue::new(start);
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| Filter {
            stack: q.get("stack").unwrap_or_default(),
            service: q.get("service").unwrap_or_default(),
            node_label: q.get("label").unwrap_or_default(),
        })
    });
    let layout = Memo::new(move |_| {
        state.with(|s| match s {
            Some(s) => columns(s, &filter.get()),
            None => start.with_value(|b| (b.columns.clone(), b.legend.clone())),
        })
    });
    let highlight = RwSignal::new(None::<String>);
    crate::live_stream::follow_live(&swarm, state);
    node_sparklines(&swarm);
    let stale = move || {
        state.with(|s| match s {
            Some(s) => s.stale.clone(),
            None => start.with_value(|b| b.stale.clone()),
        })
    };
    let stacks = Memo::new(move |_| {
        state.with(|s| match s {
            Some(s) => stacks_of(s),
            None => start.with_value(|b| b.stacks.clone()),
        })
    });
    let navigate = use_navigate();
    let path = format!("/swarms/{swarm}");
    let set_filter = move |key: &'static str, value: String| {
        let mut next = filter.get_untracked();
        match key {
            "stack" => next.stack = value,
            "service" => next.service = value,
            _ => next.node_label = value,
        }
        let parts: Vec<String> = [
            ("stack", &next.stack),
            ("service", &next.service),
            ("label", &next.node_label),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::views::percent_encode(v)))
        .collect();
        let url = if parts.is_empty() {
            path.clone()
        } else {
            format!("{path}?{}", parts.join("&"))
        };
        navigate(&url, Default::default());
    };
    let set_filter = StoredValue::new(set_filter);
    let swarm = StoredValue::new(swarm);
    view! {
        {move || stale().map(|s| view! {
            <p class="notice error" id="live-stale">{format!("Engine unreachable since {} UTC: {}", clock(s.since), s.reason)}</p>
        })}
        <div class="toolbar board-filters">
            <label>"Stack "
                <select id="board-stack" prop:value=move || filter.get().stack
                    on:change=move |ev| set_filter.with_value(|f| f("stack", event_target_value(&ev)))>
                    <option value="">"all"</option>
                    {move || stacks.get().into_iter().map(|s| view! { <option value=s.clone()>{s.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label>"Service "
                <input type="search" id="board-service" placeholder="full name" prop:value=move || filter.get().service
                    on:change=move |ev| set_filter.with_value(|f| f("service", event_target_value(&ev)))/>
            </label>
            <label>"Node label "
                <input type="search" id="board-label" placeholder="key or key=value" prop:value=move || filter.get().node_label
                    on:change=move |ev| set_filter.with_value(|f| f("label", event_target_value(&ev)))/>
            </label>
            <span id="task-count">{move || format!("{} tasks", layout.with(|(c, _)| c.iter().map(|c| c.task_count).sum::<usize>()))}</span>
        </div>
        <Legend entries=Signal::derive(move || layout.with(|(_, l)| l.clone())) highlight swarm=swarm.get_value()/>
        // One rule dims every other service's cards: cheaper than a binding per card.
        {move || highlight.get().map(|service| {
            let service: String = service.chars().filter(|c| c.is_ascii_alphanumeric() || "_.-".contains(*c)).collect();
            view! { <style>{format!("#board .task-card:not([data-service=\"{service}\"]) {{ opacity: 0.3; }}")}</style> }
        })}
        <section class="nodes" id="board">
            <For each=move || layout.with(|(c, _)| c.iter().map(|c| (column_key(c), c.clone())).collect::<Vec<_>>())
                key=|(key, _)| key.clone()
                children=|(_, column)| view! { <NodeColumn column/> }/>
        </section>
    }
}

/// The board as the server renders it for `snapshot` seen through `filter` (the render
/// benchmark measures it).
#[cfg(feature = "ssr")]
pub fn board_html(snapshot: &Snapshot, filter: &Filter) -> String {
    let (columns, legend) = columns(snapshot, filter);
    Owner::new().with(|| {
        view! {
            <Legend entries=Signal::stored(legend) highlight=RwSignal::new(None) swarm=snapshot.swarm.clone()/>
            <section class="nodes" id="board">
                {columns.into_iter().map(|column| view! { <NodeColumn column/> }).collect_view()}
            </section>
        }
        .to_html()
    })
}

/// Every node's CPU over the last hour, for the columns, drawn again each minute.
fn node_sparklines(swarm: &str) {
    let lines = RwSignal::new(std::collections::BTreeMap::new());
    provide_context(crate::pages::metrics::NodeSparklines(lines));
    let swarm = swarm.to_owned();
    let fetch = move || {
        let swarm = swarm.clone();
        leptos::task::spawn_local(async move {
            let dark = crate::pages::metrics::viewer().0;
            if let Ok(drawn) =
                crate::pages::metrics::cpu_sparklines(swarm, "node".into(), Vec::new(), dark).await
            {
                lines.set(drawn);
            }
        });
    };
    #[cfg(feature = "hydrate")]
    {
        fetch();
        let handle = set_interval_with_handle(fetch, std::time::Duration::from_secs(60));
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = fetch;
}

#[component]
fn NodeColumn(column: Column) -> impl IntoView {
    let cards = column
        .cards
        .into_iter()
        .map(|card| view! { <CardView card/> })
        .collect_view();
    match column.node {
        Some(node) => {
            let role = if node.leader {
                "manager · leader".to_owned()
            } else {
                node.role.clone()
            };
            let labels = node
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <article class="node" data-hostname=node.hostname.clone() data-availability=node.availability.clone()
                    class:drained=node.availability != "active" class:down=node.state != "ready">
                    <header>
                        <h2 class="hostname">{node.hostname.clone()}</h2>
                        <span class=format!("pill state-{}", node.state)>{node.state.clone()}</span>
                    </header>
                    <dl>
                        <dt>"Role"</dt><dd class="role">{role}</dd>
                        <dt>"Availability"</dt><dd class="availability">{node.availability.clone()}</dd>
                        <dt>"Size"</dt><dd>{format!("{} CPUs, {:.1} GiB", node.cpus, node.memory_bytes as f64 / (1u64 << 30) as f64)}</dd>
                        <dt>"Engine"</dt><dd>{node.engine_version.clone()}</dd>
                        <dt>"Address"</dt><dd>{node.address.clone()}</dd>
                        {(!labels.is_empty()).then(|| view! { <dt>"Labels"</dt><dd class="labels">{labels}</dd> })}
                    </dl>
                    <div class="sparkline" title="CPU, last hour" inner_html={
                        let id = node.id.clone();
                        move || use_context::<crate::pages::metrics::NodeSparklines>()
                            .and_then(|lines| lines.0.with(|l| l.get(&id).cloned()))
                            .unwrap_or_default()
                    }></div>
                    <p class="hint">{format!("{} tasks", column.task_count)}</p>
                    <ul class="task-cards">{cards}</ul>
                </article>
            }.into_any()
        }
        None => view! {
            <section class="unplaced">
                <h2>"Not yet placed"</h2>
                <ul class="task-cards">{cards}</ul>
            </section>
        }
        .into_any(),
    }
}

fn colour_style(hue: u16) -> String {
    format!("border-left-color: hsl({hue} 65% 45%)")
}

#[component]
fn CardView(card: Card) -> impl IntoView {
    match card {
        Card::Task {
            task,
            service,
            colour,
        } => {
            let name = match task.slot {
                Some(slot) => format!("{service}.{slot}"),
                None => service.clone(),
            };
            let title = task.error.clone().unwrap_or_default();
            view! {
                <li class=format!("task-card task-{}", task.state) data-service=service data-task=task.id.clone()
                    style=colour_style(colour) title=title tabindex="0">
                    <span class="task-name">{name}</span>
                    <span class="task-state">{task.state.clone()}</span>
                    <span class="task-image">{task.image.clone()}</span>
                    <span class="task-since">{(task.since > 0).then(|| format!("since {}", clock(task.since)))}</span>
                    {task.error.map(|err| view! { <span class="task-card-error">{err}</span> })}
                </li>
            }.into_any()
        }
        Card::Group {
            service,
            colour,
            counts,
            ..
        } => {
            let total: usize = counts.iter().map(|(_, n)| n).sum();
            let states = counts
                .iter()
                .map(|(state, n)| format!("{n} {state}"))
                .collect::<Vec<_>>()
                .join(" · ");
            view! {
                <li class="task-card group" data-service=service.clone() style=colour_style(colour) tabindex="0">
                    <span class="task-name">{format!("{service} × {total}")}</span>
                    <span class="task-image">{states}</span>
                </li>
            }.into_any()
        }
    }
}

#[component]
fn Legend(
    entries: Signal<Vec<LegendEntry>>,
    highlight: RwSignal<Option<String>>,
    swarm: String,
) -> impl IntoView {
    let scale = ServerAction::<ScaleService>::new();
    let swarm = StoredValue::new(swarm);
    let scale_to = move |service: String, replicas: u64| {
        scale.dispatch(ScaleService {
            swarm: swarm.get_value(),
            service,
            replicas: replicas.to_string(),
            record: true,
        });
    };
    view! {
        {move || scale.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error id="legend-error"/> })}
        <ul class="legend" id="legend">
            // Keyed: a change redraws the entries it touched, not the whole legend.
            <For each=move || entries.get()
                key=|e| (e.service_id.clone(), e.tasks, e.replicas, e.colour)
                children=move |entry| {
                let (enter, focus) = (entry.name.clone(), entry.name.clone());
                let replicas = entry.replicas;
                let (down, up) = (entry.name.clone(), entry.name.clone());
                view! {
                    <li class="legend-entry" data-service=entry.name.clone()>
                        <button class="link legend-name" style=colour_style(entry.colour)
                            on:mouseenter=move |_| highlight.set(Some(enter.clone()))
                            on:mouseleave=move |_| highlight.set(None)
                            on:focus=move |_| highlight.set(Some(focus.clone()))
                            on:blur=move |_| highlight.set(None)>
                            {entry.name.clone()}
                        </button>
                        <span class="legend-count">{match replicas {
                            Some(r) => format!("{}/{r}", entry.tasks),
                            None => format!("{} ({})", entry.tasks, entry.mode),
                        }}</span>
                        {replicas.map(|r| view! {
                            <button class="secondary legend-down" aria-label=format!("one replica less of {down}")
                                disabled=move || scale.pending().get() || r == 0
                                on:click={ let down = down.clone(); move |_| scale_to(down.clone(), r.saturating_sub(1)) }>"−"</button>
                            <button class="secondary legend-up" aria-label=format!("one replica more of {up}")
                                disabled=move || scale.pending().get()
                                on:click={ let up = up.clone(); move |_| scale_to(up.clone(), r + 1) }>"+"</button>
                        })}
                    </li>
                }
            }/>
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_read_in_seconds() {
        assert_eq!(clock(0), "00:00:00");
        assert_eq!(clock(3_723_000), "01:02:03");
    }
}
