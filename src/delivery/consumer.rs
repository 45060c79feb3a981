//! What the queue consumer does with one task: check the hook still wants it, attempt the
//! delivery, and decide the next step (retry later, done, or disable the hook).

use super::attempt::{self, AttemptReport, Verdict};
use super::ports::{Clock, HttpClient};
use super::request;
use super::task::DeliveryTask;
use crate::core::config::Config;
use crate::core::hook::Hook;
use crate::core::retry::{parse_retry_after, retry_delay, MAX_QUEUE_DELAY_SECS};
use crate::core::url_policy;

#[derive(Debug)]
pub enum Next {
    /// Nothing more to do: delivered, given up (a dead letter), or dropped.
    Done,
    /// Send this task again after the delay.
    Retry { task: DeliveryTask, delay_seconds: u32 },
}

#[derive(Debug)]
pub struct Processed {
    /// The attempt made, if one was made.
    pub report: Option<AttemptReport>,
    pub next: Next,
    /// Why the hook must now be disabled (a 410 answer).
    pub disable_hook: Option<String>,
    /// Why the task was dropped without an attempt.
    pub dropped: Option<&'static str>,
    /// The hook is paused: kept as `held`, not attempted, no retry used.
    pub held: bool,
    /// The hook's gate said not yet (rate limit, max in flight): sent again later with the
    /// same attempt number (no retry used); the delivery is due again at this time.
    pub waited: Option<i64>,
    /// An ordered hook's delivery behind the head of its line (`delivery::line`): it waits
    /// there, no attempt, no retry used, and the line sends it when its turn comes.
    pub behind: bool,
    /// A late duplicate message of a delivery the line already finished: nothing to do.
    pub duplicate: bool,
}

impl Processed {
    fn dropped(reason: &'static str) -> Self {
        Self { dropped: Some(reason), ..Self::done() }
    }

    /// Not attempted yet: the hook's gate has no slot; try again in `delay_seconds`.
    pub fn waiting(task: &DeliveryTask, delay_seconds: u32, due_at: i64) -> Self {
        Self { next: Next::Retry { task: task.clone(), delay_seconds }, waited: Some(due_at), ..Self::done() }
    }

    fn held() -> Self {
        Self { held: true, ..Self::done() }
    }

    /// Waits behind its ordered hook's head; nothing goes to the queue.
    pub fn behind() -> Self {
        Self { behind: true, ..Self::done() }
    }

    /// A duplicate of a finished delivery: dropped without a trace.
    pub fn duplicate() -> Self {
        Self { duplicate: true, ..Self::done() }
    }

    /// Done with nothing happening (the base the others build on).
    pub fn done() -> Self {
        Self {
            report: None,
            next: Next::Done,
            disable_hook: None,
            dropped: None,
            held: false,
            waited: None,
            behind: false,
            duplicate: false,
        }
    }
}

/// Every value `Processed::status` takes (the `?wait=true` answer's `status`).
pub const STEP_STATUSES: &[&str] = &["succeeded", "retrying", "failed", "held", "pending"];

impl Processed {
    /// The delivery's state after this step, as the API reports it.
    pub fn status(&self) -> &'static str {
        if self.held {
            return "held";
        }
        if self.waited.is_some() || self.behind || self.duplicate {
            return "pending";
        }
        match (&self.report, &self.next) {
            (_, Next::Retry { .. }) => "retrying",
            (Some(r), Next::Done) if r.verdict == Verdict::Succeeded => "succeeded",
            _ => "failed",
        }
    }
}

