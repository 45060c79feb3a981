//! Retention and the sweeper, now per bucket (`delivery/buckets.rs`): a bucket object
//! deletes itself `LOG_RETENTION_DAYS` after its day (no row scans), and its alarm
//! re-enqueues retries whose queue message was lost. This module holds the decisions;
//! the object only runs them.

use super::ports::{Clock, DeliveryLog, DeliveryRecord, Platform, StoredDelivery};
use super::task::DeliveryTask;
use crate::app::App;
use crate::core::Result;

/// What the sweeper does with deliveries due a sweep (`buckets::sweep_due`): one queue task
/// each (the next attempt: the first for a `pending` one), and the delivery marked as swept
/// so the next sweep leaves it alone unless this message is lost too: a retrying one due
/// `now` (swept again `SWEEP_AFTER_SECONDS` later), a pending one guarded for `guard_ms` more.
pub fn sweep_plan(
    tenant: &str,
    stuck: &[StoredDelivery],
    now_ms: i64,
    guard_ms: i64,
) -> (Vec<(DeliveryTask, u32)>, Vec<DeliveryRecord>) {
    let mut tasks = Vec::with_capacity(stuck.len());
    let mut records = Vec::with_capacity(stuck.len());
    for d in stuck.iter() {
        let (status, next) = match d.status.as_str() {
            "retrying" => ("retrying", now_ms),
            "pending" => ("pending", now_ms + guard_ms),
            _ => continue,
        };
        let Some(task) = d.next_task(tenant, false) else { continue };
        let payload = task.payload.get().to_string();
        tasks.push((task, 0));
        records.push(DeliveryRecord {
            tenant: tenant.to_string(),
            id: d.id.clone(),
            event_id: d.event_id.clone(),
            hook_id: d.hook_id.clone(),
            event: d.event.clone(),
            payload,
            status,
            attempts: d.attempts,
            next_attempt_at: Some(next),
            last_error: d.last_error.clone(),
            at: now_ms,
        });
    }
    (tasks, records)
}

impl<P: Platform> App<P> {
    /// A message the consumer could not process at all reached the dead-letter queue: the
    /// delivery is recorded as failed so it shows up, and can be replayed.
    pub async fn record_dead_letter(&self, task: &DeliveryTask) -> Result<()> {
        let record = super::record::state(
            task,
            "failed",
            task.attempt.saturating_sub(1),
            None,
            Some("Dead-lettered: the queue consumer could not process this delivery.".into()),
            self.clock.now_ms(),
        );
        self.log.record(&[record], &[]).await
    }
}

#[cfg(test)]
mod tests {
    use crate::api::test_support::app;
    use crate::testing::{hook_for, task_for};
    use futures_executor::block_on;

    #[test]
    fn sweeper_re_enqueues_lost_retries_and_unrecorded_first_attempts_only() {
        use crate::delivery::ports::StoredDelivery;
        let stored = |id: &str, status: &str| StoredDelivery {
            id: id.into(),
            event_id: "evt".into(),
            hook_id: "h".into(),
            event: "PostSignIn".into(),
            status: status.into(),
            attempts: 2,
            next_attempt_at: Some(1),
            last_error: Some("HTTP 500".into()),
            created_at: 0,
            updated_at: 0,
            payload: Some("{}".into()),
        };
        let unattempted = StoredDelivery { attempts: 0, ..stored("never", "pending") };
        let (tasks, records) = super::sweep_plan(
            "acme",
            &[stored("lost", "retrying"), stored("done", "failed"), unattempted],
            99,
            60_000,
        );
        assert_eq!(tasks.len(), 2);
        assert_eq!(
            (
                tasks[0].0.delivery_id.as_str(),
                tasks[0].0.attempt,
                tasks[0].0.manual,
                tasks[0].0.tenant.as_str()
            ),
            ("lost", 3, false, "acme")
        );
        assert_eq!(
            (records[0].status, records[0].next_attempt_at, records[0].attempts),
            ("retrying", Some(99), 2)
        );
        assert_eq!((tasks[1].0.delivery_id.as_str(), tasks[1].0.attempt), ("never", 1), "its first attempt");
        assert_eq!(
            (records[1].status, records[1].next_attempt_at),
            ("pending", Some(60_099)),
            "guarded again"
        );
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
