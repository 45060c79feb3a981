//! Retention: the scheduled handler drops attempts and finished deliveries older than
//! `LOG_RETENTION_DAYS`, and idempotency keys older than a day.

use super::ports::{Clock, DeliveryLog, DeliveryQueue, DeliveryRecord, Platform};
use super::task::DeliveryTask;
use crate::app::App;
use crate::core::Result;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl<P: Platform> App<P> {
    pub async fn purge_old_logs(&self) -> Result<u64> {
        let now = self.clock.now_ms();
        self.log.purge(now - self.config.log_retention_days as i64 * DAY_MS, now - DAY_MS).await
    }

    /// Re-enqueues retrying deliveries whose next attempt is overdue by more than
    /// `SWEEP_AFTER_SECONDS`: their queue message was lost. Returns how many.
    pub async fn sweep_overdue(&self) -> Result<usize> {
        const BATCH: usize = 500;
        let now = self.clock.now_ms();
        let stuck = self.log.overdue(now - self.config.sweep_after_secs as i64 * 1000, BATCH).await?;
        let mut tasks = Vec::with_capacity(stuck.len());
        let mut records = Vec::with_capacity(stuck.len());
        for d in &stuck {
            let Some(task) = DeliveryTask::resume(d, false) else { continue };
            let payload = task.payload.get().to_string();
            tasks.push((task, 0));
            // Due now: the next sweep leaves it alone unless this message is lost too.
            records.push(DeliveryRecord {
                id: d.id.clone(),
                event_id: d.event_id.clone(),
                hook_id: d.hook_id.clone(),
                event: d.event.clone(),
                payload,
                status: "retrying",
                attempts: d.attempts,
                next_attempt_at: Some(now),
                last_error: d.last_error.clone(),
                at: now,
            });
        }
        if tasks.is_empty() {
            return Ok(0);
        }
        self.queue.enqueue(&tasks).await?;
        self.log.record(&records, &[]).await?;
        Ok(tasks.len())
    }

    /// A message the consumer could not process at all reached the dead-letter queue: the
    /// delivery is recorded as failed so it shows up, and can be replayed.
    pub async fn record_dead_letter(&self, task: &DeliveryTask) -> Result<()> {
        let record = DeliveryRecord {
            id: task.delivery_id.clone(),
            event_id: task.event_id.clone(),
            hook_id: task.hook_id.clone(),
            event: task.event.clone(),
            payload: task.payload.get().to_string(),
            status: "failed",
            attempts: task.attempt.saturating_sub(1),
            next_attempt_at: None,
            last_error: Some("Dead-lettered: the queue consumer could not process this delivery.".into()),
            at: self.clock.now_ms(),
        };
        self.log.record(&[record], &[]).await
    }
}

#[cfg(test)]
mod tests {
    use crate::api::test_support::app;
    use crate::delivery::ports::AttemptRecord;
    use crate::testing::{hook_for, task_for};
    use futures_executor::block_on;

    #[test]
    fn purge_keeps_what_is_younger_than_the_retention() {
        let mut app = app();
        app.config.log_retention_days = 2;
        let now = app.clock.now_ms_for_test();
        for (id, age_days) in [("old", 3), ("young", 1)] {
            app.log.attempts.borrow_mut().push(AttemptRecord {
                id: id.into(),
                delivery_id: "d".into(),
                hook_id: "h".into(),
                event: "PostSignIn".into(),
                number: 1,
                started_at: now - age_days * 86_400_000,
                duration_ms: 1,
                success: true,
                response_status: None,
                response_body: None,
                error: None,
            });
        }
        assert_eq!(block_on(app.purge_old_logs()).unwrap(), 1);
        let left: Vec<_> = app.log.attempts.borrow().iter().map(|a| a.id.clone()).collect();
        assert_eq!(left, ["young"]);
    }

    #[test]
    fn sweeper_re_enqueues_only_long_overdue_retrying_deliveries() {
        use crate::delivery::ports::{DeliveryLog, DeliveryRecord};
        let mut app = app();
        app.config.sweep_after_secs = 60;
        let now = app.clock.now_ms_for_test();
        let record = |id: &str, status: &'static str, next: i64| DeliveryRecord {
            id: id.into(),
            event_id: "evt".into(),
            hook_id: "h".into(),
            event: "PostSignIn".into(),
            payload: "{}".into(),
            status,
            attempts: 2,
            next_attempt_at: Some(next),
            last_error: None,
            at: 0,
        };
        block_on(app.log.record(
            &[
                record("lost", "retrying", now - 120_000),
                record("late", "retrying", now - 30_000),
                record("done", "failed", now - 120_000),
            ],
            &[],
        ))
        .unwrap();
        assert_eq!(block_on(app.sweep_overdue()).unwrap(), 1);
        let sent = app.queue.sent.borrow();
        assert_eq!((sent[0].0.delivery_id.as_str(), sent[0].0.attempt, sent[0].0.manual), ("lost", 3, false));
        drop(sent);
        assert_eq!(block_on(app.sweep_overdue()).unwrap(), 0, "not swept twice in a row");
    }

    #[test]
    fn a_dead_letter_is_recorded_as_a_failed_delivery() {
        let app = app();
        block_on(app.record_dead_letter(&task_for(&hook_for("http://x"), 2))).unwrap();
        let d = app.log.deliveries.borrow()[0].clone();
        assert_eq!((d.status.as_str(), d.attempts), ("failed", 1));
        assert!(d.last_error.unwrap().starts_with("Dead-lettered"));
    }
}
