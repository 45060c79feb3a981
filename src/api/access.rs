//! Who is calling and which tenant the request acts on (SPEC §9), decided once per request
//! from the routing table's auth column, before any handler runs.
//!
//! - `ADMIN_TOKEN` / `INGEST_TOKEN`: the tenant named by `hookwing-tenant`, else `default`.
//! - A tenant token (`hwk_<tenant>_…`): its own tenant, always; its scope decides the routes.
//!   It is checked against the tenant's stored value, which the request reads anyway, so a
//!   revoked or expired token is refused as soon as that value is re-read.

use super::router::Auth;
use super::{App, Request};
use crate::core::auth::{bearer, require_bearer};
use crate::core::tenant::{token_tenant, valid_tenant_id, Scope, Tenant, DEFAULT_TENANT, TOKEN_PREFIX};
use crate::core::Error;
use crate::delivery::ports::{Clock, Platform, TenantStore};

pub const TENANT_HEADER: &str = "hookwing-tenant";

/// The tenant a request acts on.
pub struct Access {
    pub tenant: Tenant,
}

/// What the bearer token turned out to be.
enum Presented {
    /// `ADMIN_TOKEN` or `INGEST_TOKEN`, not yet compared.
    Static,
    /// A live tenant token, with its tenant as just read.
    Token { tenant: Tenant, scope: Scope },
}

/// The `hookwing-tenant` header: absent, or a well-formed tenant id.
fn named_tenant(req: &Request) -> Result<Option<&str>, Error> {
    match req.header(TENANT_HEADER) {
        None => Ok(None),
        Some(id) if valid_tenant_id(id) => Ok(Some(id)),
        Some(_) => Err(Error::invalid_input(TENANT_HEADER, "must be a tenant id ([a-z0-9][a-z0-9-]{0,62})")),
    }
}

impl<P: Platform> App<P> {
    /// A tenant as stored; `default` exists even before anything was written for it.
    /// `fresh` bypasses the isolate's cache (for read-modify-write).
    pub(super) async fn tenant(&self, id: &str, fresh: bool) -> Result<Option<Tenant>, Error> {
        let stored = if fresh { self.tenants.load_fresh(id).await? } else { self.tenants.load(id).await? };
        Ok(stored.or_else(|| (id == DEFAULT_TENANT).then(Tenant::default_tenant)))
    }

    pub(super) async fn existing_tenant(&self, id: &str, fresh: bool) -> Result<Tenant, Error> {
        self.tenant(id, fresh).await?.ok_or_else(|| Error::tenant_not_found(id))
    }

    async fn presented(&self, req: &Request, fresh: bool) -> Result<Presented, Error> {
        let Some(token) = bearer(req.header("authorization")).filter(|t| t.starts_with(TOKEN_PREFIX)) else {
            return Ok(Presented::Static);
        };
        // Unknown tenant, unknown value, revoked or expired: all the same 401.
        let tenant_id = token_tenant(token).ok_or_else(Error::unauthorized)?;
        let tenant = self.tenant(tenant_id, fresh).await?.ok_or_else(Error::unauthorized)?;
        let scope = tenant.token_for(token, self.clock.now_ms()).ok_or_else(Error::unauthorized)?.scope;
        Ok(Presented::Token { tenant, scope })
    }

    /// Enforces the route's auth column. Tenant-scoped routes get the tenant they act on.
    /// `params` are the path's captures (the tenant id of `/api/tenants/:id/relay`).
    pub(super) async fn authorize(
        &self,
        auth: Auth,
        req: &Request,
        params: &[&str],
    ) -> Result<Option<Access>, Error> {
        let admin = (self.config.admin_token.as_deref(), "ADMIN_TOKEN");
        let ingest = (self.config.ingest_token.as_deref(), "INGEST_TOKEN");
        let (static_secret, scope, fresh) = match auth {
            Auth::Public => return Ok(None),
            Auth::Operator => (admin, None, true),
            Auth::Manage | Auth::ManageNamed => (admin, Some(Scope::Manage), true),
            // Ingest reads the cached tenant: one KV read per isolate per second at most.
            Auth::Ingest => (ingest, Some(Scope::Ingest), false),
        };
        match self.presented(req, fresh).await? {
            Presented::Token { tenant, scope: has } => {
                if scope != Some(has) {
                    return Err(Error::forbidden());
                }
                let named = match auth {
                    Auth::ManageNamed => params.first().copied(),
                    _ => named_tenant(req)?,
                };
                if named.is_some_and(|id| id != tenant.id) {
                    return Err(Error::forbidden());
                }
                Ok(Some(Access { tenant }))
            }
            Presented::Static => {
                require_bearer(req.header("authorization"), static_secret.0, static_secret.1)?;
                let id = match auth {
                    Auth::Operator => return Ok(None),
                    Auth::ManageNamed => params.first().copied().unwrap_or(DEFAULT_TENANT),
                    _ => named_tenant(req)?.unwrap_or(DEFAULT_TENANT),
                };
                Ok(Some(Access { tenant: self.existing_tenant(id, fresh).await? }))
            }
        }
    }
}
