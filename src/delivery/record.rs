//! What a step of a delivery writes to the delivery log: the delivery's new state and the
//! attempt made, if any.

use super::consumer::{Next, Processed};
use super::ports::{AttemptRecord, DeliveryRecord};
use super::task::DeliveryTask;
use crate::core::ids;

/// The task's delivery in the given state, as of `at`.
pub fn state(
    task: &DeliveryTask,
    status: &'static str,
    attempts: u32,
    next_attempt_at: Option<i64>,
    last_error: Option<String>,
    at: i64,
) -> DeliveryRecord {
    DeliveryRecord {
        tenant: task.tenant.clone(),
        id: task.delivery_id.clone(),
        event_id: task.event_id.clone(),
        hook_id: task.hook_id.clone(),
        event: task.event.clone(),
        payload: task.payload.get().to_string(),
        status,
        attempts,
        next_attempt_at,
        last_error,
        at,
    }
}

/// Records for one processed task; `now_ms` is when processing finished.
pub fn records(
    task: &DeliveryTask,
    out: &Processed,
    now_ms: i64,
) -> (Option<DeliveryRecord>, Option<AttemptRecord>) {
    let delivery = |status, attempts, next_attempt_at, last_error| {
        state(task, status, attempts, next_attempt_at, last_error, now_ms)
    };
    if let Some(due_at) = out.waited {
        // Waiting for the hook's gate is not an attempt: due again at `due_at`.
        let status = if task.attempt <= 1 { "pending" } else { "retrying" };
        return (Some(delivery(status, task.attempt.saturating_sub(1), Some(due_at), None)), None);
    }
    if out.duplicate {
        return (None, None);
    }
    if out.behind {
        return (Some(behind(task, now_ms)), None);
    }
    if out.held {
        // Not attempted: the attempts made so far stand; released by `resume`.
        return (Some(delivery("held", task.attempt.saturating_sub(1), None, None)), None);
    }
    if let Some(reason) = out.dropped {
        let d = delivery("failed", task.attempt.saturating_sub(1), None, Some(format!("Dropped: {reason}.")));
        return (Some(d), None);
    }
    let Some(report) = &out.report else {
        // A hop of a long wait: nothing happened yet.
        return (None, None);
    };
    let next_attempt_at = match &out.next {
        Next::Retry { delay_seconds, .. } => Some(now_ms + *delay_seconds as i64 * 1000),
        Next::Done => None,
    };
    let attempt = AttemptRecord {
        id: ids::attempt_id(),
        delivery_id: task.delivery_id.clone(),
        hook_id: task.hook_id.clone(),
        event: task.event.clone(),
        number: task.attempt,
        started_at: report.started_at_ms,
        duration_ms: report.duration_ms,
        success: out.status() == "succeeded",
        response_status: report.response_status,
        response_body: report.response_body.clone(),
        response_headers: report.response_headers.clone(),
        error: report.error.clone(),
    };
    let d = delivery(out.status(), task.attempt, next_attempt_at, report.error.clone());
    (Some(d), Some(attempt))
}

/// A delivery as planned at ingest, before its first attempt: `pending`, due through the
/// queue at `guard_until_ms` unless its first attempt is recorded before (`sweep_due`); or
/// `held` for a paused hook (released when it resumes).
pub fn planned(task: &DeliveryTask, guard_until_ms: i64, now_ms: i64, held: bool) -> DeliveryRecord {
    let (status, next_attempt_at) = if held { ("held", None) } else { ("pending", Some(guard_until_ms)) };
    state(task, status, 0, next_attempt_at, None, now_ms)
}

/// An ordered hook's delivery waiting in its line behind the head: not due at any time of its
/// own (no guard resends it; the line sends it when its turn comes).
pub fn behind(task: &DeliveryTask, now_ms: i64) -> DeliveryRecord {
    let status = if task.attempt <= 1 { "pending" } else { "retrying" };
    state(task, status, task.attempt.saturating_sub(1), None, None, now_ms)
}

