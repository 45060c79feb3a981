//! Runs a set of delivery tasks the same way wherever they come from (the queue consumer or
//! `?wait=true`): attempts in parallel within the connection limit, one delivery-log write,
//! one queue send for the retries, then hook disabling (410, or failing too long).

use super::consumer::{self, Next, Processed};
use super::gate::{GateRequest, Grant, Limits};
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

/// How long past its timeout an attempt that never reported back keeps its gate slot.
const LEASE_MARGIN_MS: i64 = 5_000;

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

    pub async fn run_deliveries(&self, hooks: &[Hook], tasks: Vec<DeliveryTask>) -> RunOutcome {
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
        RunOutcome { results, retries_lost }
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
        let mut groups: Vec<(&Hook, Vec<DeliveryTask>)> = Vec::new();
        for task in tasks {
            match gated(&task) {
                None => go.push(task),
                Some(hook) => match groups.iter_mut().find(|(h, _)| h.id == hook.id) {
                    Some((_, list)) => list.push(task),
                    None => groups.push((hook, vec![task])),
                },
            }
        }
        for (hook, list) in groups {
            let limits = Limits {
                per_second: hook.config.rate_limit.map(|r| r.per_second),
                max_in_flight: hook.config.max_in_flight,
            };
            let timeout = hook.config.timeout_ms.unwrap_or(self.config.delivery_timeout_ms) as i64;
            let ids: Vec<String> = list.iter().map(|t| t.delivery_id.clone()).collect();
            let request = GateRequest::Acquire { ids, limits, lease_ms: timeout + LEASE_MARGIN_MS };
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
        if !tasks.is_empty() {
            if let Err(err) = self.queue.enqueue(&tasks).await {
                log_error(&format!("could not send {} operational event deliveries: {err}", tasks.len()));
            }
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
        HttpOutcome::Response { status: 500, retry_after: None, body: "no".into() }
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
        assert!(app.gates.0.borrow().is_empty(), "a hook without limits never asks a gate");
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
        app.http.script(vec![HttpOutcome::Response { status: 204, retry_after: None, body: String::new() }]);
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
        assert!(app.gates.0.borrow().contains_key(&hook.id));
    }
}
