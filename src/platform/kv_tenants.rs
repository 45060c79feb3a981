//! Tenants in Workers KV: each tenant with its hooks, token hashes and relay key is one JSON
//! value under one key, so a request costs exactly one KV read (docs/storage.md). Management
//! writes rewrite that key (KV allows one write per second per key; management traffic is far
//! below that). The `default` tenant keeps the key hooks were stored under before tenants.

use crate::core::tenant::{Tenant, TenantSummary, DEFAULT_TENANT};
use crate::core::{Error, Result};
use crate::delivery::ports::TenantStore;
use worker::KvStore;

/// Where `default` lives (a bare hook array before tenants existed; read either way).
pub const DEFAULT_KEY: &str = "hooks/v1";
pub const TENANT_PREFIX: &str = "tenants/";

fn key(id: &str) -> String {
    if id == DEFAULT_TENANT {
        DEFAULT_KEY.to_string()
    } else {
        format!("{TENANT_PREFIX}{id}")
    }
}

pub struct KvTenantStore {
    kv: KvStore,
}

impl KvTenantStore {
    pub fn new(kv: KvStore) -> Self {
        Self { kv }
    }
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> Error {
    Error::unavailable(format!("{what} KV: {e}"))
}

impl TenantStore for KvTenantStore {
    async fn load(&self, id: &str) -> Result<Option<Tenant>> {
        let text = self.kv.get(&key(id)).text().await.map_err(|e| unavailable("reading a tenant from", e))?;
        text.map(|t| {
            Tenant::from_stored(id, &t)
                .map_err(|e| Error::internal(format!("stored tenant {id} is unreadable: {e}")))
        })
        .transpose()
    }

    async fn save(&self, tenant: &Tenant) -> Result<()> {
        let text = serde_json::to_string(tenant).map_err(Error::internal)?;
        // The summary rides as metadata, so listing tenants reads no tenant's value.
        self.kv
            .put(&key(&tenant.id), text)
            .and_then(|p| p.metadata(tenant.summary()))
            .map_err(|e| Error::internal(format!("writing a tenant to KV: {e}")))?
            .execute()
            .await
            .map_err(|e| unavailable("writing a tenant to", e))
    }

    async fn delete(&self, id: &str) -> Result<()> {
        self.kv.delete(&key(id)).await.map_err(|e| unavailable("deleting a tenant from", e))
    }

    async fn list(&self) -> Result<Vec<TenantSummary>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut list = self.kv.list().prefix(TENANT_PREFIX.to_string());
            if let Some(c) = cursor.take() {
                list = list.cursor(c);
            }
            let page = list.execute().await.map_err(|e| unavailable("listing tenants in", e))?;
            for k in page.keys {
                let id = k.name.trim_start_matches(TENANT_PREFIX).to_string();
                // A key written without metadata still lists, under its id.
                let summary = k.metadata.and_then(|m| serde_json::from_value::<TenantSummary>(m).ok());
                out.push(summary.unwrap_or(TenantSummary {
                    name: id.clone(),
                    id,
                    created_at: 0,
                    relay_key_set: false,
                }));
            }
            match page.cursor.filter(|c| !page.list_complete && !c.is_empty()) {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }
}
