//! Hooks in Workers KV: the whole set is one JSON value under one key, so ingesting an
//! event costs exactly one KV read. Management writes rewrite that key (KV allows one write
//! per second per key; management traffic is far below that).

use crate::core::hook::Hook;
use crate::core::{Error, Result};
use crate::delivery::ports::HookStore;
use worker::KvStore;

pub const SNAPSHOT_KEY: &str = "hooks/v1";

pub struct KvHookStore {
    kv: KvStore,
}

impl KvHookStore {
    pub fn new(kv: KvStore) -> Self {
        Self { kv }
    }
}

impl HookStore for KvHookStore {
    async fn load(&self) -> Result<Vec<Hook>> {
        let text = self
            .kv
            .get(SNAPSHOT_KEY)
            .text()
            .await
            .map_err(|e| Error::unavailable(format!("reading hooks from KV: {e}")))?;
        match text {
            None => Ok(Vec::new()),
            Some(t) => serde_json::from_str(&t)
                .map_err(|e| Error::internal(format!("stored hooks are unreadable: {e}"))),
        }
    }

    async fn save(&self, hooks: &[Hook]) -> Result<()> {
        let text = serde_json::to_string(hooks).map_err(Error::internal)?;
        self.kv
            .put(SNAPSHOT_KEY, text)
            .map_err(|e| Error::internal(format!("writing hooks to KV: {e}")))?
            .execute()
            .await
            .map_err(|e| Error::unavailable(format!("writing hooks to KV: {e}")))
    }
}
