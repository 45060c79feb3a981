//! Dispatch at ingest: the first attempt of each planned delivery is made right after the
//! 202, in the same invocation (the Worker runs it in `waitUntil`), instead of waiting for a
//! queue hop. Durability does not depend on it: every delivery was written to its hook's
//! bucket as `pending` before the answer, and the bucket's alarm attempts, through the
//! queue, whatever has no recorded first attempt when its guard time passes (the isolate
//! died, `waitUntil` was cut, a record write failed). Retries stay on the queue.

pub use super::fanout::Dispatch;
use super::line::LineRequest;
use super::ports::{Clock, DeliveryQueue, HookGates, Platform};
use super::runner::{group_by_hook, RunOutcome};
use super::task::DeliveryTask;
use crate::app::App;
use crate::core::hook::Hook;
use crate::core::Error;

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

    /// Ordered hooks' deliveries join their hooks' lines (SPEC §11), in the order given; the
    /// others are returned untouched. `from_ingest`: the caller dispatches a delivery that
    /// became its line's head itself (and a paused hook's join held); otherwise the line sends
    /// it through the queue. Returns the other tasks and the ids that wait in a line.
    pub(crate) async fn join_lines(
        &self,
        hooks: &[Hook],
        tasks: Vec<DeliveryTask>,
        from_ingest: bool,
    ) -> Result<(Vec<DeliveryTask>, Vec<String>), Error> {
        let ordered = |t: &DeliveryTask| hooks.iter().find(|h| h.id == t.hook_id && h.config.ordered);
        let mut rest = Vec::new();
        let groups = group_by_hook(tasks, ordered, &mut rest);
        let mut waiting = Vec::new();
        let now = self.clock.now_ms();
        for (hook, list) in groups {
            let ids: Vec<String> = list.iter().map(|t| t.delivery_id.clone()).collect();
            let request = LineRequest::Append {
                tasks: list,
                held: from_ingest && hook.paused,
                caller_starts: from_ingest,
                lease_ms: self.lease_ms(hook),
            };
            let answer = self.gates.line(&hook.id, request, now).await?;
            waiting.extend(ids.into_iter().filter(|id| !answer.go.contains(id)));
        }
        Ok((rest, waiting))
    }
}

#[cfg(test)]
mod tests {
    use crate::api::test_support::{app, call};
    use crate::delivery::ports::HttpOutcome;
    use futures_executor::block_on;

    const HOOK: &str = r#"{"events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h"}}"#;

    fn ok() -> HttpOutcome {
        HttpOutcome::Response { status: 204, retry_after: None, headers: Vec::new(), body: String::new() }
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
        app.http.script(vec![HttpOutcome::Response {
            status: 500,
            retry_after: None,
            headers: Vec::new(),
            body: String::new(),
        }]);
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

#[cfg(test)]
mod ordered_tests {
    use crate::api::test_support::{app, call};
    use crate::delivery::line::LineStore;
    use crate::delivery::ports::HttpOutcome;
    use futures_executor::block_on;

    const ORDERED: &str =
        r#"{"events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h","ordered":true}}"#;

    fn answer(status: u16) -> HttpOutcome {
        HttpOutcome::Response { status, retry_after: None, headers: Vec::new(), body: String::new() }
    }

    #[test]
    fn an_ordered_hook_attempts_one_at_a_time_and_a_failing_head_holds_the_rest() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), ORDERED);
        let batch =
            r#"[{"event":"PostSignIn","n":1},{"event":"PostSignIn","n":2},{"event":"PostSignIn","n":3}]"#;
        let (status, body) = call(&app, "POST", "/api/events", Some("ingest"), batch);
        assert_eq!(status, 202);
        let ids: Vec<String> =
            (0..3).map(|i| body[i]["deliveries"][0]["id"].as_str().unwrap().to_string()).collect();
        {
            let stored = app.log.deliveries.borrow();
            let of = |id: &str| stored.iter().find(|d| d.id == id).unwrap().clone();
            assert!(of(&ids[0]).next_attempt_at.is_some(), "the head is dispatched, its guard set");
            assert_eq!((of(&ids[1]).status.as_str(), of(&ids[1]).next_attempt_at), ("pending", None));
        }
        let dispatch = app.take_dispatch().unwrap();
        assert_eq!(dispatch.tasks.len(), 1, "only the head starts now");
        app.http.script(vec![answer(500)]);
        block_on(app.dispatch(dispatch));
        assert!(app.gates.sent.borrow().is_empty(), "the failed head holds the others");
        let retry = app.queue.sent.borrow()[0].0.clone();
        assert_eq!((retry.delivery_id.as_str(), retry.attempt), (ids[0].as_str(), 2));

        // The second delivery shows up on its own (a guard, a duplicate): it still waits.
        let second = app.gates.lines.borrow()[&retry.hook_id].task(&ids[1]).unwrap();
        let out = block_on(app.run_deliveries(&app.tenants.hooks_of("default"), vec![second]));
        assert_eq!(out.results[0].1.status(), "pending");
        assert_eq!(app.http.sent().len(), 1, "not attempted");

