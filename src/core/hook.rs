//! The hook model (Logto's, plus retries/timeout and key rotation) and validation of what
//! clients send for it.

use super::catalog;
use super::error::Error;
use super::signature::signing_secret;
use super::url_policy;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub const MAX_RETRIES: u64 = 10;
pub const TIMEOUT_RANGE_MS: std::ops::RangeInclusive<u64> = 1000..=30_000;
pub const RATE_PER_SECOND: std::ops::RangeInclusive<u64> = 1..=1000;
pub const MAX_IN_FLIGHT: std::ops::RangeInclusive<u64> = 1..=100;
pub const NAME_CHARS: std::ops::RangeInclusive<usize> = 1..=256;
pub const MAX_HEADER_VALUE_BYTES: usize = 4096;
/// Header names Hookwing (or the runtime) sets itself, which a hook may not override, besides
/// every name starting with `RESERVED_HEADER_PREFIX`. Lowercase.
pub const RESERVED_HEADERS: &[&str] = &["logto-signature-sha-256", "host", "content-length"];
pub const RESERVED_HEADER_PREFIX: &str = "webhook-";
/// RFC 9110 token characters besides ASCII letters and digits.
pub const TOKEN_SYMBOLS: &str = "!#$%&'*+-.^_`|~";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookConfig {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<IndexMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u32>,
    /// SPEC §11: attempts start at most this often, across every invocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// SPEC §11: at most this many attempts to the hook at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
    /// SPEC §11: one attempt at a time, in ingest order (`delivery::line`). Absent when false,
    /// so an unordered hook keeps Logto's shape.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ordered: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    pub per_second: u32,
}

impl HookConfig {
    /// Whether attempts to this hook must ask its gate first (`delivery::gate`).
    pub fn has_limits(&self) -> bool {
        self.rate_limit.is_some() || self.max_in_flight.is_some()
    }
}

/// A key replaced by regeneration that keeps signing `webhook-signature` until it expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetiredKey {
    pub key: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hook {
    /// Its tenant (SPEC §9). Hooks stored before tenants existed belong to `default`.
    #[serde(default = "default_tenant")]
    pub tenant_id: String,
    pub id: String,
    pub name: String,
    pub event: Option<String>,
    pub events: Vec<String>,
    pub config: HookConfig,
    pub signing_key: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired_keys: Vec<RetiredKey>,
    pub enabled: bool,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Paused (SPEC §11): its deliveries are held, not attempted, until it is resumed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
    /// Since when a delivery has exhausted its retries with no success after (its next
    /// success emits `Hook.Recovered`). Internal: not in the API's hook object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exhausted_since: Option<i64>,
}

/// The tenant that always exists (re-exported by `tenant`, which owns the concept; defined
/// here so a hook does not depend on the tenant module that holds hooks).
pub const DEFAULT_TENANT: &str = "default";

fn default_tenant() -> String {
    DEFAULT_TENANT.to_string()
}

impl Hook {
    /// Logto's matching rule: enabled, and `events` contains the event, or `events` is empty
    /// and the legacy `event` equals it.
    pub fn receives(&self, event: &str) -> bool {
        self.enabled
            && if self.events.is_empty() {
                self.event.as_deref() == Some(event)
            } else {
                self.events.iter().any(|e| e == event)
            }
    }

    /// Keys that sign `webhook-signature` at `now_ms`: the current one first.
    pub fn signing_keys(&self, now_ms: i64) -> impl Iterator<Item = &str> {
        std::iter::once(self.signing_key.as_str())
            .chain(self.retired_keys.iter().filter(move |k| k.expires_at > now_ms).map(|k| k.key.as_str()))
    }

    /// The Logto-compatible response object (key order as Logto returns it).
    pub fn to_api_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("tenantId".into(), json!(self.tenant_id));
        obj.insert("id".into(), json!(self.id));
        obj.insert("name".into(), json!(self.name));
        obj.insert("event".into(), json!(self.event));
        obj.insert("events".into(), json!(self.events));
        obj.insert("config".into(), json!(self.config));
        obj.insert("signingKey".into(), json!(self.signing_key));
        obj.insert("signingSecret".into(), json!(signing_secret(&self.signing_key)));
        obj.insert("enabled".into(), json!(self.enabled));
        obj.insert("createdAt".into(), json!(self.created_at));
        if let Some(reason) = &self.disabled_reason {
            obj.insert("disabledReason".into(), json!(reason));
        }
        // Only when set, so an unpaused hook keeps Logto's exact shape.
        if self.paused {
            obj.insert("paused".into(), json!(true));
        }
        Value::Object(obj)
    }
}

