//! Ordered hooks (SPEC §11): a hook's line. Its deliveries are attempted one at a time, in
//! the order they joined the line; a retrying delivery (the head) holds those behind it until
//! it succeeds, exhausts its retries or is dropped. The line lives in the hook's `HookGate`
//! object (`platform/hook_gate.rs`, SQLite), which serialises every request, so the order
//! holds across every invocation and isolate. The decisions are here, over a small store.
//!
//! Ingest order: ingest appends a request's deliveries to each ordered hook's line before it
//! answers 202, a batch in array order; concurrent requests join in the order their append
//! reached the line. A delivery the line has never seen (a retry or recover from the API, a
//! message sent before the hook became ordered) joins the end when it first asks to start.
//!
//! Only the head is ever in the queue (or held by a pause): the others wait in the line,
//! costing nothing, and the line sends the next head itself when the head is done. If the head
//! does not report back in time (the isolate died, a message was lost), the line sends it
//! again (at-least-once, as every delivery).

use super::task::DeliveryTask;
use serde::{Deserialize, Serialize};

/// After sending a head, how long the line waits for it to start before sending it again
/// (doubling on each resend, up to `MAX_RESEND_MS`).
pub const RESEND_AFTER_MS: i64 = 60_000;
pub const MAX_RESEND_MS: i64 = 3_600_000;
/// How long a finished delivery is remembered, so a late duplicate message of it is dropped
/// instead of joining the line again: longer than the guards that resend (a minute for a first
/// attempt, `SWEEP_AFTER_SECONDS` for a retry) and the queue's own redelivery. A duplicate
/// later than this is delivered again, at the end of the line (at-least-once).
pub const REMEMBER_FINISHED_MS: i64 = 3_600_000;

/// After a flush the line lets everything through for this long: callers still reading the
/// hook as ordered (an isolate's cached copy, KV propagating for up to a minute) must not
/// start a new line that nothing would ever report to.
pub const CLOSED_FOR_MS: i64 = 120_000;

/// What a line is asked (one JSON POST each, beside the gate's own requests). Externally
/// tagged: an internally tagged enum buffers its fields, which a task's raw payload refuses.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum LineRequest {
    /// New deliveries join the end, in this order. `held`: the hook is paused. `caller_starts`:
    /// the caller attempts a new head itself (ingest's dispatch); otherwise the line sends it.
    Append { tasks: Vec<DeliveryTask>, held: bool, caller_starts: bool, lease_ms: i64 },
    /// May these attempts start? Only the head may; unknown deliveries join the end first.
    Begin { tasks: Vec<DeliveryTask>, lease_ms: i64 },
    /// What became of attempts that were allowed to start. `continue_lease_ms`: the caller
    /// attempts the next head itself (answered in `next`) instead of the line queueing it.
    Report {
        reports: Vec<LineReport>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        continue_lease_ms: Option<i64>,
    },
    /// The hook is no longer ordered (or is deleted): everything behind the head goes out
    /// through the queue at once, the line is forgotten, and for `CLOSED_FOR_MS` every
    /// delivery may start.
    Flush,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineReport {
    pub delivery_id: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Outcome {
    /// Succeeded, failed for good, or dropped: the next one may go.
    Done { attempt: u32 },
    /// It goes again at `due_at` (`task` is the attempt that will be made then).
    Again { task: DeliveryTask, due_at: i64 },
    /// The hook is paused: it stays the head, held, until released.
    Held,
}

/// The line's answer: which of the asked deliveries may start now, which wait behind the head,
/// and which are duplicates of finished ones (nothing to do); after a report, the next head
/// for a caller that continues.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineAnswer {
    pub go: Vec<String>,
    pub wait: Vec<String>,
    pub stale: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next: Vec<DeliveryTask>,
}

/// The head's state: when the line sends it again unless it hears from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Head {
    pub delivery_id: String,
    /// `None` while held by a pause (a resume releases it through its bucket).
    pub deadline: Option<i64>,
    pub resends: u32,
}

