//! In-memory fakes of the ports, for native tests of the delivery logic and the API.

use crate::core::hook::{Hook, HookConfig};
use crate::core::hourly::{summarize, HourStats, HOUR_MS};
use crate::core::tenant::{Tenant, TenantSummary, DEFAULT_TENANT};
use crate::core::Result;
use crate::delivery::ports::{
    AttemptRecord, Claim, Clock, DeliveryLog, DeliveryQueue, DeliveryRecord, ExecutionStats, HttpClient,
    HttpOutcome, IdempotencyStore, LogQuery, LoggedAttempt, OutboundRequest, Platform, StoredDelivery,
    TenantStore,
};
use crate::delivery::task::DeliveryTask;
use serde_json::value::RawValue;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};

/// Tenants in a map; `default` is stored only once something is written for it.
#[derive(Default)]
pub struct MemoryTenants(pub RefCell<BTreeMap<String, Tenant>>);

impl MemoryTenants {
    /// The hooks of a tenant (none if it is not stored).
    pub fn hooks_of(&self, tenant: &str) -> Vec<Hook> {
        self.0.borrow().get(tenant).map(|t| t.hooks.clone()).unwrap_or_default()
    }

    /// Replaces a tenant's hooks, storing the tenant if needed.
    pub fn set_hooks(&self, tenant: &str, hooks: Vec<Hook>) {
        let mut map = self.0.borrow_mut();
        let t = map.entry(tenant.to_string()).or_insert_with(|| Tenant::new(tenant, tenant, 0));
        t.hooks = hooks;
    }
}

impl TenantStore for MemoryTenants {
    async fn load(&self, id: &str) -> Result<Option<Tenant>> {
        Ok(self.0.borrow().get(id).cloned())
    }
    async fn save(&self, tenant: &Tenant) -> Result<()> {
        self.0.borrow_mut().insert(tenant.id.clone(), tenant.clone());
        Ok(())
    }
    async fn delete(&self, id: &str) -> Result<()> {
        self.0.borrow_mut().remove(id);
        Ok(())
    }
    async fn list(&self) -> Result<Vec<TenantSummary>> {
        Ok(self.0.borrow().values().map(Tenant::summary).collect())
    }
}

#[derive(Default)]
pub struct MemoryQueue {
    pub sent: RefCell<Vec<(DeliveryTask, u32)>>,
    pub fail: Cell<bool>,
}

impl DeliveryQueue for MemoryQueue {
    async fn enqueue(&self, tasks: &[(DeliveryTask, u32)]) -> Result<()> {
        if self.fail.get() {
            return Err(crate::core::Error::unavailable("queue down"));
        }
        self.sent.borrow_mut().extend(tasks.iter().cloned());
        Ok(())
    }
}

/// Idempotency keys in a map keyed by (tenant, key) (no expiry: tests run well within 24 h).
#[derive(Default)]
pub struct MemoryIdempotency(pub RefCell<std::collections::HashMap<TenantKey, Option<(u16, String)>>>);

/// (tenant, key digest).
type TenantKey = (String, String);

impl IdempotencyStore for MemoryIdempotency {
    async fn claim(&self, tenant: &str, key: &str, _now_ms: i64) -> Result<Claim> {
        let mut map = self.0.borrow_mut();
        let key = (tenant.to_string(), key.to_string());
        Ok(match map.get(&key) {
            None => {
                map.insert(key, None);
                Claim::Fresh
            }
            Some(None) => Claim::InProgress,
            Some(Some((status, body))) => Claim::Replay { status: *status, body: body.clone() },
        })
    }
    async fn complete(&self, tenant: &str, key: &str, status: u16, body: &str) -> Result<()> {
        self.0.borrow_mut().insert((tenant.to_string(), key.to_string()), Some((status, body.to_string())));
        Ok(())
    }
    async fn release(&self, tenant: &str, key: &str) -> Result<()> {
        self.0.borrow_mut().remove(&(tenant.to_string(), key.to_string()));
        Ok(())
    }
}

/// Answers POSTs from a script and records what was sent.
#[derive(Default)]
pub struct FakeHttp {
    answers: RefCell<VecDeque<HttpOutcome>>,
    sent: RefCell<Vec<OutboundRequest>>,
}

impl FakeHttp {
    pub fn answering(answers: Vec<HttpOutcome>) -> Self {
        Self { answers: RefCell::new(answers.into()), sent: RefCell::default() }
    }
    pub fn script(&self, answers: Vec<HttpOutcome>) {
        *self.answers.borrow_mut() = answers.into();
    }
    pub fn sent(&self) -> Vec<OutboundRequest> {
        self.sent.borrow().clone()
    }
}

impl HttpClient for FakeHttp {
    async fn post(&self, request: OutboundRequest) -> HttpOutcome {
        self.sent.borrow_mut().push(request);
        self.answers.borrow_mut().pop_front().unwrap_or(HttpOutcome::Network("no scripted answer".into()))
    }
}

