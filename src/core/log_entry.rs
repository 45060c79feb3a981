//! Logto's log entry for one delivery attempt (`GET /api/hooks/:id/recent-logs`).

use super::event::delivery_body;
use super::sanitize::masked;
use serde_json::{json, Map, Value};

pub struct AttemptView<'a> {
    pub id: &'a str,
    pub hook_id: &'a str,
    pub event: &'a str,
    pub success: bool,
    /// The event JSON without `hookId`, when still stored.
    pub payload: Option<&'a str>,
    pub response_status: Option<u16>,
    pub response_body: Option<&'a str>,
    pub error: Option<&'a str>,
    /// When the log entry was made: the end of the attempt.
    pub created_at: i64,
}

/// A response body as Logto logs it: parsed JSON when it parses (sensitive keys masked),
/// the raw string otherwise.
fn logged_body(body: &str) -> Value {
    serde_json::from_str(body).map(masked).unwrap_or_else(|_| Value::String(body.to_string()))
}

pub fn log_entry(a: &AttemptView<'_>) -> Value {
    let key = format!("TriggerHook.{}", a.event);
    let mut payload = Map::new();
    payload.insert("key".into(), json!(key));
    payload.insert("result".into(), json!(if a.success { "Success" } else { "Error" }));
    payload.insert("hookId".into(), json!(a.hook_id));
    let body = a
        .payload
        .and_then(|p| serde_json::from_slice::<Value>(&delivery_body(p, a.hook_id)).ok())
        .map(masked)
        .unwrap_or(Value::Null);
    payload.insert("hookRequest".into(), json!({ "body": body }));
    if let Some(status) = a.response_status {
        payload.insert(
            "response".into(),
            json!({ "statusCode": status, "body": logged_body(a.response_body.unwrap_or_default()) }),
        );
    }
    if let Some(error) = a.error.filter(|_| !a.success) {
        payload.insert("error".into(), json!(error));
    }
    json!({ "id": a.id, "key": key, "payload": payload, "createdAt": a.created_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(
        success: bool,
        status: Option<u16>,
        body: Option<&'a str>,
        error: Option<&'a str>,
    ) -> AttemptView<'a> {
        AttemptView {
            id: "att_1",
            hook_id: "hook1",
            event: "PostSignIn",
            success,
            payload: Some(r#"{"event":"PostSignIn","createdAt":"2025-01-01T00:00:00.000Z"}"#),
            response_status: status,
            response_body: body,
            error,
            created_at: 42,
        }
    }

    #[test]
    fn success_entry_has_logtos_shape() {
        let v = log_entry(&view(true, Some(200), Some(r#"{"ok":true}"#), None));
        assert_eq!(v["key"], "TriggerHook.PostSignIn");
        assert_eq!(v["createdAt"], 42);
        let keys: Vec<_> = v["payload"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["key", "result", "hookId", "hookRequest", "response"]);
        assert_eq!(v["payload"]["result"], "Success");
        assert_eq!(v["payload"]["hookRequest"]["body"]["hookId"], "hook1");
        assert_eq!(v["payload"]["response"], json!({"statusCode": 200, "body": {"ok": true}}));
    }

    #[test]
    fn http_error_keeps_the_response_and_adds_the_error() {
        let v = log_entry(&view(false, Some(500), Some("boom"), Some("HTTP 500")));
        assert_eq!(v["payload"]["result"], "Error");
        assert_eq!(v["payload"]["response"]["body"], "boom");
        assert_eq!(v["payload"]["error"], "HTTP 500");
    }

    #[test]
    fn network_errors_have_no_response() {
        let v = log_entry(&view(false, None, None, Some("Timed out after 1000 ms")));
        assert!(v["payload"].get("response").is_none());
        assert_eq!(v["payload"]["error"], "Timed out after 1000 ms");
    }

    #[test]
    fn stored_bodies_are_shown_with_sensitive_keys_masked() {
        let mut a =
            view(false, Some(401), Some(r#"{"error":"bad","access_token":"leak"}"#), Some("HTTP 401"));
        a.payload = Some(r#"{"event":"PostSignIn","user":{"id":"u1","password":"hunter2"}}"#);
        let v = log_entry(&a);
        assert_eq!(v["payload"]["hookRequest"]["body"]["user"], json!({"id": "u1", "password": "******"}));
        assert_eq!(v["payload"]["hookRequest"]["body"]["hookId"], "hook1");
        assert_eq!(v["payload"]["response"]["body"], json!({"error": "bad", "access_token": "******"}));
    }
}
