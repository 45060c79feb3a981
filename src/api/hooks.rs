//! `/api/hooks`: Logto's hook management API over the hook store.

use super::pagination;
use super::{App, Request, Response};
use crate::core::hook::{parse_grace_period, parse_hook_patch, parse_new_hook, parse_test_request, Hook};
use crate::core::tenant::{DeletedHook, Tenant};
use crate::core::test_payload::test_payload;
use crate::core::{ids, Error};
use crate::delivery::line::LineRequest;
use crate::delivery::ports::{Clock, DeliveryLog, DeliveryQueue, ExecutionStats, Platform, TenantStore};
use crate::delivery::ports::{HookGates, HttpClient, HttpOutcome};
use crate::delivery::request;
use crate::delivery::task::DeliveryTask;
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

const STATS_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// Logto's `yes()` words, matched case-insensitively; any other value means no.
pub(crate) const YES: &[&str] = &["1", "true", "y", "yes", "yep", "yeah"];

fn yes(value: Option<&str>) -> bool {
    value.is_some_and(|v| YES.contains(&v.trim().to_ascii_lowercase().as_str()))
}

impl<P: Platform> App<P> {
    async fn with_stats(&self, hooks: &[Hook], req: &Request) -> Result<Vec<Value>, Error> {
        if !yes(req.query("includeExecutionStats")) {
            return Ok(hooks.iter().map(Hook::to_api_json).collect());
        }
        let since = self.clock.now_ms() - STATS_WINDOW_MS;
        let ids: Vec<&str> = hooks.iter().map(|h| h.id.as_str()).collect();
        let stats = self.log.stats(&ids, since).await?;
        Ok(hooks
            .iter()
            .map(|h| {
                let s = stats
                    .iter()
                    .find(|(id, _)| *id == h.id)
                    .map(|(_, s)| *s)
                    .unwrap_or(ExecutionStats::default());
                let mut v = h.to_api_json();
                v["executionStats"] = json!(s);
                v
            })
            .collect())
    }

    pub(super) async fn list_hooks(&self, req: &Request, tenant: Tenant) -> Result<Response, Error> {
        let page = pagination::parse(req, false)?;
        let mut hooks = tenant.hooks;
        hooks.sort_by_key(|h| std::cmp::Reverse(h.created_at));
        let Some(page) = page else {
            return Ok(Response::json(200, &Value::Array(self.with_stats(&hooks, req).await?)));
        };
        let list = self.with_stats(page.slice(&hooks), req).await?;
        let mut resp = Response::json(200, &Value::Array(list));
        resp.headers.extend(pagination::headers(req, page, hooks.len()));
        Ok(resp)
    }

    pub(super) async fn create_hook(&self, req: &Request, mut tenant: Tenant) -> Result<Response, Error> {
        let input = parse_new_hook(&req.json()?, self.config.allow_private_targets)?;
        let max = self.config.max_hooks_per_tenant as usize;
        if tenant.hooks.len() >= max {
            return Err(Error::new(
                400,
                "hook.limit_reached",
                format!("This tenant already has {max} hooks (MAX_HOOKS_PER_TENANT)."),
            ));
        }
        let hook = input.into_hook(&tenant.id, ids::hook_id(), ids::signing_key(), self.clock.now_ms());
        tenant.hooks.push(hook.clone());
        self.tenants.save(&tenant).await?;
        Ok(Response::json(201, &hook.to_api_json()))
    }

    pub(super) async fn get_hook(&self, req: &Request, tenant: Tenant, id: &str) -> Result<Response, Error> {
        let i = find_hook(&tenant, id, Error::hook_not_found)?;
        let mut one = self.with_stats(&tenant.hooks[i..=i], req).await?;
        Ok(Response::json(200, &one.remove(0)))
    }

    pub(super) async fn patch_hook(
        &self,
        req: &Request,
        mut tenant: Tenant,
        id: &str,
    ) -> Result<Response, Error> {
        let patch = parse_hook_patch(&req.json()?, self.config.allow_private_targets)?;
        let i = find_hook(&tenant, id, Error::entity_not_exists)?;
        let was_ordered = tenant.hooks[i].config.ordered;
        patch.apply(&mut tenant.hooks[i]);
        if was_ordered && !tenant.hooks[i].config.ordered {
            self.flush_line(id).await?;
        }
        self.tenants.save(&tenant).await?;
        Ok(Response::json(200, &tenant.hooks[i].to_api_json()))
    }

