//! Removing a stack as `docker stack rm` does, confirmed by typing its name.

use leptos::prelude::*;

use crate::components::{ConfirmByName, ErrorNotice};
use crate::error::AppError;

/// Removes the stack; `confirm` must repeat its name.
#[server(endpoint = "stacks/remove")]
pub async fn remove_stack(
    swarm: String,
    stack: String,
    confirm: String,
) -> Result<Vec<String>, AppError> {
    let caller = crate::auth::ssr::authorize::<RemoveStack>().await?;
    if confirm != stack {
        return Err(AppError::invalid(
            "confirm",
            format!("type the stack's name, {stack}, to remove it"),
        ));
    }
    caller
        .audited(
            "stack.remove",
            &format!("{swarm}/{stack}"),
            serde_json::json!({}),
            caller.fleet.remove_stack(&swarm, &stack),
        )
        .await
}

#[component]
pub fn RemovePanel(swarm: String, stack: String) -> impl IntoView {
    let remove = ServerAction::<RemoveStack>::new();
    let confirmed = {
        let (swarm, stack) = (swarm.clone(), stack.clone());
        Callback::new(move |typed: String| {
            remove.dispatch(RemoveStack {
                swarm: swarm.clone(),
                stack: stack.clone(),
                confirm: typed,
            });
        })
    };
    view! {
        <h2>"Remove"</h2>
        <p>"Removes the stack's services, networks, secrets and configs, as "<code>"docker stack rm"</code>" does. Type its name to confirm."</p>
        <ConfirmByName name=stack label="Remove stack" input_id="remove-confirm" button_id="remove-stack"
            mismatch_id="remove-error" pending=remove.pending() on_confirm=confirmed/>
        {move || remove.value().get().map(|r| match r {
            Ok(removed) => view! { <p class="notice" id="remove-done">{format!("Removed {}.", removed.join(", "))}</p> }.into_any(),
            Err(error) => view! { <ErrorNotice error id="remove-error"/> }.into_any(),
        })}
    }
}
