//! Where users reach the console. A request that names another host is refused, so a page
//! on a hostile domain that resolves to the console (DNS rebinding) gets nothing; a write
//! from a browser must come from one of these origins exactly, scheme and port included.

use std::fmt;

/// One public URL, as the browser spells its origin and its Host header.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PublicUrl {
    /// `https://console.example.com`, `http://127.0.0.1:3000`.
    origin: String,
    /// `console.example.com`, `127.0.0.1:3000`.
    host: String,
}

/// The console's public URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicOrigins(Vec<PublicUrl>);

impl fmt::Display for PublicOrigins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origins: Vec<&str> = self.0.iter().map(|u| u.origin.as_str()).collect();
        f.write_str(&origins.join(", "))
    }
}

fn parse(url: &str) -> Result<PublicUrl, String> {
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("`{url}`: a public URL starts with http:// or https://"))?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return Err(format!("`{url}`: use http:// or https://")),
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return Err(format!(
            "`{url}`: give only scheme, host and port (https://console.example.com)"
        ));
    }
    let host = rest.to_ascii_lowercase();
    // Browsers leave the default port out of both Host and Origin.
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port == default_port && !name.ends_with(':') => name.to_owned(),
        _ => host,
    };
    Ok(PublicUrl {
        origin: format!("{scheme}://{host}"),
        host,
    })
}

impl PublicOrigins {
    /// `urls` as given; none means the address the console listens on, and `localhost` for it
    /// when that is a loopback address (what `make run` serves).
    pub fn new(urls: &[String], listen: std::net::SocketAddr) -> Result<Self, String> {
        let mut parsed = urls
            .iter()
            .filter(|u| !u.trim().is_empty())
            .map(|u| parse(u))
            .collect::<Result<Vec<_>, _>>()?;
        if parsed.is_empty() {
            parsed.push(parse(&format!("http://{listen}"))?);
            if listen.ip().is_loopback() {
                parsed.push(parse(&format!("http://localhost:{}", listen.port()))?);
            }
        }
        Ok(Self(parsed))
    }

    /// The request's Host names the console.
    pub fn allows_host(&self, host: &str) -> bool {
        self.0.iter().any(|u| u.host.eq_ignore_ascii_case(host))
    }

    /// The request's Origin is one of the console's own.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.0.iter().any(|u| u.origin.eq_ignore_ascii_case(origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(urls: &[&str]) -> PublicOrigins {
        let urls: Vec<String> = urls.iter().map(|u| (*u).to_owned()).collect();
        PublicOrigins::new(&urls, "127.0.0.1:3000".parse().expect("addr")).expect("valid")
    }

    #[test]
    fn the_default_is_the_listening_address_and_localhost() {
        let o = origins(&[]);
        assert!(o.allows_host("127.0.0.1:3000") && o.allows_host("localhost:3000"));
        assert!(o.allows_origin("http://127.0.0.1:3000"));
        assert!(
            !o.allows_origin("https://127.0.0.1:3000"),
            "the scheme counts"
        );
        assert!(
            !o.allows_host("evil.example:3000"),
            "a rebound name is refused"
        );
    }

    #[test]
    fn default_ports_are_left_out_as_browsers_do() {
        let o = origins(&["https://Console.Example.com:443/"]);
        assert!(o.allows_host("console.example.com"));
        assert!(o.allows_origin("https://console.example.com"));
        assert!(!o.allows_host("127.0.0.1:3000"));
    }

    #[test]
    fn malformed_urls_are_refused() {
        for bad in [
            "console.example.com",
            "ftp://x",
            "https://x/path",
            "https://",
        ] {
            assert!(
                PublicOrigins::new(&[bad.to_owned()], "127.0.0.1:3000".parse().expect("addr"))
                    .is_err(),
                "{bad}"
            );
        }
    }
}
