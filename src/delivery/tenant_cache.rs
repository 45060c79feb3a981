//! Short-lived copies of tenants kept in the isolate, so a busy Worker does not read and
//! parse the same KV value for every request and every queue batch. Writes go through it, so
//! this isolate sees its own changes at once; other isolates see them within the TTL on top
//! of KV's own propagation delay (about 60 s), which the SPEC already allows. A revoked token
//! is refused here as soon as the tenant is re-read (tokens are checked against the tenant).

use super::ports::{Clock, TenantStore};
use crate::core::tenant::{Tenant, TenantSummary};
use crate::core::Result;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

pub const TTL_MS: i64 = 1000;
/// Tenants kept at once; beyond this the slot starts over (an isolate serving that many
/// tenants per second gains little from the cache anyway).
const MAX_ENTRIES: usize = 256;

/// The isolate-wide slot (one per isolate; the Worker keeps it in a `thread_local`).
#[derive(Default)]
pub struct TenantSlot(RefCell<HashMap<String, Cached>>);

/// When it was read, and what was there (`None`: no such tenant).
type Cached = (i64, Rc<Option<Tenant>>);

impl TenantSlot {
    fn put(&self, id: &str, at: i64, tenant: Option<Tenant>) {
        let mut map = self.0.borrow_mut();
        if map.len() >= MAX_ENTRIES && !map.contains_key(id) {
            map.clear();
        }
        map.insert(id.to_string(), (at, Rc::new(tenant)));
    }
}

pub struct CachedTenants<S, C> {
    pub inner: S,
    pub clock: C,
    pub slot: Rc<TenantSlot>,
}

impl<S: TenantStore, C: Clock> TenantStore for CachedTenants<S, C> {
    async fn load(&self, id: &str) -> Result<Option<Tenant>> {
        let now = self.clock.now_ms();
        if let Some((at, tenant)) = self.slot.0.borrow().get(id) {
            if (0..TTL_MS).contains(&(now - at)) {
                return Ok(tenant.as_ref().clone());
            }
        }
        let tenant = self.inner.load(id).await?;
        self.slot.put(id, now, tenant.clone());
        Ok(tenant)
    }

    /// Read-modify-write starts from the store itself, never from a cached copy.
    async fn load_fresh(&self, id: &str) -> Result<Option<Tenant>> {
        self.inner.load_fresh(id).await
    }

    async fn save(&self, tenant: &Tenant) -> Result<()> {
        self.inner.save(tenant).await?;
        self.slot.put(&tenant.id, self.clock.now_ms(), Some(tenant.clone()));
        Ok(())
    }

    async fn delete(&self, id: &str) -> Result<()> {
        self.inner.delete(id).await?;
        self.slot.put(id, self.clock.now_ms(), None);
        Ok(())
    }

    async fn list(&self) -> Result<Vec<TenantSummary>> {
        self.inner.list().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::tenant::DEFAULT_TENANT;
    use crate::testing::{hook_for, FixedClock, MemoryTenants};
    use futures_executor::block_on;

    fn cached() -> CachedTenants<MemoryTenants, FixedClock> {
        CachedTenants { inner: MemoryTenants::default(), clock: FixedClock::at(10_000), slot: Rc::default() }
    }

    #[test]
    fn serves_the_cached_tenant_within_the_ttl_then_reloads() {
        let c = cached();
        c.inner.set_hooks(DEFAULT_TENANT, vec![hook_for("http://a")]);
        assert_eq!(block_on(c.load(DEFAULT_TENANT)).unwrap().unwrap().hooks.len(), 1);
        // Someone else (another isolate) changes the store.
        c.inner.set_hooks(DEFAULT_TENANT, vec![]);
        assert_eq!(block_on(c.load(DEFAULT_TENANT)).unwrap().unwrap().hooks.len(), 1, "still cached");
        assert!(
            block_on(c.load_fresh(DEFAULT_TENANT)).unwrap().unwrap().hooks.is_empty(),
            "updates read the store"
        );
        c.clock.0.set(10_000 + TTL_MS);
        assert!(
            block_on(c.load(DEFAULT_TENANT)).unwrap().unwrap().hooks.is_empty(),
            "reloaded after the TTL"
        );
    }

    #[test]
    fn writes_and_deletes_go_through_the_cache_per_tenant() {
        let c = cached();
        assert!(block_on(c.load("acme")).unwrap().is_none());
        let mut acme = Tenant::new("acme", "Acme", 1);
        acme.hooks.push(hook_for("http://a"));
        block_on(c.save(&acme)).unwrap();
        assert_eq!(block_on(c.load("acme")).unwrap().unwrap().hooks.len(), 1);
        assert!(block_on(c.load("other")).unwrap().is_none(), "tenants are cached apart");
        block_on(c.delete("acme")).unwrap();
        assert!(block_on(c.load("acme")).unwrap().is_none(), "a deleted tenant is gone at once here");
    }
}
