//! `/api/tenants`: the operator's tenant administration (SPEC §9): tenants, their tokens,
//! relay keys and portal sessions.

use super::pagination;
use super::{App, Request, Response};
use crate::core::ids;
use crate::core::tenant::{
    parse_new_tenant, parse_new_token, parse_portal, parse_relay_key, parse_tenant_patch, token_hash,
    token_value, Scope, Tenant, TenantSummary, Token, DEFAULT_TENANT, MAX_TOKENS, PORTAL_TOKEN_NAME,
    TOKEN_RANDOM_BYTES,
};
use crate::core::Error;
use crate::delivery::ports::{Clock, Platform, TenantStore};
use serde_json::{json, Value};

fn token_not_found(id: &str) -> Error {
    Error::new(404, "tenant.token_not_found", format!("The token `{id}` does not exist."))
        .with_data(json!({ "id": id }))
}

/// 32 random bytes from the platform's cryptographic RNG.
fn random_bytes() -> Result<[u8; TOKEN_RANDOM_BYTES], Error> {
    let mut bytes = [0u8; TOKEN_RANDOM_BYTES];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

impl<P: Platform> App<P> {
    fn retention_ms(&self) -> i64 {
        self.config.log_retention_days as i64 * ids::DAY_MS
    }

    pub(super) async fn list_tenants(&self, req: &Request) -> Result<Response, Error> {
        let page = pagination::parse(req, false)?;
        let mut stored: Vec<TenantSummary> =
            self.tenants.list().await?.into_iter().filter(|t| t.id != DEFAULT_TENANT).collect();
        stored.sort_by_key(|t| std::cmp::Reverse(t.created_at));
        // `default` always exists and comes first.
        let mut all = vec![self.existing_tenant(DEFAULT_TENANT, true).await?.summary()];
        all.extend(stored);
        let json =
            |list: &[TenantSummary]| Value::Array(list.iter().map(TenantSummary::to_api_json).collect());
        let Some(page) = page else {
            return Ok(Response::json(200, &json(&all)));
        };
        let mut resp = Response::json(200, &json(page.slice(&all)));
        resp.headers.extend(pagination::headers(req, page, all.len()));
        Ok(resp)
    }

    pub(super) async fn create_tenant(&self, req: &Request) -> Result<Response, Error> {
        let (id, name) = parse_new_tenant(&req.json()?)?;
        let id = id.unwrap_or_else(ids::tenant_id);
        if self.tenant(&id, true).await?.is_some() {
            return Err(Error::new(
                409,
                "tenant.already_exists",
                format!("The tenant `{id}` already exists."),
            )
            .with_data(json!({ "id": id })));
        }
        let tenant = Tenant::new(&id, &name, self.clock.now_ms());
        self.tenants.save(&tenant).await?;
        Ok(Response::json(201, &tenant.to_api_json()))
    }

    pub(super) async fn get_tenant(&self, id: &str) -> Result<Response, Error> {
        Ok(Response::json(200, &self.existing_tenant(id, true).await?.to_api_json()))
    }

    pub(super) async fn patch_tenant(&self, req: &Request, id: &str) -> Result<Response, Error> {
        let name = parse_tenant_patch(&req.json()?)?;
        let mut tenant = self.existing_tenant(id, true).await?;
        if let Some(name) = name {
            tenant.name = name;
            self.tenants.save(&tenant).await?;
        }
        Ok(Response::json(200, &tenant.to_api_json()))
    }

    /// Its hooks stop receiving at once: ingest finds no tenant, and queued deliveries find no
    /// hook and are dropped. Its delivery buckets delete themselves when retention ends.
    pub(super) async fn delete_tenant(&self, id: &str) -> Result<Response, Error> {
        if id == DEFAULT_TENANT {
            return Err(Error::new(
                400,
                "tenant.default_is_permanent",
                "The default tenant cannot be deleted.",
            ));
        }
        let tenant = self.existing_tenant(id, true).await?;
        for hook in tenant.hooks.iter().filter(|h| h.config.ordered) {
            // What waits in its lines is dropped with a record, like its queued deliveries.
            self.flush_line(&hook.id).await?;
        }
        self.tenants.delete(id).await?;
        Ok(Response::empty(204))
    }

    pub(super) async fn list_tokens(&self, id: &str) -> Result<Response, Error> {
        let tenant = self.existing_tenant(id, true).await?;
        let now = self.clock.now_ms();
        let list = tenant.tokens.iter().filter(|t| t.live(now)).map(Token::to_api_json).collect();
        Ok(Response::json(200, &Value::Array(list)))
    }

    /// Stores a new token's hash; the value exists only in the answer.
    async fn mint(
        &self,
        mut tenant: Tenant,
        scope: Scope,
        name: Option<String>,
        expires_at: Option<i64>,
    ) -> Result<(Token, String), Error> {
        let now = self.clock.now_ms();
        tenant.prune(now, self.retention_ms());
        if tenant.tokens.len() >= MAX_TOKENS {
            return Err(Error::new(
                400,
                "tenant.token_limit_reached",
                format!("This tenant already has {MAX_TOKENS} live tokens; revoke some first."),
            ));
        }
        let value = token_value(&tenant.id, &random_bytes()?);
        let token =
            Token { id: ids::token_id(), scope, name, created_at: now, expires_at, hash: token_hash(&value) };
        tenant.tokens.push(token.clone());
        self.tenants.save(&tenant).await?;
        Ok((token, value))
    }

    pub(super) async fn create_token(&self, req: &Request, id: &str) -> Result<Response, Error> {
        let (scope, name, expires_at) = parse_new_token(&req.json()?, self.clock.now_ms())?;
        let tenant = self.existing_tenant(id, true).await?;
        let (token, value) = self.mint(tenant, scope, name, expires_at).await?;
        let mut body = token.to_api_json();
        body["token"] = json!(value);
        Ok(Response::json(201, &body))
    }

    pub(super) async fn revoke_token(&self, id: &str, token_id: &str) -> Result<Response, Error> {
        let mut tenant = self.existing_tenant(id, true).await?;
        let i =
            tenant.tokens.iter().position(|t| t.id == token_id).ok_or_else(|| token_not_found(token_id))?;
        tenant.tokens.remove(i);
        self.tenants.save(&tenant).await?;
        Ok(Response::empty(204))
    }

    pub(super) async fn set_relay_key(&self, req: &Request, mut tenant: Tenant) -> Result<Response, Error> {
        tenant.relay_key = Some(parse_relay_key(&req.json()?)?);
        self.tenants.save(&tenant).await?;
        Ok(Response::empty(204))
    }

    pub(super) async fn delete_relay_key(&self, mut tenant: Tenant) -> Result<Response, Error> {
        if tenant.relay_key.take().is_some() {
            self.tenants.save(&tenant).await?;
        }
        Ok(Response::empty(204))
    }

    /// Svix's App Portal: a short-lived `manage` token in a console URL's fragment, which
    /// browsers never send to a server.
    pub(super) async fn create_portal(&self, req: &Request, id: &str) -> Result<Response, Error> {
        let seconds = parse_portal(&req.json()?)?;
        let tenant = self.existing_tenant(id, true).await?;
        let expires_at = self.clock.now_ms() + seconds * 1000;
        let (_, value) =
            self.mint(tenant, Scope::Manage, Some(PORTAL_TOKEN_NAME.into()), Some(expires_at)).await?;
        let url = format!("{}/#portal={value}", req.origin);
        Ok(Response::json(201, &json!({ "url": url, "token": value, "expiresAt": expires_at })))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{app, call, call_full, TestApp};
    use serde_json::{json, Value};

    const HOOK: &str = r#"{"events":["PostSignIn"],"config":{"url":"http://127.0.0.1:9/h"}}"#;

    fn with_tenant(
        app: &TestApp,
        method: &str,
        path: &str,
        token: &str,
        tenant: &str,
        body: &str,
    ) -> (u16, Value) {
        let req = super::Request {
            method: method.into(),
            origin: "http://hookwing.test".into(),
            path: path.into(),
            headers: vec![
                ("authorization".into(), format!("Bearer {token}")),
                ("hookwing-tenant".into(), tenant.into()),
            ],
            body: body.as_bytes().to_vec(),
            ..Default::default()
        };
        let resp = futures_executor::block_on(app.handle(req));
        (resp.status, serde_json::from_slice(&resp.body).unwrap_or(Value::Null))
    }

    fn tenant_with_token(app: &TestApp, id: &str, scope: &str) -> String {
        assert_eq!(
            call(app, "POST", "/api/tenants", Some("admin"), &json!({"id": id, "name": id}).to_string()).0,
            201
        );
        let (status, t) = call(
            app,
            "POST",
            &format!("/api/tenants/{id}/tokens"),
            Some("admin"),
            &json!({"scope": scope}).to_string(),
        );
        assert_eq!(status, 201);
        t["token"].as_str().unwrap().to_string()
    }

    #[test]
    fn a_manage_token_sees_only_its_own_tenants_hooks() {
        let app = app();
        let acme = tenant_with_token(&app, "acme", "manage");
        let globex = tenant_with_token(&app, "globex", "manage");
        let (status, hook) = call(&app, "POST", "/api/hooks", Some(&acme), HOOK);
        assert_eq!((status, hook["tenantId"].as_str()), (201, Some("acme")));
        let path = format!("/api/hooks/{}", hook["id"].as_str().unwrap());
        assert_eq!(call(&app, "GET", &path, Some(&acme), "").0, 200);
        let (status, err) = call(&app, "GET", &path, Some(&globex), "");
        assert_eq!((status, err["code"].as_str()), (404, Some("entity.not_exists_with_id")));
        assert_eq!(call(&app, "GET", "/api/hooks", Some(&globex), "").1, json!([]));
        assert_eq!(call(&app, "GET", "/api/hooks", Some("admin"), "").1, json!([]), "default has none");
        assert_eq!(with_tenant(&app, "GET", &path, "admin", "acme", "").0, 200);
        let (status, err) = with_tenant(&app, "GET", "/api/hooks", &acme, "globex", "");
        assert_eq!((status, err["code"].as_str()), (403, Some("auth.forbidden")));
        let (status, err) = with_tenant(&app, "GET", "/api/hooks", "admin", "nobody", "");
        assert_eq!((status, err["code"].as_str()), (404, Some("tenant.not_found")));
    }

    #[test]
    fn scopes_decide_the_routes_and_revocation_is_immediate() {
        let app = app();
        let ingest = tenant_with_token(&app, "acme", "ingest");
        let (status, err) = call(&app, "GET", "/api/hooks", Some(&ingest), "");
        assert_eq!((status, err["code"].as_str()), (403, Some("auth.forbidden")));
        assert_eq!(call(&app, "POST", "/api/events", Some(&ingest), r#"{"event":"PostSignIn"}"#).0, 202);
        assert_eq!(call(&app, "GET", "/api/tenants", Some(&ingest), "").0, 403);
        let (_, list) = call(&app, "GET", "/api/tenants/acme/tokens", Some("admin"), "");
        let id = list[0]["id"].as_str().unwrap();
        assert_eq!(call(&app, "DELETE", &format!("/api/tenants/acme/tokens/{id}"), Some("admin"), "").0, 204);
        let (status, err) = call(&app, "POST", "/api/events", Some(&ingest), r#"{"event":"PostSignIn"}"#);
        assert_eq!((status, err["code"].as_str()), (401, Some("auth.unauthorized")));
        assert_eq!(call(&app, "POST", "/api/events", Some("hwk_acme_forged"), "{}").0, 401);
    }

    #[test]
    fn an_ingest_plans_deliveries_to_its_tenants_hooks_only() {
        let app = app();
        let acme = tenant_with_token(&app, "acme", "ingest");
        call(&app, "POST", "/api/hooks", Some("admin"), HOOK);
        let (_, theirs) = with_tenant(&app, "POST", "/api/hooks", "admin", "acme", HOOK);
        let (_, accepted) = call(&app, "POST", "/api/events", Some(&acme), r#"{"event":"PostSignIn"}"#);
        assert_eq!(accepted["deliveries"].as_array().unwrap().len(), 1);
        assert_eq!(accepted["deliveries"][0]["hookId"], theirs["id"]);
        let sent = app.take_dispatch().unwrap().tasks;
        assert_eq!((sent.len(), sent[0].tenant.as_str()), (1, "acme"), "the task names its tenant");
    }

    #[test]
    fn a_portal_session_is_a_short_lived_manage_token_in_the_url_fragment() {
        let app = app();
        call(&app, "POST", "/api/tenants", Some("admin"), r#"{"id":"acme","name":"Acme"}"#);
        let resp =
            call_full(&app, "POST", "/api/tenants/acme/portal", Some("admin"), r#"{"expiresInSeconds":60}"#);
        let portal: Value = serde_json::from_slice(&resp.body).unwrap();
        let token = portal["token"].as_str().unwrap();
        assert_eq!(portal["url"], format!("http://hookwing.test/#portal={token}"));
        assert_eq!(portal["expiresAt"].as_i64(), Some(app.clock.now_ms_for_test() + 60_000));
        assert_eq!(call(&app, "GET", "/api/hooks", Some(token), "").0, 200);
        assert_eq!(call(&app, "GET", "/api/tenants/acme", Some(token), "").0, 403);
        app.clock.0.set(app.clock.now_ms_for_test() + 60_000);
        assert_eq!(call(&app, "GET", "/api/hooks", Some(token), "").0, 401, "expired");
    }

    #[test]
    fn the_default_tenant_is_permanent_and_deleting_another_drops_its_hooks() {
        let app = app();
        let (status, err) = call(&app, "DELETE", "/api/tenants/default", Some("admin"), "");
        assert_eq!((status, err["code"].as_str()), (400, Some("tenant.default_is_permanent")));
        call(&app, "POST", "/api/tenants", Some("admin"), r#"{"id":"acme","name":"Acme"}"#);
        with_tenant(&app, "POST", "/api/hooks", "admin", "acme", HOOK);
        assert_eq!(call(&app, "DELETE", "/api/tenants/acme", Some("admin"), "").0, 204);
        assert!(app.tenants.hooks_of("acme").is_empty());
        assert_eq!(call(&app, "GET", "/api/tenants/acme", Some("admin"), "").0, 404);
    }

    #[test]
    fn another_tenants_delivery_is_not_even_looked_up() {
        use crate::delivery::ports::DeliveryLog;
        let app = app();
        let acme = tenant_with_token(&app, "acme", "manage");
        let globex = tenant_with_token(&app, "globex", "manage");
        let (_, hook) = call(&app, "POST", "/api/hooks", Some(&acme), HOOK);
        let hook = crate::core::hook::Hook {
            id: hook["id"].as_str().unwrap().into(),
            tenant_id: "acme".into(),
            ..crate::testing::hook_for("http://127.0.0.1:9/h")
        };
        let mut task = crate::testing::task_for(&hook, 1);
        task.delivery_id = crate::core::ids::delivery_id(&hook.id, 1);
        let record = crate::delivery::record::state(&task, "failed", 1, None, None, 1);
        futures_executor::block_on(app.log.record(&[record], &[])).unwrap();
        let path = format!("/api/deliveries/{}", task.delivery_id);
        assert_eq!(call(&app, "GET", &path, Some(&acme), "").0, 200);
        let (status, err) = call(&app, "GET", &path, Some(&globex), "");
        assert_eq!((status, err["code"].as_str()), (404, Some("entity.not_exists_with_id")));
        assert_eq!(call(&app, "POST", &format!("{path}/retry"), Some(&globex), "").0, 404);
    }
}
