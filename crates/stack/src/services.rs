//! Services as the console lists and shows them, in shapes the server, its API and the
//! browser share; sorting, filtering and paging run on the server over these.

use serde::{Deserialize, Serialize};

/// How a service's last update or rollback stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct UpdateState {
    /// `updating`, `paused`, `completed`, `rollback_started`, `rollback_paused`,
    /// `rollback_completed`.
    pub state: String,
    pub message: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

impl UpdateState {
    /// As the list says it: "rolling back" rather than `rollback_started`.
    pub fn label(&self) -> &'static str {
        match self.state.as_str() {
            "updating" => "updating",
            "paused" => "paused",
            "completed" => "completed",
            "rollback_started" => "rolling back",
            "rollback_paused" => "rollback paused",
            "rollback_completed" => "rollback completed",
            _ => "unknown",
        }
    }
}

/// One line of the services list (`docker service ls`, and more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ServiceRow {
    pub id: String,
    pub name: String,
    pub stack: Option<String>,
    /// `replicated`, `global`, `replicated job`, `global job`.
    pub mode: String,
    pub running: u64,
    pub desired: u64,
    /// The image as named, without a pinned digest.
    pub image: String,
    pub digest: Option<String>,
    /// `8080:80/tcp`, with ` (host)` for host-mode ports.
    pub ports: Vec<String>,
    pub update: Option<UpdateState>,
    /// RFC 3339.
    pub updated_at: String,
}

/// Splits `image@sha256:…` into the name and the digest.
pub fn split_digest(image: &str) -> (String, Option<String>) {
    match image.split_once('@') {
        Some((name, digest)) => (name.to_owned(), Some(digest.to_owned())),
        None => (image.to_owned(), None),
    }
}

/// The registry an image is pulled from, as the engine reads the reference: the first path
/// component when it looks like a host (has a `.` or a `:`, or is `localhost`), else Docker
/// Hub (`docker.io`).
pub fn image_registry(image: &str) -> &str {
    match image.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
        _ => "docker.io",
    }
}

/// An image reference as the engine takes it: `[registry[:port]/]name[:tag][@digest]`,
/// lowercase path components, no spaces.
pub fn check_image_reference(image: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("`{image}` is not an image reference: {why}"));
    if image.is_empty() || image.len() > 512 {
        return bad("it must have 1 to 512 characters");
    }
    if image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it has spaces");
    }
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    if let Some(digest) = digest {
        let ok = digest.split_once(':').is_some_and(|(algo, hex)| {
            !algo.is_empty()
                && algo
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && hex.len() >= 32
                && hex.chars().all(|c| c.is_ascii_hexdigit())
        });
        if !ok {
            return bad("the digest is not ALGORITHM:HEX");
        }
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match rest[last_slash..].rsplit_once(':') {
        Some((_, tag)) => (&rest[..rest.len() - tag.len() - 1], Some(tag)),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && !tag.starts_with(['.', '-'])
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok {
            return bad("the tag has characters other than letters, digits, `_`, `.` and `-`");
        }
    }
    let mut components: Vec<&str> = path.split('/').collect();
    // A first component with a dot or a port, or `localhost`, is a registry.
    if components.len() > 1 && (components[0].contains(['.', ':']) || components[0] == "localhost")
    {
        components.remove(0);
    }
    for component in components {
        let ok = !component.is_empty()
            && component.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && component.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && component
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if !ok {
            return bad(
                "names are lowercase letters and digits, separated by `.`, `_`, `-` or `/`",
            );
        }
    }
    Ok(())
}

/// What the list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum SortKey {
    #[default]
    Name,
    Stack,
    Mode,
    Running,
    Image,
    Updated,
}

impl SortKey {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "name" => Self::Name,
            "stack" => Self::Stack,
            "mode" => Self::Mode,
            "running" => Self::Running,
            "image" => Self::Image,
            "updated" => Self::Updated,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Stack => "stack",
            Self::Mode => "mode",
            Self::Running => "running",
            Self::Image => "image",
            Self::Updated => "updated",
        }
    }
}

/// Which services, in what order, which page of them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ServiceQuery {
    /// Matches name, stack, image or update state, case-insensitively.
    #[serde(default)]
    pub filter: String,
    /// Only this stack's services.
    #[serde(default)]
    pub stack: Option<String>,
    #[serde(default)]
    pub sort: SortKey,
    #[serde(default)]
    pub descending: bool,
    /// From 0.
    #[serde(default)]
    pub page: usize,
}

/// Services shown on one page of the list.
pub const PAGE_SIZE: usize = 100;
/// The longest filter text taken.
pub const MAX_FILTER: usize = 200;

/// A page of the list and how many services matched in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ServicePage {
    pub rows: Vec<ServiceRow>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
}

