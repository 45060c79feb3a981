//! The document's component schemas, built from the lists and bounds the code validates
//! with. Request schemas are exactly as strict as the parsers (unknown keys allowed, since
//! they are ignored as in Logto); response schemas list every field and allow no other, so
//! an answer whose shape changes without the document fails the e2e tests.

use crate::api::deliveries::STATUSES;
use crate::api::events::IDEMPOTENCY_KEY_CHARS;
use crate::core::catalog::{is_operational, Category, EVENTS};
use crate::core::event::MAX_BATCH_LEN;
use crate::core::hook::{
    MAX_GRACE_PERIOD_SECS, MAX_HEADER_VALUE_BYTES, MAX_IN_FLIGHT, MAX_RETRIES, NAME_CHARS, RATE_PER_SECOND,
    RESERVED_HEADERS, RESERVED_HEADER_PREFIX, TIMEOUT_RANGE_MS, TOKEN_SYMBOLS,
};
use crate::core::hourly::{HOUR_MS, RANGES};
use crate::core::ids::{DELIVERY_ID_LEN, EVENT_ID_LEN, HOOK_ID_LEN, SIGNING_KEY_LEN};
use crate::core::tenant::{
    PORTAL_DEFAULT_SECONDS, PORTAL_SECONDS, RELAY_KEY_CHARS, SCOPES, TENANT_ID_PATTERN, TENANT_NAME_CHARS,
    TOKEN_NAME_CHARS,
};
use crate::core::url_policy::{url_pattern, MAX_URL_CHARS};
use crate::delivery::consumer::STEP_STATUSES;
use serde_json::{json, Map, Value};

pub fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// A response object: these fields, all required unless listed in `optional`, and no other.
fn strict(properties: Value, optional: &[&str]) -> Value {
    let required: Vec<&String> = properties
        .as_object()
        .map(|p| p.keys().filter(|k| !optional.contains(&k.as_str())).collect())
        .unwrap_or_default();
    json!({ "type": "object", "required": required, "properties": properties, "additionalProperties": false })
}

fn nullable(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

/// `evt_` + ingest day and millisecond (base 36) + 16 random characters.
fn event_id() -> Value {
    let random = EVENT_ID_LEN - 4 - 10;
    json!({ "type": "string", "pattern": format!("^evt_[0-9a-z]{{10}}[0-9A-Za-z]{{{random}}}$"),
        "description": "evt_ + ingest day and millisecond (base 36) + random characters" })
}

/// `dlv_` + hook id + creation day and millisecond (base 36) + random: it names its bucket.
fn delivery_id() -> Value {
    let located = DELIVERY_ID_LEN - 4 - 10;
    json!({ "type": "string", "pattern": format!("^dlv_[0-9a-z]{{{located}}}[0-9A-Za-z]{{10}}$"),
        "description": "dlv_ + hook id + creation day and millisecond (base 36) + 10 random characters" })
}

/// A regex character class of `chars`, escaped for ECMA-262 (and Python's `re`).
fn class_of(chars: &str) -> String {
    chars.chars().map(|c| if "\\]^-[".contains(c) { format!("\\{c}") } else { c.to_string() }).collect()
}

/// `^(exact1$|exact2$|prefix1)` matched without regard to ASCII case, spelled with
/// classes because JSON Schema patterns have no case-insensitive flag.
fn any_case(exact: &[&str], prefixes: &[&str]) -> String {
    let spell = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
                } else if c.is_ascii_alphanumeric() || c == '-' {
                    c.to_string()
                } else {
                    format!("\\{c}")
                }
            })
            .collect::<String>()
    };
    let alts: Vec<String> =
        exact.iter().map(|e| format!("{}$", spell(e))).chain(prefixes.iter().map(|p| spell(p))).collect();
    format!("^({})", alts.join("|"))
}

fn event_name() -> Value {
    let names: Vec<&str> = EVENTS.iter().map(|(n, _)| *n).collect();
    json!({ "type": "string", "enum": names, "description": "An event of the catalog (`GET /api/events/catalog`), in Logto's order." })
}

