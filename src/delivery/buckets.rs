//! Delivery state partitioned by hook and UTC day (SPEC §10): which bucket objects hold what,
//! the messages the Worker and a bucket exchange, and how answers from several buckets
//! merge. Plain Rust: the Durable Object (`platform/delivery_bucket.rs`) and its client
//! (`platform/bucket_log.rs`) only move these values.
//!
//! A bucket `(hook, day)` holds the deliveries created that day (a delivery id names its
//! bucket, `ids::locate_delivery`) and the attempts *started* that day, so a time window
//! of attempts maps to exactly the days it covers, and nothing grows past one day.

use super::ports::{AttemptRecord, StoredDelivery};
use crate::core::ids::{locate_delivery, DAY_MS};
use serde::{Deserialize, Serialize};

pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// The Durable Object name of a bucket.
pub fn bucket_name(hook_id: &str, day: i64) -> String {
    format!("{hook_id}/{day}")
}

/// The bucket a delivery's row lives in: its creation day from the id; ids from before
/// this scheme (no location in them) fall back to the day of the write.
pub fn delivery_day(id: &str, at_ms: i64) -> i64 {
    locate_delivery(id).map(|(_, day)| day).unwrap_or_else(|| day_of(at_ms))
}

/// Days (newest first) whose buckets can hold something in [start, end], clamped to the
/// buckets retention has not yet deleted (today and the `retention_days` before it).
pub fn days_between(start_ms: i64, end_ms: i64, now_ms: i64, retention_days: u32) -> Vec<i64> {
    let today = day_of(now_ms);
    let oldest = (today - retention_days as i64 - 1).max(day_of(start_ms.max(0)));
    let newest = today.min(day_of(end_ms.min(now_ms + DAY_MS)));
    (oldest..=newest).rev().collect()
}

/// When a bucket may delete itself: `retention_days` after its day ended. A bucket still
/// holding retrying deliveries waits (see `retention_alarm`).
pub fn expires_at(day: i64, retention_days: u32) -> i64 {
    (day + 1 + retention_days as i64) * DAY_MS
}

/// When a delivery needs the bucket's sweeper: a `pending` one (planned at ingest, its first
/// attempt dispatched at once but not recorded) when its guard time (`next_attempt_at`)
/// passes, because the isolate that was to attempt it died or could not record it; a
/// `retrying` one once its retry is `sweep_after_ms` overdue (its queue message was lost).
pub fn sweep_due(status: &str, next_attempt_at: Option<i64>, sweep_after_ms: i64) -> Option<i64> {
    match status {
        "pending" => next_attempt_at,
        "retrying" => next_attempt_at.map(|t| t + sweep_after_ms),
        _ => None,
    }
}

/// The deliveries of a bucket still open (pending or retrying) and when each is due a sweep,
/// kept in memory by the bucket's instance so its alarm reads only the rows it must send
/// instead of scanning the day. `complete` once it holds every open delivery: the instance
/// saw the bucket's first write, or scanned it once.
#[derive(Debug, Default)]
pub struct OpenDeliveries {
    due: std::collections::HashMap<String, i64>,
    pub complete: bool,
}

impl OpenDeliveries {
    /// A delivery's new state (as written, or as found by a scan).
    pub fn note(&mut self, id: &str, status: &str, next_attempt_at: Option<i64>, sweep_after_ms: i64) {
        match sweep_due(status, next_attempt_at, sweep_after_ms) {
            Some(at) => {
                self.due.insert(id.to_string(), at);
            }
            None => {
                self.due.remove(id);
            }
        }
    }

    /// Ids due a sweep at `now_ms`.
    pub fn due_by(&self, now_ms: i64) -> Vec<String> {
        let mut ids: Vec<String> =
            self.due.iter().filter(|(_, at)| **at <= now_ms).map(|(id, _)| id.clone()).collect();
        ids.sort();
        ids
    }

    pub fn earliest(&self) -> Option<i64> {
        self.due.values().min().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }

    pub fn clear(&mut self) {
        self.due.clear();
        self.complete = false;
    }
}