/// Filters, sorts and cuts `rows` into the page `query` asks for.
pub fn page_of(mut rows: Vec<ServiceRow>, query: &ServiceQuery) -> ServicePage {
    let needle: String = query
        .filter
        .chars()
        .take(MAX_FILTER)
        .collect::<String>()
        .trim()
        .to_lowercase();
    rows.retain(|row| {
        query
            .stack
            .as_deref()
            .is_none_or(|s| row.stack.as_deref() == Some(s))
            && (needle.is_empty()
                || [
                    row.name.as_str(),
                    row.stack.as_deref().unwrap_or(""),
                    row.image.as_str(),
                    row.update.as_ref().map_or("", |u| u.label()),
                ]
                .iter()
                .any(|field| field.to_lowercase().contains(&needle)))
    });
    rows.sort_by(|a, b| {
        let order = match query.sort {
            SortKey::Name => a.name.cmp(&b.name),
            SortKey::Stack => a.stack.cmp(&b.stack),
            SortKey::Mode => a.mode.cmp(&b.mode),
            SortKey::Running => (a.running, a.desired).cmp(&(b.running, b.desired)),
            SortKey::Image => a.image.cmp(&b.image),
            SortKey::Updated => a.updated_at.cmp(&b.updated_at),
        };
        let order = order.then_with(|| a.name.cmp(&b.name));
        if query.descending {
            order.reverse()
        } else {
            order
        }
    });
    let total = rows.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query.page.min(pages - 1);
    let rows = rows
        .into_iter()
        .skip(page * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    ServicePage {
        rows,
        total,
        page,
        pages,
    }
}

/// One task of a service, current or past (`docker service ps`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct TaskRow {
    pub id: String,
    pub slot: Option<u64>,
    pub node: String,
    pub state: String,
    pub desired_state: String,
    pub error: String,
    pub exit_code: Option<i64>,
    pub image: String,
    pub created_at: String,
    pub changed_at: String,
    /// Made from the service's current spec.
    pub current: bool,
}

/// An environment variable as a service sets it; the value only for those who may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct EnvVar {
    pub name: String,
    pub value: Option<String>,
}

/// A service's page: its line of the list, what its spec says, and its tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ServiceDetail {
    pub row: ServiceRow,
    pub command: Vec<String>,
    pub env: Vec<EnvVar>,
    /// `volume shop_data → /data (ro)`, `bind /srv/conf → /etc/conf`.
    pub mounts: Vec<String>,
    pub networks: Vec<String>,
    pub constraints: Vec<String>,
    /// `cpus 0.5, memory 256MiB` as limits and reservations say.
    pub limits: Vec<String>,
    pub reservations: Vec<String>,
    /// Parallelism, delay, failure action, order, monitor.
    pub update_config: Vec<String>,
    pub rollback_config: Vec<String>,
    pub healthcheck: Option<String>,
    /// A previous spec exists to roll back to.
    pub can_roll_back: bool,
    pub tasks: Vec<TaskRow>,
}

/// How an action on a service went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ServiceActionResult {
    pub service: String,
    /// The engine's warnings (an image it could not resolve, say).
    pub warnings: Vec<String>,
    /// The stack version that recorded the change in the stack file, when one did.
    pub recorded_version: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_name_their_registry_as_the_engine_reads_them() {
        assert_eq!(image_registry("nginx:1.25"), "docker.io");
        assert_eq!(image_registry("library/nginx"), "docker.io");
        assert_eq!(image_registry("10.0.0.1:5000/shop/web:1"), "10.0.0.1:5000");
        assert_eq!(
            image_registry("registry.example.com/web@sha256:ab"),
            "registry.example.com"
        );
        assert_eq!(image_registry("localhost/web"), "localhost");
        assert_eq!(image_registry("local/busybox:1"), "docker.io");
    }

    fn row(name: &str, stack: Option<&str>, running: u64) -> ServiceRow {
        ServiceRow {
            id: format!("id-{name}"),
            name: name.into(),
            stack: stack.map(Into::into),
            mode: "replicated".into(),
            running,
            desired: 3,
            image: "nginx:1.25".into(),
            digest: None,
            ports: vec![],
            update: None,
            updated_at: String::new(),
        }
    }

    #[test]
    fn filters_sorts_and_pages_on_the_server() {
        let rows: Vec<ServiceRow> = (0..250)
            .map(|i| {
                row(
                    &format!("svc{i:03}"),
                    Some(if i % 2 == 0 { "even" } else { "odd" }),
                    i % 4,
                )
            })
            .collect();
        let all = page_of(rows.clone(), &ServiceQuery::default());
        assert_eq!((all.total, all.pages, all.rows.len()), (250, 3, PAGE_SIZE));
        assert_eq!(all.rows[0].name, "svc000");
        let last = page_of(
            rows.clone(),
            &ServiceQuery {
                page: 9,
                ..ServiceQuery::default()
            },
        );
        assert_eq!(
            (last.page, last.rows.len()),
            (2, 50),
            "a page past the end is the last"
        );
        let odd = page_of(
            rows.clone(),
            &ServiceQuery {
                stack: Some("odd".into()),
                sort: SortKey::Running,
                descending: true,
                ..ServiceQuery::default()
            },
        );
        assert_eq!(odd.total, 125);
        assert_eq!(odd.rows[0].running, 3);
        let found = page_of(
            rows,
            &ServiceQuery {
                filter: " SVC24 ".into(),
                ..ServiceQuery::default()
            },
        );
        assert_eq!(
            found
                .rows
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>(),
            [
                "svc240", "svc241", "svc242", "svc243", "svc244", "svc245", "svc246", "svc247",
                "svc248", "svc249"
            ]
        );
    }

    #[test]
    fn image_references_are_checked_as_the_engine_would() {
        for good in [
            "nginx",
            "nginx:1.25",
            "local/busybox:1",
            "127.0.0.1:5000/team/app:v2.0-rc1",
            "registry.example.com/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(check_image_reference(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "nginx latest",
            "Nginx",
            "nginx:",
            "nginx@md5",
            "a//b",
            "-x",
        ] {
            assert!(check_image_reference(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn digests_are_split_off() {
        assert_eq!(
            split_digest("nginx:1.25@sha256:abc"),
            ("nginx:1.25".into(), Some("sha256:abc".into()))
        );
        assert_eq!(split_digest("nginx"), ("nginx".into(), None));
    }
}