/// What producers may send: the catalog without the operational events (400 `event.reserved`).
fn ingest_event_name() -> Value {
    let names: Vec<&str> = EVENTS.iter().map(|(n, _)| *n).filter(|n| !is_operational(n)).collect();
    json!({ "type": "string", "enum": names, "description": "An event producers may send: the catalog without its `operational` events, which Hookwing emits itself (400 `event.reserved`)." })
}

fn event_list() -> Value {
    json!({ "type": "array", "minItems": 1, "items": reference("EventName"), "description": "Duplicates are removed, the first occurrence kept." })
}

fn int_range(min: u64, max: u64) -> Value {
    json!({ "type": "integer", "minimum": min, "maximum": max })
}

fn header_map() -> Value {
    json!({
        "type": "object",
        "description": "Extra request headers. Names are HTTP tokens, compared without regard to case (a name may appear once); `logto-signature-sha-256`, `host`, `content-length` and `webhook-*` are set by Hookwing.",
        "propertyNames": {
            "pattern": format!("^[0-9A-Za-z{}]+$", class_of(TOKEN_SYMBOLS)),
            "not": { "pattern": any_case(RESERVED_HEADERS, &[RESERVED_HEADER_PREFIX]) }
        },
        "additionalProperties": {
            "type": "string",
            "pattern": "^[\t -~]*$",
            "maxLength": MAX_HEADER_VALUE_BYTES,
            "description": "Visible ASCII, space and tab."
        }
    })
}

/// The config a client sends (create, update, test).
fn hook_config_input() -> Value {
    json!({
        "type": "object",
        "required": ["url"],
        "properties": {
            "url": {
                "type": "string",
                "pattern": url_pattern(),
                "maxLength": MAX_URL_CHARS,
                "description": "http(s) URL called for each delivery; a host label starting `xn--` must be valid punycode. Unless ALLOW_PRIVATE_TARGETS=true, `localhost`, `*.localhost` and loopback, private, link-local, CGNAT, unique-local, unspecified and metadata addresses are refused too."
            },
            "headers": nullable(header_map()),
            "retries": nullable(int_range(0, MAX_RETRIES)),
            "timeoutMs": nullable(int_range(*TIMEOUT_RANGE_MS.start(), *TIMEOUT_RANGE_MS.end())),
            "rateLimit": nullable(rate_limit()),
            "maxInFlight": nullable(json!({ "description": "At most this many attempts to the hook at once, across every invocation; the others wait (no retry used).", "type": "integer", "minimum": MAX_IN_FLIGHT.start(), "maximum": MAX_IN_FLIGHT.end() })),
            "ordered": nullable(json!({ "description": "Attempt deliveries one at a time in ingest order: a retrying delivery holds those behind it until it succeeds, exhausts its retries or is dropped (head-of-line blocking). Ingest order: one request's events in array order; between concurrent requests, the order in which they reached the hook's line, before their 202. A retried or recovered delivery joins the end of the line.", "type": "boolean" })),
        }
    })
}

fn rate_limit() -> Value {
    json!({
        "type": "object",
        "required": ["perSecond"],
        "properties": { "perSecond": int_range(*RATE_PER_SECOND.start(), *RATE_PER_SECOND.end()) },
        "description": "Attempts start at most `perSecond` times in any second, across every invocation; the others wait (no retry used)."
    })
}

/// The config as stored and answered.
fn hook_config() -> Value {
    strict(
        json!({
            "url": { "type": "string" },
            "headers": { "type": "object", "additionalProperties": { "type": "string" } },
            "retries": int_range(0, MAX_RETRIES),
            "timeoutMs": int_range(*TIMEOUT_RANGE_MS.start(), *TIMEOUT_RANGE_MS.end()),
            "rateLimit": strict(json!({ "perSecond": int_range(*RATE_PER_SECOND.start(), *RATE_PER_SECOND.end()) }), &[]),
            "maxInFlight": int_range(*MAX_IN_FLIGHT.start(), *MAX_IN_FLIGHT.end()),
            "ordered": { "type": "boolean", "description": "Present (true) only for an ordered hook." },
        }),
        &["headers", "retries", "timeoutMs", "rateLimit", "maxInFlight", "ordered"],
    )
}