/// Where a line keeps its deliveries (SQLite in the object; memory in tests).
pub trait LineStore {
    /// The first delivery's id.
    fn first(&self) -> Option<String>;
    fn contains(&self, id: &str) -> bool;
    fn push(&mut self, task: &DeliveryTask);
    fn remove(&mut self, id: &str);
    fn task(&self, id: &str) -> Option<DeliveryTask>;
    /// Keeps the attempt the head will make next (what a resend sends).
    fn replace(&mut self, task: &DeliveryTask);
    /// Every delivery but the first, in order, and forgets them all (the first too).
    fn drain(&mut self) -> Vec<DeliveryTask>;
    fn head(&self) -> Option<Head>;
    fn set_head(&mut self, head: Option<Head>);
    /// The last attempt of a recently finished delivery.
    fn finished(&self, id: &str) -> Option<u32>;
    fn finish(&mut self, id: &str, attempt: u32, now_ms: i64);
    fn forget_finished_before(&mut self, ms: i64);
    /// Until when the line lets everything through (after a flush).
    fn closed_until(&self) -> Option<i64>;
    fn close_until(&mut self, ms: i64);
}

/// What the object must do after a request: answer, send these through the queue, and set its
/// alarm to the head's deadline (or clear it).
#[derive(Debug, Default)]
pub struct Effects {
    pub answer: LineAnswer,
    pub send: Vec<DeliveryTask>,
    pub alarm: Option<i64>,
}

pub fn handle<S: LineStore>(store: &mut S, request: LineRequest, now_ms: i64) -> Effects {
    let mut fx = Effects::default();
    if store.closed_until().is_some_and(|until| now_ms < until) {
        if let LineRequest::Append { tasks, .. } | LineRequest::Begin { tasks, .. } = &request {
            fx.answer.go = tasks.iter().map(|t| t.delivery_id.clone()).collect();
        }
        return fx;
    }
    match request {
        LineRequest::Append { tasks, held, caller_starts, lease_ms } => {
            for task in &tasks {
                if !store.contains(&task.delivery_id) {
                    store.push(task);
                }
            }
            let start = if held {
                Start::Held
            } else if caller_starts {
                Start::Caller(lease_ms)
            } else {
                Start::Send
            };
            if let Some(id) = next_head(store, start, now_ms, &mut fx) {
                fx.answer.go.push(id);
            }
        }
        LineRequest::Begin { tasks, lease_ms } => {
            for task in tasks {
                let id = task.delivery_id.clone();
                if !store.contains(&id) {
                    if store.finished(&id).is_some_and(|last| task.attempt <= last) {
                        fx.answer.stale.push(id);
                        continue;
                    }
                    store.push(&task);
                }
                if store.first().as_deref() == Some(id.as_str()) {
                    store.set_head(Some(Head {
                        delivery_id: id.clone(),
                        deadline: Some(now_ms + lease_ms),
                        resends: 0,
                    }));
                    fx.answer.go.push(id);
                } else {
                    fx.answer.wait.push(id);
                }
            }
        }
        LineRequest::Report { reports, continue_lease_ms } => {
            let start = continue_lease_ms.map_or(Start::Send, Start::Caller);
            for report in reports {
                let is_head = store.first().as_deref() == Some(report.delivery_id.as_str());
                match report.outcome {
                    Outcome::Done { attempt } => {
                        store.finish(&report.delivery_id, attempt, now_ms);
                        store.remove(&report.delivery_id);
                        if is_head {
                            store.set_head(None);
                            if let Some(id) = next_head(store, start, now_ms, &mut fx) {
                                fx.answer.next.extend(store.task(&id));
                            }
                        }
                    }
                    Outcome::Again { task, due_at } if is_head => {
                        store.replace(&task);
                        let deadline = Some(due_at + RESEND_AFTER_MS);
                        store.set_head(Some(Head { delivery_id: report.delivery_id, deadline, resends: 0 }));
                    }
                    Outcome::Held if is_head => {
                        store.set_head(Some(Head {
                            delivery_id: report.delivery_id,
                            deadline: None,
                            resends: 0,
                        }));
                    }
                    // Not the head (a duplicate that ran meanwhile): the head decides.
                    Outcome::Again { .. } | Outcome::Held => {}
                }
            }
            store.forget_finished_before(now_ms - REMEMBER_FINISHED_MS);
        }
        LineRequest::Flush => {
            fx.send = store.drain();
            store.set_head(None);
            store.close_until(now_ms + CLOSED_FOR_MS);
        }
    }
    fx.alarm = store.head().and_then(|h| h.deadline);
    fx
}

