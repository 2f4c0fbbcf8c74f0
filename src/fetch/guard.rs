//! The SSRF guard: which addresses a feed request may reach. Unless private networks
//! are allowed for the source, only public unicast addresses are: the check runs on
//! IP literals in every URL (reqwest never resolves those) and, through
//! [`PublicOnlyResolver`], on every address a host name resolves to, so a name that
//! points at 127.0.0.1 or 169.254.169.254 is refused too. Only http and https.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Why a URL or an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("scheme {0:?} is not allowed (only http and https)")]
    Scheme(String),
    #[error("{host} is a non-public address ({ip}); set allow_private_networks to reach it")]
    PrivateAddress { host: String, ip: IpAddr },
    #[error("{0} has no host")]
    NoHost(String),
}

/// Checks a URL before a request is sent to it: its scheme, and its host when that is
/// an IP literal (names are checked after resolution by [`PublicOnlyResolver`]).
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), Refusal> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal::Scheme(url.scheme().to_string()));
    }
    let ip = match url.host() {
        None => return Err(Refusal::NoHost(url.to_string())),
        Some(Host::Domain(_)) => return Ok(()),
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(Refusal::PrivateAddress {
            host: url.host_str().unwrap_or_default().to_string(),
            ip,
        })
    }
}

/// Whether `ip` is a public unicast address a feed may live on. Everything else —
/// loopback, private, link-local, unique-local, CGNAT, multicast, unspecified,
/// broadcast, documentation, benchmarking and reserved ranges — is not, and neither
/// is an IPv6 address that embeds a non-public IPv4 one (`::ffff:127.0.0.1`).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    const NOT_PUBLIC: &[([u8; 4], u32)] = &[
        ([0, 0, 0, 0], 8),       // "this network", unspecified
        ([10, 0, 0, 0], 8),      // private
        ([100, 64, 0, 0], 10),   // CGNAT shared address space
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local (cloud metadata at 169.254.169.254)
        ([172, 16, 0, 0], 12),   // private
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast
        ([192, 168, 0, 0], 16),  // private
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
        ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, broadcast
    ];
    !NOT_PUBLIC
        .iter()
        .any(|(net, prefix)| in_v4(ip, *net, *prefix))
}

fn in_v6(ip: Ipv6Addr, net: u128, prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

fn embedded_v4(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from((u128::from(ip) & 0xffff_ffff) as u32)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the IPv4 address.
    if in_v6(ip, 0xffff << 32, 96) || in_v6(ip, 0x0064_ff9b << 96, 96) {
        return is_public_v4(embedded_v4(ip));
    }
    // 6to4 (2002:AABB:CCDD::) embeds an IPv4 address in bits 16..48.
    if in_v6(ip, 0x2002 << 112, 16) {
        return is_public_v4(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    const NOT_PUBLIC: &[(u128, u32)] = &[
        (0x2001_0000 << 96, 23),      // IETF protocol assignments (Teredo, ORCHID, …)
        (0x2001_0db8 << 96, 32),      // documentation
        (0x3fff_0000 << 96, 20),      // documentation (RFC 9637)
        (0x0064_ff9b_0001 << 80, 48), // local-use NAT64
    ];
    // Only global unicast (2000::/3) is public; that also excludes ::, ::1, the
    // IPv4-compatible ::/96, discard 100::/64, unique-local fc00::/7, link-local
    // fe80::/10, site-local fec0::/10 and multicast ff00::/8.
    in_v6(ip, 0x2000 << 112, 3)
        && !NOT_PUBLIC
            .iter()
            .any(|(net, prefix)| in_v6(ip, *net, *prefix))
}

/// A resolver that hands reqwest only the public addresses a name resolves to, and
/// fails (with [`Refusal::PrivateAddress`]) when there are none.
#[derive(Debug, Default, Clone, Copy)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (public, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
                resolved.into_iter().partition(|a| is_public(a.ip()));
            if let (true, Some(first)) = (public.is_empty(), refused.first()) {
                let refusal = Refusal::PrivateAddress {
                    host,
                    ip: first.ip(),
                };
                return Err(Box::new(refusal) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The refusal behind a reqwest error, if the guard caused it.
pub fn refusal_in(error: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(refusal) = e.downcast_ref::<Refusal>() {
            return Some(refusal.clone());
        }
        cause = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        let table: &[(&str, bool)] = &[
            ("93.184.216.34", true),
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            ("100.63.255.255", true),
            ("100.128.0.0", true),
            ("172.32.0.1", true),
            ("127.0.0.1", false),
            ("127.255.255.254", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("100.127.255.255", false),
            ("0.0.0.0", false),
            ("224.0.0.251", false),
            ("239.255.255.250", false),
            ("255.255.255.255", false),
            ("192.0.2.10", false),
            ("198.51.100.7", false),
            ("203.0.113.9", false),
            ("198.18.0.1", false),
            ("2606:4700:4700::1111", true),
            ("2a00:1450:4001:82b::200e", true),
            ("::", false),
            ("::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:169.254.169.254", false),
            ("::ffff:8.8.8.8", true),
            ("::127.0.0.1", false),
            ("64:ff9b::10.0.0.1", false),
            ("64:ff9b::8.8.8.8", true),
            ("2002:7f00:1::", false),
            ("2002:0808:0808::1", true),
            ("fc00::1", false),
            ("fd12:3456:789a::1", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
            ("2001:db8::1", false),
            ("2001::1", false),
            ("100::1", false),
        ];
        for (text, public) in table {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(is_public(ip), *public, "{text}");
        }
    }

    #[test]
    fn checks_schemes_and_ip_literals() {
        let check = |u: &str, allow| check_url(&Url::parse(u).unwrap(), allow);
        assert!(check("https://feeds.example.com/rss", false).is_ok());
        assert!(check("http://93.184.216.34/rss", false).is_ok());
        assert!(matches!(
            check("ftp://feeds.example.com/rss", true),
            Err(Refusal::Scheme(_))
        ));
        assert!(matches!(
            check("file:///etc/passwd", true),
            Err(Refusal::Scheme(_))
        ));
        for private in [
            "http://127.0.0.1:8080/feed",
            "http://[::1]/feed",
            "http://[::ffff:127.0.0.1]/feed",
            "http://169.254.169.254/latest/meta-data/",
            "http://2130706433/feed",
            "http://0x7f.1/feed",
            "http://10.0.0.1/feed",
        ] {
            assert!(
                matches!(check(private, false), Err(Refusal::PrivateAddress { .. })),
                "{private}"
            );
            assert!(check(private, true).is_ok(), "{private}");
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_loopback() {
        let name: Name = "localhost".parse().unwrap();
        let error = match PublicOnlyResolver.resolve(name).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e,
        };
        assert!(matches!(
            refusal_in(error.as_ref()),
            Some(Refusal::PrivateAddress { .. })
        ));
    }
}
