//! Image references read as the engine and the CLI read them (distribution's `reference`
//! package): `[domain/]path[:tag][@digest]`, where a first component with a `.` or a `:`, or
//! `localhost`, is the registry and anything else is on Docker Hub (`docker.io`, official
//! images under `library/`).

use serde::{Deserialize, Serialize};

const HUB: &str = "docker.io";

/// A reference split into its parts, normalized: `busybox` is `docker.io/library/busybox`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub domain: String,
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// Reads `image`; `None` when it is not a reference the engine would take.
    pub fn parse(image: &str) -> Option<Self> {
        crate::check_image_reference(image).ok()?;
        let (rest, digest) = match image.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest.to_owned())),
            None => (image, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rsplit_once(':') {
            Some((_, tag)) => (&rest[..rest.len() - tag.len() - 1], Some(tag.to_owned())),
            None => (rest, None),
        };
        let (domain, path) = match name.split_once('/') {
            Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => {
                (first.to_owned(), path.to_owned())
            }
            _ => (HUB.to_owned(), name.to_owned()),
        };
        let domain = if domain == "index.docker.io" {
            HUB.to_owned()
        } else {
            domain
        };
        let path = if domain == HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        Some(Self {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// The repository as the shortest name that means it: `busybox`, `local/busybox`,
    /// `10.0.0.1:5000/shop/web` (distribution's `FamiliarName`).
    pub fn familiar_name(&self) -> String {
        if self.domain != HUB {
            return format!("{}/{}", self.domain, self.path);
        }
        match self.path.strip_prefix("library/") {
            Some(official) if !official.contains('/') => official.to_owned(),
            _ => self.path.clone(),
        }
    }

    /// `domain/path`: the repository with its registry spelled out, as registries name it.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The reference in its shortest form, with every part it has.
    pub fn familiar(&self) -> String {
        let mut out = self.familiar_name();
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(digest);
        }
        out
    }
}

/// What the CLI sends for `image`: its shortest form, tagged `latest` when it names neither a
/// tag nor a digest (`imageWithTagString`); an unreadable reference goes as written.
pub fn tagged_image(image: &str) -> String {
    match ImageRef::parse(image) {
        Some(mut reference) => {
            if reference.tag.is_none() && reference.digest.is_none() {
                reference.tag = Some("latest".to_owned());
            }
            reference.familiar()
        }
        None => image.to_owned(),
    }
}

/// `image` pinned to `digest` as the CLI pins it (`imageWithDigestString`): a reference that
/// has a digest already is kept as it is.
pub fn pinned_image(image: &str, digest: &str) -> String {
    match ImageRef::parse(image) {
        Some(mut reference) if reference.digest.is_none() => {
            reference.digest = Some(digest.to_owned());
            reference.familiar()
        }
        _ => image.to_owned(),
    }
}

/// Whether a deploy asks the registry for each image's digest, as the CLI's
/// `--resolve-image` does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub enum ResolveImage {
    /// Every deploy pins every image to the digest its tag has now (the CLI's default).
    #[default]
    Always,
    /// Only images the file changes are looked up; the others keep the digest they run.
    Changed,
    /// Never asked: services run the tag, and a digest recorded earlier is kept.
    Never,
}

impl ResolveImage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::Changed => "changed",
            Self::Never => "never",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "always" => Some(Self::Always),
            "changed" => Some(Self::Changed),
            "never" => Some(Self::Never),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalize_as_the_engine_reads_them() {
        let r = ImageRef::parse("busybox").expect("parse");
        assert_eq!(
            (r.domain.as_str(), r.path.as_str()),
            ("docker.io", "library/busybox")
        );
        let r = ImageRef::parse("10.0.0.1:5000/shop/web:1@sha256:0123456789abcdef0123456789abcdef")
            .expect("parse");
        assert_eq!(r.domain, "10.0.0.1:5000");
        assert_eq!(r.path, "shop/web");
        assert_eq!(r.tag.as_deref(), Some("1"));
        assert_eq!(r.repository(), "10.0.0.1:5000/shop/web");
        let r = ImageRef::parse("localhost:5000/web").expect("parse");
        assert_eq!((r.domain.as_str(), r.tag), ("localhost:5000", None));
        assert!(ImageRef::parse("Busybox").is_none());
    }

    #[test]
    fn the_cli_tags_and_shortens_what_it_sends() {
        assert_eq!(tagged_image("busybox"), "busybox:latest");
        assert_eq!(tagged_image("docker.io/library/nginx:1.25"), "nginx:1.25");
        assert_eq!(
            tagged_image("index.docker.io/local/app"),
            "local/app:latest"
        );
        assert_eq!(tagged_image("10.0.0.1:5000/web:2"), "10.0.0.1:5000/web:2");
        let digest = "sha256:0123456789abcdef0123456789abcdef";
        assert_eq!(
            tagged_image(&format!("web@{digest}")),
            format!("web@{digest}")
        );
    }

    #[test]
    fn pinning_adds_a_digest_only_where_there_is_none() {
        let digest = "sha256:0123456789abcdef0123456789abcdef";
        assert_eq!(
            pinned_image("10.0.0.1:5000/shop/web:1", digest),
            format!("10.0.0.1:5000/shop/web:1@{digest}")
        );
        assert_eq!(
            pinned_image("docker.io/library/busybox:1", digest),
            format!("busybox:1@{digest}")
        );
        let other = "sha256:ffffffffffffffffffffffffffffffff";
        assert_eq!(
            pinned_image(&format!("web:1@{other}"), digest),
            format!("web:1@{other}")
        );
    }
}