/// The bucket's next alarm: its expiry, or earlier for the first delivery due a sweep.
pub fn next_alarm(expires_at_ms: i64, earliest_due_ms: Option<i64>) -> i64 {
    earliest_due_ms.map_or(expires_at_ms, |due| expires_at_ms.min(due))
}

/// A page of the newest items across buckets: each bucket answered its own newest
/// `offset + limit` and its total, newest first.
pub fn merge_newest<T, K: Ord>(
    answers: Vec<(Vec<T>, usize)>,
    key: impl Fn(&T) -> K,
    offset: usize,
    limit: usize,
) -> (Vec<T>, usize) {
    let total = answers.iter().map(|(_, n)| n).sum();
    let mut all: Vec<T> = answers.into_iter().flat_map(|(rows, _)| rows).collect();
    all.sort_by_key(|t| std::cmp::Reverse(key(t)));
    (all.into_iter().skip(offset).take(limit).collect(), total)
}

/// How long after its event id's time an event's deliveries may be created (the ingest
/// reads the hook snapshot and claims an idempotency key in between), and before it
/// (clocks of one request never run backwards, but a margin costs nothing).
pub const EVENT_LAG_MS: i64 = 5 * 60 * 1000;
pub const EVENT_LEAD_MS: i64 = 5 * 1000;

/// The buckets of one hook that can hold an event's deliveries, with the creation window in
/// each: usually one day, two near midnight.
pub fn event_days(created_ms: i64) -> Vec<(i64, i64, i64)> {
    let (from, to) = (created_ms - EVENT_LEAD_MS, created_ms + EVENT_LAG_MS);
    (day_of(from)..=day_of(to))
        .map(|day| (day, from.max(day * DAY_MS), to.min((day + 1) * DAY_MS - 1)))
        .collect()
}

/// The stored (compact) delivery ids of bucket `day` created in [from, to]: ids start with
/// their millisecond of the day, so `lower <= id < upper` is a primary-key range.
pub fn event_window(day: i64, from_ms: i64, to_ms: i64) -> (String, String) {
    let within = |ms: i64| (ms - day * DAY_MS).clamp(0, DAY_MS);
    (crate::core::ids::base36(within(from_ms), 6), crate::core::ids::base36(within(to_ms) + 1, 6))
}

/// How a bucket stores what every row of it would repeat (SPEC §10's byte budget): delivery
/// ids without their bucket's `dlv_`+hook+day prefix, event ids without `evt_`, event names
/// and statuses as small integers.
#[derive(Debug, Clone, PartialEq)]
pub struct Compact {
    hook_id: String,
    day: i64,
    prefix: String,
}

pub const STATUSES: [&str; 5] = ["pending", "retrying", "succeeded", "failed", "held"];

impl Compact {
    pub fn new(hook_id: &str, day: i64) -> Self {
        Self { hook_id: hook_id.to_string(), day, prefix: crate::core::ids::delivery_prefix(hook_id, day) }
    }

    /// The bucket's UTC day.
    pub fn day(&self) -> i64 {
        self.day
    }

    /// The bucket's hook: every row of it belongs to this hook.
    pub fn hook_id(&self) -> &str {
        &self.hook_id
    }

    /// A delivery id as stored: its suffix when it belongs to this bucket, else whole.
    pub fn id<'a>(&self, id: &'a str) -> &'a str {
        id.strip_prefix(self.prefix.as_str()).unwrap_or(id)
    }

    pub fn full_id(&self, stored: &str) -> String {
        if stored.starts_with("dlv_") {
            stored.to_string()
        } else {
            format!("{}{stored}", self.prefix)
        }
    }

    pub fn event_id(id: &str) -> &str {
        id.strip_prefix("evt_").unwrap_or(id)
    }

    pub fn full_event_id(stored: &str) -> String {
        format!("evt_{stored}")
    }

    /// The catalog position of an event (`-1` for a name outside it, kept in `event_name`).
    pub fn event(name: &str) -> i64 {
        crate::core::catalog::EVENTS.iter().position(|(n, _)| *n == name).map_or(-1, |i| i as i64)
    }

    pub fn event_name(code: i64) -> String {
        usize::try_from(code)
            .ok()
            .and_then(|i| crate::core::catalog::EVENTS.get(i))
            .map_or_else(|| "unknown".to_string(), |(n, _)| n.to_string())
    }

    pub fn status(name: &str) -> i64 {
        STATUSES.iter().position(|s| *s == name).map_or(3, |i| i as i64)
    }

    pub fn status_name(code: i64) -> String {
        STATUSES.get(code as usize).unwrap_or(&"failed").to_string()
    }
}