        // The head's retry succeeds: the line hands the next one to this invocation, and so on.
        app.http.script(vec![answer(204); 3]);
        let out = block_on(app.run_deliveries(&app.tenants.hooks_of("default"), vec![retry]));
        let ran: Vec<&str> = out.results.iter().map(|(t, _)| t.delivery_id.as_str()).collect();
        assert_eq!(ran, [&ids[0], &ids[1], &ids[2]], "chained in ingest order");
        assert!(app.gates.sent.borrow().is_empty(), "no queue hop between them");
        let bodies: Vec<String> =
            app.http.sent().iter().map(|r| String::from_utf8_lossy(&r.body).to_string()).collect();
        let order: Vec<usize> = bodies
            .iter()
            .map(|b| {
                if b.contains("\"n\":1") {
                    1
                } else if b.contains("\"n\":2") {
                    2
                } else {
                    3
                }
            })
            .collect();
        assert_eq!(order, [1, 1, 2, 3], "the head twice, then the rest in ingest order");
        assert!(app.log.deliveries.borrow().iter().all(|d| d.status == "succeeded"));
    }

    #[test]
    fn a_synced_ingest_behind_an_ordered_head_answers_pending_and_runs_nothing_else() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), ORDERED);
        call(&app, "POST", "/api/events", Some("ingest"), r#"{"event":"PostSignIn"}"#);
        let head = app.take_dispatch().unwrap();
        let (status, body) =
            call(&app, "POST", "/api/events?wait=true", Some("ingest"), r#"{"event":"PostSignIn"}"#);
        assert_eq!(status, 200);
        assert_eq!(body["deliveries"][0]["status"], "pending", "it waits its turn");
        assert!(app.http.sent().is_empty());
        app.http.script(vec![answer(204); 2]);
        let out = block_on(app.dispatch(head));
        assert_eq!(out.results.len(), 2, "the head, then the synced one chained behind it");
        assert_eq!(app.http.sent().len(), 2);
    }

    #[test]
    fn a_chain_stops_after_its_budget_and_the_line_queues_the_next_head() {
        let app = app();
        call(&app, "POST", "/api/hooks", Some("admin"), ORDERED);
        let n = super::super::runner::MAX_CHAINED + 3;
        let batch = format!("[{}]", vec![r#"{"event":"PostSignIn"}"#; n].join(","));
        assert_eq!(call(&app, "POST", "/api/events", Some("ingest"), &batch).0, 202);
        app.http.script(vec![answer(204); n]);
        block_on(app.dispatch(app.take_dispatch().unwrap()));
        assert_eq!(
            app.http.sent().len(),
            super::super::runner::MAX_CHAINED + 1,
            "the head and the chained rounds"
        );
        assert_eq!(app.gates.sent.borrow().len(), 1, "then the line queues the next head itself");
    }

    #[test]
    fn an_ordered_hook_with_a_rate_limit_waits_for_its_slot_without_losing_its_turn() {
        let app = app();
        let hook = r#"{"events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h","ordered":true,"rateLimit":{"perSecond":1}}}"#;
        call(&app, "POST", "/api/hooks", Some("admin"), hook);
        let batch = r#"[{"event":"PostSignIn","n":1},{"event":"PostSignIn","n":2}]"#;
        let (_, body) = call(&app, "POST", "/api/events", Some("ingest"), batch);
        let second = body[1]["deliveries"][0]["id"].as_str().unwrap().to_string();
        app.http.script(vec![answer(204); 2]);
        block_on(app.dispatch(app.take_dispatch().unwrap()));
        assert_eq!(app.http.sent().len(), 1, "the second is next, but this second's start is used");
        let queued = app.queue.sent.borrow().clone();
        assert_eq!(queued.len(), 1);
        assert_eq!(
            (queued[0].0.delivery_id.as_str(), queued[0].0.attempt, queued[0].1),
            (second.as_str(), 1, 1)
        );
        app.clock.0.set(app.clock.now_ms_for_test() + 1_000);
        block_on(app.run_deliveries(&app.tenants.hooks_of("default"), vec![queued[0].0.clone()]));
        assert_eq!(app.http.sent().len(), 2, "still its turn a second later: it goes");
        assert!(app.gates.sent.borrow().is_empty());
    }

    #[test]
    fn turning_ordering_off_sends_what_waits_in_the_line() {
        let app = app();
        let (_, hook) = call(&app, "POST", "/api/hooks", Some("admin"), ORDERED);
        let id = hook["id"].as_str().unwrap();
        let batch = r#"[{"event":"PostSignIn"},{"event":"PostSignIn"},{"event":"PostSignIn"}]"#;
        call(&app, "POST", "/api/events", Some("ingest"), batch);
        let patch = r#"{"config":{"url":"http://127.0.0.1:9/h"}}"#;
        assert_eq!(call(&app, "PATCH", &format!("/api/hooks/{id}"), Some("admin"), patch).0, 200);
        assert_eq!(app.gates.sent.borrow().len(), 2, "the two behind the head go to the queue");
    }
}