/// Validated body of `POST /api/hooks`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHook {
    pub name: String,
    pub event: Option<String>,
    pub events: Vec<String>,
    pub config: HookConfig,
    pub enabled: bool,
}

impl NewHook {
    pub fn into_hook(self, tenant_id: &str, id: String, signing_key: String, now_ms: i64) -> Hook {
        Hook {
            tenant_id: tenant_id.to_string(),
            id,
            name: self.name,
            event: self.event,
            events: self.events,
            config: self.config,
            signing_key,
            retired_keys: Vec::new(),
            enabled: self.enabled,
            created_at: now_ms,
            disabled_reason: None,
            paused: false,
            exhausted_since: None,
        }
    }
}

/// Parses and validates a create body. Unknown keys are ignored, as Logto does.
pub fn parse_new_hook(body: &Value, allow_private: bool) -> Result<NewHook, Error> {
    let obj = body.as_object().ok_or_else(|| Error::invalid_input("body", "must be a JSON object"))?;
    let name = match obj.get("name") {
        None => String::new(),
        Some(v) => parse_name(v)?,
    };
    let events = obj.get("events").map(parse_events).transpose()?;
    let event = match obj.get("event") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_event_name("event", v)?),
    };
    if events.is_none() && event.is_none() {
        return Err(Error::new(400, "hook.missing_events", "You need to provide at least one event."));
    }
    let config = parse_config(
        obj.get("config").ok_or_else(|| Error::invalid_input("config", "is required"))?,
        allow_private,
    )?;
    let enabled = match obj.get("enabled") {
        None => true,
        Some(v) => v.as_bool().ok_or_else(|| Error::invalid_input("enabled", "must be a boolean"))?,
    };
    Ok(NewHook { name, event, events: events.unwrap_or_default(), config, enabled })
}

/// Validated body of `PATCH /api/hooks/:id`: only the fields sent change; `config` replaces
/// the whole config, as in Logto.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HookPatch {
    pub name: Option<String>,
    pub events: Option<Vec<String>>,
    pub event: Option<Option<String>>,
    pub config: Option<HookConfig>,
    pub enabled: Option<bool>,
}

pub fn parse_hook_patch(body: &Value, allow_private: bool) -> Result<HookPatch, Error> {
    let obj = body.as_object().ok_or_else(|| Error::invalid_input("body", "must be a JSON object"))?;
    Ok(HookPatch {
        name: obj.get("name").map(parse_name).transpose()?,
        events: obj.get("events").map(parse_events).transpose()?,
        event: match obj.get("event") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => Some(Some(parse_event_name("event", v)?)),
        },
        config: obj.get("config").map(|c| parse_config(c, allow_private)).transpose()?,
        enabled: obj
            .get("enabled")
            .map(|v| v.as_bool().ok_or_else(|| Error::invalid_input("enabled", "must be a boolean")))
            .transpose()?,
    })
}

impl HookPatch {
    pub fn apply(self, hook: &mut Hook) {
        if let Some(name) = self.name {
            hook.name = name;
        }
        if let Some(events) = self.events {
            hook.events = events;
        }
        if let Some(event) = self.event {
            hook.event = event;
        }
        if let Some(config) = self.config {
            hook.config = config;
        }
        if let Some(enabled) = self.enabled {
            hook.enabled = enabled;
            if enabled {
                // Re-enabling clears why it was disabled (and, with it, the failure clock).
                hook.disabled_reason = None;
            }
        }
    }
}

/// Most keys kept signing after rotations (Svix keeps 10).
pub const MAX_RETIRED_KEYS: usize = 10;
pub const MAX_GRACE_PERIOD_SECS: u64 = 604_800;

impl Hook {
    /// Replaces the signing key. With a grace period the old key keeps signing
    /// `webhook-signature` until it expires, so receivers can roll over without failures.
    /// Without one, every earlier key stops at once (the rotation for a leaked key).
    pub fn rotate_signing_key(&mut self, new_key: String, now_ms: i64, grace_secs: u64) {
        let old = std::mem::replace(&mut self.signing_key, new_key);
        self.retired_keys.retain(|k| grace_secs > 0 && k.expires_at > now_ms);
        if grace_secs > 0 {
            self.retired_keys
                .insert(0, RetiredKey { key: old, expires_at: now_ms + grace_secs as i64 * 1000 });
        }
        self.retired_keys.truncate(MAX_RETIRED_KEYS);
    }
}