/// The delivery log as in-memory tables; `stats` can also be pinned by a test.
#[derive(Default)]
pub struct MemoryLog {
    pub stats: RefCell<Vec<(String, ExecutionStats)>>,
    pub deliveries: RefCell<Vec<StoredDelivery>>,
    pub attempts: RefCell<Vec<AttemptRecord>>,
    /// Every write fails (an unreachable bucket).
    pub fail: Cell<bool>,
}

impl DeliveryLog for MemoryLog {
    async fn stats(&self, hook_ids: &[&str], _since_ms: i64) -> Result<Vec<(String, ExecutionStats)>> {
        Ok(self.stats.borrow().iter().filter(|(id, _)| hook_ids.contains(&id.as_str())).cloned().collect())
    }

    async fn record(&self, deliveries: &[DeliveryRecord], attempts: &[AttemptRecord]) -> Result<()> {
        if self.fail.get() {
            return Err(crate::core::Error::unavailable("bucket down"));
        }
        let mut stored = self.deliveries.borrow_mut();
        for d in deliveries {
            match stored.iter_mut().find(|s| s.id == d.id) {
                Some(s) => {
                    if s.status != "succeeded" {
                        s.status = d.status.to_string();
                        s.next_attempt_at = d.next_attempt_at;
                        s.last_error = d.last_error.clone();
                    }
                    s.attempts = s.attempts.max(d.attempts);
                    s.updated_at = d.at;
                }
                None => stored.push(StoredDelivery::from(d)),
            }
        }
        self.attempts.borrow_mut().extend(attempts.iter().cloned());
        Ok(())
    }

    async fn failing_since(&self, hook_id: &str) -> Result<Option<i64>> {
        let attempts = self.attempts.borrow();
        let mine = attempts.iter().filter(|a| a.hook_id == hook_id);
        let last_ok = mine.clone().filter(|a| a.success).map(|a| a.started_at).max().unwrap_or(i64::MIN);
        Ok(mine.filter(|a| !a.success && a.started_at > last_ok).map(|a| a.started_at).min())
    }

    async fn attempts(&self, q: &LogQuery<'_>) -> Result<(Vec<LoggedAttempt>, usize)> {
        let mut rows: Vec<AttemptRecord> = self
            .attempts
            .borrow()
            .iter()
            .filter(|a| a.hook_id == q.hook_id && a.started_at >= q.start_ms && a.started_at <= q.end_ms)
            .filter(|a| q.event.is_none_or(|e| e == a.event))
            .cloned()
            .collect();
        rows.sort_by_key(|a| std::cmp::Reverse(a.started_at));
        let total = rows.len();
        let deliveries = self.deliveries.borrow();
        let page = rows
            .into_iter()
            .skip(q.offset)
            .take(q.limit)
            .map(|record| {
                let payload =
                    deliveries.iter().find(|d| d.id == record.delivery_id).and_then(|d| d.payload.clone());
                LoggedAttempt { record, payload }
            })
            .collect();
        Ok((page, total))
    }

    async fn deliveries(
        &self,
        hook_id: &str,
        status: Option<&str>,
        created: Option<(i64, i64)>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<StoredDelivery>, usize)> {
        let mut rows: Vec<StoredDelivery> = self
            .deliveries
            .borrow()
            .iter()
            .filter(|d| d.hook_id == hook_id && status.is_none_or(|s| s == d.status))
            .filter(|d| created.is_none_or(|(since, until)| (since..=until).contains(&d.created_at)))
            .cloned()
            .map(|d| StoredDelivery { payload: None, ..d })
            .collect();
        rows.sort_by_key(|d| std::cmp::Reverse(d.created_at));
        let total = rows.len();
        Ok((rows.into_iter().skip(offset).take(limit).collect(), total))
    }

    async fn delivery(&self, id: &str) -> Result<Option<(StoredDelivery, Vec<AttemptRecord>)>> {
        let Some(d) = self.deliveries.borrow().iter().find(|d| d.id == id).cloned() else {
            return Ok(None);
        };
        let mut attempts: Vec<_> =
            self.attempts.borrow().iter().filter(|a| a.delivery_id == id).cloned().collect();
        attempts.sort_by_key(|a| a.number);
        Ok(Some((d, attempts)))
    }

    async fn failed_between(
        &self,
        hook_id: &str,
        since_ms: i64,
        until_ms: i64,
        limit: usize,
    ) -> Result<Vec<StoredDelivery>> {
        // Oldest first, as the buckets answer.
        let mut failed: Vec<StoredDelivery> = self
            .deliveries
            .borrow()
            .iter()
            .filter(|d| {
                d.hook_id == hook_id && d.status == "failed" && (since_ms..=until_ms).contains(&d.created_at)
            })
            .cloned()
            .collect();
        failed.sort_by_key(|d| d.created_at);
        Ok(failed.into_iter().take(limit).collect())
    }

    async fn hourly(&self, hook_id: &str, start_ms: i64, end_ms: i64) -> Result<Vec<HourStats>> {
        let mut by_hour: std::collections::BTreeMap<i64, Vec<(i64, bool)>> = Default::default();
        for a in self.attempts.borrow().iter() {
            if a.hook_id == hook_id && (start_ms..end_ms).contains(&a.started_at) {
                by_hour.entry(a.started_at.div_euclid(HOUR_MS)).or_default().push((a.duration_ms, a.success));
            }
        }
        Ok(by_hour.iter().map(|(hour, attempts)| summarize(*hour, attempts)).collect())
    }