    pub(super) async fn delete_hook(&self, mut tenant: Tenant, id: &str) -> Result<Response, Error> {
        let i = find_hook(&tenant, id, Error::entity_not_found)?;
        if tenant.hooks[i].config.ordered {
            self.flush_line(id).await?;
        }
        tenant.hooks.remove(i);
        // Its deliveries stay readable by this tenant until retention drops them.
        let now = self.clock.now_ms();
        tenant.deleted_hooks.push(DeletedHook { id: id.to_string(), deleted_at: now });
        tenant.prune(now, self.config.log_retention_days as i64 * ids::DAY_MS);
        self.tenants.save(&tenant).await?;
        Ok(Response::empty(204))
    }

    pub(super) async fn regenerate_signing_key(
        &self,
        req: &Request,
        mut tenant: Tenant,
        id: &str,
    ) -> Result<Response, Error> {
        let grace = parse_grace_period(&req.json()?)?;
        let i = find_hook(&tenant, id, Error::entity_not_exists)?;
        tenant.hooks[i].rotate_signing_key(ids::signing_key(), self.clock.now_ms(), grace);
        self.tenants.save(&tenant).await?;
        Ok(Response::json(200, &tenant.hooks[i].to_api_json()))
    }
}

impl<P: Platform> App<P> {
    /// SPEC §11: while paused, new and due deliveries are stored `held` (never attempted, no
    /// retry used). Ingest and the consumer read the hook as they do `enabled`, so this takes
    /// effect as fast as any hook change (the isolate's 1 s copy, KV propagation elsewhere).
    pub(super) async fn pause_hook(&self, mut tenant: Tenant, id: &str) -> Result<Response, Error> {
        let i = find_hook(&tenant, id, Error::entity_not_exists)?;
        if !tenant.hooks[i].paused {
            tenant.hooks[i].paused = true;
            self.tenants.save(&tenant).await?;
        }
        Ok(Response::json(200, &tenant.hooks[i].to_api_json()))
    }

    /// Unpauses, then sends the held deliveries through the queue, oldest first. Each is made
    /// `pending` before it is sent, so if the send fails its bucket's guard sends it later.
    pub(super) async fn resume_hook(&self, mut tenant: Tenant, id: &str) -> Result<Response, Error> {
        let i = find_hook(&tenant, id, Error::entity_not_exists)?;
        if tenant.hooks[i].paused {
            tenant.hooks[i].paused = false;
            self.tenants.save(&tenant).await?;
        }
        let guard_until = self.clock.now_ms() + self.config.dispatch_guard_secs as i64 * 1000;
        let held = self.log.release_held(id, guard_until, MAX_RELEASE).await?;
        let tasks: Vec<(DeliveryTask, u32)> =
            held.iter().filter_map(|d| d.next_task(&tenant.id, false)).map(|t| (t, 0)).collect();
        if !tasks.is_empty() {
            if let Err(err) = self.queue.enqueue(&tasks).await {
                crate::delivery::runner::log_error(&format!(
                    "resume {id}: could not queue {} held deliveries (their buckets' guard will): {err}",
                    tasks.len()
                ));
            }
        }
        Ok(Response::json(200, &tenant.hooks[i].to_api_json()))
    }
}

impl<P: Platform> App<P> {
    /// An ordered hook stops being one (or goes): the deliveries waiting in its line go out
    /// through the queue now, before the change is saved, so none is left behind.
    pub(super) async fn flush_line(&self, hook_id: &str) -> Result<(), Error> {
        self.gates.line(hook_id, LineRequest::Flush, self.clock.now_ms()).await.map(drop)
    }
}

/// Held deliveries one resume releases (a second resume releases more).
pub const MAX_RELEASE: usize = 10_000;

/// The index of the tenant's hook `id`; another tenant's hook is as missing as no hook.
fn find_hook(tenant: &Tenant, id: &str, not_found: fn(&str) -> Error) -> Result<usize, Error> {
    tenant.hooks.iter().position(|h| h.id == id).ok_or_else(|| not_found(id))
}

