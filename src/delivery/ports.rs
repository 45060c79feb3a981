//! The small traits the delivery logic and the API talk through. The Worker implements
//! them over KV, Queues, Durable Objects and `fetch` (`platform/`); tests use in-memory fakes.

use super::gate::{GateRequest, Grant};
use super::line::{LineAnswer, LineRequest};
use super::task::DeliveryTask;
use crate::core::hourly::HourStats;
use crate::core::tenant::{Tenant, TenantSummary};
use crate::core::Result;

/// Tenants, each stored with its hooks, tokens and relay key as one value, so a request
/// reads one value for everything it needs (see docs/storage.md).
#[allow(async_fn_in_trait)]
pub trait TenantStore {
    /// `None`: no such tenant stored (`default` exists even then; see `App::tenant`).
    async fn load(&self, id: &str) -> Result<Option<Tenant>>;
    /// For read-modify-write: the store's current value, bypassing any cache.
    async fn load_fresh(&self, id: &str) -> Result<Option<Tenant>> {
        self.load(id).await
    }
    async fn save(&self, tenant: &Tenant) -> Result<()>;
    async fn delete(&self, id: &str) -> Result<()>;
    /// Every stored tenant, summarised (no hooks or tokens read).
    async fn list(&self) -> Result<Vec<TenantSummary>>;
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

/// Remembered `Idempotency-Key`s (24 h) per tenant, keyed by a digest of the header.
#[allow(async_fn_in_trait)]
pub trait IdempotencyStore {
    async fn claim(&self, tenant: &str, key: &str, now_ms: i64) -> Result<Claim>;
    async fn complete(&self, tenant: &str, key: &str, status: u16, body: &str) -> Result<()>;
    async fn release(&self, tenant: &str, key: &str) -> Result<()>;
}

/// The per-hook gates of `delivery::gate` (one Durable Object per hook).
#[allow(async_fn_in_trait)]
pub trait HookGates {
    async fn acquire(&self, hook_id: &str, request: &GateRequest, now_ms: i64) -> Result<Grant>;
    async fn release(&self, hook_id: &str, request: &GateRequest) -> Result<()>;
    /// An ordered hook's line (`delivery::line`), kept by the same object.
    async fn line(&self, hook_id: &str, request: LineRequest, now_ms: i64) -> Result<LineAnswer>;
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
        /// The response's headers, as received (names lower-case).
        headers: Vec<(String, String)>,
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

/// A delivery's state after a step (upserted: created at its first attempt).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    /// The hook's tenant: the bucket keeps it, so its sweeper re-enqueues into that tenant.
    pub tenant: String,
    pub id: String,
    pub event_id: String,
    pub hook_id: String,
    pub event: String,
    /// The event JSON without `hookId`.
    pub payload: String,
    pub status: &'static str,
    pub attempts: u32,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub at: i64,
}

/// Where an attempt is recorded: one row per POST made (test sends are not recorded).
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub id: String,
    pub delivery_id: String,
    pub hook_id: String,
    pub event: String,
    pub number: u32,
    pub started_at: i64,
    pub duration_ms: i64,
    pub success: bool,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
    /// A failed attempt's response headers (`attempt::header_text`), for the attempt view.
    pub response_headers: Option<String>,
    pub error: Option<String>,
}

/// An attempt as listed by recent-logs, with its delivery's payload.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedAttempt {
    pub record: AttemptRecord,
    pub payload: Option<String>,
}

/// A delivery as stored and listed (also what a bucket object sends back), with its payload
/// only when asked for one delivery.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredDelivery {
    pub id: String,
    pub event_id: String,
    /// Implied by the bucket a delivery is stored in, so not stored there.
    #[serde(default)]
    pub hook_id: String,
    pub event: String,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub payload: Option<String>,
}

