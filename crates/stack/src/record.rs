//! Keeping the stack file true: a scale or an image update made in the console is written
//! back into the compose text, so the next deploy of the file does not undo it. Only the one
//! value changes — in place, or inserted with the file's own indentation — and every other
//! byte (comments, order, anchors) is kept. A value that comes from a variable changes the
//! variable instead.

use flotilla_compose::{Entry, Location, Node, Value};

/// What to store for the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The new compose text.
    Text(String),
    /// The value is `${NAME…}`: set the variable `NAME` to this.
    Variable { name: String, value: String },
}

/// Which value of a service to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `deploy.replicas`
    Replicas,
    /// `image`
    Image,
}

fn entry<'a>(entries: &'a [Entry], key: &str) -> Option<&'a Entry> {
    entries.iter().find(|e| e.key == key)
}

fn mapping(node: &Node) -> Option<&[Entry]> {
    match &node.value {
        Value::Map(entries) => Some(entries),
        _ => None,
    }
}

/// Byte offset of a (1-based, character) location in `text`.
fn offset(text: &str, at: Location) -> Option<usize> {
    let line_start = if at.line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(at.line - 2)?.0 + 1
    };
    let line = &text[line_start..];
    let column = line
        .char_indices()
        .nth(at.column.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    Some(line_start + column)
}

/// The source text of the scalar starting at byte `start`: a quoted one to its closing
/// quote, a plain one to a comment or the end of its line.
fn scalar_extent(text: &str, start: usize) -> (usize, usize) {
    let rest = &text[start..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    let line = &rest[..line_end];
    let end = match line.chars().next() {
        Some(quote @ ('"' | '\'')) => line[1..].find(quote).map_or(line.len(), |i| i + 2),
        _ => line
            .find(" #")
            .unwrap_or(line.len())
            .min(line.trim_end().len()),
    };
    (start, start + end)
}

/// `${NAME}`, `${NAME:-default}`, `$NAME` … when the whole value is one variable.
fn variable_of(raw: &str) -> Option<String> {
    let raw = raw.trim_matches(|c| c == '"' || c == '\'');
    let name: String = if let Some(inner) = raw.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
    {
        inner
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    } else if let Some(inner) = raw.strip_prefix('$') {
        if !inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        inner.to_owned()
    } else {
        return None;
    };
    (!name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit())).then_some(name)
}

/// The new value written as the old one was: in the same quotes, if any.
fn written(old: &str, new: &str) -> String {
    match old.chars().next() {
        Some('"') => format!("\"{}\"", new.replace('\\', "\\\\").replace('"', "\\\"")),
        Some('\'') => format!("'{}'", new.replace('\'', "''")),
        _ => new.to_owned(),
    }
}

/// Where the text of a service's mapping ends: the line of the next service, or the end.
fn block_lines(services: &[Entry], index: usize) -> (usize, usize) {
    let start = services[index].key_at.line;
    let end = services
        .get(index + 1)
        .map_or(usize::MAX, |next| next.key_at.line);
    (start, end)
}

/// Writes `value` as service `service`'s `field` into `compose`.
pub fn record(compose: &str, service: &str, field: Field, value: &str) -> Result<Recorded, String> {
    let root = flotilla_compose::load(compose).map_err(|err| err.to_string())?;
    let top = mapping(&root).ok_or("the file's top level is not a mapping")?;
    let services = mapping(
        &entry(top, "services")
            .ok_or("the file has no services")?
            .value,
    )
    .ok_or("`services` is not a mapping")?;
    let index = services
        .iter()
        .position(|e| e.key == service)
        .ok_or_else(|| format!("the file has no service `{service}`"))?;
    let (block_start, block_end) = block_lines(services, index);
    let own = |at: Location| at.line > block_start && at.line < block_end;
    let body = mapping(&services[index].value)
        .ok_or_else(|| format!("service `{service}` is not a mapping"))?;
    let found = match field {
        Field::Image => entry(body, "image").map(|e| &e.value),
        Field::Replicas => entry(body, "deploy")
            .and_then(|d| mapping(&d.value))
            .and_then(|deploy| entry(deploy, "replicas"))
            .map(|e| &e.value),
    };
    let key = match field {
        Field::Image => "image",
        Field::Replicas => "deploy.replicas",
    };
    if let Some(node) = found {
        if !own(node.at) {
            return Err(format!(
                "service `{service}` takes `{key}` from a mapping shared at line {} (an anchor or merge key); change it there by editing the file",
                node.at.line
            ));
        }
        let start = offset(compose, node.at).ok_or("the value's place is outside the file")?;
        let (from, to) = scalar_extent(compose, start);
        let old = &compose[from..to];
        if let Some(name) = variable_of(old) {
            return Ok(Recorded::Variable {
                name,
                value: value.to_owned(),
            });
        }
        if old.contains('$') {
            return Err(format!(
                "service `{service}`'s `{key}` mixes text and variables (`{old}`); change it by editing the file"
            ));
        }
        return Ok(Recorded::Text(format!(
            "{}{}{}",
            &compose[..from],
            written(old, value),
            &compose[to..]
        )));
    }
    insert(compose, services, index, field, value)
}

