//! A service's logs, followed live: one stream per open view (server-sent events from
//! `/api/v1/…/logs`), closed when the view goes. Lines are text nodes, so a line cannot
//! inject markup; the view keeps the last few thousand.

use std::collections::VecDeque;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Lines kept in the view; older ones scroll away.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const KEPT: usize = 2_000;

/// One line as the stream sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownLine {
    pub stderr: bool,
    pub timestamp: Option<String>,
    pub task: Option<String>,
    pub text: String,
}

/// The stream's URL for these choices.
fn stream_url(swarm: &str, service: &str, tail: &str, since: &str, timestamps: bool) -> String {
    let mut url = format!(
        "/api/v1/swarms/{swarm}/services/{service}/logs?follow=true&timestamps={timestamps}"
    );
    if let Ok(tail) = tail.trim().parse::<u32>() {
        url.push_str(&format!("&tail={tail}"));
    }
    if !since.is_empty() {
        url.push_str(&format!("&since={since}"));
    }
    url
}

#[component]
pub fn LogsPanel(swarm: String, service: String) -> impl IntoView {
    let lines = RwSignal::new(VecDeque::<ShownLine>::new());
    let filter = RwSignal::new(String::new());
    let tail = RwSignal::new("200".to_owned());
    let since = RwSignal::new(String::new());
    let timestamps = RwSignal::new(true);
    let following = RwSignal::new(false);
    let status = RwSignal::new(String::new());
    let url = move || {
        stream_url(
            &swarm,
            &service,
            &tail.get(),
            &since.get(),
            timestamps.get(),
        )
    };
    follow(url, following, lines, status);
    let shown = move || {
        let needle = filter.get().to_lowercase();
        lines.with(|lines| {
            lines
                .iter()
                .filter(|l| needle.is_empty() || l.text.to_lowercase().contains(&needle))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let download = move || {
        let text: String = lines.with(|lines| {
            lines
                .iter()
                .map(|l| {
                    format!(
                        "{}{}\n",
                        l.timestamp.clone().map(|t| t + " ").unwrap_or_default(),
                        l.text
                    )
                })
                .collect()
        });
        format!(
            "data:text/plain;charset=utf-8,{}",
            crate::views::percent_encode(&text)
        )
    };
    view! {
        <h2>"Logs"</h2>
        <div class="toolbar logs-controls">
            <button id="follow-logs" on:click=move |_| following.update(|f| *f = !*f)>
                {move || if following.get() { "Stop" } else { "Follow" }}
            </button>
            <label>"Last " <input type="text" id="log-tail" class="replicas" bind:value=tail/> " lines"</label>
            <label>"Since "
                <select id="log-since" bind:value=since>
                    <option value="">"the start"</option>
                    <option value="10m">"10 minutes"</option>
                    <option value="1h">"1 hour"</option>
                    <option value="24h">"1 day"</option>
                </select>
            </label>
            <label class="inline"><input type="checkbox" id="log-timestamps" prop:checked=move || timestamps.get()
                on:change=move |ev| timestamps.set(event_target_checked(&ev))/>" timestamps"</label>
            <input type="search" id="log-filter" placeholder="Filter lines" bind:value=filter/>
            <a class="button" id="download-logs" download="logs.txt" href=download>"Download"</a>
            <span class="hint" id="log-status">{move || status.get()}</span>
        </div>
        <pre class="logs" id="logs">
            {move || shown().into_iter().map(|line| view! {
                <div class="log-line" class:stderr=line.stderr data-task=line.task.clone()>
                    {line.timestamp.map(|t| view! { <span class="log-time">{t}" "</span> })}
                    {line.text}
                </div>
            }).collect_view()}
        </pre>
    }
}

/// While `following`, keeps one EventSource open on `url()` and appends what it sends.
#[cfg(feature = "hydrate")]
fn follow(
    url: impl Fn() -> String + Send + Sync + 'static,
    following: RwSignal<bool>,
    lines: RwSignal<VecDeque<ShownLine>>,
    status: RwSignal<String>,
) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    type Handler<T> = Closure<dyn FnMut(T)>;
    // The open stream with its handlers, which live exactly as long as it does.
    let current = StoredValue::new_local(
        None::<(
            web_sys::EventSource,
            Handler<web_sys::MessageEvent>,
            Handler<web_sys::Event>,
        )>,
    );
    let close = move || {
        current.update_value(|open| {
            if let Some((source, _, _)) = open.take() {
                source.close();
            }
        });
    };
    Effect::new(move |_| {
        let url = url();
        close();
        if !following.get() {
            status.set(String::new());
            return;
        }
        lines.set(VecDeque::new());
        let Ok(source) = web_sys::EventSource::new(&url) else {
            status.set("the browser cannot open the log stream".into());
            return;
        };
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                let Some(data) = event.data().as_string() else {
                    return;
                };
                if let Ok(line) = serde_json::from_str::<ShownLine>(&data) {
                    lines.update(|lines| {
                        lines.push_back(line);
                        while lines.len() > KEPT {
                            lines.pop_front();
                        }
                    });
                }
            },
        );
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            status.set("the stream was interrupted; the browser will reconnect".into());
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        status.set("following".into());
        current.set_value(Some((source, on_message, on_error)));
    });
    on_cleanup(close);
}

#[cfg(not(feature = "hydrate"))]
fn follow(
    _url: impl Fn() -> String + Send + Sync + 'static,
    _following: RwSignal<bool>,
    _lines: RwSignal<VecDeque<ShownLine>>,
    _status: RwSignal<String>,
) {
}
