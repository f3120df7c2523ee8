//! Variable substitution in compose values, as `docker stack deploy` does it
//! (docker/cli `cli/compose/template`): `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`,
//! `${VAR-default}`, `${VAR:?message}` and `${VAR?message}`.
//!
//! The CLI's quirks are kept on purpose so a file means the same here as there: the
//! separators are searched for anywhere in the substitution, in the CLI's order (`:-`, `-`,
//! `:?`, `?`), and the unbraced form takes a modifier too (`$VAR-default` runs to the next
//! `}` or the end of the value). One difference: the CLI forgets a failed `:?` when a later
//! variable in the same value succeeds; here a missing required variable is always an error.

use thiserror::Error;

/// The most a single value may grow to once its variables are substituted: `$A` repeated
/// with a long `A` must not ask for gigabytes.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InterpolationError {
    #[error("with its variables substituted this value exceeds {} KiB", MAX_VALUE_BYTES / 1024)]
    TooLong,
    /// A `$` that starts no valid substitution, e.g. `$1`, `${}` or a trailing `$`.
    #[error("invalid interpolation in \"{template}\": use $$ for a literal $")]
    Invalid { template: String },
    #[error("required variable {name} is missing a value: {message}")]
    Required { name: String, message: String },
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// The length in bytes of `NAME` optionally followed by `:-…`, `-…`, `:?…` or `?…` (up to,
/// not including, the next `}`), at the start of `text`; 0 when `text` starts no name.
fn substitution_len(text: &str) -> usize {
    if !text.starts_with(is_name_start) {
        return 0;
    }
    let mut end = text.find(|c: char| !is_name_char(c)).unwrap_or(text.len());
    let rest = &text[end..];
    let modifier = rest.strip_prefix(':').unwrap_or(rest);
    if modifier.starts_with(['-', '?']) {
        let tail = &modifier[1..];
        let until_brace = tail.find('}').unwrap_or(tail.len());
        end = text.len() - tail.len() + until_brace;
    }
    end
}

fn partition<'a>(text: &'a str, separator: &str) -> Option<(&'a str, &'a str)> {
    text.split_once(separator)
}

/// Resolves one substitution (`VAR`, `VAR:-x`, …) like the CLI's substitute functions.
fn substitute<'a>(
    substitution: &str,
    lookup: &impl Fn(&str) -> Option<&'a str>,
) -> Result<String, InterpolationError> {
    if let Some((name, default)) = partition(substitution, ":-") {
        return Ok(match lookup(name) {
            Some(value) if !value.is_empty() => value.to_owned(),
            _ => default.to_owned(),
        });
    }
    if let Some((name, default)) = partition(substitution, "-") {
        return Ok(lookup(name).unwrap_or(default).to_owned());
    }
    for (separator, allow_empty) in [(":?", false), ("?", true)] {
        if let Some((name, message)) = partition(substitution, separator) {
            return match lookup(name) {
                Some(value) if allow_empty || !value.is_empty() => Ok(value.to_owned()),
                _ => Err(InterpolationError::Required {
                    name: name.to_owned(),
                    message: message.to_owned(),
                }),
            };
        }
    }
    Ok(lookup(substitution).unwrap_or_default().to_owned())
}

