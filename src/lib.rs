//! Hookwing: Logto-compatible webhooks on Cloudflare Workers.
//!
//! - `core`: the pure domain (catalog, events and payloads, signatures, URL policy, hooks).
//! - `delivery`: fan-out and delivery attempts, written against the small traits in
//!   `delivery::ports` so they run natively with in-memory fakes.
//! - `api`: the HTTP surface as plain request/response values and one routing table.
//! - `platform` (wasm only): the Workers bindings behind those traits, and the entry points.

pub mod api;
pub mod app;
pub mod core;
pub mod delivery;

#[cfg(target_arch = "wasm32")]
mod platform;

#[cfg(test)]
pub mod testing;
