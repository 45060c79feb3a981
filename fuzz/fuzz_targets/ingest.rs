//! Event parsing and payload assembly: never panic; every accepted event's delivery body is
//! JSON with `hookId` as its last key and the event's keys before it.
#![no_main]
use hookwing::core::event::{delivery_body, parse_ingest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut n = 0;
    let Ok(ingest) = parse_ingest(data, 1_700_000_000_000, |_| {
        n += 1;
        format!("evt_{n}")
    }) else {
        return;
    };
    for event in ingest.events {
        let body = delivery_body(&event.json, "hook0000000000000000x");
        let parsed: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&body).expect("a delivery body is a JSON object");
        assert_eq!(parsed.keys().last().map(String::as_str), Some("hookId"));
        assert_eq!(parsed.get("event").and_then(|v| v.as_str()), Some(event.name.as_str()));
    }
});
