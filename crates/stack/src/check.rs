//! The one check of a stack file before anything touches a swarm: the stack's name, the
//! variables, the compose file, and the names swarm will make of it. The editor runs it in
//! the browser (wasm32) and the server runs it before every plan, so both say the same.

use std::collections::BTreeMap;
use std::fmt;

use flotilla_compose::model::Warning;
use flotilla_compose::{ComposeError, Files, Variables};

use crate::{convert, scoped, StackObjects};

/// Swarm service names are DNS labels.
pub const MAX_SERVICE_NAME: usize = 63;

/// Why a stack file cannot be deployed as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckError {
    /// The stack's own name, which prefixes every object's name.
    StackName(String),
    /// The attached `.env` file.
    Dotenv(ComposeError),
    /// The compose file, at a line and key path.
    Compose(ComposeError),
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StackName(message) => write!(f, "stack name: {message}"),
            Self::Dotenv(err) => write!(f, ".env, {err}"),
            Self::Compose(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for CheckError {}

/// A file that passed: the objects it makes and its warnings, each with its line.
#[derive(Debug, Clone)]
pub struct Checked {
    pub objects: StackObjects,
    pub warnings: Vec<String>,
}

/// A warning as the editor and the plan show it: `line 3, column 5: services.web.build: …`.
pub fn warning_text(warning: &Warning) -> String {
    format!(
        "line {}, column {}: {}: {}",
        warning.at.line, warning.at.column, warning.path, warning.message
    )
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

/// Checks `compose` with its variables and attached files as stack `stack`, and converts it.
pub fn check(
    stack: &str,
    compose: &str,
    env: &BTreeMap<String, String>,
    files: &Files,
) -> Result<Checked, CheckError> {
    check_stack_name(stack).map_err(CheckError::StackName)?;
    let dotenv = files
        .get(".env")
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned());
    let variables = Variables::new(env, dotenv.as_deref()).map_err(CheckError::Dotenv)?;
    let parsed =
        flotilla_compose::parse(compose, &variables, files).map_err(CheckError::Compose)?;
    for service in &parsed.services {
        let name = scoped(stack, &service.name);
        if name.len() > MAX_SERVICE_NAME {
            return Err(CheckError::Compose(ComposeError {
                at: service.at,
                path: format!("services.{}", service.name),
                message: format!(
                    "`{name}` is longer than the {MAX_SERVICE_NAME} characters swarm allows in a service name"
                ),
            }));
        }
    }
    Ok(Checked {
        objects: convert(stack, &parsed, files),
        warnings: parsed.sorted_warnings().iter().map(warning_text).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_name_too_long_for_swarm_is_refused_at_its_line() {
        let long = "s".repeat(60);
        let compose = format!("services:\n  {long}:\n    image: busybox\n");
        let err = check("shop", &compose, &BTreeMap::new(), &Files::new())
            .expect_err("shop_sss… is 65 characters");
        let CheckError::Compose(err) = err else {
            panic!("expected a compose error, got {err}")
        };
        assert_eq!(
            (err.at.line, err.path.as_str()),
            (3, format!("services.{long}").as_str())
        );
        assert!(check(
            "shop",
            "services:\n  web:\n    image: busybox\n",
            &BTreeMap::new(),
            &Files::new()
        )
        .is_ok());
    }

    #[test]
    fn the_stack_name_comes_first() {
        let err =
            check("-bad", "services: {}\n", &BTreeMap::new(), &Files::new()).expect_err("bad name");
        assert!(err.to_string().starts_with("stack name: `-bad`"), "{err}");
    }
}