fn name() -> Value {
    json!({ "type": "string", "minLength": NAME_CHARS.start(), "maxLength": NAME_CHARS.end() })
}

fn hook_fields_input() -> Map<String, Value> {
    let fields = json!({
        "name": name(),
        "events": event_list(),
        "event": { "anyOf": [reference("EventName"), { "type": "null" }], "deprecated": true, "description": "Logto's legacy single event; used only while `events` is empty." },
        "config": reference("HookConfigInput"),
        "enabled": { "type": "boolean" },
    });
    fields.as_object().cloned().unwrap_or_default()
}

fn hook_create() -> Value {
    json!({
        "type": "object",
        "required": ["config"],
        "properties": hook_fields_input(),
        "anyOf": [
            { "required": ["events"] },
            { "required": ["event"], "properties": { "event": reference("EventName") } }
        ],
        "description": "Neither `events` nor a non-null `event`: 400 `hook.missing_events`. Unknown keys are ignored."
    })
}

fn hook_update() -> Value {
    json!({ "type": "object", "properties": hook_fields_input(), "description": "Only the fields sent change; `config` replaces the whole config." })
}

fn hook() -> Value {
    strict(
        json!({
            "tenantId": reference("TenantId"),
            "id": { "type": "string", "pattern": format!("^[0-9a-z]{{{HOOK_ID_LEN}}}$") },
            "name": { "type": "string", "maxLength": NAME_CHARS.end() },
            "event": { "anyOf": [reference("EventName"), { "type": "null" }] },
            "events": { "type": "array", "items": reference("EventName") },
            "config": reference("HookConfig"),
            "signingKey": { "type": "string", "pattern": format!("^[0-9a-zA-Z]{{{SIGNING_KEY_LEN}}}$") },
            "signingSecret": { "type": "string", "pattern": "^whsec_[A-Za-z0-9+/]+={0,2}$", "description": "whsec_ + base64 of the signing key's UTF-8 bytes (Standard Webhooks form)" },
            "enabled": { "type": "boolean" },
            "createdAt": { "type": "integer", "description": "epoch ms" },
            "disabledReason": { "type": "string" },
            "paused": { "const": true, "description": "present while the hook is paused (its deliveries are held)" },
            "executionStats": reference("ExecutionStats"),
        }),
        &["disabledReason", "paused", "executionStats"],
    )
}

fn event_in() -> Value {
    json!({
        "type": "object",
        "required": ["event"],
        "properties": {
            "event": reference("IngestEventName"),
            "createdAt": { "type": "string", "description": "Kept as sent; set to now (YYYY-MM-DDTHH:mm:ss.sssZ) right after `event` when absent." },
            "hookId": { "description": "Dropped: each delivery carries its own hook's id." }
        },
        "additionalProperties": true,
        "description": "Logto's payload shape; every other key is kept with its value and order. At most 100 KiB serialized."
    })
}

fn ingest_body() -> Value {
    json!({
        "oneOf": [
            reference("EventIn"),
            { "type": "array", "minItems": 1, "maxItems": MAX_BATCH_LEN, "items": reference("EventIn"), "description": "At most 1 MiB in all." }
        ]
    })
}

fn accepted() -> Value {
    strict(
        json!({
            "id": event_id(),
            "event": reference("EventName"),
            "createdAt": { "type": "string" },
            "deliveries": { "type": "array", "items": strict(json!({ "id": delivery_id(), "hookId": { "type": "string" } }), &[]) },
        }),
        &[],
    )
}

fn synced() -> Value {
    let result = strict(
        json!({
            "id": delivery_id(),
            "hookId": { "type": "string" },
            "status": { "enum": STEP_STATUSES },
            "responseStatus": { "type": ["integer", "null"] },
            "durationMs": { "type": ["integer", "null"] },
            "error": { "type": ["string", "null"] },
            "responseBody": { "type": ["string", "null"], "description": "first 4 KiB" },
        }),
        &[],
    );
    strict(
        json!({ "id": event_id(), "event": reference("EventName"), "createdAt": { "type": "string" }, "deliveries": { "type": "array", "items": result } }),
        &[],
    )
}

