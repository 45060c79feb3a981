//! Logto's fixed test payloads for `POST /api/hooks/:id/test` (`generateHookTestPayload`):
//! `hookId` second, fake data by category.

use super::catalog::{category_of, Category};
use super::time::iso_millis;
use serde_json::{json, Map, Value};

pub fn test_payload(event: &str, hook_id: &str, now_ms: i64) -> Value {
    let mut obj = Map::new();
    obj.insert("event".into(), json!(event));
    obj.insert("hookId".into(), json!(hook_id));
    obj.insert("createdAt".into(), json!(iso_millis(now_ms)));
    obj.insert("userAgent".into(), json!("fake-user-agent"));
    if category_of(event) == Some(Category::Interaction) {
        obj.insert("sessionId".into(), json!("fake-session-id"));
        obj.insert("userIp".into(), json!("fake-user-ip"));
        obj.insert("userId".into(), json!("fake-id"));
        obj.insert(
            "user".into(),
            json!({
                "id": "fake-id",
                "username": "fake-user",
                "primaryEmail": "fake-user@fake-service.com",
                "primaryPhone": "1234567890",
                "name": "Fake User",
                "avatar": "https://fake-service.com/avatars/fake-user.png",
                "customData": { "theme": "light" },
                "identities": { "google": { "userId": "fake-google-user-id" } },
                "profile": {},
                "applicationId": "fake-application-id",
                "isSuspended": false,
                "lastSignInAt": now_ms,
                "createdAt": now_ms,
                "updatedAt": now_ms,
            }),
        );
        obj.insert(
            "application".into(),
            json!({
                "id": "fake-spa-application-id",
                "type": "SPA",
                "name": "Fake Application",
                "description": "Fake application data for testing",
            }),
        );
    } else {
        obj.insert("path".into(), json!("/fake-path/:id"));
        obj.insert("method".into(), json!("POST"));
        obj.insert("status".into(), json!(200));
        obj.insert("params".into(), json!({ "id": "fake-id" }));
        obj.insert("data".into(), json!({ "result": "success" }));
    }
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(v: &Value) -> Vec<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }

    #[test]
    fn interaction_test_payload_has_hook_id_second_and_no_interaction_event() {
        let v = test_payload("PostSignIn", "h1", 0);
        assert_eq!(
            keys(&v),
            [
                "event",
                "hookId",
                "createdAt",
                "userAgent",
                "sessionId",
                "userIp",
                "userId",
                "user",
                "application"
            ]
        );
        assert_eq!(v["createdAt"], "1970-01-01T00:00:00.000Z");
        assert_eq!(v["user"]["customData"]["theme"], "light");
    }

    #[test]
    fn data_and_exception_test_payloads_carry_the_management_context() {
        for event in ["User.Created", "Identifier.Lockout"] {
            let v = test_payload(event, "h1", 0);
            assert_eq!(
                keys(&v),
                ["event", "hookId", "createdAt", "userAgent", "path", "method", "status", "params", "data"]
            );
            assert_eq!(v["data"], json!({"result": "success"}));
        }
    }
}
