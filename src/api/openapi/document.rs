//! Builds the OpenAPI 3.1 document: one path item per routing-table entry (its method,
//! path and security come from `router::ROUTES`), one operation per `Route` (an exhaustive
//! match, so a new route does not compile without its documentation), and the component
//! schemas of `schemas.rs`.

use super::schemas::{self, reference};
use crate::api::access::TENANT_HEADER;
use crate::api::deliveries::{MAX_RECOVER, STATUSES};
use crate::api::events::WAIT_VALUES;
use crate::api::health::VERSION;
use crate::api::hooks::YES;
use crate::api::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE};
use crate::api::router::{Auth, Route, ROUTES};
use crate::core::hourly::RANGES;

const TENANT_HEADER_DOC: &str = "The tenant to act on, with ADMIN_TOKEN or INGEST_TOKEN (default: `default`). A tenant token always acts on its own tenant; naming another here is 403.";
use serde_json::{json, Map, Value};

/// What the table does not say about an operation.
struct Operation {
    id: &'static str,
    summary: &'static str,
    parameters: Vec<Value>,
    body: Option<(bool, Value)>,
    /// Status → response object.
    responses: Vec<(u16, Value)>,
}

fn op(id: &'static str, summary: &'static str) -> Operation {
    Operation { id, summary, parameters: Vec::new(), body: None, responses: Vec::new() }
}

impl Operation {
    fn query(mut self, name: &str, schema: Value, description: &str) -> Self {
        self.parameters
            .push(json!({ "name": name, "in": "query", "schema": schema, "description": description }));
        self
    }

    fn header(mut self, name: &str, required: bool, schema: Value, description: &str) -> Self {
        self.parameters.push(
            json!({ "name": name, "in": "header", "required": required, "schema": schema, "description": description }),
        );
        self
    }

