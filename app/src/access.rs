//! Who may call what, declared once: every server function and every `/api/v1` route with
//! the role it needs. The server's guard enforces this table on every request and refuses any
//! `/api/…` path it does not list; server functions rendered on the server (resources during
//! SSR) are held to the same entry through [`crate::auth::ssr::authorize`]. A test in the
//! server walks every registered server function and route against it.

use axum::http::Method;
use flotilla_store::Role;
use leptos::server_fn::ServerFn;
use serde::Serialize;

use crate::error::{AppError, ErrorCode};
use crate::pages::{
    api_docs, audit, hosts, login, metrics, nodes, registries, services, stacks, swarm,
    swarm_admin, swarms, users, visualizer, webhooks,
};

/// What an endpoint asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not (logging in).
    Anyone,
    /// Anyone, but only while the console has no user (creating the first admin).
    BeforeSetup,
    /// A logged-in user or a token whose role includes this one.
    Role(Role),
}

#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    #[serde(serialize_with = "method_name")]
    pub method: Method,
    /// The path, with `{name}` for each path parameter.
    pub path: &'static str,
    pub access: Access,
}

impl Access {
    /// `anyone`, `before_setup`, or the role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anyone => "anyone",
            Self::BeforeSetup => "before_setup",
            Self::Role(role) => role.as_str(),
        }
    }
}

impl Serialize for Access {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

fn method_name<S: serde::Serializer>(method: &Method, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(method.as_str())
}

use Access::{Anyone, BeforeSetup};
const VIEWER: Access = Access::Role(Role::Viewer);
const OPERATOR: Access = Access::Role(Role::Operator);
const ADMIN: Access = Access::Role(Role::Admin);

/// A server function's entry: it answers `POST` at its own path.
const fn call<F: ServerFn>(access: Access) -> Endpoint {
    Endpoint {
        method: Method::POST,
        path: F::PATH,
        access,
    }
}

const fn api(method: Method, path: &'static str, access: Access) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
    }
}

