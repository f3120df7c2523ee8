//! Property-based fuzzing of the compose crate: whatever text it is handed, every entry point
//! answers `Ok` or `Err` and never panics; a refused file says where, inside the file; and
//! parsing is deterministic.
//!
//! Three kinds of input:
//! - arbitrary strings, and strings over a YAML-ish alphabet, fed to every public parser;
//! - a known-good compose file with random edits (insertions, deletions, replacements);
//! - *nearly valid* compose files built from real compose keys with a mix of valid and
//!   invalid values, rendered to YAML by the small emitter below.
//!
//! Each property runs 256 cases; proptest's failure files are off so a failing run writes
//! nothing into the source tree (a failure prints its minimal input instead).

use std::collections::BTreeMap;

use flotilla_compose::{
    interpolate, load, load_interpolated, parse, parse_bytes, parse_cpus, parse_dotenv,
    parse_duration, parse_port_spec, ComposeError, Files, Variables,
};
use proptest::prelude::*;
use proptest::sample::Index;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn lookup(name: &str) -> Option<&'static str> {
    match name {
        "IMAGE" => Some("nginx:1.25"),
        "REPLICAS" => Some("2"),
        "FOO" => Some("foo"),
        "EMPTY" => Some(""),
        _ => None,
    }
}

fn variables() -> Variables {
    let supplied = BTreeMap::from(["IMAGE", "REPLICAS", "FOO", "EMPTY"].map(|name| {
        (
            name.to_owned(),
            lookup(name).expect("a fixed variable").to_owned(),
        )
    }));
    Variables::new(&supplied, Some("FROM_DOTENV='x y'\nexport TAG=1.2\n"))
        .expect("the fixed variables parse")
}

fn files() -> Files {
    Files::from([
        ("secret.txt".to_owned(), b"s3cret".to_vec()),
        ("conf/app.conf".to_owned(), b"listen 80;\n".to_vec()),
        ("app.env".to_owned(), b"A=1\nexport B='two'\n".to_vec()),
        ("bad.env".to_owned(), b"just words\n".to_vec()),
        ("binary.env".to_owned(), vec![0xff, 0xfe, b'=', 0x00, b'\n']),
    ])
}

/// Lines as YAML counts them: `\r\n`, `\r` and `\n` each end one.
fn line_count(text: &str) -> usize {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .lines()
        .count()
}

/// An error must point into the text: 1-based, at most one line past the last.
fn check_location(text: &str, err: &ComposeError) -> Result<(), TestCaseError> {
    let lines = line_count(text);
    prop_assert!(
        err.at.line >= 1 && err.at.line <= lines + 1 && err.at.column >= 1,
        "error location {:?} outside a text of {} lines: {}\n--- text ---\n{}",
        err.at,
        lines,
        err,
        text
    );
    Ok(())
}

/// Runs every public parser on `text`; any of them may refuse it, none may panic.
fn exercise_everything(text: &str) -> Result<(), TestCaseError> {
    let _ = load(text);
    let _ = load_interpolated(text, lookup);
    let parsed = parse(text, &variables(), &files());
    let _ = interpolate(text, lookup);
    let _ = parse_dotenv(text);
    let _ = Variables::new(&BTreeMap::new(), Some(text));
    let _ = parse_duration(text);
    let _ = parse_bytes(text);
    let _ = parse_port_spec(text);
    let _ = parse_cpus(text);
    if let Err(err) = parsed {
        check_location(text, &err)?;
    }
    Ok(())
}

/// Parses twice; the model must come out the same both times.
fn check_deterministic(text: &str) -> Result<bool, TestCaseError> {
    let (variables, files) = (variables(), files());
    let first = parse(text, &variables, &files);
    let second = parse(text, &variables, &files);
    match (&first, &second) {
        // `max_failure_ratio: .nan` is accepted, and NaN is not equal to itself: two models
        // that print the same are the same.
        (Ok(a), Ok(b)) => prop_assert!(
            a == b || format!("{a:?}") == format!("{b:?}"),
            "two parses differ\n--- text ---\n{}\n--- first ---\n{:?}\n--- second ---\n{:?}",
            text,
            a,
            b
        ),
        (Err(a), Err(b)) => prop_assert_eq!(a, b, "two parses fail differently:\n{}", text),
        _ => prop_assert!(
            false,
            "one parse succeeded, the other failed:\n{}\n{:?}\n{:?}",
            text,
            first,
            second
        ),
    }
    Ok(first.is_ok())
}

// ---------------------------------------------------------------------------------------
// A tiny YAML tree and its block-style emitter.

#[derive(Debug, Clone)]
enum Y {
    /// Scalar (or flow collection) text, written as is after `key: ` or `- `.
    Raw(String),
    Seq(Vec<Y>),
    Map(Vec<(String, Y)>),
    /// `&name` before the value.
    Anchor(&'static str, Box<Y>),
}

fn raw(text: &str) -> Y {
    Y::Raw(text.to_owned())
}

/// `text` as a double-quoted YAML scalar.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render(top: &[(String, Y)]) -> String {
    let mut out = String::new();
    render_entries(&mut out, 0, top);
    out
}

fn render_entries(out: &mut String, indent: usize, entries: &[(String, Y)]) {
    for (key, value) in entries {
        out.push_str(&" ".repeat(indent));
        out.push_str(key);
        out.push(':');
        render_value(out, indent, value);
    }
}

fn render_items(out: &mut String, indent: usize, items: &[Y]) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        render_value(out, indent, item);
    }
}

/// What follows `key:` or `-` at `indent`: a scalar on the same line, or a nested block.
fn render_value(out: &mut String, indent: usize, value: &Y) {
    match value {
        Y::Raw(text) => {
            out.push(' ');
            out.push_str(text);
            out.push('\n');
        }
        Y::Seq(items) if items.is_empty() => out.push_str(" []\n"),
        Y::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
        Y::Seq(items) => {
            out.push('\n');
            render_items(out, indent + 2, items);
        }
        Y::Map(entries) => {
            out.push('\n');
            render_entries(out, indent + 2, entries);
        }
        Y::Anchor(name, inner) => {
            out.push_str(" &");
            out.push_str(name);
            render_value(out, indent, inner);
        }
    }
}

