//! The delivery log in D1 (schema in `migrations/`).

use crate::core::{Error, Result};
use crate::delivery::ports::{DeliveryLog, ExecutionStats};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::D1Database;

pub struct D1Log {
    db: D1Database,
}

impl D1Log {
    pub fn new(db: D1Database) -> Self {
        Self { db }
    }
}

fn d1_error(context: &str, e: worker::Error) -> Error {
    Error::unavailable(format!("{context}: {e}"))
}

#[derive(Deserialize)]
struct StatsRow {
    hook_id: String,
    requests: f64,
    successes: Option<f64>,
}

impl DeliveryLog for D1Log {
    async fn stats(&self, hook_id: Option<&str>, since_ms: i64) -> Result<Vec<(String, ExecutionStats)>> {
        const SELECT: &str = "SELECT hook_id, COUNT(*) AS requests, \
             SUM(CASE WHEN result = 'Success' THEN 1 ELSE 0 END) AS successes \
             FROM attempts WHERE started_at > ?1";
        let statement = match hook_id {
            Some(id) => self
                .db
                .prepare(format!("{SELECT} AND hook_id = ?2 GROUP BY hook_id"))
                .bind(&[JsValue::from_f64(since_ms as f64), JsValue::from_str(id)]),
            None => self
                .db
                .prepare(format!("{SELECT} GROUP BY hook_id"))
                .bind(&[JsValue::from_f64(since_ms as f64)]),
        }
        .map_err(|e| d1_error("preparing stats query", e))?;
        let rows: Vec<StatsRow> = statement
            .all()
            .await
            .and_then(|r| r.results())
            .map_err(|e| d1_error("reading execution stats", e))?;
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
}
