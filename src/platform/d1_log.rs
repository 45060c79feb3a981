//! Where an attempt is recorded: the delivery log in D1 (schema in `migrations/`).

use crate::core::{Error, Result};
use crate::delivery::ports::{
    AttemptRecord, DeliveryLog, DeliveryRecord, ExecutionStats, LogQuery, LoggedAttempt, StoredDelivery,
};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

pub struct D1Log {
    db: D1Database,
}

impl D1Log {
    pub fn new(db: D1Database) -> Self {
        Self { db }
    }

    fn statement(&self, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement> {
        self.db.prepare(sql).bind(args).map_err(|e| d1_error("preparing a query", e))
    }

    async fn rows<T: for<'de> Deserialize<'de>>(&self, sql: &str, args: &[JsValue]) -> Result<Vec<T>> {
        self.statement(sql, args)?
            .all()
            .await
            .and_then(|r| r.results())
            .map_err(|e| d1_error("reading the delivery log", e))
    }

    async fn count(&self, sql: &str, args: &[JsValue]) -> Result<usize> {
        #[derive(Deserialize)]
        struct Count {
            n: f64,
        }
        Ok(self.rows::<Count>(sql, args).await?.first().map(|c| c.n as usize).unwrap_or(0))
    }
}

fn d1_error(context: &str, e: worker::Error) -> Error {
    Error::unavailable(format!("{context}: {e}"))
}

fn num(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}

fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

fn opt_text(s: Option<&str>) -> JsValue {
    s.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

fn opt_num(n: Option<i64>) -> JsValue {
    n.map(num).unwrap_or(JsValue::NULL)
}

#[derive(Deserialize)]
struct StatsRow {
    hook_id: String,
    requests: f64,
    successes: Option<f64>,
}

#[derive(Deserialize)]
struct AttemptRow {
    id: String,
    delivery_id: String,
    hook_id: String,
    event: String,
    number: f64,
    started_at: f64,
    duration_ms: f64,
    result: String,
    response_status: Option<f64>,
    response_body: Option<String>,
    error: Option<String>,
    #[serde(default)]
    payload: Option<String>,
}

impl From<AttemptRow> for LoggedAttempt {
    fn from(r: AttemptRow) -> Self {
        LoggedAttempt {
            record: AttemptRecord {
                id: r.id,
                delivery_id: r.delivery_id,
                hook_id: r.hook_id,
                event: r.event,
                number: r.number as u32,
                started_at: r.started_at as i64,
                duration_ms: r.duration_ms as i64,
                success: r.result == "Success",
                response_status: r.response_status.map(|s| s as u16),
                response_body: r.response_body,
                error: r.error,
            },
            payload: r.payload,
        }
    }
}

#[derive(Deserialize)]
struct DeliveryRow {
    id: String,
    event_id: String,
    hook_id: String,
    event: String,
    status: String,
    attempts: f64,
    next_attempt_at: Option<f64>,
    last_error: Option<String>,
    created_at: f64,
    updated_at: f64,
    #[serde(default)]
    payload: Option<String>,
}

impl From<DeliveryRow> for StoredDelivery {
    fn from(r: DeliveryRow) -> Self {
        StoredDelivery {
            id: r.id,
            event_id: r.event_id,
            hook_id: r.hook_id,
            event: r.event,
            status: r.status,
            attempts: r.attempts as u32,
            next_attempt_at: r.next_attempt_at.map(|t| t as i64),
            last_error: r.last_error,
            created_at: r.created_at as i64,
            updated_at: r.updated_at as i64,
            payload: r.payload,
        }
    }
}

const ATTEMPT_COLUMNS: &str =
    "a.id, a.delivery_id, a.hook_id, a.event, a.number, a.started_at, a.duration_ms, \
     a.result, a.response_status, a.response_body, a.error";
const DELIVERY_COLUMNS: &str =
    "id, event_id, hook_id, event, status, attempts, next_attempt_at, last_error, created_at, updated_at";

impl DeliveryLog for D1Log {
    async fn stats(&self, hook_id: Option<&str>, since_ms: i64) -> Result<Vec<(String, ExecutionStats)>> {
        const SELECT: &str = "SELECT hook_id, COUNT(*) AS requests, \
             SUM(CASE WHEN result = 'Success' THEN 1 ELSE 0 END) AS successes \
             FROM attempts WHERE started_at > ?1";
        let rows: Vec<StatsRow> = match hook_id {
            Some(id) => {
                self.rows(&format!("{SELECT} AND hook_id = ?2 GROUP BY hook_id"), &[num(since_ms), text(id)])
                    .await?
            }
            None => self.rows(&format!("{SELECT} GROUP BY hook_id"), &[num(since_ms)]).await?,
        };
        Ok(rows
            .into_iter()
            .map(|r| {
                let stats = ExecutionStats {
                    request_count: r.requests as u64,
                    success_count: r.successes.unwrap_or(0.0) as u64,
                };
                (r.hook_id, stats)
            })
            .collect())
    }

    /// A delivery that succeeded stays succeeded: a duplicate attempt (at-least-once queues,
    /// the sweeper) that fails later must not send it back to retrying.
    async fn record(&self, deliveries: &[DeliveryRecord], attempts: &[AttemptRecord]) -> Result<()> {
        let mut statements = Vec::with_capacity(deliveries.len() + attempts.len());
        for d in deliveries {
            statements.push(self.statement(
                "INSERT INTO deliveries (id, event_id, hook_id, event, payload, status, attempts, next_attempt_at, \
                 last_error, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) \
                 ON CONFLICT (id) DO UPDATE SET \
                 status = CASE WHEN deliveries.status = 'succeeded' THEN 'succeeded' ELSE excluded.status END, \
                 next_attempt_at = CASE WHEN deliveries.status = 'succeeded' THEN NULL ELSE excluded.next_attempt_at END, \
                 last_error = CASE WHEN deliveries.status = 'succeeded' THEN deliveries.last_error ELSE excluded.last_error END, \
                 attempts = MAX(deliveries.attempts, excluded.attempts), updated_at = excluded.updated_at",
                &[
                    text(&d.id),
                    text(&d.event_id),
                    text(&d.hook_id),
                    text(&d.event),
                    text(&d.payload),
                    text(d.status),
                    num(d.attempts as i64),
                    opt_num(d.next_attempt_at),
                    opt_text(d.last_error.as_deref()),
                    num(d.at),
                ],
            )?);
        }
        for a in attempts {
            statements.push(self.statement(
                "INSERT INTO attempts (id, delivery_id, hook_id, event, number, started_at, duration_ms, result, \
                 response_status, response_body, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                &[
                    text(&a.id),
                    text(&a.delivery_id),
                    text(&a.hook_id),
                    text(&a.event),
                    num(a.number as i64),
                    num(a.started_at),
                    num(a.duration_ms),
                    text(if a.success { "Success" } else { "Error" }),
                    opt_num(a.response_status.map(i64::from)),
                    opt_text(a.response_body.as_deref()),
                    opt_text(a.error.as_deref()),
                ],
            )?);
        }
        if statements.is_empty() {
            return Ok(());
        }
        self.db.batch(statements).await.map_err(|e| d1_error("writing the delivery log", e))?;
        Ok(())
    }

    async fn failing_since(&self, hook_id: &str) -> Result<Option<i64>> {
        #[derive(Deserialize)]
        struct Since {
            since: Option<f64>,
        }
        let rows: Vec<Since> = self
            .rows(
                "SELECT MIN(started_at) AS since FROM attempts WHERE hook_id = ?1 AND result = 'Error' \
                 AND started_at > COALESCE((SELECT MAX(started_at) FROM attempts \
                 WHERE hook_id = ?1 AND result = 'Success'), -1)",
                &[text(hook_id)],
            )
            .await?;
        Ok(rows.first().and_then(|r| r.since).map(|t| t as i64))
    }

    async fn attempts(&self, q: &LogQuery<'_>) -> Result<(Vec<LoggedAttempt>, usize)> {
        let mut filter = String::from("a.hook_id = ?1 AND a.started_at >= ?2 AND a.started_at <= ?3");
        let mut args = vec![text(q.hook_id), num(q.start_ms), num(q.end_ms)];
        if let Some(event) = q.event {
            filter.push_str(" AND a.event = ?4");
            args.push(text(event));
        }
        let total =
            self.count(&format!("SELECT COUNT(*) AS n FROM attempts a WHERE {filter}"), &args).await?;
        let n = args.len();
        args.push(num(q.limit as i64));
        args.push(num(q.offset as i64));
        let rows: Vec<AttemptRow> = self
            .rows(
                &format!(
                    "SELECT {ATTEMPT_COLUMNS}, d.payload AS payload FROM attempts a \
                     LEFT JOIN deliveries d ON d.id = a.delivery_id WHERE {filter} \
                     ORDER BY a.started_at DESC, a.number DESC LIMIT ?{} OFFSET ?{}",
                    n + 1,
                    n + 2
                ),
                &args,
            )
            .await?;
        Ok((rows.into_iter().map(LoggedAttempt::from).collect(), total))
    }

    async fn deliveries(
        &self,
        hook_id: &str,
        status: Option<&str>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<StoredDelivery>, usize)> {
        let (filter, mut args) = match status {
            Some(s) => ("hook_id = ?1 AND status = ?2", vec![text(hook_id), text(s)]),
            None => ("hook_id = ?1", vec![text(hook_id)]),
        };
        let total =
            self.count(&format!("SELECT COUNT(*) AS n FROM deliveries WHERE {filter}"), &args).await?;
        let n = args.len();
        args.push(num(limit as i64));
        args.push(num(offset as i64));
        let rows: Vec<DeliveryRow> = self
            .rows(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE {filter} \
                     ORDER BY created_at DESC LIMIT ?{} OFFSET ?{}",
                    n + 1,
                    n + 2
                ),
                &args,
            )
            .await?;
        Ok((rows.into_iter().map(StoredDelivery::from).collect(), total))
    }

