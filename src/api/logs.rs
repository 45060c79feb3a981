//! `GET /api/hooks/:id/recent-logs`: one Logto log entry per attempt, newest first.

use super::pagination;
use super::{App, Request, Response};
use crate::core::log_entry::{log_entry, AttemptView};
use crate::core::tenant::Tenant;
use crate::core::Error;
use crate::delivery::ports::{Clock, DeliveryLog, LogQuery, Platform};
use serde_json::Value;

const DEFAULT_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

pub(super) fn time_param(req: &Request, name: &str) -> Result<Option<i64>, Error> {
    req.query(name)
        .map(|v| {
            // A JSON number exactly (no spaces, `+`, `inf` or `NaN`), as documented.
            Some(v)
                .filter(|v| {
                    !v.starts_with(|c: char| c.is_whitespace()) && !v.ends_with(|c: char| c.is_whitespace())
                })
                .and_then(|v| serde_json::from_str::<f64>(v).ok())
                .filter(|n| n.is_finite())
                .map(|n| n as i64)
                .ok_or_else(|| Error::invalid_input(name, "must be a finite number of epoch milliseconds"))
        })
        .transpose()
}

impl<P: Platform> App<P> {
    pub(super) async fn recent_logs(
        &self,
        req: &Request,
        tenant: Tenant,
        hook_id: &str,
    ) -> Result<Response, Error> {
        let page = pagination::parse(req, true)?.unwrap_or(pagination::Page { page: 1, page_size: 20 });
        let now = self.clock.now_ms();
        // Either bound replaces Logto's default window of the last 24 h.
        let (start_ms, end_ms) = match (time_param(req, "start_time")?, time_param(req, "end_time")?) {
            (None, None) => (now - DEFAULT_WINDOW_MS, now),
            (start, end) => (start.unwrap_or(0), end.unwrap_or(i64::MAX)),
        };
        if start_ms > end_ms {
            return Err(Error::new(400, "log.invalid_time_window", "start_time must not be after end_time."));
        }
        let event = match req.query("logKey") {
            None => None,
            // A key outside `TriggerHook.*` matches nothing, as in Logto.
            Some(key) => Some(key.strip_prefix("TriggerHook.").unwrap_or("\u{0}")),
        };
        if !tenant.owns_hook(hook_id) {
            // Logto answers an unknown hook with an empty list; another tenant's hook is
            // unknown here, and its buckets are not read.
            let mut resp = Response::json(200, &Value::Array(Vec::new()));
            resp.headers.extend(pagination::headers(req, page, 0));
            return Ok(resp);
        }
        let query =
            LogQuery { hook_id, event, start_ms, end_ms, limit: page.page_size, offset: page.offset() };
        let (rows, total) = self.log.attempts(&query).await?;
        let list: Vec<Value> = rows
            .iter()
            .map(|row| {
                let r = &row.record;
                log_entry(&AttemptView {
                    id: &r.id,
                    hook_id: &r.hook_id,
                    event: &r.event,
                    success: r.success,
                    payload: row.payload.as_deref(),
                    response_status: r.response_status,
                    response_body: r.response_body.as_deref(),
                    error: r.error.as_deref(),
                    created_at: r.started_at + r.duration_ms,
                })
            })
            .collect();
        let mut resp = Response::json(200, &Value::Array(list));
        resp.headers.extend(pagination::headers(req, page, total));
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{app, call, call_full};
    use crate::delivery::ports::{AttemptRecord, DeliveryLog, DeliveryRecord};
    use futures_executor::block_on;

    fn seed(app: &super::super::test_support::TestApp, n: i64, at: i64) {
        // A hook of `default`, whose logs these are.
        let hook =
            crate::core::hook::Hook { id: "h1".into(), ..crate::testing::hook_for("http://127.0.0.1:9/h") };
        app.tenants.set_hooks("default", vec![hook]);
        let payload = r#"{"event":"PostSignIn","createdAt":"2025-01-01T00:00:00.000Z"}"#.to_string();
        let d = DeliveryRecord {
            tenant: "default".into(),
            id: format!("dlv_{n}"),
            event_id: "evt_1".into(),
            hook_id: "h1".into(),
            event: "PostSignIn".into(),
            payload,
            status: "succeeded",
            attempts: 1,
            next_attempt_at: None,
            last_error: None,
            at,
        };
        let a = AttemptRecord {
            id: format!("att_{n}"),
            delivery_id: format!("dlv_{n}"),
            hook_id: "h1".into(),
            event: "PostSignIn".into(),
            number: 1,
            started_at: at,
            duration_ms: 3,
            success: n % 2 == 0,
            response_status: Some(if n % 2 == 0 { 200 } else { 500 }),
            response_body: Some("{}".into()),
            response_headers: None,
            error: (n % 2 == 1).then(|| "HTTP 500".into()),
        };
        block_on(app.log.record(&[d], &[a])).unwrap();
    }

    #[test]
    fn lists_attempts_newest_first_within_the_default_day() {
        let app = app();
        let now = app.clock.now_ms_for_test();
        for n in 0..3 {
            seed(&app, n, now - 1000 * (3 - n));
        }
        seed(&app, 9, now - 2 * 86_400_000);
        let resp = call_full(&app, "GET", "/api/hooks/h1/recent-logs", Some("admin"), "");
        let list: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
        let ids: Vec<_> =
            list.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(ids, ["att_2", "att_1", "att_0"]);
        assert_eq!(list[0]["payload"]["hookRequest"]["body"]["hookId"], "h1");
        assert!(resp.headers.iter().any(|(k, v)| k == "total-number" && v == "3"));
        let (_, all) = call(&app, "GET", "/api/hooks/h1/recent-logs?start_time=0", Some("admin"), "");
        assert_eq!(all.as_array().unwrap().len(), 4);
    }

    #[test]
    fn log_key_and_time_window_filter() {
        let app = app();
        let now = app.clock.now_ms_for_test();
        seed(&app, 0, now - 10);
        let (_, other) =
            call(&app, "GET", "/api/hooks/h1/recent-logs?logKey=TriggerHook.User.Created", Some("admin"), "");
        assert_eq!(other.as_array().unwrap().len(), 0);
        let (_, same) =
            call(&app, "GET", "/api/hooks/h1/recent-logs?logKey=TriggerHook.PostSignIn", Some("admin"), "");
        assert_eq!(same.as_array().unwrap().len(), 1);
        let (status, err) =
            call(&app, "GET", "/api/hooks/h1/recent-logs?start_time=10&end_time=5", Some("admin"), "");
        assert_eq!((status, err["code"].as_str()), (400, Some("log.invalid_time_window")));
        let (status, _) = call(&app, "GET", "/api/hooks/h1/recent-logs?start_time=abc", Some("admin"), "");
        assert_eq!(status, 400);
        let (status, list) = call(&app, "GET", "/api/hooks/unknown/recent-logs", Some("admin"), "");
        assert_eq!((status, list.as_array().unwrap().len()), (200, 0));
    }

    #[test]
    fn time_bounds_are_json_numbers_exactly() {
        let app = app();
        for bad in [" 5", "5 ", "+5", "inf", "NaN", "0x10", "1e400", ""] {
            let (status, _) =
                call(&app, "GET", &format!("/api/hooks/h1/recent-logs?start_time={bad}"), Some("admin"), "");
            assert_eq!(status, 400, "{bad}");
        }
        for good in ["5", "-1", "1.5", "1e3"] {
            let (status, _) =
                call(&app, "GET", &format!("/api/hooks/h1/recent-logs?start_time={good}"), Some("admin"), "");
            assert_eq!(status, 200, "{good}");
        }
    }
}
