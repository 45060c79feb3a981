//! Hook validation (create, patch, test bodies, with headers): never panic, and whatever is
//! accepted obeys the header and URL rules.
#![no_main]
use hookwing::core::hook::{parse_hook_patch, parse_new_hook, parse_test_request};
use hookwing::core::url_policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    for allow_private in [false, true] {
        if let Ok(hook) = parse_new_hook(&body, allow_private) {
            assert!(url_policy::check(&hook.config.url, allow_private).is_ok());
            for (name, value) in hook.config.headers.iter().flatten() {
                assert!(!name.is_empty() && !name.contains(['\r', '\n', '\0', ':', ' ']));
                assert!(!value.contains(['\r', '\n', '\0']));
                assert!(!name.to_ascii_lowercase().starts_with("webhook-"));
            }
        }
        let _ = parse_hook_patch(&body, allow_private);
        let _ = parse_test_request(&body, allow_private);
    }
});
