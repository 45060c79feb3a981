//! `GET /api/hooks/:id/stats/hourly?range=24h|7d`: the hook's attempts per UTC hour, split
//! success/failure, with the p50/p95 attempt duration (nearest rank, exact: `core::hourly`).
//! Read from the hook's own day buckets, one call each (24 h: at most 2, 7 d: at most 8),
//! over the same attempts table as `executionStats`.

use super::{App, Request, Response};
use crate::core::hourly::{series, Range, HOUR_MS};
use crate::core::tenant::Tenant;
use crate::core::Error;
use crate::delivery::ports::{Clock, DeliveryLog, Platform};
use serde_json::{json, Value};

impl<P: Platform> App<P> {
    pub(super) async fn hourly_stats(
        &self,
        req: &Request,
        tenant: Tenant,
        hook_id: &str,
    ) -> Result<Response, Error> {
        let range = Range::parse(req.query("range"))?;
        if !tenant.hooks.iter().any(|h| h.id == hook_id) {
            return Err(Error::hook_not_found(hook_id));
        }
        let hours = range.hours_at(self.clock.now_ms());
        let (from, to) = (hours.start() * HOUR_MS, (hours.end() + 1) * HOUR_MS);
        let found = self.log.hourly(hook_id, from, to).await?;
        let hours = series(hours, &found);
        let (requests, successes) = hours.iter().fold((0, 0), |(r, s), h| (r + h.requests, s + h.successes));
        let rows: Vec<Value> = hours
            .iter()
            .map(|h| {
                json!({
                    "start": h.hour * HOUR_MS,
                    "requestCount": h.requests,
                    "successCount": h.successes,
                    "failureCount": h.requests - h.successes.min(h.requests),
                    "p50DurationMs": h.p50_ms,
                    "p95DurationMs": h.p95_ms,
                })
            })
            .collect();
        Ok(Response::json(
            200,
            &json!({
                "hookId": hook_id,
                "range": range.as_str(),
                "from": from,
                "to": to,
                "hourMs": HOUR_MS,
                "percentiles": "nearest-rank",
                "requestCount": requests,
                "successCount": successes,
                "hours": rows,
            }),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{app, call, TestApp};
    use crate::core::hourly::HOUR_MS;
    use crate::delivery::ports::{AttemptRecord, DeliveryLog};
    use futures_executor::block_on;

    const NOW: i64 = 1_755_777_600_000;

    fn hook(app: &TestApp) -> String {
        let body = r#"{"events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h"}}"#;
        call(app, "POST", "/api/hooks", Some("admin"), body).1["id"].as_str().unwrap().to_string()
    }

    fn attempt(app: &TestApp, hook_id: &str, started_at: i64, duration_ms: i64, success: bool) {
        let a = AttemptRecord {
            id: format!("att_{started_at}"),
            delivery_id: format!("dlv_{started_at}"),
            hook_id: hook_id.into(),
            event: "PostSignIn".into(),
            number: 1,
            started_at,
            duration_ms,
            success,
            response_status: Some(if success { 200 } else { 500 }),
            response_body: None,
            response_headers: None,
            error: None,
        };
        block_on(app.log.record(&[], &[a])).unwrap();
    }

    #[test]
    fn hours_split_success_and_failure_with_duration_percentiles() {
        let app = app();
        let h = hook(&app);
        let this_hour = NOW - NOW % HOUR_MS;
        for (d, ok) in [(10, true), (20, true), (30, false), (1000, false)] {
            attempt(&app, &h, this_hour + 1, d, ok);
        }
        attempt(&app, &h, this_hour - 3 * HOUR_MS, 50, true);
        attempt(&app, &h, this_hour - 30 * HOUR_MS, 50, false);
        let (status, body) = call(&app, "GET", &format!("/api/hooks/{h}/stats/hourly"), Some("admin"), "");
        assert_eq!(status, 200, "{body}");
        let hours = body["hours"].as_array().unwrap();
        assert_eq!(hours.len(), 24);
        let last = &hours[23];
        assert_eq!(last["start"], this_hour);
        assert_eq!((last["requestCount"].as_u64(), last["successCount"].as_u64()), (Some(4), Some(2)));
        assert_eq!(last["failureCount"], 2);
        assert_eq!((last["p50DurationMs"].as_i64(), last["p95DurationMs"].as_i64()), (Some(20), Some(1000)));
        assert_eq!(hours[20]["requestCount"], 1);
        assert_eq!(hours[0]["p50DurationMs"], serde_json::Value::Null);
        assert_eq!(body["requestCount"], 5, "the attempt 30 h ago is outside 24 h");
        let (_, week) =
            call(&app, "GET", &format!("/api/hooks/{h}/stats/hourly?range=7d"), Some("admin"), "");
        assert_eq!(week["hours"].as_array().unwrap().len(), 168);
        assert_eq!(week["requestCount"], 6);
    }

    #[test]
    fn a_bad_range_is_400_and_an_unknown_hook_404() {
        let app = app();
        let h = hook(&app);
        let (status, body) =
            call(&app, "GET", &format!("/api/hooks/{h}/stats/hourly?range=1y"), Some("admin"), "");
        assert_eq!((status, body["details"][0]["path"].as_str()), (400, Some("range")));
        let (status, _) = call(&app, "GET", "/api/hooks/nope/stats/hourly", Some("admin"), "");
        assert_eq!(status, 404);
    }
}
