//! Runs a set of delivery tasks the same way wherever they come from (the queue consumer or
//! `?wait=true`): attempts in parallel within the connection limit, one delivery-log write,
//! one queue send for the retries, then hook disabling (410, or failing too long).

use super::consumer::{self, Next, Processed};
use super::gate::{GateRequest, Grant, Limits};
use super::line::{LineReport, LineRequest, Outcome};
use super::ports::{Clock, DeliveryLog, DeliveryQueue, HookGates, Platform, TenantStore};
use super::record::{exhausted, records};
use super::task::DeliveryTask;
use super::{fanout, operational};
use crate::app::App;
use crate::core::hook::Hook;
use crate::core::ids::{self, unit_random};
use crate::core::Error;
use futures_util::stream::{self, StreamExt};

/// Attempts in flight per invocation: Workers allow 6 open connections, and the queue send
/// or a delivery-bucket write needs one.
pub const CONCURRENCY: usize = 5;

/// How long past its timeout an attempt that never reported back keeps its gate slot (or its
/// ordered hook's turn).
const LEASE_MARGIN_MS: i64 = 5_000;

/// An invocation runs at most this many rounds of next heads handed over by ordered hooks'
/// lines, and starts none after this long (`waitUntil` after an ingest answer is cut at
/// 30 s); the line then queues the next head itself.
pub(crate) const MAX_CHAINED: usize = 50;
const CHAIN_BUDGET_MS: i64 = 10_000;

/// How long an ordered hook's deliveries wait when its line cannot be asked.
const LINE_UNAVAILABLE_WAIT_S: u32 = 5;

pub struct RunOutcome {
    pub results: Vec<(DeliveryTask, Processed)>,
    /// Retries could not be enqueued: the caller must not acknowledge those tasks.
    pub retries_lost: Option<Error>,
}

impl<P: Platform> App<P> {
    /// The hooks of every tenant the tasks belong to: one (cached) read per tenant. A tenant
    /// deleted meanwhile has none, so its deliveries are dropped with a record.
    pub async fn hooks_for(&self, tasks: &[DeliveryTask]) -> Result<Vec<Hook>, Error> {
        let mut tenants: Vec<&str> = tasks.iter().map(|t| t.tenant.as_str()).collect();
        tenants.sort_unstable();
        tenants.dedup();
        let mut hooks = Vec::new();
        for id in tenants {
            if let Some(tenant) = self.tenants.load(id).await? {
                hooks.extend(tenant.hooks);
            }
        }
        Ok(hooks)
    }

    /// Runs the tasks; then, while ordered hooks' lines hand over their next head (and the
    /// invocation's budget lasts), runs those too: an ordered hook's backlog drains without a
    /// queue hop between deliveries. The outcome is the given tasks' (what their messages need).
    pub async fn run_deliveries(&self, hooks: &[Hook], tasks: Vec<DeliveryTask>) -> RunOutcome {
        let until = self.clock.now_ms() + CHAIN_BUDGET_MS;
        let (mut outcome, mut next) = self.run_once(hooks, tasks, Vec::new(), true).await;
        let mut hops = 0;
        while !next.is_empty() {
            hops += 1;
            let more = hops < MAX_CHAINED && self.clock.now_ms() < until;
            let started: Vec<String> = next.iter().map(|t| t.delivery_id.clone()).collect();
            let (chained, after) = self.run_once(hooks, next, started, more).await;
            if let Some(err) = chained.retries_lost {
                // No message to redeliver: the line sends its head again after the deadline.
                log_error(&format!("could not schedule a chained delivery's retry: {err}"));
            }
            outcome.results.extend(chained.results);
            next = after;
        }
        outcome
    }

    /// Runs exactly these tasks (a synced ingest answers for its own deliveries, not for an
    /// ordered hook's backlog): the lines queue their next heads.
    pub async fn run_deliveries_alone(&self, hooks: &[Hook], tasks: Vec<DeliveryTask>) -> RunOutcome {
        self.run_once(hooks, tasks, Vec::new(), false).await.0
    }

