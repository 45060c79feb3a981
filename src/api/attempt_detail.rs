//! `GET /api/deliveries/:id/attempts/:number`: one attempt opened up — the request as sent
//! and the response as recorded.
//!
//! Nothing new is stored per attempt (SPEC §10's budget): the request is rebuilt at read
//! time by the consumer's own code (`delivery::request::build`) from the stored payload, the
//! attempt's start (its `webhook-timestamp`) and the hook as it is now. The bytes and
//! headers are exact unless the hook changed since: its signing key regenerated (the
//! signatures shown are then not the ones sent), its URL or headers edited. The answer says
//! so. Response headers are not recorded; the response is its status and first 4 KiB.
//! The signing key itself never appears: only a masked hint of the secret.

use super::{App, Response};
use crate::core::hook::Hook;
use crate::core::sanitize::{is_sensitive_key, mask_text, MASK};
use crate::core::signature::signing_secret;
use crate::core::tenant::Tenant;
use crate::core::Error;
use crate::delivery::ports::{AttemptRecord, Platform, StoredDelivery};
use crate::delivery::request;
use serde_json::{json, Value};

/// `whsec_` and the first 4 characters of the secret: enough to tell keys apart.
pub fn masked_secret(signing_key: &str) -> String {
    let secret = signing_secret(signing_key);
    let shown: String = secret.chars().take("whsec_".len() + 4).collect();
    format!("{shown}…")
}

const RECOMPUTED: &str = "Rebuilt from the stored payload, the attempt's time and the hook's current configuration and signing key(s). If the key was regenerated or the URL or headers changed after this attempt, what was sent differed.";
const VERIFY_STANDARD: &str = "webhook-signature: base64(HMAC-SHA256(key, \"{webhook-id}.{webhook-timestamp}.{body}\")) equals one of its space-separated `v1,` entries; key = base64-decode(signing secret without `whsec_`).";
const VERIFY_LOGTO: &str = "logto-signature-sha-256: lowercase hex HMAC-SHA256 of the body, keyed by the UTF-8 bytes of the hook's signing key.";

/// The request of attempt `a` of delivery `d` to `hook`, as `request::build` makes it.
/// A failed attempt's stored response headers (`attempt::header_text`) as `[{name, value}]`,
/// secrets (cookies, tokens) masked; whether some were cut off. `None` when none were kept.
fn response_headers(stored: Option<&str>) -> (Value, bool) {
    let Some(text) = stored else {
        return (Value::Null, false);
    };
    let mut cut = false;
    let mut list = Vec::new();
    for line in text.lines() {
        match line.split_once(": ") {
            Some((name, value)) => {
                let value = if is_sensitive_key(name) { MASK } else { value };
                list.push(json!({ "name": name, "value": value }));
            }
            None => cut = true,
        }
    }
    (Value::Array(list), cut)
}

fn rebuilt(hook: &Hook, d: &StoredDelivery, payload: &str, a: &AttemptRecord, timeout_ms: u32) -> Value {
    let r = request::build(hook, &d.event_id, payload, a.started_at, timeout_ms);
    let body = String::from_utf8_lossy(&r.body).into_owned();
    let shown = mask_text(&body);
    json!({
        "method": "POST",
        "url": r.url,
        "headers": r.headers.iter().map(|(n, v)| json!({ "name": n, "value": v })).collect::<Vec<_>>(),
        "bodyMasked": shown != body,
        "body": shown,
    })
}

