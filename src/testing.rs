//! In-memory fakes of the ports, for native tests of the delivery logic and the API.

use crate::core::hook::{Hook, HookConfig};
use crate::core::Result;
use crate::delivery::ports::{
    Claim, Clock, DeliveryLog, DeliveryQueue, ExecutionStats, HookStore, HttpClient, HttpOutcome,
    IdempotencyStore, OutboundRequest, Platform,
};
use crate::delivery::task::DeliveryTask;
use serde_json::value::RawValue;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

#[derive(Default)]
pub struct MemoryHooks(pub RefCell<Vec<Hook>>);

impl HookStore for MemoryHooks {
    async fn load(&self) -> Result<Vec<Hook>> {
        Ok(self.0.borrow().clone())
    }
    async fn save(&self, hooks: &[Hook]) -> Result<()> {
        *self.0.borrow_mut() = hooks.to_vec();
        Ok(())
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

/// Idempotency keys in a map (no expiry: tests run well within 24 h).
#[derive(Default)]
pub struct MemoryIdempotency(pub RefCell<std::collections::HashMap<String, Option<(u16, String)>>>);

impl IdempotencyStore for MemoryIdempotency {
    async fn claim(&self, key: &str, _now_ms: i64) -> Result<Claim> {
        let mut map = self.0.borrow_mut();
        Ok(match map.get(key) {
            None => {
                map.insert(key.to_string(), None);
                Claim::Fresh
            }
            Some(None) => Claim::InProgress,
            Some(Some((status, body))) => Claim::Replay { status: *status, body: body.clone() },
        })
    }
    async fn complete(&self, key: &str, status: u16, body: &str) -> Result<()> {
        self.0.borrow_mut().insert(key.to_string(), Some((status, body.to_string())));
        Ok(())
    }
    async fn release(&self, key: &str) -> Result<()> {
        self.0.borrow_mut().remove(key);
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

/// Stats served from a fixed table.
#[derive(Default)]
pub struct MemoryLog {
    pub stats: RefCell<Vec<(String, ExecutionStats)>>,
}

impl DeliveryLog for MemoryLog {
    async fn stats(&self, hook_id: Option<&str>, _since_ms: i64) -> Result<Vec<(String, ExecutionStats)>> {
        Ok(self.stats.borrow().iter().filter(|(id, _)| hook_id.is_none_or(|h| h == id)).cloned().collect())
    }
}

pub struct TestPlatform;

impl Platform for TestPlatform {
    type Hooks = MemoryHooks;
    type Queue = MemoryQueue;
    type Http = FakeHttp;
    type Clock = FixedClock;
    type Log = MemoryLog;
    type Idempotency = MemoryIdempotency;
}

/// A clock that stands still until a test moves it.
pub struct FixedClock(pub Cell<i64>);

impl FixedClock {
    pub fn at(ms: i64) -> Self {
        Self(Cell::new(ms))
    }
}

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0.get()
    }
}

pub fn hook_for(url: &str) -> Hook {
    Hook {
        id: "hook00000000000000001".into(),
        name: "test".into(),
        event: None,
        events: vec!["PostSignIn".into()],
        config: HookConfig { url: url.into(), headers: None, retries: None, timeout_ms: None },
        signing_key: "k".repeat(32),
        retired_keys: vec![],
        enabled: true,
        created_at: 0,
        disabled_reason: None,
    }
}

pub fn task_for(hook: &Hook, attempt: u32) -> DeliveryTask {
    DeliveryTask {
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
    }
}
