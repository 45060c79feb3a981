//! Masks sensitive values in stored bodies before the API shows them, as Logto's
//! `sanitizeSensitiveDataRecord` does for its hook logs. Only what recent logs and delivery
//! details display is masked: what is delivered and signed is never touched.

use serde_json::Value;

pub const MASK: &str = "******";

/// Key fragments that mark a secret, compared after lowercasing and dropping `_` and `-`
/// (so `access_token`, `X-Api-Key` and `clientSecret` all match). Logto's list plus every
/// key containing `token`.
const SENSITIVE_FRAGMENTS: &[&str] =
    &["token", "secret", "password", "apikey", "privatekey", "credential", "cookie"];
const SENSITIVE_KEYS: &[&str] = &["authorization", "xfunctionskey"];

pub fn is_sensitive_key(key: &str) -> bool {
    let folded: String =
        key.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect();
    SENSITIVE_KEYS.contains(&folded.as_str()) || SENSITIVE_FRAGMENTS.iter().any(|f| folded.contains(f))
}

/// Replaces the value of every sensitive key, at any depth, with `MASK`. Booleans and
/// nulls stay (`passwordVerified: true`, `hasPassword: false` say nothing secret, and Logto
/// keeps them too).
pub fn mask(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if is_sensitive_key(key) && !matches!(v, Value::Bool(_) | Value::Null) {
                    *v = Value::String(MASK.to_string());
                } else {
                    mask(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

pub fn masked(mut value: Value) -> Value {
    mask(&mut value);
    value
}

/// A stored text body (a receiver's answer): masked when it is a JSON object or array,
/// otherwise unchanged (a truncated or non-JSON body has no keys to find).
pub fn mask_text(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ (Value::Object(_) | Value::Array(_))) => serde_json::to_string(&masked(v)).unwrap_or_default(),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_keys_match_without_regard_to_case_underscores_or_hyphens() {
        for key in [
            "token",
            "accessToken",
            "refresh_token",
            "TOKEN_TYPE",
            "clientSecret",
            "password",
            "newPassword",
            "Authorization",
            "x-api-key",
            "apiKey",
            "private_key",
            "credentials",
            "Set-Cookie",
            "x-functions-key",
        ] {
            assert!(is_sensitive_key(key), "{key}");
        }
        for key in ["userId", "email", "name", "auth", "key", "tok", "pass"] {
            assert!(!is_sensitive_key(key), "{key}");
        }
    }

    #[test]
    fn masks_at_any_depth_and_keeps_everything_else() {
        let v = masked(json!({
            "event": "User.Created",
            "data": { "id": "u1", "profile": { "password": "hunter2", "nested": [{ "apiToken": "t" }] } },
            "headers": { "authorization": "Bearer x", "accept": "json" },
            "secret": { "whole": "object" },
            "passwordVerified": true,
            "hasPassword": false,
            "token": null
        }));
        assert_eq!(
            v,
            json!({
                "event": "User.Created",
                "data": { "id": "u1", "profile": { "password": MASK, "nested": [{ "apiToken": MASK }] } },
                "headers": { "authorization": MASK, "accept": "json" },
                "secret": MASK,
                "passwordVerified": true,
                "hasPassword": false,
                "token": null
            })
        );
    }

    #[test]
    fn text_bodies_are_masked_only_when_they_are_json() {
        assert_eq!(
            mask_text(r#"{"access_token":"abc","ok":true}"#),
            r#"{"access_token":"******","ok":true}"#
        );
        assert_eq!(mask_text("token=abc"), "token=abc");
        assert_eq!(mask_text(r#"{"token":"ab"#), r#"{"token":"ab"#, "a truncated body has no keys to find");
        assert_eq!(mask_text("42"), "42");
    }
}
