//! Deliveries: list a hook's, read one with its attempts, replay one, recover a window.

use super::logs::time_param;
use super::pagination;
use super::{App, Request, Response};
use crate::core::hook::Hook;
use crate::core::ids::locate_delivery;
use crate::core::sanitize::{mask_text, masked};
use crate::core::tenant::Tenant;
use crate::core::time::parse_iso;
use crate::core::Error;
use crate::delivery::ports::{AttemptRecord, Clock, DeliveryLog, DeliveryQueue, Platform, StoredDelivery};
use crate::delivery::task::DeliveryTask;
use serde_json::{json, Value};

pub(crate) const STATUSES: &[&str] = &["pending", "retrying", "succeeded", "failed", "held"];
/// Most deliveries one recover call re-enqueues.
pub const MAX_RECOVER: usize = 1000;

pub(super) fn delivery_json(d: &StoredDelivery) -> Value {
    json!({
        "id": d.id,
        "eventId": d.event_id,
        "hookId": d.hook_id,
        "event": d.event,
        "status": d.status,
        "attemptCount": d.attempts,
        "nextAttemptAt": d.next_attempt_at,
        "lastError": d.last_error,
        "createdAt": d.created_at,
        "updatedAt": d.updated_at,
    })
}

pub(super) fn attempt_json(a: &AttemptRecord) -> Value {
    json!({
        "id": a.id,
        "number": a.number,
        "startedAt": a.started_at,
        "durationMs": a.duration_ms,
        "result": if a.success { "Success" } else { "Error" },
        "responseStatus": a.response_status,
        "responseBody": a.response_body.as_deref().map(mask_text),
        "error": a.error,
    })
}

fn delivery_not_found(id: &str) -> Error {
    Error::not_exists_with_id("delivery", id)
}

/// `since`/`until` as epoch ms or an ISO 8601 string.
fn instant(body: &Value, field: &str) -> Result<Option<i64>, Error> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(|f| Some(f as i64))
            .ok_or_else(|| Error::invalid_input(field, "must be epoch milliseconds")),
        Some(Value::String(s)) => parse_iso(s)
            .map(Some)
            .ok_or_else(|| Error::invalid_input(field, "must be an ISO 8601 time or epoch milliseconds")),
        Some(_) => Err(Error::invalid_input(field, "must be an ISO 8601 time or epoch milliseconds")),
    }
}

/// A one-off attempt of a stored delivery (never rescheduled if it fails).
fn manual_task(tenant: &Tenant, d: &StoredDelivery) -> Result<DeliveryTask, Error> {
    d.next_task(&tenant.id, true).ok_or_else(|| Error::internal("the delivery's payload is gone"))
}

/// A live hook of the tenant; another tenant's is as missing as none.
fn existing_hook<'a>(tenant: &'a Tenant, id: &str) -> Result<&'a Hook, Error> {
    tenant.hooks.iter().find(|h| h.id == id).ok_or_else(|| Error::hook_not_found(id))
}