/// Every endpoint under `/api`. Reading is for viewers; deploying, scaling and draining for
/// operators; what changes who or what belongs to the console (hosts, swarms, roles of
/// nodes, join tokens, the audit log) for admins.
pub static ENDPOINTS: &[Endpoint] = &[
    call::<login::Login>(Anyone),
    call::<login::Setup>(BeforeSetup),
    call::<login::Logout>(VIEWER),
    call::<audit::ListAudit>(ADMIN),
    call::<api_docs::ApiReference>(VIEWER),
    // Who may use the console, and with what role: admins only.
    call::<users::ListUsers>(ADMIN),
    call::<users::AddUser>(ADMIN),
    call::<users::SetUserRole>(ADMIN),
    call::<users::ResetUserPassword>(ADMIN),
    call::<users::DisableUser>(ADMIN),
    call::<users::EnableUser>(ADMIN),
    call::<users::ListTokens>(ADMIN),
    call::<users::CreateApiToken>(ADMIN),
    call::<users::RevokeApiToken>(ADMIN),
    call::<hosts::ListHosts>(VIEWER),
    call::<hosts::AddHost>(ADMIN),
    call::<hosts::RemoveHost>(ADMIN),
    // Checking makes the console connect to every registered address.
    call::<hosts::CheckHosts>(ADMIN),
    // Registries hold credentials that reach every private image: admins only.
    call::<registries::ListRegistries>(ADMIN),
    call::<registries::SaveRegistry>(ADMIN),
    call::<registries::RemoveRegistry>(ADMIN),
    call::<registries::RotateRegistryHook>(ADMIN),
    call::<swarms::ListSwarms>(VIEWER),
    call::<swarms::InitSwarm>(ADMIN),
    call::<swarms::JoinSwarm>(ADMIN),
    call::<swarms::AdoptSwarm>(ADMIN),
    call::<swarm::GetOverview>(VIEWER),
    call::<swarm_admin::JoinTokens>(ADMIN),
    call::<swarm_admin::RotateToken>(ADMIN),
    call::<swarm_admin::DissolveSwarm>(ADMIN),
    call::<swarm_admin::PrivilegedDeploys>(VIEWER),
    call::<swarm_admin::SetPrivilegedDeploys>(ADMIN),
    call::<nodes::ListNodes>(VIEWER),
    call::<metrics::MetricCharts>(VIEWER),
    call::<metrics::CpuSparklines>(VIEWER),
    call::<nodes::UpdateNode>(OPERATOR),
    call::<nodes::ChangeNodeRole>(ADMIN),
    call::<nodes::RemoveNode>(ADMIN),
    call::<stacks::ListStacks>(VIEWER),
    call::<stacks::page::StackNetworks>(VIEWER),
    call::<stacks::progress::StackProgress>(VIEWER),
    call::<stacks::history::StackVersions>(VIEWER),
    call::<stacks::history::DiffVersions>(VIEWER),
    // A plan and a version's source show variable values: operators only.
    call::<stacks::editor::PlanStack>(OPERATOR),
    call::<stacks::editor::StackSource>(OPERATOR),
    call::<stacks::editor::DeployStack>(OPERATOR),
    call::<stacks::history::RedeployVersion>(OPERATOR),
    // Viewers see that the deploy was interrupted; what is left is planned for operators.
    call::<stacks::interrupted::StackInterruption>(VIEWER),
    call::<stacks::interrupted::FinishInterrupted>(OPERATOR),
    call::<stacks::remove::RemoveStack>(OPERATOR),
    call::<stacks::page::StackDrift>(VIEWER),
    call::<stacks::images::StackImages>(VIEWER),
    // Asks the registries: cheap, read-only, on demand.
    call::<stacks::images::CheckImages>(VIEWER),
    call::<stacks::images::SetPushRedeploy>(OPERATOR),
    // A hook's URL redeploys whatever it is for: operators make, rotate and revoke them.
    call::<webhooks::ListWebhooks>(VIEWER),
    call::<webhooks::CreateWebhook>(OPERATOR),
    call::<webhooks::RotateWebhook>(OPERATOR),
    call::<webhooks::RevokeWebhook>(OPERATOR),
    call::<visualizer::LiveBoard>(VIEWER),
    call::<services::ListServices>(VIEWER),
    call::<services::page::GetService>(VIEWER),
    call::<services::page::ScaleService>(OPERATOR),
    call::<services::page::RedeployService>(OPERATOR),
    call::<services::page::UpdateServiceImage>(OPERATOR),
    call::<services::page::RollbackService>(OPERATOR),
    api(Method::GET, "/api/v1/openapi.json", VIEWER),
    api(Method::GET, "/api/v1/swarms", VIEWER),
    api(Method::POST, "/api/v1/swarms", ADMIN),
    api(Method::GET, "/api/v1/swarms/{swarm}/nodes", VIEWER),
    api(Method::GET, "/api/v1/swarms/{swarm}/live", VIEWER),
    api(Method::GET, "/api/v1/swarms/{swarm}/stacks", VIEWER),
    api(
        Method::PUT,
        "/api/v1/swarms/{swarm}/stacks/{stack}",
        OPERATOR,
    ),
    api(
        Method::DELETE,
        "/api/v1/swarms/{swarm}/stacks/{stack}",
        OPERATOR,
    ),
    api(
        Method::POST,
        "/api/v1/swarms/{swarm}/stacks/{stack}/plan",
        OPERATOR,
    ),
    api(
        Method::GET,
        "/api/v1/swarms/{swarm}/stacks/{stack}/progress",
        VIEWER,
    ),
    api(
        Method::GET,
        "/api/v1/swarms/{swarm}/stacks/{stack}/versions",
        VIEWER,
    ),
    api(
        Method::POST,
        "/api/v1/swarms/{swarm}/stacks/{stack}/versions/{version}/deploy",
        OPERATOR,
    ),
    api(Method::GET, "/api/v1/registries", ADMIN),
    api(Method::PUT, "/api/v1/registries/{registry}", ADMIN),
    api(Method::DELETE, "/api/v1/registries/{registry}", ADMIN),
    api(Method::POST, "/api/v1/registries/{registry}/hook", ADMIN),
    api(
        Method::GET,
        "/api/v1/swarms/{swarm}/stacks/{stack}/push-redeploy",
        VIEWER,
    ),
    api(
        Method::PUT,
        "/api/v1/swarms/{swarm}/stacks/{stack}/push-redeploy",
        OPERATOR,
    ),
    api(Method::GET, "/api/v1/swarms/{swarm}/services", VIEWER),
    api(
        Method::GET,
        "/api/v1/swarms/{swarm}/services/{service}",
        VIEWER,
    ),
    api(
        Method::GET,
        "/api/v1/swarms/{swarm}/services/{service}/tasks",
        VIEWER,
    ),
    api(
        Method::POST,
        "/api/v1/swarms/{swarm}/services/{service}/scale",
        OPERATOR,
    ),
    api(
        Method::POST,
        "/api/v1/swarms/{swarm}/services/{service}/redeploy",
        OPERATOR,
    ),
    api(
        Method::POST,
        "/api/v1/swarms/{swarm}/services/{service}/image",
        OPERATOR,
    ),
    api(
        Method::POST,
        "/api/v1/swarms/{swarm}/services/{service}/rollback",
        OPERATOR,
    ),
    // Logs can carry secrets.
    api(
        Method::GET,
        "/api/v1/swarms/{swarm}/services/{service}/logs",
        OPERATOR,
    ),
];

