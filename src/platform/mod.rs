//! The Workers runtime side (wasm only): the ports implemented over KV, Queues, Durable
//! Objects and `fetch`, the Durable Object classes, and the thin entry points.

mod bucket_log;
mod clock;
mod delivery_bucket;
mod entry;
mod fetch;
mod hook_gate;
mod http;
mod idempotency_shard;
mod kv_tenants;
mod objects;
mod queue;

use crate::api::App;
use crate::core::config::Config;
use crate::core::Error;
use crate::delivery::ports::Platform;
use crate::delivery::tenant_cache::{CachedTenants, TenantSlot};
use std::rc::Rc;

thread_local! {
    /// The isolate's copies of tenants (see `delivery::tenant_cache`).
    static TENANTS: Rc<TenantSlot> = Rc::default();
}
use worker::Env;

/// The Workers bindings behind the ports.
pub struct Cloudflare;

impl Platform for Cloudflare {
    type Tenants = CachedTenants<kv_tenants::KvTenantStore, clock::SystemClock>;
    type Queue = queue::QueueSender;
    type Http = fetch::FetchClient;
    type Clock = clock::SystemClock;
    type Log = bucket_log::BucketLog;
    type Idempotency = idempotency_shard::ShardedIdempotency;
    type Gates = hook_gate::GateClient;
}

pub type WorkerApp = App<Cloudflare>;

pub const HOOKS_BINDING: &str = "HOOKS";
pub const QUEUE_BINDING: &str = "DELIVERIES";
/// Durable Object namespaces: per-hook, per-day delivery buckets; idempotency key shards.
pub const BUCKETS_BINDING: &str = "DELIVERY_BUCKETS";
pub const IDEMPOTENCY_BINDING: &str = "IDEMPOTENCY_SHARDS";
/// Per-hook gates of hooks with delivery limits.
pub const GATES_BINDING: &str = "HOOK_GATES";

/// Reads vars and secrets; bindings and config problems become JSON errors, not panics.
pub fn config(env: &Env) -> Result<Config, Error> {
    Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()))
}

pub fn app(env: &Env) -> Result<WorkerApp, Error> {
    let binding =
        |name: &str, e: worker::Error| Error::unavailable(format!("binding {name} is not configured: {e}"));
    let config = config(env)?;
    let namespace = |name: &str| env.durable_object(name).map_err(|e| binding(name, e));
    Ok(App {
        log: bucket_log::BucketLog::new(namespace(BUCKETS_BINDING)?, config.log_retention_days),
        idempotency: idempotency_shard::ShardedIdempotency::new(namespace(IDEMPOTENCY_BINDING)?),
        gates: hook_gate::GateClient::new(namespace(GATES_BINDING)?),
        config,
        tenants: CachedTenants {
            inner: kv_tenants::KvTenantStore::new(
                env.kv(HOOKS_BINDING).map_err(|e| binding(HOOKS_BINDING, e))?,
            ),
            clock: clock::SystemClock,
            slot: TENANTS.with(Rc::clone),
        },
        queue: queue::QueueSender::new(env.queue(QUEUE_BINDING).map_err(|e| binding(QUEUE_BINDING, e))?),
        http: fetch::FetchClient,
        deferred: Default::default(),
        clock: clock::SystemClock,
    })
}
