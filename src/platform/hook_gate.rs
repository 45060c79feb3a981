//! `HookGate`: one Durable Object per hook with delivery limits (SPEC §11), running the
//! decisions of `delivery::gate`. A single object serialises its requests, so the limits hold
//! across every invocation and isolate. Its state is in memory: an object is only evicted once
//! idle, and every lease ends by itself (the attempt's timeout plus a margin), so an eviction
//! at worst forgets slots that were about to free anyway.

use crate::core::Result;
use crate::delivery::gate::{Gate, GateRequest, Grant};
use crate::delivery::ports::HookGates;
use std::cell::RefCell;
use worker::{durable_object, DurableObject, Env, ObjectNamespace, Request, Response, State};

pub struct GateClient {
    namespace: ObjectNamespace,
}

impl GateClient {
    pub fn new(namespace: ObjectNamespace) -> Self {
        Self { namespace }
    }

    async fn call(&self, hook_id: &str, request: &GateRequest) -> Result<Grant> {
        super::objects::call(&self.namespace, hook_id, request, &format!("gate of {hook_id}")).await
    }
}

impl HookGates for GateClient {
    async fn acquire(&self, hook_id: &str, request: &GateRequest, _now_ms: i64) -> Result<Grant> {
        // The object decides on its own clock: one clock for every caller.
        self.call(hook_id, request).await
    }

    async fn release(&self, hook_id: &str, request: &GateRequest) -> Result<()> {
        self.call(hook_id, request).await.map(drop)
    }
}

#[durable_object]
pub struct HookGate {
    gate: RefCell<Gate>,
}

impl DurableObject for HookGate {
    fn new(_state: State, _env: Env) -> Self {
        Self { gate: RefCell::new(Gate::default()) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let now = worker::Date::now().as_millis() as i64;
        let grant = match serde_json::from_str::<GateRequest>(&req.text().await?)? {
            GateRequest::Acquire { ids, limits, lease_ms } => {
                self.gate.borrow_mut().acquire(&ids, limits, lease_ms, now)
            }
            GateRequest::Release { ids } => {
                self.gate.borrow_mut().release(&ids);
                Grant::default()
            }
        };
        Response::from_json(&grant)
    }
}
