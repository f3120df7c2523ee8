//! The compose text as the editor shows it: line numbers with the line of the current error
//! marked, a jump to that line, Tab indenting with spaces, and files opened from disk. The
//! check is the server's own (compiled to WASM), run on every edit.

use leptos::html::Textarea;
use leptos::prelude::*;

/// What the browser can say about the text before asking the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    Valid {
        services: usize,
        warnings: Vec<String>,
    },
    Invalid {
        message: String,
        /// The line at fault in the compose file, when the fault is there.
        line: Option<usize>,
    },
}

/// A name to check the file under while the real one is still unusable.
const STAND_IN: &str = "stack";

/// Checks the file (and the variables) as the server will, under `stack` when it is a usable
/// name: a name not yet typed hides no error of the file.
pub fn check(stack: &str, compose: &str, env: &str, files: &flotilla_compose::Files) -> Check {
    let env = match flotilla_compose::parse_dotenv(env) {
        Ok(env) => env,
        Err(err) => {
            return Check::Invalid {
                message: format!("variables, {err}"),
                line: None,
            }
        }
    };
    let name = if flotilla_stack::check_stack_name(stack).is_ok() {
        stack
    } else {
        STAND_IN
    };
    match flotilla_stack::check(name, compose, &env, files) {
        Ok(checked) => Check::Valid {
            services: checked.objects.services.len(),
            warnings: checked.warnings,
        },
        Err(err) => Check::Invalid {
            line: match &err {
                flotilla_stack::CheckError::Compose(err) => Some(err.at.line),
                _ => None,
            },
            message: err.to_string(),
        },
    }
}

/// Why the stack's name cannot be used, if it cannot.
pub fn name_problem(stack: &str) -> Option<String> {
    if stack.trim().is_empty() {
        return Some("give the stack a name".into());
    }
    flotilla_stack::check_stack_name(stack).err()
}

/// Byte offsets where line `line` (from 1) of `text` starts and ends.
fn line_span(text: &str, line: usize) -> (usize, usize) {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    (start, end)
}

#[component]
pub fn ComposeInput(
    compose: RwSignal<String>,
    env: RwSignal<String>,
    #[prop(into)] error_line: Signal<Option<usize>>,
) -> impl IntoView {
    let area = NodeRef::<Textarea>::new();
    let gutter = NodeRef::<leptos::html::Pre>::new();
    let lines = move || compose.with(|text| text.split('\n').count().max(1));
    view! {
        <div class="compose-input">
            <pre class="gutter" node_ref=gutter aria-hidden="true">
                {move || (1..=lines()).map(|n| view! {
                    <span class:error-line=move || error_line.get() == Some(n)>{n}</span>
                }).collect_view()}
            </pre>
            <textarea id="compose" rows="18" spellcheck="false" node_ref=area
                prop:value=move || compose.get()
                on:input=move |ev| compose.set(event_target_value(&ev))
                on:scroll=move |_| follow_scroll(area, gutter)
                on:keydown=move |ev| indent_on_tab(ev, area, compose)></textarea>
        </div>
        <p class="actions">
            {move || error_line.get().map(|line| view! {
                <button class="link" id="goto-error" on:click=move |_| select_line(area, compose, line)>
                    {format!("Go to line {line}")}
                </button>
            })}
            <label class="button secondary">"Open a compose or .env file…"
                <input type="file" id="open-compose" class="hidden" accept=".yml,.yaml,.env,text/plain"
                    on:change=move |ev| open_files(ev, compose, env)/>
            </label>
        </p>
    }
}

#[cfg(feature = "hydrate")]
fn follow_scroll(area: NodeRef<Textarea>, gutter: NodeRef<leptos::html::Pre>) {
    if let (Some(area), Some(gutter)) = (area.get_untracked(), gutter.get_untracked()) {
        gutter.set_scroll_top(area.scroll_top());
    }
}

/// Tab writes two spaces (compose files indent with spaces) instead of leaving the field.
#[cfg(feature = "hydrate")]
fn indent_on_tab(
    ev: leptos::ev::KeyboardEvent,
    area: NodeRef<Textarea>,
    compose: RwSignal<String>,
) {
    if ev.key() != "Tab" || ev.shift_key() || ev.ctrl_key() || ev.alt_key() || ev.meta_key() {
        return;
    }
    let Some(area) = area.get_untracked() else {
        return;
    };
    ev.prevent_default();
    let value = area.value();
    // Selection offsets count UTF-16 units.
    let units: Vec<u16> = value.encode_utf16().collect();
    let start = area.selection_start().ok().flatten().unwrap_or(0) as usize;
    let end = area.selection_end().ok().flatten().unwrap_or(start as u32) as usize;
    let (start, end) = (start.min(units.len()), end.min(units.len()));
    let mut next: Vec<u16> = units[..start].to_vec();
    next.extend("  ".encode_utf16());
    next.extend_from_slice(&units[end..]);
    let text = String::from_utf16_lossy(&next);
    area.set_value(&text);
    let caret = (start + 2) as u32;
    let _ = area.set_selection_range(caret, caret);
    compose.set(text);
}

/// Selects line `line`, which scrolls it into view.
#[cfg(feature = "hydrate")]
fn select_line(area: NodeRef<Textarea>, compose: RwSignal<String>, line: usize) {
    let Some(area) = area.get_untracked() else {
        return;
    };
    let text = compose.get_untracked();
    let (start, end) = line_span(&text, line);
    let units = |bytes: usize| text[..bytes].encode_utf16().count() as u32;
    let _ = area.focus();
    let _ = area.set_selection_range(units(start), units(end));
}

/// Reads the chosen files: a `.env` into the variables, anything else into the compose text.
#[cfg(feature = "hydrate")]
fn open_files(ev: leptos::ev::Event, compose: RwSignal<String>, env: RwSignal<String>) {
    use wasm_bindgen::JsCast;
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(list) = input.files() else { return };
    for index in 0..list.length() {
        let Some(file) = list.get(index) else {
            continue;
        };
        let is_env = file.name().ends_with(".env");
        leptos::task::spawn_local(async move {
            if let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if is_env {
                    env.set(text);
                } else {
                    compose.set(text);
                }
            }
        });
    }
}

#[cfg(not(feature = "hydrate"))]
fn follow_scroll(_area: NodeRef<Textarea>, _gutter: NodeRef<leptos::html::Pre>) {}

#[cfg(not(feature = "hydrate"))]
fn indent_on_tab(
    _ev: leptos::ev::KeyboardEvent,
    _area: NodeRef<Textarea>,
    _compose: RwSignal<String>,
) {
}

#[cfg(not(feature = "hydrate"))]
fn select_line(_area: NodeRef<Textarea>, compose: RwSignal<String>, line: usize) {
    let _ = compose.with_untracked(|text| line_span(text, line));
}

#[cfg(not(feature = "hydrate"))]
fn open_files(_ev: leptos::ev::Event, _compose: RwSignal<String>, _env: RwSignal<String>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_checked_before_the_stack_has_a_name() {
        let bad = "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: many\n";
        let checked = check("", bad, "", &flotilla_compose::Files::new());
        assert!(
            matches!(&checked, Check::Invalid { line: Some(5), message } if message.contains("replicas")),
            "{checked:?}"
        );
        assert!(name_problem("").is_some() && name_problem("shop").is_none());
    }

    #[test]
    fn lines_are_found_by_number() {
        let text = "a\nbb\nccc";
        assert_eq!(line_span(text, 2), (2, 4));
        assert_eq!(line_span(text, 3), (5, 8));
    }
}