/// Whether this step used up the delivery's last automatic attempt and failed (the moment
/// auto-disable is considered).
pub fn exhausted(task: &DeliveryTask, out: &Processed) -> bool {
    !task.manual
        && out.dropped.is_none()
        && out.report.is_some()
        && out.status() == "failed"
        && out.disable_hook.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::retry::FailureKind;
    use crate::delivery::attempt::{AttemptReport, Verdict};
    use crate::testing::{hook_for, task_for};

    fn report(verdict: Verdict, status: Option<u16>) -> AttemptReport {
        AttemptReport {
            started_at_ms: 1_000,
            duration_ms: 12,
            verdict,
            response_status: status,
            response_body: Some("body".into()),
            response_headers: None,
            retry_after: None,
            error: (verdict != Verdict::Succeeded).then(|| "HTTP 500".to_string()),
        }
    }

    #[test]
    fn a_success_records_the_attempt_and_a_succeeded_delivery() {
        let task = task_for(&hook_for("http://x"), 2);
        let out = Processed {
            report: Some(report(Verdict::Succeeded, Some(200))),
            next: Next::Done,
            disable_hook: None,
            ..Processed::done()
        };
        let (d, a) = records(&task, &out, 5_000);
        let (d, a) = (d.unwrap(), a.unwrap());
        assert_eq!((d.status, d.attempts, d.next_attempt_at), ("succeeded", 2, None));
        assert_eq!((a.number, a.success, a.response_status, a.started_at), (2, true, Some(200), 1_000));
        assert_eq!(d.payload, task.payload.get());
        assert!(!exhausted(&task, &out));
    }

    #[test]
    fn a_failure_with_retries_left_is_retrying_with_the_next_attempt_time() {
        let task = task_for(&hook_for("http://x"), 1);
        let out = Processed {
            report: Some(report(Verdict::Failed(FailureKind::Other), Some(500))),
            next: Next::Retry { task: task.next_attempt(), delay_seconds: 5 },
            disable_hook: None,
            ..Processed::done()
        };
        let (d, a) = records(&task, &out, 5_000);
        assert_eq!(d.as_ref().unwrap().status, "retrying");
        assert_eq!(d.unwrap().next_attempt_at, Some(10_000));
        assert!(!a.unwrap().success);
        assert!(!exhausted(&task, &out));
    }

    #[test]
    fn the_last_failed_attempt_is_a_dead_letter_and_counts_as_exhausted() {
        let task = task_for(&hook_for("http://x"), 4);
        let out = Processed {
            report: Some(report(Verdict::Failed(FailureKind::Other), Some(500))),
            next: Next::Done,
            disable_hook: None,
            ..Processed::done()
        };
        assert_eq!(records(&task, &out, 0).0.unwrap().status, "failed");
        assert!(exhausted(&task, &out));
        let manual = DeliveryTask { manual: true, ..task };
        assert!(!exhausted(&manual, &out), "a manual replay never triggers auto-disable");
    }

    #[test]
    fn a_dropped_task_records_a_failed_delivery_without_an_attempt() {
        let task = task_for(&hook_for("http://x"), 3);
        let out = Processed { dropped: Some("hook deleted"), ..Processed::done() };
        let (d, a) = records(&task, &out, 0);
        let d = d.unwrap();
        assert_eq!((d.status, d.attempts), ("failed", 2));
        assert!(d.last_error.unwrap().contains("hook deleted"));
        assert!(a.is_none());
    }

    #[test]
    fn waiting_behind_an_ordered_head_is_recorded_without_a_due_time_and_a_duplicate_not_at_all() {
        let task = task_for(&hook_for("http://x"), 1);
        let (d, a) = records(&task, &Processed::behind(), 7);
        let d = d.unwrap();
        assert_eq!((d.status, d.attempts, d.next_attempt_at), ("pending", 0, None), "no guard resends it");
        assert!(a.is_none());
        let later = task_for(&hook_for("http://x"), 3);
        assert_eq!(records(&later, &Processed::behind(), 7).0.unwrap().status, "retrying");
        assert_eq!(records(&task, &Processed::duplicate(), 7), (None, None));
    }
}
