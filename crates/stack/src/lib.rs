//! What `docker stack deploy` would make of a compose file, as Engine API JSON, and the plan
//! between that and what a swarm runs. Pure (no I/O), so the browser can show a plan's shape
//! while the server fills in what the swarm has.

mod convert;
mod exchange;
mod plan;
mod service;

pub use convert::{convert, StackObjects, LABEL_IMAGE, LABEL_NAMESPACE};
pub use exchange::{
    files_from_json, files_to_json, ServiceProgress, StackInput, StackNetwork, StackPlan,
    StackSummary, StackVersionInfo, TaskLine,
};
pub use plan::{
    diff_specs, keep_resolved_images, plan, Change, Current, FieldChange, Plan, PlannedObject,
};

/// `web` in stack `shop` is `shop_web`, as the CLI scopes every name it makes.
pub fn scoped(stack: &str, name: &str) -> String {
    format!("{stack}_{name}")
}

/// A stack name the engine accepts as a prefix of service, network and volume names.
pub fn check_stack_name(stack: &str) -> Result<(), String> {
    let valid = stack.starts_with(|c: char| c.is_ascii_alphanumeric())
        && stack.len() <= 40
        && stack
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{stack}` is not a stack name: use up to 40 letters, digits, `-` and `_`, starting with a letter or digit"
        ))
    }
}