/// `Some` of `value` with probability `p` (which may be 0 or 1).
fn maybe<S>(p: f64, value: S) -> BoxedStrategy<Option<S::Value>>
where
    S: Strategy + 'static,
    S::Value: Clone,
{
    if p >= 1.0 {
        value.prop_map(Some).boxed()
    } else if p <= 0.0 {
        Just(None).boxed()
    } else {
        prop::option::weighted(p, value).boxed()
    }
}

// ---------------------------------------------------------------------------------------
// Generic values: anything YAML can hold, valid compose or not.

const ODD_SCALARS: &[&str] = &[
    "null",
    "~",
    "true",
    "false",
    "yes",
    "off",
    "0",
    "-1",
    "1.5",
    "-0.5",
    "0440",
    "0o17",
    "0x1F",
    "1e3",
    ".nan",
    ".inf",
    "-.inf",
    "''",
    "\"\"",
    "[]",
    "{}",
    "[1, [2, {a: b}]]",
    "{a: 1, b: [x, y]}",
    "99999999999999999999",
    "-9223372036854775808",
    "9223372036854775807",
    "!!str 12",
    "!!int \"7\"",
    "!custom value",
    "&anchor 1",
    "\"\\u00e9\\t\\x41\"",
    "'it''s'",
    "${IMAGE}",
    "\"${UNSET:?required}\"",
    "\"${EMPTY:?not empty}\"",
    "$$literal",
    "\"${\"",
    "\"$\"",
    "\"${FOO:-a}b$FOO-c}\"",
    "\"caf\u{e9} \u{2615}\"",
    "*undefined_alias",
    "a: b",
    "- x",
    "\"unterminated",
    "[unclosed",
];

fn junk_scalar() -> BoxedStrategy<Y> {
    prop_oneof![
        4 => prop::sample::select(ODD_SCALARS).prop_map(raw),
        2 => any::<i64>().prop_map(|n| Y::Raw(n.to_string())),
        1 => any::<f64>().prop_map(|f| Y::Raw(format!("{f:?}"))),
        3 => "[ -#%-~]{0,16}".prop_map(|s| Y::Raw(quoted(&s))),
        2 => "[a-z0-9_./:=-]{1,12}".prop_map(Y::Raw),
        1 => any::<String>().prop_map(|s| Y::Raw(quoted(&s.replace('$', "$$")))),
    ]
    .boxed()
}

fn junk_key() -> BoxedStrategy<String> {
    prop_oneof![
        12 => "[a-z_]{1,8}",
        1 => prop::sample::select(&["x-extra", "<<", "\"quoted key\"", "1", "null", "? complex"][..])
            .prop_map(str::to_owned),
    ]
    .boxed()
}

/// Any YAML value: scalars, lists and mappings nested a few levels.
fn junk() -> BoxedStrategy<Y> {
    junk_scalar()
        .prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Y::Seq),
                prop::collection::vec((junk_key(), inner), 0..4).prop_map(Y::Map),
            ]
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------
// Compose-shaped values. `junk` weighs how often a value is replaced by a random one (against
// 40) and an invalid example is picked (against 12); 0 builds files that should mostly parse.

#[derive(Clone, Copy)]
struct Gen {
    junk: u32,
}

