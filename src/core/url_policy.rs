//! Which hook URLs Hookwing will call (SSRF policy). A Worker cannot resolve DNS before
//! `fetch`, so names other than `localhost` are allowed and literal addresses are checked.
//! The WHATWG parser (`url` crate) already folds decimal, hex and octal IPv4 forms into
//! addresses, so `http://2130706433/` is seen as 127.0.0.1.

use std::net::{Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlRejection {
    NotAbsolute(String),
    Scheme(String),
    UserInfo,
    NoHost,
    PrivateTarget(String),
}

impl std::fmt::Display for UrlRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAbsolute(e) => write!(f, "must be an absolute URL ({e})"),
            Self::Scheme(s) => write!(f, "scheme `{s}` is not allowed; use http or https"),
            Self::UserInfo => write!(f, "must not contain user info"),
            Self::NoHost => write!(f, "must have a host"),
            Self::PrivateTarget(h) => write!(
                f,
                "host `{h}` is loopback, private or reserved (set ALLOW_PRIVATE_TARGETS=true for local development)"
            ),
        }
    }
}

/// Checks a hook URL; `allow_private` lifts only the address-range rule.
pub fn check(raw: &str, allow_private: bool) -> Result<Url, UrlRejection> {
    let url = Url::parse(raw).map_err(|e| UrlRejection::NotAbsolute(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlRejection::Scheme(url.scheme().to_string()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRejection::UserInfo);
    }
    let host = url.host().ok_or(UrlRejection::NoHost)?;
    if !allow_private && is_private_host(&host) {
        return Err(UrlRejection::PrivateTarget(host.to_string()));
    }
    Ok(url)
}

fn is_private_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost") || name.is_empty()
        }
        Host::Ipv4(ip) => is_private_v4(*ip),
        Host::Ipv6(ip) => is_private_v6(*ip),
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()              // 127/8
        || ip.is_private()        // 10/8, 172.16/12, 192.168/16
        || ip.is_link_local()     // 169.254/16, including 169.254.169.254 metadata
        || ip.is_unspecified()
        || a == 0                 // 0/8 "this network"
        || (a == 100 && (64..128).contains(&b)) // 100.64/10 CGNAT (and Alibaba metadata)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // 192.0.0/24 protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // 198.18/15 benchmarking
        || ip.is_multicast()
        || a >= 240 // reserved and broadcast
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_private_v4(v4);
    }
    let seg = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || (seg[0] & 0xfe00) == 0xfc00 // fc00::/7 unique local (incl. fd00:ec2::254 metadata)
        || (seg[0] & 0xffc0) == 0xfe80 // fe80::/10 link-local
        || (seg[0] & 0xff00) == 0xff00 // multicast
        // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96) embed an IPv4 address.
        || (seg[..6] == [0, 0, 0, 0, 0, 0])
        || (seg[0] == 0x64 && seg[1] == 0xff9b && is_private_v4(embedded_v4(&seg)))
}

fn embedded_v4(seg: &[u16; 8]) -> Ipv4Addr {
    Ipv4Addr::new((seg[6] >> 8) as u8, seg[6] as u8, (seg[7] >> 8) as u8, seg[7] as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(url: &str) -> bool {
        matches!(check(url, false), Err(UrlRejection::PrivateTarget(_)))
    }

    #[test]
    fn public_http_and_https_urls_pass() {
        for url in [
            "https://example.com/hook",
            "http://example.com:8080/a?b=c",
            "https://8.8.8.8/",
            "https://[2606:4700::1111]/",
        ] {
            assert!(check(url, false).is_ok(), "{url}");
        }
    }

    #[test]
    fn loopback_private_and_metadata_literals_are_rejected() {
        for url in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://0.0.0.0/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://100.100.100.200/",
            "http://[::1]/",
            "http://[::]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1]/",
            "http://[64:ff9b::10.0.0.1]/",
            "http://localhost/",
            "http://LOCALHOST:8787/",
            "http://localhost./",
            "http://api.localhost/",
            "http://255.255.255.255/",
        ] {
            assert!(rejected(url), "{url} should be rejected");
        }
    }

    #[test]
    fn names_that_start_with_digits_are_names_not_addresses() {
        // Found by fuzzing: `https:/127.h===…` parses to a DNS name, not 127.0.0.0/8. Names
        // are allowed (a Worker cannot resolve them first); only literal addresses are judged.
        assert!(check("https:/127.h", false).is_ok());
        assert!(check("https://127.example.com/", false).is_ok());
        assert!(rejected("https:/127.0.0.1"));
    }

    #[test]
    fn allow_private_lifts_only_the_address_rule() {
        assert!(check("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check("http://localhost/", true).is_ok());
        assert_eq!(check("ftp://example.com/", true), Err(UrlRejection::Scheme("ftp".into())));
        assert_eq!(check("http://u:p@example.com/", true), Err(UrlRejection::UserInfo));
    }

    #[test]
    fn relative_and_odd_schemes_are_rejected() {
        assert!(matches!(check("/hook", false), Err(UrlRejection::NotAbsolute(_))));
        assert!(matches!(check("not_work_url", false), Err(UrlRejection::NotAbsolute(_))));
        assert!(matches!(check("file:///etc/passwd", false), Err(UrlRejection::Scheme(_))));
        assert!(matches!(check("javascript:alert(1)", false), Err(UrlRejection::Scheme(_))));
        assert_eq!(check("http://user@example.com/", false), Err(UrlRejection::UserInfo));
    }
}