/// `{gracePeriodSeconds?: 0–604800}`; an empty body means no grace period.
pub fn parse_grace_period(body: &Value) -> Result<u64, Error> {
    let obj = body.as_object().ok_or_else(|| Error::invalid_input("body", "must be a JSON object"))?;
    match obj.get("gracePeriodSeconds") {
        None | Some(Value::Null) => Ok(0),
        Some(v) => integer(v)
            .filter(|n| *n <= MAX_GRACE_PERIOD_SECS)
            .ok_or_else(|| Error::invalid_input("gracePeriodSeconds", "must be an integer from 0 to 604800")),
    }
}

/// Body of `POST /api/hooks/:id/test`: `{events (non-empty), config}`.
pub fn parse_test_request(body: &Value, allow_private: bool) -> Result<(Vec<String>, HookConfig), Error> {
    let obj = body.as_object().ok_or_else(|| Error::invalid_input("body", "must be a JSON object"))?;
    let events =
        parse_events(obj.get("events").ok_or_else(|| Error::invalid_input("events", "is required"))?)?;
    let config = parse_config(
        obj.get("config").ok_or_else(|| Error::invalid_input("config", "is required"))?,
        allow_private,
    )?;
    Ok((events, config))
}

fn parse_name(v: &Value) -> Result<String, Error> {
    let s = v.as_str().ok_or_else(|| Error::invalid_input("name", "must be a string"))?;
    let len = s.chars().count();
    if !NAME_CHARS.contains(&len) {
        return Err(Error::invalid_input("name", "must be 1 to 256 characters"));
    }
    Ok(s.to_string())
}

fn parse_event_name(field: &str, v: &Value) -> Result<String, Error> {
    let s = v.as_str().ok_or_else(|| Error::invalid_input(field, "must be an event name string"))?;
    if !catalog::is_known(s) {
        return Err(Error::invalid_input(field, format!("`{s}` is not a registrable event")));
    }
    Ok(s.to_string())
}

/// A non-empty list of catalog events; duplicates removed, first occurrence kept.
fn parse_events(v: &Value) -> Result<Vec<String>, Error> {
    let items =
        v.as_array().ok_or_else(|| Error::invalid_input("events", "must be an array of event names"))?;
    if items.is_empty() {
        return Err(Error::invalid_input("events", "must not be empty"));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let name = parse_event_name(&format!("events[{i}]"), item)?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

pub fn parse_config(v: &Value, allow_private: bool) -> Result<HookConfig, Error> {
    let obj = v.as_object().ok_or_else(|| Error::invalid_input("config", "must be an object"))?;
    let url = obj
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid_input("config.url", "is required and must be a string"))?;
    url_policy::check(url, allow_private)
        .and_then(|_| url_policy::check_form(url))
        .map_err(|e| Error::invalid_input("config.url", e.to_string()))?;
    let headers = match obj.get("headers") {
        None | Some(Value::Null) => None,
        Some(h) => Some(parse_headers(h)?),
    };
    let retries = match obj.get("retries") {
        None | Some(Value::Null) => None,
        Some(r) => Some(
            integer(r)
                .filter(|n| *n <= MAX_RETRIES)
                .ok_or_else(|| Error::invalid_input("config.retries", "must be an integer from 0 to 10"))?
                as u8,
        ),
    };
    let timeout_ms = match obj.get("timeoutMs") {
        None | Some(Value::Null) => None,
        Some(t) => Some(integer(t).filter(|n| TIMEOUT_RANGE_MS.contains(n)).ok_or_else(|| {
            Error::invalid_input("config.timeoutMs", "must be an integer from 1000 to 30000")
        })? as u32),
    };
    let rate_limit = match obj.get("rateLimit") {
        None | Some(Value::Null) => None,
        Some(Value::Object(r)) => Some(RateLimit {
            per_second: r
                .get("perSecond")
                .and_then(integer)
                .filter(|n| RATE_PER_SECOND.contains(n))
                .ok_or_else(|| {
                    Error::invalid_input("config.rateLimit.perSecond", "must be an integer from 1 to 1000")
                })? as u32,
        }),
        Some(_) => return Err(Error::invalid_input("config.rateLimit", "must be an object {perSecond}")),
    };
    let max_in_flight =
        match obj.get("maxInFlight") {
            None | Some(Value::Null) => None,
            Some(m) => Some(integer(m).filter(|n| MAX_IN_FLIGHT.contains(n)).ok_or_else(|| {
                Error::invalid_input("config.maxInFlight", "must be an integer from 1 to 100")
            })? as u32),
        };
    let ordered = match obj.get("ordered") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(Error::invalid_input("config.ordered", "must be true or false")),
    };
    Ok(HookConfig { url: url.to_string(), headers, retries, timeout_ms, rate_limit, max_in_flight, ordered })
}