type Field = (&'static str, BoxedStrategy<Y>);

impl Gen {
    /// One of `valid`, or now and then one of `invalid`.
    fn pick(
        self,
        valid: &'static [&'static str],
        invalid: &'static [&'static str],
    ) -> BoxedStrategy<Y> {
        let valid = prop::sample::select(valid).prop_map(raw);
        if self.junk == 0 || invalid.is_empty() {
            return valid.boxed();
        }
        prop_oneof![
            12 => valid,
            self.junk => prop::sample::select(invalid).prop_map(raw),
        ]
        .boxed()
    }

    /// `value`, or now and then anything at all.
    fn mixed(self, value: BoxedStrategy<Y>) -> BoxedStrategy<Y> {
        if self.junk == 0 {
            return value;
        }
        prop_oneof![40 => value, self.junk => junk()].boxed()
    }

    /// A mapping holding each of `fields` with probability `p`, in random order.
    fn map_of(self, fields: Vec<Field>, p: f64) -> BoxedStrategy<Y> {
        self.map_with(Vec::new(), fields, p)
    }

    /// A mapping holding every `required` field (now and then missing one, with junk) and
    /// each `optional` one with probability `p`, in random order.
    fn map_with(self, required: Vec<Field>, optional: Vec<Field>, p: f64) -> BoxedStrategy<Y> {
        let needed = if self.junk == 0 { 1.0 } else { 0.92 };
        let fields = required
            .into_iter()
            .map(|field| (field, needed))
            .chain(optional.into_iter().map(|field| (field, p)));
        let mut options: Vec<BoxedStrategy<Option<(String, Y)>>> = fields
            .map(|((key, value), p)| {
                maybe(p, self.mixed(value))
                    .prop_map(move |v| v.map(|v| (key.to_owned(), v)))
                    .boxed()
            })
            .collect();
        if self.junk > 0 {
            options.push(maybe(0.03, (junk_key(), junk())).boxed());
        }
        options
            .prop_map(|entries| entries.into_iter().flatten().collect::<Vec<_>>())
            .prop_shuffle()
            .prop_map(Y::Map)
            .boxed()
    }

    /// A mapping whose keys come from `keys` (deduplicated), each with a `value`.
    fn keyed(
        self,
        keys: &'static [&'static str],
        value: BoxedStrategy<Y>,
        size: std::ops::Range<usize>,
    ) -> BoxedStrategy<Y> {
        prop::collection::vec((prop::sample::select(keys), value), size)
            .prop_map(|entries| {
                let mut seen = Vec::new();
                Y::Map(
                    entries
                        .into_iter()
                        .filter(|(k, _)| {
                            let fresh = !seen.contains(k);
                            seen.push(*k);
                            fresh
                        })
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            })
            .boxed()
    }

    fn list(self, item: BoxedStrategy<Y>, size: std::ops::Range<usize>) -> BoxedStrategy<Y> {
        prop::collection::vec(item, size).prop_map(Y::Seq).boxed()
    }

    /// A list of distinct picks from `valid`; with junk, repeats and `invalid` ones too.
    fn distinct(
        self,
        valid: &'static [&'static str],
        invalid: &'static [&'static str],
        size: std::ops::Range<usize>,
    ) -> BoxedStrategy<Y> {
        if self.junk > 0 {
            return self.list(self.pick(valid, invalid), size);
        }
        let size = size.start..size.end.min(valid.len() + 1);
        prop::sample::subsequence(valid, size)
            .prop_shuffle()
            .prop_map(|items| Y::Seq(items.into_iter().map(raw).collect()))
            .boxed()
    }

    /// A mapping of strings (driver options, logging options).
    fn string_map(self) -> BoxedStrategy<Y> {
        self.keyed(
            &["com.example.a", "b", "\"with space\"", "size"],
            self.pick(
                &["x", "\"1\"", "1", "true", "null", "\"\""],
                &["[a]", "{a: 1}"],
            ),
            0..4,
        )
    }

    fn text(self) -> BoxedStrategy<Y> {
        let valid = self.pick(
            &[
                "web",
                "\"hello world\"",
                "/srv/app",
                "'1000:1000'",
                "SIGTERM",
                "x",
            ],
            &["\"\"", "123", "true", "[a]", "{a: 1}"],
        );
        if self.junk == 0 {
            return valid;
        }
        prop_oneof![3 => valid, 1 => "[a-zA-Z0-9 _./:=-]{0,12}".prop_map(|s| Y::Raw(quoted(&s)))]
            .boxed()
    }

    fn strings(self) -> BoxedStrategy<Y> {
        self.list(self.text(), 0..4)
    }

    fn boolean(self) -> BoxedStrategy<Y> {
        self.pick(
            &["true", "false", "yes", "\"no\"", "\"on\"", "off"],
            &["1", "\"maybe\"", "null", "[]"],
        )
    }

    fn integer(self) -> BoxedStrategy<Y> {
        self.pick(
            &["0", "1", "2", "5", "\"3\"", "\"${REPLICAS}\""],
            &[
                "-1",
                "\"x\"",
                "1.5",
                "9223372036854775807",
                "18446744073709551616",
                "0x10",
                "0777",
                "\"${UNSET}\"",
                "null",
            ],
        )
    }

    fn duration(self) -> BoxedStrategy<Y> {
        self.pick(
            &[
                "10s",
                "1m30s",
                "\"500ms\"",
                "0",
                "1.5h",
                "\"2us\"",
                "\"1\u{b5}s\"",
                "\"1h2m3s4ms5us6ns\"",
                "\"+3s\"",
                "1000000000",
            ],
            &[
                "-5s",
                "10",
                "forever",
                "\"\"",
                "9999999999h",
                "\"1..5s\"",
                "1e3s",
                "\".s\"",
                "-1",
                "1.5",
                "\"99999999999999999999999999999999999999999s\"",
            ],
        )
    }

    fn cpus(self) -> BoxedStrategy<Y> {
        self.pick(
            &["0.5", "\"0.25\"", "2", ".5", "\"0.123456789\"", "1.0"],
            &[
                "\"1.0000000001\"",
                "-1",
                "\"one\"",
                "\"\"",
                "99999999999",
                "1e3",
                "\".\"",
                "9223372036.9",
                "true",
            ],
        )
    }

    fn memory(self) -> BoxedStrategy<Y> {
        self.pick(
            &["512m", "\"1.5GiB\"", "100kb", "1024", "\"2 MB\"", "0", "1g"],
            &[
                "-1",
                "\"12x\"",
                "\"\"",
                "99999999999999p",
                "\"1.2.3g\"",
                "\"m\"",
                "1.5",
                "\"  \"",
            ],
        )
    }

    fn labels(self) -> BoxedStrategy<Y> {
        prop_oneof![
            self.keyed(
                &["com.example.a", "b", "\"with space\"", "x-label"],
                self.pick(
                    &["x", "\"1\"", "1", "true", "null", "\"\""],
                    &["[a]", "{a: 1}"]
                ),
                0..4,
            ),
            self.distinct(
                &["\"com.example=1\"", "flag", "\"a=b=c\"", "\"k=\""],
                &["\"=v\"", "1", "[x]", "flag"],
                0..4,
            ),
        ]
        .boxed()
    }

    fn command(self) -> BoxedStrategy<Y> {
        prop_oneof![
            self.pick(
                &[
                    "\"echo hello\"",
                    "\"sh -c 'sleep 1'\"",
                    "[\"sh\", \"-c\", \"true\"]",
                    "[]",
                    "\"$$HOME\"",
                ],
                &[
                    "\"sh -c 'unterminated\"",
                    "\"a \\\\\"",
                    "1",
                    "{a: b}",
                    "[1, [2]]"
                ],
            ),
            self.strings(),
        ]
        .boxed()
    }

    fn environment(self) -> BoxedStrategy<Y> {
        prop_oneof![
            self.keyed(
                &["A", "B", "FOO", "PATH", "lower", "\"with space\"", "\"1\""],
                self.pick(
                    &[
                        "x",
                        "\"1\"",
                        "1",
                        "1.5",
                        "null",
                        "\"\"",
                        "${FOO}",
                        "\"$$HOME\""
                    ],
                    &["true", "[a]", "{a: b}", "\"${UNSET:?set it}\""],
                ),
                0..4,
            ),
            self.distinct(
                &["\"A=1\"", "B", "\"C=\"", "\"D=${FOO:-d}\"", "FOO"],
                &["\"=x\"", "1", "[x]", "\"A=1\""],
                0..4,
            ),
        ]
        .boxed()
    }

    fn port(self) -> BoxedStrategy<Y> {
        let long = self.map_with(
            vec![(
                "target",
                self.pick(&["80", "\"443\""], &["0", "65536", "-1", "\"x\""]),
            )],
            vec![
                (
                    "published",
                    self.pick(&["8080", "\"8443\""], &["70000", "\"\"", "[1]"]),
                ),
                (
                    "protocol",
                    self.pick(&["tcp", "udp", "sctp", "UDP"], &["xyz", "1"]),
                ),
                ("mode", self.pick(&["host", "ingress"], &["bridge", "true"])),
            ],
            0.6,
        );
        prop_oneof![
            4 => self.pick(
                &[
                    "\"80\"",
                    "80",
                    "\"8080:80\"",
                    "\"127.0.0.1:8000:80\"",
                    "\"8000-8001:80-81/udp\"",
                    "\"[::1]:53:53/udp\"",
                    "\"9000-9001:9000\"",
                    "\"1.2.3.4:80:80/sctp\"",
                    "\"0:80\"",
                ],
                &[
                    "\"80/xyz\"",
                    "\"65536\"",
                    "\"-1\"",
                    "\"1-2-3\"",
                    "\"a:b\"",
                    "\"::80\"",
                    "\"3000-2000:80\"",
                    "\"8000-8002:80-81\"",
                    "\"\"",
                    "\"/\"",
                    "\"80/\"",
                    "\"1:2:3:4:5\"",
                    "\"999.1.1.1:80:80\"",
                    "1.5",
                    "true",
                ],
            ),
            2 => long,
            1 => (any::<u16>(), any::<u16>()).prop_map(|(a, b)| Y::Raw(format!("\"{a}:{b}\""))),
            1 => "[0-9:/.a-z\\[\\]-]{0,14}".prop_map(|s| Y::Raw(quoted(&s))),
        ]
        .boxed()
    }

    fn mount(self) -> BoxedStrategy<Y> {
        let target = || self.pick(&["/data", "/app"], &["\"\"", "1", "relative"]);
        let read_only = || ("read_only", self.boolean());
        let volume = self.map_with(
            vec![
                ("type", self.pick(&["volume"], &["npipe", "1"])),
                ("target", target()),
            ],
            vec![
                (
                    "source",
                    self.pick(&["data", "logs"], &["undefined", "/abs", "[]"]),
                ),
                read_only(),
                ("consistency", self.pick(&["cached", "delegated"], &["[x]"])),
                ("volume", self.map_of(vec![("nocopy", self.boolean())], 0.8)),
                ("tmpfs", self.map_of(vec![("size", self.memory())], 0.8)),
            ],
            0.4,
        );
        let bind = self.map_with(
            vec![
                ("type", self.pick(&["bind"], &["volume"])),
                (
                    "source",
                    self.pick(&["/srv", "/abs/path"], &["./src", "~/x", "\"\""]),
                ),
                ("target", target()),
            ],
            vec![
                read_only(),
                (
                    "bind",
                    self.map_of(
                        vec![
                            (
                                "propagation",
                                self.pick(&["rprivate", "shared"], &["sideways"]),
                            ),
                            ("create_host_path", self.boolean()),
                        ],
                        0.8,
                    ),
                ),
                ("volume", self.map_of(vec![("nocopy", self.boolean())], 0.8)),
            ],
            0.4,
        );
        let tmpfs = self.map_with(
            vec![
                ("type", self.pick(&["tmpfs"], &["TMPFS"])),
                ("target", target()),
            ],
            vec![
                ("tmpfs", self.map_of(vec![("size", self.memory())], 0.8)),
                ("source", self.pick(&["\"\""], &["data"])),
                read_only(),
            ],
            0.4,
        );
        prop_oneof![
            3 => self.pick(
                &[
                    "\"data:/data\"",
                    "\"/srv:/app:ro\"",
                    "/tmp",
                    "\"logs:/var/log:rw,nocopy\"",
                    "\"/h:/c:z\"",
                    "\"/h:/c:rshared,ro\"",
                ],
                &[
                    "\"./src:/app:ro\"",
                    "\"~/x:/y:rshared\"",
                    "\"undefined:/x\"",
                    "\"a::b\"",
                    "\"a:b:c:d\"",
                    "\"data:/d:bogus\"",
                    "\"data:relative\"",
                    "\":\"",
                    "\"\"",
                    "1",
                ],
            ),
            1 => volume,
            1 => bind,
            1 => tmpfs,
        ]
        .boxed()
    }

    fn update_config(self) -> BoxedStrategy<Y> {
        self.map_of(
            vec![
                ("parallelism", self.integer()),
                ("delay", self.duration()),
                (
                    "failure_action",
                    self.pick(&["continue", "rollback", "pause"], &["explode", "\"\""]),
                ),
                ("monitor", self.duration()),
                (
                    "max_failure_ratio",
                    self.pick(
                        &["0.1", "1", "\"0.5\"", "0"],
                        &["x", "-1", "true", ".nan", "\"NaN\""],
                    ),
                ),
                (
                    "order",
                    self.pick(&["start-first", "stop-first"], &["sideways"]),
                ),
            ],
            0.4,
        )
    }

    fn deploy(self) -> BoxedStrategy<Y> {
        let limits = self.map_of(
            vec![
                ("cpus", self.cpus()),
                ("memory", self.memory()),
                ("pids", self.integer()),
            ],
            0.6,
        );
        let generic = self.list(
            self.map_with(
                vec![(
                    "discrete_resource_spec",
                    self.map_of(
                        vec![
                            ("kind", self.pick(&["gpu", "\"ssd\""], &["[]"])),
                            ("value", self.integer()),
                        ],
                        0.8,
                    ),
                )],
                Vec::new(),
                0.0,
            ),
            0..3,
        );
        let reservations = self.map_of(
            vec![
                ("cpus", self.cpus()),
                ("memory", self.memory()),
                ("generic_resources", generic),
            ],
            0.6,
        );
        let placement = self.map_of(
            vec![
                (
                    "constraints",
                    self.list(
                        self.pick(
                            &["\"node.role==manager\"", "\"node.labels.zone!=a\""],
                            &["\"bogus\"", "1", "\"\""],
                        ),
                        0..3,
                    ),
                ),
                (
                    "preferences",
                    self.list(
                        self.map_with(
                            vec![("spread", self.pick(&["node.labels.zone"], &["[]"]))],
                            Vec::new(),
                            0.0,
                        ),
                        0..3,
                    ),
                ),
                ("max_replicas_per_node", self.integer()),
            ],
            0.5,
        );
        self.map_of(
            vec![
                (
                    "mode",
                    self.pick(
                        &["replicated", "global", "replicated-job", "global-job"],
                        &["\"\"", "swarm", "1"],
                    ),
                ),
                ("replicas", self.integer()),
                ("labels", self.labels()),
                (
                    "endpoint_mode",
                    self.pick(&["vip", "dnsrr"], &["x", "\"\""]),
                ),
                ("update_config", self.update_config()),
                ("rollback_config", self.update_config()),
                (
                    "resources",
                    self.map_of(
                        vec![("limits", limits), ("reservations", reservations)],
                        0.6,
                    ),
                ),
                (
                    "restart_policy",
                    self.map_of(
                        vec![
                            (
                                "condition",
                                self.pick(&["none", "on-failure", "any"], &["sometimes"]),
                            ),
                            ("delay", self.duration()),
                            ("max_attempts", self.integer()),
                            ("window", self.duration()),
                        ],
                        0.5,
                    ),
                ),
                ("placement", placement),
            ],
            0.35,
        )
    }

    fn service_networks(self) -> BoxedStrategy<Y> {
        let names = &["front", "back", "default"];
        let bad = &["undefined", "\"\"", "1"];
        prop_oneof![
            self.distinct(names, bad, 0..3),
            self.keyed(
                &["front", "back", "default", "undefined"],
                prop_oneof![
                    Just(raw("null")),
                    self.map_of(
                        vec![
                            ("aliases", self.strings()),
                            ("ipv4_address", self.pick(&["10.0.0.5"], &["x"])),
                            ("driver_opts", self.string_map()),
                        ],
                        0.5,
                    ),
                ]
                .boxed(),
                0..3,
            ),
        ]
        .boxed()
    }

    fn file_references(self, names: &'static [&'static str]) -> BoxedStrategy<Y> {
        let long = self.map_with(
            vec![("source", self.pick(names, &["undefined", "1"]))],
            vec![
                ("target", self.pick(&["/run/x", "x"], &["[]"])),
                ("uid", self.pick(&["\"1000\""], &["1000", "[]"])),
                ("gid", self.pick(&["\"1000\""], &["{}"])),
                (
                    "mode",
                    self.pick(
                        &["0440", "\"0440\"", "288", "0o440"],
                        &["-1", "99999999999", "\"rw\"", "0999"],
                    ),
                ),
            ],
            0.6,
        );
        self.list(
            prop_oneof![self.pick(names, &["undefined", "\"\""]), long].boxed(),
            0..3,
        )
    }

    fn healthcheck(self) -> BoxedStrategy<Y> {
        self.map_of(
            vec![
                (
                    "test",
                    self.pick(
                        &[
                            "\"curl -f http://localhost\"",
                            "[\"CMD\", \"true\"]",
                            "[\"NONE\"]",
                            "[]",
                        ],
                        &["1", "{a: b}", "[1]"],
                    ),
                ),
                ("interval", self.duration()),
                ("timeout", self.duration()),
                ("start_period", self.duration()),
                ("start_interval", self.duration()),
                ("retries", self.integer()),
                ("disable", self.boolean()),
            ],
            0.4,
        )
    }

    fn ulimits(self) -> BoxedStrategy<Y> {
        self.keyed(
            &["nofile", "nproc", "core"],
            prop_oneof![
                self.integer(),
                self.map_with(
                    vec![("soft", self.integer()), ("hard", self.integer())],
                    Vec::new(),
                    0.0,
                ),
            ]
            .boxed(),
            0..3,
        )
    }

    fn extra_hosts(self) -> BoxedStrategy<Y> {
        prop_oneof![
            self.list(
                self.pick(
                    &["\"db:10.0.0.2\"", "\"h=1.2.3.4\"", "\"v6:::1\""],
                    &["\"nohost\"", "1", "\"\""],
                ),
                0..3,
            ),
            self.keyed(
                &["db", "cache"],
                self.pick(&["10.0.0.2", "\"::1\""], &["[]", "null"]),
                0..3,
            ),
        ]
        .boxed()
    }

    fn service(self) -> BoxedStrategy<Y> {
        let image = self.pick(
            &[
                "nginx",
                "nginx:1.25",
                "\"redis:7\"",
                "${IMAGE}",
                "\"${IMAGE:-busybox}\"",
                "registry.local:5000/app@sha256:abc",
            ],
            &[
                "\"\"",
                "\"  \"",
                "\"${UNSET:?need an image}\"",
                "1",
                "[nginx]",
            ],
        );
        let p = 0.12;
        let mut fields: Vec<Field> = vec![
            ("command", self.command()),
            ("entrypoint", self.command()),
            ("environment", self.environment()),
            (
                "env_file",
                self.pick(
                    &["app.env", "./app.env", "[app.env]", "[]"],
                    &[
                        "missing.env",
                        "bad.env",
                        "binary.env",
                        "[app.env, bad.env]",
                        "1",
                    ],
                ),
            ),
            ("ports", self.list(self.port(), 0..4)),
            ("volumes", self.list(self.mount(), 0..3)),
            ("deploy", self.deploy()),
            ("networks", self.service_networks()),
            ("secrets", self.file_references(&["s1", "s2"])),
            ("configs", self.file_references(&["c1"])),
            ("healthcheck", self.healthcheck()),
            ("labels", self.labels()),
            ("ulimits", self.ulimits()),
            ("extra_hosts", self.extra_hosts()),
            (
                "dns",
                prop_oneof![
                    self.pick(&["8.8.8.8", "\"1.1.1.1\""], &["1"]),
                    self.strings()
                ]
                .boxed(),
            ),
            ("dns_search", self.strings()),
            ("stop_grace_period", self.duration()),
            (
                "restart",
                self.pick(
                    &[
                        "no",
                        "always",
                        "on-failure",
                        "\"on-failure:3\"",
                        "unless-stopped",
                    ],
                    &[
                        "\"always:x\"",
                        "\"on-failure:-1\"",
                        "bogus",
                        "\"no:1\"",
                        "\":\"",
                    ],
                ),
            ),
            (
                "logging",
                self.map_of(
                    vec![
                        ("driver", self.pick(&["json-file", "syslog"], &["[]"])),
                        ("options", self.string_map()),
                    ],
                    0.6,
                ),
            ),
            ("sysctls", self.labels()),
            ("tty", self.boolean()),
            ("stdin_open", self.boolean()),
            ("read_only", self.boolean()),
            ("init", self.boolean()),
            ("user", self.text()),
            ("hostname", self.text()),
            ("working_dir", self.text()),
            ("stop_signal", self.text()),
            ("isolation", self.text()),
            ("cap_add", self.strings()),
            ("cap_drop", self.strings()),
            (
                "x-note",
                if self.junk == 0 {
                    self.labels()
                } else {
                    junk()
                },
            ),
            (
                "<<",
                self.pick(
                    &["*base", "[*base]"],
                    &["*undefined", "{image: merged}", "1"],
                ),
            ),
        ];
        if self.junk > 0 {
            // Keys swarm ignores (warnings), refuses, or never heard of.
            for key in ["build", "depends_on", "privileged", "expose"] {
                fields.push((key, junk()));
            }
            for key in ["mem_limit", "extends", "volumes_from", "bogus_key"] {
                fields.push((key, junk()));
            }
        }
        let image_p = if self.junk == 0 { 0.97 } else { 0.85 };
        let field_count = fields.len();
        let mut weighted: Vec<Field> = vec![("image", image)];
        weighted.extend(fields);
        let mut options: Vec<BoxedStrategy<Option<(String, Y)>>> = Vec::new();
        for (i, (key, value)) in weighted.into_iter().enumerate() {
            let prob = if i == 0 {
                image_p
            } else if key == "<<" || (self.junk > 0 && i > field_count - 8) {
                0.03
            } else {
                p
            };
            options.push(
                maybe(prob, self.mixed(value))
                    .prop_map(move |v| v.map(|v| (key.to_owned(), v)))
                    .boxed(),
            );
        }
        options
            .prop_map(|entries| entries.into_iter().flatten().collect::<Vec<_>>())
            .prop_shuffle()
            .prop_map(Y::Map)
            .boxed()
    }

    fn top_networks(self) -> BoxedStrategy<Y> {
        let subnet = self.pick(
            &["10.0.0.0/24", "\"fd00::/64\"", "10.0.0.1"],
            &["10.0.0.0/33", "bogus", "\"::/129\"", "\"10.0.0.0/\""],
        );
        let ipam = self.map_of(
            vec![
                ("driver", self.pick(&["default"], &["[]"])),
                (
                    "config",
                    self.list(
                        self.map_with(vec![("subnet", subnet)], Vec::new(), 0.0),
                        0..3,
                    ),
                ),
            ],
            0.7,
        );
        let network = self.map_of(
            vec![
                ("driver", self.pick(&["overlay", "bridge"], &["1"])),
                (
                    "external",
                    self.pick(&["false"], &["true", "\"yes\"", "{name: other}"]),
                ),
                ("name", self.text()),
                ("attachable", self.boolean()),
                ("internal", self.boolean()),
                ("labels", self.labels()),
                ("driver_opts", self.string_map()),
                ("ipam", ipam),
            ],
            0.25,
        );
        self.object_section(
            &["front", "back"],
            &["default", "\"bad name\""],
            network,
            true,
        )
    }

    fn top_volumes(self) -> BoxedStrategy<Y> {
        let volume = self.map_of(
            vec![
                ("driver", self.pick(&["local"], &["[]"])),
                ("driver_opts", self.string_map()),
                ("external", self.pick(&["false"], &["true", "\"yes\""])),
                ("name", self.text()),
                ("labels", self.labels()),
            ],
            0.3,
        );
        self.object_section(&["data", "logs"], &["\"\""], volume, true)
    }

    fn top_files(self, names: &'static [&'static str], is_secret: bool) -> BoxedStrategy<Y> {
        let file = if is_secret {
            self.pick(
                &["./secret.txt", "secret.txt", "conf/../secret.txt"],
                &["missing.txt", "\"\"", "1"],
            )
        } else {
            self.pick(
                &["./conf/app.conf", "conf/app.conf"],
                &["missing.conf", "/"],
            )
        };
        let mut optional = vec![
            ("external", self.pick(&["false"], &["true", "\"yes\""])),
            ("name", self.text()),
            ("labels", self.labels()),
            ("template_driver", self.pick(&["golang"], &["jinja", "1"])),
        ];
        if is_secret {
            optional.push(("driver", self.pick(&["vault"], &["[]"])));
            optional.push(("driver_opts", self.string_map()));
        }
        let object = self.map_with(vec![("file", file)], optional, 0.3);
        self.object_section(names, &["\"\""], object, false)
    }

    /// A top-level section: every name in `names` (so references resolve), sometimes more.
    /// Each object is `object`, or external, or (when `bare_ok`) null or `{}`.
    fn object_section(
        self,
        names: &'static [&'static str],
        odd_names: &'static [&'static str],
        object: BoxedStrategy<Y>,
        bare_ok: bool,
    ) -> BoxedStrategy<Y> {
        let external = self.pick(
            &[
                "{external: true}",
                "{external: true, name: elsewhere}",
                "{external: {name: old}}",
            ],
            &["{external: true, driver: x}", "{external: 1}"],
        );
        let bare = self.pick(&["null", "{}"], &["[]", "1"]);
        let value = if bare_ok {
            prop_oneof![1 => bare, 1 => external, 4 => object].boxed()
        } else if self.junk == 0 {
            prop_oneof![1 => external, 4 => object].boxed()
        } else {
            prop_oneof![1 => bare, 1 => external, 4 => object].boxed()
        };
        let present = if self.junk == 0 { 1.0 } else { 0.8 };
        let all = names
            .iter()
            .map(|name| {
                maybe(present, value.clone())
                    .prop_map(move |v| v.map(|v| (name.to_string(), v)))
                    .boxed()
            })
            .collect::<Vec<_>>();
        let odd = if self.junk == 0 {
            Just(None).boxed()
        } else {
            maybe(0.1, (prop::sample::select(odd_names), value))
                .prop_map(|v| v.map(|(k, v)| (k.to_owned(), v)))
                .boxed()
        };
        let section = (all, odd)
            .prop_map(|(all, odd)| Y::Map(all.into_iter().flatten().chain(odd).collect()))
            .boxed();
        self.mixed(section)
    }

    /// A whole compose file, as top-level entries.
    fn file(self) -> BoxedStrategy<Vec<(String, Y)>> {
        let names = &["web", "api", "db", "worker", "cache", "w_1", "a.b", "Web2"];
        let odd_names = &[
            "-bad",
            "x-hidden",
            "\"with space\"",
            "\"\"",
            "\u{e9}t\u{e9}",
        ];
        let name = if self.junk == 0 {
            prop::sample::select(names).boxed()
        } else {
            prop_oneof![12 => prop::sample::select(names), self.junk => prop::sample::select(odd_names)]
                .boxed()
        };
        let services = prop::collection::vec((name, self.service()), 1..5)
            .prop_map(|services| {
                let mut seen = Vec::new();
                Y::Map(
                    services
                        .into_iter()
                        .filter(|(name, _)| {
                            let fresh = !seen.contains(name);
                            seen.push(*name);
                            fresh
                        })
                        .map(|(name, service)| (name.to_owned(), service))
                        .collect(),
                )
            })
            .boxed();
        let base = self
            .map_of(
                vec![
                    ("image", self.pick(&["busybox"], &["[]"])),
                    ("environment", self.environment()),
                    ("labels", self.labels()),
                ],
                0.5,
            )
            .prop_map(|base| Y::Anchor("base", Box::new(base)))
            .boxed();
        let optional = |s: BoxedStrategy<Y>, p: f64| -> BoxedStrategy<Option<Y>> {
            maybe(if self.junk == 0 { 1.0 } else { p }, s).boxed()
        };
        let version = maybe(
            0.4,
            self.pick(
                &["\"3\"", "\"3.8\"", "3.9", "3", "'3.0'"],
                &["\"2.4\"", "\"3.x\"", "\"\"", "null", "4", "[3]"],
            ),
        );
        let extra = if self.junk == 0 {
            Just(None).boxed()
        } else {
            maybe(0.05, (junk_key(), junk())).boxed()
        };
        (
            version,
            optional(base, 0.9),
            optional(self.top_networks(), 0.8),
            optional(self.top_volumes(), 0.8),
            optional(self.top_files(&["s1", "s2"], true), 0.8),
            optional(self.top_files(&["c1"], false), 0.8),
            maybe(
                if self.junk == 0 { 1.0 } else { 0.97 },
                self.mixed(services),
            ),
            extra,
        )
            .prop_map(
                |(version, base, networks, volumes, secrets, configs, services, extra)| {
                    [
                        ("version", version),
                        ("x-base", base),
                        ("networks", networks),
                        ("volumes", volumes),
                        ("secrets", secrets),
                        ("configs", configs),
                        ("services", services),
                    ]
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
                    .chain(extra)
                    .collect()
                },
            )
            .boxed()
    }
}