fn delivery_fields() -> Map<String, Value> {
    let v = json!({
        "id": { "type": "string" },
        "eventId": { "type": "string" },
        "hookId": { "type": "string" },
        "event": { "type": "string" },
        "status": { "enum": STATUSES },
        "attemptCount": { "type": "integer", "minimum": 0 },
        "nextAttemptAt": { "type": ["integer", "null"] },
        "lastError": { "type": ["string", "null"] },
        "createdAt": { "type": "integer" },
        "updatedAt": { "type": "integer" },
    });
    v.as_object().cloned().unwrap_or_default()
}

fn delivery_detail() -> Value {
    let mut fields = delivery_fields();
    fields.insert(
        "payload".into(),
        json!({ "type": ["object", "null"], "description": "The event as ingested (without `hookId`); sensitive keys masked." }),
    );
    fields.insert("attempts".into(), json!({ "type": "array", "items": reference("Attempt") }));
    strict(Value::Object(fields), &[])
}

fn attempt() -> Value {
    strict(
        json!({
            "id": { "type": "string" },
            "number": { "type": "integer", "minimum": 1 },
            "startedAt": { "type": "integer" },
            "durationMs": { "type": "integer", "minimum": 0 },
            "result": { "enum": ["Success", "Error"] },
            "responseStatus": { "type": ["integer", "null"] },
            "responseBody": { "type": ["string", "null"], "description": "First 4 KiB; sensitive keys masked when it is JSON." },
            "error": { "type": ["string", "null"] },
        }),
        &[],
    )
}

fn event_detail() -> Value {
    let mut delivery = delivery_fields();
    delivery.insert(
        "hookName".into(),
        json!({ "type": ["string", "null"], "description": "null when the hook was deleted since" }),
    );
    delivery.insert("hookDeleted".into(), json!({ "type": "boolean" }));
    strict(
        json!({
            "id": event_id(),
            "event": { "type": "string" },
            "ingestedAt": { "type": "integer", "description": "epoch ms, from the id" },
            "payload": { "type": ["object", "null"], "description": "The event as ingested (without `hookId`); sensitive keys masked." },
            "deliveries": { "type": "array", "items": strict(Value::Object(delivery), &[]) },
        }),
        &[],
    )
}

fn hourly_stats() -> Value {
    let count = json!({ "type": "integer", "minimum": 0 });
    let ms = json!({ "type": ["integer", "null"], "minimum": 0 });
    let hour = strict(
        json!({
            "start": { "type": "integer", "description": "epoch ms of the UTC hour's start" },
            "requestCount": count, "successCount": count, "failureCount": count,
            "p50DurationMs": ms, "p95DurationMs": ms,
        }),
        &[],
    );
    strict(
        json!({
            "hookId": { "type": "string" },
            "range": { "enum": RANGES },
            "from": { "type": "integer" },
            "to": { "type": "integer", "description": "exclusive" },
            "hourMs": { "const": HOUR_MS },
            "percentiles": { "const": "nearest-rank", "description": "the value at rank ceil(p·n/100) of the hour's durations sorted ascending: exact" },
            "requestCount": count, "successCount": count,
            "hours": { "type": "array", "items": hour },
        }),
        &[],
    )
}

