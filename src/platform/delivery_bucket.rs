//! `DeliveryBucket`: the SQLite-backed Durable Object holding one hook's deliveries created
//! on one UTC day and its attempts started that day (`delivery/buckets.rs`). This is where
//! an attempt is recorded. Its alarm sweeps retries whose queue message was lost and, once
//! `LOG_RETENTION_DAYS` have passed, deletes the whole bucket.
//!
//! Schema diet (SPEC §10): a delivery is one row (its id is the primary key and sorts by
//! creation), an attempt one row plus one index entry (by start time, for windows and
//! stats); attempt ids are derived, the hook is the object's, and what every row would
//! repeat is stored compactly (`buckets::Compact`: id suffixes, event and status codes). A first attempt that succeeds
//! writes 3 rows; each further attempt adds 3 (its row, its index entry, the delivery update).

use super::{config, queue::QueueSender, QUEUE_BINDING};
use crate::core::config::Config;
use crate::core::hourly::HourStats;
use crate::core::ids::DAY_MS;
use crate::core::tenant::DEFAULT_TENANT;
use crate::delivery::buckets::{self, AttemptRow, BucketRequest, Compact, Counts, Page, Usage};
use crate::delivery::buckets::{sweep_due, OpenDeliveries};
use crate::delivery::ports::{DeliveryQueue, StoredDelivery};
use crate::delivery::retention::sweep_plan;
use std::cell::{Cell, RefCell};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorageValue, State};

const SCHEMA: &str = "\
CREATE TABLE IF NOT EXISTS deliveries (\
  id TEXT PRIMARY KEY, event_id TEXT NOT NULL, event INTEGER NOT NULL, payload TEXT NOT NULL, \
  status INTEGER NOT NULL, attempts INTEGER NOT NULL, next_attempt_at INTEGER, last_error TEXT, \
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;\
CREATE TABLE IF NOT EXISTS attempts (\
  delivery_id TEXT NOT NULL, number INTEGER NOT NULL, event INTEGER NOT NULL, \
  started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL, success INTEGER NOT NULL, \
  response_status INTEGER, response_body TEXT, error TEXT, response_headers TEXT, \
  PRIMARY KEY (delivery_id, number)) WITHOUT ROWID;\
CREATE INDEX IF NOT EXISTS attempts_by_time ON attempts (started_at, success);\
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, hook_id TEXT NOT NULL, day INTEGER NOT NULL) WITHOUT ROWID;";

const DELIVERY_COLUMNS: &str =
    "id, event_id, event, status, attempts, next_attempt_at, last_error, created_at, updated_at";
const ATTEMPT_COLUMNS: &str =
    "a.delivery_id, a.event, a.number, a.started_at, a.duration_ms, a.success, a.response_status, a.response_body, a.error, \
     a.response_headers";

#[durable_object]
pub struct DeliveryBucket {
    state: State,
    env: Env,
    /// Read once per instance, not per request (retention and sweep settings).
    settings: Config,
    ready: Cell<bool>,
    /// How rows are stored compactly, once the bucket's hook and day are known.
    compact: RefCell<Option<Compact>>,
    /// The alarm as last set by this instance (saves a storage read per write).
    alarm_at: Cell<Option<i64>>,
    /// Deliveries still due an attempt, so the alarm need not scan the day.
    open: RefCell<OpenDeliveries>,
    requests: Cell<u64>,
    rows_written: Cell<u64>,
    rows_read: Cell<u64>,
}

/// A result row, read positionally: deserialising through serde per row type would add
/// more to the wasm than these few accessors.
pub(super) type Row = Vec<SqlStorageValue>;

pub(super) fn col_int(row: &Row, k: usize) -> Option<i64> {
    match row.get(k) {
        Some(SqlStorageValue::Integer(n)) => Some(*n),
        Some(SqlStorageValue::Float(f)) => Some(*f as i64),
        Some(SqlStorageValue::Boolean(b)) => Some(*b as i64),
        _ => None,
    }
}

