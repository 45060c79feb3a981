//! Ingested events and delivery payload assembly (SPEC §3–4).
//!
//! An event is normalised once (`hookId` dropped, `createdAt` inserted after `event` when
//! absent, every other key kept in order) and serialised once; each hook's body is those
//! bytes with `"hookId"` appended as the last key, so the fan-out never re-serialises.

use super::catalog;
use super::error::Error;
use super::time::iso_millis;
use serde_json::{Map, Value};

pub const MAX_EVENT_BYTES: usize = 100 * 1024;
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;
pub const MAX_BATCH_LEN: usize = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub name: String,
    pub created_at: String,
    /// The normalised object without `hookId`, serialised.
    pub json: String,
}

/// What `POST /api/events` received: one object or an array of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingest {
    pub batch: bool,
    pub events: Vec<Event>,
}

fn too_large(what: &str, limit: usize) -> Error {
    Error::new(413, "event.too_large", format!("{what} exceeds {} KiB.", limit / 1024))
}

/// Parses an ingest body. `new_id` names each event from `now_ms` (ids are time-ordered);
/// `now_ms` also fills a missing `createdAt`.
pub fn parse_ingest(
    body: &[u8],
    now_ms: i64,
    mut new_id: impl FnMut(i64) -> String,
) -> Result<Ingest, Error> {
    if body.len() > MAX_BATCH_BYTES {
        return Err(too_large("The request body", MAX_BATCH_BYTES));
    }
    let value: Value = serde_json::from_slice(body).map_err(Error::bad_json)?;
    let (batch, items) = match value {
        Value::Array(items) => {
            if items.is_empty() {
                return Err(Error::invalid_input("body", "an event batch must not be empty"));
            }
            if items.len() > MAX_BATCH_LEN {
                return Err(Error::invalid_input("body", "an event batch holds at most 100 events"));
            }
            (true, items)
        }
        obj @ Value::Object(_) => (false, vec![obj]),
        _ => return Err(Error::invalid_input("body", "must be an event object or an array of them")),
    };
    let now = iso_millis(now_ms);
    let events = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let path = if batch { format!("[{i}]") } else { String::new() };
            normalise(item, &path, &now, new_id(now_ms))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Ingest { batch, events })
}

fn normalise(item: Value, path: &str, now: &str, id: String) -> Result<Event, Error> {
    let field = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    let Value::Object(mut obj) = item else {
        return Err(Error::invalid_input(
            if path.is_empty() { "body" } else { path },
            "must be an event object",
        ));
    };
    let name = match obj.get("event") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(Error::invalid_input(&field("event"), "is required and must be a string")),
    };
    if catalog::is_operational(&name) {
        return Err(Error::new(
            400,
            "event.reserved",
            format!("`{name}` is an operational event: Hookwing emits it, producers cannot send it."),
        )
        .with_details(serde_json::json!([{ "path": field("event"), "message": "operational events are emitted by Hookwing" }])));
    }
    if !catalog::is_known(&name) {
        return Err(Error::new(400, "event.unknown_event", format!("`{name}` is not a registrable event."))
            .with_details(serde_json::json!([{ "path": field("event"), "message": "unknown event" }])));
    }
    obj.shift_remove("hookId");
    let created_at = match obj.get("createdAt") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(Error::invalid_input(&field("createdAt"), "must be an ISO 8601 string")),
        None => {
            let mut with_time = Map::with_capacity(obj.len() + 1);
            for (k, v) in obj {
                let is_event = k == "event";
                with_time.insert(k, v);
                if is_event {
                    with_time.insert("createdAt".into(), Value::String(now.to_string()));
                }
            }
            obj = with_time;
            now.to_string()
        }
    };
    let json = serde_json::to_string(&obj).map_err(Error::internal)?;
    if json.len() > MAX_EVENT_BYTES {
        return Err(too_large("An event", MAX_EVENT_BYTES));
    }
    Ok(Event { id, name, created_at, json })
}

