//! `POST /api/events` and `POST /api/relay/logto`: accept events, plan one delivery per
//! subscribed hook, and answer only once every delivery is in the queue (202), or, with
//! `?wait=true`, once each first attempt is done (200).

use super::{App, Request, Response};
use crate::core::event::{parse_ingest, Event, Ingest};
use crate::core::signature::verify_logto_signature;
use crate::core::tenant::{Tenant, DEFAULT_TENANT};
use crate::core::{ids, Error};
use crate::delivery::consumer::Processed;
use crate::delivery::dispatch::Dispatch;
use crate::delivery::ports::{Claim, Clock, DeliveryLog, IdempotencyStore, Platform};
use crate::delivery::task::DeliveryTask;
use crate::delivery::{fanout, record};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Values `?wait=` takes; anything else is a 400, not a silent "no".
pub(crate) const WAIT_VALUES: &[&str] = &["true", "false", "1", "0"];
pub(crate) const IDEMPOTENCY_KEY_CHARS: std::ops::RangeInclusive<usize> = 1..=255;

fn wants_wait(req: &Request) -> Result<bool, Error> {
    match req.query("wait") {
        None => Ok(false),
        Some(v) if WAIT_VALUES.contains(&v) => Ok(v == "true" || v == "1"),
        Some(_) => Err(Error::invalid_input("wait", "must be true, false, 1 or 0")),
    }
}

/// The `Idempotency-Key` header as a storage key (a digest, so any bytes are safe).
fn idempotency_key(req: &Request) -> Result<Option<String>, Error> {
    let Some(key) = req.header("idempotency-key") else {
        return Ok(None);
    };
    // Printable ASCII: HTTP trims surrounding spaces and re-encodes other bytes, so any other
    // key would not reach us as the producer sent it.
    if !IDEMPOTENCY_KEY_CHARS.contains(&key.len()) || !key.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(Error::invalid_input("Idempotency-Key", "must be 1 to 255 printable ASCII characters"));
    }
    Ok(Some(hex::encode(Sha256::digest(key.as_bytes()))))
}

impl<P: Platform> App<P> {
    pub(super) async fn ingest_events(&self, req: &Request, tenant: Tenant) -> Result<Response, Error> {
        let wait = wants_wait(req)?;
        let ingest = parse_ingest(&req.body, self.clock.now_ms(), ids::event_id)?;
        match idempotency_key(req)? {
            None => self.accept(&tenant, ingest, wait).await,
            Some(key) => self.once(&tenant.id, &key, || self.accept(&tenant, ingest, wait)).await,
        }
    }