fn attempt_detail() -> Value {
    let text = json!({ "type": "string" });
    let request = strict(
        json!({
            "method": { "const": "POST" },
            "url": text,
            "headers": { "type": "array", "items": strict(json!({ "name": text, "value": text }), &[]) },
            "bodyMasked": { "type": "boolean", "description": "true when sensitive keys were masked: the bytes sent then differ" },
            "body": text,
        }),
        &[],
    );
    let response = strict(
        json!({
            "status": { "type": ["integer", "null"] },
            "body": { "type": ["string", "null"], "description": "First 4 KiB; sensitive keys masked when it is JSON." },
            "headers": {
                "anyOf": [{ "type": "array", "items": strict(json!({ "name": text, "value": text }), &[]) }, { "type": "null" }],
                "description": "A failed attempt's response headers as the runtime lists them, by name (the first 1 KiB; cookie, token and other secret values masked); null for a success or an attempt made before they were kept."
            },
            "headersCut": { "type": "boolean", "description": "true when some headers were left out (over 1 KiB)" },
        }),
        &[],
    );
    let verify = strict(
        json!({ "signingSecret": { "type": "string", "description": "masked: `whsec_` and 4 characters" }, "standardWebhooks": text, "logto": text }),
        &[],
    );
    strict(
        json!({
            "id": text, "deliveryId": text, "eventId": text, "hookId": text, "event": text,
            "number": { "type": "integer", "minimum": 1 },
            "startedAt": { "type": "integer" },
            "durationMs": { "type": "integer", "minimum": 0 },
            "result": { "enum": ["Success", "Error"] },
            "error": { "type": ["string", "null"] },
            "request": { "anyOf": [request, { "type": "null" }], "description": "null when the hook was deleted or the payload is gone" },
            "requestNote": text,
            "response": response,
            "responseNote": text,
            "verify": { "anyOf": [verify, { "type": "null" }] },
        }),
        &[],
    )
}

fn log_entry() -> Value {
    let payload = strict(
        json!({
            "key": { "type": "string", "pattern": "^TriggerHook\\." },
            "result": { "enum": ["Success", "Error"] },
            "hookId": { "type": "string" },
            "hookRequest": strict(json!({ "body": { "type": ["object", "null"], "description": "The delivered body; sensitive keys masked." } }), &[]),
            "response": strict(json!({ "statusCode": { "type": "integer" }, "body": { "description": "Parsed JSON when it parses (sensitive keys masked), else the text." } }), &[]),
            "error": { "type": "string" },
        }),
        &["response", "error"],
    );
    strict(
        json!({ "id": { "type": "string" }, "key": { "type": "string", "pattern": "^TriggerHook\\." }, "payload": payload, "createdAt": { "type": "integer" } }),
        &[],
    )
}

fn error() -> Value {
    strict(
        json!({
            "code": { "type": "string" },
            "message": { "type": "string" },
            "data": { "type": "object" },
            "details": { "type": "array", "items": strict(json!({ "path": { "type": "string" }, "message": { "type": "string" } }), &[]) },
        }),
        &["data", "details"],
    )
}

pub fn idempotency_key() -> Value {
    json!({
        "type": "string",
        "minLength": IDEMPOTENCY_KEY_CHARS.start(),
        "maxLength": IDEMPOTENCY_KEY_CHARS.end(),
        "pattern": "^[!-~]([ -~]*[!-~])?$",
        "description": "Printable ASCII."
    })
}

pub fn grace_period() -> Value {
    json!({ "type": "object", "properties": { "gracePeriodSeconds": nullable(int_range(0, MAX_GRACE_PERIOD_SECS)) } })
}

pub fn all() -> Value {
    let mut all = core_schemas();
    // Added beside the rest: one more `json!` entry above would pass the macro's recursion limit.
    all["EventDetail"] = event_detail();
    all["HourlyStats"] = hourly_stats();
    all["AttemptDetail"] = attempt_detail();
    all
}

