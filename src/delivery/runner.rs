//! Runs a set of delivery tasks the same way wherever they come from (the queue consumer or
//! `?wait=true`): attempts in parallel within the connection limit, one delivery-log write,
//! one queue send for the retries, then hook disabling (410, or failing too long).

use super::consumer::{self, Next, Processed};
use super::ports::{Clock, DeliveryLog, DeliveryQueue, Platform, TenantStore};
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
        let results: Vec<(DeliveryTask, Processed)> = stream::iter(tasks)
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

    /// Sends operational events to the subscribed hooks of their tenant, through the queue.
    async fn emit(&self, happened: &[operational::Happening], hooks: &[Hook], now_ms: i64) {
        let mut tasks: Vec<(DeliveryTask, u32)> = Vec::new();
        for h in happened {
            let event = h.to_event(ids::event_id(), now_ms);
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
}