/// The body delivered to one hook: the event's bytes with `"hookId"` as the last key.
pub fn delivery_body(event_json: &str, hook_id: &str) -> Vec<u8> {
    let trimmed = event_json.trim_end();
    let inner = trimmed.strip_suffix('}').unwrap_or(trimmed);
    let id = serde_json::to_string(hook_id).unwrap_or_else(|_| "\"\"".into());
    let mut out = Vec::with_capacity(inner.len() + id.len() + 12);
    out.extend_from_slice(inner.as_bytes());
    if inner.trim_end() != "{" {
        out.push(b',');
    }
    out.extend_from_slice(b"\"hookId\":");
    out.extend_from_slice(id.as_bytes());
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn ingest(body: &str) -> Result<Ingest, Error> {
        let mut n = 0;
        parse_ingest(body.as_bytes(), 1_755_777_600_000, |_| {
            n += 1;
            format!("evt_{n}")
        })
    }

    #[test]
    fn created_at_is_inserted_right_after_event_and_other_keys_keep_order() {
        let got = ingest(r#"{"zeta":1,"event":"PostSignIn","alpha":{"b":1,"a":2},"hookId":"x"}"#).unwrap();
        assert!(!got.batch);
        assert_eq!(
            got.events[0].json,
            r#"{"zeta":1,"event":"PostSignIn","createdAt":"2025-08-21T12:00:00.000Z","alpha":{"b":1,"a":2}}"#
        );
    }

    #[test]
    fn given_created_at_is_kept_in_place() {
        let got =
            ingest(r#"{"createdAt":"2020-01-01T00:00:00.000Z","event":"User.Created","data":null}"#).unwrap();
        assert_eq!(
            got.events[0].json,
            r#"{"createdAt":"2020-01-01T00:00:00.000Z","event":"User.Created","data":null}"#
        );
        assert_eq!(got.events[0].created_at, "2020-01-01T00:00:00.000Z");
    }

    #[test]
    fn operational_events_are_reserved_for_hookwing() {
        for body in
            [r#"{"event":"Hook.Disabled"}"#, r#"[{"event":"PostSignIn"},{"event":"Delivery.Exhausted"}]"#]
        {
            let err = ingest(body).unwrap_err();
            assert_eq!((err.status, err.code), (400, "event.reserved"), "{body}");
        }
        assert_eq!(
            ingest(r#"{"event":"Hook.Recovered"}"#).unwrap_err().details().unwrap()[0]["path"],
            "event"
        );
    }

    #[test]
    fn batches_get_one_id_per_event() {
        let got = ingest(r#"[{"event":"PostSignIn"},{"event":"PostRegister"}]"#).unwrap();
        assert!(got.batch);
        let ids: Vec<_> = got.events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["evt_1", "evt_2"]);
    }

    #[test]
    fn unknown_or_missing_event_is_rejected() {
        assert_eq!(ingest(r#"{"event":"Nope"}"#).unwrap_err().code, "event.unknown_event");
        assert_eq!(ingest(r#"{"data":1}"#).unwrap_err().code, "guard.invalid_input");
        assert_eq!(
            ingest(r#"[{"event":"PostSignIn"},{"event":1}]"#).unwrap_err().details().cloned().unwrap()[0]
                ["path"],
            "[1].event"
        );
    }

    #[test]
    fn malformed_bodies_are_400() {
        for body in ["", "{", "[]", "3", "\"x\"", "[1]", "null"] {
            let err = ingest(body).unwrap_err();
            assert_eq!(err.status, 400, "{body:?}");
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(ingest(&deep).unwrap_err().status, 400);
    }

    #[test]
    fn size_limits_are_413() {
        let big = format!(r#"{{"event":"PostSignIn","pad":"{}"}}"#, "x".repeat(MAX_EVENT_BYTES));
        assert_eq!(ingest(&big).unwrap_err().code, "event.too_large");
        let huge = format!(r#"{{"event":"PostSignIn","pad":"{}"}}"#, "x".repeat(MAX_BATCH_BYTES));
        assert_eq!(ingest(&huge).unwrap_err().status, 413);
        let many = format!("[{}]", vec![r#"{"event":"PostSignIn"}"#; 101].join(","));
        assert_eq!(ingest(&many).unwrap_err().status, 400);
    }

    #[test]
    fn hook_id_is_appended_last() {
        assert_eq!(
            delivery_body(r#"{"event":"PostSignIn"}"#, "abc"),
            br#"{"event":"PostSignIn","hookId":"abc"}"#
        );
        assert_eq!(delivery_body("{}", "abc"), br#"{"hookId":"abc"}"#);
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(("[a-zA-Z]{1,6}", inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn assembly_keeps_key_order_and_puts_hook_id_last(
            pairs in prop::collection::vec(("[a-zA-Z]{1,8}", json_value()), 0..6),
            hook_id in "[0-9a-z]{21}",
        ) {
            let mut obj: Map<String, Value> = pairs.into_iter().filter(|(k, _)| k != "hookId").collect();
            let event_json = serde_json::to_string(&obj).unwrap();
            let body = delivery_body(&event_json, &hook_id);
            let parsed: Map<String, Value> = serde_json::from_slice(&body).unwrap();
            let keys: Vec<_> = parsed.keys().cloned().collect();
            prop_assert_eq!(keys.last().map(String::as_str), Some("hookId"));
            obj.insert("hookId".into(), Value::String(hook_id));
            // Same keys, same order, same values as inserting `hookId` into the object.
            prop_assert_eq!(serde_json::to_vec(&obj).unwrap(), body);
        }
    }
}
