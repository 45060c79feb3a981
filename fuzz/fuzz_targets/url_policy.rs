//! URL policy: never panic; a URL accepted without ALLOW_PRIVATE_TARGETS is http(s), has no
//! user info, its host is not localhost, and a literal address is not loopback or private.
#![no_main]
use hookwing::core::url_policy::check;
use libfuzzer_sys::fuzz_target;
use url::Host;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    if let Ok(url) = check(raw, false) {
        assert!(matches!(url.scheme(), "http" | "https"));
        assert!(url.username().is_empty() && url.password().is_none());
        let host = url.host_str().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase();
        assert!(host != "localhost" && !host.ends_with(".localhost"));
        match url.host() {
            Some(Host::Ipv4(ip)) => assert!(!ip.is_loopback() && !ip.is_private() && !ip.is_unspecified()),
            Some(Host::Ipv6(ip)) => assert!(!ip.is_loopback() && !ip.is_unspecified()),
            _ => {}
        }
    }
    let _ = check(raw, true);
});
