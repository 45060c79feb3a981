//! `POST /api/events`: accept events, plan one delivery per subscribed hook, and answer 202
//! only once every delivery is in the queue.

use super::{App, Request, Response};
use crate::core::event::parse_ingest;
use crate::core::{ids, Error};
use crate::delivery::fanout;
use crate::delivery::ports::{Clock, DeliveryQueue, HookStore, Platform};
use serde_json::{json, Value};

impl<P: Platform> App<P> {
    pub(super) async fn ingest_events(&self, req: &Request) -> Result<Response, Error> {
        self.require_ingest(req)?;
        let ingest = parse_ingest(&req.body, self.clock.now_ms(), ids::event_id)?;
        // One hook-store read for the whole request, never a list.
        let hooks = self.hooks.load().await?;
        let mut tasks = Vec::new();
        let mut answers = Vec::with_capacity(ingest.events.len());
        for event in &ingest.events {
            let planned = fanout::plan(event, &hooks, ids::delivery_id)?;
            let deliveries: Vec<Value> = planned
                .iter()
                .map(|t| json!({ "id": t.delivery_id, "hookId": t.hook_id }))
                .collect();
            answers.push(json!({
                "id": event.id,
                "event": event.name,
                "createdAt": event.created_at,
                "deliveries": deliveries,
            }));
            tasks.extend(planned);
        }
        if !tasks.is_empty() {
            // Durable before we answer: if this fails the client gets an error, not a 202.
            self.queue.enqueue(&tasks, 0).await?;
        }
        let body = if ingest.batch {
            Value::Array(answers)
        } else {
            answers.remove(0)
        };
        Ok(Response::json(202, &body))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{app, call};

    const HOOK: &str = r#"{"events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h"}}"#;

    #[test]
    fn event_is_queued_once_per_subscribed_hook() {
        let app = app();
        let (_, a) = call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        call(
            &app,
            "POST",
            "/api/hooks",
            Some("admin"),
            r#"{"events":["User.Created"],"config":{"url":"http://127.0.0.1:9/x"}}"#,
        );
        let (status, body) = call(
            &app,
            "POST",
            "/api/events",
            Some("ingest"),
            r#"{"event":"PostSignIn","userId":"u1"}"#,
        );
        assert_eq!(status, 202);
        assert!(body["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(body["createdAt"], "2025-08-21T12:00:00.000Z");
        assert_eq!(body["deliveries"].as_array().unwrap().len(), 1);
        assert_eq!(body["deliveries"][0]["hookId"], a["id"]);
        let sent = app.queue.sent.borrow();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].0.payload.get(),
            r#"{"event":"PostSignIn","createdAt":"2025-08-21T12:00:00.000Z","userId":"u1"}"#
        );
        assert_eq!(sent[0].0.attempt, 1);
    }

    #[test]
    fn no_subscribed_hook_gives_empty_deliveries() {
        let (status, body) = call(
            &app(),
            "POST",
            "/api/events",
            Some("ingest"),
            r#"{"event":"PostRegister"}"#,
        );
        assert_eq!(status, 202);
        assert_eq!(body["deliveries"], serde_json::json!([]));
    }

    #[test]
    fn a_batch_answers_an_array() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        let (status, body) = call(
            &app,
            "POST",
            "/api/events",
            Some("ingest"),
            r#"[{"event":"PostSignIn"},{"event":"PostSignIn"}]"#,
        );
        assert_eq!(status, 202);
        assert_eq!(body.as_array().unwrap().len(), 2);
        assert_ne!(body[0]["id"], body[1]["id"]);
        assert_eq!(app.queue.sent.borrow().len(), 2);
    }

    #[test]
    fn queue_failure_is_an_error_not_a_202() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        app.queue.fail.set(true);
        let (status, _) = call(
            &app,
            "POST",
            "/api/events",
            Some("ingest"),
            r#"{"event":"PostSignIn"}"#,
        );
        assert_eq!(status, 503);
    }

    #[test]
    fn ingest_needs_the_ingest_token() {
        let (status, _) = call(
            &app(),
            "POST",
            "/api/events",
            Some("admin"),
            r#"{"event":"PostSignIn"}"#,
        );
        assert_eq!(status, 401);
    }
}
