//! The client's address behind a load balancer: taken from
//! `X-Forwarded-For` only when the connection comes from a proxy this server
//! was told to trust (`--trusted-proxy`), so a client cannot pick its own
//! address to dodge the failed-log-in limit per address.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// Addresses or CIDR ranges of the proxies in front of this server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// A comma-separated list of addresses and ranges
    /// (`127.0.0.1, 10.0.0.0/8, fd00::/8`).
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (address, bits) = match item.split_once('/') {
                Some((address, bits)) => (address, Some(bits)),
                None => (item, None),
            };
            let address: IpAddr = address.parse().map_err(|_| {
                format!("trusted proxy {item:?} is not an IP address or CIDR range")
            })?;
            let max = if address.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(bits) => bits
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| {
                        format!("trusted proxy {item:?} has an invalid prefix length")
                    })?,
            };
            ranges.push((address, bits));
        }
        Ok(Self(ranges))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0
            .iter()
            .any(|(net, bits)| in_range(ip, canonical(*net), *bits))
    }

    /// The client of a connection from `peer`: `peer` itself unless it is a
    /// trusted proxy; then the right-most address of `X-Forwarded-For` that
    /// is not a trusted proxy (proxies append what they saw).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer;
        if !self.contains(client) {
            return client;
        }
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for hop in forwarded.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(address) => {
                    client = address;
                    if !self.contains(address) {
                        break;
                    }
                }
                // Not an address: stop at the last hop that was one.
                Err(_) => break,
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 addresses compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn in_range(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn ranges_and_single_addresses() {
        let trusted = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8,fd00::/8").unwrap();
        assert!(trusted.contains(ip("127.0.0.1")));
        assert!(!trusted.contains(ip("127.0.0.2")));
        assert!(trusted.contains(ip("10.200.3.4")));
        assert!(!trusted.contains(ip("11.0.0.1")));
        assert!(trusted.contains(ip("fd12::1")));
        assert!(trusted.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped");
        assert!(
            TrustedProxies::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("8.8.8.8"))
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.internal").is_err());
        assert_eq!(
            TrustedProxies::parse("").unwrap(),
            TrustedProxies::default()
        );
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop_and_only_behind_a_trusted_proxy() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // What a client claims is ignored when it connects directly.
        assert_eq!(
            trusted.client(ip("203.0.113.9"), &forwarded(&["1.2.3.4"])),
            ip("203.0.113.9")
        );
        // Behind the balancer: the address it appended, not what the client claimed before it.
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &forwarded(&["1.2.3.4, 198.51.100.7"])),
            ip("198.51.100.7")
        );
        assert_eq!(
            trusted.client(
                ip("10.0.0.5"),
                &forwarded(&["1.2.3.4", "198.51.100.7, 10.0.0.9"])
            ),
            ip("198.51.100.7"),
            "header lines join, trusted hops are skipped"
        );
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &forwarded(&["garbage, 10.0.0.9"])),
            ip("10.0.0.9"),
            "stops at what is not an address"
        );
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &HeaderMap::new()),
            ip("10.0.0.5")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.5"), &forwarded(&["1.2.3.4"])),
            ip("10.0.0.5"),
            "no proxy trusted unless configured"
        );
    }
}