    async fn delivery(&self, id: &str) -> Result<Option<(StoredDelivery, Vec<AttemptRecord>)>> {
        let rows: Vec<DeliveryRow> = self
            .rows(&format!("SELECT {DELIVERY_COLUMNS}, payload FROM deliveries WHERE id = ?1"), &[text(id)])
            .await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let attempts: Vec<AttemptRow> = self
            .rows(
                &format!(
                    "SELECT {ATTEMPT_COLUMNS} FROM attempts a WHERE a.delivery_id = ?1 ORDER BY a.number"
                ),
                &[text(id)],
            )
            .await?;
        Ok(Some((row.into(), attempts.into_iter().map(|a| LoggedAttempt::from(a).record).collect())))
    }

    async fn failed_between(
        &self,
        hook_id: &str,
        since_ms: i64,
        until_ms: i64,
        limit: usize,
    ) -> Result<Vec<StoredDelivery>> {
        let rows: Vec<DeliveryRow> = self
            .rows(
                &format!(
                    "SELECT {DELIVERY_COLUMNS}, payload FROM deliveries WHERE hook_id = ?1 AND status = 'failed' \
                     AND created_at >= ?2 AND created_at <= ?3 ORDER BY created_at LIMIT ?4"
                ),
                &[text(hook_id), num(since_ms), num(until_ms), num(limit as i64)],
            )
            .await?;
        Ok(rows.into_iter().map(StoredDelivery::from).collect())
    }