impl<P: Platform> App<P> {
    /// Logto's test send: its fixed payload for each event, signed with the stored key, sent
    /// to the config in the body (so unsaved settings can be tried). Not logged.
    pub(super) async fn test_hook(&self, req: &Request, tenant: Tenant, id: &str) -> Result<Response, Error> {
        let (events, config) = parse_test_request(&req.json()?, self.config.allow_private_targets)?;
        let hook = &tenant.hooks[find_hook(&tenant, id, Error::hook_not_found)?];
        let now = self.clock.now_ms();
        let outcomes: Vec<HttpOutcome> = stream::iter(events)
            .map(|event| {
                let body = serde_json::to_vec(&test_payload(&event, &hook.id, now)).unwrap_or_default();
                let request = request::signed(
                    &config,
                    hook,
                    &ids::event_id(self.clock.now_ms()),
                    body,
                    now,
                    self.config.delivery_timeout_ms,
                );
                self.http.post(request)
            })
            .buffer_unordered(crate::delivery::runner::CONCURRENCY)
            .collect()
            .await;
        for outcome in outcomes {
            match outcome {
                HttpOutcome::Response { status, .. } if (200..300).contains(&status) => {}
                HttpOutcome::Response { status, body, .. } => {
                    return Err(Error::new(
                        422,
                        "hook.endpoint_responded_with_error",
                        "Endpoint responded with error.",
                    )
                    .with_data(json!({ "responseStatus": status, "responseBody": body })));
                }
                HttpOutcome::Timeout => {
                    return Err(Error::new(
                        422,
                        "hook.send_test_payload_failed",
                        "Failed to send test payload: TimeoutError: Request timed out",
                    ));
                }
                HttpOutcome::Network(e) => {
                    return Err(Error::new(
                        422,
                        "hook.send_test_payload_failed",
                        format!("Failed to send test payload: {e}"),
                    ));
                }
            }
        }
        Ok(Response::empty(204))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{app, call, call_full};
    use crate::delivery::ports::ExecutionStats;
    use serde_json::json;

    const HOOK: &str = r#"{"name":"crm","events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h"}}"#;

    #[test]
    fn created_hook_is_listed_and_readable() {
        let app = app();
        let (status, hook) = call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        assert_eq!(status, 201);
        let id = hook["id"].as_str().unwrap();
        let (status, list) = call(&app, "GET", "/api/hooks", Some("admin"), "");
        assert_eq!(status, 200);
        assert_eq!(list[0]["id"], id);
        let (status, one) = call(&app, "GET", &format!("/api/hooks/{id}"), Some("admin"), "");
        assert_eq!((status, one), (200, hook));
    }

    #[test]
    fn list_is_newest_first_and_paginates_with_headers() {
        let app = app();
        let mut ids = Vec::new();
        for t in 0..3 {
            app.clock.0.set(1_000 + t);
            ids.push(call(&app, "POST", "/api/hooks", Some("admin"), HOOK).1["id"].clone());
        }
        let (_, all) = call(&app, "GET", "/api/hooks", Some("admin"), "");
        assert_eq!(
            all.as_array().unwrap().iter().map(|h| h["id"].clone()).collect::<Vec<_>>(),
            vec![ids[2].clone(), ids[1].clone(), ids[0].clone()]
        );
        let resp = call_full(&app, "GET", "/api/hooks?page=2&page_size=2", Some("admin"), "");
        let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(body.as_array().unwrap().len(), 1);
        assert_eq!(body[0]["id"], ids[0]);
        let header = |n: &str| resp.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(header("total-number").as_deref(), Some("3"));
        assert!(header("link").unwrap().contains("rel=\"prev\""));
        let (status, err) = call(&app, "GET", "/api/hooks?page_size=101", Some("admin"), "");
        assert_eq!((status, err["code"].as_str()), (400, Some("guard.invalid_pagination")));
    }

    #[test]
    fn execution_stats_come_from_the_delivery_log_when_asked() {
        let app = app();
        let (_, hook) = call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        let id = hook["id"].as_str().unwrap().to_string();
        app.log.stats.borrow_mut().push((id.clone(), ExecutionStats { request_count: 5, success_count: 3 }));
        let (_, plain) = call(&app, "GET", "/api/hooks", Some("admin"), "");
        assert!(plain[0].get("executionStats").is_none());
        let (_, list) = call(&app, "GET", "/api/hooks?includeExecutionStats=yes", Some("admin"), "");
        assert_eq!(list[0]["executionStats"], json!({"requestCount":5,"successCount":3}));
        let (_, one) =
            call(&app, "GET", &format!("/api/hooks/{id}?includeExecutionStats=true"), Some("admin"), "");
        assert_eq!(one["executionStats"]["requestCount"], 5);
        let (_, off) =
            call(&app, "GET", &format!("/api/hooks/{id}?includeExecutionStats=false"), Some("admin"), "");
        assert!(off.get("executionStats").is_none());
    }

    #[test]
    fn patch_delete_and_rotate_use_logtos_not_found_codes() {
        let app = app();
        for (method, path, code) in [
            ("PATCH", "/api/hooks/nope", "entity.not_exists"),
            ("DELETE", "/api/hooks/nope", "entity.not_found"),
            ("PATCH", "/api/hooks/nope/signing-key", "entity.not_exists"),
            ("GET", "/api/hooks/nope", "entity.not_exists_with_id"),
        ] {
            let (status, body) = call(&app, method, path, Some("admin"), "{}");
            assert_eq!((status, body["code"].as_str()), (404, Some(code)), "{method} {path}");
        }
    }

    #[test]
    fn patch_then_delete() {
        let app = app();
        let (_, hook) = call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        let path = format!("/api/hooks/{}", hook["id"].as_str().unwrap());
        let (status, patched) =
            call(&app, "PATCH", &path, Some("admin"), r#"{"enabled":false,"name":"renamed"}"#);
        assert_eq!((status, &patched["name"], &patched["enabled"]), (200, &json!("renamed"), &json!(false)));
        assert_eq!(patched["signingKey"], hook["signingKey"], "PATCH never changes the key");
        let (status, _) = call(&app, "DELETE", &path, Some("admin"), "");
        assert_eq!(status, 204);
        assert_eq!(call(&app, "GET", &path, Some("admin"), "").0, 404);
    }

    #[test]
    fn regenerating_the_key_changes_key_and_secret() {
        let app = app();
        let (_, hook) = call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        let path = format!("/api/hooks/{}/signing-key", hook["id"].as_str().unwrap());
        let (status, rotated) = call(&app, "PATCH", &path, Some("admin"), r#"{"gracePeriodSeconds":3600}"#);
        assert_eq!(status, 200);
        assert_ne!(rotated["signingKey"], hook["signingKey"]);
        assert_ne!(rotated["signingSecret"], hook["signingSecret"]);
        let stored = app.tenants.hooks_of("default")[0].clone();
        assert_eq!(stored.retired_keys[0].key, hook["signingKey"].as_str().unwrap());
        let (status, err) = call(&app, "PATCH", &path, Some("admin"), r#"{"gracePeriodSeconds":999999999}"#);
        assert_eq!((status, err["code"].as_str()), (400, Some("guard.invalid_input")));
    }

    #[test]
    fn test_send_signs_logtos_payload_with_the_stored_key_and_maps_failures_to_422() {
        use crate::delivery::ports::HttpOutcome;
        let app = app();
        let (_, hook) = call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        let path = format!("/api/hooks/{}/test", hook["id"].as_str().unwrap());
        let body = r#"{"events":["PostSignIn","User.Created"],"config":{"url":"http://127.0.0.1:9/other"}}"#;
        let ok = || HttpOutcome::Response {
            status: 200,
            retry_after: None,
            headers: Vec::new(),
            body: String::new(),
        };
        app.http.script(vec![ok(), ok()]);
        assert_eq!(call(&app, "POST", &path, Some("admin"), body).0, 204);
        let sent = app.http.sent();
        assert_eq!(sent.len(), 2);
        assert!(sent.iter().all(|r| r.url == "http://127.0.0.1:9/other"));
        let payload: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
        assert_eq!(payload.as_object().unwrap().keys().nth(1).map(String::as_str), Some("hookId"));
        let sig = sent[0].headers.iter().find(|(k, _)| k == "logto-signature-sha-256").unwrap();
        assert_eq!(
            sig.1,
            crate::core::signature::logto_signature(hook["signingKey"].as_str().unwrap(), &sent[0].body)
        );

        const ONE_EVENT: &str = r#"{"events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/x"}}"#;
        app.http.script(vec![HttpOutcome::Response {
            status: 500,
            retry_after: None,
            headers: Vec::new(),
            body: "bad".into(),
        }]);
        let (status, err) = call(&app, "POST", &path, Some("admin"), ONE_EVENT);
        assert_eq!((status, err["code"].as_str()), (422, Some("hook.endpoint_responded_with_error")));
        assert_eq!(err["data"], json!({"responseStatus": 500, "responseBody": "bad"}));

        app.http.script(vec![HttpOutcome::Network("connection refused".into())]);
        let (status, err) = call(&app, "POST", &path, Some("admin"), ONE_EVENT);
        assert_eq!((status, err["code"].as_str()), (422, Some("hook.send_test_payload_failed")));

        assert_eq!(
            call(
                &app,
                "POST",
                &path,
                Some("admin"),
                r#"{"events":[],"config":{"url":"http://127.0.0.1:9/x"}}"#
            )
            .0,
            400
        );
        assert_eq!(call(&app, "POST", "/api/hooks/nope/test", Some("admin"), body).0, 404);
        assert!(app.log.attempts.borrow().is_empty(), "test sends are not logged");
    }

    #[test]
    fn a_paused_hook_holds_its_deliveries_and_resume_sends_them_oldest_first() {
        let app = app();
        let (_, hook) = call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        let id = hook["id"].as_str().unwrap().to_string();
        let (status, paused) = call(&app, "POST", &format!("/api/hooks/{id}/pause"), Some("admin"), "");
        assert_eq!((status, &paused["paused"]), (200, &json!(true)));
        let mut ids = Vec::new();
        for t in 0..3 {
            app.clock.0.set(1_755_777_600_000 + t);
            let (status, ev) = call(&app, "POST", "/api/events", Some("ingest"), r#"{"event":"PostSignIn"}"#);
            assert_eq!(status, 202);
            ids.push(ev["deliveries"][0]["id"].as_str().unwrap().to_string());
        }
        assert!(app.take_dispatch().is_none(), "nothing is attempted while paused");
        assert!(app
            .log
            .deliveries
            .borrow()
            .iter()
            .all(|d| d.status == "held" && d.next_attempt_at.is_none()));
        let (_, listed) =
            call(&app, "GET", &format!("/api/hooks/{id}/deliveries?status=held"), Some("admin"), "");
        assert_eq!(listed.as_array().unwrap().len(), 3);
        let (status, resumed) = call(&app, "POST", &format!("/api/hooks/{id}/resume"), Some("admin"), "");
        assert_eq!(status, 200);
        assert!(resumed.get("paused").is_none(), "an unpaused hook keeps Logto's shape");
        let sent = app.queue.sent.borrow();
        let order: Vec<&str> = sent.iter().map(|(t, _)| t.delivery_id.as_str()).collect();
        assert_eq!(order, ids.iter().map(String::as_str).collect::<Vec<_>>(), "oldest first");
        assert!(sent.iter().all(|(t, delay)| t.attempt == 1 && !t.manual && *delay == 0), "no retry used");
        assert!(app.log.deliveries.borrow().iter().all(|d| d.status == "pending"), "guarded until attempted");
        for route in ["pause", "resume"] {
            let (status, err) = call(&app, "POST", &format!("/api/hooks/nope/{route}"), Some("admin"), "");
            assert_eq!((status, err["code"].as_str()), (404, Some("entity.not_exists")));
        }
    }

    #[test]
    fn management_routes_need_the_admin_token_not_the_ingest_token() {
        let app = app();
        for token in [None, Some("ingest"), Some("wrong")] {
            let (status, body) = call(&app, "GET", "/api/hooks", token, "");
            assert_eq!((status, &body["code"]), (401, &json!("auth.unauthorized")));
        }
    }

    #[test]
    fn malformed_json_is_a_400_json_error() {
        let (status, body) = call(&app(), "POST", "/api/hooks", Some("admin"), "{nope");
        assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")));
    }

    #[test]
    fn a_wrong_method_is_405_with_allow_listing_the_paths_methods() {
        let app = app();
        let resp = call_full(&app, "PUT", "/api/hooks", Some("admin"), "");
        assert_eq!(resp.status, 405);
        assert!(resp.headers.contains(&("allow".to_string(), "GET, POST".to_string())), "{:?}", resp.headers);
        let resp = call_full(&app, "QUERY", "/api/health", None, "");
        assert_eq!(resp.status, 405);
        assert!(resp.headers.contains(&("allow".to_string(), "GET".to_string())));
    }
}
