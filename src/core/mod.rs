//! The pure domain: no `worker`, `js-sys` or `wasm-bindgen` imports, unit-tested natively.

pub mod auth;
pub mod catalog;
pub mod config;
pub mod error;
pub mod event;
pub mod hook;
pub mod hourly;
pub mod ids;
pub mod log_entry;
pub mod retry;
pub mod sanitize;
pub mod signature;
pub mod tenant;
pub mod test_payload;
pub mod time;
pub mod url_policy;

pub use error::{Error, Result};
