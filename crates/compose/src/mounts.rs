//! A service's `volumes` (short `src:dst:mode` and long syntax) and its `secrets` and
//! `configs` references (a name, or source/target/uid/gid/mode).

use crate::model::{FileReference, Mount, MountKind};
use crate::read::{expected, Result, Table};
use crate::{ComposeError, Node, Value};

const BIND_PROPAGATIONS: &[&str] = &[
    "rprivate", "private", "rshared", "shared", "rslave", "slave",
];
/// Short-syntax options the CLI accepts and swarm has no use for.
const TOLERATED_OPTIONS: &[&str] = &["z", "Z", "cached", "delegated", "consistent"];

pub(crate) fn mounts(node: &Node, path: &str) -> Result<Vec<Mount>> {
    let Value::Seq(items) = &node.value else {
        return Err(expected(node, path, "a list of volumes"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{path}[{i}]");
            let mount = match &item.value {
                Value::Str(spec) => short_mount(spec)
                    .map_err(|message| ComposeError::at(item.at, &path, message))?,
                Value::Map(_) => long_mount(item, &path)?,
                _ => return Err(expected(item, &path, "SOURCE:TARGET[:MODE] or a mapping")),
            };
            check_source(&mount).map_err(|message| ComposeError::at(item.at, &path, message))?;
            Ok(Mount {
                at: item.at,
                path,
                ..mount
            })
        })
        .collect()
}

fn empty_mount(kind: MountKind) -> Mount {
    Mount {
        kind,
        source: String::new(),
        target: String::new(),
        read_only: false,
        consistency: String::new(),
        bind_propagation: None,
        volume_nocopy: None,
        tmpfs_size: None,
        at: crate::Location::default(),
        path: String::new(),
    }
}

/// `TARGET`, `SOURCE:TARGET` or `SOURCE:TARGET:OPTIONS`; a source that looks like a path
/// (`/`, `.`, `~`) makes a bind mount, anything else names a stack volume.
pub(crate) fn short_mount(spec: &str) -> std::result::Result<Mount, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!("`{spec}`: empty section between colons"));
    }
    let (source, target, options) = match parts.as_slice() {
        [target] => ("", *target, ""),
        [source, target] => (*source, *target, ""),
        [source, target, options] => (*source, *target, *options),
        _ => return Err(format!("`{spec}`: too many colons")),
    };
    let kind = if source.starts_with(['/', '.', '~']) {
        MountKind::Bind
    } else {
        MountKind::Volume
    };
    let mut mount = Mount {
        source: source.to_owned(),
        target: target.to_owned(),
        ..empty_mount(kind)
    };
    for option in options.split(',').filter(|o| !o.is_empty()) {
        match option {
            "ro" => mount.read_only = true,
            "rw" => mount.read_only = false,
            "nocopy" => mount.volume_nocopy = Some(true),
            _ if BIND_PROPAGATIONS.contains(&option) => {
                mount.bind_propagation = Some(option.to_owned())
            }
            _ if TOLERATED_OPTIONS.contains(&option) => {}
            _ => {
                return Err(format!(
                "`{option}` is not a volume option: use ro, rw, nocopy or a bind propagation ({})",
                BIND_PROPAGATIONS.join(", ")
            ))
            }
        }
    }
    Ok(mount)
}