    /// One round: `begun` are next heads a line already handed to this invocation. Returns the
    /// outcome and, when `chain`, the next heads the lines handed over.
    async fn run_once(
        &self,
        hooks: &[Hook],
        tasks: Vec<DeliveryTask>,
        begun: Vec<String>,
        chain: bool,
    ) -> (RunOutcome, Vec<DeliveryTask>) {
        let (tasks, in_line, started) = self.through_lines(hooks, tasks, begun).await;
        let (tasks, waiting, granted) = self.through_gates(hooks, tasks).await;
        let mut results: Vec<(DeliveryTask, Processed)> = stream::iter(tasks)
            .map(|task| async move {
                // A task only ever reaches a hook of its own tenant.
                let hook = hooks.iter().find(|h| h.id == task.hook_id && h.tenant_id == task.tenant);
                let out =
                    consumer::process(&task, hook, &self.config, &self.http, &self.clock, unit_random())
                        .await;
                (task, out)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for (hook_id, ids) in granted {
            // A lost release only holds a slot until its lease ends.
            if let Err(err) = self.gates.release(&hook_id, &GateRequest::Release { ids }).await {
                log_error(&format!("could not release gate slots of {hook_id}: {err}"));
            }
        }
        results.extend(waiting);
        results.extend(in_line);

        let now = self.clock.now_ms();
        let (mut deliveries, mut attempts) = (Vec::new(), Vec::new());
        for (task, out) in &results {
            let (d, a) = records(task, out, now);
            deliveries.extend(d);
            attempts.extend(a);
        }
        if let Err(err) = self.log.record(&deliveries, &attempts).await {
            // The attempts happened; losing their log rows must not lose the deliveries.
            log_error(&format!("could not record {} attempt(s): {err}", attempts.len()));
        }

        let retries: Vec<(DeliveryTask, u32)> = results
            .iter()
            .filter_map(|(_, out)| match &out.next {
                Next::Retry { task, delay_seconds } => Some((task.clone(), *delay_seconds)),
                Next::Done => None,
            })
            .collect();
        let retries_lost = if retries.is_empty() { None } else { self.queue.enqueue(&retries).await.err() };
        let next = if started.is_empty() {
            Vec::new()
        } else {
            self.report_to_lines(hooks, &results, &started, now, chain).await
        };

        let mut to_disable: Vec<operational::Disable> = Vec::new();
        for (task, out) in &results {
            if let Some(reason) = &out.disable_hook {
                to_disable.push((task.tenant.clone(), task.hook_id.clone(), reason.clone()));
            } else if exhausted(task, out) && !to_disable.iter().any(|(_, id, _)| *id == task.hook_id) {
                if let Some(reason) = self.failing_too_long(&task.hook_id, now).await {
                    to_disable.push((task.tenant.clone(), task.hook_id.clone(), reason));
                }
            }
        }
        let (happened, marks) = operational::happenings(&results, &to_disable, hooks);
        if let Err(err) = operational::update_hooks(&self.tenants, &to_disable, &marks, now).await {
            log_error(&format!("could not update hooks: {err}"));
        }
        self.emit(&happened, hooks, now).await;
        (RunOutcome { results, retries_lost }, next)
    }

    /// Asks the line of each ordered hook (SPEC §11) which of its tasks may start: only its
    /// head. The others wait in the line (recorded, nothing queued) or are duplicates of
    /// finished deliveries. Returns the tasks to run, the waiting ones, and the started ids.
    async fn through_lines(
        &self,
        hooks: &[Hook],
        tasks: Vec<DeliveryTask>,
        begun: Vec<String>,
    ) -> (Vec<DeliveryTask>, Vec<(DeliveryTask, Processed)>, Vec<String>) {
        let ordered = |t: &DeliveryTask| {
            hooks.iter().find(|h| {
                h.id == t.hook_id
                    && h.tenant_id == t.tenant
                    && h.config.ordered
                    && !begun.contains(&t.delivery_id)
            })
        };
        if !tasks.iter().any(|t| ordered(t).is_some()) {
            return (tasks, Vec::new(), begun);
        }
        let now = self.clock.now_ms();
        let (mut go, mut in_line, mut started) = (Vec::new(), Vec::new(), begun.clone());
        for (hook, list) in group_by_hook(tasks, ordered, &mut go) {
            let request = LineRequest::Begin { tasks: list.clone(), lease_ms: self.lease_ms(hook) };
            let answer = match self.gates.line(&hook.id, request, now).await {
                Ok(answer) => answer,
                Err(err) => {
                    log_error(&format!("line of {} unavailable, its deliveries wait: {err}", hook.id));
                    for task in list {
                        let due_at = now + LINE_UNAVAILABLE_WAIT_S as i64 * 1000;
                        in_line
                            .push((task.clone(), Processed::waiting(&task, LINE_UNAVAILABLE_WAIT_S, due_at)));
                    }
                    continue;
                }
            };
            for task in list {
                if answer.go.contains(&task.delivery_id) {
                    started.push(task.delivery_id.clone());
                    go.push(task);
                } else if answer.stale.contains(&task.delivery_id) {
                    in_line.push((task, Processed::duplicate()));
                } else {
                    in_line.push((task, Processed::behind()));
                }
            }
        }
        (go, in_line, started)
    }

    /// Tells each ordered hook's line what became of its head: done (the next one goes),
    /// due again (it keeps the others waiting), or held by a pause. One call per hook. With
    /// `chain`, the lines hand their next heads back to be run here; otherwise they queue them.
    async fn report_to_lines(
        &self,
        hooks: &[Hook],
        results: &[(DeliveryTask, Processed)],
        started: &[String],
        now: i64,
        chain: bool,
    ) -> Vec<DeliveryTask> {
        let mut by_hook: Vec<(String, Vec<LineReport>)> = Vec::new();
        for (task, out) in results.iter().filter(|(t, _)| started.contains(&t.delivery_id)) {
            let outcome = if out.held {
                Outcome::Held
            } else {
                match &out.next {
                    Next::Retry { task: next, delay_seconds } => {
                        let due_at =
                            out.waited.or(next.not_before_ms).unwrap_or(now + *delay_seconds as i64 * 1000);
                        Outcome::Again { task: next.clone(), due_at }
                    }
                    Next::Done => Outcome::Done { attempt: task.attempt },
                }
            };
            let report = LineReport { delivery_id: task.delivery_id.clone(), outcome };
            match by_hook.iter_mut().find(|(h, _)| *h == task.hook_id) {
                Some((_, list)) => list.push(report),
                None => by_hook.push((task.hook_id.clone(), vec![report])),
            }
        }
        let mut next = Vec::new();
        for (hook_id, reports) in by_hook {
            let continue_lease_ms =
                hooks.iter().find(|h| h.id == hook_id).map(|h| self.lease_ms(h)).filter(|_| chain);
            // If this is lost, the line sends its head again after the deadline.
            match self.gates.line(&hook_id, LineRequest::Report { reports, continue_lease_ms }, now).await {
                Ok(answer) => next.extend(answer.next),
                Err(err) => log_error(&format!("could not report to the line of {hook_id}: {err}")),
            }
        }
        next
    }

    /// How long an attempt to the hook may take before its slot or turn is given up.
    pub(crate) fn lease_ms(&self, hook: &Hook) -> i64 {
        hook.config.timeout_ms.unwrap_or(self.config.delivery_timeout_ms) as i64 + LEASE_MARGIN_MS
    }

    /// Asks the gate of each hook with limits (SPEC §11) which of its tasks may start now.
    /// The others wait: sent again later with the same attempt (no retry used), spread over
    /// the slots the hook's limits leave, and due then (so no guard resends them meanwhile).
    async fn through_gates(
        &self,
        hooks: &[Hook],
        tasks: Vec<DeliveryTask>,
    ) -> (Vec<DeliveryTask>, Vec<(DeliveryTask, Processed)>, Vec<(String, Vec<String>)>) {
        let gated = |t: &DeliveryTask| {
            hooks
                .iter()
                .find(|h| h.id == t.hook_id && h.tenant_id == t.tenant)
                .filter(|h| h.config.has_limits() && h.enabled && !h.paused && h.receives(&t.event))
        };
        if !tasks.iter().any(|t| gated(t).is_some()) {
            return (tasks, Vec::new(), Vec::new());
        }
        let now = self.clock.now_ms();
        let (mut go, mut waiting, mut granted) = (Vec::new(), Vec::new(), Vec::new());
        let groups = group_by_hook(tasks, gated, &mut go);
        for (hook, list) in groups {
            let limits = Limits {
                per_second: hook.config.rate_limit.map(|r| r.per_second),
                max_in_flight: hook.config.max_in_flight,
            };
            let ids: Vec<String> = list.iter().map(|t| t.delivery_id.clone()).collect();
            let request = GateRequest::Acquire { ids, limits, lease_ms: self.lease_ms(hook) };
            let grant = self.gates.acquire(&hook.id, &request, now).await.unwrap_or_else(|err| {
                log_error(&format!("gate of {} unavailable, its deliveries wait: {err}", hook.id));
                Grant { granted: Vec::new(), retry_in_ms: Some(1000) }
            });
            let spacing = 1000 / limits.per_second.or(limits.max_in_flight).unwrap_or(1).max(1) as i64;
            let mut k = 0;
            for task in list {
                if grant.granted.contains(&task.delivery_id) {
                    go.push(task);
                    continue;
                }
                let wait_ms = grant.retry_in_ms.unwrap_or(1000) + k * spacing;
                k += 1;
                let delay_seconds = ((wait_ms + 999) / 1000).clamp(1, 3600) as u32;
                let guard = if task.attempt <= 1 { self.config.dispatch_guard_secs as i64 * 1000 } else { 0 };
                let due_at = now + delay_seconds as i64 * 1000 + guard;
                waiting.push((task.clone(), Processed::waiting(&task, delay_seconds, due_at)));
            }
            if !grant.granted.is_empty() {
                granted.push((hook.id.clone(), grant.granted));
            }
        }
        (go, waiting, granted)
    }

    /// Sends operational events to the subscribed hooks of their tenant, through the queue.
    async fn emit(&self, happened: &[operational::Happening], hooks: &[Hook], now_ms: i64) {
        let mut tasks: Vec<(DeliveryTask, u32)> = Vec::new();
        for h in happened {
            let event = h.to_event(ids::event_id(now_ms), now_ms);
            let theirs: Vec<Hook> = hooks.iter().filter(|hook| hook.tenant_id == h.tenant).cloned().collect();
            match fanout::plan(&event, &theirs, |hook| ids::delivery_id(hook, now_ms)) {
                Ok(planned) => tasks.extend(planned.into_iter().map(|t| (t, 0))),
                Err(err) => log_error(&format!("could not plan {}: {err}", h.event)),
            }
        }
        if tasks.is_empty() {
            return;
        }
        // Stored `pending` first, as ingest does: if the send below fails, their buckets'
        // guard sends them later.
        let guard_until = now_ms + self.config.dispatch_guard_secs as i64 * 1000;
        let pending: Vec<_> =
            tasks.iter().map(|(t, _)| super::record::planned(t, guard_until, now_ms, false)).collect();
        if let Err(err) = self.log.record(&pending, &[]).await {
            log_error(&format!("could not store {} operational event deliveries: {err}", pending.len()));
        }
        if let Err(err) = self.queue.enqueue(&tasks).await {
            log_error(&format!(
                "could not send {} operational event deliveries (their guard will): {err}",
                tasks.len()
            ));
        }
    }

    /// Svix's rule: a hook whose attempts have all failed for `AUTO_DISABLE_AFTER_HOURS`
    /// (any success resets the clock) is disabled when a delivery exhausts its retries.
    async fn failing_too_long(&self, hook_id: &str, now_ms: i64) -> Option<String> {
        let hours = self.config.auto_disable_after_hours as i64;
        let since = self.log.failing_since(hook_id).await.ok()??;
        (now_ms - since >= hours * 3_600_000).then(|| {
            format!("Disabled automatically: every delivery attempt has failed for at least {hours} hours.")
        })
    }
}

/// Tasks of the hooks `pick` selects, grouped by hook in their order; the others go to `rest`.
pub(crate) fn group_by_hook<'h>(
    tasks: Vec<DeliveryTask>,
    pick: impl Fn(&DeliveryTask) -> Option<&'h Hook>,
    rest: &mut Vec<DeliveryTask>,
) -> Vec<(&'h Hook, Vec<DeliveryTask>)> {
    let mut groups: Vec<(&Hook, Vec<DeliveryTask>)> = Vec::new();
    for task in tasks {
        match pick(&task) {
            None => rest.push(task),
            Some(hook) => match groups.iter_mut().find(|(h, _)| h.id == hook.id) {
                Some((_, list)) => list.push(task),
                None => groups.push((hook, vec![task])),
            },
        }
    }
    groups
}

pub(crate) fn log_error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_error!("{message}");
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}

