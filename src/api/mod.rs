//! The HTTP surface as plain values: the Worker turns its `Request` into `api::Request`,
//! calls `App::handle`, and turns the `api::Response` back. Errors are mapped to JSON here,
//! once.

pub(crate) mod access;
mod attempt_detail;
mod catalog;
mod deliveries;
mod event_lookup;
mod events;
mod health;
mod hook_stats;
mod hooks;
mod logs;
pub mod openapi;
mod pagination;
pub mod router;
mod tenants;

pub use crate::app::App;
use crate::core::Error;
use crate::delivery::ports::Platform;
use router::Route;
use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// `scheme://host[:port]`, for absolute links.
    pub origin: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON; an empty body reads as `{}`.
    pub fn json(&self) -> Result<Value, Error> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&self.body).map_err(Error::bad_json)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, value: &Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    pub fn empty(status: u16) -> Self {
        Self { status, headers: Vec::new(), body: Vec::new() }
    }

    pub fn error(err: &Error) -> Self {
        Self::json(err.status, &err.to_json())
    }
}

impl<P: Platform> App<P> {
    pub async fn handle(&self, req: Request) -> Response {
        match self.route(&req).await {
            Ok(resp) => resp,
            Err(err) => {
                let mut resp = Response::error(&err);
                if err.status == 405 {
                    // RFC 9110: a 405 lists what the resource does answer.
                    resp.headers.push(("allow".into(), router::allowed_methods(&req.path).join(", ")));
                }
                resp
            }
        }
    }

    async fn route(&self, req: &Request) -> Result<Response, Error> {
        let (route, auth, params) = router::resolve(&req.method, &req.path)?;
        let mut access = self.authorize(auth, req, &params).await?;
        // Tenant-scoped routes (`Auth::Manage`, `Ingest`, `ManageNamed`) always have one.
        let mut tenant = || access.take().map(|a| a.tenant).ok_or_else(|| Error::internal("no tenant"));
        let id = params.first().copied().unwrap_or_default();
        let second = params.get(1).copied().unwrap_or_default();
        match route {
            Route::Health => Ok(health::health()),
            Route::OpenApi => Ok(openapi::document()),
            Route::Catalog => Ok(catalog::catalog()),
            Route::ListHooks => self.list_hooks(req, tenant()?).await,
            Route::CreateHook => self.create_hook(req, tenant()?).await,
            Route::GetHook => self.get_hook(req, tenant()?, id).await,
            Route::PatchHook => self.patch_hook(req, tenant()?, id).await,
            Route::DeleteHook => self.delete_hook(tenant()?, id).await,
            Route::RegenerateSigningKey => self.regenerate_signing_key(req, tenant()?, id).await,
            Route::TestHook => self.test_hook(req, tenant()?, id).await,
            Route::RecentLogs => self.recent_logs(req, tenant()?, id).await,
            Route::ListDeliveries => self.list_deliveries(req, tenant()?, id).await,
            Route::RecoverHook => self.recover_hook(req, tenant()?, id).await,
            Route::PauseHook => self.pause_hook(tenant()?, id).await,
            Route::ResumeHook => self.resume_hook(tenant()?, id).await,
            Route::GetDelivery => self.get_delivery(tenant()?, id).await,
            Route::RetryDelivery => self.retry_delivery(tenant()?, id).await,
            Route::GetEvent => self.get_event(tenant()?, id).await,
            Route::HourlyStats => self.hourly_stats(req, tenant()?, id).await,
            Route::GetAttempt => self.get_attempt(tenant()?, id, second).await,
            Route::IngestEvents => self.ingest_events(req, tenant()?).await,
            Route::RelayLogto => self.relay_logto(req).await,
            Route::RelayLogtoTenant => self.relay_logto_tenant(req, id).await,
            Route::ListTenants => self.list_tenants(req).await,
            Route::CreateTenant => self.create_tenant(req).await,
            Route::GetTenant => self.get_tenant(id).await,
            Route::PatchTenant => self.patch_tenant(req, id).await,
            Route::DeleteTenant => self.delete_tenant(id).await,
            Route::ListTokens => self.list_tokens(id).await,
            Route::CreateToken => self.create_token(req, id).await,
            Route::RevokeToken => self.revoke_token(id, second).await,
            Route::SetRelayKey => self.set_relay_key(req, tenant()?).await,
            Route::DeleteRelayKey => self.delete_relay_key(tenant()?).await,
            Route::CreatePortal => self.create_portal(req, id).await,
        }
    }
}

#[cfg(test)]
pub mod test_support {
    use super::*;
    use crate::core::config::Config;
    use crate::testing::{
        FakeHttp, FixedClock, MemoryIdempotency, MemoryLog, MemoryQueue, MemoryTenants, TestPlatform,
    };

    pub type TestApp = App<TestPlatform>;

    pub fn app() -> TestApp {
        App {
            config: Config {
                admin_token: Some("admin".into()),
                ingest_token: Some("ingest".into()),
                allow_private_targets: true,
                ..Config::default()
            },
            tenants: MemoryTenants::default(),
            queue: MemoryQueue::default(),
            http: FakeHttp::default(),
            clock: FixedClock::at(1_755_777_600_000),
            log: MemoryLog::default(),
            idempotency: MemoryIdempotency::default(),
            gates: Default::default(),
            deferred: Default::default(),
        }
    }

    pub fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
        let resp = call_full(app, method, path, token, body);
        let json =
            if resp.body.is_empty() { Value::Null } else { serde_json::from_slice(&resp.body).unwrap() };
        (resp.status, json)
    }

    /// With the admin token (the ingest token for `POST /api/events`), acting on `tenant`.
    pub fn call_in(app: &TestApp, method: &str, path: &str, tenant: &str, body: &str) -> (u16, Value) {
        let token = if path == "/api/events" { "ingest" } else { "admin" };
        let resp = call_with(app, method, path, Some(token), &[("hookwing-tenant", tenant)], body);
        let json =
            if resp.body.is_empty() { Value::Null } else { serde_json::from_slice(&resp.body).unwrap() };
        (resp.status, json)
    }

    pub fn call_full(app: &TestApp, method: &str, path: &str, token: Option<&str>, body: &str) -> Response {
        call_with(app, method, path, token, &[], body)
    }

    pub fn call_with(
        app: &TestApp,
        method: &str,
        path: &str,
        token: Option<&str>,
        extra: &[(&str, &str)],
        body: &str,
    ) -> Response {
        let mut headers: Vec<(String, String)> =
            extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if let Some(t) = token {
            headers.push(("authorization".to_string(), format!("Bearer {t}")));
        }
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        let req = Request {
            method: method.into(),
            origin: "http://hookwing.test".into(),
            path: path.into(),
            query,
            headers,
            body: body.as_bytes().to_vec(),
        };
        futures_executor::block_on(app.handle(req))
    }
}
