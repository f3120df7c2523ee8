//! Admin commands are mutating actions too: they go in the audit log like the UI's.

use flotilla_store::{NewAuditEvent, Store, StoreError};

/// Runs `action` with a pending audit row written first and its outcome recorded after.
pub async fn audited<T>(
    store: &Store,
    action: &str,
    target: &str,
    request: serde_json::Value,
    run: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, String> {
    let actor = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    let event = NewAuditEvent {
        actor: format!("cli:{actor}"),
        client_addr: "local".into(),
        action: action.to_owned(),
        target: target.to_owned(),
        request: request.to_string(),
    };
    store
        .audited(&event, run)
        .await
        .map_err(|err| format!("audit log: {err}"))?
        .map_err(|err| err.to_string())
}
