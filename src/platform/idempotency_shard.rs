//! `IdempotencyShard`: remembered `Idempotency-Key`s in SQLite-backed Durable Objects,
//! sharded by (tenant, first two hex digits of the key's SHA-256) so no one object takes
//! every key (SPEC §10). A single object serialises its requests, which makes the claim
//! atomic. Keys expire after 24 h; an alarm deletes them.

use crate::core::Result;
use crate::delivery::ports::{Claim, IdempotencyStore};
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use worker::{
    durable_object, DurableObject, Env, ObjectNamespace, Request, Response, SqlStorageValue, State,
};

const TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// A claim whose request died without answering is released after this long.
const STALE_CLAIM_MS: i64 = 2 * 60 * 1000;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
enum ShardRequest {
    Claim { key: String, now_ms: i64 },
    Complete { key: String, status: u16, body: String },
    Release { key: String },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "claim", rename_all = "camelCase")]
enum ClaimAnswer {
    Fresh,
    Replay { status: u16, body: String },
    InProgress,
}

/// The shard a key (hex digest) belongs to.
pub fn shard_name(tenant: &str, key: &str) -> String {
    format!("{tenant}/{}", key.get(..2).unwrap_or("00"))
}

pub struct ShardedIdempotency {
    namespace: ObjectNamespace,
}

impl ShardedIdempotency {
    pub fn new(namespace: ObjectNamespace) -> Self {
        Self { namespace }
    }

    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        tenant: &str,
        key: &str,
        request: &ShardRequest,
    ) -> Result<T> {
        super::objects::call(&self.namespace, &shard_name(tenant, key), request, "idempotency store").await
    }
}

impl IdempotencyStore for ShardedIdempotency {
    async fn claim(&self, tenant: &str, key: &str, now_ms: i64) -> Result<Claim> {
        let answer: ClaimAnswer =
            self.call(tenant, key, &ShardRequest::Claim { key: key.to_string(), now_ms }).await?;
        Ok(match answer {
            ClaimAnswer::Fresh => Claim::Fresh,
            ClaimAnswer::Replay { status, body } => Claim::Replay { status, body },
            ClaimAnswer::InProgress => Claim::InProgress,
        })
    }

    async fn complete(&self, tenant: &str, key: &str, status: u16, body: &str) -> Result<()> {
        let request = ShardRequest::Complete { key: key.to_string(), status, body: body.to_string() };
        self.call::<serde_json::Value>(tenant, key, &request).await.map(|_| ())
    }

    async fn release(&self, tenant: &str, key: &str) -> Result<()> {
        self.call::<serde_json::Value>(tenant, key, &ShardRequest::Release { key: key.to_string() })
            .await
            .map(|_| ())
    }
}

#[durable_object]
pub struct IdempotencyShard {
    state: State,
    ready: Cell<bool>,
}

/// `created_at, status, response` of a key, read positionally (no serde per row type).
struct KeyRow {
    created_at: i64,
    status: Option<i64>,
    response: Option<String>,
}

fn number(v: Option<&SqlStorageValue>) -> Option<i64> {
    match v {
        Some(SqlStorageValue::Integer(n)) => Some(*n),
        Some(SqlStorageValue::Float(f)) => Some(*f as i64),
        _ => None,
    }
}

impl IdempotencyShard {
    fn sql(&self, query: &str, bindings: Vec<SqlStorageValue>) -> worker::Result<Vec<KeyRow>> {
        let cursor = self.state.storage().sql().exec(query, bindings)?;
        cursor
            .raw()
            .map(|row| {
                let row = row?;
                Ok(KeyRow {
                    created_at: number(row.first()).unwrap_or(0),
                    status: number(row.get(1)),
                    response: match row.get(2) {
                        Some(SqlStorageValue::String(s)) => Some(s.clone()),
                        _ => None,
                    },
                })
            })
            .collect()
    }

    fn run(&self, query: &str, bindings: Vec<SqlStorageValue>) -> worker::Result<()> {
        self.state.storage().sql().exec(query, bindings)?.raw().try_for_each(|r| r.map(|_| ()))
    }

    fn ensure_schema(&self) -> worker::Result<()> {
        if !self.ready.get() {
            self.run(
                "CREATE TABLE IF NOT EXISTS keys (key TEXT PRIMARY KEY, created_at INTEGER NOT NULL, \
                 status INTEGER, response TEXT) WITHOUT ROWID",
                vec![],
            )?;
            self.ready.set(true);
        }
        Ok(())
    }

    async fn claim(&self, key: &str, now_ms: i64) -> worker::Result<ClaimAnswer> {
        let existing =
            self.sql("SELECT created_at, status, response FROM keys WHERE key = ?", vec![key.into()])?;
        if let Some(row) = existing.first() {
            let created = row.created_at;
            let expired = created <= now_ms - TTL_MS;
            let stale = row.status.is_none() && created <= now_ms - STALE_CLAIM_MS;
            if !expired && !stale {
                return Ok(match (row.status, &row.response) {
                    (Some(status), response) => ClaimAnswer::Replay {
                        status: status as u16,
                        body: response.clone().unwrap_or_default(),
                    },
                    (None, _) => ClaimAnswer::InProgress,
                });
            }
        }
        self.run(
            "INSERT OR REPLACE INTO keys (key, created_at, status, response) VALUES (?, ?, NULL, NULL)",
            vec![key.into(), SqlStorageValue::Integer(now_ms)],
        )?;
        if self.state.storage().get_alarm().await?.is_none() {
            self.state.storage().set_alarm(TTL_MS).await?;
        }
        Ok(ClaimAnswer::Fresh)
    }
}

impl DurableObject for IdempotencyShard {
    fn new(state: State, _env: Env) -> Self {
        Self { state, ready: Cell::new(false) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        self.ensure_schema()?;
        match serde_json::from_str::<ShardRequest>(&req.text().await?)? {
            ShardRequest::Claim { key, now_ms } => Response::from_json(&self.claim(&key, now_ms).await?),
            ShardRequest::Complete { key, status, body } => {
                self.run(
                    "UPDATE keys SET status = ?, response = ? WHERE key = ?",
                    vec![SqlStorageValue::Integer(status as i64), body.into(), key.into()],
                )?;
                Response::from_json(&serde_json::Value::Null)
            }
            ShardRequest::Release { key } => {
                self.run("DELETE FROM keys WHERE key = ? AND status IS NULL", vec![key.into()])?;
                Response::from_json(&serde_json::Value::Null)
            }
        }
    }

    /// Deletes expired keys; looks again in a day while any are left.
    async fn alarm(&self) -> worker::Result<Response> {
        self.ensure_schema()?;
        let now = worker::Date::now().as_millis() as i64;
        self.run("DELETE FROM keys WHERE created_at <= ?", vec![SqlStorageValue::Integer(now - TTL_MS)])?;
        let left = self
            .state
            .storage()
            .sql()
            .exec("SELECT COUNT(*) AS n FROM keys", None)?
            .to_array::<serde_json::Value>()?;
        if left.first().and_then(|v| v["n"].as_f64()).unwrap_or(0.0) > 0.0 {
            self.state.storage().set_alarm(TTL_MS).await?;
        }
        Response::ok("")
    }
}
