//! Signature verification: never panic on any header; what Hookwing signs always verifies,
//! and a different body never does.
#![no_main]
use hookwing::core::signature::{logto_signature, verify_logto_signature};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.first().copied().unwrap_or(0) as usize % (data.len().max(1));
    let (key_bytes, body) = data.split_at(split);
    let key = String::from_utf8_lossy(key_bytes);
    let header = String::from_utf8_lossy(body);
    let _ = verify_logto_signature(&key, body, &header);
    let sig = logto_signature(&key, body);
    assert!(verify_logto_signature(&key, body, &sig));
    let mut other = body.to_vec();
    other.push(b'!');
    assert!(!verify_logto_signature(&key, &other, &sig));
});