    async fn event_deliveries(
        &self,
        hook_ids: &[&str],
        event_id: &str,
        _created_ms: i64,
    ) -> Result<Vec<StoredDelivery>> {
        Ok(self
            .deliveries
            .borrow()
            .iter()
            .filter(|d| d.event_id == event_id && hook_ids.contains(&d.hook_id.as_str()))
            .cloned()
            .collect())
    }

    async fn release_held(
        &self,
        hook_id: &str,
        guard_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<StoredDelivery>> {
        let mut stored = self.deliveries.borrow_mut();
        let mut held: Vec<&mut StoredDelivery> =
            stored.iter_mut().filter(|d| d.hook_id == hook_id && d.status == "held").collect();
        held.sort_by_key(|d| (d.created_at, d.id.clone()));
        Ok(held
            .into_iter()
            .take(limit)
            .map(|d| {
                d.status = "pending".into();
                d.next_attempt_at = Some(guard_until_ms);
                d.clone()
            })
            .collect())
    }
}

/// Gates and ordered lines in memory, on the caller's clock. `sent`: what lines sent through
/// the queue themselves.
#[derive(Default)]
pub struct MemoryGates {
    pub gates: RefCell<std::collections::HashMap<String, crate::delivery::gate::Gate>>,
    pub lines: RefCell<std::collections::HashMap<String, crate::delivery::line::MemoryLine>>,
    pub sent: RefCell<Vec<DeliveryTask>>,
    pub calls: Cell<usize>,
}

impl crate::delivery::ports::HookGates for MemoryGates {
    async fn acquire(
        &self,
        hook_id: &str,
        request: &crate::delivery::gate::GateRequest,
        now_ms: i64,
    ) -> Result<crate::delivery::gate::Grant> {
        self.calls.set(self.calls.get() + 1);
        let mut gates = self.gates.borrow_mut();
        let gate = gates.entry(hook_id.to_string()).or_default();
        Ok(match request {
            crate::delivery::gate::GateRequest::Acquire { ids, limits, lease_ms } => {
                gate.acquire(ids, *limits, *lease_ms, now_ms)
            }
            crate::delivery::gate::GateRequest::Release { ids } => {
                gate.release(ids);
                Default::default()
            }
        })
    }
    async fn release(&self, hook_id: &str, request: &crate::delivery::gate::GateRequest) -> Result<()> {
        self.acquire(hook_id, request, 0).await.map(drop)
    }
    async fn line(
        &self,
        hook_id: &str,
        request: crate::delivery::line::LineRequest,
        now_ms: i64,
    ) -> Result<crate::delivery::line::LineAnswer> {
        self.calls.set(self.calls.get() + 1);
        let mut lines = self.lines.borrow_mut();
        let line = lines.entry(hook_id.to_string()).or_default();
        let fx = crate::delivery::line::handle(line, request, now_ms);
        self.sent.borrow_mut().extend(fx.send);
        Ok(fx.answer)
    }
}

pub struct TestPlatform;

impl Platform for TestPlatform {
    type Tenants = MemoryTenants;
    type Queue = MemoryQueue;
    type Http = FakeHttp;
    type Clock = FixedClock;
    type Log = MemoryLog;
    type Idempotency = MemoryIdempotency;
    type Gates = MemoryGates;
}

/// A clock that stands still until a test moves it.
pub struct FixedClock(pub Cell<i64>);

impl FixedClock {
    pub fn at(ms: i64) -> Self {
        Self(Cell::new(ms))
    }
    pub fn now_ms_for_test(&self) -> i64 {
        self.0.get()
    }
}

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0.get()
    }
}

pub fn hook_for(url: &str) -> Hook {
    Hook {
        tenant_id: DEFAULT_TENANT.into(),
        id: "hook00000000000000001".into(),
        name: "test".into(),
        event: None,
        events: vec!["PostSignIn".into()],
        config: HookConfig {
            url: url.into(),
            headers: None,
            retries: None,
            timeout_ms: None,
            rate_limit: None,
            max_in_flight: None,
            ordered: false,
        },
        signing_key: "k".repeat(32),
        retired_keys: vec![],
        enabled: true,
        created_at: 0,
        disabled_reason: None,
        paused: false,
        exhausted_since: None,
    }
}

pub fn task_for(hook: &Hook, attempt: u32) -> DeliveryTask {
    DeliveryTask {
        tenant: hook.tenant_id.clone(),
        delivery_id: "dlv_1".into(),
        event_id: "evt_1".into(),
        hook_id: hook.id.clone(),
        event: "PostSignIn".into(),
        attempt,
        payload: RawValue::from_string(
            r#"{"event":"PostSignIn","createdAt":"2025-01-01T00:00:00.000Z"}"#.into(),
        )
        .expect("valid JSON"),
        not_before_ms: None,
        manual: false,
    }
}