fn long_mount(node: &Node, path: &str) -> Result<Mount> {
    let table = Table::new(node, path, "a volume mapping", false)?;
    table.allow(&[
        "type",
        "source",
        "target",
        "read_only",
        "consistency",
        "bind",
        "volume",
        "tmpfs",
    ])?;
    let kind = match table.string("type")?.as_deref() {
        Some("volume") => MountKind::Volume,
        Some("bind") => MountKind::Bind,
        Some("tmpfs") => MountKind::Tmpfs,
        Some(other) => {
            return Err(ComposeError::at(
                table.key_at("type"),
                &table.path_of("type"),
                format!("`{other}` is not a mount type: use volume, bind or tmpfs"),
            ))
        }
        None => {
            return Err(ComposeError::at(
                table.at,
                path,
                "a volume in long syntax needs a type (volume, bind or tmpfs)",
            ))
        }
    };
    let target = table.string("target")?.ok_or_else(|| {
        ComposeError::at(table.at, path, "a volume in long syntax needs a target")
    })?;
    let mut mount = Mount {
        source: table.string_or_default("source")?,
        target,
        read_only: table.flag("read_only")?,
        consistency: table.string_or_default("consistency")?,
        ..empty_mount(kind)
    };
    let options = |key: &str, allowed: &[&str]| -> Result<Option<Table<'_>>> {
        let Some(field) = table.field(key) else {
            return Ok(None);
        };
        let wanted = match kind {
            MountKind::Volume => "volume",
            MountKind::Bind => "bind",
            MountKind::Tmpfs => "tmpfs",
        };
        if key != wanted {
            return Err(ComposeError::at(
                field.key_at,
                &table.path_of(key),
                format!("{key} options are incompatible with type {wanted}"),
            ));
        }
        let options = Table::new(field.node, &table.path_of(key), "a mapping", true)?;
        options.allow(allowed)?;
        Ok(Some(options))
    };
    if let Some(bind) = options("bind", &["propagation", "create_host_path"])? {
        mount.bind_propagation = bind.string("propagation")?;
        if let Some(propagation) = &mount.bind_propagation {
            if !BIND_PROPAGATIONS.contains(&propagation.as_str()) {
                return Err(ComposeError::at(
                    bind.key_at("propagation"),
                    &bind.path_of("propagation"),
                    format!("use one of {}", BIND_PROPAGATIONS.join(", ")),
                ));
            }
        }
    }
    if let Some(volume) = options("volume", &["nocopy"])? {
        mount.volume_nocopy = Some(volume.flag("nocopy")?);
    }
    if let Some(tmpfs) = options("tmpfs", &["size"])? {
        mount.tmpfs_size = tmpfs.bytes("size")?;
    }
    Ok(mount)
}

fn check_source(mount: &Mount) -> std::result::Result<(), String> {
    if !mount.target.starts_with('/') {
        return Err(format!(
            "the target `{}` must be an absolute path in the container",
            mount.target
        ));
    }
    match mount.kind {
        MountKind::Bind if mount.source.is_empty() => {
            Err("a bind mount needs a source path on the node".to_owned())
        }
        MountKind::Bind if !mount.source.starts_with('/') => Err(format!(
            "`{}`: a bind source must be an absolute path on the node (swarm runs the task on another machine than the one deploying)",
            mount.source
        )),
        MountKind::Tmpfs if !mount.source.is_empty() => {
            Err("a tmpfs mount takes no source".to_owned())
        }
        _ => Ok(()),
    }
}

pub(crate) fn file_references(node: &Node, path: &str) -> Result<Vec<FileReference>> {
    let Value::Seq(items) = &node.value else {
        return Err(expected(node, path, "a list"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{path}[{i}]");
            let reference = match &item.value {
                Value::Str(source) => FileReference {
                    source: source.clone(),
                    ..FileReference::default()
                },
                Value::Map(_) => {
                    let table = Table::new(item, &path, "a mapping", false)?;
                    table.allow(&["source", "target", "uid", "gid", "mode"])?;
                    let source = table.string("source")?.ok_or_else(|| {
                        ComposeError::at(item.at, &path, "needs a source")
                    })?;
                    let mode = table
                        .integer("mode")?
                        .map(|mode| {
                            u32::try_from(mode).ok().filter(|m| *m <= 0o7777).ok_or_else(|| {
                                ComposeError::at(
                                    table.key_at("mode"),
                                    &table.path_of("mode"),
                                    format!("{mode} is not a file mode (write it in octal, such as 0440)"),
                                )
                            })
                        })
                        .transpose()?;
                    FileReference {
                        source,
                        target: table.string("target")?,
                        uid: table.string("uid")?,
                        gid: table.string("gid")?,
                        mode,
                        ..FileReference::default()
                    }
                }
                _ => return Err(expected(item, &path, "a name or a mapping with source")),
            };
            Ok(FileReference {
                at: item.at,
                path,
                ..reference
            })
        })
        .collect()
}
