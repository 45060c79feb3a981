//! The small traits the delivery logic and the API talk through. The Worker implements
//! them over KV, Queues, D1 and `fetch` (`platform/`); tests use in-memory fakes.

use super::task::DeliveryTask;
use crate::core::hook::Hook;
use crate::core::Result;

/// Hook configurations. The whole set is one snapshot, so the ingest path costs one read.
#[allow(async_fn_in_trait)]
pub trait HookStore {
    async fn load(&self) -> Result<Vec<Hook>>;
    async fn save(&self, hooks: &[Hook]) -> Result<()>;
}

/// The `DELIVERIES` queue. Tasks are durable once `enqueue` returns; each goes with its own
/// delay in seconds.
#[allow(async_fn_in_trait)]
pub trait DeliveryQueue {
    async fn enqueue(&self, tasks: &[(DeliveryTask, u32)]) -> Result<()>;
}

/// What an `Idempotency-Key` claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use within 24 h: go ahead, then `complete` or `release`.
    Fresh,
    /// Already answered: replay this response.
    Replay { status: u16, body: String },
    /// The first request with this key is still being processed.
    InProgress,
}

/// Remembered `Idempotency-Key`s (24 h), keyed by a digest of the header.
#[allow(async_fn_in_trait)]
pub trait IdempotencyStore {
    async fn claim(&self, key: &str, now_ms: i64) -> Result<Claim>;
    async fn complete(&self, key: &str, status: u16, body: &str) -> Result<()>;
    async fn release(&self, key: &str) -> Result<()>;
}

pub trait Clock {
    fn now_ms(&self) -> i64;
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout_ms: u32,
}

/// What came back from one POST. Redirects are never followed, so a 3xx is a `Response`.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpOutcome {
    Response {
        status: u16,
        retry_after: Option<String>,
        /// The first 4 KiB of the body (lossy UTF-8).
        body: String,
    },
    /// No response headers within the timeout.
    Timeout,
    /// Connection refused or reset, DNS failure, invalid URL...
    Network(String),
}

#[allow(async_fn_in_trait)]
pub trait HttpClient {
    async fn post(&self, request: OutboundRequest) -> HttpOutcome;
}

/// Requests and successes of one hook over a window (Logto's `executionStats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStats {
    pub request_count: u64,
    pub success_count: u64,
}

/// The delivery log in D1: deliveries and their attempts.
#[allow(async_fn_in_trait)]
pub trait DeliveryLog {
    /// Attempt counts per hook since `since_ms` (all hooks when `hook_id` is `None`).
    async fn stats(&self, hook_id: Option<&str>, since_ms: i64) -> Result<Vec<(String, ExecutionStats)>>;
}

/// The set of ports one deployment provides: the Worker's bindings, or test fakes.
pub trait Platform {
    type Hooks: HookStore;
    type Queue: DeliveryQueue;
    type Http: HttpClient;
    type Clock: Clock;
    type Log: DeliveryLog;
    type Idempotency: IdempotencyStore;
}