/// Nearly valid compose files: a third built to parse, the rest with a little or more junk.
fn compose_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Gen { junk: 0 }.file(),
        Gen { junk: 1 }.file(),
        Gen { junk: 3 }.file(),
    ]
    .prop_map(|top| render(&top))
}

// ---------------------------------------------------------------------------------------
// Random edits of a known-good file.

const SAMPLE: &str = r#"version: "3.8"
x-base: &base
  image: busybox
  environment:
    SHARED: "1"
services:
  web:
    <<: *base
    image: ${IMAGE:-nginx}
    command: ["nginx", "-g", "daemon off;"]
    environment:
      - A=1
      - B
    env_file: ./app.env
    ports:
      - "8080:80"
      - target: 443
        published: 8443
        protocol: tcp
        mode: host
    volumes:
      - data:/data:ro
      - type: tmpfs
        target: /tmp
        tmpfs:
          size: 64m
    networks:
      front:
        aliases: [www]
    secrets:
      - s1
      - source: s1
        target: /run/s
        mode: 0440
    configs: [c1]
    healthcheck:
      test: curl -f http://localhost
      interval: 30s
      retries: 3
    ulimits:
      nofile: {soft: 1024, hard: 2048}
    extra_hosts: ["db:10.0.0.2"]
    stop_grace_period: 1m30s
    deploy:
      mode: replicated
      replicas: ${REPLICAS}
      resources:
        limits: {cpus: "0.5", memory: 512m}
      update_config:
        parallelism: 2
        delay: 10s
        order: start-first
      placement:
        constraints: [node.role==manager]
  worker:
    image: 'app:1'
    deploy: {mode: global}