/// Substitutes every variable in `template`, looking names up with `lookup` (`None` for
/// an unset variable, which is not the same as set to empty).
pub fn interpolate<'a>(
    template: &str,
    lookup: impl Fn(&str) -> Option<&'a str>,
) -> Result<String, InterpolationError> {
    let invalid = || InterpolationError::Invalid {
        template: template.to_owned(),
    };
    let mut out = String::with_capacity(template.len().min(MAX_VALUE_BYTES));
    let mut rest = template;
    let append = |out: &mut String, piece: &str| {
        if out.len() + piece.len() > MAX_VALUE_BYTES {
            return Err(InterpolationError::TooLong);
        }
        out.push_str(piece);
        Ok(())
    };
    while let Some(dollar) = rest.find('$') {
        append(&mut out, &rest[..dollar])?;
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        if let Some(inner) = after.strip_prefix('{') {
            let len = substitution_len(inner);
            if len == 0 || !inner[len..].starts_with('}') {
                return Err(invalid());
            }
            append(&mut out, &substitute(&inner[..len], &lookup)?)?;
            rest = &inner[len + 1..];
            continue;
        }
        let len = substitution_len(after);
        if len == 0 {
            return Err(invalid());
        }
        append(&mut out, &substitute(&after[..len], &lookup)?)?;
        rest = &after[len..];
    }
    append(&mut out, rest)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(template: &str) -> Result<String, InterpolationError> {
        interpolate(template, |name| match name {
            "FOO" => Some("first"),
            "EMPTY" => Some(""),
            "lower" => Some("small"),
            _ => None,
        })
    }

    #[test]
    fn plain_and_braced_names() {
        assert_eq!(env("$FOO").as_deref(), Ok("first"));
        assert_eq!(env("${FOO}").as_deref(), Ok("first"));
        assert_eq!(env("x${FOO}y $lower.").as_deref(), Ok("xfirsty small."));
        assert_eq!(env("no variables").as_deref(), Ok("no variables"));
        assert_eq!(env("$UNSET|${UNSET}").as_deref(), Ok("|"), "unset is empty");
    }

    #[test]
    fn a_doubled_dollar_is_a_literal_one() {
        assert_eq!(env("$$FOO costs $$5").as_deref(), Ok("$FOO costs $5"));
    }

    #[test]
    fn defaults_distinguish_unset_from_empty() {
        assert_eq!(env("${UNSET:-d}").as_deref(), Ok("d"));
        assert_eq!(env("${EMPTY:-d}").as_deref(), Ok("d"));
        assert_eq!(env("${FOO:-d}").as_deref(), Ok("first"));
        assert_eq!(env("${UNSET-d}").as_deref(), Ok("d"));
        assert_eq!(env("${EMPTY-d}").as_deref(), Ok(""));
        assert_eq!(env("${UNSET:-a b:c}").as_deref(), Ok("a b:c"));
    }

    #[test]
    fn required_variables() {
        assert_eq!(env("${FOO:?need it}").as_deref(), Ok("first"));
        assert_eq!(
            env("${UNSET:?set UNSET first}"),
            Err(InterpolationError::Required {
                name: "UNSET".into(),
                message: "set UNSET first".into()
            })
        );
        assert!(env("${EMPTY:?no}").is_err());
        assert_eq!(env("${EMPTY?no}").as_deref(), Ok(""));
        assert!(env("${UNSET?no}").is_err());
        // An error is kept even when a later variable succeeds.
        assert!(env("${UNSET:?no} $FOO").is_err());
    }

    #[test]
    fn the_clis_quirks_are_kept() {
        // Unbraced names take modifiers up to the next `}` or the end.
        assert_eq!(env("$UNSET-fallback").as_deref(), Ok("fallback"));
        assert_eq!(env("$FOO-fallback").as_deref(), Ok("first"));
        // `-` is looked for before `:?`, so a message with a dash reads as a default.
        assert_eq!(env("${UNSET:?a-b}").as_deref(), Ok("b"));
        // A colon not followed by - or ? ends an unbraced name.
        assert_eq!(env("$FOO:8080").as_deref(), Ok("first:8080"));
    }

    #[test]
    fn malformed_templates_are_refused() {
        for bad in [
            "$",
            "cost: $5",
            "${}",
            "${FOO",
            "${FOO bar}",
            "${1}",
            "${FOO:x}",
        ] {
            assert!(
                matches!(env(bad), Err(InterpolationError::Invalid { .. })),
                "{bad}: {:?}",
                env(bad)
            );
        }
    }

    #[test]
    fn a_value_cannot_grow_without_bound() {
        let big = "x".repeat(100 * 1024);
        let lookup = |name: &str| (name == "A").then_some(big.as_str());
        assert!(
            interpolate(&"$A".repeat(10), lookup).is_ok(),
            "1,000 KiB pass"
        );
        assert_eq!(
            interpolate(&"$A".repeat(50_000), lookup),
            Err(InterpolationError::TooLong)
        );
    }

    #[test]
    fn non_ascii_text_passes_through() {
        assert_eq!(env("café ${FOO} ☕").as_deref(), Ok("café first ☕"));
        assert_eq!(env("${UNSET:-é}").as_deref(), Ok("é"));
    }
}