impl<P: Platform> App<P> {
    pub(super) async fn get_attempt(
        &self,
        tenant: Tenant,
        id: &str,
        number: &str,
    ) -> Result<Response, Error> {
        let number: u32 = number
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| Error::invalid_input("number", "must be a positive integer"))?;
        let (d, attempts) = self.owned_delivery(&tenant, id).await?;
        let a = attempts.iter().find(|a| a.number == number).ok_or_else(|| {
            Error::new(
                404,
                "entity.not_exists_with_id",
                format!("The delivery `{id}` has no attempt {number}."),
            )
            .with_data(json!({ "id": id, "number": number }))
        })?;
        let hook = tenant.hooks.iter().find(|h| h.id == d.hook_id);
        let (request, note) = match (hook, d.payload.as_deref()) {
            (Some(hook), Some(payload)) => {
                (rebuilt(hook, &d, payload, a, self.config.delivery_timeout_ms), RECOMPUTED)
            }
            (None, _) => (Value::Null, "The hook was deleted: its signing key and configuration are gone, so the request cannot be rebuilt."),
            (Some(_), None) => (Value::Null, "The delivery's payload is no longer stored."),
        };
        let verify = match hook {
            Some(h) => {
                json!({ "signingSecret": masked_secret(&h.signing_key), "standardWebhooks": VERIFY_STANDARD, "logto": VERIFY_LOGTO })
            }
            None => Value::Null,
        };
        let (headers, headers_cut) = response_headers(a.response_headers.as_deref());
        Ok(Response::json(
            200,
            &json!({
                "id": a.id,
                "deliveryId": d.id,
                "eventId": d.event_id,
                "hookId": d.hook_id,
                "event": d.event,
                "number": a.number,
                "startedAt": a.started_at,
                "durationMs": a.duration_ms,
                "result": if a.success { "Success" } else { "Error" },
                "error": a.error,
                "request": request,
                "requestNote": note,
                "response": {
                    "status": a.response_status,
                    "body": a.response_body.as_deref().map(mask_text),
                    "headers": headers,
                    "headersCut": headers_cut,
                },
                "responseNote": "Status and the first 4 KiB of the body; the headers of a failed attempt (the first 1 KiB, secrets masked). A success keeps no headers.",
                "verify": verify,
            }),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{app, call, TestApp};
    use super::masked_secret;
    use crate::core::ids;
    use crate::core::signature::{logto_signature, standard_signature};
    use crate::delivery::ports::{AttemptRecord, DeliveryLog, DeliveryRecord};
    use futures_executor::block_on;
    use serde_json::Value;

    const AT: i64 = 1_755_777_000_123;

    fn setup(app: &TestApp) -> (Value, String, String) {
        let body =
            r#"{"events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h","headers":{"x-team":"a"}}}"#;
        let hook = call(app, "POST", "/api/hooks", Some("admin"), body).1;
        let h = hook["id"].as_str().unwrap().to_string();
        let id = ids::delivery_id(&h, AT);
        let event = ids::event_id(AT);
        let d = DeliveryRecord {
            tenant: "default".into(),
            id: id.clone(),
            event_id: event.clone(),
            hook_id: h.clone(),
            event: "PostSignIn".into(),
            payload: r#"{"event":"PostSignIn","createdAt":"x"}"#.into(),
            status: "failed",
            attempts: 1,
            next_attempt_at: None,
            last_error: Some("HTTP 500".into()),
            at: AT,
        };
        let a = AttemptRecord {
            id: "att_x".into(),
            delivery_id: id.clone(),
            hook_id: h,
            event: "PostSignIn".into(),
            number: 1,
            started_at: AT,
            duration_ms: 12,
            success: false,
            response_status: Some(500),
            response_body: Some(r#"{"token":"t","ok":false}"#.into()),
            response_headers: Some(
                "content-type: application/json\nset-cookie: session=abc\nx-trace: 7\n…".into(),
            ),
            error: Some("HTTP 500".into()),
        };
        block_on(app.log.record(&[d], &[a])).unwrap();
        (hook, id, event)
    }

    fn header<'a>(v: &'a Value, name: &str) -> &'a str {
        v["request"]["headers"].as_array().unwrap().iter().find(|h| h["name"] == name).unwrap()["value"]
            .as_str()
            .unwrap()
    }

    #[test]
    fn a_failed_attempt_shows_its_response_headers_with_secrets_masked() {
        let app = app();
        let (_, id, _) = setup(&app);
        let (_, v) = call(&app, "GET", &format!("/api/deliveries/{id}/attempts/1"), Some("admin"), "");
        let headers = &v["response"]["headers"];
        let pairs: Vec<(&str, &str)> = headers
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["name"].as_str().unwrap(), h["value"].as_str().unwrap()))
            .collect();
        assert_eq!(pairs, [("content-type", "application/json"), ("set-cookie", "******"), ("x-trace", "7")]);
        assert_eq!(v["response"]["headersCut"], true, "the stored text says some were left out");
        assert!(!v.to_string().contains("session=abc"));
    }

    #[test]
    fn the_request_is_rebuilt_with_both_signatures_and_the_key_stays_masked() {
        let app = app();
        let (hook, id, event) = setup(&app);
        let key = hook["signingKey"].as_str().unwrap();
        let (status, v) = call(&app, "GET", &format!("/api/deliveries/{id}/attempts/1"), Some("admin"), "");
        assert_eq!(status, 200, "{v}");
        let body = v["request"]["body"].as_str().unwrap();
        assert_eq!(
            body,
            format!(
                r#"{{"event":"PostSignIn","createdAt":"x","hookId":"{}"}}"#,
                hook["id"].as_str().unwrap()
            )
        );
        assert_eq!(header(&v, "webhook-id"), event);
        assert_eq!(header(&v, "webhook-timestamp"), (AT / 1000).to_string());
        assert_eq!(header(&v, "logto-signature-sha-256"), logto_signature(key, body.as_bytes()));
        assert_eq!(
            header(&v, "webhook-signature"),
            standard_signature(key.as_bytes(), &event, AT / 1000, body.as_bytes())
        );
        assert_eq!(header(&v, "x-team"), "a");
        assert_eq!(v["response"]["status"], 500);
        assert_eq!(v["response"]["body"], r#"{"token":"******","ok":false}"#);
        assert_eq!(v["verify"]["signingSecret"], masked_secret(key));
        let text = v.to_string();
        assert!(!text.contains(key) && !text.contains(hook["signingSecret"].as_str().unwrap()), "{text}");
    }

    #[test]
    fn missing_attempts_bad_numbers_and_deleted_hooks_answer_plainly() {
        let app = app();
        let (hook, id, _) = setup(&app);
        let (status, _) = call(&app, "GET", &format!("/api/deliveries/{id}/attempts/2"), Some("admin"), "");
        assert_eq!(status, 404);
        for bad in ["0", "x", "-1"] {
            let (status, _) =
                call(&app, "GET", &format!("/api/deliveries/{id}/attempts/{bad}"), Some("admin"), "");
            assert_eq!(status, 400, "{bad}");
        }
        call(&app, "DELETE", &format!("/api/hooks/{}", hook["id"].as_str().unwrap()), Some("admin"), "");
        let (status, v) = call(&app, "GET", &format!("/api/deliveries/{id}/attempts/1"), Some("admin"), "");
        assert_eq!((status, &v["request"]), (200, &Value::Null));
        assert!(v["requestNote"].as_str().unwrap().contains("deleted"));
    }
}