/// Whether `path` fits `pattern`, segment by segment; `{name}` fits any one non-empty segment.
fn fits(pattern: &str, path: &str) -> bool {
    let (mut pattern, mut path) = (pattern.split('/'), path.split('/'));
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(want), Some(got)) => {
                let param = want.starts_with('{') && want.ends_with('}');
                if !(want == got || (param && !got.is_empty())) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// What the table says about a request.
#[derive(Debug, Clone, Copy)]
pub enum Lookup {
    Listed(&'static Endpoint),
    /// The path is listed, for other methods.
    OtherMethod,
    Unlisted,
}

/// The table's entry for `method` on `path` (HEAD is asked as GET, as the router does).
pub fn lookup(method: &Method, path: &str) -> Lookup {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    let mut found = Lookup::Unlisted;
    for endpoint in ENDPOINTS.iter().filter(|e| fits(e.path, path)) {
        if endpoint.method == method {
            return Lookup::Listed(endpoint);
        }
        found = Lookup::OtherMethod;
    }
    found
}

/// The entry of the server function `F`.
pub fn of_server_fn<F: ServerFn>() -> Option<&'static Endpoint> {
    ENDPOINTS
        .iter()
        .find(|e| e.method == Method::POST && e.path == F::PATH)
}

/// Whether a caller whose role is `role` (none: anonymous) may use an endpoint with `access`.
pub fn admit(
    access: Access,
    caller: Option<(&str, Role)>,
    setup_done: bool,
) -> Result<(), AppError> {
    match (access, caller) {
        (Access::Anyone, _) => Ok(()),
        (Access::BeforeSetup, _) if !setup_done => Ok(()),
        (Access::BeforeSetup, _) => Err(AppError::new(
            ErrorCode::Forbidden,
            "setup is done: an admin exists; log in instead",
        )),
        (Access::Role(_), None) => Err(AppError::new(
            ErrorCode::Unauthorized,
            "log in first or send a bearer token",
        )),
        (Access::Role(needed), Some((_, role))) if role.allows(needed) => Ok(()),
        (Access::Role(needed), Some((name, role))) => Err(AppError::new(
            ErrorCode::Forbidden,
            format!("{name} is a {role}; this needs {needed}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fit_patterns_segment_by_segment() {
        assert!(fits(
            "/api/v1/swarms/{swarm}/nodes",
            "/api/v1/swarms/prod/nodes"
        ));
        assert!(!fits(
            "/api/v1/swarms/{swarm}/nodes",
            "/api/v1/swarms//nodes"
        ));
        assert!(!fits(
            "/api/v1/swarms/{swarm}/nodes",
            "/api/v1/swarms/prod/nodes/x"
        ));
        assert!(!fits("/api/v1/swarms", "/api/v1/swarms/"));
    }

    #[test]
    fn the_table_answers_by_method_and_path() {
        let put = lookup(&Method::PUT, "/api/v1/swarms/prod/stacks/shop");
        assert!(matches!(put, Lookup::Listed(e) if e.access == OPERATOR));
        assert!(matches!(
            lookup(&Method::PATCH, "/api/v1/swarms/prod/stacks/shop"),
            Lookup::OtherMethod
        ));
        assert!(matches!(
            lookup(&Method::POST, "/api/nope"),
            Lookup::Unlisted
        ));
        assert!(matches!(
            lookup(&Method::HEAD, "/api/v1/swarms"),
            Lookup::Listed(_)
        ));
    }

    #[test]
    fn each_endpoint_is_listed_once() {
        for (i, a) in ENDPOINTS.iter().enumerate() {
            for b in &ENDPOINTS[i + 1..] {
                assert!(
                    !(a.method == b.method && a.path == b.path),
                    "{} {} twice",
                    a.method,
                    a.path
                );
            }
        }
    }

    #[test]
    fn roles_are_admitted_by_rank() {
        assert!(admit(OPERATOR, Some(("ada", Role::Admin)), true).is_ok());
        let refused = admit(ADMIN, Some(("vera", Role::Viewer)), true).expect_err("viewer");
        assert_eq!(refused.code, ErrorCode::Forbidden);
        assert_eq!(refused.message, "vera is a viewer; this needs admin");
        assert_eq!(
            admit(VIEWER, None, true).map_err(|e| e.code),
            Err(ErrorCode::Unauthorized)
        );
        assert!(admit(BeforeSetup, None, false).is_ok());
        assert!(admit(BeforeSetup, None, true).is_err());
    }
}