pub(super) fn col_text(row: &Row, k: usize) -> Option<String> {
    match row.get(k) {
        Some(SqlStorageValue::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// `DELIVERY_COLUMNS` (and `payload` as the tenth column when selected).
fn delivery_row(row: &Row, c: &Compact) -> StoredDelivery {
    StoredDelivery {
        id: c.full_id(&col_text(row, 0).unwrap_or_default()),
        hook_id: c.hook_id().to_string(),
        event_id: Compact::full_event_id(&col_text(row, 1).unwrap_or_default()),
        event: Compact::event_name(col_int(row, 2).unwrap_or(-1)),
        status: Compact::status_name(col_int(row, 3).unwrap_or(3)),
        attempts: col_int(row, 4).unwrap_or(0) as u32,
        next_attempt_at: col_int(row, 5),
        last_error: col_text(row, 6),
        created_at: col_int(row, 7).unwrap_or(0),
        updated_at: col_int(row, 8).unwrap_or(0),
        payload: col_text(row, 9),
    }
}

/// `ATTEMPT_COLUMNS` (and the delivery's `payload` as the eleventh column when joined).
fn attempt_row(row: &Row, c: &Compact) -> AttemptRow {
    AttemptRow {
        delivery_id: c.full_id(&col_text(row, 0).unwrap_or_default()),
        event: Compact::event_name(col_int(row, 1).unwrap_or(-1)),
        number: col_int(row, 2).unwrap_or(0) as u32,
        started_at: col_int(row, 3).unwrap_or(0),
        duration_ms: col_int(row, 4).unwrap_or(0),
        success: col_int(row, 5) == Some(1),
        response_status: col_int(row, 6).map(|s| s as u16),
        response_body: col_text(row, 7),
        error: col_text(row, 8),
        response_headers: col_text(row, 9),
        payload: col_text(row, 10),
    }
}

pub(super) fn int(n: i64) -> SqlStorageValue {
    SqlStorageValue::Integer(n)
}

pub(super) fn opt_int(n: Option<i64>) -> SqlStorageValue {
    n.map_or(SqlStorageValue::Null, int)
}

pub(super) fn text(s: &str) -> SqlStorageValue {
    SqlStorageValue::String(s.to_string())
}

pub(super) fn opt_text(s: Option<&str>) -> SqlStorageValue {
    s.map_or(SqlStorageValue::Null, text)
}

impl DeliveryBucket {
    fn rows(&self, query: &str, bindings: Vec<SqlStorageValue>) -> Result<Vec<Row>> {
        let cursor = self.state.storage().sql().exec(query, bindings)?;
        let rows = cursor.raw().collect::<Result<Vec<Row>>>()?;
        self.rows_written.set(self.rows_written.get() + cursor.rows_written() as u64);
        self.rows_read.set(self.rows_read.get() + cursor.rows_read() as u64);
        Ok(rows)
    }

    fn run(&self, query: &str, bindings: Vec<SqlStorageValue>) -> Result<()> {
        self.rows(query, bindings).map(|_| ())
    }

    /// Whether this bucket was ever written. Reads of a bucket that was not answer empty
    /// without creating anything, so asking about a quiet day stores nothing.
    fn exists(&self) -> Result<bool> {
        if !self.ready.get() {
            let tables = self.rows(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('meta', 'attempts')",
                vec![],
            )?;
            let found = tables.iter().any(|t| col_text(t, 0).as_deref() == Some("meta"));
            let attempts = tables.iter().find(|t| col_text(t, 0).as_deref() == Some("attempts"));
            if found
                && attempts.is_some_and(|t| !col_text(t, 1).unwrap_or_default().contains("response_headers"))
            {
                // A bucket written before failed attempts kept their response headers.
                self.run("ALTER TABLE attempts ADD COLUMN response_headers TEXT", vec![])?;
            }
            self.ready.set(found);
        }
        Ok(self.ready.get())
    }

    fn ensure_schema(&self) -> Result<()> {
        if !self.exists()? {
            for statement in SCHEMA.split(';').filter(|s| !s.trim().is_empty()) {
                self.run(statement, vec![])?;
            }
            self.ready.set(true);
        }
        Ok(())
    }

    /// How many rows match (`count_sql`) and the first `limit` of them (`rows_sql`, whose
    /// last placeholder is the limit).
    fn page<T>(
        &self,
        count_sql: &str,
        rows_sql: &str,
        mut args: Vec<SqlStorageValue>,
        limit: usize,
        map: impl Fn(&Row) -> T,
    ) -> Result<Page<T>> {
        let total = self.number(count_sql, args.clone())?.unwrap_or(0) as usize;
        args.push(int(limit as i64));
        Ok(Page { rows: self.rows(rows_sql, args)?.iter().map(map).collect(), total })
    }

    /// The newest deliveries, optionally of one status and created within a window.
    fn deliveries(
        &self,
        status: Option<String>,
        window: Option<(i64, i64)>,
        limit: usize,
        c: &Compact,
    ) -> Result<Page<StoredDelivery>> {
        let mut conditions = Vec::new();
        let mut args = Vec::new();
        if let Some((since, until)) = window {
            conditions.push("created_at >= ? AND created_at <= ?");
            args.extend([int(since), int(until)]);
        }
        if let Some(s) = &status {
            conditions.push("status = ?");
            args.push(int(Compact::status(s)));
        }
        let filter =
            if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        self.page(
            &format!("SELECT COUNT(*) FROM deliveries {filter}"),
            &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries {filter} ORDER BY id DESC LIMIT ?"),
            args,
            limit,
            |r| delivery_row(r, c),
        )
    }

    /// The first column of the first row.
    fn number(&self, query: &str, bindings: Vec<SqlStorageValue>) -> Result<Option<i64>> {
        Ok(self.rows(query, bindings)?.first().and_then(|r| col_int(r, 0)))
    }

    fn meta(&self) -> Result<Option<(String, i64)>> {
        Ok(self
            .rows("SELECT hook_id, day FROM meta WHERE k = 'bucket'", vec![])?
            .first()
            .and_then(|r| Some((col_text(r, 0)?, col_int(r, 1)?))))
    }

    /// The tenant of the bucket's hook, for the sweeper's messages.
    fn tenant(&self) -> Result<String> {
        Ok(self
            .rows("SELECT hook_id FROM meta WHERE k = 'tenant'", vec![])?
            .first()
            .and_then(|r| col_text(r, 0))
            .unwrap_or_else(|| DEFAULT_TENANT.to_string()))
    }

    fn compact(&self) -> Result<Compact> {
        if self.compact.borrow().is_none() {
            let c = self.meta()?.map(|(hook, day)| Compact::new(&hook, day));
            *self.compact.borrow_mut() = c;
        }
        Ok(self.compact.borrow().clone().unwrap_or_else(|| Compact::new("", 0)))
    }

    /// Moves the alarm earlier when `at` comes before it (or sets the first one).
    async fn alarm_no_later_than(&self, at: i64) -> Result<()> {
        let current = match self.alarm_at.get() {
            Some(t) => Some(t),
            None => self.state.storage().get_alarm().await?,
        };
        if current.is_none_or(|t| at < t) {
            let when = js_sys::Date::new(&worker::wasm_bindgen::JsValue::from_f64(at as f64));
            self.state.storage().set_alarm(worker::ScheduledTime::new(when)).await?;
            self.alarm_at.set(Some(at));
        } else {
            self.alarm_at.set(current);
        }
        Ok(())
    }

    async fn record(
        &self,
        tenant: &str,
        hook_id: &str,
        day: i64,
        deliveries: &[StoredDelivery],
        attempts: &[AttemptRow],
    ) -> Result<()> {
        // Once this instance knows the bucket (`compact`), it was written before.
        let first_write = self.compact.borrow().is_none() && self.meta()?.is_none();
        if first_write {
            self.run(
                "INSERT OR IGNORE INTO meta (k, hook_id, day) VALUES ('bucket', ?, ?)",
                vec![text(hook_id), int(day)],
            )?;
            if tenant != DEFAULT_TENANT {
                // The `tenant` row names the hook's tenant in its text column; `default`'s
                // buckets (and those written before tenants) have none.
                self.run(
                    "INSERT OR IGNORE INTO meta (k, hook_id, day) VALUES ('tenant', ?, 0)",
                    vec![text(tenant)],
                )?;
            }
        }
        let c = Compact::new(hook_id, day);
        *self.compact.borrow_mut() = Some(c.clone());
        for d in deliveries {
            self.run(
                "INSERT INTO deliveries (id, event_id, event, payload, status, attempts, next_attempt_at, \
                 last_error, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) \
                 ON CONFLICT (id) DO UPDATE SET \
                 status = CASE WHEN deliveries.status = 2 THEN 2 ELSE excluded.status END, \
                 next_attempt_at = CASE WHEN deliveries.status = 2 THEN NULL ELSE excluded.next_attempt_at END, \
                 last_error = CASE WHEN deliveries.status = 2 THEN deliveries.last_error ELSE excluded.last_error END, \
                 attempts = MAX(deliveries.attempts, excluded.attempts), updated_at = excluded.updated_at",
                vec![
                    text(c.id(&d.id)),
                    text(Compact::event_id(&d.event_id)),
                    int(Compact::event(&d.event)),
                    text(d.payload.as_deref().unwrap_or("{}")),
                    int(Compact::status(&d.status)),
                    int(d.attempts as i64),
                    opt_int(d.next_attempt_at),
                    opt_text(d.last_error.as_deref()),
                    int(d.updated_at),
                ],
            )?;
        }
        for a in attempts {
            // A duplicate of an attempt already recorded (an at-least-once redelivery) is kept once.
            self.run(
                "INSERT OR IGNORE INTO attempts (delivery_id, number, event, started_at, duration_ms, success, \
                 response_status, response_body, error, response_headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                vec![
                    text(c.id(&a.delivery_id)),
                    int(a.number as i64),
                    int(Compact::event(&a.event)),
                    int(a.started_at),
                    int(a.duration_ms),
                    int(a.success as i64),
                    opt_int(a.response_status.map(i64::from)),
                    opt_text(a.response_body.as_deref()),
                    opt_text(a.error.as_deref()),
                    opt_text(a.response_headers.as_deref()),
                ],
            )?;
        }
        let expires = buckets::expires_at(day, self.settings.log_retention_days);
        let sweep_after = self.settings.sweep_after_secs as i64 * 1000;
        {
            let mut open = self.open.borrow_mut();
            // This instance made the bucket: it has seen every delivery written to it.
            open.complete |= first_write;
            for d in deliveries {
                open.note(&d.id, &d.status, d.next_attempt_at, sweep_after);
            }
        }
        let earliest_due =
            deliveries.iter().filter_map(|d| sweep_due(&d.status, d.next_attempt_at, sweep_after)).min();
        if first_write || earliest_due.is_some() {
            self.alarm_no_later_than(buckets::next_alarm(expires, earliest_due)).await?;
        }
        Ok(())
    }

    fn answer(&self, req: BucketRequest) -> Result<serde_json::Value> {
        use serde_json::to_value;
        let c = self.compact()?;
        let v = match req {
            // Written in `fetch` (they need the alarm, which is async).
            BucketRequest::Record { .. } | BucketRequest::Release { .. } => serde_json::Value::Null,
            BucketRequest::Stats { since_ms } => {
                let rows = self.rows(
                    "SELECT COUNT(*), SUM(success) FROM attempts WHERE started_at > ?",
                    vec![int(since_ms)],
                )?;
                let counts = rows
                    .first()
                    .map(|r| Counts {
                        requests: col_int(r, 0).unwrap_or(0) as u64,
                        successes: col_int(r, 1).unwrap_or(0) as u64,
                    })
                    .unwrap_or_default();
                to_value(counts)?
            }
            BucketRequest::LastSuccess => {
                to_value(self.number("SELECT MAX(started_at) AS n FROM attempts WHERE success = 1", vec![])?)?
            }
            BucketRequest::FirstFailureAfter { after_ms } => to_value(self.number(
                "SELECT MIN(started_at) AS n FROM attempts WHERE success = 0 AND started_at > ?",
                vec![int(after_ms)],
            )?)?,
            BucketRequest::Attempts { event, start_ms, end_ms, limit } => {
                let (filter, args) = match &event {
                    Some(e) => (
                        "a.started_at >= ? AND a.started_at <= ? AND a.event = ?",
                        vec![int(start_ms), int(end_ms), int(Compact::event(e))],
                    ),
                    None => ("a.started_at >= ? AND a.started_at <= ?", vec![int(start_ms), int(end_ms)]),
                };
                let page = self.page(
                    &format!("SELECT COUNT(*) FROM attempts a WHERE {filter}"),
                    &format!(
                        "SELECT {ATTEMPT_COLUMNS}, d.payload AS payload FROM attempts a \
                         LEFT JOIN deliveries d ON d.id = a.delivery_id WHERE {filter} \
                         ORDER BY a.started_at DESC, a.number DESC LIMIT ?"
                    ),
                    args,
                    limit,
                    |r| attempt_row(r, &c),
                )?;
                to_value(page)?
            }
            BucketRequest::Deliveries { status, limit } => {
                to_value(self.deliveries(status, None, limit, &c)?)?
            }
            BucketRequest::DeliveriesBetween { status, since_ms, until_ms, limit } => {
                to_value(self.deliveries(status, Some((since_ms, until_ms)), limit, &c)?)?
            }
            BucketRequest::Hourly { start_ms, end_ms } => {
                // Exact nearest-rank percentiles per hour (`core::hourly::rank`): each
                // attempt's rank within its hour by duration, then the rows at the p50 and
                // p95 ranks. The time range reads the `attempts_by_time` index.
                let rows = self.rows(
                    "WITH r AS (SELECT started_at / 3600000 AS h, duration_ms AS d, success AS s, \
                       ROW_NUMBER() OVER (PARTITION BY started_at / 3600000 ORDER BY duration_ms) AS rn, \
                       COUNT(*) OVER (PARTITION BY started_at / 3600000) AS n \
                     FROM attempts WHERE started_at >= ? AND started_at < ?) \
                     SELECT h, MAX(n), SUM(s), MAX(CASE WHEN rn = (n * 50 + 99) / 100 THEN d END), \
                       MAX(CASE WHEN rn = (n * 95 + 99) / 100 THEN d END) FROM r GROUP BY h ORDER BY h",
                    vec![int(start_ms), int(end_ms)],
                )?;
                let hours: Vec<HourStats> = rows
                    .iter()
                    .map(|r| HourStats {
                        hour: col_int(r, 0).unwrap_or(0),
                        requests: col_int(r, 1).unwrap_or(0) as u64,
                        successes: col_int(r, 2).unwrap_or(0) as u64,
                        p50_ms: col_int(r, 3),
                        p95_ms: col_int(r, 4),
                    })
                    .collect();
                to_value(hours)?
            }
            BucketRequest::EventDeliveries { event_id, from_ms, to_ms } => {
                let day = c.day();
                let (lower, upper) = buckets::event_window(day, from_ms, to_ms);
                let rows: Vec<StoredDelivery> = self
                    .rows(
                        &format!(
                            "SELECT {DELIVERY_COLUMNS}, payload FROM deliveries \
                             WHERE id >= ? AND id < ? AND event_id = ? ORDER BY id"
                        ),
                        vec![text(&lower), text(&upper), text(Compact::event_id(&event_id))],
                    )?
                    .into_iter()
                    .map(|r| delivery_row(&r, &c))
                    .collect();
                to_value(rows)?
            }
            BucketRequest::Delivery { id } => {
                let row: Option<StoredDelivery> = self
                    .rows(
                        &format!("SELECT {DELIVERY_COLUMNS}, payload FROM deliveries WHERE id = ?"),
                        vec![text(c.id(&id))],
                    )?
                    .into_iter()
                    .next()
                    .map(|r| delivery_row(&r, &c));
                to_value(row)?
            }
            BucketRequest::AttemptsOf { id } => {
                let rows: Vec<AttemptRow> = self
                    .rows(
                        &format!("SELECT {ATTEMPT_COLUMNS} FROM attempts a WHERE a.delivery_id = ? ORDER BY a.number"),
                        vec![text(c.id(&id))],
                    )?
                    .into_iter()
                    .map(|r| attempt_row(&r, &c))
                    .collect();
                to_value(rows)?
            }
            BucketRequest::Payloads { ids } => {
                let mut out: Vec<(String, String)> = Vec::with_capacity(ids.len());
                for id in ids {
                    for r in
                        self.rows("SELECT payload FROM deliveries WHERE id = ?", vec![text(c.id(&id))])?
                    {
                        out.push((id.clone(), col_text(&r, 0).unwrap_or_default()));
                    }
                }
                to_value(out)?
            }
            BucketRequest::Failed { since_ms, until_ms, limit } => {
                let rows: Vec<StoredDelivery> = self
                    .rows(
                        &format!(
                            "SELECT {DELIVERY_COLUMNS}, payload FROM deliveries WHERE status = 3 \
                             AND created_at >= ? AND created_at <= ? ORDER BY created_at LIMIT ?"
                        ),
                        vec![int(since_ms), int(until_ms), int(limit as i64)],
                    )?
                    .into_iter()
                    .map(|r| delivery_row(&r, &c))
                    .collect();
                to_value(rows)?
            }
            BucketRequest::Usage => {
                let count = |table: &str| -> Result<u64> {
                    Ok(self.number(&format!("SELECT COUNT(*) AS n FROM {table}"), vec![])?.unwrap_or(0)
                        as u64)
                };
                let usage = Usage {
                    requests: self.requests.get(),
                    rows_written: self.rows_written.get(),
                    rows_read: self.rows_read.get(),
                    database_bytes: self.state.storage().sql().database_size() as u64,
                    deliveries: count("deliveries")?,
                    attempts: count("attempts")?,
                };
                to_value(usage)?
            }
        };
        Ok(v)
    }

    /// Held deliveries of a resumed hook, oldest first: made `pending` (the guard covers them
    /// until the queue's attempt is recorded) and returned with their payloads.
    async fn release(&self, guard_until_ms: i64, limit: usize) -> Result<Vec<StoredDelivery>> {
        let c = self.compact()?;
        let now = worker::Date::now().as_millis() as i64;
        let sweep_after = self.settings.sweep_after_secs as i64 * 1000;
        let held: Vec<StoredDelivery> = self
            .rows(
                &format!(
                    "SELECT {DELIVERY_COLUMNS}, payload FROM deliveries WHERE status = 4 ORDER BY id LIMIT ?"
                ),
                vec![int(limit as i64)],
            )?
            .iter()
            .map(|r| delivery_row(r, &c))
            .collect();
        for d in &held {
            self.run(
                "UPDATE deliveries SET status = 0, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 4",
                vec![int(guard_until_ms), int(now), text(c.id(&d.id))],
            )?;
            self.open.borrow_mut().note(&d.id, "pending", Some(guard_until_ms), sweep_after);
        }
        if !held.is_empty() {
            self.alarm_no_later_than(guard_until_ms).await?;
        }
        Ok(held
            .into_iter()
            .map(|d| StoredDelivery { status: "pending".into(), next_attempt_at: Some(guard_until_ms), ..d })
            .collect())
    }

    /// The alarm: expired → delete the whole bucket (unless a delivery is still pending or
    /// retrying); otherwise enqueue first attempts whose guard passed and retries overdue by
    /// `SWEEP_AFTER_SECONDS`, and set the next alarm. Which deliveries are open is kept in
    /// memory (`OpenDeliveries`): only their rows are read, and the whole day is scanned at
    /// most once per instance (after an eviction), never on every alarm.
    async fn on_alarm(&self) -> Result<()> {
        self.alarm_at.set(None);
        let Some((hook_id, day)) = self.meta()? else { return Ok(()) };
        let config = &self.settings;
        let now = worker::Date::now().as_millis() as i64;
        let expires = buckets::expires_at(day, config.log_retention_days);
        let sweep_after = config.sweep_after_secs as i64 * 1000;
        let guard = config.dispatch_guard_secs as i64 * 1000;
        let c = self.compact()?;
        if !self.open.borrow().complete {
            let rows = self
                .rows("SELECT id, status, next_attempt_at FROM deliveries WHERE status IN (0, 1)", vec![])?;
            let mut open = self.open.borrow_mut();
            for r in &rows {
                let status = Compact::status_name(col_int(r, 1).unwrap_or(3));
                open.note(
                    &c.full_id(&col_text(r, 0).unwrap_or_default()),
                    &status,
                    col_int(r, 2),
                    sweep_after,
                );
            }
            open.complete = true;
        }
        if now >= expires && self.open.borrow().is_empty() {
            self.state.storage().delete_all().await?;
            self.ready.set(false);
            *self.compact.borrow_mut() = None;
            self.open.borrow_mut().clear();
            return Ok(());
        }
        let due_ids = self.open.borrow().due_by(now);
        let mut stuck: Vec<StoredDelivery> = Vec::new();
        for chunk in due_ids.chunks(50) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let query = format!("SELECT {DELIVERY_COLUMNS}, payload FROM deliveries WHERE id IN ({marks})");
            for r in self.rows(&query, chunk.iter().map(|id| text(c.id(id))).collect())? {
                let d = delivery_row(&r, &c);
                if sweep_due(&d.status, d.next_attempt_at, sweep_after).is_some_and(|t| t <= now) {
                    stuck.push(d);
                } else {
                    // Its attempt was recorded after all (a write the set saw out of order).
                    self.open.borrow_mut().note(&d.id, &d.status, d.next_attempt_at, sweep_after);
                }
            }
        }
        if !stuck.is_empty() {
            let (tasks, records) = sweep_plan(&self.tenant()?, &stuck, now, guard);
            QueueSender::new(self.env.queue(QUEUE_BINDING)?)
                .enqueue(&tasks)
                .await
                .map_err(|e| worker::Error::RustError(e.to_string()))?;
            for r in &records {
                // Only if nothing was recorded meanwhile (the attempt may have just finished).
                self.run(
                    "UPDATE deliveries SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = ?",
                    vec![
                        opt_int(r.next_attempt_at),
                        int(now),
                        text(c.id(&r.id)),
                        int(Compact::status(r.status)),
                    ],
                )?;
                self.open.borrow_mut().note(&r.id, r.status, r.next_attempt_at, sweep_after);
            }
            worker::console_log!("bucket {hook_id}/{day}: enqueued {} overdue deliveries", tasks.len());
        }
        let earliest = self.open.borrow().earliest();
        // Past expiry with retries left: look again once they had time to finish.
        let expires = if now >= expires { now + DAY_MS } else { expires };
        self.alarm_no_later_than(buckets::next_alarm(expires, earliest).max(now + 1000)).await
    }
}

impl DurableObject for DeliveryBucket {
    fn new(state: State, env: Env) -> Self {
        Self {
            // A bad variable is reported by every Worker request; here the defaults keep the
            // bucket's alarms going.
            settings: config(&env).unwrap_or_default(),
            state,
            env,
            ready: Cell::new(false),
            compact: RefCell::new(None),
            alarm_at: Cell::new(None),
            open: RefCell::new(OpenDeliveries::default()),
            requests: Cell::new(0),
            rows_written: Cell::new(0),
            rows_read: Cell::new(0),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        // serde_json, not the runtime's JSON: times past 2^53 ms (any window a client sends)
        // stay exact integers.
        let request: BucketRequest = serde_json::from_str(&req.text().await?)?;
        if request != BucketRequest::Usage {
            self.requests.set(self.requests.get() + 1);
        }
        if let BucketRequest::Record { tenant, hook_id, day, deliveries, attempts } = &request {
            self.ensure_schema()?;
            self.record(tenant, hook_id, *day, deliveries, attempts).await?;
            return Response::from_json(&serde_json::json!({ "rowsWritten": self.rows_written.get() }));
        }
        if !self.exists()? {
            return Response::from_json(&request.empty_answer());
        }
        if let BucketRequest::Release { guard_until_ms, limit } = request {
            return Response::from_json(&self.release(guard_until_ms, limit).await?);
        }
        Response::from_json(&self.answer(request)?)
    }

    async fn alarm(&self) -> Result<Response> {
        if self.exists()? {
            self.on_alarm().await?;
        }
        Response::ok("")
    }
}