/// The head did not report back by its deadline: send it again, waiting longer each time.
pub fn on_alarm<S: LineStore>(store: &mut S, now_ms: i64) -> Effects {
    let mut fx = Effects::default();
    if let Some(head) = store.head().filter(|h| h.deadline.is_some_and(|d| d <= now_ms)) {
        if let Some(task) = store.task(&head.delivery_id) {
            let resends = head.resends + 1;
            let wait = (RESEND_AFTER_MS << resends.min(6)).min(MAX_RESEND_MS);
            store.set_head(Some(Head {
                delivery_id: head.delivery_id,
                deadline: Some(now_ms + wait),
                resends,
            }));
            fx.send.push(task);
        } else {
            // The head row outlived its delivery: start whatever is first now.
            store.set_head(None);
            next_head(store, Start::Send, now_ms, &mut fx);
        }
    }
    fx.alarm = store.head().and_then(|h| h.deadline);
    fx
}

#[derive(Clone, Copy)]
enum Start {
    /// Paused: the head waits, held, for a resume.
    Held,
    /// The caller attempts it now; the line expects its report within the lease.
    Caller(i64),
    /// The line sends it through the queue.
    Send,
}

/// Makes the first delivery the head if none is: returns its id when the caller starts it.
fn next_head<S: LineStore>(store: &mut S, start: Start, now_ms: i64, fx: &mut Effects) -> Option<String> {
    let first = store.first()?;
    if store.head().is_some_and(|h| h.delivery_id == first) {
        return None;
    }
    let (deadline, caller) = match start {
        Start::Held => (None, false),
        Start::Caller(lease_ms) => (Some(now_ms + lease_ms), true),
        Start::Send => {
            fx.send.extend(store.task(&first));
            (Some(now_ms + RESEND_AFTER_MS), false)
        }
    };
    store.set_head(Some(Head { delivery_id: first.clone(), deadline, resends: 0 }));
    caller.then_some(first)
}

/// A line in memory: the tests' store.
#[derive(Debug, Default)]
pub struct MemoryLine {
    tasks: Vec<DeliveryTask>,
    head: Option<Head>,
    finished: Vec<(String, u32, i64)>,
    closed_until: Option<i64>,
}

