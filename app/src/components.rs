//! The pieces every page repeats: an error notice, a loading wrapper that shows the error of
//! whatever it waited for, a confirmation by typing a name, and a data table.

use leptos::prelude::*;

use crate::error::AppError;

/// An error as pages show it. `data-code` and `data-field` carry what went wrong and where,
/// for styles, tests and scripts; the message names the field too.
#[component]
pub fn ErrorNotice(
    #[prop(into)] error: AppError,
    #[prop(default = None, into)] id: Option<&'static str>,
) -> impl IntoView {
    let field = error.field.as_ref().map(|field| field.path.clone());
    let line = error
        .field
        .as_ref()
        .and_then(|field| field.line)
        .map(|line| line.to_string());
    view! {
        <p class="notice error" id=id data-code=error.code.as_str() data-field=field data-line=line>
            {error.message}
        </p>
    }
}

/// Each error an [`ErrorBoundary`] caught; ours keep their code and field.
#[component]
fn CaughtErrors(errors: ArcRwSignal<Errors>, id: Option<&'static str>) -> impl IntoView {
    move || {
        errors
            .get()
            .into_iter()
            .map(|(_, error)| {
                let inner = error.into_inner();
                let error = match inner.downcast_ref::<AppError>() {
                    Some(ours) => ours.clone(),
                    None => AppError::internal(inner.to_string()),
                };
                view! { <ErrorNotice error id/> }
            })
            .collect_view()
    }
}

/// Waits for what its children read (resources awaited inside a `Suspend`), keeping the
/// last content while a new one loads; an `Err` the children return is shown in its place.
#[component]
pub fn Loading(
    /// Shown until the first content arrives.
    #[prop(optional, into)]
    text: Option<String>,
    /// The `id` of the error notice.
    #[prop(optional)]
    error_id: Option<&'static str>,
    children: ChildrenFn,
) -> impl IntoView {
    view! {
        <Transition fallback=move || text.clone().map(|text| view! { <p class="notice">{text}</p> })>
            <ErrorBoundary fallback=move |errors| view! { <CaughtErrors errors id=error_id/> }>
                {children()}
            </ErrorBoundary>
        </Transition>
    }
}

/// A destructive action confirmed by typing `name`: the button waits for something to be
/// typed, and a name that does not match is refused here, before any request.
#[component]
pub fn ConfirmByName(
    name: String,
    /// What the button says.
    label: &'static str,
    input_id: &'static str,
    button_id: &'static str,
    /// The `id` of the notice shown when the typed name does not match.
    mismatch_id: &'static str,
    /// True while the confirmed action runs.
    #[prop(into)]
    pending: Signal<bool>,
    /// Called with the typed name once it matches.
    on_confirm: Callback<String>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let mismatch = RwSignal::new(false);
    let confirm = {
        let name = name.clone();
        move |_| {
            let typed = typed.get_untracked();
            let matches = typed == name;
            mismatch.set(!matches);
            if matches {
                on_confirm.run(typed);
            }
        }
    };
    view! {
        <p class="actions confirm-by-name">
            <input type="text" id=input_id placeholder=name.clone() bind:value=typed
                on:input=move |_| mismatch.set(false)/>
            <button class="danger" id=button_id on:click=confirm
                disabled=move || typed.with(String::is_empty) || pending.get()>{label}</button>
        </p>
        {move || mismatch.get().then(|| view! {
            <p class="notice error" id=mismatch_id>{format!("Type `{name}` exactly to confirm.")}</p>
        })}
    }
}

/// A table of records: one style everywhere, headers given, rows as children.
#[component]
pub fn DataTable(
    #[prop(optional)] id: Option<&'static str>,
    headers: &'static [&'static str],
    children: Children,
) -> impl IntoView {
    view! {
        <table class="data" id=id>
            <thead><tr>{headers.iter().map(|header| view! { <th>{*header}</th> }).collect_view()}</tr></thead>
            <tbody>{children()}</tbody>
        </table>
    }
}