/// One attempt as a bucket stores it. Its id is derived (`attempt_id`), not stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRow {
    pub delivery_id: String,
    pub event: String,
    pub number: u32,
    pub started_at: i64,
    pub duration_ms: i64,
    pub success: bool,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_headers: Option<String>,
    pub error: Option<String>,
    /// Joined from the delivery when the bucket holds it (recent logs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// Attempt ids are derived from the delivery and the attempt number: nothing to store.
pub fn attempt_id(delivery_id: &str, number: u32) -> String {
    format!("att_{}.{number}", delivery_id.strip_prefix("dlv_").unwrap_or(delivery_id))
}

impl AttemptRow {
    pub fn from_record(a: &AttemptRecord) -> Self {
        Self {
            delivery_id: a.delivery_id.clone(),
            event: a.event.clone(),
            number: a.number,
            started_at: a.started_at,
            duration_ms: a.duration_ms,
            success: a.success,
            response_status: a.response_status,
            response_body: a.response_body.clone(),
            response_headers: a.response_headers.clone(),
            error: a.error.clone(),
            payload: None,
        }
    }

    pub fn into_record(self, hook_id: &str) -> AttemptRecord {
        AttemptRecord {
            id: attempt_id(&self.delivery_id, self.number),
            delivery_id: self.delivery_id,
            hook_id: hook_id.to_string(),
            event: self.event,
            number: self.number,
            started_at: self.started_at,
            duration_ms: self.duration_ms,
            success: self.success,
            response_status: self.response_status,
            response_body: self.response_body,
            response_headers: self.response_headers,
            error: self.error,
        }
    }
}

fn default_tenant() -> String {
    crate::core::tenant::DEFAULT_TENANT.to_string()
}

/// What the Worker asks a bucket (one JSON POST each).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum BucketRequest {
    /// Upserts delivery states and inserts attempts, in one transaction.
    Record {
        /// Kept by the bucket for its sweeper; absent (older Workers) means `default`.
        #[serde(default = "default_tenant")]
        tenant: String,
        hook_id: String,
        day: i64,
        deliveries: Vec<StoredDelivery>,
        attempts: Vec<AttemptRow>,
    },
    /// Attempts started after `since_ms`, and how many succeeded.
    Stats { since_ms: i64 },
    /// The start of the newest successful attempt.
    LastSuccess,
    /// The start of the oldest failed attempt after `after_ms`.
    FirstFailureAfter { after_ms: i64 },
    /// Attempts in [start, end], newest first (the first `limit`), and how many match.
    Attempts { event: Option<String>, start_ms: i64, end_ms: i64, limit: usize },
    /// Deliveries newest first (the first `limit`), and how many match.
    Deliveries { status: Option<String>, limit: usize },
    /// One delivery with its payload.
    Delivery { id: String },
    /// The attempts of one delivery started on this bucket's day.
    AttemptsOf { id: String },
    /// Payloads of deliveries this bucket holds.
    Payloads { ids: Vec<String> },
    /// Failed deliveries created in [since, until], with payloads, oldest first.
    Failed { since_ms: i64, until_ms: i64, limit: usize },
    /// Releases held deliveries (their hook resumed): the oldest `limit`, made `pending` and
    /// guarded until `guard_until_ms`, returned with payloads in creation order.
    Release { guard_until_ms: i64, limit: usize },
    /// What this object has written and stores (for the capacity counters).
    Usage,
    /// Attempts started in [start, end) per UTC hour (`core::hourly`), oldest first.
    Hourly { start_ms: i64, end_ms: i64 },
    /// The deliveries of one event, with payloads: only rows whose id (creation time) lies
    /// in [from, to] are read, through the primary key (`event_window`), no index needed.
    EventDeliveries { event_id: String, from_ms: i64, to_ms: i64 },
    /// Deliveries created in [since, until], newest first (the first `limit`), optionally
    /// of one status, and how many match.
    DeliveriesBetween { status: Option<String>, since_ms: i64, until_ms: i64, limit: usize },
}