impl LineStore for MemoryLine {
    fn first(&self) -> Option<String> {
        self.tasks.first().map(|t| t.delivery_id.clone())
    }
    fn contains(&self, id: &str) -> bool {
        self.tasks.iter().any(|t| t.delivery_id == id)
    }
    fn push(&mut self, task: &DeliveryTask) {
        self.tasks.push(task.clone());
    }
    fn remove(&mut self, id: &str) {
        self.tasks.retain(|t| t.delivery_id != id);
    }
    fn task(&self, id: &str) -> Option<DeliveryTask> {
        self.tasks.iter().find(|t| t.delivery_id == id).cloned()
    }
    fn replace(&mut self, task: &DeliveryTask) {
        if let Some(t) = self.tasks.iter_mut().find(|t| t.delivery_id == task.delivery_id) {
            *t = task.clone();
        }
    }
    fn drain(&mut self) -> Vec<DeliveryTask> {
        let mut all = std::mem::take(&mut self.tasks);
        if !all.is_empty() {
            all.remove(0);
        }
        all
    }
    fn head(&self) -> Option<Head> {
        self.head.clone()
    }
    fn set_head(&mut self, head: Option<Head>) {
        self.head = head;
    }
    fn finished(&self, id: &str) -> Option<u32> {
        self.finished.iter().find(|(i, _, _)| i == id).map(|(_, a, _)| *a)
    }
    fn finish(&mut self, id: &str, attempt: u32, now_ms: i64) {
        self.finished.retain(|(i, _, _)| i != id);
        self.finished.push((id.to_string(), attempt, now_ms));
    }
    fn forget_finished_before(&mut self, ms: i64) {
        self.finished.retain(|(_, _, at)| *at >= ms);
    }
    fn closed_until(&self) -> Option<i64> {
        self.closed_until
    }
    fn close_until(&mut self, ms: i64) {
        self.closed_until = Some(ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{hook_for, task_for};

    fn task(id: &str, attempt: u32) -> DeliveryTask {
        let mut t = task_for(&hook_for("http://127.0.0.1:9/h"), attempt);
        t.delivery_id = id.into();
        t
    }

    fn ids(tasks: &[DeliveryTask]) -> Vec<&str> {
        tasks.iter().map(|t| t.delivery_id.as_str()).collect()
    }

    fn append(line: &mut MemoryLine, names: &[&str], caller_starts: bool, now: i64) -> Effects {
        let tasks = names.iter().map(|n| task(n, 1)).collect();
        handle(line, LineRequest::Append { tasks, held: false, caller_starts, lease_ms: 15_000 }, now)
    }

    fn report(line: &mut MemoryLine, id: &str, outcome: Outcome, now: i64) -> Effects {
        let reports = vec![LineReport { delivery_id: id.into(), outcome }];
        handle(line, LineRequest::Report { reports, continue_lease_ms: None }, now)
    }

    fn begin(line: &mut MemoryLine, t: DeliveryTask, now: i64) -> LineAnswer {
        handle(line, LineRequest::Begin { tasks: vec![t], lease_ms: 15_000 }, now).answer
    }

    #[test]
    fn only_the_first_of_an_append_starts_and_the_rest_follow_one_by_one_in_order() {
        let mut line = MemoryLine::default();
        let fx = append(&mut line, &["a", "b", "c"], true, 0);
        assert_eq!(fx.answer.go, ["a"], "the caller starts the head itself");
        assert!(fx.send.is_empty());
        assert_eq!(fx.alarm, Some(15_000), "expects a word from it within the lease");
        assert!(append(&mut line, &["d"], true, 1).answer.go.is_empty(), "joins behind");
        let mut order = vec!["a".to_string()];
        for now in 2..5 {
            let head = line.first().unwrap();
            let fx = report(&mut line, &head, Outcome::Done { attempt: 1 }, now);
            assert_eq!(fx.send.len(), 1, "the line sends the next head itself");
            order.push(fx.send[0].delivery_id.clone());
            assert_eq!(begin(&mut line, fx.send[0].clone(), now).go, [fx.send[0].delivery_id.clone()]);
        }
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    #[test]
    fn a_caller_that_continues_gets_the_next_head_instead_of_the_queue() {
        let mut line = MemoryLine::default();
        append(&mut line, &["a", "b"], true, 0);
        let reports = vec![LineReport { delivery_id: "a".into(), outcome: Outcome::Done { attempt: 1 } }];
        let fx = handle(&mut line, LineRequest::Report { reports, continue_lease_ms: Some(15_000) }, 10);
        assert!(fx.send.is_empty(), "nothing queued");
        assert_eq!(ids(&fx.answer.next), ["b"]);
        assert_eq!(fx.alarm, Some(15_010), "sent again if the caller goes quiet");
        let reports = vec![LineReport { delivery_id: "b".into(), outcome: Outcome::Done { attempt: 1 } }];
        let fx = handle(&mut line, LineRequest::Report { reports, continue_lease_ms: Some(15_000) }, 20);
        assert!(fx.answer.next.is_empty() && fx.alarm.is_none(), "the line is empty");
    }

    #[test]
    fn a_retrying_head_holds_the_others_until_it_is_done() {
        let mut line = MemoryLine::default();
        append(&mut line, &["a", "b"], true, 0);
        let fx = report(&mut line, "a", Outcome::Again { task: task("a", 2), due_at: 5_000 }, 10);
        assert!(fx.send.is_empty(), "b waits");
        assert_eq!(fx.alarm, Some(5_000 + RESEND_AFTER_MS));
        assert_eq!(begin(&mut line, task("b", 1), 20).wait, ["b"], "b asking itself still waits");
        assert_eq!(begin(&mut line, task("a", 2), 5_000).go, ["a"]);
        let fx = report(&mut line, "a", Outcome::Done { attempt: 2 }, 5_100);
        assert_eq!(ids(&fx.send), ["b"], "a exhausted or succeeded: b is next");
    }

    #[test]
    fn unknown_deliveries_join_the_end_and_finished_duplicates_are_stale() {
        let mut line = MemoryLine::default();
        assert_eq!(begin(&mut line, task("a", 3), 0).go, ["a"], "an empty line: it is the head");
        assert_eq!(begin(&mut line, task("r", 1), 1).wait, ["r"], "a retry from the API joins behind");
        let fx = report(&mut line, "a", Outcome::Done { attempt: 3 }, 2);
        assert_eq!(ids(&fx.send), ["r"]);
        assert_eq!(begin(&mut line, task("a", 3), 3).stale, ["a"], "a late duplicate of a finished attempt");
        assert_eq!(begin(&mut line, task("a", 4), 4).wait, ["a"], "a manual retry of it is new: it queues");
    }

    #[test]
    fn a_paused_head_is_held_without_deadline_and_released_by_its_next_begin() {
        let mut line = MemoryLine::default();
        let tasks = vec![task("a", 1), task("b", 1)];
        let fx =
            handle(&mut line, LineRequest::Append { tasks, held: true, caller_starts: true, lease_ms: 1 }, 0);
        assert!(fx.answer.go.is_empty() && fx.send.is_empty());
        assert_eq!(fx.alarm, None, "nothing is resent while paused");
        assert!(on_alarm(&mut line, 1_000_000).send.is_empty());
        // Resume sends the held deliveries; the head starts, the other waits its turn.
        assert_eq!(begin(&mut line, task("b", 1), 10).wait, ["b"]);
        assert_eq!(begin(&mut line, task("a", 1), 11).go, ["a"]);
        assert_eq!(report(&mut line, "a", Outcome::Held, 12).alarm, None, "paused again mid-way");
    }

    #[test]
    fn a_head_that_never_reports_is_sent_again_later_each_time() {
        let mut line = MemoryLine::default();
        append(&mut line, &["a", "b"], false, 0);
        assert_eq!(line.head().unwrap().deadline, Some(RESEND_AFTER_MS));
        assert!(on_alarm(&mut line, RESEND_AFTER_MS - 1).send.is_empty(), "not yet");
        let fx = on_alarm(&mut line, RESEND_AFTER_MS);
        assert_eq!(ids(&fx.send), ["a"]);
        let second = fx.alarm.unwrap() - RESEND_AFTER_MS;
        assert_eq!(second, 2 * RESEND_AFTER_MS);
        let later = on_alarm(&mut line, fx.alarm.unwrap()).alarm.unwrap() - fx.alarm.unwrap();
        assert!(later > second, "backs off");
        let mut gap = 0;
        for _ in 0..20 {
            let due = line.head().unwrap().deadline.unwrap();
            let fx = on_alarm(&mut line, due);
            assert_eq!(ids(&fx.send), ["a"]);
            gap = fx.alarm.unwrap() - due;
        }
        assert_eq!(gap, MAX_RESEND_MS, "capped");
    }

    #[test]
    fn requests_survive_the_trip_to_the_object_with_payloads_untouched() {
        let t = task("a", 2);
        let requests = [
            LineRequest::Append { tasks: vec![t.clone()], held: false, caller_starts: true, lease_ms: 5 },
            LineRequest::Begin { tasks: vec![t.clone()], lease_ms: 5 },
            LineRequest::Report {
                continue_lease_ms: Some(3),
                reports: vec![LineReport {
                    delivery_id: "a".into(),
                    outcome: Outcome::Again { task: t.clone(), due_at: 9 },
                }],
            },
            LineRequest::Flush,
        ];
        for request in requests {
            let json = serde_json::to_string(&request).unwrap();
            let back: LineRequest = serde_json::from_str(&json).expect(&json);
            assert_eq!(serde_json::to_string(&back).unwrap(), json);
            assert!(
                serde_json::from_str::<super::super::gate::GateRequest>(&json).is_err(),
                "never mistaken for a gate request"
            );
        }
        let append =
            LineRequest::Append { tasks: vec![t.clone()], held: false, caller_starts: true, lease_ms: 5 };
        assert!(serde_json::to_string(&append).unwrap().contains(t.payload.get()), "the payload as it was");
    }

    #[test]
    fn flush_sends_everything_behind_the_head_and_forgets_the_line() {
        let mut line = MemoryLine::default();
        append(&mut line, &["a", "b", "c"], true, 0);
        let fx = handle(&mut line, LineRequest::Flush, 1);
        assert_eq!(ids(&fx.send), ["b", "c"], "the head's own message is already out");
        assert_eq!((line.first(), line.head(), fx.alarm), (None, None, None));
        // A caller still reading the hook as ordered does not start a new line.
        let late =
            handle(&mut line, LineRequest::Begin { tasks: vec![task("d", 1), task("e", 1)], lease_ms: 1 }, 2);
        assert_eq!(late.answer.go, ["d", "e"]);
        assert_eq!(line.first(), None, "nothing kept");
        assert_eq!(begin(&mut line, task("f", 1), 1 + CLOSED_FOR_MS).go, ["f"]);
        assert_eq!(
            begin(&mut line, task("g", 1), 2 + CLOSED_FOR_MS).wait,
            ["g"],
            "ordered again later: a line again"
        );
    }

    #[test]
    fn a_report_from_a_duplicate_that_is_not_the_head_changes_nothing() {
        let mut line = MemoryLine::default();
        append(&mut line, &["a", "b"], true, 0);
        let before = line.head();
        report(&mut line, "b", Outcome::Again { task: task("b", 2), due_at: 9 }, 1);
        assert_eq!(line.head(), before);
        assert_eq!(line.task("b").unwrap().attempt, 1);
    }
}