    fn paginated(self) -> Self {
        self.query("page", json!({ "type": "integer", "minimum": 1, "maximum": MAX_PAGE }), "Page number, from 1.")
            .query(
                "page_size",
                json!({ "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE }),
                "Items per page.",
            )
    }

    fn body(mut self, required: bool, schema: Value) -> Self {
        self.body = Some((required, schema));
        self
    }

    fn ok(mut self, status: u16, description: &str, schema: Option<Value>) -> Self {
        let mut response = json!({ "description": description });
        if let Some(schema) = schema {
            response["content"] = json!({ "application/json": { "schema": schema } });
        }
        self.responses.push((status, response));
        self
    }

    fn list(self, description: &str, item: &str) -> Self {
        let mut me = self.ok(200, description, Some(json!({ "type": "array", "items": reference(item) })));
        if let Some((_, r)) = me.responses.last_mut() {
            r["headers"] = json!({
                "Total-Number": { "schema": { "type": "integer" }, "description": "Total items (when paginated)." },
                "Link": { "schema": { "type": "string" }, "description": "RFC 8288 links: first, prev, next, last (when paginated)." }
            });
        }
        me
    }

    fn links(mut self, status: u16, links: Value) -> Self {
        if let Some((_, r)) = self.responses.iter_mut().find(|(s, _)| *s == status) {
            r["links"] = links;
        }
        self
    }

    fn errors(mut self, statuses: &[u16]) -> Self {
        for s in statuses {
            self.responses.push((*s, json!({ "$ref": format!("#/components/responses/E{s}") })));
        }
        self
    }
}

const ERROR_DESCRIPTIONS: &[(u16, &str)] = &[
    (400, "Invalid input: `guard.invalid_input` (with `details` naming the field), `guard.invalid_pagination`, `hook.missing_events`, `hook.limit_reached`, `event.unknown_event`, `log.invalid_time_window`, `tenant.default_is_permanent`, `tenant.token_limit_reached`"),
    (401, "`auth.unauthorized` (missing, wrong, expired or revoked token), or `relay.invalid_signature`"),
    (403, "`auth.forbidden`: a tenant token used outside its scope or for another tenant"),
    (404, "`entity.not_exists_with_id`, `entity.not_exists` or `entity.not_found` (another tenant's id answers the same), `tenant.not_found`, `tenant.token_not_found`"),
    (409, "`event.idempotency_in_progress`: a request with this Idempotency-Key is still running; `tenant.already_exists`"),
    (413, "`event.too_large`: an event over 100 KiB or a body over 1 MiB"),
    (422, "`hook.endpoint_responded_with_error` (`data {responseStatus, responseBody}`) or `hook.send_test_payload_failed`"),
    (500, "`internal.server_error`: a storage, queue or runtime failure"),
    (503, "`config.missing_secret` (a token secret is not set) or `internal.unavailable`"),
];

fn hook_link(operation: &str) -> (String, Value) {
    (operation.to_string(), json!({ "operationId": operation, "parameters": { "id": "$response.body#/id" } }))
}

fn hook_links() -> Value {
    let mut links: Map<String, Value> = [
        "getHook",
        "updateHook",
        "deleteHook",
        "regenerateSigningKey",
        "testHook",
        "recentLogs",
        "listDeliveries",
        "recoverHook",
        "pauseHook",
        "resumeHook",
    ]
    .iter()
    .map(|o| hook_link(o))
    .collect();
    // An event the new hook subscribes to, so the stateful phase makes real deliveries.
    links.insert(
        "ingestEvents".into(),
        json!({ "operationId": "ingestEvents", "requestBody": { "event": "$response.body#/events/0" } }),
    );
    Value::Object(links)
}

fn delivery_links(pointer: &str) -> Value {
    json!({
        "getDelivery": { "operationId": "getDelivery", "parameters": { "id": format!("$response.body#{pointer}") } },
        "retryDelivery": { "operationId": "retryDelivery", "parameters": { "id": format!("$response.body#{pointer}") } },
    })
}

fn stats_param(o: Operation) -> Operation {
    o.query(
        "includeExecutionStats",
        json!({ "type": "string" }),
        &format!(
            "{} (case-insensitive) add `executionStats` over the last 24 h; any other value does not.",
            YES.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ")
        ),
    )
}

fn operation(route: Route) -> Operation {
    let any_json = || json!({ "type": "object" });
    match route {
        Route::Health => op("health", "Liveness and version").ok(
            200,
            "OK",
            Some(json!({ "type": "object", "required": ["status", "version"], "additionalProperties": false,
                "properties": { "status": { "const": "ok" }, "version": { "const": VERSION } } })),
        ),
        Route::OpenApi => op("openapi", "This document").ok(200, "OpenAPI 3.1 document", Some(any_json())),
        Route::Catalog => op("eventCatalog", "Events a hook can subscribe to, with their category").ok(
            200,
            "The catalog, in Logto's order",
            Some(json!({ "type": "array", "items": reference("CatalogEntry") })),
        ),
        Route::ListHooks => stats_param(op("listHooks", "All hooks, newest first"))
            .paginated()
            .list("Hooks", "Hook")
            .errors(&[400]),
        Route::CreateHook => op("createHook", "Create a hook")
            .body(true, reference("HookCreate"))
            .ok(201, "Created", Some(reference("Hook")))
            .links(201, hook_links())
            .errors(&[400]),
        Route::GetHook => {
            stats_param(op("getHook", "One hook")).ok(200, "The hook", Some(reference("Hook"))).errors(&[404])
        }
        // No body reads as `{}`: nothing changes.
        Route::PatchHook => op("updateHook", "Update a hook; `config` replaces the whole config")
            .body(false, reference("HookUpdate"))
            .ok(200, "The updated hook", Some(reference("Hook")))
            .errors(&[400, 404]),
        Route::DeleteHook => op("deleteHook", "Delete a hook; its pending deliveries are dropped")
            .ok(204, "Deleted", None)
            .errors(&[404]),
        Route::RegenerateSigningKey => op(
            "regenerateSigningKey",
            "New signing key; with a grace period the old key keeps signing `webhook-signature` until it expires",
        )
        .body(false, schemas::grace_period())
        .ok(200, "The hook with its new key", Some(reference("Hook")))
        .errors(&[400, 404]),
        Route::TestHook => op(
            "testHook",
            "Send Logto's test payload for each event, signed with the stored key, to the config in the body; not logged",
        )
        .body(true, reference("TestRequest"))
        .ok(204, "Every endpoint answered 2xx", None)
        .errors(&[400, 404, 422]),
        Route::RecentLogs => op("recentLogs", "One Logto log entry per attempt, newest first (default window: the last 24 h)")
            .query("logKey", json!({ "type": "string" }), "e.g. `TriggerHook.PostSignIn`; other keys match nothing")
            .query("start_time", json!({ "type": "number" }), "epoch ms, inclusive; after `end_time`: 400")
            .query("end_time", json!({ "type": "number" }), "epoch ms, inclusive")
            .paginated()
            .list("Log entries", "LogEntry")
            .errors(&[400]),
        Route::ListDeliveries => op("listDeliveries", "Deliveries of a hook, newest first")
            .query("status", json!({ "enum": STATUSES }), "Only deliveries in this state.")
            .query("start_time", json!({ "type": "number" }), "Created at or after (epoch ms); after `end_time`: 400")
            .query("end_time", json!({ "type": "number" }), "Created at or before (epoch ms)")
            .paginated()
            .list("Deliveries", "Delivery")
            .links(200, delivery_links("/0/id"))
            .errors(&[400, 404]),
        Route::RecoverHook => op(
            "recoverHook",
            "Re-enqueue every failed delivery of the hook created in [since, until], one attempt each",
        )
        .body(true, reference("RecoverRequest"))
        .ok(
            202,
            &format!("Re-enqueued (at most {MAX_RECOVER})"),
            Some(json!({ "type": "object", "required": ["count"], "additionalProperties": false,
                "properties": { "count": { "type": "integer", "minimum": 0, "maximum": MAX_RECOVER } } })),
        )
        .errors(&[400, 404]),
        Route::PauseHook => op(
            "pauseHook",
            "Pause a hook: new and due deliveries are held (not attempted, no retry used, never lost) until it resumes",
        )
        .ok(200, "The hook, with `paused: true`", Some(reference("Hook")))
        .errors(&[404]),
        Route::ResumeHook => op(
            "resumeHook",
            "Resume a hook: its held deliveries are sent again, oldest first",
        )
        .ok(200, "The hook", Some(reference("Hook")))
        .errors(&[404]),
        Route::GetDelivery => op("getDelivery", "One delivery with its payload and every attempt")
            .ok(200, "The delivery", Some(reference("DeliveryDetail")))
            .errors(&[404]),
        Route::RetryDelivery => op("retryDelivery", "One new attempt now (not rescheduled if it fails)")
            .ok(
                202,
                "Enqueued",
                Some(json!({ "type": "object", "required": ["id", "attempt"], "additionalProperties": false,
                    "properties": { "id": { "type": "string" }, "attempt": { "type": "integer", "minimum": 1 } } })),
            )
            .errors(&[404]),
        Route::GetEvent => op(
            "getEvent",
            "One event's payload and every delivery it fanned out to (this tenant's hooks, deleted ones included); read from the buckets of the day its id names, no index",
        )
        .ok(200, "The event", Some(reference("EventDetail")))
        .errors(&[404]),
        Route::HourlyStats => op(
            "hourlyStats",
            "The hook's attempts per UTC hour (success/failure) with exact nearest-rank p50/p95 attempt duration; the current hour is last and partial",
        )
        .query("range", json!({ "enum": RANGES, "default": "24h" }), "24 or 168 hours.")
        .ok(200, "One entry per hour, oldest first, quiet hours as zeros", Some(reference("HourlyStats")))
        .errors(&[400, 404]),
        Route::GetAttempt => op(
            "getAttempt",
            "One attempt: the request rebuilt (exact body and headers with both signatures, recomputed with the hook's current key) and the recorded response",
        )
        .ok(200, "The attempt", Some(reference("AttemptDetail")))
        .errors(&[400, 404]),
        Route::IngestEvents => op(
            "ingestEvents",
            "Ingest one event or a batch; every delivery is durable before the 202. A repeated Idempotency-Key within 24 h replays the first answer.",
        )
        .header("Idempotency-Key", false, schemas::idempotency_key(), "Replays the first answer for 24 h.")
        .query(
            "wait",
            json!({ "type": "string", "enum": WAIT_VALUES }),
            "`true`/`1`: synced delivery, wait for each first attempt and answer 200 with its result; failures still go on to the retry queue.",
        )
        .body(true, reference("IngestBody"))
        .ok(202, "Accepted", Some(one_or_many("Accepted")))
        .links(202, delivery_links("/deliveries/0/id"))
        .ok(200, "Synced delivery results (`wait=true`)", Some(one_or_many("Synced")))
        .errors(&[400, 409, 413]),
        Route::RelayLogto => op(
            "relayLogto",
            "Ingest an event sent by a Logto hook; the body must carry Logto's signature made with LOGTO_RELAY_SIGNING_KEY",
        )
        .header("logto-signature-sha-256", true, json!({ "type": "string" }), "Lowercase hex HMAC-SHA256 of the body.")
        .body(true, reference("IngestBody"))
        .ok(202, "Accepted (a repeated signed body is answered as before)", Some(one_or_many("Accepted")))
        .errors(&[400, 401, 409, 413, 503]),
        Route::RelayLogtoTenant => op(
            "relayLogtoTenant",
            "Ingest an event sent by a Logto hook into this tenant; the body must carry Logto's signature made with the tenant's relay key",
        )
        .header("logto-signature-sha-256", true, json!({ "type": "string" }), "Lowercase hex HMAC-SHA256 of the body.")
        .body(true, reference("IngestBody"))
        .ok(202, "Accepted (a repeated signed body is answered as before)", Some(one_or_many("Accepted")))
        .errors(&[400, 401, 404, 409, 413]),
        Route::ListTenants => op("listTenants", "Every tenant: `default` first, then newest first")
            .paginated()
            .list("Tenants", "Tenant")
            .errors(&[400]),
        Route::CreateTenant => op("createTenant", "Create a tenant")
            .body(true, reference("TenantCreate"))
            .ok(201, "Created", Some(reference("Tenant")))
            .links(201, tenant_links())
            .errors(&[400, 409]),
        Route::GetTenant => op("getTenant", "One tenant").ok(200, "The tenant", Some(reference("Tenant"))).errors(&[404]),
        Route::PatchTenant => op("updateTenant", "Rename a tenant")
            .body(false, reference("TenantUpdate"))
            .ok(200, "The tenant", Some(reference("Tenant")))
            .errors(&[400, 404]),
        Route::DeleteTenant => op(
            "deleteTenant",
            "Delete a tenant: its hooks stop receiving at once, its tokens stop working, its delivery records are dropped by retention; `default` cannot be deleted (400)",
        )
        .ok(204, "Deleted", None)
        .errors(&[400, 404]),
        Route::ListTokens => op("listTokens", "The tenant's live tokens, without their values")
            .list("Tokens", "Token")
            .errors(&[404]),
        Route::CreateToken => op("createToken", "Mint a tenant token; its value is shown only in this answer")
            .body(true, reference("TokenCreate"))
            .ok(201, "Created", Some(reference("NewToken")))
            .links(
                201,
                json!({ "revokeToken": { "operationId": "revokeToken",
                    "parameters": { "id": "$request.path.id", "tokenId": "$response.body#/id" } } }),
            )
            .errors(&[400, 404]),
        Route::RevokeToken => op("revokeToken", "Revoke a token: refused everywhere within 60 s")
            .ok(204, "Revoked", None)
            .errors(&[404]),
        Route::SetRelayKey => op("setRelayKey", "Set the key `POST /api/relay/logto/{tenantId}` verifies with")
            .body(true, reference("RelayKey"))
            .ok(204, "Set", None)
            .errors(&[400, 404]),
        Route::DeleteRelayKey => op("deleteRelayKey", "Remove the relay key: relayed events are refused (401)")
            .ok(204, "Removed", None)
            .errors(&[404]),
        Route::CreatePortal => op(
            "createPortal",
            "A portal session: a short-lived `manage` token and a console URL carrying it in the fragment",
        )
        .body(false, reference("PortalRequest"))
        .ok(201, "Created", Some(reference("Portal")))
        .errors(&[400, 404]),
    }
}

fn tenant_links() -> Value {
    [
        "getTenant",
        "updateTenant",
        "deleteTenant",
        "listTokens",
        "createToken",
        "setRelayKey",
        "deleteRelayKey",
        "createPortal",
    ]
    .iter()
    .map(|o| (o.to_string(), json!({ "operationId": o, "parameters": { "id": "$response.body#/id" } })))
    .collect::<Map<String, Value>>()
    .into()
}

fn one_or_many(name: &str) -> Value {
    json!({ "oneOf": [reference(name), { "type": "array", "items": reference(name) }] })
}

/// `/api/hooks/:id` → `/api/hooks/{id}`.
fn openapi_path(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| seg.strip_prefix(':').map(|n| format!("{{{n}}}")).unwrap_or_else(|| seg.to_string()))
        .collect::<Vec<_>>()
        .join("/")
}

fn path_parameters(pattern: &str) -> Vec<Value> {
    pattern
        .split('/')
        .filter_map(|seg| seg.strip_prefix(':'))
        .map(|name| {
            let what = match name {
                "tokenId" => "Token id (`tok_…`).",
                "number" => "Attempt number, from 1.",
                _ if pattern.starts_with("/api/events/") => "Event id (`evt_…`).",
                "tenantId" => "Tenant id.",
                _ if pattern.starts_with("/api/tenants/") => "Tenant id.",
                _ if pattern.starts_with("/api/deliveries/") => "Delivery id (`dlv_…`).",
                _ => "Hook id.",
            };
            // An attempt number beyond u32 or below 1 is a 400: the pattern says which are valid.
            let schema = if name == "number" {
                json!({ "type": "string", "pattern": "^[1-9][0-9]{0,8}$" })
            } else {
                json!({ "type": "string" })
            };
            json!({ "name": name, "in": "path", "required": true, "schema": schema, "description": what })
        })
        .collect()
}

fn render(pattern: &str, route: Route, auth: Auth) -> Value {
    let mut o = operation(route);
    let stored = !matches!(route, Route::Health | Route::OpenApi | Route::Catalog);
    match auth {
        Auth::Public if stored => o = o.errors(&[500]),
        Auth::Public => {}
        // A tenant token here is 403; so is one of another scope or another tenant below.
        Auth::Operator | Auth::ManageNamed => o = o.errors(&[401, 403, 500, 503]),
        // The tenant the request acts on may not exist (404), the header may be malformed (400).
        Auth::Manage | Auth::Ingest => {
            o = o
                .header(TENANT_HEADER, false, reference("TenantId"), TENANT_HEADER_DOC)
                .errors(&[400, 401, 403, 404, 500, 503])
        }
    }
    o.responses.sort_by_key(|(s, _)| *s);
    o.responses.dedup_by_key(|(s, _)| *s);
    let mut parameters = path_parameters(pattern);
    parameters.append(&mut o.parameters);
    let mut out = Map::new();
    out.insert("operationId".into(), json!(o.id));
    out.insert("summary".into(), json!(o.summary));
    out.insert(
        "security".into(),
        match auth {
            Auth::Public => json!([]),
            Auth::Operator => json!([{ "adminToken": [] }]),
            Auth::Manage | Auth::ManageNamed => json!([{ "adminToken": [] }, { "tenantToken": [] }]),
            Auth::Ingest => json!([{ "ingestToken": [] }, { "tenantToken": [] }]),
        },
    );
    if !parameters.is_empty() {
        out.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some((required, schema)) = o.body {
        out.insert(
            "requestBody".into(),
            json!({ "required": required, "content": { "application/json": { "schema": schema } } }),
        );
    }
    let responses: Map<String, Value> = o.responses.into_iter().map(|(s, r)| (s.to_string(), r)).collect();
    out.insert("responses".into(), Value::Object(responses));
    Value::Object(out)
}

pub fn build() -> Value {
    let mut paths = Map::new();
    for (method, pattern, route, auth) in ROUTES {
        let item = paths.entry(openapi_path(pattern)).or_insert_with(|| json!({}));
        item[method.to_ascii_lowercase()] = render(pattern, *route, *auth);
    }
    let responses: Map<String, Value> = ERROR_DESCRIPTIONS
        .iter()
        .map(|(s, d)| {
            (format!("E{s}"), json!({ "description": d, "content": { "application/json": { "schema": reference("Error") } } }))
        })
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Hookwing",
            "version": VERSION,
            "description": "Logto-compatible webhooks on Cloudflare Workers: a management API for hooks, event ingestion, and signed delivery with retries. Errors are `{code, message, data?, details?}`. Generated from the code (`src/api/openapi/`); do not edit `openapi.json` by hand."
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "adminToken": { "type": "http", "scheme": "bearer", "description": "ADMIN_TOKEN" },
                "ingestToken": { "type": "http", "scheme": "bearer", "description": "INGEST_TOKEN" },
                "tenantToken": { "type": "http", "scheme": "bearer", "description": "A tenant token (`hwk_<tenant>_…`): `manage` scope for the hook, log and delivery routes and the tenant's relay key, `ingest` scope for ingestion. It always acts on its own tenant." }
            },
            "responses": responses,
            "schemas": schemas::all(),
        }
    })
}