/// Header names Hookwing sets itself (or the runtime does) and a hook may not override.
fn is_reserved_header(lower: &str) -> bool {
    RESERVED_HEADERS.contains(&lower) || lower.starts_with(RESERVED_HEADER_PREFIX)
}

/// RFC 9110 token characters.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || TOKEN_SYMBOLS.as_bytes().contains(&b))
}

/// A header value `fetch` can send unchanged: visible ASCII, space and tab (no CR, LF, NUL
/// or other controls, and nothing the runtime would have to re-encode).
pub fn is_header_value(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

/// A JSON integer, also written as a number with a zero fraction (`3.0`), which JSON Schema
/// counts as an integer too.
pub(crate) fn integer(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 9e15).map(|f| f as u64))
}

fn parse_headers(v: &Value) -> Result<IndexMap<String, String>, Error> {
    let obj = v
        .as_object()
        .ok_or_else(|| Error::invalid_input("config.headers", "must be an object of strings"))?;
    let mut out = IndexMap::with_capacity(obj.len());
    let mut seen: Vec<String> = Vec::with_capacity(obj.len());
    for (name, value) in obj {
        let field = format!("config.headers.{name}");
        if !is_token(name) {
            return Err(Error::invalid_input(&field, "header name must be an HTTP token"));
        }
        let lower = name.to_ascii_lowercase();
        if is_reserved_header(&lower) {
            return Err(Error::invalid_input(
                &field,
                "this header is set by Hookwing and cannot be configured",
            ));
        }
        if seen.contains(&lower) {
            return Err(Error::invalid_input(&field, "duplicate header name"));
        }
        let value =
            value.as_str().ok_or_else(|| Error::invalid_input(&field, "header value must be a string"))?;
        if !is_header_value(value) {
            return Err(Error::invalid_input(
                &field,
                "header value must be visible ASCII, space or tab (no CR, LF, NUL or other control characters)",
            ));
        }
        if value.len() > MAX_HEADER_VALUE_BYTES {
            return Err(Error::invalid_input(&field, "header value must be at most 4096 bytes"));
        }
        seen.push(lower);
        out.insert(name.clone(), value.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: Value) -> Result<NewHook, Error> {
        parse_new_hook(&body, false)
    }

    fn sample_hook() -> Hook {
        parse(json!({"name":"n","events":["PostSignIn"],"config":{"url":"https://example.com"}}))
            .unwrap()
            .into_hook("default", "h".repeat(21), "k".repeat(32), 1000)
    }

    #[test]
    fn minimal_create_defaults_like_logto() {
        let h = parse(json!({"event":"PostSignIn","config":{"url":"https://example.com/h"}})).unwrap();
        assert_eq!(h.name, "");
        assert!(h.enabled);
        assert!(h.events.is_empty());
        assert_eq!(h.event.as_deref(), Some("PostSignIn"));
    }

    #[test]
    fn duplicate_events_are_removed_keeping_first_occurrence() {
        let h = parse(
            json!({"events":["User.Created","PostSignIn","User.Created"],"config":{"url":"https://e.com"}}),
        )
        .unwrap();
        assert_eq!(h.events, vec!["User.Created", "PostSignIn"]);
    }

    #[test]
    fn no_events_at_all_is_hook_missing_events() {
        let err = parse(json!({"config":{"url":"https://e.com"}})).unwrap_err();
        assert_eq!((err.status, err.code), (400, "hook.missing_events"));
    }

    #[test]
    fn invalid_fields_are_guard_invalid_input_naming_the_field() {
        let cases = [
            (json!({"events":[],"config":{"url":"https://e.com"}}), "events"),
            (json!({"events":["Nope"],"config":{"url":"https://e.com"}}), "events[0]"),
            (json!({"name":"","events":["PostSignIn"],"config":{"url":"https://e.com"}}), "name"),
            (json!({"events":["PostSignIn"]}), "config"),
            (json!({"events":["PostSignIn"],"config":{"url":"http://127.0.0.1/"}}), "config.url"),
            (
                json!({"events":["PostSignIn"],"config":{"url":"https://e.com","retries":11}}),
                "config.retries",
            ),
            (
                json!({"events":["PostSignIn"],"config":{"url":"https://e.com","timeoutMs":999}}),
                "config.timeoutMs",
            ),
            (
                json!({"events":["PostSignIn"],"config":{"url":"https://e.com","headers":{"bad name":"v"}}}),
                "config.headers.bad name",
            ),
            (
                json!({"events":["PostSignIn"],"config":{"url":"https://e.com","headers":{"x":"a\r\nb"}}}),
                "config.headers.x",
            ),
            (
                json!({"events":["PostSignIn"],"config":{"url":"https://e.com","headers":{"Webhook-Id":"x"}}}),
                "config.headers.Webhook-Id",
            ),
            (
                json!({"events":["PostSignIn"],"config":{"url":"https://e.com","headers":{"Host":"x"}}}),
                "config.headers.Host",
            ),
            (json!({"events":["PostSignIn"],"config":{"url":"https://e.com"},"enabled":"yes"}), "enabled"),
        ];
        for (body, field) in cases {
            let err = parse(body.clone()).unwrap_err();
            assert_eq!(err.code, "guard.invalid_input", "{body}");
            assert_eq!(err.details().unwrap()[0]["path"], field, "{body}");
        }
    }

    #[test]
    fn api_json_has_logto_fields_in_order_plus_signing_secret() {
        let v = sample_hook().to_api_json();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "tenantId",
                "id",
                "name",
                "event",
                "events",
                "config",
                "signingKey",
                "signingSecret",
                "enabled",
                "createdAt"
            ]
        );
        assert_eq!(v["tenantId"], "default");
        assert!(v["signingSecret"].as_str().unwrap().starts_with("whsec_"));
    }

    #[test]
    fn receives_follows_logto_matching() {
        let mut h = sample_hook();
        assert!(h.receives("PostSignIn"));
        assert!(!h.receives("PostRegister"));
        h.enabled = false;
        assert!(!h.receives("PostSignIn"));
        h.enabled = true;
        h.events.clear();
        h.event = Some("PostRegister".into());
        assert!(h.receives("PostRegister"));
        assert!(!h.receives("PostSignIn"));
    }

    #[test]
    fn patch_changes_only_sent_fields_and_replaces_config() {
        let mut h = sample_hook();
        h.config.headers = Some(IndexMap::from([("x".to_string(), "y".to_string())]));
        let patch =
            parse_hook_patch(&json!({"name":"new","config":{"url":"https://other.example"}}), false).unwrap();
        patch.apply(&mut h);
        assert_eq!(h.name, "new");
        assert_eq!(h.events, vec!["PostSignIn"]);
        assert_eq!(h.config.url, "https://other.example");
        assert_eq!(h.config.headers, None, "config is replaced as a whole");
    }

    #[test]
    fn patch_validates_like_create_and_allows_null_event() {
        assert_eq!(parse_hook_patch(&json!({"events":[]}), false).unwrap_err().code, "guard.invalid_input");
        assert_eq!(parse_hook_patch(&json!({"name":7}), false).unwrap_err().code, "guard.invalid_input");
        assert_eq!(parse_hook_patch(&json!({"event":null}), false).unwrap().event, Some(None));
        assert_eq!(parse_hook_patch(&json!({}), false).unwrap(), HookPatch::default());
    }

    #[test]
    fn re_enabling_clears_the_disabled_reason() {
        let mut h = sample_hook();
        h.enabled = false;
        h.disabled_reason = Some("410".into());
        parse_hook_patch(&json!({"enabled":true}), false).unwrap().apply(&mut h);
        assert!(h.enabled && h.disabled_reason.is_none());
    }

    #[test]
    fn rotation_keeps_the_old_key_only_with_a_grace_period() {
        let mut h = sample_hook();
        let first = h.signing_key.clone();
        h.rotate_signing_key("B".repeat(32), 1_000, 0);
        assert!(h.retired_keys.is_empty());
        h.rotate_signing_key("C".repeat(32), 1_000, 60);
        assert_eq!(h.retired_keys[0].key, "B".repeat(32));
        assert_eq!(h.retired_keys[0].expires_at, 61_000);
        assert_ne!(h.signing_key, first);
        for i in 0..20 {
            h.rotate_signing_key(format!("{i:032}"), 1_000, 60);
        }
        assert_eq!(h.retired_keys.len(), MAX_RETIRED_KEYS);
        h.rotate_signing_key("D".repeat(32), 1_000, 0);
        assert!(h.retired_keys.is_empty(), "a rotation without grace drops every earlier key");
    }

    #[test]
    fn grace_period_is_bounded() {
        assert_eq!(parse_grace_period(&json!({})).unwrap(), 0);
        assert_eq!(parse_grace_period(&json!({"gracePeriodSeconds":604800})).unwrap(), 604_800);
        assert!(parse_grace_period(&json!({"gracePeriodSeconds":604801})).is_err());
        assert!(parse_grace_period(&json!({"gracePeriodSeconds":-1})).is_err());
    }

    #[test]
    fn retired_keys_sign_until_they_expire() {
        let mut h = sample_hook();
        h.retired_keys.push(RetiredKey { key: "old".into(), expires_at: 2000 });
        assert_eq!(h.signing_keys(1999).collect::<Vec<_>>(), vec![h.signing_key.as_str(), "old"]);
        assert_eq!(h.signing_keys(2000).count(), 1);
    }

    #[test]
    fn header_values_are_visible_ascii_and_integers_may_be_written_with_a_zero_fraction() {
        let with = |headers: Value| {
            parse(json!({"events":["PostSignIn"],"config":{"url":"https://e.com","headers":headers}}))
        };
        assert!(with(json!({"x-a": "v 1\tok"})).is_ok());
        for bad in ["caf\u{e9}", "a\u{7f}", "a\u{1}b"] {
            assert_eq!(with(json!({ "x-a": bad })).unwrap_err().code, "guard.invalid_input", "{bad:?}");
        }
        let h = parse(json!({"events":["PostSignIn"],"config":{"url":"https://e.com","retries":3.0,"timeoutMs":1500.0}}))
            .unwrap();
        assert_eq!((h.config.retries, h.config.timeout_ms), (Some(3), Some(1500)));
        assert!(
            parse(json!({"events":["PostSignIn"],"config":{"url":"https://e.com","retries":2.5}})).is_err()
        );
    }

    #[test]
    fn delivery_limits_are_validated_and_kept() {
        let config = |extra: &str| {
            let v: Value =
                serde_json::from_str(&format!(r#"{{"url":"https://example.com/h"{extra}}}"#)).unwrap();
            parse_config(&v, false)
        };
        let ok = config(r#","rateLimit":{"perSecond":5},"maxInFlight":2"#).unwrap();
        assert_eq!((ok.rate_limit, ok.max_in_flight), (Some(RateLimit { per_second: 5 }), Some(2)));
        assert!(ok.has_limits() && !config("").unwrap().has_limits());
        assert!(config(r#","ordered":true"#).unwrap().ordered && !config("").unwrap().ordered);
        assert!(!config(r#","ordered":false"#).unwrap().has_limits(), "ordering is not a gate limit");
        for (extra, path) in [
            (r#","ordered":"yes""#, "config.ordered"),
            (r#","ordered":1"#, "config.ordered"),
            (r#","rateLimit":{"perSecond":0}"#, "config.rateLimit.perSecond"),
            (r#","rateLimit":{"perSecond":1001}"#, "config.rateLimit.perSecond"),
            (r#","rateLimit":{}"#, "config.rateLimit.perSecond"),
            (r#","rateLimit":5"#, "config.rateLimit"),
            (r#","maxInFlight":0"#, "config.maxInFlight"),
            (r#","maxInFlight":101"#, "config.maxInFlight"),
            (r#","maxInFlight":"2""#, "config.maxInFlight"),
        ] {
            let err = config(extra).unwrap_err();
            assert_eq!(
                (err.status, err.details().unwrap()[0]["path"].as_str()),
                (400, Some(path)),
                "{extra}"
            );
        }
    }
}