#[cfg(test)]
mod tests {
    use crate::api::test_support::app;
    use crate::delivery::ports::HttpOutcome;
    use crate::testing::{hook_for, task_for};
    use futures_executor::block_on;

    fn fail() -> HttpOutcome {
        HttpOutcome::Response { status: 500, retry_after: None, headers: Vec::new(), body: "no".into() }
    }

    #[test]
    fn records_attempts_and_enqueues_retries_in_one_go() {
        let app = app();
        let hook = hook_for("http://127.0.0.1:9/h");
        app.http.script(vec![fail(), fail()]);
        let mut second = task_for(&hook, 1);
        second.delivery_id = "dlv_2".into();
        let out = block_on(app.run_deliveries(std::slice::from_ref(&hook), vec![task_for(&hook, 1), second]));
        assert!(out.retries_lost.is_none());
        assert_eq!(app.log.attempts.borrow().len(), 2);
        assert_eq!(app.log.deliveries.borrow().len(), 2);
        assert_eq!(app.queue.sent.borrow().len(), 2);
        assert!(app.queue.sent.borrow().iter().all(|(t, _)| t.attempt == 2));
        assert_eq!(app.gates.calls.get(), 0, "a hook without controls never asks a gate or a line");
    }

    #[test]
    fn exhausting_retries_after_failing_long_enough_disables_the_hook() {
        let mut app = app();
        app.config.auto_disable_after_hours = 1;
        app.config.retry_schedule = vec![1];
        let hook = hook_for("http://127.0.0.1:9/h");
        app.tenants.set_hooks("default", vec![hook.clone()]);
        // Failing since two hours ago.
        app.log.attempts.borrow_mut().push(crate::delivery::ports::AttemptRecord {
            id: "att_old".into(),
            delivery_id: "dlv_old".into(),
            hook_id: hook.id.clone(),
            event: "PostSignIn".into(),
            number: 1,
            started_at: app.clock.now_ms_for_test() - 2 * 3_600_000,
            duration_ms: 1,
            success: false,
            response_status: Some(500),
            response_body: None,
            response_headers: None,
            error: None,
        });
        app.http.script(vec![fail()]);
        block_on(app.run_deliveries(std::slice::from_ref(&hook), vec![task_for(&hook, 2)]));
        let stored = app.tenants.hooks_of("default")[0].clone();
        assert!(!stored.enabled);
        assert!(stored.disabled_reason.unwrap().contains("1 hours"));
    }

