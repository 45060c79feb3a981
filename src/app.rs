//! The service container: configuration and the ports one deployment provides. The API
//! handlers (`api/`) and the delivery runner (`delivery/runner.rs`) are methods on it.

use crate::core::config::Config;
use crate::delivery::fanout::Dispatch;
use crate::delivery::ports::Platform;
use std::cell::RefCell;

pub struct App<P: Platform> {
    pub config: Config,
    pub tenants: P::Tenants,
    pub queue: P::Queue,
    pub http: P::Http,
    pub clock: P::Clock,
    pub log: P::Log,
    pub idempotency: P::Idempotency,
    pub gates: P::Gates,
    /// First attempts a request leaves for after its answer (`delivery::dispatch`).
    pub deferred: RefCell<Option<Dispatch>>,
}
