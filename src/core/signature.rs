//! Where a delivery is signed: Logto's `logto-signature-sha-256` and the Standard Webhooks
//! `webhook-signature`, both HMAC-SHA256 over the exact bytes that are sent.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this never fails.
    HmacSha256::new_from_slice(key).expect("HMAC takes any key length")
}

/// Logto's scheme: lowercase hex HMAC-SHA256 of the body, keyed by the UTF-8 bytes of the
/// hook's signing key.
pub fn logto_signature(signing_key: &str, body: &[u8]) -> String {
    let mut m = mac(signing_key.as_bytes());
    m.update(body);
    hex::encode(m.finalize().into_bytes())
}

/// Verifies a `logto-signature-sha-256` header in constant time.
pub fn verify_logto_signature(signing_key: &str, body: &[u8], header: &str) -> bool {
    let Ok(expected) = hex::decode(header.trim()) else {
        return false;
    };
    let mut m = mac(signing_key.as_bytes());
    m.update(body);
    m.verify_slice(&expected).is_ok()
}

/// One Standard Webhooks `v1` entry: base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
pub fn standard_signature(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut m = mac(key);
    m.update(msg_id.as_bytes());
    m.update(b".");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    format!("v1,{}", B64.encode(m.finalize().into_bytes()))
}

/// The `webhook-signature` header: one `v1,` entry per valid key, space-separated, so
/// receivers keep verifying through a key rotation.
pub fn standard_signature_header<'a>(
    keys: impl IntoIterator<Item = &'a str>,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    keys.into_iter()
        .map(|k| standard_signature(k.as_bytes(), msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The hook's signing key in Standard Webhooks form: `whsec_` + base64 of its UTF-8 bytes,
/// so the official libraries derive exactly the key Hookwing signs with.
pub fn signing_secret(signing_key: &str) -> String {
    format!("whsec_{}", B64.encode(signing_key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whsec_key(secret: &str) -> Vec<u8> {
        B64.decode(secret.trim_start_matches("whsec_")).unwrap()
    }

    #[test]
    fn logto_vectors_from_sign_test_ts() {
        assert_eq!(
            logto_signature("foo", br#"{"bar":"bar","foo":"foo"}"#),
            "436958f1dbfefab37712fb3927760490fbf7757da8c0b2306ee7b485f0360eee"
        );
        assert_eq!(
            logto_signature("foo", b"{}"),
            "c76356efa19d219d1d7e08ccb20b1d26db53b143156f406c99dcb8e0876d6c55"
        );
    }

    #[test]
    fn logto_signature_verifies_and_rejects_tampering() {
        let sig = logto_signature("foo", b"{}");
        assert!(verify_logto_signature("foo", b"{}", &sig));
        assert!(!verify_logto_signature("foo", b"{ }", &sig));
        assert!(!verify_logto_signature("bar", b"{}", &sig));
        assert!(!verify_logto_signature("foo", b"{}", "not-hex"));
        assert!(!verify_logto_signature("foo", b"{}", ""));
    }

    #[test]
    fn standard_webhooks_vector_v1() {
        let key = whsec_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert_eq!(
            standard_signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn standard_webhooks_vector_v2() {
        let key = whsec_key("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
        assert_eq!(
            standard_signature(
                &key,
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1649367553,
                br#"{"email":"test@example.com","username":"test_user"}"#
            ),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn header_has_one_entry_per_key_in_order() {
        let header = standard_signature_header(["new-key", "old-key"], "evt_1", 1700000000, b"{}");
        let parts: Vec<_> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], standard_signature(b"new-key", "evt_1", 1700000000, b"{}"));
        assert_eq!(parts[1], standard_signature(b"old-key", "evt_1", 1700000000, b"{}"));
    }

    #[test]
    fn signing_secret_decodes_to_the_signing_key_bytes() {
        let secret = signing_secret("Ab3xYz");
        assert!(secret.starts_with("whsec_"));
        assert_eq!(whsec_key(&secret), b"Ab3xYz");
        // Signing with the decoded secret equals signing with the key: what a receiver
        // using the official libraries computes.
        assert_eq!(
            standard_signature(&whsec_key(&secret), "evt_x", 1, b"{}"),
            standard_signature(b"Ab3xYz", "evt_x", 1, b"{}")
        );
    }
}