    #[test]
    fn a_recent_success_resets_the_failure_clock() {
        let mut app = app();
        app.config.auto_disable_after_hours = 1;
        app.config.retry_schedule = vec![1];
        let hook = hook_for("http://127.0.0.1:9/h");
        app.tenants.set_hooks("default", vec![hook.clone()]);
        let now = app.clock.now_ms_for_test();
        for (at, success) in [(now - 3 * 3_600_000, false), (now - 60_000, true)] {
            app.log.attempts.borrow_mut().push(crate::delivery::ports::AttemptRecord {
                id: format!("att_{at}"),
                delivery_id: "dlv_old".into(),
                hook_id: hook.id.clone(),
                event: "PostSignIn".into(),
                number: 1,
                started_at: at,
                duration_ms: 1,
                success,
                response_status: None,
                response_body: None,
                response_headers: None,
                error: None,
            });
        }
        app.http.script(vec![fail()]);
        block_on(app.run_deliveries(std::slice::from_ref(&hook), vec![task_for(&hook, 2)]));
        assert!(app.tenants.hooks_of("default")[0].enabled);
    }

    #[test]
    fn a_rate_limited_hook_attempts_what_its_gate_allows_and_the_rest_waits_without_a_retry() {
        let app = app();
        let mut hook = hook_for("http://127.0.0.1:9/h");
        hook.config.rate_limit = Some(crate::core::hook::RateLimit { per_second: 1 });
        let tasks: Vec<_> = (0..3)
            .map(|n| {
                let mut t = task_for(&hook, 1);
                t.delivery_id = format!("dlv_{n}");
                t
            })
            .collect();
        app.http.script(vec![HttpOutcome::Response {
            status: 204,
            retry_after: None,
            headers: Vec::new(),
            body: String::new(),
        }]);
        let out = block_on(app.run_deliveries(std::slice::from_ref(&hook), tasks));
        assert_eq!(app.http.sent().len(), 1, "one start in this second");
        let sent = app.queue.sent.borrow();
        assert_eq!(
            sent.iter().map(|(t, d)| (t.attempt, *d)).collect::<Vec<_>>(),
            [(1, 1), (1, 2)],
            "spread, same attempt"
        );
        let waiting: Vec<_> = out.results.iter().filter(|(_, p)| p.status() == "pending").collect();
        assert_eq!(waiting.len(), 2);
        let stored = app.log.deliveries.borrow();
        assert!(stored
            .iter()
            .filter(|d| d.status == "pending")
            .all(|d| d.attempts == 0 && d.next_attempt_at.is_some()));
        assert!(app.log.attempts.borrow().len() == 1, "waiting is not an attempt");
        // The gate's slot was released after the attempt; the second still waits for the next second.
        assert!(app.gates.gates.borrow().contains_key(&hook.id));
    }