impl<P: Platform> App<P> {
    /// A delivery of one of the tenant's hooks (live or deleted within retention). Another
    /// tenant's delivery is not even looked up: it answers exactly like a missing one.
    pub(super) async fn owned_delivery(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<(StoredDelivery, Vec<AttemptRecord>), Error> {
        if !locate_delivery(id).is_some_and(|(hook, _)| tenant.owns_hook(hook)) {
            return Err(delivery_not_found(id));
        }
        self.log.delivery(id).await?.ok_or_else(|| delivery_not_found(id))
    }

    pub(super) async fn list_deliveries(
        &self,
        req: &Request,
        tenant: Tenant,
        hook_id: &str,
    ) -> Result<Response, Error> {
        let status = req.query("status");
        if let Some(s) = status.filter(|s| !STATUSES.contains(s)) {
            return Err(Error::invalid_input(
                "status",
                format!("`{s}` is not one of {}", STATUSES.join(", ")),
            ));
        }
        // Creation time window, as recent-logs takes it; without either bound, every day kept.
        let created = match (time_param(req, "start_time")?, time_param(req, "end_time")?) {
            (None, None) => None,
            (start, end) => Some((start.unwrap_or(0), end.unwrap_or(i64::MAX))),
        };
        if created.is_some_and(|(start, end)| start > end) {
            return Err(Error::new(400, "log.invalid_time_window", "start_time must not be after end_time."));
        }
        let page = pagination::parse(req, true)?.unwrap_or(pagination::Page { page: 1, page_size: 20 });
        existing_hook(&tenant, hook_id)?;
        let (rows, total) =
            self.log.deliveries(hook_id, status, created, page.page_size, page.offset()).await?;
        let mut resp = Response::json(200, &Value::Array(rows.iter().map(delivery_json).collect()));
        resp.headers.extend(pagination::headers(req, page, total));
        Ok(resp)
    }

    pub(super) async fn get_delivery(&self, tenant: Tenant, id: &str) -> Result<Response, Error> {
        let (d, attempts) = self.owned_delivery(&tenant, id).await?;
        let mut body = delivery_json(&d);
        body["payload"] = d
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .map(masked)
            .unwrap_or(Value::Null);
        body["attempts"] = Value::Array(attempts.iter().map(attempt_json).collect());
        Ok(Response::json(200, &body))
    }

    pub(super) async fn retry_delivery(&self, tenant: Tenant, id: &str) -> Result<Response, Error> {
        let (d, _) = self.owned_delivery(&tenant, id).await?;
        existing_hook(&tenant, &d.hook_id)?;
        let task = manual_task(&tenant, &d)?;
        let attempt = task.attempt;
        self.send_manual(&tenant, vec![task]).await?;
        Ok(Response::json(202, &json!({ "id": d.id, "attempt": attempt })))
    }

    pub(super) async fn recover_hook(
        &self,
        req: &Request,
        tenant: Tenant,
        hook_id: &str,
    ) -> Result<Response, Error> {
        let body = req.json()?;
        let since = instant(&body, "since")?.ok_or_else(|| Error::invalid_input("since", "is required"))?;
        let until = instant(&body, "until")?.unwrap_or_else(|| self.clock.now_ms());
        if since > until {
            return Err(Error::invalid_input("since", "must not be after until"));
        }
        existing_hook(&tenant, hook_id)?;
        let failed = self.log.failed_between(hook_id, since, until, MAX_RECOVER).await?;
        let tasks = failed.iter().map(|d| manual_task(&tenant, d)).collect::<Result<Vec<_>, Error>>()?;
        let count = tasks.len();
        self.send_manual(&tenant, tasks).await?;
        Ok(Response::json(202, &json!({ "count": count })))
    }

    /// Replays go through the queue; an ordered hook's join the end of its line instead (SPEC
    /// §11: a retried or recovered delivery waits for every one already in line).
    async fn send_manual(&self, tenant: &Tenant, tasks: Vec<DeliveryTask>) -> Result<(), Error> {
        let (rest, _) = self.join_lines(&tenant.hooks, tasks, false).await?;
        if !rest.is_empty() {
            let rest: Vec<(DeliveryTask, u32)> = rest.into_iter().map(|t| (t, 0)).collect();
            self.queue.enqueue(&rest).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{app, call, TestApp};
    use crate::delivery::ports::{DeliveryLog, DeliveryRecord};
    use futures_executor::block_on;

    fn hook(app: &TestApp) -> String {
        let (_, h) = call(
            app,
            "POST",
            "/api/hooks",
            Some("admin"),
            r#"{"events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h"}}"#,
        );
        h["id"].as_str().unwrap().to_string()
    }

    /// Records a delivery of the hook created at `at`; its id names the hook (and bucket).
    fn delivery(app: &TestApp, hook_id: &str, status: &'static str, at: i64) -> String {
        let id = crate::core::ids::delivery_id(hook_id, at);
        let d = DeliveryRecord {
            tenant: "default".into(),
            id: id.clone(),
            event_id: "evt_1".into(),
            hook_id: hook_id.into(),
            event: "PostSignIn".into(),
            payload: r#"{"event":"PostSignIn"}"#.into(),
            status,
            attempts: 4,
            next_attempt_at: None,
            last_error: Some("HTTP 500".into()),
            at,
        };
        block_on(app.log.record(&[d], &[])).unwrap();
        id
    }

    #[test]
    fn lists_a_hooks_deliveries_with_status_filter() {
        let app = app();
        let h = hook(&app);
        delivery(&app, &h, "failed", 1);
        let b = delivery(&app, &h, "succeeded", 2);
        let (_, all) = call(&app, "GET", &format!("/api/hooks/{h}/deliveries"), Some("admin"), "");
        assert_eq!(all.as_array().unwrap().len(), 2);
        assert_eq!(all[0]["id"], b);
        let (_, failed) =
            call(&app, "GET", &format!("/api/hooks/{h}/deliveries?status=failed"), Some("admin"), "");
        assert_eq!(failed.as_array().unwrap().len(), 1);
        let (status, _) =
            call(&app, "GET", &format!("/api/hooks/{h}/deliveries?status=nope"), Some("admin"), "");
        assert_eq!(status, 400);
        let (status, _) = call(&app, "GET", "/api/hooks/unknown/deliveries", Some("admin"), "");
        assert_eq!(status, 404);
    }

    #[test]
    fn deliveries_filter_by_creation_time_and_refuse_a_backwards_window() {
        let app = app();
        let h = hook(&app);
        delivery(&app, &h, "failed", 1_000);
        let mid = delivery(&app, &h, "failed", 5_000);
        delivery(&app, &h, "succeeded", 9_000);
        let path = format!("/api/hooks/{h}/deliveries?start_time=2000&end_time=8000");
        let (_, list) = call(&app, "GET", &path, Some("admin"), "");
        assert_eq!(list.as_array().unwrap().iter().map(|d| d["id"].clone()).collect::<Vec<_>>(), [mid]);
        let (_, since) = call(
            &app,
            "GET",
            &format!("/api/hooks/{h}/deliveries?start_time=2000&status=failed"),
            Some("admin"),
            "",
        );
        assert_eq!(since.as_array().unwrap().len(), 1);
        let (status, err) = call(
            &app,
            "GET",
            &format!("/api/hooks/{h}/deliveries?start_time=9&end_time=1"),
            Some("admin"),
            "",
        );
        assert_eq!((status, err["code"].as_str()), (400, Some("log.invalid_time_window")));
        let (status, _) =
            call(&app, "GET", &format!("/api/hooks/{h}/deliveries?end_time=soon"), Some("admin"), "");
        assert_eq!(status, 400);
    }

    #[test]
    fn one_delivery_carries_payload_and_attempts() {
        let app = app();
        let h = hook(&app);
        let a = delivery(&app, &h, "failed", 1);
        let (status, d) = call(&app, "GET", &format!("/api/deliveries/{a}"), Some("admin"), "");
        assert_eq!(status, 200);
        assert_eq!(d["payload"]["event"], "PostSignIn");
        assert_eq!(d["attemptCount"], 4);
        assert!(d["attempts"].is_array());
        assert_eq!(call(&app, "GET", "/api/deliveries/nope", Some("admin"), "").0, 404);
    }

    #[test]
    fn retry_enqueues_one_manual_attempt() {
        let app = app();
        let h = hook(&app);
        let a = delivery(&app, &h, "failed", 1);
        let (status, body) = call(&app, "POST", &format!("/api/deliveries/{a}/retry"), Some("admin"), "");
        assert_eq!((status, body["attempt"].as_u64()), (202, Some(5)));
        let sent = app.queue.sent.borrow();
        assert!(sent[0].0.manual);
        assert_eq!((sent[0].0.attempt, sent[0].1), (5, 0));
    }

    #[test]
    fn recovering_an_ordered_hook_joins_its_line_oldest_first_instead_of_the_queue() {
        use crate::delivery::line::LineStore;
        let app = app();
        let (_, h) = call(
            &app,
            "POST",
            "/api/hooks",
            Some("admin"),
            r#"{"events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h","ordered":true}}"#,
        );
        let h = h["id"].as_str().unwrap().to_string();
        let newer = delivery(&app, &h, "failed", 5_000);
        let older = delivery(&app, &h, "failed", 1_000);
        let (status, body) =
            call(&app, "POST", &format!("/api/hooks/{h}/recover"), Some("admin"), r#"{"since":0}"#);
        assert_eq!((status, body["count"].as_u64()), (202, Some(2)));
        assert!(app.queue.sent.borrow().is_empty(), "not around the line");
        let sent = app.gates.sent.borrow();
        assert_eq!(sent.len(), 1, "the line sends its new head");
        assert_eq!((sent[0].delivery_id.as_str(), sent[0].manual), (older.as_str(), true));
        let lines = app.gates.lines.borrow();
        assert!(lines[&h].contains(&newer), "the newer one waits behind it");
    }

    #[test]
    fn recover_re_enqueues_failed_deliveries_in_the_window() {
        let app = app();
        let h = hook(&app);
        delivery(&app, &h, "failed", 1_000);
        let new = delivery(&app, &h, "failed", 5_000);
        delivery(&app, &h, "succeeded", 5_000);
        let (status, body) =
            call(&app, "POST", &format!("/api/hooks/{h}/recover"), Some("admin"), r#"{"since":2000}"#);
        assert_eq!((status, body["count"].as_u64()), (202, Some(1)));
        assert_eq!(app.queue.sent.borrow()[0].0.delivery_id, new);
        let (_, iso) = call(
            &app,
            "POST",
            &format!("/api/hooks/{h}/recover"),
            Some("admin"),
            r#"{"since":"1970-01-01T00:00:00Z","until":"1970-01-01T00:00:02Z"}"#,
        );
        assert_eq!(iso["count"], 1);
        for bad in [r#"{}"#, r#"{"since":"soon"}"#, r#"{"since":5,"until":4}"#] {
            assert_eq!(
                call(&app, "POST", &format!("/api/hooks/{h}/recover"), Some("admin"), bad).0,
                400,
                "{bad}"
            );
        }
    }

    #[test]
    fn delivery_details_mask_sensitive_keys_in_payload_and_response() {
        use crate::delivery::ports::AttemptRecord;
        let app = app();
        let h = hook(&app);
        let id = crate::core::ids::delivery_id(&h, 1);
        let d = DeliveryRecord {
            tenant: "default".into(),
            id: id.clone(),
            event_id: "evt_1".into(),
            hook_id: h.clone(),
            event: "PostSignIn".into(),
            payload: r#"{"event":"PostSignIn","data":{"clientSecret":"s3","name":"n"}}"#.into(),
            status: "succeeded",
            attempts: 1,
            next_attempt_at: None,
            last_error: None,
            at: 1,
        };
        let a = AttemptRecord {
            id: "att_s".into(),
            delivery_id: id.clone(),
            hook_id: h,
            event: "PostSignIn".into(),
            number: 1,
            started_at: 1,
            duration_ms: 2,
            success: true,
            response_status: Some(200),
            response_body: Some(r#"{"sessionToken":"t","ok":true}"#.into()),
            response_headers: None,
            error: None,
        };
        block_on(app.log.record(&[d], &[a])).unwrap();
        let (_, body) = call(&app, "GET", &format!("/api/deliveries/{id}"), Some("admin"), "");
        assert_eq!(body["payload"]["data"], serde_json::json!({"clientSecret": "******", "name": "n"}));
        assert_eq!(body["attempts"][0]["responseBody"], r#"{"sessionToken":"******","ok":true}"#);
    }
}