impl BucketRequest {
    /// The answer of a bucket that holds nothing.
    pub fn empty_answer(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            BucketRequest::Record { .. }
            | BucketRequest::LastSuccess
            | BucketRequest::FirstFailureAfter { .. } => serde_json::Value::Null,
            BucketRequest::Delivery { .. } => serde_json::Value::Null,
            BucketRequest::Stats { .. } => json!(Counts::default()),
            BucketRequest::Attempts { .. }
            | BucketRequest::Deliveries { .. }
            | BucketRequest::DeliveriesBetween { .. } => {
                json!({ "rows": [], "total": 0 })
            }
            BucketRequest::AttemptsOf { .. }
            | BucketRequest::Payloads { .. }
            | BucketRequest::Failed { .. }
            | BucketRequest::Release { .. }
            | BucketRequest::Hourly { .. }
            | BucketRequest::EventDeliveries { .. } => {
                json!([])
            }
            BucketRequest::Usage => json!(Usage::default()),
        }
    }
}

/// A bucket's answer listing rows and a total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub requests: u64,
    pub successes: u64,
}

/// Requests served (other than `Usage`), rows written and read by this object since it
/// started, and its database size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub requests: u64,
    pub rows_written: u64,
    pub rows_read: u64,
    pub database_bytes: u64,
    pub deliveries: u64,
    pub attempts: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::{delivery_id, hook_id};

    #[test]
    fn a_delivery_lives_in_the_bucket_of_its_creation_day() {
        let at = 20_000 * DAY_MS + 5;
        let id = delivery_id(&hook_id(), at);
        assert_eq!(delivery_day(&id, at + 3 * DAY_MS), 20_000, "later writes go to the same bucket");
        assert_eq!(delivery_day("dlv_legacy", at), 20_000, "an old-style id goes by the write's day");
        assert_eq!(bucket_name("h", 20_000), "h/20000");
    }

    #[test]
    fn an_events_deliveries_are_looked_for_in_its_day_and_the_next_near_midnight() {
        let noon = 20_000 * DAY_MS + DAY_MS / 2;
        assert_eq!(event_days(noon), vec![(20_000, noon - EVENT_LEAD_MS, noon + EVENT_LAG_MS)]);
        let late = 20_001 * DAY_MS - 1000;
        let days = event_days(late);
        assert_eq!(days.iter().map(|d| d.0).collect::<Vec<_>>(), [20_000, 20_001]);
        assert_eq!(days[0].2, 20_001 * DAY_MS - 1);
        assert_eq!(days[1].1, 20_001 * DAY_MS);
    }

    #[test]
    fn an_event_window_bounds_the_compact_ids_created_in_it() {
        let hook = hook_id();
        let day = 20_000;
        let at = day * DAY_MS + 3_600_000;
        let c = Compact::new(&hook, day);
        let (lo, hi) = event_window(day, at - 10, at + 10);
        let inside = delivery_id(&hook, at);
        let edge = delivery_id(&hook, at + 10);
        let after = delivery_id(&hook, at + 11);
        let before = delivery_id(&hook, at - 11);
        for id in [&inside, &edge] {
            assert!(lo.as_str() <= c.id(id) && c.id(id) < hi.as_str(), "{id}");
        }
        for id in [&after, &before] {
            assert!(!(lo.as_str() <= c.id(id) && c.id(id) < hi.as_str()), "{id}");
        }
    }

    #[test]
    fn windows_map_to_the_days_they_cover_within_retention() {
        let now = 20_000 * DAY_MS + 3_600_000;
        assert_eq!(days_between(now - DAY_MS, now, now, 14), vec![20_000, 19_999]);
        assert_eq!(days_between(0, i64::MAX, now, 2), vec![20_000, 19_999, 19_998, 19_997]);
        assert_eq!(days_between(now, now - DAY_MS * 3, now, 14), Vec::<i64>::new());
        assert_eq!(days_between(now - 40 * DAY_MS, now - 30 * DAY_MS, now, 14), Vec::<i64>::new());
    }

    #[test]
    fn a_bucket_expires_after_retention_and_sweeps_before_that() {
        assert_eq!(expires_at(10, 14), 25 * DAY_MS);
        assert_eq!(next_alarm(25 * DAY_MS, None), 25 * DAY_MS);
        assert_eq!(next_alarm(25 * DAY_MS, Some(11 * DAY_MS)), 11 * DAY_MS);
        assert_eq!(next_alarm(25 * DAY_MS, Some(30 * DAY_MS)), 25 * DAY_MS);
    }

    #[test]
    fn open_deliveries_follow_each_write_and_leave_once_attempted() {
        let mut open = OpenDeliveries::default();
        open.note("a", "pending", Some(60_000), 600_000);
        open.note("b", "pending", Some(61_000), 600_000);
        open.note("c", "retrying", Some(1_000), 600_000);
        assert_eq!(open.earliest(), Some(60_000));
        open.note("a", "succeeded", None, 600_000);
        assert_eq!(open.due_by(61_000), ["b"]);
        assert_eq!(open.due_by(601_000), ["b", "c"]);
        open.note("b", "failed", None, 600_000);
        open.note("c", "succeeded", None, 600_000);
        assert!(open.is_empty());
        assert_eq!(open.earliest(), None);
    }

    #[test]
    fn a_pending_delivery_is_due_at_its_guard_time_and_a_retry_once_overdue() {
        assert_eq!(sweep_due("pending", Some(1_000), 600_000), Some(1_000));
        assert_eq!(sweep_due("retrying", Some(1_000), 600_000), Some(601_000));
        assert_eq!(sweep_due("succeeded", Some(1_000), 600_000), None);
        assert_eq!(sweep_due("failed", None, 600_000), None);
        assert_eq!(sweep_due("pending", None, 600_000), None);
    }

    #[test]
    fn pages_merge_newest_first_across_buckets() {
        let today = (vec![9, 7], 3);
        let yesterday = (vec![5, 4], 2);
        assert_eq!(merge_newest(vec![yesterday.clone(), today.clone()], |x| *x, 0, 3), (vec![9, 7, 5], 5));
        assert_eq!(merge_newest(vec![today, yesterday], |x| *x, 2, 2), (vec![5, 4], 5));
    }

    #[test]
    fn requests_travel_as_tagged_json() {
        let r = BucketRequest::Stats { since_ms: 5 };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(text, r#"{"op":"stats","sinceMs":5}"#);
        assert_eq!(serde_json::from_str::<BucketRequest>(&text).unwrap(), r);
        let a = AttemptRow::from_record(&AttemptRecord {
            id: "x".into(),
            delivery_id: "dlv_abc".into(),
            hook_id: "h".into(),
            event: "PostSignIn".into(),
            number: 2,
            started_at: 1,
            duration_ms: 2,
            success: true,
            response_status: Some(200),
            response_body: None,
            response_headers: None,
            error: None,
        });
        assert_eq!(a.clone().into_record("h").id, "att_abc.2");
        assert_eq!(a.into_record("h").hook_id, "h");
    }

    #[test]
    fn compact_storage_round_trips_ids_events_and_statuses() {
        let hook = hook_id();
        let at = 20_000 * DAY_MS + 77;
        let c = Compact::new(&hook, 20_000);
        let id = delivery_id(&hook, at);
        assert_eq!(c.id(&id).len(), 16);
        assert_eq!(c.full_id(c.id(&id)), id);
        let other_day = delivery_id(&hook, at + DAY_MS);
        assert_eq!(c.full_id(c.id(&other_day)), other_day, "an id of another bucket is kept whole");
        assert_eq!(c.full_id("dlv_legacy"), "dlv_legacy");
        assert_eq!(Compact::full_event_id(Compact::event_id("evt_abc")), "evt_abc");
        for (name, _) in crate::core::catalog::EVENTS {
            assert_eq!(Compact::event_name(Compact::event(name)), *name);
        }
        for s in STATUSES {
            assert_eq!(Compact::status_name(Compact::status(s)), s);
        }
    }
}