networks:
  front:
    driver: overlay
volumes:
  data: {}
secrets:
  s1:
    file: ./secret.txt
configs:
  c1:
    file: conf/app.conf
"#;

#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, char),
    Delete(Index),
    Replace(Index, char),
    /// Copies a few characters from one place to another.
    Splice(Index, Index, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let chars = prop::sample::select(
        &[
            ' ', ' ', '\n', '\t', ':', '-', '[', ']', '{', '}', '"', '\'', '&', '*', '!', '|', '>',
            '#', '$', '%', '@', '`', ',', '?', '0', '9', 'a', '.', '\\', '\r', '\u{e9}',
            '\u{feff}', '\u{0}', '\u{85}', '\u{2028}',
        ][..],
    );
    prop_oneof![
        3 => (any::<Index>(), chars.clone()).prop_map(|(i, c)| Edit::Insert(i, c)),
        3 => any::<Index>().prop_map(Edit::Delete),
        3 => (any::<Index>(), chars).prop_map(|(i, c)| Edit::Replace(i, c)),
        1 => (any::<Index>(), any::<Index>(), 1..40usize)
            .prop_map(|(from, to, n)| Edit::Splice(from, to, n)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        if chars.is_empty() {
            break;
        }
        match edit {
            Edit::Insert(i, c) => chars.insert(i.index(chars.len() + 1), *c),
            Edit::Delete(i) => {
                chars.remove(i.index(chars.len()));
            }
            Edit::Replace(i, c) => {
                let at = i.index(chars.len());
                chars[at] = *c;
            }
            Edit::Splice(from, to, n) => {
                let from = from.index(chars.len());
                let piece: Vec<char> = chars[from..(from + n).min(chars.len())].to_vec();
                let to = to.index(chars.len() + 1);
                chars.splice(to..to, piece);
            }
        }
    }
    chars.into_iter().collect()
}

// ---------------------------------------------------------------------------------------
// The properties.

const YAMLISH: &str = "[a-z0-9 :\\-\\[\\]{}\"'&*!|>#$%\\n\\t.,=?@\\\\]{0,200}";

proptest! {
    #![proptest_config(config())]

    /// 1a. Any string at all.
    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        exercise_everything(&text)?;
    }

    /// 1b. Strings over YAML's punctuation, which get further into the YAML parser.
    #[test]
    fn yamlish_strings_never_panic(text in YAMLISH) {
        exercise_everything(&text)?;
    }

    /// 1c. Short strings shaped like the scalars the unit parsers take (ports, sizes, …).
    #[test]
    fn scalar_shaped_strings_never_panic(
        text in "[0-9.:/+\\-\\[\\]a-z\u{b5}\u{3bc} $={}?]{0,24}"
    ) {
        exercise_everything(&text)?;
    }

    /// 1d. A valid file with random edits.
    #[test]
    fn edited_sample_never_panics(edits in prop::collection::vec(edit(), 1..8)) {
        let text = apply(SAMPLE, &edits);
        exercise_everything(&text)?;
        check_deterministic(&text)?;
    }

    /// 2. Nearly valid compose files: no panic, and a refusal points into the file.
    #[test]
    fn generated_files_never_panic_and_errors_point_into_the_file(text in compose_text()) {
        match parse(&text, &variables(), &files()) {
            Ok(compose) => {
                let lines = line_count(&text);
                for warning in &compose.warnings {
                    prop_assert!(
                        warning.at.line >= 1 && warning.at.line <= lines && warning.at.column >= 1,
                        "warning location {:?} outside the file:\n{}", warning.at, text
                    );
                }
            }
            Err(err) => check_location(&text, &err)?,
        }
    }

    /// 3. Parsing a generated file twice gives the same model (or the same error).
    #[test]
    fn generated_files_parse_deterministically(text in compose_text()) {
        check_deterministic(&text)?;
    }
}

