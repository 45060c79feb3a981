//! Retention: the scheduled handler drops attempts and finished deliveries older than
//! `LOG_RETENTION_DAYS`, and idempotency keys older than a day.

use super::ports::{Clock, DeliveryLog, DeliveryRecord, Platform};
use super::task::DeliveryTask;
use crate::app::App;
use crate::core::Result;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl<P: Platform> App<P> {
    pub async fn purge_old_logs(&self) -> Result<u64> {
        let now = self.clock.now_ms();
        self.log.purge(now - self.config.log_retention_days as i64 * DAY_MS, now - DAY_MS).await
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
    fn a_dead_letter_is_recorded_as_a_failed_delivery() {
        let app = app();
        block_on(app.record_dead_letter(&task_for(&hook_for("http://x"), 2))).unwrap();
        let d = app.log.deliveries.borrow()[0].clone();
        assert_eq!((d.status.as_str(), d.attempts), ("failed", 1));
        assert!(d.last_error.unwrap().starts_with("Dead-lettered"));
    }
}