impl StoredDelivery {
    /// Its next attempt, as a task (a replay when `manual`); `None` if its payload is gone
    /// (purged).
    pub fn next_task(&self, tenant: &str, manual: bool) -> Option<DeliveryTask> {
        Some(DeliveryTask {
            tenant: tenant.to_string(),
            delivery_id: self.id.clone(),
            event_id: self.event_id.clone(),
            hook_id: self.hook_id.clone(),
            event: self.event.clone(),
            attempt: self.attempts + 1,
            payload: serde_json::value::RawValue::from_string(self.payload.clone()?).ok()?,
            not_before_ms: None,
            manual,
        })
    }
}

impl From<&DeliveryRecord> for StoredDelivery {
    /// The delivery as first stored by this write.
    fn from(d: &DeliveryRecord) -> Self {
        Self {
            id: d.id.clone(),
            event_id: d.event_id.clone(),
            hook_id: d.hook_id.clone(),
            event: d.event.clone(),
            status: d.status.to_string(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_error: d.last_error.clone(),
            created_at: d.at,
            updated_at: d.at,
            payload: Some(d.payload.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogQuery<'a> {
    pub hook_id: &'a str,
    pub event: Option<&'a str>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub limit: usize,
    pub offset: usize,
}

/// The delivery log: deliveries and their attempts, in per-hook, per-day bucket objects
/// (`delivery/buckets.rs`). Retention and the overdue-retry sweep run in those objects.
#[allow(async_fn_in_trait)]
pub trait DeliveryLog {
    /// Attempt counts of each of these hooks since `since_ms`.
    async fn stats(&self, hook_ids: &[&str], since_ms: i64) -> Result<Vec<(String, ExecutionStats)>>;
    /// Writes delivery states and attempts together (one round trip).
    async fn record(&self, deliveries: &[DeliveryRecord], attempts: &[AttemptRecord]) -> Result<()>;
    /// The first failed attempt after the hook's last success, if it has failed since.
    async fn failing_since(&self, hook_id: &str) -> Result<Option<i64>>;
    /// Attempts newest first, and how many match in all.
    async fn attempts(&self, query: &LogQuery<'_>) -> Result<(Vec<LoggedAttempt>, usize)>;
    /// Deliveries of a hook newest first (optionally of one status, optionally created in
    /// [since, until]), and how many in all.
    async fn deliveries(
        &self,
        hook_id: &str,
        status: Option<&str>,
        created: Option<(i64, i64)>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<StoredDelivery>, usize)>;
    /// One delivery with its payload and every attempt.
    async fn delivery(&self, id: &str) -> Result<Option<(StoredDelivery, Vec<AttemptRecord>)>>;
    /// Failed deliveries of a hook created in [since, until], with payloads (at most `limit`).
    async fn failed_between(
        &self,
        hook_id: &str,
        since_ms: i64,
        until_ms: i64,
        limit: usize,
    ) -> Result<Vec<StoredDelivery>>;
    /// Releases up to `limit` held deliveries of the hook (oldest first, in creation order):
    /// each becomes `pending`, guarded until `guard_until_ms`, and is returned with its payload.
    async fn release_held(
        &self,
        hook_id: &str,
        guard_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<StoredDelivery>>;
    /// The hook's attempts started in [start, end) per UTC hour: the hours that had any.
    async fn hourly(&self, hook_id: &str, start_ms: i64, end_ms: i64) -> Result<Vec<HourStats>>;
    /// The deliveries of one event (made at `created_ms`, `ids::event_created_at`) to any of
    /// these hooks, with payloads. Reads only those hooks' buckets of the event's day.
    async fn event_deliveries(
        &self,
        hook_ids: &[&str],
        event_id: &str,
        created_ms: i64,
    ) -> Result<Vec<StoredDelivery>>;
}

/// The set of ports one deployment provides: the Worker's bindings, or test fakes.
pub trait Platform {
    type Tenants: TenantStore;
    type Queue: DeliveryQueue;
    type Http: HttpClient;
    type Clock: Clock;
    type Log: DeliveryLog;
    type Idempotency: IdempotencyStore;
    type Gates: HookGates;
}
