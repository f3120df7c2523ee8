//! Who is calling, by address. Behind a reverse proxy every request comes from the proxy;
//! a proxy the operator trusts says in `X-Forwarded-For` whom it forwards for, and that
//! address is what the login limiter counts and the audit log records.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// An address range: an address and how many leading bits must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    bits: u8,
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, bits) = match text.split_once('/') {
            Some((address, bits)) => (address, Some(bits)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("`{text}` is not an address or a range like 10.0.0.0/8"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(bits) => bits
                .parse::<u8>()
                .ok()
                .filter(|b| *b <= max)
                .ok_or_else(|| format!("`{text}`: the prefix length is 0 to {max}"))?,
            None => max,
        };
        Ok(Self { network, bits })
    }
}

impl Cidr {
    fn contains(&self, ip: IpAddr) -> bool {
        let (net, ip, width) = match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => (u32::from(net).into(), u32::from(ip).into(), 32),
            (IpAddr::V6(net), IpAddr::V6(ip)) => (u128::from(net), u128::from(ip), 128),
            _ => return false,
        };
        let mask = if self.bits == 0 {
            0
        } else {
            u128::MAX << (width - u32::from(self.bits))
        };
        let mask = if width == 32 {
            mask & 0xffff_ffff
        } else {
            mask
        };
        net & mask == ip & mask
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<Cidr>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(ip))
    }

    /// The client behind `peer`: the peer itself, unless it is a trusted proxy; then the
    /// nearest address in `X-Forwarded-For` that is not one of ours (proxies append, so the
    /// rightmost entries are the ones we can believe).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|item| item.trim().parse().ok())
            .collect();
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !self.trusts(*ip))
            .unwrap_or(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded.parse().expect("header"));
        headers
    }

    #[test]
    fn only_a_trusted_proxy_is_believed() {
        let proxies = TrustedProxies(vec!["10.0.0.0/8".parse().expect("cidr")]);
        let proxy: IpAddr = "10.1.2.3".parse().expect("ip");
        let stranger: IpAddr = "192.0.2.7".parse().expect("ip");
        let forwarded = headers("198.51.100.1, 203.0.113.9, 10.9.9.9");
        assert_eq!(
            proxies.client(proxy, &forwarded),
            "203.0.113.9".parse::<IpAddr>().expect("ip"),
            "the nearest untrusted hop, not what the client claimed first"
        );
        assert_eq!(proxies.client(stranger, &forwarded), stranger);
        assert_eq!(proxies.client(proxy, &HeaderMap::new()), proxy);
    }

    #[test]
    fn ranges_parse_and_match() {
        let single: Cidr = "127.0.0.1".parse().expect("cidr");
        assert!(single.contains("127.0.0.1".parse().expect("ip")));
        assert!(!single.contains("127.0.0.2".parse().expect("ip")));
        let v6: Cidr = "fd00::/8".parse().expect("cidr");
        assert!(v6.contains("fd12::1".parse().expect("ip")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("everywhere".parse::<Cidr>().is_err());
    }
}