/// `hook` is the task's hook from the current snapshot (`None` if it was deleted); `unit`
/// is a uniform random number in [0, 1) for the retry jitter.
pub async fn process<X: HttpClient, C: Clock>(
    task: &DeliveryTask,
    hook: Option<&Hook>,
    config: &Config,
    http: &X,
    clock: &C,
    unit: f64,
) -> Processed {
    let now = clock.now_ms();
    if let Some(not_before) = task.not_before_ms.filter(|t| *t > now) {
        // A chained hop of a wait longer than the queue allows: wait out the rest.
        let remaining = ((not_before - now) as u64).div_ceil(1000);
        let delay_seconds = remaining.min(MAX_QUEUE_DELAY_SECS as u64) as u32;
        return Processed {
            report: None,
            next: Next::Retry { task: task.clone(), delay_seconds },
            disable_hook: None,
            ..Processed::done()
        };
    }
    let Some(hook) = hook else {
        return Processed::dropped("hook deleted");
    };
    if !hook.enabled {
        return Processed::dropped("hook disabled");
    }
    if !hook.receives(&task.event) {
        return Processed::dropped("hook no longer subscribes to this event");
    }
    if hook.paused {
        // Waiting is never a failed attempt: released as it was when the hook resumes.
        return Processed::held();
    }
    let report = match url_policy::check(&hook.config.url, config.allow_private_targets) {
        Err(e) => AttemptReport::refused(now, format!("Target refused: {e}")),
        Ok(_) => {
            let req =
                request::build(hook, &task.event_id, task.payload.get(), now, config.delivery_timeout_ms);
            attempt::send(http, clock, req).await
        }
    };
    let (next, disable_hook) = match report.verdict {
        Verdict::Succeeded => (Next::Done, None),
        Verdict::Gone => (Next::Done, Some("The endpoint answered 410 Gone.".to_string())),
        // An operator's replay is one attempt, never rescheduled (as in Svix).
        Verdict::Failed(_) if task.manual => (Next::Done, None),
        Verdict::Failed(kind) => {
            let hint = report.retry_after.as_deref().and_then(|v| parse_retry_after(v, now));
            match retry_delay(&config.retry_schedule, hook.config.retries, task.attempt, kind, hint, unit) {
                None => (Next::Done, None),
                Some(delay) => {
                    let mut next = task.next_attempt();
                    if delay > MAX_QUEUE_DELAY_SECS as u64 {
                        next.not_before_ms = Some(now + delay as i64 * 1000);
                    }
                    let delay_seconds = delay.min(MAX_QUEUE_DELAY_SECS as u64) as u32;
                    (Next::Retry { task: next, delay_seconds }, None)
                }
            }
        }
    };
    Processed { report: Some(report), next, disable_hook, ..Processed::done() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::ports::HttpOutcome;
    use crate::testing::{hook_for, task_for, FakeHttp, FixedClock};
    use futures_executor::block_on;

    fn config() -> Config {
        Config { allow_private_targets: true, retry_schedule: vec![1, 2, 3], ..Config::default() }
    }

    fn run(task: DeliveryTask, hook: Option<&Hook>, http: &FakeHttp) -> Processed {
        block_on(process(&task, hook, &config(), http, &FixedClock::at(1_700_000_000_000), 0.5))
    }

    #[test]
    fn success_is_done_after_one_signed_post() {
        let hook = hook_for("http://127.0.0.1:9/h");
        let http = FakeHttp::answering(vec![HttpOutcome::Response {
            status: 204,
            retry_after: None,
            headers: Vec::new(),
            body: String::new(),
        }]);
        let out = run(task_for(&hook, 1), Some(&hook), &http);
        assert!(matches!(out.next, Next::Done));
        assert_eq!(out.report.unwrap().verdict, Verdict::Succeeded);
        let sent = http.sent();
        assert_eq!(sent.len(), 1);
        assert!(sent[0].headers.iter().any(|(n, _)| n == "webhook-signature"));
    }

    #[test]
    fn failure_is_retried_with_the_next_attempt_number_until_the_schedule_ends() {
        let hook = hook_for("http://127.0.0.1:9/h");
        let http = FakeHttp::answering(vec![
            HttpOutcome::Response {
                status: 500,
                retry_after: None,
                headers: Vec::new(),
                body: "no".into()
            };
            4
        ]);
        let first = run(task_for(&hook, 1), Some(&hook), &http);
        match first.next {
            Next::Retry { task, delay_seconds } => assert_eq!((task.attempt, delay_seconds), (2, 1)),
            other => panic!("expected a retry, got {other:?}"),
        }
        let last = run(task_for(&hook, 4), Some(&hook), &http);
        assert!(matches!(last.next, Next::Done), "1 + 3 attempts, then a dead letter");
    }

    #[test]
    fn a_paused_hook_is_not_attempted_and_uses_no_retry() {
        let mut hook = hook_for("http://127.0.0.1:9/h");
        hook.paused = true;
        let http = FakeHttp::default();
        let out = run(task_for(&hook, 3), Some(&hook), &http);
        assert!(http.sent().is_empty());
        assert_eq!(out.status(), "held");
        assert!(matches!(out.next, Next::Done));
        let (d, a) = crate::delivery::record::records(&task_for(&hook, 3), &out, 5);
        let d = d.unwrap();
        assert_eq!(
            (d.status, d.attempts, d.next_attempt_at),
            ("held", 2, None),
            "the attempts made so far stand"
        );
        assert!(a.is_none(), "no attempt recorded");
    }

    #[test]
    fn gone_disables_the_hook_without_retry() {
        let hook = hook_for("http://127.0.0.1:9/h");
        let http = FakeHttp::answering(vec![HttpOutcome::Response {
            status: 410,
            retry_after: None,
            headers: Vec::new(),
            body: String::new(),
        }]);
        let out = run(task_for(&hook, 1), Some(&hook), &http);
        assert!(matches!(out.next, Next::Done));
        assert!(out.disable_hook.is_some());
    }

    #[test]
    fn deleted_disabled_or_unsubscribed_hooks_are_not_called() {
        let mut hook = hook_for("http://127.0.0.1:9/h");
        let http = FakeHttp::answering(vec![]);
        assert_eq!(run(task_for(&hook, 1), None, &http).dropped, Some("hook deleted"));
        hook.enabled = false;
        assert_eq!(run(task_for(&hook, 1), Some(&hook), &http).dropped, Some("hook disabled"));
        hook.enabled = true;
        hook.events = vec!["User.Created".into()];
        assert!(run(task_for(&hook, 1), Some(&hook), &http).dropped.is_some());
        assert!(http.sent().is_empty());
    }

    #[test]
    fn private_target_fails_at_send_time_without_a_request() {
        let hook = hook_for("http://127.0.0.1:9/h");
        let http = FakeHttp::answering(vec![]);
        let strict = Config { allow_private_targets: false, ..config() };
        let out =
            block_on(process(&task_for(&hook, 1), Some(&hook), &strict, &http, &FixedClock::at(0), 0.5));
        assert!(out.report.unwrap().error.unwrap().contains("Target refused"));
        assert!(http.sent().is_empty());
        assert!(matches!(out.next, Next::Retry { .. }));
    }

    #[test]
    fn waits_beyond_the_queue_cap_are_chained() {
        let hook = hook_for("http://127.0.0.1:9/h");
        let http = FakeHttp::answering(vec![HttpOutcome::Response {
            status: 500,
            retry_after: None,
            headers: Vec::new(),
            body: String::new(),
        }]);
        let long = Config { retry_schedule: vec![100_000], ..config() };
        let clock = FixedClock::at(0);
        let out = block_on(process(&task_for(&hook, 1), Some(&hook), &long, &http, &clock, 0.5));
        let Next::Retry { task, delay_seconds } = out.next else { panic!("expected retry") };
        assert_eq!(delay_seconds, MAX_QUEUE_DELAY_SECS);
        assert_eq!(task.not_before_ms, Some(100_000_000));
        // The next hop only waits out the rest, without an attempt.
        let hop = block_on(process(&task, Some(&hook), &long, &http, &FixedClock::at(43_200_000), 0.5));
        assert!(hop.report.is_none());
        let Next::Retry { delay_seconds, .. } = hop.next else { panic!("expected another hop") };
        assert_eq!(delay_seconds, 43_200);
    }
}
