//! Delivering events: fan-out to hooks, the signed request, one attempt, and what the
//! queue consumer does next. Talks to the outside only through `ports`.

pub mod attempt;
pub mod buckets;
pub mod consumer;
pub mod dispatch;
pub mod fanout;
pub mod gate;
pub mod line;
pub mod operational;
pub mod ports;
pub mod record;
pub mod request;
pub mod retention;
pub mod runner;
pub mod seen;
pub mod task;
pub mod tenant_cache;