fn core_schemas() -> Value {
    let categories: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    let instant = json!({ "anyOf": [{ "type": "number" }, { "type": "string", "format": "date-time" }], "description": "epoch ms or an RFC 3339 time" });
    json!({
        "Error": error(),
        "EventName": event_name(),
        "IngestEventName": ingest_event_name(),
        "EventCategory": { "enum": categories },
        "CatalogEntry": strict(json!({ "event": reference("EventName"), "category": reference("EventCategory") }), &[]),
        "HookConfigInput": hook_config_input(),
        "HookConfig": hook_config(),
        "HookCreate": hook_create(),
        "HookUpdate": hook_update(),
        "ExecutionStats": strict(json!({ "requestCount": { "type": "integer", "minimum": 0 }, "successCount": { "type": "integer", "minimum": 0 } }), &[]),
        "Hook": hook(),
        "TestRequest": { "type": "object", "required": ["events", "config"], "properties": { "events": event_list(), "config": reference("HookConfigInput") } },
        "RecoverRequest": { "type": "object", "required": ["since"], "properties": { "since": instant.clone(), "until": nullable(instant) }, "description": "`since` after `until`: 400." },
        "EventIn": event_in(),
        "IngestBody": ingest_body(),
        "Accepted": accepted(),
        "Synced": synced(),
        "Delivery": strict(Value::Object(delivery_fields()), &[]),
        "Attempt": attempt(),
        "DeliveryDetail": delivery_detail(),
        "LogEntry": log_entry(),
        "TenantId": { "type": "string", "pattern": TENANT_ID_PATTERN },
        "Tenant": strict(json!({
            "id": reference("TenantId"),
            "name": { "type": "string", "minLength": TENANT_NAME_CHARS.start(), "maxLength": TENANT_NAME_CHARS.end() },
            "createdAt": { "type": "integer", "description": "epoch ms (0 for a `default` never written)" },
            "relayKeySet": { "type": "boolean", "description": "whether `POST /api/relay/logto/{tenantId}` has a key to verify with" },
        }), &[]),
        "TenantCreate": { "type": "object", "required": ["name"], "properties": {
            "id": nullable(reference("TenantId")),
            "name": tenant_name(),
        }, "description": "Without `id`, one is generated." },
        "TenantUpdate": { "type": "object", "properties": { "name": nullable(tenant_name()) }, "description": "No `name` (or null): nothing changes." },
        "TokenCreate": { "type": "object", "required": ["scope"], "properties": {
            "scope": { "enum": SCOPES },
            "name": nullable(token_name()),
            "expiresAt": nullable(json!({ "type": "integer", "description": "epoch ms, in the future" })),
        } },
        "Token": strict(token_fields(), &[]),
        "NewToken": strict({
            let mut t = token_fields();
            t["token"] = token_value();
            t
        }, &[]),
        "RelayKey": { "type": "object", "required": ["signingKey"], "properties": { "signingKey": {
            "type": "string", "minLength": RELAY_KEY_CHARS.start(), "maxLength": RELAY_KEY_CHARS.end(),
            "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
            "description": "The signing key of the upstream Logto hook."
        } } },
        "PortalRequest": { "type": "object", "properties": { "expiresInSeconds": nullable(json!({
            "type": "integer", "minimum": PORTAL_SECONDS.start(), "maximum": PORTAL_SECONDS.end(), "default": PORTAL_DEFAULT_SECONDS
        })) } },
        "Portal": strict(json!({
            "url": { "type": "string", "description": "The console, with the token in the fragment (`/#portal=…`), never in a query string." },
            "token": token_value(),
            "expiresAt": { "type": "integer", "description": "epoch ms" },
        }), &[]),
    })
}

fn tenant_name() -> Value {
    json!({ "type": "string", "minLength": TENANT_NAME_CHARS.start(), "maxLength": TENANT_NAME_CHARS.end(),
        "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$" })
}

fn token_name() -> Value {
    json!({ "type": "string", "minLength": TOKEN_NAME_CHARS.start(), "maxLength": TOKEN_NAME_CHARS.end(),
        "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$" })
}

/// `hwk_<tenant>_` + base64url of the random bytes.
fn token_value() -> Value {
    json!({ "type": "string", "pattern": "^hwk_[a-z0-9][a-z0-9-]{0,62}_[A-Za-z0-9_-]{43,}$",
        "description": "Shown only in this answer; only its SHA-256 is stored." })
}

fn token_fields() -> Value {
    json!({
        "id": { "type": "string", "pattern": format!("^tok_[0-9a-z]{{{HOOK_ID_LEN}}}$") },
        "scope": { "enum": SCOPES },
        "name": nullable(json!({ "type": "string" })),
        "createdAt": { "type": "integer", "description": "epoch ms" },
        "expiresAt": nullable(json!({ "type": "integer", "description": "epoch ms" })),
    })
}