    /// Runs `work` once per key within 24 h: a repeat answers the first response again and
    /// does nothing else; a failure leaves the key free for a retry.
    async fn once<F, Fut>(&self, tenant: &str, key: &str, work: F) -> Result<Response, Error>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Response, Error>>,
    {
        match self.idempotency.claim(tenant, key, self.clock.now_ms()).await? {
            Claim::Replay { status, body } => Ok(Response {
                status,
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("idempotent-replayed".into(), "true".into()),
                ],
                body: body.into_bytes(),
            }),
            Claim::InProgress => Err(Error::new(
                409,
                "event.idempotency_in_progress",
                "A request with this Idempotency-Key is still being processed.",
            )),
            Claim::Fresh => match work().await {
                Ok(resp) => {
                    let body = String::from_utf8_lossy(&resp.body);
                    self.idempotency.complete(tenant, key, resp.status, &body).await?;
                    Ok(resp)
                }
                Err(err) => {
                    let _ = self.idempotency.release(tenant, key).await;
                    Err(err)
                }
            },
        }
    }

    /// Relay from a Logto hook into `default`: the body must carry Logto's signature made
    /// with `LOGTO_RELAY_SIGNING_KEY`; Logto's `hookId` is dropped by ingestion.
    pub(super) async fn relay_logto(&self, req: &Request) -> Result<Response, Error> {
        let key = self
            .config
            .relay_signing_key
            .clone()
            .ok_or_else(|| Error::missing_secret("LOGTO_RELAY_SIGNING_KEY"))?;
        let tenant = self.existing_tenant(DEFAULT_TENANT, false).await?;
        self.relay(req, tenant, &key).await
    }

    /// Relay into one tenant, verified with the relay key that tenant set.
    pub(super) async fn relay_logto_tenant(&self, req: &Request, tenant_id: &str) -> Result<Response, Error> {
        let tenant = self.existing_tenant(tenant_id, false).await?;
        let key = tenant.relay_key.clone().unwrap_or_default();
        self.relay(req, tenant, &key).await
    }

    async fn relay(&self, req: &Request, tenant: Tenant, key: &str) -> Result<Response, Error> {
        let signature = req.header("logto-signature-sha-256").unwrap_or_default();
        // No key set: nothing can match.
        if key.is_empty() || !verify_logto_signature(key, &req.body, signature) {
            return Err(Error::new(
                401,
                "relay.invalid_signature",
                "The logto-signature-sha-256 header does not match the body.",
            ));
        }
        let ingest = parse_ingest(&req.body, self.clock.now_ms(), ids::event_id)?;
        // Logto's signature has no timestamp, so a captured request could be replayed: the
        // same signed body within 24 h is answered as before and delivers nothing new.
        let key = hex::encode(Sha256::digest(format!("relay:{signature}").as_bytes()));
        self.once(&tenant.id, &key, || self.accept(&tenant, ingest, false)).await
    }

    /// Plans deliveries to the tenant's hooks only (read once for the whole request, by
    /// `authorize`, never a list).
    async fn accept(&self, tenant: &Tenant, ingest: Ingest, wait: bool) -> Result<Response, Error> {
        let hooks = &tenant.hooks;
        let now = self.clock.now_ms();
        let planned = ingest
            .events
            .iter()
            .map(|event| Ok((event, fanout::plan(event, hooks, |hook| ids::delivery_id(hook, now))?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let (status, answers) = if wait {
            (200, self.deliver_inline(hooks, &planned).await?)
        } else {
            let tasks: Vec<DeliveryTask> = planned.iter().flat_map(|(_, t)| t.iter().cloned()).collect();
            if !tasks.is_empty() {
                // Durable before we answer, in the hooks' own buckets (one write per hook and
                // day): if this fails the client gets an error, not a 202. The first attempts
                // follow the answer at once (`delivery::dispatch`); a bucket whose delivery has
                // no recorded attempt by the guard time sends it through the queue.
                // A paused hook's deliveries are stored `held` and wait for its resume.
                // An ordered hook's deliveries join its line first; those behind its head wait
                // there (recorded with no due time: the line sends them in turn).
                let paused = |t: &DeliveryTask| hooks.iter().any(|h| h.id == t.hook_id && h.paused);
                let in_line = if hooks.iter().any(|h| h.config.ordered) {
                    self.join_lines(hooks, tasks.clone(), true).await?.1
                } else {
                    Vec::new()
                };
                let guard_until = now + self.config.dispatch_guard_secs as i64 * 1000;
                let pending: Vec<_> = tasks
                    .iter()
                    .map(|t| match (paused(t), in_line.contains(&t.delivery_id)) {
                        (false, true) => record::behind(t, now),
                        (held, _) => record::planned(t, guard_until, now, held),
                    })
                    .collect();
                self.log.record(&pending, &[]).await?;
                let tasks: Vec<DeliveryTask> =
                    tasks.into_iter().filter(|t| !paused(t) && !in_line.contains(&t.delivery_id)).collect();
                if !tasks.is_empty() {
                    // The tenant's whole list: operational events go to hooks beyond these tasks'.
                    self.defer(Dispatch { hooks: hooks.clone(), tasks });
                }
            }
            let answers = planned
                .iter()
                .map(|(event, tasks)| {
                    let deliveries =
                        tasks.iter().map(|t| json!({ "id": t.delivery_id, "hookId": t.hook_id })).collect();
                    answer(event, deliveries)
                })
                .collect();
            (202, answers)
        };
        let mut answers: Vec<Value> = answers;
        let body = if ingest.batch { Value::Array(answers) } else { answers.remove(0) };
        Ok(Response::json(status, &body))
    }

    /// Synced delivery: each first attempt now (bounded concurrency), failures re-enqueued.
    async fn deliver_inline(
        &self,
        hooks: &[crate::core::hook::Hook],
        planned: &[(&Event, Vec<DeliveryTask>)],
    ) -> Result<Vec<Value>, Error> {
        let all: Vec<DeliveryTask> = planned.iter().flat_map(|(_, t)| t.iter().cloned()).collect();
        let run = self.run_deliveries_alone(hooks, all).await;
        if let Some(err) = run.retries_lost {
            // The first attempts happened, but failed ones could not be scheduled again.
            return Err(err);
        }
        Ok(planned
            .iter()
            .map(|(event, tasks)| {
                let deliveries = tasks
                    .iter()
                    .filter_map(|t| {
                        let (_, p) = run.results.iter().find(|(r, _)| r.delivery_id == t.delivery_id)?;
                        Some(synced_result(t, p))
                    })
                    .collect();
                answer(event, deliveries)
            })
            .collect())
    }
}

fn answer(event: &Event, deliveries: Vec<Value>) -> Value {
    json!({ "id": event.id, "event": event.name, "createdAt": event.created_at, "deliveries": deliveries })
}

fn synced_result(task: &DeliveryTask, p: &Processed) -> Value {
    let r = p.report.as_ref();
    json!({
        "id": task.delivery_id,
        "hookId": task.hook_id,
        "status": p.status(),
        "responseStatus": r.and_then(|r| r.response_status),
        "durationMs": r.map(|r| r.duration_ms),
        "error": r.and_then(|r| r.error.clone()).or_else(|| p.dropped.map(str::to_string)),
        "responseBody": r.and_then(|r| r.response_body.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{app, call, TestApp};
    use crate::core::signature::logto_signature;
    use crate::delivery::ports::HttpOutcome;
    use serde_json::json;

    const HOOK: &str = r#"{"events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h"}}"#;

    fn call_with(app: &TestApp, path: &str, headers: &[(&str, &str)], body: &str) -> super::Response {
        let mut req = super::Request {
            method: "POST".into(),
            origin: "http://hookwing.test".into(),
            path: path.split('?').next().unwrap().into(),
            query: path
                .split_once('?')
                .map(|(_, q)| {
                    q.split('&')
                        .map(|kv| {
                            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                            (k.to_string(), v.to_string())
                        })
                        .collect()
                })
                .unwrap_or_default(),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
        };
        req.headers.push(("authorization".into(), "Bearer ingest".into()));
        futures_executor::block_on(app.handle(req))
    }

    /// First attempts the requests so far left for after their answers.
    fn planned(app: &TestApp) -> Vec<crate::delivery::task::DeliveryTask> {
        app.deferred.borrow().as_ref().map(|d| d.tasks.clone()).unwrap_or_default()
    }

    #[test]
    fn event_is_planned_once_per_subscribed_hook_and_recorded_before_the_answer() {
        let app = app();
        let (_, a) = call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        call(
            &app,
            "POST",
            "/api/hooks",
            Some("admin"),
            r#"{"events":["User.Created"],"config":{"url":"http://127.0.0.1:9/x"}}"#,
        );
        let (status, body) =
            call(&app, "POST", "/api/events", Some("ingest"), r#"{"event":"PostSignIn","userId":"u1"}"#);
        assert_eq!(status, 202);
        assert!(body["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(body["createdAt"], "2025-08-21T12:00:00.000Z");
        assert_eq!(body["deliveries"].as_array().unwrap().len(), 1);
        assert_eq!(body["deliveries"][0]["hookId"], a["id"]);
        let sent = planned(&app);
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].payload.get(),
            r#"{"event":"PostSignIn","createdAt":"2025-08-21T12:00:00.000Z","userId":"u1"}"#
        );
        assert_eq!(sent[0].attempt, 1);
        let stored = app.log.deliveries.borrow();
        assert_eq!(
            (stored.len(), stored[0].id.as_str(), stored[0].status.as_str()),
            (1, sent[0].delivery_id.as_str(), "pending")
        );
        assert_eq!(stored[0].payload.as_deref(), Some(sent[0].payload.get()));
    }

    #[test]
    fn no_subscribed_hook_gives_empty_deliveries() {
        let (status, body) =
            call(&app(), "POST", "/api/events", Some("ingest"), r#"{"event":"PostRegister"}"#);
        assert_eq!(status, 202);
        assert_eq!(body["deliveries"], json!([]));
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
        assert_eq!(planned(&app).len(), 2);
    }

    #[test]
    fn a_bucket_write_failure_is_an_error_not_a_202() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        app.log.fail.set(true);
        let (status, _) = call(&app, "POST", "/api/events", Some("ingest"), r#"{"event":"PostSignIn"}"#);
        assert_eq!(status, 503);
    }

    #[test]
    fn ingest_needs_the_ingest_token() {
        let (status, _) = call(&app(), "POST", "/api/events", Some("admin"), r#"{"event":"PostSignIn"}"#);
        assert_eq!(status, 401);
    }

    #[test]
    fn idempotency_key_replays_the_first_answer_without_new_deliveries() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        let first = call_with(&app, "/api/events", &[("idempotency-key", "k1")], r#"{"event":"PostSignIn"}"#);
        let second =
            call_with(&app, "/api/events", &[("idempotency-key", "k1")], r#"{"event":"PostSignIn"}"#);
        assert_eq!((first.status, second.status), (202, 202));
        assert_eq!(first.body, second.body);
        assert!(second.headers.iter().any(|(k, _)| k == "idempotent-replayed"));
        assert_eq!(planned(&app).len(), 1);
        let other = call_with(&app, "/api/events", &[("idempotency-key", "k2")], r#"{"event":"PostSignIn"}"#);
        assert_ne!(other.body, first.body);
        assert_eq!(planned(&app).len(), 2);
    }

    #[test]
    fn a_failed_request_does_not_burn_its_idempotency_key() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        app.log.fail.set(true);
        assert_eq!(
            call_with(&app, "/api/events", &[("idempotency-key", "k")], r#"{"event":"PostSignIn"}"#).status,
            503
        );
        app.log.fail.set(false);
        assert_eq!(
            call_with(&app, "/api/events", &[("idempotency-key", "k")], r#"{"event":"PostSignIn"}"#).status,
            202
        );
        let long = "x".repeat(256);
        assert_eq!(
            call_with(&app, "/api/events", &[("idempotency-key", &long)], r#"{"event":"PostSignIn"}"#).status,
            400
        );
    }

    #[test]
    fn wait_true_attempts_now_and_reports_each_delivery() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        app.http.script(vec![
            HttpOutcome::Response { status: 200, retry_after: None, headers: Vec::new(), body: "ok".into() },
            HttpOutcome::Response {
                status: 500,
                retry_after: None,
                headers: Vec::new(),
                body: "boom".into(),
            },
        ]);
        let resp = call_with(&app, "/api/events?wait=true", &[], r#"{"event":"PostSignIn"}"#);
        assert_eq!(resp.status, 200);
        let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
        let mut statuses: Vec<_> = body["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["status"].as_str().unwrap().to_string())
            .collect();
        statuses.sort();
        assert_eq!(statuses, ["retrying", "succeeded"]);
        let sent = app.queue.sent.borrow();
        assert_eq!(sent.len(), 1, "only the failure goes to the queue");
        assert_eq!(sent[0].0.attempt, 2);
    }

    #[test]
    fn relay_checks_logtos_signature_and_drops_logtos_hook_id() {
        let mut app = app();
        app.config.relay_signing_key = Some("relay-key".into());
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        let body = r#"{"event":"PostSignIn","createdAt":"2025-01-01T00:00:00.000Z","hookId":"logtohook"}"#;
        let good = logto_signature("relay-key", body.as_bytes());
        let req = |sig: &str| super::Request {
            method: "POST".into(),
            path: "/api/relay/logto".into(),
            headers: vec![("logto-signature-sha-256".into(), sig.into())],
            body: body.as_bytes().to_vec(),
            ..Default::default()
        };
        let ok = futures_executor::block_on(app.handle(req(&good)));
        assert_eq!(ok.status, 202);
        let replayed = futures_executor::block_on(app.handle(req(&good)));
        assert_eq!((replayed.status, &replayed.body), (202, &ok.body));
        assert_eq!(planned(&app).len(), 1, "a replayed relay request delivers nothing new");
        assert_eq!(
            planned(&app)[0].payload.get(),
            r#"{"event":"PostSignIn","createdAt":"2025-01-01T00:00:00.000Z"}"#
        );
        let bad = futures_executor::block_on(app.handle(req(&logto_signature("other", body.as_bytes()))));
        assert_eq!(bad.status, 401);
        assert!(String::from_utf8_lossy(&bad.body).contains("relay.invalid_signature"));
    }

    #[test]
    fn wait_and_idempotency_key_take_only_documented_values() {
        let app = app();
        for query in ["?wait=yes", "?wait=", "?wait=TRUE"] {
            let resp = call_with(&app, &format!("/api/events{query}"), &[], r#"{"event":"PostSignIn"}"#);
            assert_eq!(resp.status, 400, "{query}");
        }
        for query in ["?wait=false", "?wait=0"] {
            let resp = call_with(&app, &format!("/api/events{query}"), &[], r#"{"event":"PostSignIn"}"#);
            assert_eq!(resp.status, 202, "{query}");
        }
        for key in ["", "k\u{e9}y", "tab\tkey"] {
            let resp =
                call_with(&app, "/api/events", &[("idempotency-key", key)], r#"{"event":"PostSignIn"}"#);
            assert_eq!(resp.status, 400, "{key:?}");
        }
        let resp =
            call_with(&app, "/api/events", &[("idempotency-key", "order 42/a")], r#"{"event":"PostSignIn"}"#);
        assert_eq!(resp.status, 202);
    }
}
