//! What `docker stack deploy` would make of a compose file, as Engine API JSON, and the plan
//! between that and what a swarm runs. Pure (no I/O), so the browser checks a file exactly as
//! the server does, while the server fills in what the swarm has.

mod check;
mod convert;
mod drift;
mod engine_json;
mod exchange;
mod images;
mod plan;
mod privileges;
mod progress;
mod record;
mod reference;
mod scheduling;
mod service;
mod services;
mod stored;
mod webhooks;

pub use check::{check, check_stack_name, warning_text, CheckError, Checked, MAX_SERVICE_NAME};
pub use convert::{convert, StackObjects};
pub use drift::{drifted, undone, ConsoleChange, Drift};
pub use engine_json::{LABEL_IMAGE, LABEL_NAMESPACE};
pub use exchange::{
    files_from_json, files_to_json, InterruptedDeploy, StackInput, StackNetwork, StackPlan,
    StackSummary, StackVersionInfo,
};
pub use images::{ImageCheck, ImageResolution, NodeDigest, ServiceImages};
pub use plan::{
    diff_specs, keep_resolved_images, plan, Change, Current, FieldChange, Plan, PlannedObject,
};
pub use privileges::{privileges, Privilege};
pub use progress::{service_progress, ServiceProgress, TaskLine, TaskReport};
pub use record::{record, Field, Recorded};
pub use reference::{pinned_image, tagged_image, ImageRef, ResolveImage};
pub use services::{
    check_image_reference, image_registry, page_of, split_digest, EnvVar, ServiceActionResult,
    ServiceDetail, ServicePage, ServiceQuery, ServiceRow, SortKey, TaskRow, UpdateState,
    MAX_FILTER, PAGE_SIZE,
};
pub use stored::{comparable_spec, keep_force_update, with_reference_ids, ModeKind};
pub use webhooks::{WebhookInfo, WebhookOutcome, WebhookSecret};

/// `web` in stack `shop` is `shop_web`, as the CLI scopes every name it makes.
pub fn scoped(stack: &str, name: &str) -> String {
    format!("{stack}_{name}")
}
