//! The delivered request of SPEC §4: body with `hookId` last, Hookwing's headers, the
//! hook's headers, and both signatures over the exact body bytes.

use super::ports::OutboundRequest;
use crate::core::event::delivery_body;
use crate::core::hook::{Hook, HookConfig};
use crate::core::signature::{logto_signature, standard_signature_header};

pub const USER_AGENT: &str = concat!("Hookwing/", env!("CARGO_PKG_VERSION"));

/// Builds the POST for one attempt; `now_ms` is the attempt's time (fresh signature per
/// attempt). `webhook-id` is the event id, identical for every hook and attempt.
pub fn build(
    hook: &Hook,
    event_id: &str,
    event_json: &str,
    now_ms: i64,
    default_timeout_ms: u32,
) -> OutboundRequest {
    let body = delivery_body(event_json, &hook.id);
    signed(&hook.config, hook, event_id, body, now_ms, default_timeout_ms)
}

/// Signs `body` with the hook's keys and addresses it by `config` (the stored config, or
/// the unsaved one a test send brings).
pub fn signed(
    config: &HookConfig,
    hook: &Hook,
    msg_id: &str,
    body: Vec<u8>,
    now_ms: i64,
    default_timeout_ms: u32,
) -> OutboundRequest {
    let timestamp = now_ms.div_euclid(1000);
    let mut headers: Vec<(String, String)> =
        vec![("content-type".into(), "application/json".into()), ("user-agent".into(), USER_AGENT.into())];
    for (name, value) in config.headers.iter().flatten() {
        // A hook header replaces a default of the same name (case-insensitively).
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.clone(), value.clone()));
    }
    headers.push(("logto-signature-sha-256".into(), logto_signature(&hook.signing_key, &body)));
    headers.push(("webhook-id".into(), msg_id.to_string()));
    headers.push(("webhook-timestamp".into(), timestamp.to_string()));
    headers.push((
        "webhook-signature".into(),
        standard_signature_header(hook.signing_keys(now_ms), msg_id, timestamp, &body),
    ));
    OutboundRequest {
        url: config.url.clone(),
        headers,
        body,
        timeout_ms: config.timeout_ms.unwrap_or(default_timeout_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::hook::RetiredKey;
    use crate::core::signature::standard_signature;
    use indexmap::IndexMap;

    fn hook() -> Hook {
        Hook {
            tenant_id: "default".into(),
            id: "hook1".into(),
            name: String::new(),
            event: None,
            events: vec!["PostSignIn".into()],
            config: HookConfig {
                url: "https://example.com/h".into(),
                headers: Some(IndexMap::from([
                    ("User-Agent".to_string(), "custom/1".to_string()),
                    ("x-api-key".to_string(), "k".to_string()),
                ])),
                retries: None,
                timeout_ms: None,
                rate_limit: None,
                max_in_flight: None,
                ordered: false,
            },
            signing_key: "foo".into(),
            retired_keys: vec![],
            enabled: true,
            created_at: 0,
            disabled_reason: None,
            paused: false,
            exhausted_since: None,
        }
    }

    fn header<'a>(r: &'a OutboundRequest, name: &str) -> Vec<&'a str> {
        r.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }

    #[test]
    fn signs_the_exact_body_with_both_schemes() {
        let r = build(&hook(), "evt_1", r#"{"event":"PostSignIn"}"#, 1_700_000_000_500, 10_000);
        assert_eq!(r.body, br#"{"event":"PostSignIn","hookId":"hook1"}"#);
        assert_eq!(header(&r, "logto-signature-sha-256"), [logto_signature("foo", &r.body)]);
        assert_eq!(header(&r, "webhook-id"), ["evt_1"]);
        assert_eq!(header(&r, "webhook-timestamp"), ["1700000000"]);
        assert_eq!(
            header(&r, "webhook-signature"),
            [standard_signature(b"foo", "evt_1", 1_700_000_000, &r.body)]
        );
        assert_eq!(r.timeout_ms, 10_000);
    }

    #[test]
    fn hook_headers_override_defaults_once() {
        let r = build(&hook(), "evt_1", "{}", 0, 10_000);
        assert_eq!(header(&r, "user-agent"), ["custom/1"]);
        assert_eq!(header(&r, "content-type"), ["application/json"]);
        assert_eq!(header(&r, "x-api-key"), ["k"]);
    }

    #[test]
    fn rotation_grace_adds_a_signature_per_live_key() {
        let mut h = hook();
        h.retired_keys.push(RetiredKey { key: "old".into(), expires_at: 5_000 });
        h.config.timeout_ms = Some(2_000);
        let r = build(&h, "evt_1", "{}", 1_000, 10_000);
        assert_eq!(header(&r, "webhook-signature")[0].split(' ').count(), 2);
        assert_eq!(r.timeout_ms, 2_000);
        let later = build(&h, "evt_1", "{}", 6_000, 10_000);
        assert_eq!(header(&later, "webhook-signature")[0].split(' ').count(), 1);
    }
}