    async fn overdue(&self, due_before_ms: i64, limit: usize) -> Result<Vec<StoredDelivery>> {
        let rows: Vec<DeliveryRow> = self
            .rows(
                &format!(
                    "SELECT {DELIVERY_COLUMNS}, payload FROM deliveries WHERE status = 'retrying' \
                     AND next_attempt_at < ?1 ORDER BY next_attempt_at LIMIT ?2"
                ),
                &[num(due_before_ms), num(limit as i64)],
            )
            .await?;
        Ok(rows.into_iter().map(StoredDelivery::from).collect())
    }

    async fn purge(&self, before_ms: i64, idempotency_before_ms: i64) -> Result<u64> {
        let statements = vec![
            self.statement("DELETE FROM attempts WHERE started_at < ?1", &[num(before_ms)])?,
            self.statement(
                "DELETE FROM deliveries WHERE updated_at < ?1 AND status IN ('succeeded', 'failed')",
                &[num(before_ms)],
            )?,
            self.statement(
                "DELETE FROM idempotency_keys WHERE created_at < ?1",
                &[num(idempotency_before_ms)],
            )?,
        ];
        let results = self.db.batch(statements).await.map_err(|e| d1_error("purging the delivery log", e))?;
        Ok(results.iter().filter_map(|r| r.meta().ok().flatten()).filter_map(|m| m.changes).sum::<usize>()
            as u64)
    }
}
