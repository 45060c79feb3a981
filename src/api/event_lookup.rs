//! `GET /api/events/:id`: one event's payload and its fan-out (every delivery it made), with
//! no global index: the id says when the event was ingested (`ids::event_created_at`), so
//! only the requesting tenant's hooks' buckets of that day are read (`event_days`), each
//! through its primary key. Another tenant's event is never looked for: it is not found.

use super::deliveries::delivery_json;
use super::{App, Response};
use crate::core::ids::event_created_at;
use crate::core::sanitize::masked;
use crate::core::tenant::Tenant;
use crate::core::Error;
use crate::delivery::buckets::{EVENT_LAG_MS, EVENT_LEAD_MS};
use crate::delivery::ports::{Clock, DeliveryLog, Platform};
use serde_json::{json, Value};

fn event_not_found(id: &str) -> Error {
    Error::not_exists_with_id("event", id)
}

/// The tenant's hooks that can have received an event made at `created_ms`: live hooks that
/// existed by then, and hooks deleted since (their tombstones), oldest first.
fn candidate_hooks(tenant: &Tenant, created_ms: i64) -> Vec<(&str, Option<&str>)> {
    let live = tenant
        .hooks
        .iter()
        .filter(|h| h.created_at <= created_ms + EVENT_LAG_MS)
        .map(|h| (h.id.as_str(), Some(h.name.as_str())));
    let deleted = tenant
        .deleted_hooks
        .iter()
        .filter(|d| d.deleted_at >= created_ms - EVENT_LEAD_MS)
        .map(|d| (d.id.as_str(), None));
    live.chain(deleted).collect()
}

impl<P: Platform> App<P> {
    pub(super) async fn get_event(&self, tenant: Tenant, id: &str) -> Result<Response, Error> {
        let created = event_created_at(id)
            .filter(|t| *t <= self.clock.now_ms() + EVENT_LEAD_MS)
            .ok_or_else(|| event_not_found(id))?;
        let hooks = candidate_hooks(&tenant, created);
        if hooks.is_empty() {
            return Err(event_not_found(id));
        }
        let ids: Vec<&str> = hooks.iter().map(|(id, _)| *id).collect();
        let mut found = self.log.event_deliveries(&ids, id, created).await?;
        // An event no hook subscribed to stored nothing, so it cannot be told from none.
        let first = found.first().cloned().ok_or_else(|| event_not_found(id))?;
        found.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let deliveries: Vec<Value> = found
            .iter()
            .map(|d| {
                let mut v = delivery_json(d);
                let name = hooks.iter().find(|(h, _)| *h == d.hook_id).and_then(|(_, name)| *name);
                v["hookName"] = json!(name);
                v["hookDeleted"] = json!(name.is_none());
                v
            })
            .collect();
        let payload = first
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .map(masked)
            .unwrap_or(Value::Null);
        Ok(Response::json(
            200,
            &json!({
                "id": id,
                "event": first.event,
                "ingestedAt": created,
                "payload": payload,
                "deliveries": deliveries,
            }),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{app, call, call_in, TestApp};
    use crate::core::ids;
    use crate::delivery::ports::{DeliveryLog, DeliveryRecord};
    use futures_executor::block_on;

    const NOW: i64 = 1_755_777_600_000;

    fn hook(app: &TestApp, tenant: &str) -> String {
        let body = r#"{"name":"h","events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h"}}"#;
        let (_, h) = call_in(app, "POST", "/api/hooks", tenant, body);
        h["id"].as_str().unwrap().to_string()
    }

    /// Records the delivery of `event_id` to `hook_id`, as the ingest and consumer do.
    fn delivered(app: &TestApp, tenant: &str, hook_id: &str, event_id: &str) -> String {
        let id = ids::delivery_id(hook_id, NOW);
        let d = DeliveryRecord {
            tenant: tenant.into(),
            id: id.clone(),
            event_id: event_id.into(),
            hook_id: hook_id.into(),
            event: "PostSignIn".into(),
            payload: r#"{"event":"PostSignIn","data":{"password":"p","n":1}}"#.into(),
            status: "failed",
            attempts: 2,
            next_attempt_at: None,
            last_error: Some("HTTP 500".into()),
            at: NOW,
        };
        block_on(app.log.record(&[d], &[])).unwrap();
        id
    }

    #[test]
    fn an_event_shows_its_payload_and_every_delivery_it_fanned_out_to() {
        let app = app();
        let (a, b, other) = (hook(&app, "default"), hook(&app, "default"), hook(&app, "default"));
        let event = ids::event_id(NOW);
        let da = delivered(&app, "default", &a, &event);
        let db = delivered(&app, "default", &b, &event);
        delivered(&app, "default", &other, &ids::event_id(NOW));
        let (status, body) = call(&app, "GET", &format!("/api/events/{event}"), Some("admin"), "");
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["id"].as_str(), body["event"].as_str()), (Some(event.as_str()), Some("PostSignIn")));
        assert_eq!(body["ingestedAt"], NOW);
        assert_eq!(body["payload"]["data"]["password"], "******", "sensitive keys are masked");
        let mut got: Vec<String> = body["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect();
        got.sort();
        let mut want = vec![da, db];
        want.sort();
        assert_eq!(got, want, "its deliveries, not another event's");
        assert_eq!(body["deliveries"][0]["status"], "failed");
        assert_eq!(body["deliveries"][0]["attemptCount"], 2);
        assert_eq!(body["deliveries"][0]["hookDeleted"], false);
    }

    #[test]
    fn a_deleted_hooks_delivery_stays_in_the_fan_out() {
        let app = app();
        let a = hook(&app, "default");
        let event = ids::event_id(NOW);
        delivered(&app, "default", &a, &event);
        assert_eq!(call(&app, "DELETE", &format!("/api/hooks/{a}"), Some("admin"), "").0, 204);
        let (status, body) = call(&app, "GET", &format!("/api/events/{event}"), Some("admin"), "");
        assert_eq!(status, 200);
        assert_eq!(body["deliveries"][0]["hookDeleted"], true);
        assert_eq!(body["deliveries"][0]["hookName"], serde_json::Value::Null);
    }

    #[test]
    fn unknown_old_format_and_other_tenants_events_are_not_found() {
        let app = app();
        call(&app, "POST", "/api/tenants", Some("admin"), r#"{"id":"acme","name":"Acme"}"#);
        let theirs_hook = hook(&app, "acme");
        let theirs = ids::event_id(NOW);
        delivered(&app, "acme", &theirs_hook, &theirs);
        hook(&app, "default");
        let (status, _) = call_in(&app, "GET", &format!("/api/events/{theirs}"), "acme", "");
        assert_eq!(status, 200, "its own tenant sees it");
        let legacy = "evt_abcdefghijklmnopqrstuvwx";
        let future = ids::event_id(NOW + ids::DAY_MS);
        let unknown = ids::event_id(NOW);
        for id in [theirs.as_str(), legacy, "evt_", "nope", &future, &unknown] {
            let (status, body) = call(&app, "GET", &format!("/api/events/{id}"), Some("admin"), "");
            assert_eq!((status, body["code"].as_str()), (404, Some("entity.not_exists_with_id")), "{id}");
        }
    }
}
