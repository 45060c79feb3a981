//! URL policy: never panic; a URL accepted without ALLOW_PRIVATE_TARGETS is http(s), has no
//! user info, and its host is not localhost.
#![no_main]
use hookwing::core::url_policy::check;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    if let Ok(url) = check(raw, false) {
        assert!(matches!(url.scheme(), "http" | "https"));
        assert!(url.username().is_empty() && url.password().is_none());
        let host = url.host_str().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase();
        assert!(host != "localhost" && !host.ends_with(".localhost"));
        assert!(!host.starts_with("127.") && host != "[::1]" && host != "0.0.0.0");
    }
    let _ = check(raw, true);
});