/// Adds the missing key to the service's own mapping, indented as its siblings are.
fn insert(
    compose: &str,
    services: &[Entry],
    index: usize,
    field: Field,
    value: &str,
) -> Result<Recorded, String> {
    let service = &services[index];
    let body = mapping(&service.value).ok_or("the service is not a mapping")?;
    let first = body
        .iter()
        .min_by_key(|e| (e.key_at.line, e.key_at.column))
        .ok_or("the service has no keys to indent by")?;
    if first.key_at.line <= service.key_at.line {
        return Err(format!(
            "service `{}` is written on one line; change it by editing the file",
            service.key
        ));
    }
    let indent = " ".repeat(first.key_at.column - 1);
    let step = " ".repeat((first.key_at.column - service.key_at.column).max(1));
    let (at_line, lines) = match (field, entry(body, "deploy")) {
        (Field::Image, _) => (first.key_at.line, format!("{indent}image: {value}\n")),
        (Field::Replicas, Some(deploy)) => match mapping(&deploy.value) {
            Some(children) if !children.is_empty() => {
                let child = children
                    .iter()
                    .min_by_key(|e| (e.key_at.line, e.key_at.column))
                    .ok_or("deploy has no keys")?;
                if child.key_at.line <= deploy.key_at.line {
                    return Err(
                        "`deploy` is written on one line; change it by editing the file".into(),
                    );
                }
                if child.key_at.line >= block_lines(services, index).1 {
                    return Err("`deploy` comes from a mapping shared with other services; change it by editing the file".into());
                }
                let child_indent = " ".repeat(child.key_at.column - 1);
                (
                    child.key_at.line,
                    format!("{child_indent}replicas: {value}\n"),
                )
            }
            _ if matches!(deploy.value.value, Value::Null) => (
                deploy.key_at.line + 1,
                format!("{indent}{step}replicas: {value}\n"),
            ),
            _ => return Err(
                "`deploy` is not a mapping the console can add to; change it by editing the file"
                    .into(),
            ),
        },
        (Field::Replicas, None) => (
            first.key_at.line,
            format!("{indent}deploy:\n{indent}{step}replicas: {value}\n"),
        ),
    };
    let at = offset(
        compose,
        Location {
            line: at_line,
            column: 1,
        },
    )
    .unwrap_or(compose.len());
    let mut text = compose.to_owned();
    if at == text.len() && !text.ends_with('\n') {
        text.push('\n');
    }
    let at = at.min(text.len());
    text.insert_str(at, &lines);
    Ok(Recorded::Text(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(recorded: Result<Recorded, String>) -> String {
        match recorded {
            Ok(Recorded::Text(text)) => text,
            other => panic!("expected new text, got {other:?}"),
        }
    }

    const FILE: &str = "# the shop\nservices:\n  web:   # front\n    image: \"nginx:1.25\"  # pinned\n    deploy:\n      mode: replicated\n      replicas: 3 # three\n  worker:\n    image: busybox\n";

    #[test]
    fn a_value_changes_in_place_and_nothing_else_does() {
        let new = text(record(FILE, "web", Field::Replicas, "6"));
        assert_eq!(
            new,
            FILE.replace("replicas: 3 # three", "replicas: 6 # three")
        );
        let new = text(record(FILE, "web", Field::Image, "nginx:1.27"));
        assert_eq!(new, FILE.replace("\"nginx:1.25\"", "\"nginx:1.27\""));
    }

    #[test]
    fn a_missing_key_is_inserted_with_the_files_indentation() {
        let new = text(record(FILE, "worker", Field::Replicas, "2"));
        assert_eq!(
            new,
            FILE.replace("  worker:\n", "  worker:\n    deploy:\n      replicas: 2\n")
        );
        let deploy_without =
            "services:\n   api:\n      image: x\n      deploy:\n         mode: replicated\n";
        assert_eq!(
            text(record(deploy_without, "api", Field::Replicas, "4")),
            "services:\n   api:\n      image: x\n      deploy:\n         replicas: 4\n         mode: replicated\n"
        );
    }

    #[test]
    fn a_variable_is_changed_instead_of_the_text() {
        let file = "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: ${WEB_REPLICAS:-5}\n";
        assert_eq!(
            record(file, "web", Field::Replicas, "7"),
            Ok(Recorded::Variable {
                name: "WEB_REPLICAS".into(),
                value: "7".into()
            })
        );
        let mixed = "services:\n  web:\n    image: nginx:${TAG}-alpine\n";
        assert!(record(mixed, "web", Field::Image, "nginx:2").is_err());
    }

    #[test]
    fn shared_values_are_not_edited_behind_other_services_backs() {
        let file = "x-deploy: &deploy\n  replicas: 2\nservices:\n  a:\n    image: x\n    deploy: *deploy\n  b:\n    image: y\n    deploy: *deploy\n";
        let err = record(file, "a", Field::Replicas, "5").expect_err("shared");
        assert!(err.contains("shared at line 2"), "{err}");
        assert!(record(file, "nope", Field::Replicas, "5").is_err());
    }
}
