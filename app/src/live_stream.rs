//! The browser's end of a swarm's live stream (`/api/v1/swarms/{swarm}/live`): opened while
//! the component that asked for it lives, closed with it, and opened again when a change does
//! not apply to what the page has (one was missed), which starts over with a fresh snapshot.

use leptos::prelude::*;

/// Calls `on_event(kind, data)` for each `snapshot` and `delta` of `swarm`'s live stream;
/// `on_event` returns false when the page must start over from a fresh snapshot.
#[cfg(feature = "hydrate")]
pub fn on_live_events(swarm: &str, on_event: impl Fn(&str, String) -> bool + 'static) {
    use std::rc::Rc;

    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    type Handler = Closure<dyn FnMut(web_sys::MessageEvent)>;
    let current = StoredValue::new_local(None::<(web_sys::EventSource, Vec<Handler>)>);
    let close = move || {
        current.update_value(|open| {
            if let Some((source, _)) = open.take() {
                source.close();
            }
        });
    };
    let reopen = RwSignal::new(0u32);
    let url = format!("/api/v1/swarms/{swarm}/live");
    let on_event = Rc::new(on_event);
    Effect::new(move |_| {
        reopen.track();
        close();
        let Ok(source) = web_sys::EventSource::new(&url) else {
            return;
        };
        let handlers: Vec<Handler> = ["snapshot", "delta"]
            .into_iter()
            .map(|kind| {
                let on_event = on_event.clone();
                let handler = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                    move |event: web_sys::MessageEvent| {
                        let data = event.data().as_string().unwrap_or_default();
                        if !on_event(kind, data) {
                            reopen.update(|n| *n += 1);
                        }
                    },
                );
                let _ =
                    source.add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref());
                handler
            })
            .collect();
        current.set_value(Some((source, handlers)));
    });
    on_cleanup(close);
}

/// The stream is opened in the browser only.
#[cfg(not(feature = "hydrate"))]
pub fn on_live_events(_swarm: &str, _on_event: impl Fn(&str, String) -> bool + 'static) {}

/// Keeps `state` current from `swarm`'s live stream (none until its first snapshot).
pub fn follow_live(swarm: &str, state: RwSignal<Option<flotilla_live::Snapshot>>) {
    on_live_events(swarm, move |kind, data| match kind {
        "snapshot" => {
            if let Ok(snapshot) = serde_json::from_str(&data) {
                state.set(Some(snapshot));
            }
            true
        }
        _ => {
            let Ok(delta) = serde_json::from_str::<flotilla_live::Delta>(&data) else {
                return true;
            };
            let mut applied = false;
            state.update(|s| applied = s.as_mut().is_some_and(|s| s.apply(&delta)));
            applied
        }
    });
}
