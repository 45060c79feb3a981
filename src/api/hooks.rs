//! `/api/hooks`: Logto's hook management API over the hook store.

use super::{App, Request, Response};
use crate::core::hook::parse_new_hook;
use crate::core::{ids, Error};
use crate::delivery::ports::{Clock, DeliveryQueue, HookStore, HttpClient};
use serde_json::Value;

impl<H: HookStore, Q: DeliveryQueue, X: HttpClient, C: Clock> App<H, Q, X, C> {
    pub(super) async fn list_hooks(&self, req: &Request) -> Result<Response, Error> {
        self.require_admin(req)?;
        let mut hooks = self.hooks.load().await?;
        hooks.sort_by_key(|h| std::cmp::Reverse(h.created_at));
        let list: Vec<Value> = hooks.iter().map(|h| h.to_api_json()).collect();
        Ok(Response::json(200, &Value::Array(list)))
    }

    pub(super) async fn create_hook(&self, req: &Request) -> Result<Response, Error> {
        self.require_admin(req)?;
        let input = parse_new_hook(&req.json()?, self.config.allow_private_targets)?;
        let hook = input.into_hook(ids::hook_id(), ids::signing_key(), self.clock.now_ms());
        let mut hooks = self.hooks.load().await?;
        hooks.push(hook.clone());
        self.hooks.save(&hooks).await?;
        Ok(Response::json(201, &hook.to_api_json()))
    }

    pub(super) async fn get_hook(&self, req: &Request, id: &str) -> Result<Response, Error> {
        self.require_admin(req)?;
        let hooks = self.hooks.load().await?;
        let hook = hooks
            .iter()
            .find(|h| h.id == id)
            .ok_or_else(|| Error::hook_not_found(id))?;
        Ok(Response::json(200, &hook.to_api_json()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{app, call};
    use serde_json::json;

    #[test]
    fn created_hook_is_listed_and_readable() {
        let app = app();
        let (status, hook) = call(
            &app,
            "POST",
            "/api/hooks",
            Some("admin"),
            r#"{"name":"crm","events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h"}}"#,
        );
        assert_eq!(status, 201);
        let id = hook["id"].as_str().unwrap();
        let (status, list) = call(&app, "GET", "/api/hooks", Some("admin"), "");
        assert_eq!(status, 200);
        assert_eq!(list[0]["id"], id);
        let (status, one) = call(&app, "GET", &format!("/api/hooks/{id}"), Some("admin"), "");
        assert_eq!((status, one), (200, hook));
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
    fn unknown_hook_is_404_entity_not_exists_with_id() {
        let (status, body) = call(&app(), "GET", "/api/hooks/nope", Some("admin"), "");
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("entity.not_exists_with_id"))
        );
    }

    #[test]
    fn malformed_json_is_a_400_json_error() {
        let (status, body) = call(&app(), "POST", "/api/hooks", Some("admin"), "{nope");
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("guard.invalid_input"))
        );
    }
}
