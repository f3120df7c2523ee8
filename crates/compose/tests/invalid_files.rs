//! A corpus of compose files `docker stack deploy` would refuse, each refused here with the
//! key path, line and message its header states.
//!
//! Every file in `tests/invalid` starts with comment lines:
//!
//! ```text
//! # expect-path: services.web.deploy.replicas
//! # expect-line: 7
//! # expect-message: replicas can only be used
//! # env: NAME=value        (optional, repeatable: a supplied variable)
//! # file: conf/app.conf    (optional, repeatable: an attached, empty file)
//! ```
//!
//! `expect-path` must equal the error's path (it may be empty, for YAML syntax errors),
//! `expect-line` its line, and `expect-message` be part of its message.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use flotilla_compose::{file_key, parse, Files, Variables};

/// What a corpus file's header says about it.
#[derive(Debug, Default)]
struct Expectation {
    path: Option<String>,
    line: Option<usize>,
    message: Option<String>,
    env: BTreeMap<String, String>,
    files: Vec<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("invalid")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("read tests/invalid")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yml" || ext == "yaml")
        })
        .collect();
    files.sort();
    files
}

/// Reads the leading `# key: value` comment lines.
fn header(text: &str) -> Result<Expectation, String> {
    let mut expectation = Expectation::default();
    for line in text.lines() {
        let Some(comment) = line.strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = comment.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "expect-path" => expectation.path = Some(value.to_owned()),
            "expect-line" => {
                let line = value
                    .parse()
                    .map_err(|_| format!("expect-line `{value}` is not a line number"))?;
                expectation.line = Some(line);
            }
            "expect-message" => expectation.message = Some(value.to_owned()),
            "env" => {
                let (name, value) = value
                    .split_once('=')
                    .ok_or_else(|| format!("env `{value}` is not NAME=value"))?;
                expectation.env.insert(name.to_owned(), value.to_owned());
            }
            "file" => expectation.files.push(value.to_owned()),
            _ => {}
        }
    }
    if expectation.path.is_none() || expectation.line.is_none() || expectation.message.is_none() {
        return Err("the header needs expect-path, expect-line and expect-message".to_owned());
    }
    Ok(expectation)
}

/// Parses one corpus file and says what, if anything, differs from its header.
fn check(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("cannot read: {err}"))?;
    let expectation = header(&text)?;
    let variables = Variables::new(&expectation.env, None)
        .map_err(|err| format!("bad env in the header: {err}"))?;
    let files: Files = expectation
        .files
        .iter()
        .map(|file| (file_key(file), Vec::new()))
        .collect();
    let result = catch_unwind(AssertUnwindSafe(|| parse(&text, &variables, &files)))
        .map_err(|_| "the parser panicked".to_owned())?;
    let err = match result {
        Ok(_) => return Err("parsed without an error".to_owned()),
        Err(err) => err,
    };
    let mut problems = Vec::new();
    let (want_path, want_line, want_message) = (
        expectation.path.unwrap_or_default(),
        expectation.line.unwrap_or_default(),
        expectation.message.unwrap_or_default(),
    );
    if err.path != want_path {
        problems.push(format!("path `{}`, expected `{want_path}`", err.path));
    }
    if err.at.line != want_line {
        problems.push(format!("line {}, expected {want_line}", err.at.line));
    }
    if !err.message.contains(&want_message) {
        problems.push(format!("message does not contain `{want_message}`"));
    }
    let display = err.to_string();
    if !display.contains(&format!("line {}, column", err.at.line)) {
        problems.push(format!(
            "Display `{display}` does not say the line and column"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n      error was: {display:?} (path `{}`)",
            problems.join("; "),
            err.path
        ))
    }
}

#[test]
fn every_invalid_file_is_refused_where_its_header_says() {
    let files = corpus_files();
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        if let Err(problem) = check(path) {
            failures.push(format!("  {name}: {problem}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} invalid compose files were not refused as expected:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    assert!(
        files.len() >= 60,
        "expected at least 60 files in {}, found {}",
        corpus_dir().display(),
        files.len()
    );
}
