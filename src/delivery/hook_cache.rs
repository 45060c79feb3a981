//! A short-lived copy of the hook snapshot kept in the isolate, so a busy Worker does not read
//! and parse the same KV value for every request and every queue batch. Writes go through it,
//! so this isolate sees its own changes at once; other isolates see them within the TTL on
//! top of KV's own propagation delay (about 60 s), which the SPEC already allows.

use super::ports::{Clock, HookStore};
use crate::core::hook::Hook;
use crate::core::Result;
use std::cell::RefCell;
use std::rc::Rc;

pub const TTL_MS: i64 = 1000;

/// The isolate-wide slot (one per isolate; the Worker keeps it in a `thread_local`).
#[derive(Default)]
pub struct SnapshotSlot(RefCell<Option<(i64, Rc<Vec<Hook>>)>>);

pub struct CachedHooks<S, C> {
    pub inner: S,
    pub clock: C,
    pub slot: Rc<SnapshotSlot>,
}

impl<S: HookStore, C: Clock> HookStore for CachedHooks<S, C> {
    async fn load(&self) -> Result<Vec<Hook>> {
        let now = self.clock.now_ms();
        if let Some((at, hooks)) = self.slot.0.borrow().as_ref() {
            if (0..TTL_MS).contains(&(now - at)) {
                return Ok(hooks.as_ref().clone());
            }
        }
        let hooks = self.inner.load().await?;
        *self.slot.0.borrow_mut() = Some((now, Rc::new(hooks.clone())));
        Ok(hooks)
    }

    /// Read-modify-write starts from the store itself, never from a cached copy.
    async fn load_fresh(&self) -> Result<Vec<Hook>> {
        self.inner.load_fresh().await
    }

    async fn save(&self, hooks: &[Hook]) -> Result<()> {
        self.inner.save(hooks).await?;
        *self.slot.0.borrow_mut() = Some((self.clock.now_ms(), Rc::new(hooks.to_vec())));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{hook_for, FixedClock, MemoryHooks};
    use futures_executor::block_on;

    fn cached() -> CachedHooks<MemoryHooks, FixedClock> {
        CachedHooks { inner: MemoryHooks::default(), clock: FixedClock::at(10_000), slot: Rc::default() }
    }

    #[test]
    fn serves_the_cached_snapshot_within_the_ttl_then_reloads() {
        let c = cached();
        *c.inner.0.borrow_mut() = vec![hook_for("http://a")];
        assert_eq!(block_on(c.load()).unwrap().len(), 1);
        // Someone else (another isolate) changes the store.
        c.inner.0.borrow_mut().clear();
        assert_eq!(block_on(c.load()).unwrap().len(), 1, "still cached");
        assert!(block_on(c.load_fresh()).unwrap().is_empty(), "updates read the store");
        c.clock.0.set(10_000 + TTL_MS);
        assert!(block_on(c.load()).unwrap().is_empty(), "reloaded after the TTL");
    }

    #[test]
    fn writes_go_through_the_cache() {
        let c = cached();
        assert!(block_on(c.load()).unwrap().is_empty());
        block_on(c.save(&[hook_for("http://a")])).unwrap();
        assert_eq!(block_on(c.load()).unwrap().len(), 1);
        assert_eq!(c.inner.0.borrow().len(), 1);
    }
}
