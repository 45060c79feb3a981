//! `Retry-After` parsing and the retry policy: never panic; a delay never exceeds twice the
//! largest wait it could be based on (before jitter) plus the jitter.
#![no_main]
use hookwing::core::retry::{parse_retry_after, retry_delay, FailureKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let attempt = u16::from_le_bytes([data[0], data[1]]) as u32;
    let unit = data[2] as f64 / 256.0;
    let kind = if data[3] & 1 == 0 { FailureKind::Other } else { FailureKind::Overloaded };
    let Ok(text) = std::str::from_utf8(&data[4..]) else { return };
    let hint = parse_retry_after(text, 1_700_000_000_000);
    let schedule = [5u32, 300, 36_000];
    if let Some(delay) = retry_delay(&schedule, None, attempt, kind, hint, unit) {
        assert!(delay <= (72_000f64 * 1.2).round() as u64, "delay {delay}");
    }
});
