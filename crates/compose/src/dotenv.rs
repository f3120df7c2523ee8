//! `.env` text: the variables a compose file is interpolated with, besides the supplied
//! environment (which wins, as the process environment does for the docker CLI).
//!
//! Lines are `NAME=value`, optionally prefixed by `export `. Blank lines and lines starting
//! with `#` are skipped. Unquoted values are trimmed and end at ` #`. 'Single quotes' keep
//! the text as written. "Double quotes" understand \n, \t, \" and \\.

use std::collections::BTreeMap;

use crate::{ComposeError, Location};

fn fail(line: usize, column: usize, message: impl Into<String>) -> ComposeError {
    ComposeError::at(Location { line, column }, ".env", message)
}

fn valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c == '_' || c == '.' || c.is_ascii_alphanumeric())
}

/// The variables a compose file is interpolated with: the supplied environment, and below
/// it the `.env` text's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    vars: BTreeMap<String, String>,
}

impl Variables {
    pub fn new(
        supplied: &BTreeMap<String, String>,
        dotenv: Option<&str>,
    ) -> Result<Self, ComposeError> {
        let mut vars = match dotenv {
            Some(text) => parse_dotenv(text)?,
            None => BTreeMap::new(),
        };
        vars.extend(supplied.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(Self { vars })
    }

    /// The value of `name`; `None` when unset (set to empty is `Some("")`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

/// Parses `.env` text into variables; a malformed line is an error naming its line.
pub fn parse_dotenv(text: &str) -> Result<BTreeMap<String, String>, ComposeError> {
    let mut vars = BTreeMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let indent = raw.len() - line.len();
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((name, value)) = line.split_once('=') else {
            return Err(fail(
                line_no,
                indent + 1,
                format!("expected NAME=value, found `{}`", line.trim()),
            ));
        };
        let name = name.trim();
        if !valid_name(name) {
            return Err(fail(
                line_no,
                indent + 1,
                format!("`{name}` is not a variable name"),
            ));
        }
        let value_column = raw.len() - value.len() + 1;
        vars.insert(
            name.to_owned(),
            parse_value(value.trim(), line_no, value_column)?,
        );
    }
    Ok(vars)
}

fn parse_value(value: &str, line: usize, column: usize) -> Result<String, ComposeError> {
    if let Some(rest) = value.strip_prefix('\'') {
        let Some(end) = rest.find('\'') else {
            return Err(fail(line, column, "unterminated single quote"));
        };
        return Ok(rest[..end].to_owned());
    }
    if let Some(rest) = value.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Ok(out),
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some(other) => out.push(other),
                    None => break,
                },
                c => out.push(c),
            }
        }
        return Err(fail(line, column, "unterminated double quote"));
    }
    let value = match value.find(" #") {
        Some(comment) => &value[..comment],
        None => value,
    };
    Ok(value.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_forms() {
        let vars = parse_dotenv(
            "# settings\n\nTAG=1.2\nexport NAME = web \nQUOTED='a #b $c'\nESC=\"x\\ny \\\"z\\\"\"\nINLINE=v # note\nEMPTY=\n",
        )
        .expect("parse");
        assert_eq!(vars["TAG"], "1.2");
        assert_eq!(vars["NAME"], "web");
        assert_eq!(vars["QUOTED"], "a #b $c");
        assert_eq!(vars["ESC"], "x\ny \"z\"");
        assert_eq!(vars["INLINE"], "v");
        assert_eq!(vars["EMPTY"], "");
    }

    #[test]
    fn the_supplied_environment_wins_over_dotenv() {
        let supplied = BTreeMap::from([("TAG".to_owned(), "2".to_owned())]);
        let vars = Variables::new(&supplied, Some("TAG=1\nNAME=web\n")).expect("vars");
        assert_eq!(vars.get("TAG"), Some("2"));
        assert_eq!(vars.get("NAME"), Some("web"));
        assert_eq!(vars.get("UNSET"), None);
    }

    #[test]
    fn malformed_lines_are_named() {
        let err = parse_dotenv("A=1\njust words\n").expect_err("no =");
        assert_eq!((err.at.line, err.at.column), (2, 1));
        assert_eq!(
            err.to_string(),
            "line 2, column 1: .env: expected NAME=value, found `just words`"
        );
        let err = parse_dotenv("1A=x\n").expect_err("bad name");
        assert!(err.message.contains("`1A` is not a variable name"), "{err}");
        let err = parse_dotenv("A='open\n").expect_err("quote");
        assert_eq!(
            (err.at.line, err.at.column, err.message.as_str()),
            (1, 3, "unterminated single quote")
        );
    }
}