#[test]
fn the_sample_is_valid() {
    let compose = parse(SAMPLE, &variables(), &files()).expect("the sample parses");
    assert_eq!(compose.services.len(), 2);
}

#[test]
fn clean_generated_files_mostly_parse() {
    // The generator is only useful if its clean half reaches the model, not just the YAML
    // parser: most clean files must parse.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = Gen { junk: 0 }.file().prop_map(|top| render(&top));
    let mut ok = 0;
    let mut failures = Vec::new();
    for _ in 0..64 {
        let text = strategy.new_tree(&mut runner).expect("a value").current();
        match parse(&text, &variables(), &files()) {
            Ok(_) => ok += 1,
            Err(err) => failures.push(format!("{err}")),
        }
    }
    assert!(ok >= 32, "only {ok}/64 clean files parsed: {failures:#?}");
}

// ---------------------------------------------------------------------------------------
// Parser bugs the properties found, kept as ignored regression tests until fixed.

/// saphyr wraps a scalar with a custom tag in a `Tagged` node whose inner scalar has an
/// empty span (saphyr 0.3.4 `value_from_cow_and_metadata` → `.into()` → `Span::default()`),
/// and `yaml::convert` returns the inner node, so its location is line 0, column 1.
/// (Collections keep their span: `!t [x]` is located correctly.) The same empty span makes
/// `go_octal` miss the text, so `mode: !custom 0440` reads as 440 where `0440` reads as 288.
#[test]
fn tagged_scalar_errors_point_at_their_line() {
    let text = "secrets:\n  a: !custom value\n";
    let err = parse(text, &variables(), &files()).expect_err("a string is not a secret");
    assert_eq!(err.message, "expected a secret mapping, found a string");
    assert_eq!(err.at.line, 2, "{err}");
    assert!(err.at.column >= 1, "{err}");

    let err = load("!\ta").expect_err("the top level is a string");
    assert_eq!(err.at.line, 1, "{err}");
}

/// Nesting depth is unbounded for block collections: saphyr-parser's loader recurses once
/// per level (`Parser::load_node` → `load_mapping`/`load_sequence` → `load_node`), and so do
/// `yaml::convert`/`mapping`, `interpolate_node` and the drop of the tree. A deep enough
/// file overflows the stack, which aborts the whole process rather than panicking. Nested
/// complex keys (`? ? ? … x`) reach the depth at 2 bytes a level; in a debug build with a
/// 2 MiB thread stack about 800 levels (1.6 KB) are enough, and block mappings nested by
/// indentation overflow flotilla's own `convert` at about 250 levels. (Flow collections are
/// capped by saphyr: `recursion limit exceeded`.)
#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    const CHILD: &str = "FLOTILLA_COMPOSE_FUZZ_CHILD";
    let text = format!("{}x\n", "? ".repeat(50_000));
    if std::env::var_os(CHILD).is_some() {
        let _ = parse(&text, &variables(), &files());
        return;
    }
    // A stack overflow aborts the test binary, so the parse runs in a child process.
    let status = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "deep_nesting_does_not_overflow_the_stack",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the child test runs");
    assert!(
        status.success(),
        "parsing {} bytes of nested YAML killed the process: {status}",
        text.len()
    );
}
