//! Dispatch at ingest: the first attempt of each planned delivery is made right after the
//! 202, in the same invocation (the Worker runs it in `waitUntil`), instead of waiting for a
//! queue hop. Durability does not depend on it: every delivery was written to its hook's
//! bucket as `pending` before the answer, and the bucket's alarm attempts, through the
//! queue, whatever has no recorded first attempt when its guard time passes (the isolate
//! died, `waitUntil` was cut, a record write failed). Retries stay on the queue.

pub use super::fanout::Dispatch;
use super::ports::{DeliveryQueue, Platform};
use super::runner::RunOutcome;
use super::task::DeliveryTask;
use crate::app::App;

/// First attempts one request makes itself; beyond these a batch's deliveries go to the queue
/// at once (one send), so a big batch neither holds the invocation nor waits for the guard.
pub const MAX_INLINE: usize = 20;

impl<P: Platform> App<P> {
    /// Leaves first attempts for after the answer (`take_dispatch`).
    pub(crate) fn defer(&self, dispatch: Dispatch) {
        let mut slot = self.deferred.borrow_mut();
        match slot.as_mut() {
            Some(d) => {
                d.tasks.extend(dispatch.tasks);
                if d.hooks.is_empty() {
                    d.hooks = dispatch.hooks;
                }
            }
            None => *slot = Some(dispatch),
        }
    }

    /// What the request left to do after its answer, if anything.
    pub fn take_dispatch(&self) -> Option<Dispatch> {
        self.deferred.borrow_mut().take()
    }

    /// Makes the first attempts now, as the consumer would: bounded concurrency, one bucket
    /// write per (hook, day), one queue send for the retries. Beyond `MAX_INLINE` they are
    /// queued; if that send fails, the guard still covers them.
    pub async fn dispatch(&self, mut dispatch: Dispatch) -> RunOutcome {
        if dispatch.tasks.len() > MAX_INLINE {
            let later: Vec<(DeliveryTask, u32)> =
                dispatch.tasks.split_off(MAX_INLINE).into_iter().map(|t| (t, 0)).collect();
            if let Err(err) = self.queue.enqueue(&later).await {
                super::runner::log_error(&format!(
                    "could not queue {} first attempts (their buckets' guard will): {err}",
                    later.len()
                ));
            }
        }
        self.run_deliveries(&dispatch.hooks, dispatch.tasks).await
    }
}

#[cfg(test)]
mod tests {
    use crate::api::test_support::{app, call};
    use crate::delivery::ports::HttpOutcome;
    use futures_executor::block_on;

    const HOOK: &str = r#"{"events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h"}}"#;

    fn ok() -> HttpOutcome {
        HttpOutcome::Response { status: 204, retry_after: None, body: String::new() }
    }

    #[test]
    fn ingest_records_pending_deliveries_before_answering_and_attempts_them_after() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        let (status, body) = call(&app, "POST", "/api/events", Some("ingest"), r#"{"event":"PostSignIn"}"#);
        assert_eq!(status, 202);
        let id = body["deliveries"][0]["id"].as_str().unwrap().to_string();
        {
            let stored = app.log.deliveries.borrow();
            assert_eq!(stored.len(), 1, "durable before the answer");
            assert_eq!(
                (stored[0].id.as_str(), stored[0].status.as_str(), stored[0].attempts),
                (id.as_str(), "pending", 0)
            );
            let guard = app.clock.now_ms_for_test() + app.config.dispatch_guard_secs as i64 * 1000;
            assert_eq!(stored[0].next_attempt_at, Some(guard));
        }
        assert!(app.queue.sent.borrow().is_empty(), "no queue operation for a first attempt");
        assert!(app.http.sent().is_empty(), "nothing sent before the answer");
        app.http.script(vec![ok()]);
        let out = block_on(app.dispatch(app.take_dispatch().expect("first attempts left for after")));
        assert_eq!(out.results.len(), 1);
        assert_eq!(app.http.sent().len(), 1);
        assert_eq!(app.log.deliveries.borrow()[0].status, "succeeded");
        assert!(app.queue.sent.borrow().is_empty());
        assert!(app.take_dispatch().is_none(), "taken once");
    }

    #[test]
    fn a_failed_first_attempt_goes_on_to_the_queue_as_a_retry() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        call(&app, "POST", "/api/events", Some("ingest"), r#"{"event":"PostSignIn"}"#);
        app.http.script(vec![HttpOutcome::Response { status: 500, retry_after: None, body: String::new() }]);
        block_on(app.dispatch(app.take_dispatch().unwrap()));
        let sent = app.queue.sent.borrow();
        assert_eq!((sent.len(), sent[0].0.attempt), (1, 2));
        assert_eq!(app.log.deliveries.borrow()[0].status, "retrying");
    }

    #[test]
    fn a_big_batch_attempts_some_inline_and_queues_the_rest_at_once() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        let batch = format!("[{}]", vec![r#"{"event":"PostSignIn"}"#; super::MAX_INLINE + 5].join(","));
        assert_eq!(call(&app, "POST", "/api/events", Some("ingest"), &batch).0, 202);
        app.http.script(vec![ok(); super::MAX_INLINE]);
        block_on(app.dispatch(app.take_dispatch().unwrap()));
        assert_eq!(app.http.sent().len(), super::MAX_INLINE);
        let queued = app.queue.sent.borrow();
        assert_eq!(queued.len(), 5);
        assert!(queued.iter().all(|(t, delay)| t.attempt == 1 && *delay == 0));
    }

    #[test]
    fn a_bucket_that_cannot_record_is_an_error_not_a_202() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        app.log.fail.set(true);
        let (status, _) = call(&app, "POST", "/api/events", Some("ingest"), r#"{"event":"PostSignIn"}"#);
        assert_eq!(status, 503);
        assert!(app.take_dispatch().is_none(), "nothing accepted, nothing dispatched");
    }
}
