//! The Workers runtime side (wasm only): the ports implemented over KV, Queues and `fetch`,
//! and the thin entry points.

mod clock;
mod d1_idempotency;
mod d1_log;
mod entry;
mod fetch;
mod http;
mod kv_hooks;
mod queue;

use crate::api::App;
use crate::core::config::Config;
use crate::core::Error;
use crate::delivery::hook_cache::{CachedHooks, SnapshotSlot};
use crate::delivery::ports::Platform;
use std::rc::Rc;

thread_local! {
    /// The isolate's copy of the hook snapshot (see `delivery::hook_cache`).
    static HOOK_SNAPSHOT: Rc<SnapshotSlot> = Rc::default();
}
use worker::Env;

/// The Workers bindings behind the ports.
pub struct Cloudflare;

impl Platform for Cloudflare {
    type Hooks = CachedHooks<kv_hooks::KvHookStore, clock::SystemClock>;
    type Queue = queue::QueueSender;
    type Http = fetch::FetchClient;
    type Clock = clock::SystemClock;
    type Log = d1_log::D1Log;
    type Idempotency = d1_idempotency::D1Idempotency;
}

pub type WorkerApp = App<Cloudflare>;

pub const HOOKS_BINDING: &str = "HOOKS";
pub const QUEUE_BINDING: &str = "DELIVERIES";
pub const DB_BINDING: &str = "DB";

/// Reads vars and secrets; bindings and config problems become JSON errors, not panics.
pub fn config(env: &Env) -> Result<Config, Error> {
    Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()))
}

pub fn app(env: &Env) -> Result<WorkerApp, Error> {
    let binding =
        |name: &str, e: worker::Error| Error::unavailable(format!("binding {name} is not configured: {e}"));
    Ok(App {
        config: config(env)?,
        hooks: CachedHooks {
            inner: kv_hooks::KvHookStore::new(env.kv(HOOKS_BINDING).map_err(|e| binding(HOOKS_BINDING, e))?),
            clock: clock::SystemClock,
            slot: HOOK_SNAPSHOT.with(Rc::clone),
        },
        queue: queue::QueueSender::new(env.queue(QUEUE_BINDING).map_err(|e| binding(QUEUE_BINDING, e))?),
        http: fetch::FetchClient,
        clock: clock::SystemClock,
        log: d1_log::D1Log::new(env.d1(DB_BINDING).map_err(|e| binding(DB_BINDING, e))?),
        idempotency: d1_idempotency::D1Idempotency::new(
            env.d1(DB_BINDING).map_err(|e| binding(DB_BINDING, e))?,
        ),
    })
}
