//! The audit log: every mutating action, who did it, from where, and how it ended. Admins only.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{DataTable, Loading};
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub client_addr: String,
    pub action: String,
    pub target: String,
    pub request: String,
    pub outcome: String,
    pub error: Option<String>,
}

#[server(endpoint = "audit/list")]
pub async fn list_audit(
    actor: String,
    action: String,
    outcome: String,
) -> Result<Vec<AuditRow>, AppError> {
    use flotilla_store::{AuditFilter, AuditOutcome};

    let caller = crate::auth::ssr::authorize::<ListAudit>().await?;
    let outcome = match outcome.as_str() {
        "" => None,
        "ok" | "error" | "pending" | "interrupted" => Some(AuditOutcome::parse(&outcome)),
        other => {
            return Err(AppError::invalid(
                "outcome",
                format!("`{other}` is not one of ok, error, pending"),
            ))
        }
    };
    let non_empty = |text: String| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let filter = AuditFilter {
        actor: non_empty(actor),
        action: non_empty(action),
        outcome,
        target: None,
        limit: 200,
    };
    let events = caller.store.audit_events(&filter).await?;
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    Ok(events
        .into_iter()
        .map(|event| AuditRow {
            at: time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(event.at) * 1_000_000)
                .ok()
                .and_then(|at| at.format(&format).ok())
                .unwrap_or_else(|| event.at.to_string()),
            actor: event.actor,
            client_addr: event.client_addr,
            action: event.action,
            target: event.target,
            request: event.request,
            outcome: event.outcome.as_str().to_owned(),
            error: event.error,
        })
        .collect())
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let rows = Resource::new(
        move || (actor.get(), action.get(), outcome.get()),
        |(actor, action, outcome)| list_audit(actor, action, outcome),
    );
    view! {
        <h1>"Audit log"</h1>
        <div class="toolbar" id="audit-filters">
            <input type="search" name="actor" placeholder="Actor" on:change=move |ev| actor.set(event_target_value(&ev))/>
            <input type="search" name="action" placeholder="Action, e.g. swarm.init" on:change=move |ev| action.set(event_target_value(&ev))/>
            <select name="outcome" on:change=move |ev| outcome.set(event_target_value(&ev))>
                <option value="">"Any outcome"</option>
                <option value="ok">"ok"</option>
                <option value="error">"error"</option>
                <option value="pending">"pending"</option>
                <option value="interrupted">"interrupted"</option>
            </select>
        </div>
        <Loading text="Reading the audit log…" error_id="audit-error">
            {move || Suspend::new(async move {
                let rows = rows.await?;
                Ok::<_, AppError>(if rows.is_empty() {
                    view! { <p class="notice" id="audit-empty">"No matching events."</p> }.into_any()
                } else {
                    view! {
                        <DataTable id="audit" headers=&["When", "Actor", "From", "Action", "Target", "Request", "Outcome"]>
                            {rows.into_iter().map(|row| {
                                let action = row.action.clone();
                                view! {
                                <tr class="audit-row" data-action=action>
                                    <td>{row.at}</td>
                                    <td class="actor">{row.actor}</td>
                                    <td>{row.client_addr}</td>
                                    <td class="action">{row.action}</td>
                                    <td>{row.target}</td>
                                    <td><code class="request">{row.request}</code></td>
                                    <td class=format!("outcome outcome-{}", row.outcome)>{row.outcome.clone()}{row.error.map(|e| format!(": {e}"))}</td>
                                </tr>
                                }
                            }).collect_view()}
                        </DataTable>
                    }.into_any()
                })
            })}
        </Loading>
    }
}