    #[test]
    fn an_operational_event_is_stored_pending_before_it_is_sent_so_a_failed_send_loses_nothing() {
        let mut app = app();
        app.config.retry_schedule = vec![];
        let hook = hook_for("http://127.0.0.1:9/h");
        let mut watcher = hook_for("http://127.0.0.1:9/ops");
        watcher.id = "watcher00000000000001".into();
        watcher.events = vec!["Delivery.Exhausted".into()];
        app.http.script(vec![fail()]);
        app.queue.fail.set(true);
        block_on(app.run_deliveries(&[hook.clone(), watcher.clone()], vec![task_for(&hook, 1)]));
        assert!(app.queue.sent.borrow().is_empty(), "the send failed");
        let stored = app.log.deliveries.borrow();
        let ops: Vec<_> = stored.iter().filter(|d| d.hook_id == watcher.id).collect();
        assert_eq!(ops.len(), 1, "yet the exhaustion's delivery is stored");
        let guard = app.clock.now_ms_for_test() + app.config.dispatch_guard_secs as i64 * 1000;
        assert_eq!(
            (ops[0].event.as_str(), ops[0].status.as_str(), ops[0].next_attempt_at),
            ("Delivery.Exhausted", "pending", Some(guard)),
            "its bucket's guard sends it"
        );
    }
}
