//! `Idempotency-Key`s in D1: its single primary makes the claim atomic, which KV's eventual
//! consistency could not.

use crate::core::{Error, Result};
use crate::delivery::ports::{Claim, IdempotencyStore};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::D1Database;

const TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// A claim whose request died without answering is released after this long.
const STALE_CLAIM_MS: i64 = 2 * 60 * 1000;

pub struct D1Idempotency {
    db: D1Database,
}

impl D1Idempotency {
    pub fn new(db: D1Database) -> Self {
        Self { db }
    }
}

fn d1_error(e: worker::Error) -> Error {
    Error::unavailable(format!("idempotency store: {e}"))
}

#[derive(Deserialize)]
struct Row {
    status: Option<f64>,
    response: Option<String>,
}

impl IdempotencyStore for D1Idempotency {
    async fn claim(&self, key: &str, now_ms: i64) -> Result<Claim> {
        let inserted = self
            .db
            .prepare(
                "INSERT INTO idempotency_keys (key, created_at) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET created_at = excluded.created_at, status = NULL, response = NULL \
                 WHERE idempotency_keys.created_at <= ?3 \
                    OR (idempotency_keys.status IS NULL AND idempotency_keys.created_at <= ?4)",
            )
            .bind(&[
                JsValue::from_str(key),
                JsValue::from_f64(now_ms as f64),
                JsValue::from_f64((now_ms - TTL_MS) as f64),
                JsValue::from_f64((now_ms - STALE_CLAIM_MS) as f64),
            ])
            .map_err(d1_error)?
            .run()
            .await
            .map_err(d1_error)?;
        let changes = inserted.meta().map_err(d1_error)?.and_then(|m| m.changes).unwrap_or(0);
        if changes > 0 {
            return Ok(Claim::Fresh);
        }
        let row: Option<Row> = self
            .db
            .prepare("SELECT status, response FROM idempotency_keys WHERE key = ?1")
            .bind(&[JsValue::from_str(key)])
            .map_err(d1_error)?
            .first(None)
            .await
            .map_err(d1_error)?;
        Ok(match row {
            Some(Row { status: Some(status), response }) => {
                Claim::Replay { status: status as u16, body: response.unwrap_or_default() }
            }
            _ => Claim::InProgress,
        })
    }

    async fn complete(&self, key: &str, status: u16, body: &str) -> Result<()> {
        self.db
            .prepare("UPDATE idempotency_keys SET status = ?2, response = ?3 WHERE key = ?1")
            .bind(&[JsValue::from_str(key), JsValue::from_f64(status as f64), JsValue::from_str(body)])
            .map_err(d1_error)?
            .run()
            .await
            .map_err(d1_error)?;
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<()> {
        self.db
            .prepare("DELETE FROM idempotency_keys WHERE key = ?1 AND status IS NULL")
            .bind(&[JsValue::from_str(key)])
            .map_err(d1_error)?
            .run()
            .await
            .map_err(d1_error)?;
        Ok(())
    }
}
